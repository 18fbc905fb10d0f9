import { Component } from "@odoo/owl";
import { Dialog } from "@web/core/dialog/dialog";
import { registry } from "@web/core/registry";

export class RecordingPlayer extends Component {
    static template = "k2_contact_center.RecordingPlayer";
    static components = { Dialog };
    static props = { url: String, title: String, close: Function };
}

/** Plays a call's recording (the "Play" button of the call history). */
function playRecording(env, action) {
    env.services.dialog.add(RecordingPlayer, { url: action.params.url, title: action.params.title });
}

registry.category("actions").add("k2_cc_play_recording", playRecording);
