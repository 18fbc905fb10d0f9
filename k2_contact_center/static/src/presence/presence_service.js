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
        const state = reactive({
            isAgent: false,
            loaded: false,
            wanted: false,
            state: "off",
            reason: "",
            // the user's queues as the PBX confirmed them, and the pause reasons
            queues: [],
            reasons: [],
        });
        const apply = (presence) => Object.assign(state, presence, { loaded: true });
        const call = async (method) => apply(await orm.call("res.users", method, [[user.userId]]));

        // Loaded when the menu opens (not with every page), then kept current.
        let queuesWanted = false;
        const loadQueues = async () => {
            queuesWanted = true;
            const { queues, reasons } = await orm.silent.call("k2.cc.queue.member", "cc_my_queues", []);
            Object.assign(state, { queues, reasons });
        };
        const queuesChanged = () => queuesWanted && loadQueues();
        // what a member does is written by the PBX's confirming event: reload then
        const member = async (method, memberId, kwargs = {}) => {
            try {
                await orm.call("k2.cc.queue.member", method, [[memberId]], kwargs);
            } finally {
                await loadQueues();
            }
        };

        bus_service.subscribe("k2_cc_presence", apply);
        bus_service.subscribe("k2_cc_queues", queuesChanged);
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
            loadQueues,
            join: async (row) => {
                try {
                    await orm.call("k2.cc.queue.member", "cc_join", [row.queue_id, row.line_id]);
                } finally {
                    await loadQueues();
                }
            },
            leave: (row) => member("cc_leave", row.id),
            pause: (row, reasonId) => member("cc_pause", row.id, { reason_id: reasonId || false }),
            resume: (row) => member("cc_resume", row.id),
        };
    },
};

registry.category("services").add("k2_cc_presence", presenceService);
