import { registry } from "@web/core/registry";
import { IntegerField, integerField } from "@web/views/fields/integer/integer_field";

/**
 * Seconds as a call length: "4:07" under an hour, "1:02:03" above.
 * Call lengths are stored in whole seconds so reports can sum them exactly.
 */
export function formatDuration(value) {
    if (value === false || value === null || value === undefined) {
        return "";
    }
    const total = Math.max(Math.round(value), 0);
    const hours = Math.floor(total / 3600);
    const minutes = Math.floor((total % 3600) / 60);
    const seconds = String(total % 60).padStart(2, "0");
    if (hours) {
        return `${hours}:${String(minutes).padStart(2, "0")}:${seconds}`;
    }
    return `${minutes}:${seconds}`;
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
