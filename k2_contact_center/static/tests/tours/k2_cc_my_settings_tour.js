import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

registry.category("web_tour.tours").add("k2_cc_my_settings_tour", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the Contact Center home",
            trigger: ".o_app[data-menu-xmlid='k2_contact_center.k2_cc_menu_root']",
            run: "click",
        },
        {
            content: "Open My settings",
            trigger: ".o_k2_cc_home .o_k2_cc_home_settings_toggle",
            run: "click",
        },
        {
            content: "Missed-call notifications are on, auto-close missed calls is off",
            trigger: ".o_k2_cc_home_settings input[name='notify_missed']:checked",
        },
        {
            content: "Close the cards of missed calls by themselves",
            trigger: ".o_k2_cc_home_settings input[name='autoclose_missed']:not(:checked)",
            run: "click",
        },
        {
            content: "The switch is saved: the panel reads it back on",
            trigger: ".o_k2_cc_home_settings input[name='autoclose_missed']:checked",
        },
        {
            content: "A longer wrap-up time for the note after a call: typed, then the field is left",
            trigger: ".o_k2_cc_home_settings input[name='wrapup_seconds']",
            run() {
                const input = document.querySelector(".o_k2_cc_home_settings input[name='wrapup_seconds']");
                input.value = "75";
                input.dispatchEvent(new Event("input", { bubbles: true }));
                input.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        {
            content: "The wrap-up time is saved: the panel reads it back",
            trigger: ".o_k2_cc_home_settings input[name='wrapup_seconds'][data-saved='75']",
        },
        {
            content: "Open my preferences",
            trigger: ".o_user_menu .dropdown-toggle",
            run: "click",
        },
        {
            trigger: ".dropdown-item[data-menu='settings']",
            run: "click",
        },
        {
            content: "The Contact Center tab of my preferences",
            trigger: ".modal .o_notebook .nav-link:contains('Contact Center')",
            run: "click",
        },
        {
            content: "My line reads the switch set on the home screen",
            trigger: ".modal .o_k2_cc_my_lines .o_data_row td[name='autoclose_missed'] input:checked",
        },
        {
            content: "Connect at login (a click on the cell edits the row and ticks it)",
            trigger: ".modal .o_k2_cc_my_lines .o_data_row td[name='autoconnect']",
            run: "click",
        },
        {
            trigger: ".modal .o_k2_cc_my_lines .o_data_row td[name='autoconnect'] input:checked",
        },
        {
            content: "Save my preferences",
            trigger: ".modal .modal-footer button[name='preference_save']",
            run: "click",
        },
        {
            content: "Saved, the page reloads with my preferences: the home again, its panel closed",
            trigger: "body:not(:has(.modal)) .o_k2_cc_home:not(:has(.o_k2_cc_home_settings)) .o_k2_cc_home_settings_toggle",
            run: "click",
        },
        {
            content: "My settings read what the preferences saved",
            trigger: ".o_k2_cc_home_settings input[name='autoconnect']:checked",
        },
    ],
});
