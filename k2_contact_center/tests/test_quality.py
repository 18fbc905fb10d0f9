from odoo import fields
from odoo.tests import tagged

from ..bridge.ingest import ingest
from .common import K2CcCase
from .test_ingest import live, record

NUMBER = "+420603555777"


def queued(call_id, wait, outcome="answered", queue="support", **data):
    """A record of a queue call as the tracker reports it."""
    answered = outcome == "answered"
    values = {"queue": queue, "queue_outcome": outcome, "wait_seconds": wait,
              "queues": [{"queue": queue, "outcome": outcome, "wait_seconds": wait, "position": 1,
                          "joined": None, "agent": "201" if answered else None, "rang_no_answer": []}]}
    if not answered:
        values.update(disposition="cancelled" if outcome == "abandoned" else "no_answer", answered_by=None,
                      answer=None, talk_seconds=0.0)
    values.update(data)
    return record(call_id, **values)


class BridgeCase(K2CcCase):
    """Calls written by the bridge's recorder, from a caller who is a contact."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.recorder = cls.env.ref("k2_contact_center.user_k2_cc_recorder")
        cls.customer = cls._partner("Antonín Dvořák", country_id=cls.cz.id, mobile="603 555 777")

    def ingest(self, *items):
        return ingest(self.pbx.with_user(self.recorder), list(items))


@tagged("post_install", "-at_install")
class TestQueueFacts(BridgeCase):
    def call(self, call_id):
        return self.env["k2.cc.call"].search([("pbx_id", "=", self.pbx.id), ("pbx_call_id", "=", call_id)])

    def test_the_bridge_creates_the_queue_and_records_wait_and_service_level(self):
        self.ingest(live("q1", "waiting", queue="support"))
        call = self.call("q1")
        queue = self.env["k2.cc.queue"].search([("pbx_id", "=", self.pbx.id), ("name", "=", "support")])
        self.assertEqual((call.state, call.queue_id), ("waiting", queue))
        self.ingest(queued("q1", 12.4))
        self.assertEqual((call.queue_outcome, call.wait_time, call.wait_known), ("answered", 12, True))
        self.assertTrue(call.offered and call.answered_in_sl and not call.abandoned)
        self.assertEqual(call.queue_visits[0]["queue"], "support")
        queue.service_level_seconds = 10  # the queue's promise, not a fixed number
        self.assertFalse(call.answered_in_sl)
        self.assertEqual(self.env["k2.cc.queue"].search_count([("name", "=", "support")]), 1)

    def test_short_abandons_are_neither_offered_nor_abandoned(self):
        self.ingest(queued("q2", 3.0, "abandoned"), queued("q3", 31.0, "abandoned", caller="+420601123456"))
        short, real = self.call("q2"), self.call("q3")
        self.assertEqual((short.short_abandon, short.offered, short.abandoned), (True, False, False))
        self.assertEqual((real.short_abandon, real.offered, real.abandoned), (False, True, True))
        self.assertFalse(real.answered_in_sl)

    def test_a_call_without_a_queue_waits_its_ring_time_against_the_company_settings(self):
        self.company.cc_service_level_seconds = 15
        self.ingest(record("n1", wait_seconds=12.4), record("n2", caller="+420601123456", wait_seconds=17.0))
        self.assertTrue(self.call("n1").answered_in_sl)
        self.assertFalse(self.call("n2").answered_in_sl)
        self.assertFalse(self.call("n1").queue_id)

    def test_a_wait_the_pbx_could_not_tell_is_not_counted_as_quick(self):
        self.ingest(record("n3", wait_seconds=None))
        call = self.call("n3")
        self.assertEqual((call.wait_known, call.answered_in_sl, call.offered), (False, False, True))


@tagged("post_install", "-at_install")
class TestCallbacks(BridgeCase):
    def open_callbacks(self):
        return self.env["k2.cc.callback"].search([("number", "=", NUMBER), ("state", "=", "open")])

    def test_missed_callers_stay_to_call_back_until_an_answered_call_closes_them(self):
        self.ingest(queued("m1", 40.0, "abandoned", start="2026-03-02T08:00:00+00:00"))
        callback = self.open_callbacks()
        self.assertEqual((callback.attempts, callback.partner_id, callback.queue_id.name),
                         (1, self.customer, "support"))
        self.ingest(record("m2", disposition="no_answer", answered_by=None, answer=None,
                           start="2026-03-02T09:00:00+00:00", end="2026-03-02T09:00:30+00:00"))
        self.assertEqual(self.open_callbacks(), callback, "one open entry per number")
        self.assertEqual(callback.attempts, 2)
        self.assertEqual(callback.last_call_time, fields.Datetime.to_datetime("2026-03-02 09:00:00"))
        self.assertEqual(callback.line_ids, self.line)
        # an agent calls back: the answered outgoing call closes it
        self.ingest(record("m3", direction="outbound", caller="202", callee=NUMBER, answered_by=NUMBER,
                           start="2026-03-02T10:00:00+00:00", answer="2026-03-02T10:00:05+00:00",
                           end="2026-03-02T10:03:00+00:00"))
        self.assertEqual(callback.state, "done")
        self.assertEqual((callback.closed_by_id, callback.closed_call_id.pbx_call_id), (self.agent2, "m3"))
        self.assertEqual(callback.delay_seconds, 2 * 3600 + 5)
        self.assertEqual(sorted(callback.call_ids.mapped("pbx_call_id")), ["m1", "m2", "m3"])
        # a new missed call opens a new entry
        self.ingest(queued("m4", 25.0, "abandoned", start="2026-03-03T08:00:00+00:00"))
        self.assertNotEqual(self.open_callbacks(), callback)

    def test_one_batch_opens_closes_and_opens_again_the_callback_of_a_number(self):
        """The bridge writes what the PBX did while the database was slow in one go."""
        self.ingest(record("b1", disposition="no_answer", answered_by=None, answer=None,
                           start="2026-03-02T08:00:00+00:00", end="2026-03-02T08:00:30+00:00"),
                    record("b2", disposition="cancelled", answered_by=None, answer=None,
                           start="2026-03-02T08:10:00+00:00", end="2026-03-02T08:10:20+00:00"),
                    record("b3", direction="outbound", caller="202", callee=NUMBER, answered_by=NUMBER,
                           start="2026-03-02T09:00:00+00:00", answer="2026-03-02T09:00:05+00:00",
                           end="2026-03-02T09:03:00+00:00"),
                    record("b4", disposition="no_answer", answered_by=None, answer=None,
                           start="2026-03-02T10:00:00+00:00", end="2026-03-02T10:00:30+00:00"))
        callbacks = self.env["k2.cc.callback"].search([("number", "=", NUMBER)], order="id")
        self.assertEqual([(callback.state, callback.attempts) for callback in callbacks], [("done", 2), ("open", 1)])
        self.assertEqual(sorted(callbacks[0].call_ids.mapped("pbx_call_id")), ["b1", "b2", "b3"])
        self.assertEqual(callbacks[1].call_ids.mapped("pbx_call_id"), ["b4"])
        self.assertEqual((callbacks[0].closed_call_id.pbx_call_id, callbacks[0].delay_seconds,
                          callbacks[0].last_call_time, callbacks[0].line_ids),
                         ("b3", 3600 + 5, fields.Datetime.to_datetime("2026-03-02 08:10:00"), self.line))
        # the next batch closes the open one (created by the batch before) and opens another
        self.ingest(record("b5", direction="outbound", caller="202", callee=NUMBER, answered_by=NUMBER,
                           start="2026-03-02T11:00:00+00:00", answer="2026-03-02T11:00:05+00:00",
                           end="2026-03-02T11:01:00+00:00"),
                    record("b6", disposition="no_answer", answered_by=None, answer=None,
                           start="2026-03-02T12:00:00+00:00", end="2026-03-02T12:00:30+00:00"))
        callbacks = self.env["k2.cc.callback"].search([("number", "=", NUMBER)], order="id")
        self.assertEqual([(callback.state, callback.closed_call_id.pbx_call_id) for callback in callbacks],
                         [("done", "b3"), ("done", "b5"), ("open", False)])
        self.assertEqual(callbacks[2].call_ids.mapped("pbx_call_id"), ["b6"])

    def test_no_callback_for_answered_internal_or_withheld_calls(self):
        self.ingest(record("w1"),
                    record("w2", direction="internal", caller="202", disposition="no_answer", answered_by=None),
                    record("w3", caller="anonymous", disposition="no_answer", answered_by=None),
                    record("w4", direction="outbound", caller="201", callee=NUMBER, disposition="busy",
                           answered_by=None))
        self.assertFalse(self.env["k2.cc.callback"].search([("pbx_id", "=", self.pbx.id)]))

    def test_agents_see_the_callbacks_of_their_lines_and_queues_managers_all(self):
        self.ingest(record("v1", disposition="no_answer", answered_by=None, rang=["201"]),
                    record("v2", caller="+420601123456", disposition="no_answer", answered_by=None, rang=["202"]))
        Callback = self.env["k2.cc.callback"]
        self.assertEqual(Callback.with_user(self.agent).search([]).mapped("number"), [NUMBER])
        self.assertEqual(len(Callback.with_user(self.manager).search([])), 2)
        queue = self.env["k2.cc.queue"].create({"pbx_id": self.pbx.id, "name": "sales",
                                                "member_line_ids": [(6, 0, self.line.ids)]})
        Callback.search([("number", "=", "+420601123456")]).queue_id = queue
        self.assertEqual(len(Callback.with_user(self.agent).search([])), 2)
