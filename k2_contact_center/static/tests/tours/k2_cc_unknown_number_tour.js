import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("k2_cc_unknown_number_tour", {
    url: "/odoo",
    steps: () => [
        {
            content: "Two calls ring: open the older one's card from the stack",
            trigger: ".o_k2_cc_call_card[data-open='false'] .o_k2_cc_card_number:contains('+4930123456789')",
            run: "click",
        },
        {
            content: "A call from a number nobody has",
            trigger: ".o_k2_cc_call_card:has(.o_k2_cc_card_number:contains('+4930123456789')) .o_k2_cc_card_create_contact",
            run: "click",
        },
        {
            content: "The new contact carries the number and its country",
            trigger: ".o_form_view .o_field_widget[name='phone'] input:value('+49 30 123456789')",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='country_id'] input:value('Germany')",
        },
        {
            content: "Open the other call's card",
            trigger: ".o_k2_cc_call_card[data-open='false'] .o_k2_cc_card_number:contains('+420777000999')",
            run: "click",
        },
        {
            content: "Assign the other unknown number to an existing contact",
            trigger: ".o_k2_cc_call_card:has(.o_k2_cc_card_number:contains('+420777000999')) .o_k2_cc_card_assign",
            run: "click",
        },
        {
            trigger: ".modal .o_data_row:contains('Existing Customer') td.o_data_cell",
            run: "click",
        },
        {
            content: "The card now knows the caller",
            trigger: ".o_k2_cc_call_card .o_k2_cc_card_contact:contains('Existing Customer')",
        },
    ],
});
