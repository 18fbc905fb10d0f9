{
    "name": "K2 Contact Center",
    "summary": "Asterisk PBX in Odoo: caller identification, call history, "
    "call notes, click-to-call and contact-center dashboards",
    "version": "18.0.1.0.0",
    "category": "Productivity/Phone",
    "website": "https://github.com/k2-contact-center/k2_contact_center",
    "author": "K2 Contact Center",
    "license": "LGPL-3",
    "application": True,
    "post_init_hook": "post_init_hook",
    "post_load": "post_load",
    "depends": ["mail", "contacts", "phone_validation", "bus", "web"],
    "external_dependencies": {"python": ["phonenumbers", "panoramisk", "websocket-client"]},
    "data": [
        "security/k2_cc_security.xml",
        "security/ir.model.access.csv",
        "data/mail_activity_type_data.xml",
        "data/ir_cron_data.xml",
        "views/k2_cc_pbx_views.xml",
        "views/k2_cc_line_views.xml",
        "wizard/k2_cc_followup_wizard_views.xml",
        "views/k2_cc_call_views.xml",
        "views/k2_cc_partner_number_views.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "views/k2_cc_menus.xml",
        "security/k2_cc_call_report_security.xml",
        "report/k2_cc_call_report_views.xml",
    ],
    "demo": [
        "demo/res_partner_demo.xml",
        "demo/k2_cc_pbx_demo.xml",
        "demo/k2_cc_call_demo.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "k2_contact_center/static/src/views/**/*",
            "k2_contact_center/static/src/presence/**/*",
            "k2_contact_center/static/src/call_card/**/*",
            "k2_contact_center/static/src/home/**/*",
            "k2_contact_center/static/src/recording/**/*",
            "k2_contact_center/static/src/phone/**/*",
        ],
        # loaded with Odoo's graph view, on demand
        "web.assets_backend_lazy": [
            "k2_contact_center/static/src/graph/**/*",
        ],
        "web.assets_tests": [
            "k2_contact_center/static/tests/tours/**/*",
        ],
    },
}
