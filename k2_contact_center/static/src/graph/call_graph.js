import { registry } from "@web/core/registry";
import { formatInteger } from "@web/views/fields/formatters";
import { GraphModel } from "@web/views/graph/graph_model";
import { GraphRenderer } from "@web/views/graph/graph_renderer";
import { graphView } from "@web/views/graph/graph_view";
import { CALL_TYPES, CALL_TYPE_COLORS } from "../views/call_types";

/**
 * Graphs of calls: the call types in the home screen's order and colours
 * (Odoo's palette gives colours by position, so "missed" would be green on
 * one chart and red on the next), and counts of calls as whole numbers.
 */
export class CallGraphModel extends GraphModel {
    _getData(dataPoints, forceUseAllDataPoints) {
        const data = super._getData(dataPoints, forceUseAllDataPoints);
        const { domains, groupBy, mode } = this.metaData;
        const position = groupBy.findIndex((groupBy) => groupBy.fieldName === "call_type");
        const typeOf = (dataPoint) => Object.values(JSON.parse(dataPoint.identifier)[position])[0];
        if (domains.length > 1 || position < 0) {
            return data; // comparisons keep Odoo's colours: a colour per period
        }
        if (groupBy.length === 1 && mode !== "line") {
            // the types along the axis, or the pie's slices: a colour per label
            data.callTypes = [];
            for (const dataPoint of dataPoints) {
                if (dataPoint.labelIndex !== undefined) {
                    data.callTypes[dataPoint.labelIndex] = typeOf(dataPoint);
                }
            }
        } else if (groupBy.length === 2 && position === 1 && mode !== "pie") {
            // a dataset per type (calls per month by type): in the types' order
            const typeByLabel = {};
            for (const dataPoint of dataPoints) {
                typeByLabel[this._getDatasetLabel(dataPoint)] = typeOf(dataPoint);
            }
            for (const dataset of data.datasets) {
                dataset.callType = typeByLabel[dataset.label];
            }
            const rank = (dataset) => {
                const index = CALL_TYPES.indexOf(dataset.callType);
                return index < 0 ? CALL_TYPES.length : index;
            };
            data.datasets.sort((a, b) => rank(a) - rank(b));
        }
        return data;
    }
}

export class CallGraphRenderer extends GraphRenderer {
    /** Whether the measure counts (calls, missed calls) rather than measures time. */
    get measureIsCount() {
        const { fieldAttrs, fields, measure } = this.model.metaData;
        return measure === "__count" || (fields[measure]?.type === "integer" && !fieldAttrs[measure]?.widget);
    }

    formatValue(value, allIntegers = true, formatType = "") {
        if (!formatType && this.measureIsCount) {
            return formatInteger(value);
        }
        return super.formatValue(value, allIntegers, formatType);
    }

    getScaleOptions() {
        const scales = super.getScaleOptions();
        if (scales.y && this.measureIsCount) {
            scales.y.ticks.precision = 0; // no tick between 1 and 2 calls
        }
        return scales;
    }

    getBarChartData() {
        const data = super.getBarChartData();
        this.colourCallTypes((dataset, color) => {
            dataset.backgroundColor = color;
        });
        return data;
    }

    getLineChartData() {
        const data = super.getLineChartData();
        this.colourCallTypes((dataset, color) => {
            Object.assign(dataset, { borderColor: color, pointBackgroundColor: color, hoverBackgroundColor: color });
            dataset.backgroundColor = `${color}80`;
        });
        return data;
    }

    getPieChartData() {
        const data = super.getPieChartData();
        this.colourCallTypes();
        return data;
    }

    /** Datasets of one call type get its colour; with the types as labels, each label does. */
    colourCallTypes(paint = () => {}) {
        const { callTypes, datasets } = this.model.data;
        for (const dataset of datasets) {
            if (dataset.callType in CALL_TYPE_COLORS) {
                paint(dataset, CALL_TYPE_COLORS[dataset.callType]);
            } else if (callTypes) {
                const colors = callTypes.map((type, index) => CALL_TYPE_COLORS[type] || this.labelColor(dataset, index));
                dataset.backgroundColor = colors;
                if (this.model.metaData.mode === "pie") {
                    dataset.hoverBackgroundColor = colors;
                }
            }
        }
    }

    labelColor(dataset, index) {
        const color = dataset.backgroundColor;
        return Array.isArray(color) ? color[index] : color;
    }
}

registry.category("views").add("k2_cc_call_graph", {
    ...graphView,
    Model: CallGraphModel,
    Renderer: CallGraphRenderer,
});
