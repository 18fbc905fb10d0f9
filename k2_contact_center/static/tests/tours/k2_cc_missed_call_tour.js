import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("k2_cc_missed_call_tour", {
    url: "/odoo",
    steps: () => [
        {
            content: "A toast tells of the missed call",
            trigger: ".o_notification:contains('Missed call from Věra Šťastná')",
        },
        {
            content: "Its card says missed",
            trigger: ".o_k2_cc_call_card[data-state='missed'] .o_k2_cc_card_contact:contains('Věra Šťastná')",
        },
        {
            content: "The inbox holds the notice",
            trigger: ".o_menu_systray i[aria-label='Messages'], .o_menu_systray .fa-comments",
            run: "click",
        },
        {
            trigger: ".o-mail-NotificationItem:contains('Missed call from +420602987654')",
        },
    ],
});
