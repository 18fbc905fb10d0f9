import { reactive } from "@odoo/owl";
import { browser } from "@web/core/browser/browser";
import { deserializeDateTime } from "@web/core/l10n/dates";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { user } from "@web/core/user";
import { session } from "@web/session";

// "transferred": the call goes on, without this agent
export const ENDED_STATES = ["ended", "missed", "transferred"];

/** Where this browser keeps the current user's cards' state (drafts, closed cards). */
export function cardStoragePrefix() {
    return `k2cc.${session.db}.${user.userId}.`;
}

/**
 * The calls of this user that are ringing, talking or just ended: one card
 * each. The server is the truth: when the web client starts (a reload, a new
 * tab, a second screen) the cards are what `cc_my_cards` answers, then the
 * "k2_cc_call" bus notifications (`{cards: [...]}`) update them. Every card carries the
 * call's version (its last write): the bus replays what it sent before a tab
 * started, and nothing older than what a card already shows may win.
 *
 * The note being typed is a draft in the browser's storage, keyed by call, so
 * a reload or another tab of the same browser finds it; closed cards are
 * remembered the same way, so a reload does not bring them back.
 */
export const callCardService = {
    dependencies: ["bus_service", "orm", "notification"],

    start(env, { bus_service, orm, notification }) {
        const cards = reactive({});
        // ``chosen``: the card the agent opened by hand (else the active call's is open)
        const state = reactive({ chosen: null, showAll: false });
        const versions = {}; // call id -> the newest version this screen knows of
        let horizon = "";
        const storage = browser.localStorage;
        const prefix = cardStoragePrefix();
        const closedKey = `${prefix}closed`;
        const toastedKey = `${prefix}toasted`;
        const draftKey = (id) => `${prefix}draft.${id}`;
        // how long an ended call's card stays on a screen that lives on: as long as
        // a new screen would be given it (what cc_my_cards answers)
        let endedWindowMs = 10 * 60 * 1000;

        /** Call id -> version, kept in the browser's storage under ``key``. */
        function remembered(key) {
            try {
                return JSON.parse(storage.getItem(key)) || {};
            } catch {
                return {};
            }
        }

        function remember(key, calls) {
            const known = remembered(key);
            for (const call of calls) {
                known[call.id] = call.version;
            }
            // what is older than the horizon never comes back anyway
            for (const [id, version] of Object.entries(known)) {
                if (version < horizon) {
                    delete known[id];
                }
            }
            storage.setItem(key, JSON.stringify(known));
        }

        const closedCards = () => remembered(closedKey);
        const rememberClosed = (closing) => remember(closedKey, closing);

        /** One toast a missed call in this browser, whether it came live or at start. */
        function toastMissed(payload) {
            if (payload.state !== "missed" || remembered(toastedKey)[payload.id]) {
                return;
            }
            remember(toastedKey, [payload]);
            notification.add(_t("Missed call from %s", payload.contact ? payload.contact.name : payload.number), {
                type: "warning",
                title: _t("Missed call"),
            });
        }

        function keepDraft(id, text) {
            if (text && text.trim()) {
                storage.setItem(draftKey(id), text);
            } else {
                storage.removeItem(draftKey(id));
            }
        }

        function forget(ids, { remember = true } = {}) {
            const closing = ids.map((id) => cards[id]).filter(Boolean);
            if (remember && closing.length) {
                rememberClosed(closing);
            }
            for (const card of closing) {
                if (ENDED_STATES.includes(card.state)) {
                    keepDraft(card.id, ""); // its note will not be written any more
                }
                delete cards[card.id];
            }
        }

        function close(id) {
            forget([id]);
        }

        function closeEnded() {
            forget(Object.values(cards).filter((card) => ENDED_STATES.includes(card.state)).map((card) => card.id));
        }

        async function loadInsight(id) {
            const card = cards[id];
            card.insight = {};
            card.insight = await orm.call("k2.cc.call", "cc_card_insight", [[id]]);
        }

        /** Show or update the card of ``payload``; false when a line switch closes it. */
        function show(payload, { atStart = false } = {}) {
            if (payload.answered_elsewhere) {
                // a colleague answered a call that rang this agent too (the server tells)
                forget([payload.id], { remember: false });
                return false;
            }
            const known = cards[payload.id];
            // a call handed over to this agent comes with the note written so far
            const handedNote = payload.handover && payload.handover.by_id !== user.userId ? payload.handover.note : "";
            const card = known || {
                note: storage.getItem(draftKey(payload.id)) || handedNote || "",
                saved: false,
                firstSeen: Date.now(),
            };
            const wasEnded = known && ENDED_STATES.includes(known.state);
            cards[payload.id] = Object.assign(card, payload, { saved: card.saved || payload.note_saved });
            const ended = ENDED_STATES.includes(payload.state);
            if (ended && !wasEnded) {
                // the wrap-up starts when this screen learns of the end; a screen that
                // starts (a reload) goes on with it from the call's end, not anew
                const end = atStart && payload.end ? deserializeDateTime(payload.end).toMillis() : NaN;
                card.endedAt = Math.min(Date.now(), end || Date.now());
            }
            if (payload.partner && !card.insight) {
                loadInsight(payload.id);
            }
            if (
                (payload.state === "missed" && payload.autoclose_missed) ||
                (ended && payload.autoclose_calls && !card.note.trim())
            ) {
                forget([payload.id]);
                return false;
            }
            return true;
        }

        function onNotification(payload) {
            const card = cards[payload.id];
            const known = card ? card.version : versions[payload.id];
            if (known && payload.version < known) {
                return; // older than what this screen shows
            }
            if (!card && ((known && payload.version === known) || payload.version < horizon)) {
                return; // a replay of what the start already decided (shown, closed or left out)
            }
            versions[payload.id] = payload.version;
            const isNew = !card;
            show(payload);
            const chosen = cards[state.chosen];
            const handingOver = chosen && chosen.handover && chosen.handover.by_id === user.userId;
            if (isNew && cards[payload.id] && !ENDED_STATES.includes(payload.state) && !handingOver) {
                // a new call comes on top; the one the agent just dialled opens; but the caller the
                // agent is handing over stays open, not the consultation's own card
                state.chosen = payload.originate ? payload.id : null;
            }
            toastMissed(payload);
        }

        /** Ids of the calls this browser holds a draft note of. */
        function draftedIds() {
            const ids = [];
            for (let index = 0; index < storage.length; index++) {
                const key = storage.key(index);
                if (key && key.startsWith(`${prefix}draft.`)) {
                    ids.push(Number(key.slice(`${prefix}draft.`.length)));
                }
            }
            return ids.filter((id) => Number.isInteger(id) && id > 0);
        }

        async function load() {
            const drafted = draftedIds();
            // a draft survives the wrap-up window: the server gives its call back however old
            const answer = await orm.silent.call("k2.cc.call", "cc_my_cards", [drafted]);
            horizon = answer.horizon || "";
            endedWindowMs = (answer.window_seconds || 600) * 1000;
            Object.assign(versions, answer.seen);
            const closed = closedCards();
            for (const payload of answer.cards) {
                if (!(closed[payload.id] && closed[payload.id] >= payload.version)) {
                    // a call missed while no screen of this browser was open is told once
                    toastMissed(payload);
                    show(payload, { atStart: true });
                }
            }
            // a draft of a call the server no longer gives (its note saved elsewhere, not this
            // user's call any more) would never be written: it goes
            const given = new Set(answer.cards.map((payload) => payload.id));
            for (const id of drafted) {
                if (!given.has(id)) {
                    keepDraft(id, "");
                }
            }
        }

        /**
         * Ended cards leave a screen that lives on once a new screen would not show
         * them any more (the start's window), unless a note is being written on them.
         */
        function dropOldEnded() {
            const old = Date.now() - endedWindowMs;
            const gone = Object.values(cards).filter(
                (card) =>
                    ENDED_STATES.includes(card.state) &&
                    card.endedAt < old &&
                    (card.saved || !card.note.trim()) &&
                    state.chosen !== card.id
            );
            if (gone.length) {
                forget(gone.map((card) => card.id), { remember: false });
            }
        }
        browser.setInterval(dropOldEnded, 30 * 1000);

        // Notifications wait for the start's answer: it decides what they replay.
        const loaded = load().catch((error) => console.warn("Call cards could not be loaded:", error));
        // one message holds the cards of one batch of the bridge, in the order the calls changed
        bus_service.subscribe("k2_cc_call", ({ cards: changed }) =>
            loaded.then(() => changed.forEach(onNotification))
        );
        bus_service.start();

        // Another tab of this browser typed a note or closed cards.
        browser.addEventListener("storage", (ev) => {
            if (ev.key === closedKey) {
                const closed = closedCards();
                const gone = Object.values(cards).filter((card) => closed[card.id] && closed[card.id] >= card.version);
                forget(gone.map((card) => card.id), { remember: false });
            } else if (ev.key && ev.key.startsWith(`${prefix}draft.`)) {
                const card = cards[ev.key.slice(`${prefix}draft.`.length)];
                if (card && !card.saved) {
                    card.note = ev.newValue || "";
                }
            }
        });

        async function saveNote(id) {
            const card = cards[id];
            await orm.call("k2.cc.call", "cc_save_note", [[id], card.note]);
            card.saved = true;
            keepDraft(id, "");
            notification.add(_t("Note saved on the contact"), { type: "success" });
        }

        /** What the server answers after the agent acted on the card: the card as it is now. */
        async function act(id, method, args) {
            const answer = await orm.call("k2.cc.call", method, [[id], ...args]);
            const card = cards[id];
            if (!card) {
                return;
            }
            versions[id] = answer.version;
            Object.assign(card, answer, { saved: card.saved || answer.note_saved });
            if (card.partner) {
                await loadInsight(id);
            }
        }

        const transferTargets = (id) => orm.call("k2.cc.call", "cc_transfer_targets", [id]);

        /** Hand the call over; the note written so far goes with it. */
        async function transfer(id, kind, target, mode) {
            const card = cards[id];
            await act(id, "cc_transfer", [kind, target, mode, card ? card.note : ""]);
            if (mode === "blind") {
                keepDraft(id, "");
            }
        }

        async function endConsultation(id, complete) {
            await act(id, complete ? "cc_transfer_complete" : "cc_transfer_cancel", []);
            if (complete) {
                keepDraft(id, "");
            }
        }

        const assignNumber = (id, partnerId, kind = "cc") => act(id, "cc_assign_number", [partnerId, kind]);
        const pickContact = (id, partnerId) => act(id, "cc_pick_contact", [partnerId]);
        const convertLead = (id) => act(id, "cc_convert_lead", []);

        return {
            cards, state, loaded, close, closeEnded, keepDraft, saveNote, assignNumber, pickContact, convertLead,
            transferTargets, transfer, endConsultation,
        };
    },
};

registry.category("services").add("k2_cc_call_cards", callCardService);
