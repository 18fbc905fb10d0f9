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
    """What a connected agent sees of calls the bridge reports (bus notifications
    sent before the page loads are delivered when it connects)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pbx = cls.env["k2.cc.pbx"].create({"code": "CARD", "name": "Card PBX", "host": "127.0.0.1",
                                              "country_id": cls.env.ref("base.cz").id})
        cls.recorder = cls.env.ref("k2_contact_center.user_k2_cc_recorder")

    def agent_with_line(self, login, name, groups="base.group_user"):
        agent = new_test_user(self.env, login, groups=groups, name=name)
        agent.cc_presence_wanted = True
        self.env["k2.cc.line"].create({"pbx_id": self.pbx.id, "extension": "201", "user_id": agent.id})
        return agent

    def pbx_reports(self, kind, **data):
        """What the bridge does with a call update of the PBX."""
        values = {"direction": "inbound", "callee": "201", "caller_name": None, "answered_by": None,
                  "start": "2026-11-25T10:00:00+00:00", **data}
        if kind == "live":
            values.setdefault("state", "ringing")
            values.setdefault("ringing", ["201"])
        self.env["k2.cc.call"].with_user(self.recorder)._cc_ingest(self.pbx.with_user(self.recorder),
                                                                   [(kind, values)])
        self.env.cr.precommit.run()

    def test_incoming_call_card_note_lands_on_the_contact(self):
        self.agent_with_line("k2card", "Card Agent")
        company = self.env["res.partner"].create({"name": "Dvořák a syn", "is_company": True})
        self.env["res.partner"].create({"name": "Antonín Dvořák", "parent_id": company.id,
                                        "country_id": self.env.ref("base.cz").id, "mobile": "603 555 777"})
        self.pbx_reports("live", call_id="card.1", caller="+420603555777", caller_name="Antonin Dvorak")
        self.start_tour("/odoo", "k2_cc_call_card_tour", login="k2card")
        call = self.env["k2.cc.call"].search([("pbx_call_id", "=", "card.1")])
        self.assertIn("20 pumps", call.note_message_id.body)
        self.assertEqual(call.partner_id.activity_ids.summary, "Call back Antonín Dvořák")

    def test_unknown_number_creates_or_joins_a_contact(self):
        self.agent_with_line("k2unknown", "Unknown Agent", groups="base.group_user,base.group_partner_manager")
        existing = self.env["res.partner"].create({"name": "Existing Customer"})
        self.pbx_reports("live", call_id="unk.1", caller="+4930123456789")
        self.pbx_reports("live", call_id="unk.2", caller="+420777000999")
        self.start_tour("/odoo", "k2_cc_unknown_number_tour", login="k2unknown")
        self.assertEqual(self.env["res.partner"].cc_find_by_number("+420777000999"), existing)

    def test_missed_call_toast_card_and_inbox_notice(self):
        self.agent_with_line("k2missed", "Missed Agent")
        self.env["res.partner"].create({"name": "Věra Šťastná", "country_id": self.env.ref("base.cz").id,
                                        "mobile": "602 987 654"})
        self.pbx_reports("record", call_id="missed.1", disposition="cancelled", caller="+420602987654",
                         rang=["201"], transfers=[], answer=None, end="2026-11-25T10:00:20+00:00",
                         ring_seconds=20.0, talk_seconds=0.0)
        self.start_tour("/odoo", "k2_cc_missed_call_tour", login="k2missed")
