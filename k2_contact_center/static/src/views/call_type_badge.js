import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { BadgeField, badgeField } from "@web/views/fields/badge/badge_field";
import { CALL_TYPE_COLORS } from "./call_types";

/** The call type as a badge in the colour the home screen and the dashboards give it. */
export class CallTypeBadge extends BadgeField {
    static template = "k2_contact_center.CallTypeBadge";

    get color() {
        return CALL_TYPE_COLORS[this.props.record.data[this.props.name]];
    }
}

registry.category("fields").add("k2_cc_call_type", {
    ...badgeField,
    component: CallTypeBadge,
    displayName: _t("Call Type"),
    supportedTypes: ["selection"],
});
