import { registry } from "@web/core/registry";
import { IntegerField, integerField } from "@web/views/fields/integer/integer_field";

/**
 * Seconds as a call length, h:mm:ss ("0:04:07", "1:02:03"): the same shape in
 * lists, forms and dashboards, so columns of lengths read at a glance.
 * Call lengths are stored in whole seconds so reports can sum them exactly.
 */
export function formatDuration(value) {
    if (value === false || value === null || value === undefined) {
        return "";
    }
    const total = Math.max(Math.round(value), 0);
    const hours = Math.floor(total / 3600);
    const minutes = String(Math.floor((total % 3600) / 60)).padStart(2, "0");
    const seconds = String(total % 60).padStart(2, "0");
    return `${hours}:${minutes}:${seconds}`;
}

export class DurationField extends IntegerField {
    get formattedValue() {
        if (this.props.readonly) {
            return formatDuration(this.value);
        }
        return super.formattedValue;
    }
}

registry.category("formatters").add("k2_cc_duration", formatDuration);
registry.category("fields").add("k2_cc_duration", {
    ...integerField,
    component: DurationField,
    displayName: "Call Duration",
    supportedTypes: ["integer", "float"],
});
