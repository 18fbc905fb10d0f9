from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from ..services.simulator import SimulatorThread
from .common import K2CcCase


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

    def test_dial_from_partner_uses_device_and_international_form(self):
        self.line.endpoint = "PJSIP/alice"
        german = self._partner("Hans", country_id=self.de.id, phone="030 7654321")
        action = german.with_user(self.agent).action_cc_dial_phone()
        self.assertEqual(action["tag"], "display_notification")
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

    def test_partner_form_shows_call_buttons(self):
        form = Form(self.customer.with_user(self.agent))
        self.assertEqual(form.mobile, "603 555 777")
        arch = self.env["res.partner"].with_user(self.agent).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("action_cc_dial_mobile", arch)
