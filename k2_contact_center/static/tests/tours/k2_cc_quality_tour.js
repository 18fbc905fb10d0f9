import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

function openQualityDashboard(title, xmlid, firstView) {
    return [
        {
            content: `Open ${title}`,
            trigger: ".o_menu_sections [data-menu-xmlid='k2_contact_center.k2_cc_menu_reporting']",
            run: "click",
        },
        {
            trigger: `.dropdown-menu .dropdown-item[data-menu-xmlid='k2_contact_center.${xmlid}']`,
            run: "click",
        },
        { trigger: `.o_breadcrumb:contains('${title}')` },
        {
            trigger:
                firstView === "graph"
                    ? ".o_graph_view .o_graph_renderer canvas"
                    : ".o_pivot_view .o_pivot table td.o_pivot_cell_value",
        },
    ];
}

registry.category("web_tour.tours").add("k2_cc_quality_tour", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the Contact Center: the service level of today",
            trigger: ".o_app[data-menu-xmlid='k2_contact_center.k2_cc_menu_root']",
            run: "click",
        },
        { trigger: ".o_k2_cc_home .o_k2_cc_home_scopes button[data-scope='team']", run: "click" },
        { trigger: ".o_k2_cc_home_sl:contains('50.0 %')" },
        { trigger: ".o_k2_cc_home_sl_card:contains('4 offered calls')" },
        {
            content: "One caller to call back",
            trigger: ".o_k2_cc_home_callbacks:contains('1')",
            run: "click",
        },
        { trigger: ".o_breadcrumb:contains('Callbacks')" },
        { trigger: ".o_list_view .o_data_row:contains('Dvořák')" },
        {
            content: "Call back in one click",
            trigger: ".o_list_view .o_data_row:contains('Dvořák') button.o_k2_cc_call_back",
            run: "click",
        },
        ...openQualityDashboard("Service Level", "k2_cc_quality_report_menu_day", "graph"),
        { trigger: ".o_switch_view.o_pivot", run: "click" },
        { trigger: ".o_pivot_view .o_pivot table td.o_pivot_cell_value:contains('50.0')" },
        ...openQualityDashboard("Service Level by Hour", "k2_cc_quality_report_menu_hour", "graph"),
        ...openQualityDashboard("Queues", "k2_cc_quality_report_menu_queue", "pivot"),
        { trigger: ".o_pivot_view th:contains('Support')" },
        ...openQualityDashboard("Queue Agents", "k2_cc_queue_agent_report_menu", "pivot"),
        ...openQualityDashboard("Callbacks", "k2_cc_callback_report_menu", "pivot"),
    ],
});

registry.category("web_tour.tours").add("k2_cc_callback_closed_tour", {
    url: "/odoo/contact-center-callbacks",
    steps: () => [
        {
            content: "Answered: the caller left the list of those to call back",
            trigger: ".o_list_view .o_view_nocontent, .o_list_view:not(:has(.o_data_row:contains('Dvořák')))",
        },
        { trigger: ".o_searchview_facet:contains('To Call Back') .o_facet_remove", run: "click" },
        { trigger: ".o_list_view .o_data_row:contains('Dvořák'):contains('Called Back')" },
    ],
});
