from psycopg2 import IntegrityError

from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import K2CcCase


@tagged("post_install", "-at_install")
class TestLine(K2CcCase):
    @mute_logger("odoo.sql_db")
    def test_extension_unique_per_pbx(self):
        with self.assertRaises(IntegrityError):
            self.env["k2.cc.line"].create({"pbx_id": self.pbx.id, "extension": "201"})

    def test_same_extension_on_another_pbx(self):
        other = self.pbx.copy({"code": "T2"})
        line = self.env["k2.cc.line"].create({"pbx_id": other.id, "extension": "201"})
        self.assertEqual(line.extension, "201")

    def test_extension_must_be_digits(self):
        with self.assertRaisesRegex(ValidationError, "digits only"):
            self.env["k2.cc.line"].create({"pbx_id": self.pbx.id, "extension": "reception"})

    def test_full_number_normalised_or_refused(self):
        self.line.number = "221 122 201"
        self.assertEqual(self.line.number_e164, "+420221122201")
        with self.assertRaisesRegex(ValidationError, "is not a phone number"):
            self.line.number = "12"

    def test_user_with_a_line_becomes_agent(self):
        newcomer = new_test_user(self.env, "k2newcomer", groups="base.group_user")
        self.assertFalse(newcomer.has_group("k2_contact_center.group_k2_cc_user"))
        self.env["k2.cc.line"].create({"pbx_id": self.pbx.id, "extension": "250", "user_id": newcomer.id})
        self.assertTrue(newcomer.has_group("k2_contact_center.group_k2_cc_user"))
        self.assertEqual(self.line.partner_id, self.agent.partner_id)

    def test_line_lookup_by_extension_or_device(self):
        self.line.endpoint = "PJSIP/alice-desk"
        Line = self.env["k2.cc.line"]
        self.assertEqual(Line._cc_line_for(self.pbx, "201"), self.line)
        self.assertEqual(Line._cc_line_for(self.pbx, "PJSIP/alice-desk"), self.line)
        self.assertFalse(Line._cc_line_for(self.pbx, "299"))
