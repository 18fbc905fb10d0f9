import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from unittest.mock import patch

import psycopg2

from odoo.tests import TransactionCase, new_test_user, tagged

from ..bridge import runner
from ..bridge.runner import PbxLink
from ..services import cdr
from ..services.ami.simulator import SimulatorThread
from .common import LinkedPbxMixin


@tagged("post_install", "-at_install")
class TestCdrBackfill(LinkedPbxMixin, TransactionCase):
    """The simulator writes its CDR rows into a PostgreSQL table as Asterisk's
    cdr_pgsql does; after an outage the bridge recovers from there the calls
    it could not see, and only those."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cdr_db = f"k2cc_cdr_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = psycopg2.connect(dbname="postgres")
        admin.autocommit = True
        with admin.cursor() as cr:
            cr.execute(f'CREATE DATABASE "{cls.cdr_db}"')
        cls.cdr_user = admin.get_dsn_parameters().get("user") or ""
        admin.close()
        cls.addClassCleanup(cls._drop_cdr_db)
        cls.source = cdr.CdrSource("pgsql", "", 0, cls.cdr_db, cls.cdr_user, "", "cdr", "Europe/Prague")
        cdr.create_table(cls.source)

    @classmethod
    def _cdr_sql(cls, sql):
        connection = psycopg2.connect(dbname=cls.cdr_db)
        with connection, connection.cursor() as cr:
            cr.execute(sql)
        connection.close()

    @classmethod
    def _drop_cdr_db(cls):
        admin = psycopg2.connect(dbname="postgres")
        admin.autocommit = True
        with admin.cursor() as cr:
            cr.execute(f'DROP DATABASE IF EXISTS "{cls.cdr_db}" WITH (FORCE)')
        admin.close()

    def setUp(self):
        super().setUp()
        self._cdr_sql("TRUNCATE cdr")  # the PBX of each test is new, its CDRs too
        self.sim = SimulatorThread(username="odoo", secret="s3cret", extensions=("201", "202"), seed=11,
                                   cdr=self.source)
        self.port = self.sim.start()
        self.addCleanup(self.sim.stop)
        self.agent = new_test_user(self.env, "k2cdr", groups="base.group_user")
        self.pbx = self.env["k2.cc.pbx"].create({
            "code": "CDR", "name": "Simulator with CDR", "country_id": self.env.ref("base.cz").id,
            "extension_prefix": "221122", "extension_patterns": "2XX, 6XX", "trunk_names": "k2-trunk",
            "connector": "ami", "host": "127.0.0.1", "port": self.port, "username": "odoo", "password": "s3cret",
            "tz": "Europe/Prague", "cdr_kind": "pgsql", "cdr_database": self.cdr_db, "cdr_user": self.cdr_user,
            "cdr_table": "cdr",
        })
        self.env["k2.cc.line"].create([
            {"pbx_id": self.pbx.id, "extension": "201", "user_id": self.agent.id},
            {"pbx_id": self.pbx.id, "extension": "202"},
        ])
        self.env.flush_all()
        self.registry.enter_test_mode(self.env.cr)
        self.addCleanup(self.registry.leave_test_mode)
        self.link = self.start_link()

    def start_link(self):
        link = PbxLink(self.env.cr.dbname, self.pbx.id, ping_interval=0.5)
        self.assertTrue(link.start())
        self.addCleanup(link.stop)
        return link

    def cdr_written(self):
        self.sim.run(lambda sim: None)  # the simulator's loop handed over what it had
        self.sim.simulator.cdr_backend.join()

    def backfilled(self, link):
        """Wait until the backfills the link started are read and written."""
        deadline = time.monotonic() + 30
        while not link.backfills and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertTrue(link.backfills, "a backfill after the link came back")
        for thread in list(link.backfills):
            thread.join(30)
        while len(link.sink) and time.monotonic() < deadline:  # items leave the buffer once written
            time.sleep(0.05)

    def history(self):
        return self.read_db(lambda env: {call.pbx_call_id: (call.cdr_recovered, call.disposition, call.direction,
                                                            call.caller_number, call.talk_duration)
                                         for call in env["k2.cc.call"].search([("pbx_id", "=", self.pbx.id)])})

    def test_calls_made_while_the_link_was_half_open_are_recovered_once(self):
        self.wait_for(lambda env: self.link_state() == "connected", "the link")
        seen = self.play(["inbound_answered", "outbound_busy"])
        self.wait_for(lambda env: len(self.finished_calls(env)) == 2, "the calls seen live")
        spanning = self.sim.run(lambda sim: sim.play_call("internal", hold=True))
        self.wait_for(lambda env: env["k2.cc.call"].search_count([("pbx_id", "=", self.pbx.id),
                                                                   ("state", "=", "talking")]),
                      "the call that spans the outage to be answered")
        self.sim.run(lambda sim: sim.stop_answering_pings(True))
        unseen = self.play(["queue", "internal_no_answer", "outbound_answered"])
        spanning.release()
        self.sim.run(lambda _sim: spanning.done)
        self.wait_for(lambda env: self.link_state() != "connected", "the silent link to be detected", timeout=15)
        self.cdr_written()
        self.sim.run(lambda sim: sim.stop_answering_pings(False))
        self.wait_for(lambda env: self.link_state() == "connected", "the link to come back", timeout=15)
        self.backfilled(self.link)
        every = seen + spanning.expected + unseen
        self.wait_for(lambda env: len(self.finished_calls(env)) == len(every), "every call in the history")
        history = self.history()
        self.assertEqual(sorted(history), sorted(want["call_id"] for want in every), "no call missing, none twice")
        for want in every:
            recovered, disposition, direction, caller, _talk = history[want["call_id"]]
            self.assertEqual(recovered, want in unseen, want["kind"])
            self.assertEqual((disposition, direction, caller),
                             (want["disposition"], want["direction"], want["caller"]), want["kind"])
        pbx = self.read_db(lambda env: env["k2.cc.pbx"].browse(self.pbx.id).read(
            ["cdr_recovered", "cdr_error"])[0])
        self.assertEqual((pbx["cdr_recovered"], pbx["cdr_error"]), (len(unseen), False))
        # the call whose end the link lost: the resync closed it when the link was lost, its CDR (read
        # a moment later, once the PBX wrote it) says how long it really lasted
        now = datetime.now(UTC)
        rows = cdr.read_rows(self.source, *cdr.window(now, now, margin=600))
        (billsec,) = [row["billsec"] for row in rows if row["linkedid"] == spanning.expected[0]["call_id"]]
        self.wait_for(lambda env: abs(self.history()[spanning.expected[0]["call_id"]][4] - billsec) <= 1,
                      "the talk time its CDR tells")

    def test_calls_made_while_no_bridge_ran_are_recovered_at_start(self):
        self.wait_for(lambda env: self.link_state() == "connected", "the link")
        seen = self.play(["internal"])
        self.wait_for(lambda env: len(self.finished_calls(env)) == 1, "the call seen live")
        self.link.stop()  # a deploy: the bridge stops, the PBX goes on
        unseen = self.play(["inbound_answered", "queue", "blind_transfer"])
        self.cdr_written()
        link = self.start_link()
        self.wait_for(lambda env: self.link_state() == "connected", "the new bridge's link")
        self.backfilled(link)
        history = self.history()
        self.assertEqual(sorted(history), sorted(want["call_id"] for want in seen + unseen))
        self.assertEqual({call_id for call_id, facts in history.items() if facts[0]},
                         {want["call_id"] for want in unseen})
        # the bridge starting once more reads the same window again: still nothing twice
        link.stop()
        link = self.start_link()
        self.backfilled(link)
        self.assertEqual(len(self.history()), len(seen + unseen))

    def test_a_link_lost_again_during_its_resync_misses_no_call(self):
        """A bridge starts while a call is in progress, and the PBX goes away
        right after listing its channels (before the resync could use the
        list): the call the list showed, which ends while the link is down,
        and the calls made meanwhile are all recorded, once."""
        self.wait_for(lambda env: self.link_state() == "connected", "the link")
        self.link.stop()
        taken_up = self.sim.run(lambda sim: sim.play_call("internal", hold=True))
        self.sim.run(lambda sim: sim.drop_after("CoreShowChannels",
                                                then=lambda: sim.stop_answering_pings(True)))
        link = self.start_link()
        deadline = time.monotonic() + 20
        while self.sim.run(lambda sim: sim._drop_after) is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertIsNone(self.sim.run(lambda sim: sim._drop_after), "the PBX listed its channels, then went")
        unseen = self.play(["inbound_answered", "outbound_busy"])
        taken_up.release()
        self.sim.run(lambda _sim: taken_up.done)
        self.cdr_written()
        self.sim.run(lambda sim: sim.stop_answering_pings(False))
        deadline = time.monotonic() + 30
        while len(link.backfills) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(len(link.backfills), 2, "a backfill at each resync: at start and once back")
        self.backfilled(link)
        every = taken_up.expected + unseen
        self.wait_for(lambda env: len(self.finished_calls(env)) == len(every), "every call in the history")
        history = self.history()
        self.assertEqual(sorted(history), sorted(want["call_id"] for want in every), "no call missing, none twice")
        self.assertEqual({call_id for call_id, facts in history.items() if facts[0]},
                         {want["call_id"] for want in unseen}, "the calls of the outage from their CDRs")

    def test_a_call_a_bridge_took_up_and_stopped_before_it_ended_is_closed_by_the_next_from_its_cdr(self):
        """A bridge starts during a call, takes it up, and stops (a deploy)
        before the call ends: the history has the call from the moment it
        was taken up, and the next bridge closes it with what its CDR tells."""
        self.wait_for(lambda env: self.link_state() == "connected", "the link")
        self.link.stop()
        taken_up = self.sim.run(lambda sim: sim.play_call("inbound_answered", hold=True))
        call_id = taken_up.expected[0]["call_id"]

        def call(env):
            return env["k2.cc.call"].search([("pbx_call_id", "=", call_id)])

        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len([chan for chan in self.sim.run(lambda sim: sim.live_channels())
                                                   if str(chan.get("ChannelState")) == "6"]) < 2:  # answered
            time.sleep(0.05)
        link = self.start_link()
        self.wait_for(lambda env: call(env).state == "talking", "the call taken up in the history")
        link.stop()
        taken_up.release()
        self.sim.run(lambda _sim: taken_up.done)
        self.cdr_written()
        link = self.start_link()
        self.backfilled(link)
        closed = self.wait_for(lambda env: call(env).filtered(lambda c: c.state == "done" and not c.cdr_due).read(
            ["disposition", "talk_duration", "answer_time", "end", "cdr_recovered"]), "the call closed from its CDR")
        row = self.answered_cdr(taken_up.expected[0])
        self.assertEqual((closed[0]["disposition"], closed[0]["cdr_recovered"]), ("answered", False))
        self.assertAlmostEqual(closed[0]["talk_duration"], row["billsec"], delta=1)
        self.assertAlmostEqual((closed[0]["end"] - closed[0]["answer_time"]).total_seconds(), row["billsec"],
                               delta=1)
        self.assertEqual(len(self.history()), 1, "closed, not recorded twice")

    def test_a_correction_a_stopped_bridge_owed_is_made_by_the_next(self):
        """A call closed at a resync whose CDR the bridge had not read yet when
        it stopped (a deploy right after an outage): the next bridge reads it."""
        self.wait_for(lambda env: self.link_state() == "connected", "the link")
        self.link.stop()
        (want,) = self.play(["inbound_answered"])
        self.cdr_written()
        start = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        self.read_db(lambda env: env["k2.cc.call"].create({  # as the resync left it: ended when the link went
            "pbx_id": self.pbx.id, "pbx_call_id": want["call_id"], "state": "done", "direction": "inbound",
            "disposition": "no_answer", "caller_number": want["caller"], "start": start, "end": start,
            "cdr_due": "end"}))
        link = self.start_link()
        self.backfilled(link)
        call = self.wait_for(lambda env: env["k2.cc.call"].search_read(
            [("pbx_call_id", "=", want["call_id"]), ("cdr_due", "=", False)],
            ["disposition", "talk_duration", "cdr_recovered"]), "the correction the stopped bridge owed")
        now = datetime.now(UTC)
        (billsec,) = [row["billsec"] for row in cdr.read_rows(self.source, *cdr.window(now, now, margin=600))
                      if row["linkedid"] == want["call_id"] and row["disposition"] == "ANSWERED"]
        self.assertEqual([(c["disposition"], c["cdr_recovered"]) for c in call], [("answered", False)])
        self.assertAlmostEqual(call[0]["talk_duration"], billsec, delta=1)
        self.assertEqual(len(self.history()), 1, "corrected, not recorded twice")

    def owed(self, want, cdr_due):
        """``want``'s call as a resync left it: closed, not answered, ended when the link went."""
        start = datetime.now(UTC).replace(tzinfo=None, microsecond=0) - timedelta(minutes=1)
        self.read_db(lambda env: env["k2.cc.call"].create({
            "pbx_id": self.pbx.id, "pbx_call_id": want["call_id"], "state": "done", "direction": "inbound",
            "disposition": "cancelled", "caller_number": want["caller"], "start": start, "end": start,
            "cdr_due": cdr_due}))

    def answered_cdr(self, want):
        now = datetime.now(UTC)
        (row,) = [row for row in cdr.read_rows(self.source, *cdr.window(now, now, margin=600))
                  if row["linkedid"] == want["call_id"] and row["disposition"] == "ANSWERED"]
        return row

    def test_a_call_taken_up_and_closed_by_a_resync_takes_answer_and_end_from_its_cdr(self):
        """Neither its answer (it was taken up in progress) nor its end (the
        link was down) was seen: both are its CDR's, not the resync's guess."""
        self.wait_for(lambda env: self.link_state() == "connected", "the link")
        self.link.stop()
        (want,) = self.play(["inbound_answered"])
        self.cdr_written()
        self.owed(want, "all")
        link = self.start_link()
        self.backfilled(link)
        call = self.wait_for(lambda env: env["k2.cc.call"].search_read(
            [("pbx_call_id", "=", want["call_id"]), ("cdr_due", "=", False)],
            ["disposition", "talk_duration", "answer_time", "end"]), "the correction")
        row = self.answered_cdr(want)
        self.assertEqual(call[0]["disposition"], "answered")
        self.assertAlmostEqual(call[0]["talk_duration"], row["billsec"], delta=1)
        self.assertAlmostEqual((call[0]["end"] - call[0]["answer_time"]).total_seconds(), row["billsec"], delta=1)

    def test_a_pbx_whose_cdrs_tell_cancelled_calls_corrects_a_guessed_cancel(self):
        """With canceldispositionenabled, a CDR's NO ANSWER means the phone
        rang out: the resync's guess (cancelled) gives way to it."""
        self.wait_for(lambda env: self.link_state() == "connected", "the link")
        self.link.stop()
        (want,) = self.play(["internal_no_answer"])
        self.assertEqual(want["disposition"], "no_answer")
        self.cdr_written()
        self.owed(want, "end")
        self.read_db(lambda env: env["k2.cc.pbx"].browse(self.pbx.id).write({"cdr_cancel_disposition": True}))
        link = self.start_link()
        self.backfilled(link)
        call = self.wait_for(lambda env: env["k2.cc.call"].search_read(
            [("pbx_call_id", "=", want["call_id"]), ("cdr_due", "=", False)], ["disposition"]), "the correction")
        self.assertEqual(call[0]["disposition"], "no_answer")

    def test_a_cdr_the_pbx_writes_late_is_looked_for_again(self):
        """Asterisk's CDR batch mode writes CDRs minutes after the calls:
        a call whose CDR is not there yet is looked for again later."""
        self.wait_for(lambda env: self.link_state() == "connected", "the link")
        self.link.stop()
        (want,) = self.play(["inbound_answered"])
        self.cdr_written()
        self._cdr_sql("CREATE TABLE held AS SELECT * FROM cdr; DELETE FROM cdr")  # not written yet
        self.addCleanup(self._cdr_sql, "DROP TABLE IF EXISTS held")
        self.owed(want, "end")
        with patch.object(runner, "CDR_RETRIES", (0.5,) * 40):
            link = self.start_link()
            deadline = time.monotonic() + 30
            while want["call_id"] not in link._cdr_attempts and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertIn(want["call_id"], link._cdr_attempts, "looked for once, in vain")
            self._cdr_sql("INSERT INTO cdr SELECT * FROM held")  # the PBX's next batch
            call = self.wait_for(lambda env: env["k2.cc.call"].search_read(
                [("pbx_call_id", "=", want["call_id"]), ("cdr_due", "=", False)],
                ["disposition", "talk_duration"]), "the correction, once the CDR is there")
        self.assertEqual(call[0]["disposition"], "answered")
        self.assertAlmostEqual(call[0]["talk_duration"], self.answered_cdr(want)["billsec"], delta=1)
        self.assertNotIn(want["call_id"], link._cdr_attempts)

    def test_a_cdr_source_that_is_down_is_a_warning_on_the_pbx_only(self):
        self.link.stop()
        self.read_db(lambda env: env["k2.cc.pbx"].browse(self.pbx.id).write(
            {"cdr_host": "127.0.0.1", "cdr_port": 1}))
        unseen = self.play(["inbound_answered"])
        with self.assertLogs("odoo.addons.k2_contact_center.bridge.runner", "WARNING") as logs:
            link = self.start_link()
            self.wait_for(lambda env: self.link_state() == "connected", "the link")
            self.backfilled(link)
        self.assertIn("could not be read from the CDR source", "\n".join(logs.output))
        error = self.read_db(lambda env: env["k2.cc.pbx"].browse(self.pbx.id).cdr_error)
        self.assertIn("could not be read from the CDR source", error)
        self.assertNotIn(unseen[0]["call_id"], self.history())
        seen = self.play(["outbound_answered"])
        self.wait_for(lambda env: len(self.finished_calls(env)) == 1, "a call after the failed backfill")
        self.assertEqual(list(self.history()), [seen[0]["call_id"]])
        self.assertEqual(self.link_state(), "connected")

    def test_test_cdr_connection(self):
        self.link.stop()
        pbx = self.env["k2.cc.pbx"].browse(self.pbx.id)
        ok = pbx.action_test_cdr()
        self.assertEqual(ok["params"]["type"], "success")
        pbx.cdr_table = "no_such_table"
        failed = pbx.action_test_cdr()
        self.assertEqual(failed["params"]["type"], "danger")
        self.assertIn("no_such_table", failed["params"]["message"])
