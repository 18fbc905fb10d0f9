import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("k2_cc_call_card_tour", {
    url: "/odoo",
    steps: () => [
        {
            content: "The ringing call's card shows who calls",
            trigger: ".o_k2_cc_call_card[data-state='ringing'] .o_k2_cc_card_contact:contains('Antonín Dvořák')",
        },
        { trigger: ".o_k2_cc_call_card .o_k2_cc_card_kind:contains('Mobile')" },
        { trigger: ".o_k2_cc_call_card .o_k2_cc_card_partner:contains('Dvořák a syn')" },
        { trigger: ".o_k2_cc_call_card .o_k2_cc_card_type:contains('Incoming call')" },
        { trigger: ".o_k2_cc_call_card .o_k2_cc_card_user:contains('Card Agent')" },
        {
            content: "Write the note while talking",
            trigger: ".o_k2_cc_call_card .o_k2_cc_card_note",
            run: "edit Wants a quote for 20 pumps",
        },
        {
            trigger: ".o_k2_cc_call_card .o_k2_cc_card_save:enabled",
            run: "click",
        },
        { trigger: ".o_k2_cc_call_card .o_k2_cc_card_saved" },
        {
            content: "Plan a follow-up from the card",
            trigger: ".o_k2_cc_call_card .o_k2_cc_card_followup",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name='summary'] input:value('Call back Antonín Dvořák')",
        },
        {
            trigger: ".modal button[name='action_schedule']",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "Open the contact",
            trigger: ".o_k2_cc_call_card .o_k2_cc_card_contact",
            run: "click",
        },
        {
            content: "The note is on the contact's chatter",
            trigger: ".o-mail-Message:contains('Wants a quote for 20 pumps')",
        },
    ],
});
