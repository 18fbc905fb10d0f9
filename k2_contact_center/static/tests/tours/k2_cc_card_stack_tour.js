import { browser } from "@web/core/browser/browser";
import { rpc } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";
import { cardStoragePrefix } from "@k2_contact_center/call_card/call_card_service";

/** Driven by tests/test_card_stack_ui.py: the calls are in the database before the page loads. */
registry.category("web_tour.tours").add("k2_cc_card_reload_tour", {
    url: "/odoo",
    steps: () => [
        {
            content: "The talking call's card is open",
            trigger: ".o_k2_cc_call_card[data-state='talking'][data-open='true'] .o_k2_cc_card_contact:contains('Antonín Dvořák')",
        },
        {
            trigger: ".o_k2_cc_call_card[data-state='talking'] .o_k2_cc_card_note",
            run: "edit Wants 20 pumps by Friday",
        },
        {
            content: "Reload the page in the middle of the call",
            trigger: ".o_k2_cc_call_card[data-state='talking'] .o_k2_cc_card_note",
            run: () => window.location.reload(),
        },
        {
            content: "The card and its draft note are back",
            trigger: ".o_k2_cc_call_card[data-state='talking'] .o_k2_cc_card_note:value('Wants 20 pumps by Friday')",
        },
        {
            content: "One card of the call, none of the calls ended long ago, with their note or a colleague answered",
            trigger: ".o_k2_cc_call_card[data-state='ended']",
            run() {
                const numbers = [...document.querySelectorAll(".o_k2_cc_call_card .o_k2_cc_card_number")].map((n) => n.textContent);
                if (numbers.join(",") !== "+420601123456,+420602987654") {
                    throw new Error(`unexpected cards: ${numbers}`);
                }
            },
        },
    ],
});

registry.category("web_tour.tours").add("k2_cc_card_stack_tour", {
    url: "/odoo",
    steps: () => [
        {
            content: "Only the active call's card is open, the others are one line each",
            trigger: ".o_k2_cc_call_card[data-open='true'][data-state='talking'] .o_k2_cc_card_number:contains('+420601000006')",
        },
        {
            trigger: ".o_k2_cc_call_cards:not(:has(.o_k2_cc_call_card[data-open='true'] ~ .o_k2_cc_call_card[data-open='true']))",
        },
        {
            content: "At most five cards, a counter for the rest",
            trigger: ".o_k2_cc_more:contains('+2')",
        },
        {
            trigger: ".o_k2_cc_call_card[data-open='false'][data-state='ringing'] .o_k2_cc_card_number:contains('+420601000004')",
            run: "click",
        },
        {
            content: "A click opens a collapsed card",
            trigger: ".o_k2_cc_call_card[data-open='true'] .o_k2_cc_card_number:contains('+420601000004')",
        },
        {
            trigger: ".o_k2_cc_close_ended",
            run: "click",
        },
        {
            content: "The ended calls are gone, the live ones stay",
            trigger: "body:not(:has(.o_k2_cc_call_card[data-state='ended'])):not(:has(.o_k2_cc_more))",
        },
        { trigger: ".o_k2_cc_call_card[data-state='talking'] .o_k2_cc_card_number:contains('+420601000006')" },
    ],
});

registry.category("web_tour.tours").add("k2_cc_card_old_draft_tour", {
    url: "/odoo",
    steps: () => [
        {
            content: "The call that ended an hour ago is not on the stack",
            trigger: ".o_k2_cc_call_card[data-state='talking']",
            async run() {
                if (document.querySelector(".o_k2_cc_call_card[data-state='ended']")) {
                    throw new Error("an ended call from long ago is on the stack");
                }
                // as the browser kept it since the agent typed it during that call
                const [id] = await rpc("/web/dataset/call_kw/k2.cc.call/search", {
                    model: "k2.cc.call",
                    method: "search",
                    args: [[["pbx_call_id", "=", "draft.1"]]],
                    kwargs: {},
                });
                browser.localStorage.setItem(`${cardStoragePrefix()}draft.${id}`, "Call back about the invoice");
                window.location.reload();
            },
        },
        {
            content: "After a reload the ended call's card is back; the agent opens it",
            trigger: ".o_k2_cc_call_card[data-state='ended'] .o_k2_cc_card_header:contains('+420606000006')",
            run: "click",
        },
        {
            content: "Its draft is there",
            trigger: ".o_k2_cc_call_card[data-state='ended'] .o_k2_cc_card_note:value('Call back about the invoice')",
        },
        {
            trigger: ".o_k2_cc_call_card[data-state='ended'] .o_k2_cc_card_save:enabled",
            run: "click",
        },
        { trigger: ".o_k2_cc_call_card[data-state='ended'] .o_k2_cc_card_saved" },
    ],
});
