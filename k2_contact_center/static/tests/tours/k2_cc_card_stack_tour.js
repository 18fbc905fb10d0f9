import { registry } from "@web/core/registry";

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
