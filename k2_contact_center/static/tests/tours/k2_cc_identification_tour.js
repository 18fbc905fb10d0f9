import { registry } from "@web/core/registry";

/** Driven by tests/test_ui.py (TestCallCardUi): a number two contacts share. */
registry.category("web_tour.tours").add("k2_cc_shared_number_tour", {
    url: "/odoo",
    steps: () => [
        {
            content: "The card lists both contacts of the number, the best one chosen",
            trigger: ".o_k2_cc_call_card .o_k2_cc_card_candidate[data-chosen='true']:contains('Karel Novák')",
        },
        {
            trigger: ".o_k2_cc_call_card .o_k2_cc_card_candidate[data-chosen='false']:contains('Eva Nováková') .o_k2_cc_card_pick",
            run: "click",
        },
        {
            content: "The agent's pick is the call's contact",
            trigger: ".o_k2_cc_call_card .o_k2_cc_card_contact:contains('Eva Nováková')",
        },
        {
            trigger: ".o_k2_cc_call_card .o_k2_cc_card_candidate[data-chosen='true']:contains('Eva Nováková')",
        },
        {
            trigger: ".o_k2_cc_call_card .o_k2_cc_card_note",
            run: "edit Orders for the whole office",
        },
        {
            trigger: ".o_k2_cc_call_card .o_k2_cc_card_save",
            run: "click",
        },
        {
            content: "The note is saved on the picked contact",
            trigger: ".o_k2_cc_call_card .o_k2_cc_card_saved",
        },
    ],
});

/** A number found on an open lead: the card says so and converts it. */
registry.category("web_tour.tours").add("k2_cc_lead_tour", {
    url: "/odoo",
    steps: () => [
        {
            content: "The caller is a lead, and the card says which",
            trigger: ".o_k2_cc_call_card .o_k2_cc_card_identity[data-what='lead']:contains('Pumps for the brewery')",
        },
        {
            trigger: ".o_k2_cc_call_card .o_k2_cc_card_convert_lead",
            run: "click",
        },
        {
            content: "The lead's person is now the call's contact",
            trigger: ".o_k2_cc_call_card .o_k2_cc_card_contact:contains('Jiří Král')",
        },
        {
            content: "The note can be written now",
            trigger: ".o_k2_cc_call_card .o_k2_cc_card_note",
        },
    ],
});
