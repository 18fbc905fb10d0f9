import { reactive } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { user } from "@web/core/user";

/**
 * The user's contact-center status (the seed's green / white / orange icon):
 * loaded at start, kept current by the server's "k2_cc_presence" bus
 * notifications, so every open tab shows the same and a reload loses nothing.
 */
export const presenceService = {
    dependencies: ["bus_service", "orm"],

    start(env, { bus_service, orm }) {
        const state = reactive({ isAgent: false, loaded: false, wanted: false, state: "off", reason: "" });
        const apply = (presence) => Object.assign(state, presence, { loaded: true });
        const call = async (method) => apply(await orm.call("res.users", method, [[user.userId]]));

        bus_service.subscribe("k2_cc_presence", apply);
        bus_service.start();
        user.hasGroup("k2_contact_center.group_k2_cc_user").then((isAgent) => {
            state.isAgent = isAgent;
            if (isAgent) {
                call("cc_get_presence");
            }
        });
        return {
            state,
            refresh: () => call("cc_get_presence"),
            connect: () => call("cc_connect"),
            disconnect: () => call("cc_disconnect"),
        };
    },
};

registry.category("services").add("k2_cc_presence", presenceService);
