import { useService } from "@web/core/utils/hooks";
import { patch } from "@web/core/utils/patch";
import { session } from "@web/session";
import { PhoneField } from "@web/views/fields/phone/phone_field";

/**
 * A phone field's own "Call" link (forms, lists, kanban cards; every phone
 * and mobile field of any model) dials through the PBX for a user with a
 * contact-center line: the PBX rings their phone, then the number, and the
 * call card follows the call. Users without a line keep tel:, which hands the
 * number to whatever their computer does with it.
 */
patch(PhoneField.prototype, {
    setup() {
        super.setup(...arguments);
        this.k2ccOrm = useService("orm");
    },

    async onK2ccCall(ev) {
        if (!session.k2_cc_can_dial) {
            return;
        }
        ev.preventDefault();
        ev.stopPropagation(); // a list row or kanban card would open the record
        const { record, name } = this.props;
        await this.k2ccOrm.call("k2.cc.call", "cc_dial", [record.data[name]], {
            partner_id: record.resModel === "res.partner" && record.resId ? record.resId : false,
        });
    },
});
