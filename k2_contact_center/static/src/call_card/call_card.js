import { Component, onMounted, onWillUnmount, useState } from "@odoo/owl";
import { deserializeDateTime, formatDateTime } from "@web/core/l10n/dates";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { user } from "@web/core/user";
import { useService } from "@web/core/utils/hooks";
import { AGENT_STATES } from "../views/agent_states";
import { ENDED_STATES } from "./call_card_service";
import { SelectCreateDialog } from "@web/views/view_dialogs/select_create_dialog";

const STATE_LABELS = {
    ringing: _t("Ringing"),
    talking: _t("Talking"),
    ended: _t("Ended"),
    missed: _t("Missed"),
    transferred: _t("Transferred"),
};

const KIND_LABELS = {
    cc: _t("Contact-center line"),
    mobile: _t("Mobile"),
    phone: _t("Phone"),
    other: _t("Other"),
};

const IDENTITY_LABELS = {
    contact: _t("Contact"),
    colleague: _t("Colleague"),
    employee: _t("Employee"),
    lead: _t("Lead"),
};

const ORIGINATE_LABELS = {
    agent: _t("Ringing your phone…"),
    dialing: _t("Your phone answered: dialling…"),
    answered: _t("Answered"),
    ended: _t("Call ended"),
    failed: _t("Call failed"),
};

// the open card and a few collapsed ones; a counter tells of the others
const MAX_VISIBLE = 5;

export class CallCards extends Component {
    static template = "k2_contact_center.CallCards";
    static props = {};

    setup() {
        this.service = useService("k2_cc_call_cards");
        this.cards = useState(this.service.cards);
        this.stack = useState(this.service.state);
        this.maxVisible = MAX_VISIBLE;
        // durations and wrap-ups move on every second
        this.clock = useState({ now: Date.now() });
        let timer;
        onMounted(() => {
            timer = setInterval(() => (this.clock.now = Date.now()), 1000);
        });
        onWillUnmount(() => clearInterval(timer));
        this.action = useService("action");
        this.dialog = useService("dialog");
        this.stateLabels = STATE_LABELS;
        this.kindLabels = KIND_LABELS;
        this.identityLabels = IDENTITY_LABELS;
        // the kind of number the caller's number is added as, per card
        this.numberKinds = useState({});
        this.originateLabels = ORIGINATE_LABELS;
        this.colleagueLabels = AGENT_STATES;
        this.userId = user.userId;
        // the transfer panel of each card: open, what is searched, whom it offers
        this.transferPanels = useState({});
    }

    panel(card) {
        return this.transferPanels[card.id] || { open: false, query: "", number: "", targets: null };
    }

    async toggleTransfer(card) {
        const panel = this.panel(card);
        this.transferPanels[card.id] = { ...panel, open: !panel.open };
        if (!panel.open) {
            // the colleagues' states as they are now, at each opening
            this.transferPanels[card.id].targets = await this.service.transferTargets(card.id);
        }
    }

    /** The colleagues whose name or extension holds what was typed, free ones first. */
    colleagues(card) {
        const panel = this.panel(card);
        const query = panel.query.trim().toLowerCase();
        const rank = (colleague) => (colleague.state === "free" ? 0 : 1);
        return ((panel.targets && panel.targets.colleagues) || [])
            .filter((colleague) => !query || `${colleague.name} ${colleague.extension}`.toLowerCase().includes(query))
            .sort((a, b) => rank(a) - rank(b));
    }

    queues(card) {
        const panel = this.panel(card);
        const query = panel.query.trim().toLowerCase();
        return ((panel.targets && panel.targets.queues) || []).filter(
            (queue) => !query || queue.name.toLowerCase().includes(query)
        );
    }

    // the card the agent acts on stays open, whatever the consultation's own card does
    async transfer(card, kind, target, mode) {
        this.stack.chosen = card.id;
        await this.service.transfer(card.id, kind, target, mode);
        delete this.transferPanels[card.id];
    }

    async endConsultation(card, complete) {
        this.stack.chosen = card.id;
        await this.service.endConsultation(card.id, complete);
    }

    isConsulting(card) {
        return Boolean(
            card.handover && card.handover.state === "consulting" && card.handover.by_id === this.userId
        );
    }

    handedToMe(card) {
        return Boolean(card.handover && card.handover.by && card.handover.by_id !== this.userId);
    }

    /**
     * The cards, the open one first (the card the agent opened, else the
     * active call's: talking before ringing, newest first, else an ended call
     * still in its wrap-up or with a note being written), then the others
     * collapsed to one line each, live calls before ended ones.
     */
    get list() {
        // a call handed to this agent comes before the consultation that announced it
        const rank = (card) =>
            card.state === "talking" ? (this.handedToMe(card) ? 0 : 1) : card.state === "ringing" ? 2 : 3;
        const cards = Object.values(this.cards).sort((a, b) => rank(a) - rank(b) || b.id - a.id);
        // while the agent consults a colleague, the caller's card stays open (not the consultation's)
        const open =
            this.cards[this.stack.chosen] ||
            cards.find((card) => this.isConsulting(card) && card.state === "talking") ||
            cards.find((card) => this.mayStayOpen(card));
        return open ? [open, ...cards.filter((card) => card !== open)] : cards;
    }

    mayStayOpen(card) {
        if (!ENDED_STATES.includes(card.state)) {
            return true;
        }
        const inWrapup = this.clock.now - card.endedAt < (card.wrapup_seconds ?? 60) * 1000;
        return inWrapup || Boolean(!card.saved && card.note.trim());
    }

    /** At most a handful of cards on screen; a counter for the rest. */
    get visible() {
        const list = this.list;
        return this.stack.showAll ? list : list.slice(0, MAX_VISIBLE);
    }

    get hiddenCount() {
        return this.list.length - this.visible.length;
    }

    get hasEnded() {
        return Object.values(this.cards).some((card) => ENDED_STATES.includes(card.state));
    }

    isOpen(card) {
        const list = this.list;
        return list[0] === card && (this.cards[this.stack.chosen] === card || this.mayStayOpen(card));
    }

    open(card) {
        this.stack.chosen = card.id;
    }

    /** How long the call has rung, talked or (once ended) lasted, as h:mm:ss. */
    duration(card) {
        let seconds;
        if (ENDED_STATES.includes(card.state)) {
            seconds = card.talk_duration;
        } else {
            const since = card.state === "talking" && card.answer_time ? card.answer_time : card.start;
            seconds = since ? (this.clock.now - deserializeDateTime(since).toMillis()) / 1000 : 0;
        }
        seconds = Math.max(Math.floor(seconds || 0), 0);
        const [h, m, s] = [Math.floor(seconds / 3600), Math.floor(seconds / 60) % 60, seconds % 60];
        const pad = (value) => String(value).padStart(2, "0");
        return h ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
    }

    onNoteInput(card, ev) {
        this.service.keepDraft(card.id, ev.target.value);
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
            onSelected: ([partnerId]) => this.service.assignNumber(card.id, partnerId, this.numberKind(card)),
        });
    }

    numberKind(card) {
        return this.numberKinds[card.id] || "cc";
    }

    addNumber(card) {
        return this.service.assignNumber(card.id, card.contact.id, this.numberKind(card));
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
