from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestUi(HttpCase):
    def test_configuration_and_history_tour(self):
        """Call history formats durations; the PBX form derives the sample extension live."""
        pbx = self.env["k2.cc.pbx"].create({
            "code": "TOUR",
            "name": "Tour PBX",
            "country_id": self.env.ref("base.cz").id,
            "extension_prefix": "221122",
            "extension_patterns": "2XX",
            "sample_number": "+420 221 122 201",
        })
        caller = self.env["res.partner"].create({"name": "Tour Caller", "phone": "+420 603 111 222"})
        start = fields.Datetime.now()
        self.env["k2.cc.call"].create({
            "pbx_id": pbx.id,
            "caller_number": "+420603111222",
            "called_number": "201",
            "partner_id": caller.id,
            "user_id": self.env.ref("base.user_admin").id,
            "start": start,
            "answer_time": start + timedelta(seconds=12),
            "end": start + timedelta(seconds=12 + 247),
        })
        self.start_tour("/odoo", "k2_cc_configuration_tour", login="admin")


@tagged("post_install", "-at_install")
class TestPresenceUi(HttpCase):
    def setUp(self):
        super().setUp()
        self.pbx = self.env["k2.cc.pbx"].create({"code": "SYS", "name": "Systray PBX", "host": "127.0.0.1"})
        self.agent = new_test_user(self.env, "k2tour", groups="base.group_user", name="Tour Agent")
        self.env["k2.cc.line"].create({"pbx_id": self.pbx.id, "extension": "201", "user_id": self.agent.id})

    def test_systray_green_then_white(self):
        self.pbx.link_state = "connected"
        self.start_tour("/odoo", "k2_cc_presence_connected_tour", login="k2tour")
        self.assertFalse(self.agent.cc_presence_wanted)

    def test_systray_orange_when_the_link_is_down(self):
        self.pbx.write({"link_state": "error", "link_error": "Authentication failed"})
        self.start_tour("/odoo", "k2_cc_presence_failing_tour", login="k2tour")


@tagged("post_install", "-at_install")
class TestCallCardUi(HttpCase):
    def test_incoming_call_card_note_lands_on_the_contact(self):
        pbx = self.env["k2.cc.pbx"].create({"code": "CARD", "name": "Card PBX", "host": "127.0.0.1",
                                            "country_id": self.env.ref("base.cz").id})
        agent = new_test_user(self.env, "k2card", groups="base.group_user", name="Card Agent")
        agent.cc_presence_wanted = True
        self.env["k2.cc.line"].create({"pbx_id": pbx.id, "extension": "201", "user_id": agent.id})
        company = self.env["res.partner"].create({"name": "Dvořák a syn", "is_company": True})
        self.env["res.partner"].create({"name": "Antonín Dvořák", "parent_id": company.id,
                                        "country_id": self.env.ref("base.cz").id, "mobile": "603 555 777"})
        recorder = self.env.ref("k2_contact_center.user_k2_cc_recorder")
        self.env["k2.cc.call"].with_user(recorder)._cc_ingest(pbx.with_user(recorder), [("live", {
            "call_id": "card.1", "start": "2026-11-25T10:00:00+00:00", "state": "ringing",
            "direction": "inbound", "caller": "+420603555777", "caller_name": "Antonin Dvorak",
            "callee": "201", "ringing": ["201"], "answered_by": None})])
        self.env.cr.precommit.run()
        self.start_tour("/odoo", "k2_cc_call_card_tour", login="k2card")
        call = self.env["k2.cc.call"].search([("pbx_call_id", "=", "card.1")])
        self.assertIn("20 pumps", call.note_message_id.body)
