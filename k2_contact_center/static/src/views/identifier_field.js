import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { IntegerField, integerField } from "@web/views/fields/integer/integer_field";

/**
 * A number that names something (a TCP port, an extension) rather than counts
 * it: "5038", never "5,038"; and 0, what an unset integer reads as, is empty.
 */
export function formatIdentifier(value) {
    return value ? String(value) : "";
}

export class IdentifierField extends IntegerField {
    get formattedValue() {
        return formatIdentifier(this.value);
    }
}

registry.category("formatters").add("k2_cc_identifier", formatIdentifier);
registry.category("fields").add("k2_cc_identifier", {
    ...integerField,
    component: IdentifierField,
    displayName: _t("Identifier (port, extension)"),
    supportedOptions: [],
});
