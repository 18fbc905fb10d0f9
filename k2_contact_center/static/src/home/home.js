import { Component, onWillStart, onWillUnmount, useEffect, useRef, useState } from "@odoo/owl";
import { loadBundle } from "@web/core/assets";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { formatFloat } from "@web/core/utils/numbers";
import { CALL_TYPE_COLORS } from "../views/call_types";
import { formatDuration } from "../views/duration_field";

const PERIODS = [
    ["today", _t("Today")],
    ["week", _t("This week")],
    ["month", _t("This month")],
    ["quarter", _t("This quarter")],
    ["year", _t("This year")],
    ["12months", _t("Last 12 months")],
];

/**
 * The Contact Center's landing screen (the seed's "Kontaktní centrum" form):
 * the user's state with connect / disconnect, preset scopes and a period, the
 * call counts by type and the talk time per partner, each as bars or lines.
 */
export class ContactCenterHome extends Component {
    static template = "k2_contact_center.Home";
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.presenceService = useService("k2_cc_presence");
        this.presence = useState(this.presenceService.state);
        this.periods = PERIODS;
        this.state = useState({
            scope: "mine",
            period: "month",
            internal: false,
            data: null,
            callsChart: "bar",
            partnersChart: "bar",
            settings: null,
            settingsOpen: false,
        });
        this.callsCanvas = useRef("callsCanvas");
        this.partnersCanvas = useRef("partnersCanvas");
        this.charts = {};
        onWillStart(async () => {
            await Promise.all([loadBundle("web.chartjs_lib"), this.load(), this.loadSettings()]);
        });
        useEffect(
            () => this.draw(),
            () => [this.state.data, this.state.callsChart, this.state.partnersChart]
        );
        onWillUnmount(() => Object.values(this.charts).forEach((chart) => chart.destroy()));
    }

    async load() {
        this.state.data = await this.orm.call("k2.cc.call.report", "cc_home_data", [], {
            scope: this.state.scope,
            period: this.state.period,
            internal: this.state.internal,
        });
    }

    /** My settings: the personal switches of the user's own lines. */
    async loadSettings() {
        this.state.settings = await this.orm.call("k2.cc.line", "cc_my_settings", []);
    }

    async toggleSetting(line, name, value) {
        await this.orm.write("k2.cc.line", [line.id], { [name]: value });
        await this.loadSettings();
    }

    /** A number of seconds: what cannot be read as one is put back as it was. */
    async setNumberSetting(line, name, input) {
        const value = Number.parseInt(input.value, 10);
        if (Number.isNaN(value) || value < 0) {
            input.value = line[name];
            return;
        }
        await this.toggleSetting(line, name, value);
    }

    async choose(key, value) {
        this.state[key] = value;
        await this.load();
    }

    get totalCalls() {
        const totals = this.state.data.totals;
        return totals.received + totals.missed + totals.outgoing;
    }

    formatDuration(seconds) {
        return formatDuration(seconds);
    }

    draw() {
        const data = this.state.data;
        if (!data || !this.callsCanvas.el) {
            return;
        }
        this.drawChart("calls", this.callsCanvas.el, this.state.callsChart, {
            labels: data.buckets,
            datasets: data.series.map((serie) => ({
                label: serie.label,
                data: serie.counts,
                backgroundColor: CALL_TYPE_COLORS[serie.type],
                borderColor: CALL_TYPE_COLORS[serie.type],
                fill: false,
                tension: 0.2,
            })),
        });
        this.drawChart(
            "partners",
            this.partnersCanvas.el,
            this.state.partnersChart,
            {
                labels: data.partners.map((partner) => partner.name),
                datasets: [
                    {
                        label: _t("Talk time (minutes)"),
                        data: data.partners.map((partner) => Math.round(partner.talk_seconds / 6) / 10),
                        backgroundColor: "#714b67",
                        borderColor: "#714b67",
                        fill: false,
                    },
                ],
            },
            {
                plugins: {
                    tooltip: {
                        callbacks: {
                            label: (item) => formatDuration(data.partners[item.dataIndex].talk_seconds),
                        },
                    },
                },
                onClick: (_event, elements) => {
                    if (elements.length) {
                        this.openPartnerCalls(data.partners[elements[0].index]);
                    }
                },
            }
        );
    }

    drawChart(key, canvas, type, data, options = {}) {
        this.charts[key]?.destroy();
        this.charts[key] = new Chart(canvas, {
            type,
            data,
            options: {
                maintainAspectRatio: false,
                animation: false,
                scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
                ...options,
            },
        });
    }

    /** The calls behind a figure: the period and scope shown, narrowed by ``extra``. */
    openCalls(extra = [], name = _t("Calls")) {
        this.action.doAction({
            type: "ir.actions.act_window",
            name,
            res_model: "k2.cc.call",
            domain: [["state", "=", "done"], ...this.state.data.domain.map((leaf) => this.onCall(leaf)), ...extra],
            views: [
                [false, "list"],
                [false, "form"],
            ],
        });
    }

    get serviceLevelTitle() {
        return _t("Offered calls");
    }

    formatPercent(value) {
        return `${formatFloat(value, { digits: [false, 1] })} %`;
    }

    /** The missed callers of the user's scope still to call back, oldest first. */
    openCallbacks() {
        this.action.doAction("k2_contact_center.k2_cc_callback_action", {
            additionalContext: this.state.scope === "team" ? {} : { search_default_mine: 1 },
        });
    }

    openPartnerCalls(partner) {
        this.openCalls([["commercial_partner_id", "=", partner.id]], partner.name);
    }

    /** A leaf of the analysis' domain, on the call history. */
    onCall(leaf) {
        if (Array.isArray(leaf) && leaf[0].startsWith("call_id.")) {
            return [leaf[0].slice("call_id.".length), leaf[1], leaf[2]];
        }
        return leaf;
    }
}

registry.category("actions").add("k2_cc_home", ContactCenterHome);
