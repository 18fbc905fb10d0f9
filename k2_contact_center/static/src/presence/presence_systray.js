import { Component, useState } from "@odoo/owl";
import { Dropdown } from "@web/core/dropdown/dropdown";
import { DropdownItem } from "@web/core/dropdown/dropdown_item";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";

export class PresenceSystray extends Component {
    static template = "k2_contact_center.PresenceSystray";
    static components = { Dropdown, DropdownItem };
    static props = {};

    setup() {
        this.presenceService = useService("k2_cc_presence");
        this.presence = useState(this.presenceService.state);
        this.action = useService("action");
        this.pauseReason = useState({ id: false });
    }

    /** What a queue row says: member, paused (why), or what the PBX has yet to confirm. */
    queueStatus(row) {
        const pending = {
            join: _t("joining…"),
            leave: _t("leaving…"),
            pause: _t("pausing…"),
            resume: _t("resuming…"),
        }[row.pending];
        if (pending) {
            return pending;
        }
        if (!row.member) {
            return _t("not a member");
        }
        return row.paused ? _t("paused: %s", row.reason || _t("no reason")) : _t("taking calls");
    }

    onReasonChange(ev) {
        this.pauseReason.id = parseInt(ev.target.value);
    }

    get reasonId() {
        return this.pauseReason.id || this.presence.reasons[0]?.id || false;
    }

    get title() {
        const { state, reason } = this.presence;
        if (state === "connected") {
            return _t("Connected to the contact center");
        }
        if (state === "failing") {
            const why = reason || _t("the PBX link is down");
            return _t("Not connected: %s", why);
        }
        return _t("Not connected to the contact center");
    }

    get iconClass() {
        return {
            connected: "text-success",
            failing: "text-warning",
            off: "",
        }[this.presence.state];
    }

    openContactCenter() {
        this.action.doAction("k2_contact_center.k2_cc_home_action");
    }
}

registry
    .category("systray")
    .add("k2_contact_center.presence", { Component: PresenceSystray }, { sequence: 60 });
