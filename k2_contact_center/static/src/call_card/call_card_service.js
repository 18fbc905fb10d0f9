import { reactive } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";

/**
 * The calls of this user that are ringing, talking or just ended, as the
 * server announces them ("k2_cc_call" bus notifications): one card each.
 */
export const callCardService = {
    dependencies: ["bus_service", "orm", "notification"],

    start(env, { bus_service, orm, notification }) {
        const cards = reactive({});

        function close(id) {
            delete cards[id];
        }

        async function loadInsight(id) {
            const card = cards[id];
            card.insight = {};
            card.insight = await orm.call("k2.cc.call", "cc_card_insight", [[id]]);
        }

        bus_service.subscribe("k2_cc_call", (payload) => {
            const card = cards[payload.id] || { note: "", saved: false };
            cards[payload.id] = Object.assign(card, payload, { receivedAt: Date.now() });
            if (payload.partner && !card.insight) {
                loadInsight(payload.id);
            }
            const ended = payload.state === "ended" || payload.state === "missed";
            if (payload.state === "missed") {
                notification.add(_t("Missed call from %s", payload.contact ? payload.contact.name : payload.number), {
                    type: "warning",
                    title: _t("Missed call"),
                });
            }
            if (payload.state === "missed" && payload.autoclose_missed) {
                close(payload.id);
            } else if (ended && payload.autoclose_calls && !card.note.trim()) {
                close(payload.id);
            }
        });
        bus_service.start();

        async function saveNote(id) {
            const card = cards[id];
            await orm.call("k2.cc.call", "cc_save_note", [[id], card.note]);
            card.saved = true;
            notification.add(_t("Note saved on the contact"), { type: "success" });
        }

        async function assignNumber(id, partnerId) {
            await orm.call("k2.cc.call", "cc_assign_number", [[id], partnerId]);
            const [contact] = await orm.read("res.partner", [partnerId], ["display_name", "commercial_partner_id"]);
            Object.assign(cards[id], {
                contact: { id: partnerId, name: contact.display_name },
                partner: { id: contact.commercial_partner_id[0], name: contact.commercial_partner_id[1] },
                match_kind: "cc",
            });
            await loadInsight(id);
        }

        return { cards, close, saveNote, assignNumber };
    },
};

registry.category("services").add("k2_cc_call_cards", callCardService);
