from psycopg2 import IntegrityError

from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import K2CcCase


@tagged("post_install", "-at_install")
class TestPbx(K2CcCase):
    def test_sample_extension_computed_live_in_form(self):
        with Form(self.pbx) as form:
            form.sample_number = "+420 221 122 234"
            self.assertEqual(form.sample_extension, "234")
            form.extension_patterns = "3XX"
            self.assertFalse(form.sample_extension)
            form.extension_patterns = "2XX, 3XX"
            self.assertEqual(form.sample_extension, "234")

    def test_sample_number_not_fitting_pattern_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "does not lead to an extension"):
            self.pbx.sample_number = "+420 603 555 777"

    def test_bad_pattern_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "only digits and X"):
            self.pbx.extension_patterns = "2YY"

    def test_country_prefix_follows_country(self):
        with Form(self.env["k2.cc.pbx"]) as form:
            form.code = "DE1"
            form.name = "Berlin"
            form.country_id = self.de
            self.assertEqual(form.country_prefix, "+49")

    def test_number_plan_handed_to_services(self):
        plan = self.pbx._cc_number_plan()
        self.assertEqual(plan.country, "CZ")
        self.assertTrue(plan.is_extension("201"))
        self.assertFalse(plan.is_extension("301"))
        self.assertTrue(plan.is_trunk("PJSIP/trunk-0000002a"))
        self.assertEqual(plan.extension_of("+420221122207"), "207")
        self.assertEqual(plan.dial_string("+420603555777"), "0603555777")
        self.assertEqual(plan.dial_string("+49307654321"), "00049307654321")

    def test_web_pbx_switch_maps_to_connector(self):
        self.pbx.use_web_pbx = True
        self.assertEqual(self.pbx.connector, "ari")
        self.pbx.connector = "ami"
        self.assertFalse(self.pbx.use_web_pbx)

    def test_prefixes_are_digits(self):
        with self.assertRaisesRegex(ValidationError, "only digits"):
            self.pbx.outside_prefix = "0a"

    @mute_logger("odoo.sql_db")
    def test_code_unique_per_company(self):
        with self.assertRaises(IntegrityError):
            self.env["k2.cc.pbx"].create({"code": "T1", "name": "Again"})
