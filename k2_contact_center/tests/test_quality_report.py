"""Known answers: service level, abandon rates, waits and callback figures of a
small data set worked out by hand, read through the dashboards' own grouping
queries and the home screen, in two time zones."""

from odoo.tests import tagged

from .common import K2CcCase

# (UTC start, queue?, disposition, wait seconds). Service level 20 s, short abandon 5 s.
CALLS = {
    "A": ("2026-02-02 23:30:00", True, "answered", 10),   # Prague 3 Feb 00:30, New York 2 Feb 18:30
    "B": ("2026-02-03 03:00:00", True, "answered", 30),   # Prague 3 Feb 04:00, New York 2 Feb 22:00
    "C": ("2026-02-03 12:00:00", True, "cancelled", 40),  # abandoned
    "D": ("2026-02-03 12:30:00", True, "cancelled", 2),   # short abandon: not offered
    "E": ("2026-02-03 13:00:00", True, "answered", 5),
    "F": ("2026-02-03 14:00:00", False, "answered", 25),  # no queue: the company's 20 s apply
}


@tagged("post_install", "-at_install")
class TestQualityFigures(K2CcCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the demo calls would blur the known answers
        cls.env["k2.cc.callback"].search([]).unlink()
        cls.env["k2.cc.call"].search([]).unlink()
        cls.queue = cls.env["k2.cc.queue"].create({"pbx_id": cls.pbx.id, "name": "support",
                                                   "display_name_custom": "Support"})
        cls.calls = {}
        for key, (start, in_queue, disposition, wait) in CALLS.items():
            cls.calls[key] = cls._call(
                pbx_call_id=f"kq-{key}", start=start, end=start, direction="inbound", disposition=disposition,
                queue_id=cls.queue.id if in_queue else False, wait_time=wait, wait_known=True,
                user_id=cls.agent.id, answer_time=start if disposition == "answered" else False)
        # noise that no quality figure may count: outgoing, internal, still ringing
        cls._call(pbx_call_id="kq-out", start="2026-02-03 10:00:00", direction="outbound", wait_time=99,
                  wait_known=True)
        cls._call(pbx_call_id="kq-int", start="2026-02-03 10:00:00", direction="internal", wait_time=99,
                  wait_known=True, disposition="cancelled")
        cls._call(pbx_call_id="kq-live", start="2026-02-03 10:00:00", state="ringing", wait_time=99,
                  wait_known=True, disposition="cancelled")
        Callback = cls.env["k2.cc.callback"]
        for index, (state, delay) in enumerate([("done", 600), ("done", 1800), ("done", 3600), ("open", 0)]):
            Callback.create({"number": f"+42060100000{index}", "company_id": cls.company.id, "state": state,
                             "delay_seconds": delay, "first_call_time": "2026-02-03 08:00:00",
                             "last_call_time": "2026-02-03 08:00:00"})

    def figures(self, tz, groupby):
        report = self.env["k2.cc.quality.report"].with_user(self.manager).with_context(tz=tz)
        rows = report.read_group(
            [("start", ">=", "2026-02-01"), ("start", "<", "2026-03-01")], [
                "service_level:avg", "abandon_rate:avg", "wait_time:avg", "longest_wait:max", "offered_count:sum",
                "abandoned_count:sum", "short_abandon_count:sum", "answered_in_sl_count:sum"], groupby, lazy=False)
        return {row[groupby[0]] if groupby else "all": row for row in rows}

    def assertFigures(self, row, level, abandon, wait, longest, offered):  # noqa: N802
        self.assertAlmostEqual(row["service_level"], level, places=1)
        self.assertAlmostEqual(row["abandon_rate"], abandon, places=1)
        self.assertAlmostEqual(row["wait_time"], wait, places=1)
        self.assertEqual((row["longest_wait"], row["offered_count"]), (longest, offered))

    def test_the_calls_carry_the_facts_worked_out_by_hand(self):
        calls = self.calls
        self.assertEqual([key for key, call in calls.items() if call.answered_in_sl], ["A", "E"])
        self.assertEqual([key for key, call in calls.items() if call.abandoned], ["C"])
        self.assertEqual([key for key, call in calls.items() if call.short_abandon], ["D"])
        self.assertEqual([key for key, call in calls.items() if call.offered], ["A", "B", "C", "E", "F"])

    def test_service_level_by_day_in_prague_and_in_new_york(self):
        prague = self.figures("Europe/Prague", ["start:day"])
        self.assertEqual(list(prague), ["03 Feb 2026"])
        self.assertFigures(prague["03 Feb 2026"], 40.0, 20.0, 22.0, 40, 5)
        new_york = self.figures("America/New_York", ["start:day"])
        self.assertEqual(list(new_york), ["02 Feb 2026", "03 Feb 2026"])
        self.assertFigures(new_york["02 Feb 2026"], 50.0, 0.0, 20.0, 30, 2)
        self.assertFigures(new_york["03 Feb 2026"], 100 / 3, 100 / 3, 70 / 3, 40, 3)
        # with short abandons counted as offered and abandoned, New York's 3 February: 2 of 4
        row = new_york["03 Feb 2026"]
        self.assertEqual((row["abandoned_count"] + row["short_abandon_count"],
                          row["offered_count"] + row["short_abandon_count"]), (2, 4))

    def test_service_level_by_queue_and_by_hour_of_day(self):
        by_queue = self.figures("Europe/Prague", ["queue_id"])
        self.assertFigures(by_queue[(self.queue.id, "Support")], 50.0, 25.0, 21.25, 40, 4)
        self.assertFigures(by_queue[False], 0.0, 0.0, 25.0, 25, 1)
        prague = self.figures("Europe/Prague", ["hour"])
        self.assertEqual(sorted(prague), ["00", "04", "13", "14", "15"])
        self.assertFigures(prague["13"], 0.0, 100.0, 40.0, 40, 1)  # C abandoned, D a short abandon
        new_york = self.figures("America/New_York", ["hour"])
        self.assertEqual(sorted(new_york), ["07", "08", "09", "18", "22"])

    def test_agents_in_queues(self):
        self.calls["A"].write({"line_id": self.line.id, "rang_line_ids": [(6, 0, (self.line | self.line2).ids)]})
        self.calls["C"].write({"rang_line_ids": [(6, 0, self.line2.ids)]})
        report = self.env["k2.cc.queue.agent.report"].with_user(self.manager)
        rows = {row["user_id"][0]: row for row in report.read_group(
            [], ["answered:sum", "rang_no_answer:sum", "handle_time:avg"], ["user_id"])}
        self.assertEqual((rows[self.agent.id]["answered"], rows[self.agent.id]["rang_no_answer"]), (1, 0))
        self.assertEqual((rows[self.agent2.id]["answered"], rows[self.agent2.id]["rang_no_answer"]), (0, 2))
        self.assertEqual(report.with_user(self.agent2).search_count([]), 2, "agents see their own figures")

    def test_callbacks_share_called_back_and_median_time(self):
        [row] = self.env["k2.cc.callback"].with_user(self.manager).read_group(
            [], ["called_back_rate:avg", "delay_seconds:median"], [])
        self.assertAlmostEqual(row["called_back_rate"], 75.0)
        self.assertEqual(row["delay_seconds"], 1800)

    def test_the_home_screen_shows_the_service_level_of_the_period(self):
        Report = self.env["k2.cc.call.report"].with_user(self.manager)
        prague = Report.with_context(tz="Europe/Prague").cc_home_data("team", "today", now="2026-02-03T12:00:00")
        self.assertEqual((prague["service_level"], prague["offered"]), (40.0, 5))
        new_york = Report.with_context(tz="America/New_York").cc_home_data("team", "today",
                                                                           now="2026-02-03T12:00:00")
        self.assertEqual((new_york["service_level"], new_york["offered"]), (33.3, 3))
        self.assertEqual(prague["callbacks_open"], 1)
        mine = Report.with_user(self.agent).with_context(tz="Europe/Prague").cc_home_data(
            "mine", "today", now="2026-02-03T12:00:00")
        self.assertEqual((mine["service_level"], mine["callbacks_open"]), (40.0, 0))
