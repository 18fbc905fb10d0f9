from odoo.tests import tagged

from .common import K2CcCase


@tagged("post_install", "-at_install")
class TestPresence(K2CcCase):
    def test_green_white_orange(self):
        agent = self.agent.with_user(self.agent)
        self.assertEqual(agent.cc_get_presence()["state"], "off")
        self.pbx.sudo().link_state = "connected"
        self.assertEqual(agent.cc_connect()["state"], "connected")
        self.pbx.sudo()._cc_set_link_state("error", "Authentication failed")
        self.env.invalidate_all()
        presence = agent.cc_get_presence()
        self.assertEqual(presence["state"], "failing")
        self.assertIn("Authentication failed", presence["reason"])
        self.assertEqual(agent.cc_disconnect()["state"], "off")

    def test_link_change_notifies_connected_users_only(self):
        self.agent.cc_presence_wanted = True
        self.env["bus.bus"].sudo().search([]).unlink()
        self.pbx.sudo()._cc_set_link_state("error", "PBX closed the connection")
        self.assertTrue(self.bus_payloads(self.agent, "k2_cc_presence"))
        self.assertFalse(self.bus_payloads(self.agent2, "k2_cc_presence"))

    def test_user_without_line_wanting_presence_is_orange(self):
        loner = self.manager.with_user(self.manager)
        self.assertEqual(loner.cc_connect()["state"], "failing")

    def test_autoconnect_at_login(self):
        self.line.autoconnect = True
        self.env["res.users"].with_user(self.agent)._update_last_login()
        self.assertTrue(self.agent.cc_presence_wanted)
        self.env["res.users"].with_user(self.agent2)._update_last_login()
        self.assertFalse(self.agent2.cc_presence_wanted)

    def test_state_line_reads_in_the_users_language(self):
        """A Czech agent reads the link's state in Czech ("Odpojeno", not "disconnected"),
        whether asked by their browser or sent by the bridge (a user of another language)."""
        self.env["res.lang"]._activate_lang("cs_CZ")
        self.env["ir.module.module"]._load_module_terms(["k2_contact_center"], ["cs_CZ"], overwrite=True)
        self.agent.write({"lang": "cs_CZ", "cc_presence_wanted": True})
        agent = self.agent.with_user(self.agent).with_context(lang="cs_CZ")  # as the web client asks
        self.assertEqual(agent.cc_get_presence()["reason"], "Test PBX: Odpojeno")
        self.pbx.sudo().link_state = "connected"
        self.env["bus.bus"].sudo().search([]).unlink()
        recorder = self.env.ref("k2_contact_center.user_k2_cc_recorder")
        self.pbx.with_user(recorder).with_context(lang="en_US")._cc_set_link_state("disconnected")
        self.assertEqual([payload["reason"] for payload in self.bus_payloads(self.agent, "k2_cc_presence")],
                         ["Test PBX: Odpojeno"])
