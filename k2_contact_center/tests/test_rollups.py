import random
from datetime import datetime, timedelta
from unittest.mock import patch

from odoo import models
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import SQL

from ..report.k2_cc_rollup import K2CcRollupMixin
from ..services import rollups

CALL_MEASURES = ["__count", "talk_duration:sum", "answered_talk_duration:avg", "missed_count:sum",
                 "answered_count:sum", "answer_rate:avg", "ring_duration:avg"]
QUALITY_MEASURES = ["__count", "offered_count:sum", "answered_count:sum", "answered_in_sl_count:sum",
                    "abandoned_count:sum", "short_abandon_count:sum", "service_level:avg", "abandon_rate:avg",
                    "wait_time:avg", "longest_wait:max"]
# Every grouping the dashboards' graphs, pivots and search views ask for.
CALL_GROUPINGS = [
    [], ["call_type"], ["start:month", "call_type"], ["start:week", "call_type"], ["start:day", "call_type"],
    ["start:hour", "call_type"], ["start:year"], ["hour", "call_type"], ["weekday", "call_type"], ["hour"],
    ["user_id"], ["line_id"], ["user_id", "call_type"], ["partner_group_id"], ["commercial_partner_id"],
    ["pbx_id"], ["is_internal", "direction", "disposition"],
]
AGENT_MEASURES = ["__count", "answered:sum", "rang_no_answer:sum", "handle_time:avg"]
AGENT_GROUPINGS = [[], ["user_id"], ["queue_id"], ["user_id", "queue_id"], ["line_id"]]
QUALITY_GROUPINGS = [[], ["queue_id"], ["start:day", "queue_id"], ["hour", "queue_id"], ["weekday"],
                     ["start:month"], ["short_abandon"]]
ZONES = ["Europe/Prague", "Asia/Kolkata", "America/St_Johns"]


@tagged("post_install", "-at_install")
class TestRollups(TransactionCase):
    """The rollups answer what the calls answer, in every time zone, before and
    after calls are moved, retyped, given another partner or queue, and deleted.

    Calls start on and around the edges of quarter hours, local midnights of
    three time zones (one of them :30 off UTC) and the change to summer time;
    every dashboard grouping is read as a manager reads it (from a rollup
    where one holds its fields) and from the calls, and must agree to the
    last digit."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.pbx = cls.env["k2.cc.pbx"].create({"code": "ROLL", "name": "Rollup PBX", "host": "127.0.0.1"})
        cls.manager = new_test_user(cls.env, "roll_manager", name="Rollup Manager", tz="Europe/Prague",
                                    groups="base.group_user,k2_contact_center.group_k2_cc_manager")
        cls.users = [new_test_user(cls.env, f"roll_agent_{n}", name=f"Rollup Agent {n}", tz="Europe/Prague",
                                   groups="base.group_user,k2_contact_center.group_k2_cc_user") for n in range(3)]
        cls.lines = [cls.env["k2.cc.line"].create({"pbx_id": cls.pbx.id, "extension": f"5{n}1", "user_id": user.id})
                     for n, user in enumerate(cls.users)]
        cls.partners = [cls.env["res.partner"].create({"name": f"Rollup Partner {n}", "is_company": True})
                        for n in range(4)]
        cls.queues = [cls.env["k2.cc.queue"].create({"pbx_id": cls.pbx.id, "name": f"roll{n}"}) for n in range(2)]
        rng = random.Random(13)
        moments = [
            "2025-03-30 00:59:59", "2025-03-30 01:00:00", "2025-03-29 23:00:00",  # Prague to summer time
            "2025-01-31 23:00:00", "2025-01-31 22:59:59", "2025-01-31 18:29:59",  # Prague / Kolkata midnight
            "2025-01-31 18:30:00", "2025-02-01 03:30:00", "2025-02-01 03:29:59",  # Kolkata / St John's midnight
            "2025-06-30 02:30:00", "2025-06-30 02:29:59", "2025-06-30 21:59:59",  # St John's summer, Prague
            "2025-06-30 22:00:00", "2025-12-31 23:14:59", "2025-12-31 23:15:00",
        ]
        moments += [(datetime(2025, 1, 1) + timedelta(minutes=rng.randrange(365 * 24 * 60), seconds=rng.randrange(60)))
                    .strftime("%Y-%m-%d %H:%M:%S") for _n in range(45)]
        cls.calls = cls.env["k2.cc.call"]
        for index, moment in enumerate(moments):
            cls.calls |= cls._call(index, moment, rng)

    @classmethod
    def _call(cls, index, moment, rng):
        start = datetime.fromisoformat(moment)
        direction = rng.choice(["inbound", "inbound", "inbound", "outbound", "internal"])
        disposition = rng.choice(["answered", "answered", "cancelled", "no_answer", "busy"])
        ring, talk = rng.randrange(0, 40), rng.randrange(0, 900)
        answered = disposition == "answered"
        line = rng.randrange(3)
        rang = cls.lines[line] | (cls.lines[rng.randrange(3)] if rng.random() < 0.4 else cls.lines[line])
        queue = rng.choice([False, *cls.queues])
        partner = rng.choice([False, *cls.partners])
        return cls.env["k2.cc.call"].create({
            "pbx_id": cls.pbx.id,
            "pbx_call_id": f"roll-{index}",
            "user_id": cls.users[line].id,
            "line_id": cls.lines[line].id,
            "rang_line_ids": [(6, 0, rang.ids)],
            "direction": direction,
            "disposition": disposition,
            "partner_id": partner.id if partner else False,
            "start": start,
            "answer_time": start + timedelta(seconds=ring) if answered else False,
            "end": start + timedelta(seconds=ring + (talk if answered else 0)),
            "queue_id": queue.id if queue else False,
            "wait_time": rng.randrange(0, 120),
            "wait_known": rng.random() < 0.9,
        })

    def _domains(self):
        """The dashboards' filters, in UTC, for the local year, a local month, and ragged ends
        (months, days and hours)."""
        pbx = [("pbx_id", "=", self.pbx.id)]
        return [
            pbx,
            pbx + [("start", ">=", "2024-12-31 23:00:00"), ("start", "<=", "2025-12-31 22:59:59")],
            pbx + [("start", ">=", "2024-12-31 23:00:00"), ("start", "<", "2025-12-31 23:00:00")],
            pbx + [("start", ">=", "2025-01-31 18:30:00"), ("start", "<", "2025-02-28 18:30:00"),
                   ("is_internal", "=", False)],
            pbx + [("start", ">", "2025-03-07 10:07:13"), ("start", "<", "2025-09-02 03:29:59"),
                   ("commercial_partner_id", "!=", False)],
            pbx + [("start", ">=", "2025-06-30 02:30:00")],
            pbx + [("start", ">=", "2025-03-10 00:00:00"), ("start", "<", "2025-06-20 12:00:00")],
        ]

    def _rows(self, model, domain, measures, groupby, plain):
        rows = model.with_context(k2_cc_plain=plain).read_group(domain, measures, groupby, lazy=False)
        return [{key: value for key, value in row.items() if key != "__domain"} for row in rows]

    def _assert_same(self, model_name, measures, groupings):
        planned = set()
        for tz in ZONES:
            model = self.env[model_name].with_user(self.manager).with_context(tz=tz)
            for domain in self._domains():
                domain = [term for term in domain if term[0] in model._fields]
                for groupby in groupings:
                    plan = model._cc_plan(domain, groupby, measures, (), None)
                    planned |= {rollup.table for rollup in plan.rollups} if plan else {None}
                    with self.subTest(tz=tz, groupby=groupby, domain=domain):
                        self.assertEqual(self._rows(model, domain, measures, groupby, False),
                                         self._rows(model, domain, measures, groupby, True))
        # Every rollup was read, and the calls where no rollup has the fields (partners by type...).
        self.assertEqual(planned - {None}, {rollup.table for rollup in self.env[model_name]._cc_rollups})

    def _assert_ranking_same(self):
        """The partner ranking past its size (the top and the rest) as the calls give it."""
        for tz in ZONES:
            model = self.env["k2.cc.call.report"].with_user(self.manager).with_context(tz=tz, k2_cc_ranking=2)
            for domain in self._domains():
                for groupby in (["partner_group_id"], ["partner_group_id", "is_internal"]):
                    with self.subTest(tz=tz, groupby=groupby, domain=domain):
                        rows = self._rows(model, domain, CALL_MEASURES, groupby, False)
                        self.assertEqual(rows, self._rows(model, domain, CALL_MEASURES, groupby, True))

    def _assert_home_same(self):
        report = self.env["k2.cc.call.report"].with_user(self.manager)
        for tz in ZONES:
            for period, now in (("month", "2025-02-10T09:00:00"), ("year", "2025-06-30T12:00:00"),
                                ("today", "2025-03-30T12:00:00"), ("quarter", "2025-12-31T18:00:00"),
                                ("12months", "2025-12-31T18:00:00"), ("week", "2025-06-30T06:00:00")):
                for scope in ("team", "mine"):
                    with self.subTest(tz=tz, period=period, scope=scope):
                        reader = report.with_context(tz=tz)
                        self.assertEqual(reader.cc_home_data(scope, period, internal=True, now=now),
                                         reader.with_context(k2_cc_plain=True).cc_home_data(
                                             scope, period, internal=True, now=now))

    def _assert_rollups_rebuild_alike(self):
        """The triggers left every rollup as filling it from scratch does."""
        cr = self.env.cr
        for model_name in ("k2.cc.call.report", "k2.cc.quality.report", "k2.cc.queue.agent.report"):
            Model = self.env[model_name]
            for rollup in Model._cc_rollups:
                self.env.flush_all()
                query = SQL("SELECT * FROM %s", SQL.identifier(rollup.table))
                cr.execute(query)
                kept = sorted(row[1:] for row in cr.fetchall())
                Model._cc_rebuild(rollup)
                cr.execute(query)
                self.assertEqual(kept, sorted(row[1:] for row in cr.fetchall()), rollup.table)

    def _assert_all(self):
        self._assert_same("k2.cc.call.report", CALL_MEASURES, CALL_GROUPINGS)
        self._assert_ranking_same()
        self._assert_same("k2.cc.quality.report", QUALITY_MEASURES, QUALITY_GROUPINGS)
        self._assert_same("k2.cc.queue.agent.report", AGENT_MEASURES, AGENT_GROUPINGS)
        self._assert_home_same()
        self._assert_rollups_rebuild_alike()

    def test_rollups_answer_as_the_calls(self):
        self._assert_all()
        # The rollups hold these calls: the figures are not all empty.
        self.env.cr.execute("SELECT sum(k2_call_count) FROM k2_cc_rollup_call_quarter WHERE pbx_id = %s",
                            [self.pbx.id])
        self.assertEqual(self.env.cr.fetchone()[0], len(self.calls))

    def test_date_groups_labelled_as_odoo_labels_them(self):
        """Each date labelled once: the labels, ranges and domains Odoo gives every row."""
        def odoo_labels(model, rows, groupby):
            return models.Model._read_group_format_result(model, rows, groupby)

        for model_name, groupby in (("k2.cc.quality.report", ["start:day", "queue_id"]),
                                    ("k2.cc.call.report", ["call_type", "start:week"]),
                                    ("k2.cc.call.report", ["start:month", "user_id"])):
            model = self.env[model_name].with_user(self.manager).with_context(tz="Europe/Prague")
            rows = model.read_group([("start", ">=", "2025-03-01 00:00:00")], ["__count"], groupby, lazy=False)
            with patch.object(K2CcRollupMixin, "_read_group_format_result", odoo_labels):
                self.assertEqual(rows, model.read_group([("start", ">=", "2025-03-01 00:00:00")], ["__count"],
                                                        groupby, lazy=False))

    def test_rollups_follow_edits_and_deletes(self):
        calls = self.calls.sorted("id")
        # Moved in time: by a day, and by seconds across a quarter hour and a local midnight.
        calls[0].start += timedelta(days=1)
        calls[3].start += timedelta(seconds=1)
        calls[5].start -= timedelta(minutes=20)
        # Retyped: answered becomes missed, inbound becomes outgoing, internal becomes external.
        for call in calls[6:12]:
            call.write({"disposition": "no_answer" if call.disposition == "answered" else "answered"})
        calls[12].direction = "outbound"
        calls[13].direction = "inbound"
        # Another partner, another queue, another operator.
        calls[14].partner_id = self.partners[0] if calls[14].partner_id != self.partners[0] else self.partners[1]
        calls[15].partner_id = False
        calls[16].queue_id = self.queues[1] if calls[16].queue_id != self.queues[1] else self.queues[0]
        calls[17].write({"user_id": self.users[2].id, "line_id": self.lines[2].id})
        # The lines that rang: one more, one less, and a line given to another agent.
        queued = calls.filtered("queue_id")
        queued[0].rang_line_ids |= self.lines[2]
        queued[1].rang_line_ids = queued[1].rang_line_ids[:1] if len(queued[1].rang_line_ids) > 1 else self.lines[0]
        self.lines[1].user_id = self.users[0]
        # The longest wait of its bucket shrinks: the bucket's maximum is read again.
        longest = max(calls.filtered("offered"), key=lambda call: call.wait_time)
        longest.wait_time = 1
        self._assert_all()
        # Several calls changed by one statement, then deleted, the longest waits first.
        calls[20:30].write({"talk_duration": 42, "start": datetime(2025, 5, 5, 10, 0, 0)})
        waiting = calls.filtered("offered").sorted("wait_time", reverse=True)
        (waiting[:3] | calls[30:36]).unlink()
        # A call that ends (not done yet, then done) enters the figures then.
        ringing = self._call(99, "2025-04-01 10:00:00", random.Random(1))
        ringing.state = "ringing"
        self._assert_all()
        ringing.state = "done"
        self._assert_all()


class TestRollupPlans(TransactionCase):
    """Cutting a date range into whole buckets and ragged ends."""

    def test_cover(self):
        lower = (datetime(2024, 12, 31, 23, 0), ">=")
        upper = (datetime(2025, 12, 31, 22, 59, 59), "<=")
        self.assertEqual(rollups.cover(rollups.MONTH, lower, upper), (
            datetime(2025, 1, 1), datetime(2025, 12, 1),
            ((datetime(2024, 12, 1), datetime(2025, 1, 1)), (datetime(2025, 12, 1), datetime(2026, 1, 1)))))
        # Bounds on bucket edges leave no ragged end.
        self.assertEqual(rollups.cover(rollups.QUARTER, (datetime(2025, 1, 1, 18, 30), ">="),
                                       (datetime(2025, 1, 2, 18, 30), "<")),
                         (datetime(2025, 1, 1, 18, 30), datetime(2025, 1, 2, 18, 30), ()))
        # A range inside one bucket is read from the calls only.
        self.assertEqual(rollups.cover(rollups.DAY, (datetime(2025, 1, 1, 8), ">"), (datetime(2025, 1, 1, 9), "<")),
                         (datetime(2025, 1, 2), datetime(2025, 1, 2), ((datetime(2025, 1, 1), datetime(2025, 1, 2)),)))

    def test_hour_buckets_only_for_whole_hour_zones(self):
        self.assertTrue(rollups.whole_hours("Europe/Prague"))
        self.assertTrue(rollups.whole_hours("UTC"))
        self.assertFalse(rollups.whole_hours("Asia/Kolkata"))
        self.assertFalse(rollups.whole_hours("America/St_Johns"))
        hour, quarter = self.env["k2.cc.call.report"]._cc_rollups[:2]
        by_hour = [("start", ">=", "2025-01-31 18:30:00")]
        # Prague reads hours, and quarters for the half hour the range starts with.
        self.assertEqual([piece.rollup for piece in rollups.plan([hour, quarter], {"call_type"}, True, by_hour,
                                                                 "Europe/Prague").pieces], [hour, quarter])
        self.assertEqual(rollups.plan([hour, quarter], {"call_type"}, True, by_hour, "Asia/Kolkata").rollups,
                         {quarter})

    def test_long_ranges_read_the_coarser_levels(self):
        """A local year of Prague: eleven months, the days of December, and the hours of calls at both ends."""
        lower = (datetime(2024, 12, 31, 23, 0), ">=")
        upper = (datetime(2025, 12, 31, 23, 0), "<")
        self.assertEqual(rollups.tiles([rollups.MONTH, rollups.DAY], lower, upper), (
            [(0, datetime(2025, 1, 1), datetime(2025, 12, 1)), (1, datetime(2025, 12, 1), datetime(2025, 12, 31))],
            ((datetime(2024, 12, 31, 23), datetime(2025, 1, 1)), (datetime(2025, 12, 31), datetime(2025, 12, 31, 23))),
            ()))
        # Sums and counts: the year bucket, the first hour of calls, and the last hour's calls taken away.
        self.assertEqual(rollups.tiles([rollups.YEAR, rollups.MONTH], lower, upper, subtract=True), (
            [(0, datetime(2025, 1, 1), datetime(2026, 1, 1))], ((datetime(2024, 12, 31, 23), datetime(2025, 1, 1)),),
            ((upper, datetime(2026, 1, 1), datetime(2025, 1, 1)),)))
        # Unbounded: the coarsest level alone; within one bucket: the finer only.
        self.assertEqual(rollups.tiles([rollups.YEAR, rollups.MONTH], None, None), ([(0, None, None)], (), ()))
        self.assertEqual(rollups.tiles([rollups.MONTH, rollups.DAY], (datetime(2025, 3, 2, 8), ">"),
                                       (datetime(2025, 3, 4), "<=")),
                         ([(1, datetime(2025, 3, 3), datetime(2025, 3, 4))],
                          ((datetime(2025, 3, 2), datetime(2025, 3, 3)), (datetime(2025, 3, 4), datetime(2025, 3, 5))),
                          ()))
        # The levels are the rollups of the first one's dimensions, coarsest first.
        report = self.env["k2.cc.call.report"]
        by_name = {rollup.table: rollup for rollup in report._cc_rollups}
        year = [("start", ">=", lower[0]), ("start", "<", upper[0])]
        plan = rollups.plan(report._cc_rollups, {"user_id"}, False, year)
        self.assertEqual([piece.rollup for piece in plan.pieces],
                         [by_name["k2_cc_rollup_call_user_month"], by_name["k2_cc_rollup_call_user_day"]])
        self.assertEqual(rollups.plan(report._cc_rollups, {"commercial_partner_id"}, False, []).rollups,
                         {by_name["k2_cc_rollup_call_partner_year"]})

    def test_ranges_only_from_plain_conditions(self):
        self.assertEqual(rollups.start_bounds([("user_id", "=", 1)]), (None, None))
        self.assertIsNone(rollups.start_bounds(["|", ("start", ">=", "2025-01-01"), ("user_id", "=", 1)]))
        self.assertIsNone(rollups.start_bounds([("start", "=", "2025-01-01 00:00:00")]))
        self.assertIsNone(rollups.start_bounds([("start.date", ">=", "2025-01-01")]))
