from datetime import datetime, timedelta

from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged

OPERATOR_MEASURES = [
    "__count",
    "talk_duration:sum",
    "answered_talk_duration:avg",
    "missed_count:sum",
    "answer_rate:avg",
    "ring_duration:avg",
]
EXTERNAL = [("is_internal", "=", False)]


@tagged("post_install", "-at_install")
class TestCallReport(TransactionCase):
    """Six calls with known answers, read the way the dashboards read them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.pbx = cls.env["k2.cc.pbx"].create({"code": "RPT", "name": "Report PBX", "host": "127.0.0.1"})
        groups = "base.group_user,k2_contact_center.group_k2_cc_user"
        cls.alice = new_test_user(cls.env, "rpt_alice", groups=groups, name="Report Alice", tz="Europe/Prague")
        cls.bob = new_test_user(cls.env, "rpt_bob", groups=groups, name="Report Bob", tz="Europe/Prague")
        cls.manager = new_test_user(
            cls.env, "rpt_manager", groups="base.group_user,k2_contact_center.group_k2_cc_manager",
            name="Report Manager", tz="Europe/Prague",
        )
        cls.line_a = cls.env["k2.cc.line"].create({"pbx_id": cls.pbx.id, "extension": "301", "user_id": cls.alice.id})
        cls.line_b = cls.env["k2.cc.line"].create({"pbx_id": cls.pbx.id, "extension": "302", "user_id": cls.bob.id})
        cls.p1 = cls.env["res.partner"].create({"name": "Report Partner One", "is_company": True})
        cls.p2 = cls.env["res.partner"].create({"name": "Report Partner Two", "is_company": True})
        cls.p2_contact = cls.env["res.partner"].create({"name": "Contact of Two", "parent_id": cls.p2.id})
        cls.calls = {}
        # 1. Sunday 23:30 UTC in winter: Monday 00:30 in Prague. Received.
        cls._make(1, "2025-01-05 23:30:00", cls.alice, cls.line_a, "inbound", "answered", 10, 300, cls.p1)
        # 2. Tuesday, summer (UTC+2): 12:00 in Prague. Missed after 20 s.
        cls._make(2, "2025-07-15 10:00:00", cls.alice, cls.line_a, "inbound", "no_answer", 20, 0, cls.p1)
        # 3. Outgoing, Bob's, but it also rang Alice's line.
        cls._make(3, "2025-07-15 12:00:00", cls.bob, cls.line_b, "outbound", "answered", 5, 600, cls.p2_contact,
                  rang=cls.line_a | cls.line_b)
        # 4. Wednesday, received.
        cls._make(4, "2025-07-16 08:00:00", cls.bob, cls.line_b, "inbound", "answered", 4, 120, cls.p2)
        # 5. Internal call, answered.
        cls._make(5, "2025-07-16 09:00:00", cls.alice, cls.line_a, "internal", "answered", 2, 60, None)
        # 6. Friday 23:30 UTC = Saturday 1 February 00:30 in Prague. Busy: missed, never rang.
        cls._make(6, "2025-01-31 23:30:00", cls.bob, cls.line_b, "inbound", "busy", 0, 0, cls.p2)
        cls.domain = [("pbx_id", "=", cls.pbx.id)]

    @classmethod
    def _make(cls, key, start, user, line, direction, disposition, ring, talk, partner, rang=None):
        start = datetime.fromisoformat(start)
        answered = disposition == "answered"
        cls.calls[key] = cls.env["k2.cc.call"].create({
            "pbx_id": cls.pbx.id,
            "pbx_call_id": f"rpt-{key}",
            "user_id": user.id,
            "line_id": line.id,
            "rang_line_ids": [(6, 0, (rang or line).ids)],
            "direction": direction,
            "disposition": disposition,
            "partner_id": partner.id if partner else False,
            "start": start,
            "answer_time": start + timedelta(seconds=ring) if answered else False,
            "end": start + timedelta(seconds=ring + talk),
        })

    def _report(self, user=None, tz="Europe/Prague"):
        return self.env["k2.cc.call.report"].with_user(user or self.manager).with_context(tz=tz)

    def _grid(self, groupby, tz="Europe/Prague", domain=(), user=None, measures=("__count",)):
        """{group key tuple: {measure: value}} as the graph/pivot views request it."""
        rows = self._report(user, tz).read_group(
            self.domain + list(domain), list(measures), groupby, lazy=False,
        )
        result = {}
        for row in rows:
            key = []
            for spec in groupby:
                value = row[spec]
                key.append(value[0] if isinstance(value, tuple) else value)
            values = {m.split(":")[0]: row[m.split(":")[0]] for m in measures}
            result[tuple(key)] = values["__count"] if list(measures) == ["__count"] else values
        return result

    def test_calls_per_month_and_type(self):
        self.assertEqual(self._grid(["start:month", "call_type"]), {
            ("January 2025", "received"): 1,
            ("February 2025", "missed"): 1,
            ("July 2025", "missed"): 1,
            ("July 2025", "outgoing"): 1,
            ("July 2025", "received"): 2,
        })
        self.assertEqual(self._grid(["start:month", "call_type"], tz="UTC"), {
            ("January 2025", "received"): 1,
            ("January 2025", "missed"): 1,
            ("July 2025", "missed"): 1,
            ("July 2025", "outgoing"): 1,
            ("July 2025", "received"): 2,
        })
        self.assertEqual(self._grid(["call_type"], domain=EXTERNAL), {
            ("received",): 2, ("missed",): 2, ("outgoing",): 1,
        })

    def test_types_in_the_home_screens_order(self):
        """Received, missed, outgoing: the order (and so the colours) of the
        home screen, in every chart and pivot, not the alphabet's."""
        order = ["received", "missed", "outgoing"]
        for model in (self._report(), self.env["k2.cc.call"].with_user(self.manager)):
            rows = model.read_group(self.domain, ["__count"], ["call_type"], lazy=False)
            self.assertEqual([row["call_type"] for row in rows], order, model._name)
            rows = model.read_group(self.domain, ["__count"], ["call_type"], orderby="call_type desc", lazy=False)
            self.assertEqual([row["call_type"] for row in rows], order[::-1], model._name)
        july = [row["call_type"] for row in self._report().read_group(
            self.domain + [("start", ">=", "2025-07-01")], ["__count"], ["start:month", "call_type"], lazy=False)]
        self.assertEqual(july, order)

    def test_hour_of_day_in_user_time_zone(self):
        self.assertEqual(self._grid(["hour"]), {
            ("00",): 2, ("10",): 1, ("11",): 1, ("12",): 1, ("14",): 1,
        })
        self.assertEqual(self._grid(["hour"], tz="UTC"), {
            ("23",): 2, ("08",): 1, ("09",): 1, ("10",): 1, ("12",): 1,
        })
        # Without a tz in the context, the user's own time zone applies.
        report = self.env["k2.cc.call.report"].with_user(self.manager).with_context(tz=False)
        hours = report._read_group(self.domain, ["hour"], ["__count"])
        self.assertEqual(dict(hours)["00"], 2)
        # The hours come back in order, labelled.
        self.assertEqual([row["hour"] for row in self._report().read_group(self.domain, ["__count"], ["hour"])],
                         ["00", "10", "11", "12", "14"])

    def test_weekday_in_user_time_zone(self):
        self.assertEqual(self._grid(["weekday"]), {("1",): 1, ("2",): 2, ("3",): 2, ("6",): 1})
        self.assertEqual(self._grid(["weekday"], tz="UTC"), {("7",): 1, ("2",): 2, ("3",): 2, ("5",): 1})
        labels = dict(self.env["k2.cc.call.report"]._fields["weekday"].selection)
        self.assertEqual([labels[key] for key in "1234567"],
                         ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"])

    def test_operators_external_calls(self):
        grid = self._grid(["user_id"], domain=EXTERNAL, measures=OPERATOR_MEASURES)
        self.assertEqual(grid[(self.alice.id,)], {
            "__count": 2, "talk_duration": 300, "answered_talk_duration": 300,
            "missed_count": 1, "answer_rate": 50, "ring_duration": 15,
        })
        self.assertEqual(grid[(self.bob.id,)], {
            # average talk over the two answered calls; answer rate over the two
            # incoming ones (the outgoing call has none); ring over the calls that rang
            "__count": 3, "talk_duration": 720, "answered_talk_duration": 360,
            "missed_count": 1, "answer_rate": 50, "ring_duration": 4.5,
        })

    def test_operators_with_internal_calls(self):
        alice = self._grid(["user_id"], measures=OPERATOR_MEASURES)[(self.alice.id,)]
        self.assertEqual(alice["__count"], 3)
        self.assertEqual(alice["talk_duration"], 360)
        self.assertEqual(alice["answered_talk_duration"], 180)
        self.assertEqual(alice["missed_count"], 1)
        self.assertAlmostEqual(alice["answer_rate"], 200 / 3)
        self.assertAlmostEqual(alice["ring_duration"], 32 / 3)

    def test_partner_ranking(self):
        rows = self._report().read_group(
            self.domain + [("commercial_partner_id", "!=", False)], ["__count", "talk_duration:sum"],
            ["partner_group_id"], lazy=False, orderby="talk_duration desc",
        )
        self.assertEqual(rows[0]["partner_group_id"][1], "Report Partner Two")
        self.assertEqual([(row["partner_group_id"][0], row["talk_duration"], row["__count"]) for row in rows],
                         [(self.p2.id, 720, 3), (self.p1.id, 300, 2)])
        # As the graph asks it (groups in name order), names read by SQL.
        rows = self._report().read_group(self.domain, ["__count", "talk_duration:sum"], ["partner_group_id"],
                                         lazy=False)
        self.assertEqual([row["partner_group_id"] and row["partner_group_id"][1] for row in rows],
                         ["Report Partner One", "Report Partner Two", False])
        # Choosing a partner: its month-by-month trend.
        trend = self._grid(["start:month"], domain=[("commercial_partner_id", "=", self.p2.id)],
                           measures=["__count", "talk_duration:sum"])
        self.assertEqual(trend, {
            ("February 2025",): {"__count": 1, "talk_duration": 0},
            ("July 2025",): {"__count": 2, "talk_duration": 720},
        })

    def test_partner_ranking_shows_the_top_and_the_rest(self):
        """Past the ranking's size, the partners with the most talk time and
        one group of the others, whose figures and calls add up to the whole."""
        report = self._report().with_context(k2_cc_ranking=1)
        measures = ["__count", "talk_duration:sum", "answered_talk_duration:avg"]
        rows = report.read_group(self.domain, measures, ["partner_group_id"], lazy=False)
        self.assertEqual([(row["partner_group_id"], row["__count"], row["talk_duration"]) for row in rows],
                         [((self.p2.id, "Report Partner Two"), 3, 720), ((0, "Other partners"), 3, 360)])
        # Partner One's 300 s and the internal call's 60 s, over their two answered calls.
        self.assertEqual(rows[1]["answered_talk_duration"], 180)
        self.assertEqual(self.env["k2.cc.call.report"].with_user(self.manager).search_count(rows[1]["__domain"]), 3)
        # Split by type (a pivot's columns), and grouped lazily (a grouped list).
        split = report.read_group(self.domain, ["__count"], ["partner_group_id", "call_type"], lazy=False)
        self.assertEqual([(row["partner_group_id"][0], row["call_type"], row["__count"]) for row in split],
                         [(self.p2.id, "received", 1), (self.p2.id, "missed", 1), (self.p2.id, "outgoing", 1),
                          (0, "received", 2), (0, "missed", 1)])
        lazy = report.read_group(self.domain, ["__count"], ["partner_group_id", "call_type"])
        self.assertEqual([(row["partner_group_id"][0], row["partner_group_id_count"], row["__context"])
                          for row in lazy], [(self.p2.id, 3, {"group_by": ["call_type"]}),
                                             (0, 3, {"group_by": ["call_type"]})])
        # Every partner fits: no group of the others.
        rows = self._report().with_context(k2_cc_ranking=3).read_group(
            self.domain, measures, ["partner_group_id"], lazy=False)
        self.assertEqual(len(rows), 3)

    def test_agent_sees_own_and_rung_calls_only(self):
        self.assertEqual(self._grid(["user_id"], user=self.alice), {(self.alice.id,): 3, (self.bob.id,): 1})
        self.assertEqual(self._grid(["user_id"], user=self.bob), {(self.bob.id,): 3})
        rows = self._report(self.alice).search(self.domain)
        self.assertEqual(rows.call_id, self.calls[1] | self.calls[2] | self.calls[3] | self.calls[5])

    def test_other_company_hidden(self):
        other = self.env["res.company"].create({"name": "Report Other s.r.o."})
        pbx = self.env["k2.cc.pbx"].create({"code": "RPO", "name": "Other", "company_id": other.id})
        self.env["k2.cc.call"].create({"pbx_id": pbx.id, "start": "2025-07-16 08:00:00", "user_id": self.manager.id})
        self.assertFalse(self._report().search_count([("pbx_id", "=", pbx.id)]))

    def test_list_reads_and_ringing_calls_left_out(self):
        self.env["k2.cc.call"].create({"pbx_id": self.pbx.id, "state": "ringing", "start": "2025-07-16 08:00:00"})
        rows = self._report().search_read(self.domain, ["call_id", "hour", "weekday", "talk_duration"],
                                          order="start")
        self.assertEqual(len(rows), 6)
        self.assertEqual((rows[0]["hour"], rows[0]["weekday"]), ("00", "1"))

    # -- the home screen --------------------------------------------------

    def home(self, user, scope="mine", period="year", **kwargs):
        report = self.env["k2.cc.call.report"].with_user(user).with_context(tz="Europe/Prague")
        data = report.cc_home_data(scope, period, now="2025-07-20T10:00:00", **kwargs)
        series = {serie["type"]: serie["counts"] for serie in data["series"]}
        partners = [(partner["name"], partner["talk_seconds"]) for partner in data["partners"]]
        return data, series, partners

    def test_home_my_calls_per_month_of_the_year(self):
        data, series, partners = self.home(self.alice)
        self.assertEqual(len(data["buckets"]), 12)
        self.assertEqual(data["buckets"][0], "Jan 2025")
        self.assertEqual(series["received"], [1] + [0] * 11)
        self.assertEqual(series["missed"], [0] * 6 + [1] + [0] * 5)
        self.assertEqual(series["outgoing"], [0] * 12, "Bob's outgoing call rang Alice's line but is not hers")
        self.assertEqual(data["totals"], {"received": 1, "missed": 1, "outgoing": 0, "talk_seconds": 300})
        self.assertEqual(partners, [("Report Partner One", 300)])
        with_internal = self.home(self.alice, internal=True)[0]
        self.assertEqual((with_internal["totals"]["received"], with_internal["totals"]["talk_seconds"]), (2, 360))

    def test_home_my_missed_calls(self):
        data, series, _partners = self.home(self.alice, scope="missed")
        self.assertEqual(data["totals"], {"received": 0, "missed": 1, "outgoing": 0, "talk_seconds": 0})
        self.assertEqual(series["missed"][6], 1)

    def test_home_team_for_managers_only(self):
        self.env["k2.cc.call"].search([("pbx_id", "!=", self.pbx.id)]).unlink()  # demo calls
        data, series, partners = self.home(self.manager, scope="team")
        self.assertTrue(data["can_see_team"])
        self.assertEqual(series["received"], [1] + [0] * 5 + [1] + [0] * 5)
        self.assertEqual(series["missed"], [0, 1] + [0] * 4 + [1] + [0] * 5,
                         "the busy call of 31 January 23:30 UTC is February in Prague")
        self.assertEqual(series["outgoing"][6], 1)
        self.assertEqual(partners, [("Report Partner Two", 720), ("Report Partner One", 300)])
        self.assertFalse(self.home(self.alice)[0]["can_see_team"])
        with self.assertRaises(AccessError):
            self.home(self.alice, scope="team")

    def test_home_periods_cut_like_read_group(self):
        def buckets(period, now):
            report = self.env["k2.cc.call.report"].with_user(self.alice).with_context(tz="Europe/Prague")
            return report.cc_home_data("mine", period, now=now)["buckets"]

        self.assertEqual(len(buckets("today", "2025-07-20T10:00:00")), 24)
        self.assertEqual(buckets("week", "2025-07-16T10:00:00")[0], "Sun 13 Jul",
                         "weeks start on the language's first day (Sunday in English)")
        self.assertEqual(len(buckets("month", "2025-02-10T10:00:00")), 28)
        quarter = buckets("quarter", "2025-08-10T10:00:00")
        self.assertEqual((quarter[0], len(quarter)), ("29 Jun", 14))
        last_year = buckets("12months", "2025-07-20T10:00:00")
        self.assertEqual((last_year[0], last_year[-1]), ("Aug 2024", "Jul 2025"))
        data = self.home(self.alice, period="quarter")[0]
        self.assertEqual(data["totals"]["missed"], 1, "15 July is in the quarter of 20 July")
