import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";
import { checkPath } from "@k2_contact_center/../tests/tours/k2_cc_tour_utils";

function openDashboard(menu, title, xmlid, path, ...graphChecks) {
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
        checkPath(path),
        ...graphChecks,
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
        ...openDashboard("Line Utilisation", "Line Utilisation", "k2_cc_call_report_menu_month",
            "/odoo/contact-center-line-utilisation", {
                content: "Calls by type in the home screen's order and colours, counted in whole numbers",
                trigger: ".o_graph_view .o_graph_renderer canvas",
                run() {
                    const chart = Chart.getChart(this.anchor);
                    const types = chart.data.datasets
                        .filter((dataset) => dataset.type !== "line") // the sum above the bars
                        .map((dataset) => `${dataset.callType} ${dataset.backgroundColor}`);
                    const expected = ["received #28a745", "missed #dc3545", "outgoing #017e84"];
                    if (types.join() !== expected.join()) {
                        throw new Error(`datasets: ${types.join(", ")}`);
                    }
                    const ticks = chart.scales.y.ticks.map((tick) => tick.label);
                    if (!ticks.length || ticks.some((label) => !/^\d+$/.test(label))) {
                        throw new Error(`the count axis reads ${ticks.join(", ")}`);
                    }
                },
            }),
        ...openDashboard("Busiest Hours", "Busiest Hours", "k2_cc_call_report_menu_hour",
            "/odoo/contact-center-busiest-hours"),
        ...openDashboard("Busiest Weekdays", "Busiest Weekdays", "k2_cc_call_report_menu_weekday",
            "/odoo/contact-center-busiest-weekdays"),
        ...openDashboard("Operators", "Operators", "k2_cc_call_report_menu_operator", "/odoo/contact-center-operators"),
        ...openDashboard("Call Length by Partner", "Call Length by Partner", "k2_cc_call_report_menu_partner",
            "/odoo/contact-center-call-length"),
    ],
});
