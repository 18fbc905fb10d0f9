import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";
import { checkInput, checkPath } from "@k2_contact_center/../tests/tours/k2_cc_tour_utils";

registry.category("web_tour.tours").add("k2_cc_configuration_tour", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the Contact Center app",
            trigger: ".o_app[data-menu-xmlid='k2_contact_center.k2_cc_menu_root']",
            run: "click",
        },
        {
            content: "The app opens on its home screen; the call history is beside it",
            trigger: ".o_k2_cc_home",
        },
        checkPath("/odoo/contact-center"),
        {
            trigger: ".o_menu_sections [data-menu-xmlid='k2_contact_center.k2_cc_call_menu']",
            run: "click",
        },
        {
            content: "The call history shows talk time as h:mm:ss",
            trigger: ".o_list_view .o_data_row:contains('Tour Caller') td[name='talk_duration']:contains('0:04:07')",
        },
        checkPath("/odoo/contact-center-calls"),
        {
            content: "A received call's badge has the home screen's green",
            trigger: ".o_list_view .o_data_row:contains('Tour Caller') td[name='call_type'] .badge[data-call-type='received']",
            run() {
                const color = getComputedStyle(this.anchor).backgroundColor;
                if (color !== "rgb(40, 167, 69)") {
                    throw new Error(`the received badge is ${color}`);
                }
            },
        },
        {
            content: "Open the call",
            trigger: ".o_list_view .o_data_row:contains('Tour Caller') td[name='partner_id']",
            run: "click",
        },
        {
            content: "The form shows the ring time and who called",
            trigger: ".o_form_view .o_field_widget[name='ring_duration']:contains('0:00:12')",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='commercial_partner_id']:contains('Tour Caller')",
        },
        {
            content: "Open the configuration menu",
            trigger: ".o_main_navbar button:contains('Configuration')",
            run: "click",
        },
        {
            trigger: ".dropdown-item:contains('PBXs')",
            run: "click",
        },
        {
            content: "A port reads as a port, without a thousands separator",
            trigger: ".o_list_view .o_data_row:contains('Tour PBX') td[name='port']",
            run() {
                if (this.anchor.textContent.trim() !== "5038") {
                    throw new Error(`the port reads "${this.anchor.textContent.trim()}"`);
                }
            },
        },
        checkPath("/odoo/contact-center-pbxs"),
        {
            trigger: ".o_list_view .o_data_row td[name='name']:contains('Tour PBX')",
            run: "click",
        },
        checkInput("port", "5038"),
        { ...checkInput("ip_port", ""), content: "An unset port is empty, not 0" },
        {
            content: "The number plan tab",
            trigger: ".o_notebook a:contains('Number Plan')",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name='sample_number'] input",
            run: "edit +420 221 122 255 && click body",
        },
        {
            content: "The sample extension follows the sample number live",
            trigger: ".o_field_widget[name='sample_extension']:contains('255')",
        },
        {
            trigger: ".o_form_button_cancel",
            run: "click",
        },
    ],
});
