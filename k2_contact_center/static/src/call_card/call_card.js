import { Component, useState } from "@odoo/owl";
import { deserializeDateTime, formatDateTime } from "@web/core/l10n/dates";
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

const ORIGINATE_LABELS = {
    agent: _t("Ringing your phone…"),
    dialing: _t("Your phone answered: dialling…"),
    answered: _t("Answered"),
    ended: _t("Call ended"),
    failed: _t("Call failed"),
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
        this.originateLabels = ORIGINATE_LABELS;
    }

    get list() {
        return Object.values(this.cards).sort((a, b) => a.id - b.id);
    }

    openRecord(model, id) {
        this.action.doAction({
            type: "ir.actions.act_window",
            res_model: model,
            res_id: id,
            views: [[false, "form"]],
        });
    }

    openOpportunities(card) {
        this.action.doAction({
            type: "ir.actions.act_window",
            name: _t("Open opportunities of %s", card.partner.name),
            res_model: "crm.lead",
            domain: card.insight.opportunities.domain,
            views: [
                [false, "list"],
                [false, "form"],
            ],
        });
    }

    formatDate(value) {
        return value ? formatDateTime(deserializeDateTime(value)) : "";
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
