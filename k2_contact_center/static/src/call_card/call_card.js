import { Component, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { SelectCreateDialog } from "@web/views/view_dialogs/select_create_dialog";

const STATE_LABELS = {
    ringing: _t("Ringing"),
    talking: _t("Talking"),
    ended: _t("Ended"),
    missed: _t("Missed"),
};
const KIND_LABELS = {
    cc: _t("Contact-center line"),
    mobile: _t("Mobile"),
    phone: _t("Phone"),
    other: _t("Other"),
};

export class CallCards extends Component {
    static template = "k2_contact_center.CallCards";
    static props = {};

    setup() {
        this.service = useService("k2_cc_call_cards");
        this.cards = useState(this.service.cards);
        this.action = useService("action");
        this.dialog = useService("dialog");
        this.stateLabels = STATE_LABELS;
        this.kindLabels = KIND_LABELS;
    }

    get list() {
        return Object.values(this.cards).sort((a, b) => a.id - b.id);
    }

    openPartner(partner) {
        this.action.doAction({
            type: "ir.actions.act_window",
            res_model: "res.partner",
            res_id: partner.id,
            views: [[false, "form"]],
        });
    }

    createContact(card) {
        this.action.doAction({
            type: "ir.actions.act_window",
            res_model: "res.partner",
            views: [[false, "form"]],
            context: { default_phone: card.number, default_country_id: card.country_id || false },
        });
    }

    assignToContact(card) {
        this.dialog.add(SelectCreateDialog, {
            title: _t("Assign %s to a contact", card.number),
            resModel: "res.partner",
            multiSelect: false,
            noCreate: true,
            onSelected: ([partnerId]) => this.service.assignNumber(card.id, partnerId),
        });
    }

    scheduleFollowup(card) {
        this.action.doAction("k2_contact_center.k2_cc_followup_wizard_action", {
            additionalContext: { default_call_id: card.id, active_id: card.id },
        });
    }

    async save(card) {
        await this.service.saveNote(card.id);
    }
}

registry.category("main_components").add("k2_contact_center.CallCards", { Component: CallCards });
