from datetime import timedelta

from lxml import etree

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from ..bridge.ingest import ingest
from ..services.ami.simulator import SimulatorThread
from .common import K2CcCase
from .test_ingest import live, record


@tagged("post_install", "-at_install")
class TestClickToCall(K2CcCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim = SimulatorThread(username="odoo", secret="s3cret", extensions=("201", "202"))
        cls.pbx.write({"port": cls.sim.start(), "password": "s3cret", "link_state": "connected",
                       "default_context": "from-internal"})
        cls.addClassCleanup(cls.sim.stop)
        cls.customer = cls._partner("Věra Šťastná", country_id=cls.cz.id, mobile="603 555 777")

    def originates(self):
        return self.sim.run(lambda sim: [a for a in sim.actions_seen if a.get("Action") == "Originate"])

    def test_dial_rings_own_line_then_the_number(self):
        before = len(self.originates())
        result = self.env["k2.cc.call"].with_user(self.agent).cc_dial("+420 603 555 777", self.customer.id)
        self.assertEqual((result["dialled"], result["extension"]), ("0603555777", "201"))
        originate = self.originates()[before]
        self.assertEqual(originate["Channel"], "Local/201@from-internal")
        self.assertEqual((originate["Exten"], originate["Context"]), ("0603555777", "from-internal"))
        self.assertEqual(originate["CallerID"], '"Věra Šťastná" <0603555777>')

    def test_a_crafted_contact_name_cannot_add_headers_or_actions(self):
        """A name holding line breaks (any user, portal user or import can set
        one) must not become headers or actions of its own on the PBX link."""
        crafted = self._partner(
            "Eve\r\nExten: 0090012345678\r\nChannel: Local/0090012345678@from-internal\r\n\r\n"
            "Action: Originate\r\nChannel: Local/0090012345678@from-internal\r\nExten: 0090012345678\r\n"
            "Context: from-internal",
            country_id=self.cz.id, mobile="603 555 778")
        before = len(self.originates())
        self.env["k2.cc.call"].with_user(self.agent).cc_dial(crafted.mobile, crafted.id)
        sent = self.originates()[before:]
        self.assertEqual(len(sent), 1, "one click, one Originate")
        self.assertEqual((sent[0]["Channel"], sent[0]["Exten"]), ("Local/201@from-internal", "0603555778"))
        self.assertNotIn("\n", sent[0]["CallerID"])
        self.assertTrue(sent[0]["CallerID"].startswith('"Eve Exten: 0090012345678 Channel:'))
        self.assertTrue(sent[0]["CallerID"].endswith('" <0603555778>'))
        every = self.sim.run(lambda sim: list(sim.actions_seen))
        self.assertFalse([a for a in every if "0090012345678" in (a.get("Exten") or "") + (a.get("Channel") or "")])

    def test_a_line_whose_device_holds_a_blank_is_refused_before_the_pbx(self):
        self.line.endpoint = "PJSIP/201 Exten: 009"
        before = len(self.originates())
        with self.assertRaisesRegex(UserError, "cannot be sent to the PBX"), self.assertLogs(
                "odoo.addons.k2_contact_center.models.k2_cc_call", "WARNING"):
            self.env["k2.cc.call"].with_user(self.agent).cc_dial("+420603555777")
        self.assertEqual(len(self.originates()), before)

    def test_dial_from_partner_uses_device_and_international_form(self):
        self.line.endpoint = "PJSIP/alice"
        german = self._partner("Hans", country_id=self.de.id, phone="030 7654321")
        # what the phone field's Call link sends: the number as typed and the contact
        self.env["k2.cc.call"].with_user(self.agent).cc_dial(german.phone, german.id)
        originate = self.originates()[-1]
        self.assertEqual((originate["Channel"], originate["Exten"]), ("PJSIP/alice", "00049307654321"))

    def test_no_line(self):
        with self.assertRaisesRegex(UserError, "no contact-center line"):
            self.env["k2.cc.call"].with_user(self.manager).cc_dial("+420603555777")

    def test_pbx_down(self):
        self.pbx.write({"link_state": "error", "link_error": "Authentication failed"})
        with self.assertRaisesRegex(UserError, "cannot be reached now.*Authentication failed"):
            self.env["k2.cc.call"].with_user(self.agent).cc_dial("+420603555777")

    def test_invalid_number(self):
        for number in ("", "hello", "12", "+999 12"):
            with self.subTest(number=number), self.assertRaisesRegex(UserError, "not a phone number"):
                self.env["k2.cc.call"].with_user(self.agent).cc_dial(number)

    def test_pbx_refuses(self):
        self.pbx.password = "wrong"
        with self.assertRaisesRegex(UserError, "refused the call: Authentication failed"):
            self.env["k2.cc.call"].with_user(self.agent).cc_dial("+420603555777")

    def test_internal_extension_dialled_as_is(self):
        result = self.env["k2.cc.call"].with_user(self.agent).cc_dial("202")
        self.assertEqual(result["dialled"], "202")

    def test_test_connection_button(self):
        ok = self.pbx.action_test_connection()
        self.assertEqual(ok["params"]["type"], "success")
        self.assertIn("answered a ping", ok["params"]["message"])
        self.pbx.password = "wrong"
        failed = self.pbx.action_test_connection()
        self.assertEqual(failed["params"]["type"], "danger")
        self.assertIn("Authentication failed", failed["params"]["message"])
        self.pbx.port = 1
        unreachable = self.pbx.action_test_connection()
        self.assertEqual(unreachable["params"]["type"], "danger")

    def test_one_way_to_call_the_phone_fields_own_link(self):
        """No call button beside the numbers: the phone fields themselves
        (form and list) are the links (see TestPhoneLinkUi)."""
        form = Form(self.customer.with_user(self.agent))
        self.assertEqual(form.mobile, "603 555 777")
        views = self.env["res.partner"].with_user(self.agent).get_views([(False, "form"), (False, "list")])["views"]
        for kind in ("form", "list"):
            arch = etree.fromstring(views[kind]["arch"])
            self.assertFalse(arch.xpath("//button[contains(@name, 'dial')]"), kind)
            for name in ("phone", "mobile"):  # (the company's contacts, a kanban inside the form, show text)
                fields = arch.xpath(f"//field[@name='{name}'][not(ancestor::templates)]")
                self.assertTrue(fields, f"{kind}: {name}")
                self.assertEqual({field.get("widget") for field in fields}, {"phone"}, f"{kind}: {name}")


@tagged("post_install", "-at_install")
class TestClickToCallCard(K2CcCase):
    """The outgoing card follows the originate: the user's phone rings, the
    number is dialled, answered, or the call fails and the card says why."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim = SimulatorThread(username="odoo", secret="s3cret", extensions=("201", "202"))
        cls.pbx.write({"port": cls.sim.start(), "link_state": "connected", "default_context": "from-internal"})
        cls.addClassCleanup(cls.sim.stop)
        cls.customer = cls._partner("Věra Šťastná", country_id=cls.cz.id, mobile="603 555 777")
        cls.recorder = cls.env.ref("k2_contact_center.user_k2_cc_recorder")

    def setUp(self):
        super().setUp()
        self.env["bus.bus"].sudo().search([]).unlink()

    def dial(self, user=None):
        result = self.env["k2.cc.call"].with_user(user or self.agent).cc_dial("603 555 777", self.customer.id)
        return self.env["k2.cc.call"].browse(result["call_id"])

    def ingest(self, *items):
        ingest(self.pbx.with_user(self.recorder), list(items))

    def progress(self, user=None):
        payload = self.bus_payloads(user or self.agent)[-1]
        return payload["originate"]["stage"], payload["originate"]["reason"], payload["state"]

    @staticmethod
    def own_phone_rings(call_id, caller="201"):
        return live(call_id, "ringing", direction="internal", caller=caller, callee=None, ringing=[caller])

    @staticmethod
    def number_rings(call_id):
        return live(call_id, "ringing", direction="outbound", caller="201", callee="+420603555777",
                    ringing=["+420603555777"])

    def test_card_at_once_then_follows_the_originate_to_the_end(self):
        self.assertFalse(self.agent.cc_presence_wanted, "a user who clicks follows the call, connected or not")
        call = self.dial()
        self.assertRecordValues(call, [{
            "originated": True, "state": "ringing", "direction": "outbound", "partner_id": self.customer.id,
            "user_id": self.agent.id, "line_id": self.line.id, "called_number": "+420603555777",
        }])
        payload = self.bus_payloads(self.agent)[-1]
        self.assertEqual((payload["id"], payload["contact"]["name"]), (call.id, "Věra Šťastná"))
        self.assertEqual(self.progress(), ("agent", "", "ringing"))

        self.ingest(self.own_phone_rings("c2c.1"))
        self.assertEqual(call.pbx_call_id, "c2c.1", "the PBX's call is the one clicked")
        self.assertEqual((call.direction, call.called_number), ("outbound", "+420603555777"))
        self.assertEqual(self.progress(), ("agent", "", "ringing"))
        self.ingest(self.number_rings("c2c.1"))
        self.assertEqual(self.progress(), ("dialing", "", "ringing"))
        self.ingest(live("c2c.1", "talking", direction="outbound", caller="201", callee="+420603555777",
                         answered_by="+420603555777"))
        self.assertEqual(self.progress(), ("answered", "", "talking"))
        self.ingest(record("c2c.1", direction="outbound", caller="201", callee="+420603555777",
                           answered_by="+420603555777", rang=[]))
        self.assertEqual(self.progress(), ("ended", "", "ended"))
        self.assertEqual(self.env["k2.cc.call"].search_count([("partner_id", "=", self.customer.id)]), 1)
        self.assertEqual((call.state, call.call_type, call.disposition), ("done", "outgoing", "answered"))

    def test_calling_back_from_the_callback_list_closes_the_callback_when_answered(self):
        self.ingest(record("cb.0", disposition="no_answer", answered_by=None, answer=None, talk_seconds=0.0))
        callback = self.env["k2.cc.callback"].search([("number", "=", "+420603555777"), ("state", "=", "open")])
        self.assertEqual(callback.line_ids, self.line)
        self.assertFalse(callback.with_user(self.agent).action_call_back())
        call = self.env["k2.cc.call"].search([("callback_id", "=", callback.id), ("originated", "=", True)])
        self.assertEqual((call.user_id, call.called_number), (self.agent, "+420603555777"))
        self.ingest(self.own_phone_rings("cb.1"), self.number_rings("cb.1"))
        self.ingest(record("cb.1", direction="outbound", caller="201", callee="+420603555777",
                           answered_by="+420603555777", rang=[], start="2026-03-02T09:00:00+00:00",
                           answer="2026-03-02T09:00:10+00:00", end="2026-03-02T09:02:00+00:00"))
        self.assertEqual((call.pbx_call_id, callback.state, callback.closed_by_id), ("cb.1", "done", self.agent))
        self.assertEqual(callback.closed_call_id, call)

    def test_own_phone_not_answering_fails_with_the_reason_and_no_missed_call(self):
        call = self.dial()
        self.ingest(self.own_phone_rings("c2c.2"))
        self.ingest(record("c2c.2", direction="internal", caller="201", callee=None, disposition="no_answer",
                           answered_by=None, rang=["201"], answer=None, talk_seconds=0.0))
        self.assertEqual(self.progress(), ("failed", "Your phone did not answer.", "ended"))
        self.assertEqual((call.direction, call.call_type, call.called_number),
                         ("outbound", "outgoing", "+420603555777"))
        self.assertFalse(call.missed_notified)

    def test_busy_number_fails_naming_the_contact(self):
        self.dial()
        self.ingest(self.own_phone_rings("c2c.3"), self.number_rings("c2c.3"))
        self.ingest(record("c2c.3", direction="outbound", caller="201", callee="+420603555777",
                           disposition="busy", answered_by=None, rang=[], answer=None, talk_seconds=0.0))
        self.assertEqual(self.progress(), ("failed", "Věra Šťastná is busy.", "ended"))

    def test_each_agent_gets_their_own_click(self):
        mine, theirs = self.dial(), self.dial(self.agent2)
        self.ingest(self.own_phone_rings("c2c.4", caller="202"))
        self.assertEqual((theirs.pbx_call_id, theirs.user_id), ("c2c.4", self.agent2))
        self.assertTrue(mine.pbx_call_id.startswith("originate:"), "another line's call is not adopted")
        self.assertNotIn(mine.id, [payload["id"] for payload in self.bus_payloads(self.agent2)])
        self.assertNotIn(theirs.id, [payload["id"] for payload in self.bus_payloads(self.agent)])

    def test_originate_the_pbx_never_placed_fails_after_its_timeout(self):
        call = self.dial()
        self.env.cr.execute("UPDATE k2_cc_call SET create_date = %s WHERE id = %s",
                            (fields.Datetime.now() - timedelta(minutes=10), call.id))
        self.env.invalidate_all()
        self.env["k2.cc.pbx"]._cc_watchdog()
        self.assertEqual((call.state, call.disposition), ("done", "failed"))
        self.assertEqual(self.progress(), ("failed", "The PBX accepted the call but never placed it.", "ended"))
