from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from ..bridge.ingest import ingest
from .common import K2CcCase

START = "2026-03-02T08:00:00+00:00"


def live(call_id, state, **data):
    return ("live", {"call_id": call_id, "start": START, "state": state, "direction": "inbound",
                     "caller": "+420603555777", "caller_name": None, "callee": "201", "ringing": [],
                     "answered_by": None, **data})


def record(call_id, **data):
    return ("record", {"call_id": call_id, "direction": "inbound", "disposition": "answered",
                       "caller": "+420603555777", "caller_name": None, "callee": "201", "answered_by": "201",
                       "rang": ["201"], "transfers": [], "start": START, "answer": "2026-03-02T08:00:12+00:00",
                       "end": "2026-03-02T08:04:19+00:00", "ring_seconds": 12.4, "talk_seconds": 247.0, **data})


@tagged("post_install", "-at_install")
class TestIngest(K2CcCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._partner("Antonín Dvořák", country_id=cls.cz.id, mobile="603 555 777")
        cls.recorder = cls.env.ref("k2_contact_center.user_k2_cc_recorder")
        cls.Call = cls.env["k2.cc.call"].with_user(cls.recorder).with_context(tracking_disable=True)
        cls.pbx_as_recorder = cls.pbx.with_user(cls.recorder)

    def ingest(self, *items):
        return ingest(self.pbx_as_recorder, list(items))

    def calls(self, call_id):
        return self.env["k2.cc.call"].search([("pbx_id", "=", self.pbx.id), ("pbx_call_id", "=", call_id)])

    def test_call_followed_from_ringing_to_end(self):
        self.ingest(live("c1", "ringing", ringing=["201", "202"], caller_name="Antonín Dvořák"))
        call = self.calls("c1")
        self.assertEqual((call.state, call.partner_id, call.match_kind), ("ringing", self.customer, "mobile"))
        self.assertEqual(call.rang_line_ids, self.line | self.line2)
        self.assertEqual(call.caller_name, "Antonín Dvořák")
        self.ingest(live("c1", "talking", answered_by="202"))
        self.assertEqual((call.state, call.line_id, call.user_id), ("talking", self.line2, self.agent2))
        self.ingest(record("c1", answered_by="202", rang=["201", "202"]))
        self.assertEqual(len(self.calls("c1")), 1)
        self.assertEqual((call.state, call.call_type, call.disposition), ("done", "received", "answered"))
        self.assertEqual((call.ring_duration, call.talk_duration), (12, 247))
        self.assertEqual(call.end, fields.Datetime.to_datetime("2026-03-02 08:04:19"))
        self.assertEqual(call.commercial_partner_id, self.customer)

    def test_a_call_taken_up_after_a_bridge_restart_keeps_what_the_history_knows(self):
        """A restart is a routine deploy: the call the PBX still lists is not
        over, and its end is the only thing the new bridge writes."""
        self.ingest(live("r1", "talking", answered_by="201"))
        call = self.calls("r1")
        start, answered = call.start, call.answer_time
        self.ingest(live("r1", "ringing", adopted=True, caller=None, callee=None))
        self.assertEqual(call.state, "talking", "what the history saw stands")
        end = answered + timedelta(seconds=90)
        self.ingest(record("r1", adopted=True, caller=None, callee=None, disposition="cancelled",
                           answered_by=None, answer=None, start=answered.isoformat() + "+00:00",
                           end=end.isoformat() + "+00:00", ring_seconds=None, talk_seconds=None))
        self.assertEqual((call.state, call.disposition, call.start, call.answer_time),
                         ("done", "answered", start, answered))
        self.assertEqual((call.caller_number, call.called_number, call.line_id), ("+420603555777", "201", self.line))
        self.assertEqual((call.end, call.talk_duration), (end, 90))

    def test_the_answer_a_bridge_saw_is_when_the_pbx_said_not_when_it_was_written(self):
        """A writer busy (loading, a batch behind) writes a call's answer
        late; a restarted bridge that takes the call up then keeps the
        history's answer as exact, so it must be the PBX's."""
        answered = "2026-03-02T08:00:02+00:00"
        self.ingest(live("a1", "talking", answered_by="201", answer=answered))
        call = self.calls("a1")
        self.assertEqual((call.answer_time, call.disposition), (fields.Datetime.to_datetime("2026-03-02 08:00:02"),
                                                                "answered"))
        self.ingest(record("a1", adopted=True, cdr_due="answer", answered_by=None, answer=None,
                           end="2026-03-02T08:00:31+00:00"))
        self.assertEqual((call.answer_time, call.talk_duration, call.cdr_due),
                         (fields.Datetime.to_datetime("2026-03-02 08:00:02"), 29, False))
        # an update that does not tell its answer: about now
        self.ingest(live("a2", "talking", answered_by="201"))
        self.assertAlmostEqual(self.calls("a2").answer_time, fields.Datetime.now(), delta=timedelta(seconds=60))

    def test_a_call_taken_up_owes_its_cdr_only_what_no_bridge_saw(self):
        """The answer a bridge saw is exact: its CDR (whole seconds) is not
        asked for it. An answer that came while no bridge saw it is a guess
        the CDR replaces."""
        self.ingest(live("r2", "talking", answered_by="201"))
        self.ingest(record("r2", adopted=True, cdr_due="answer", answered_by=None, answer=None))
        self.assertFalse(self.calls("r2").cdr_due, "the previous bridge saw it answered")
        self.ingest(live("r3", "talking", answered_by="201"))
        self.ingest(record("r3", adopted=True, cdr_due="all", answered_by=None, answer=None))
        self.assertEqual(self.calls("r3").cdr_due, "end", "closed by a resync: its end is owed")
        self.ingest(live("r4", "ringing", ringing=["201"]))
        self.ingest(live("r4", "talking", adopted=True, answered_by="201"))
        guessed = self.calls("r4")
        self.assertEqual((guessed.disposition, guessed.cdr_due), ("answered", "answer"))
        self.ingest(record("r4", adopted=True, cdr_due="answer"))
        self.assertEqual(guessed.cdr_due, "answer", "answered while no bridge saw it: the CDR tells when")
        # first written talking, by the bridge that took it up: the answer is a guess too
        self.ingest(live("r5", "talking", adopted=True, answered_by="201"))
        self.assertEqual(self.calls("r5").cdr_due, "answer")
        self.ingest(record("r5", adopted=True, cdr_due="answer"))
        self.assertEqual(self.calls("r5").cdr_due, "answer")

    def test_batch_writes_only_the_latest_update_of_each_call(self):
        self.env["bus.bus"].sudo().search([]).unlink()
        self.agent.cc_presence_wanted = True
        self.ingest(live("c30", "ringing", ringing=["201"]), live("c31", "ringing", ringing=["201"]),
                    live("c30", "talking", answered_by="201"), record("c30"))
        self.assertEqual((self.calls("c30").state, self.calls("c31").state), ("done", "ringing"))
        self.assertEqual([(p["pbx_call_id"], p["state"]) for p in self.bus_payloads(self.agent)],
                         [("c31", "ringing"), ("c30", "ended")])
        # the batch's cards of an agent travel in one bus message, in the order the calls changed
        self.assertEqual(self.env["bus.bus"].sudo().search_count([("message", "like", '"k2_cc_call"')]), 1)
        self.ingest(live("c31", "talking", answered_by="201"))
        self.env.cr.precommit.run()
        self.assertEqual(self.env["bus.bus"].sudo().search_count([("message", "like", '"k2_cc_call"')]), 2)

    def test_same_call_twice_is_written_once(self):
        self.ingest(record("c2"))
        self.ingest(record("c2"), live("c2", "talking"), record("c2", disposition="busy"))
        call = self.calls("c2")
        self.assertEqual(len(call), 1)
        self.assertEqual((call.state, call.disposition), ("done", "answered"))

    def test_outbound_through_outside_line_prefix(self):
        self.ingest(record("c3", direction="outbound", caller="201", callee="0603555777", answered_by="0603555777",
                           rang=["0603555777"]))
        call = self.calls("c3")
        self.assertEqual((call.call_type, call.line_id, call.user_id), ("outgoing", self.line, self.agent))
        self.assertEqual(call.partner_id, self.customer)

    def test_queue_nobody_answered_is_one_missed_call_seen_by_every_agent_it_rang(self):
        self.ingest(record("c4", disposition="cancelled", answered_by=None, rang=["201", "202"], answer=None,
                           talk_seconds=0.0))
        call = self.calls("c4")
        self.assertEqual((call.call_type, call.rang_line_ids), ("missed", self.line | self.line2))
        for agent in (self.agent, self.agent2):
            self.assertEqual(self.env["k2.cc.call"].with_user(agent).search([("pbx_call_id", "=", "c4")]), call)

    def test_device_names_map_to_lines(self):
        self.line.endpoint = "PJSIP/alice-desk"
        self.ingest(record("c5", answered_by="PJSIP/alice-desk", rang=["alice-desk"]))
        self.assertEqual(self.calls("c5").line_id, self.line)

    def test_line_without_logging_records_only_while_user_connected(self):
        self.line.log_calls = False
        self.ingest(record("c6", rang=["201"]))
        self.assertFalse(self.calls("c6"))
        self.agent.cc_presence_wanted = True
        self.ingest(record("c7", rang=["201"]))
        self.assertTrue(self.calls("c7"))

    def test_unknown_caller_and_withheld_number(self):
        self.ingest(record("c8", caller="+420777000999"), record("c9", caller="anonymous"))
        self.assertFalse(self.calls("c8").partner_id)
        self.assertEqual(self.calls("c9").caller_number, "anonymous")

    def test_watchdog_closes_calls_whose_end_was_lost(self):
        self.ingest(live("c10", "talking", answered_by="201"), live("c11", "ringing", ringing=["202"]))
        self.pbx.open_call_timeout = 30
        self.env.flush_all()
        old = fields.Datetime.now() - timedelta(hours=1)
        self.env.cr.execute("UPDATE k2_cc_call SET write_date = %s WHERE pbx_call_id IN ('c10', 'c11')", [old])
        self.env.invalidate_all()
        self.env["k2.cc.pbx"]._cc_watchdog()
        talked, rang = self.calls("c10"), self.calls("c11")
        self.assertEqual((talked.state, talked.disposition), ("done", "answered"))
        self.assertEqual((rang.state, rang.call_type), ("done", "missed"))

    def test_watchdog_marks_silent_bridge(self):
        self.pbx.sudo().write({"link_state": "connected",
                               "bridge_heartbeat": fields.Datetime.now() - timedelta(minutes=10)})
        self.env["k2.cc.pbx"]._cc_watchdog()
        self.assertEqual(self.pbx.link_state, "error")
        self.assertIn("stopped answering", self.pbx.link_error)

    def test_connected_agents_told_of_ringing_talking_and_end(self):
        self.env["bus.bus"].sudo().search([]).unlink()
        (self.agent | self.agent2).cc_presence_wanted = True
        self.ingest(live("c20", "ringing", ringing=["201", "202"], caller_name="Antonín Dvořák"))
        self.ingest(live("c20", "talking", answered_by="201"))
        self.ingest(record("c20", rang=["201", "202"]))
        states = [payload["state"] for payload in self.bus_payloads(self.agent)]
        self.assertEqual(states, ["ringing", "talking", "ended"])
        first = self.bus_payloads(self.agent)[0]
        self.assertEqual(first["contact"], {"id": self.customer.id, "name": "Antonín Dvořák"})
        self.assertEqual((first["number"], first["match_kind"], first["caller_name"]),
                         ("+420603555777", "mobile", "Antonín Dvořák"))
        self.assertEqual(len(self.bus_payloads(self.agent2)), 3)

    def test_unknown_caller_card_suggests_the_numbers_country(self):
        self.env["bus.bus"].sudo().search([]).unlink()
        self.agent.cc_presence_wanted = True
        self.ingest(live("c23", "ringing", caller="+4930123456789", ringing=["201"]))
        payload = self.bus_payloads(self.agent)[0]
        self.assertFalse(payload["contact"])
        self.assertEqual(payload["country_id"], self.de.id)

    def test_agent_never_receives_another_agents_call(self):
        self.env["bus.bus"].sudo().search([]).unlink()
        (self.agent | self.agent2).cc_presence_wanted = True
        self.ingest(live("c21", "ringing", ringing=["202"], callee="202"))
        self.assertFalse(self.bus_payloads(self.agent))
        self.assertEqual(len(self.bus_payloads(self.agent2)), 1)

    def test_disconnected_agent_gets_no_card_but_call_is_logged(self):
        self.env["bus.bus"].sudo().search([]).unlink()
        self.ingest(live("c22", "ringing", ringing=["201"]), record("c22"))
        self.assertFalse(self.bus_payloads(self.agent))
        self.assertEqual(self.calls("c22").state, "done")
