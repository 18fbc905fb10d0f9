from psycopg2 import IntegrityError

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import K2CcCase


@tagged("post_install", "-at_install")
class TestCall(K2CcCase):
    def test_type_from_direction_and_disposition(self):
        cases = [
            ("inbound", "answered", "received"),
            ("inbound", "cancelled", "missed"),
            ("inbound", "no_answer", "missed"),
            ("internal", "busy", "missed"),
            ("outbound", "answered", "outgoing"),
            ("outbound", "failed", "outgoing"),
        ]
        for direction, disposition, expected in cases:
            with self.subTest(direction=direction, disposition=disposition):
                call = self._call(direction=direction, disposition=disposition)
                self.assertEqual(call.call_type, expected)
                self.assertEqual(call.is_internal, direction == "internal")

    def test_durations_from_times(self):
        call = self._call(start="2026-03-02 08:00:00", answer_time="2026-03-02 08:00:12",
                          end="2026-03-02 08:04:07")
        self.assertEqual((call.ring_duration, call.talk_duration), (12, 235))
        missed = self._call(disposition="no_answer", start="2026-03-02 08:00:00", end="2026-03-02 08:00:30")
        self.assertEqual((missed.ring_duration, missed.talk_duration), (30, 0))

    def test_partner_is_commercial_entity(self):
        company = self._partner("Firma a.s.", is_company=True)
        person = self._partner("Jana", parent_id=company.id)
        call = self._call(partner_id=person.id)
        self.assertEqual(call.commercial_partner_id, company)

    @mute_logger("odoo.sql_db")
    def test_pbx_call_id_unique_per_pbx(self):
        self._call(pbx_call_id="1700000000.42")
        other = self.pbx.copy({"code": "T2"})
        self._call(pbx_id=other.id, pbx_call_id="1700000000.42")
        with self.assertRaises(IntegrityError):
            self._call(pbx_call_id="1700000000.42")

    def test_company_from_pbx(self):
        self.assertEqual(self._call().company_id, self.pbx.company_id)

    def test_display_name_tells_who(self):
        person = self._partner("Jana Dvořáková")
        self.assertEqual(self._call(partner_id=person.id).display_name, "Received: Jana Dvořáková")
        outgoing = self._call(direction="outbound", caller_number="201", called_number="+420777000111")
        self.assertEqual(outgoing.display_name, "Outgoing: +420777000111")

    def test_search_filters_of_the_history(self):
        mine = self._call(user_id=self.agent.id)
        missed = self._call(disposition="no_answer")
        view = self.env.ref("k2_contact_center.k2_cc_call_view_search")
        for name in ("my_calls", "received", "missed", "outgoing", "internal", "today", "this_week",
                     "this_month", "group_type", "group_user", "group_partner", "group_day", "group_month"):
            self.assertIn(f'name="{name}"', view.arch_db)
        self.assertIn(missed, self.env["k2.cc.call"].search([("call_type", "=", "missed")]))
        self.assertIn(mine, self.env["k2.cc.call"].with_user(self.agent).search([("user_id", "=", self.agent.id)]))
