import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

function openDashboard(menu, title, xmlid) {
    return [
        {
            content: `Open ${menu}`,
            trigger: ".o_menu_sections [data-menu-xmlid='k2_contact_center.k2_cc_menu_reporting']",
            run: "click",
        },
        {
            trigger: `.dropdown-menu .dropdown-item[data-menu-xmlid='k2_contact_center.${xmlid}']`,
            run: "click",
        },
        {
            content: `${menu}: the graph is drawn`,
            trigger: `.o_breadcrumb:contains('${title}')`,
        },
        { trigger: ".o_graph_view .o_graph_renderer canvas" },
        {
            content: `${menu}: the pivot beside it`,
            trigger: ".o_switch_view.o_pivot",
            run: "click",
        },
        { trigger: ".o_pivot_view .o_pivot table td.o_pivot_cell_value" },
    ];
}

registry.category("web_tour.tours").add("k2_cc_dashboards_tour", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the Contact Center app: its home screen",
            trigger: ".o_app[data-menu-xmlid='k2_contact_center.k2_cc_menu_root']",
            run: "click",
        },
        { trigger: ".o_k2_cc_home .o_k2_cc_home_calls" },
        {
            content: "My calls this month: 2 received, 1 missed, 1 outgoing",
            trigger: ".o_k2_cc_home_totals a[data-type='received'] .o_k2_cc_home_total:contains('2')",
        },
        { trigger: ".o_k2_cc_home_totals a[data-type='missed'] .o_k2_cc_home_total:contains('1')" },
        { trigger: ".o_k2_cc_home_totals a[data-type='outgoing'] .o_k2_cc_home_total:contains('1')" },
        { trigger: ".o_k2_cc_home_talk:contains('0:09:00')" },
        {
            content: "Lines instead of bars",
            trigger: ".o_k2_cc_home_switch[data-chart='callsChart'] button[data-type='line']",
            run: "click",
        },
        { trigger: ".o_k2_cc_home_switch[data-chart='callsChart'] button[data-type='line'].active" },
        {
            trigger: ".o_k2_cc_home_switch[data-chart='partnersChart'] button[data-type='line']",
            run: "click",
        },
        { trigger: ".o_k2_cc_home_switch[data-chart='partnersChart'] button[data-type='line'].active" },
        {
            content: "Only my missed calls",
            trigger: ".o_k2_cc_home_scopes button[data-scope='missed']",
            run: "click",
        },
        { trigger: ".o_k2_cc_home_totals a[data-type='received'] .o_k2_cc_home_total:contains('0')" },
        {
            content: "The team's calls, this year",
            trigger: ".o_k2_cc_home_scopes button[data-scope='team']",
            run: "click",
        },
        {
            trigger: ".o_k2_cc_home_period",
            run: "select year",
        },
        { trigger: ".o_k2_cc_home_totals a[data-type='received'] .o_k2_cc_home_total:contains('4')" },
        {
            content: "The missed calls open in the call history",
            trigger: ".o_k2_cc_home_totals a[data-type='missed']",
            run: "click",
        },
        { trigger: ".o_list_view .o_data_row" },
        ...openDashboard("Line Utilisation", "Line Utilisation", "k2_cc_call_report_menu_month"),
        ...openDashboard("Busiest Hours", "Busiest Hours", "k2_cc_call_report_menu_hour"),
        ...openDashboard("Busiest Weekdays", "Busiest Weekdays", "k2_cc_call_report_menu_weekday"),
        ...openDashboard("Operators", "Operators", "k2_cc_call_report_menu_operator"),
        ...openDashboard("Call Length by Partner", "Call Length by Partner", "k2_cc_call_report_menu_partner"),
    ],
});
