from odoo.tests import Form, tagged

from .common import K2CcCase


@tagged("post_install", "-at_install")
class TestSettings(K2CcCase):
    def test_call_activity_types_are_defaults(self):
        incoming = self.env.ref("k2_contact_center.mail_activity_type_incoming_call")
        outgoing = self.env.ref("k2_contact_center.mail_activity_type_outgoing_call")
        self.assertEqual((incoming.category, outgoing.category), ("phonecall", "phonecall"))
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.cc_incoming_activity_type_id, incoming)
        self.assertEqual(settings.cc_outgoing_activity_type_id, outgoing)
        new_company = self.env["res.company"].create({"name": "Nová firma"})
        self.assertEqual(new_company._cc_activity_type("inbound"), incoming)
        self.assertEqual(new_company._cc_activity_type("outbound"), outgoing)

    def test_settings_change_default_country(self):
        with Form(self.env["res.config.settings"]) as form:
            form.cc_default_country_id = self.de
        self.assertEqual(self.company.cc_default_country_id, self.de)
        partner = self._partner("Ohne Land", phone="030 7654321")
        self.assertEqual(partner.cc_number_ids.number_e164, "+49307654321")
        self.assertEqual(self.env["res.partner"].cc_find_by_number("030 7654321"), partner)

    def test_demo_data_when_installed_with_demo(self):
        if not self.env.ref("k2_contact_center.pbx_demo_prague", raise_if_not_found=False):
            self.skipTest("database installed without demo data")
        calls = self.env["k2.cc.call"].search([("pbx_call_id", "=like", "demo-%")])
        self.assertGreaterEqual(len(calls), 300)
        self.assertEqual(set(calls.mapped("call_type")), {"received", "missed", "outgoing"})
        self.assertEqual(len(self.env["k2.cc.pbx"].search([("code", "in", ["PRG", "BRN"])])), 2)
