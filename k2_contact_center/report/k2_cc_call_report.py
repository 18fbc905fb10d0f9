from datetime import datetime, timedelta

import pytz
from babel.dates import format_date, format_datetime

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError
from odoo.osv import expression
from odoo.tools import SQL
from odoo.tools.misc import get_lang

from ..models.k2_cc_call import CALL_TYPES, DIRECTIONS, DISPOSITIONS, call_types_in_order
from ..services import rollups

HOURS = [(f"{hour:02d}", f"{hour:02d}:00") for hour in range(24)]
# ISO order (PostgreSQL's isodow): Monday is 1, Sunday 7.
WEEKDAYS = [
    ("1", "Monday"),
    ("2", "Tuesday"),
    ("3", "Wednesday"),
    ("4", "Thursday"),
    ("5", "Friday"),
    ("6", "Saturday"),
    ("7", "Sunday"),
]


# The periods of the home screen: how they start and how they are cut in buckets.
HOME_PERIODS = ("today", "week", "month", "quarter", "year", "12months")
HOME_SCOPES = ("mine", "missed", "team")
TOP_PARTNERS = 10
# Partners the call analysis ranks by name when it groups by partner; the
# others are summed in one group ("Other partners"). Context ``k2_cc_ranking``
# sets another size (0: every partner).
RANKING = 50
# The id of that group: no partner has it.
OTHER_PARTNERS = 0


def _month_start(moment, back=0):
    month = moment.year * 12 + moment.month - 1 - back
    return moment.replace(year=month // 12, month=month % 12 + 1, day=1)


class K2CcCallReport(models.Model):
    """Ended calls for the contact-center dashboards.

    Not a stored view: the hour of day and the weekday are those of the
    *reading* user's time zone, so the table query is built per query with the
    time zone of the context (what the web client sends) or of the user.
    Measures whose average has a narrower meaning than "all calls" are NULL
    where they do not apply, and PostgreSQL's AVG ignores NULLs:

    - ``answered_talk_duration``: talk time of answered calls (avg = average talk time);
    - ``answer_rate``: 100 for received, 0 for missed, NULL for outgoing calls
      (avg = share of incoming calls that were answered, in %);
    - ``ring_duration``: ring time of calls that rang (avg = average ring time).
    """

    _name = "k2.cc.call.report"
    _inherit = ["k2.cc.rollup.mixin"]
    _description = "Call Analysis"
    _auto = False
    _rec_name = "call_id"
    _order = "start desc, id desc"
    _depends = {
        "k2.cc.call": [
            "call_type", "direction", "disposition", "is_internal", "state", "start",
            "ring_duration", "talk_duration", "user_id", "partner_id", "commercial_partner_id",
            "pbx_id", "line_id", "company_id",
        ],
    }

    # Rollups, cheapest first: line load by type in hours (local hours, days,
    # weeks and months stay exact in zones a whole number of hours from UTC)
    # and in quarter hours (every other zone), operators and lines per UTC
    # day and month, partners per UTC month and year (these two: no grouping
    # by local time; a long range reads the coarser level, its ends the finer).
    _cc_rollups = (
        rollups.Rollup("k2_cc_rollup_call_hour", rollups.HOUR, ("company_id", "pbx_id", "call_type", "is_internal")),
        rollups.Rollup("k2_cc_rollup_call_quarter", rollups.QUARTER,
                       ("company_id", "pbx_id", "call_type", "is_internal")),
        rollups.Rollup("k2_cc_rollup_call_user_day", rollups.DAY,
                       ("company_id", "pbx_id", "call_type", "is_internal", "user_id", "line_id")),
        rollups.Rollup("k2_cc_rollup_call_user_month", rollups.MONTH,
                       ("company_id", "pbx_id", "call_type", "is_internal", "user_id", "line_id")),
        rollups.Rollup("k2_cc_rollup_call_partner_month", rollups.MONTH,
                       ("company_id", "pbx_id", "is_internal", "commercial_partner_id")),
        rollups.Rollup("k2_cc_rollup_call_partner_year", rollups.YEAR,
                       ("company_id", "pbx_id", "is_internal", "commercial_partner_id")),
    )
    _cc_filter = "c.state = 'done'"
    _cc_columns = ("state", "start", "call_type", "direction", "disposition", "is_internal", "user_id",
                   "partner_id", "commercial_partner_id", "pbx_id", "line_id", "company_id", "talk_duration",
                   "ring_duration")
    _cc_dims = {
        "call_type": ("c.call_type", "str"),
        "direction": ("c.direction", "str"),
        "disposition": ("c.disposition", "str"),
        "is_internal": ("c.is_internal", "bool"),
        "user_id": ("c.user_id", "int"),
        "partner_id": ("c.partner_id", "int"),
        "commercial_partner_id": ("c.commercial_partner_id", "int"),
        "partner_group_id": ("c.commercial_partner_id", "int"),
        "pbx_id": ("c.pbx_id", "int"),
        "line_id": ("c.line_id", "int"),
        "company_id": ("c.company_id", "int"),
    }
    _cc_aliases = {"partner_group_id": "commercial_partner_id"}
    _cc_measures = [
        ("talk_duration", "COALESCE(c.talk_duration, 0)", "sum"),
        ("answered_talk_duration", "CASE WHEN c.disposition = 'answered' THEN c.talk_duration END", "sum"),
        ("answered_talk_duration_n",
         "CASE WHEN c.disposition = 'answered' AND c.talk_duration IS NOT NULL THEN 1 ELSE 0 END", "sum"),
        ("ring_duration", "NULLIF(c.ring_duration, 0)", "sum"),
        ("ring_duration_n", "CASE WHEN COALESCE(c.ring_duration, 0) <> 0 THEN 1 ELSE 0 END", "sum"),
        ("answered_count", "CASE WHEN c.disposition = 'answered' THEN 1 ELSE 0 END", "sum"),
        ("missed_count", "CASE WHEN c.call_type = 'missed' THEN 1 ELSE 0 END", "sum"),
        ("answer_rate", "CASE c.call_type WHEN 'received' THEN 100 WHEN 'missed' THEN 0 END", "sum"),
        ("answer_rate_n", "CASE WHEN c.call_type IN ('received', 'missed') THEN 1 ELSE 0 END", "sum"),
    ]
    _cc_averages = {"answered_talk_duration": "answered_talk_duration_n", "ring_duration": "ring_duration_n",
                    "answer_rate": "answer_rate_n"}

    call_id = fields.Many2one("k2.cc.call", readonly=True)
    start = fields.Datetime(readonly=True)
    hour = fields.Selection(HOURS, string="Hour of Day", readonly=True,
                            help="Hour the call started, in your time zone.")
    weekday = fields.Selection(WEEKDAYS, readonly=True,
                               help="Day the call started, in your time zone.")
    call_type = fields.Selection(CALL_TYPES, string="Type", readonly=True)
    direction = fields.Selection(DIRECTIONS, readonly=True)
    disposition = fields.Selection(DISPOSITIONS, readonly=True)
    is_internal = fields.Boolean(string="Internal Call", readonly=True)
    user_id = fields.Many2one("res.users", string="Operator", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Contact", readonly=True)
    commercial_partner_id = fields.Many2one("res.partner", string="Partner", readonly=True)
    partner_group_id = fields.Many2one(
        "k2.cc.call.report.partner", string="Partner (ranking)", readonly=True,
        help="The partner, to group by: named without res.partner's costly display name, "
        "so ranking 20,000 partners stays fast.")
    pbx_id = fields.Many2one("k2.cc.pbx", string="PBX", readonly=True)
    line_id = fields.Many2one("k2.cc.line", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)

    talk_duration = fields.Integer(string="Talk Time", readonly=True, aggregator="sum",
                                   help="Total seconds of conversation.")
    answered_talk_duration = fields.Integer(
        string="Average Talk Time", readonly=True, aggregator="avg",
        help="Average seconds of conversation of the answered calls.")
    ring_duration = fields.Integer(string="Average Ring Time", readonly=True, aggregator="avg",
                                   help="Average seconds calls rang, over the calls that rang.")
    answered_count = fields.Integer(string="Answered Calls", readonly=True, aggregator="sum")
    missed_count = fields.Integer(string="Missed Calls", readonly=True, aggregator="sum")
    answer_rate = fields.Float(string="Answer Rate (%)", readonly=True, aggregator="avg", digits=(16, 1),
                               help="Share of incoming calls that were answered.")

    @api.model
    def _cc_report_tz(self):
        tz = self.env.context.get("tz") or self.env.user.tz
        return tz if tz in pytz.all_timezones_set else "UTC"

    def _read_group_orderby(self, order, groupby_terms, query):
        return super()._read_group_orderby(order, call_types_in_order(groupby_terms), query)

    @api.model
    def read_group(self, domain, fields, groupby, offset=0, limit=None, orderby=False, lazy=True):
        """Grouped by partner first: the ranking, the ``RANKING`` partners with
        the most talk time and one group of all the others (naming and sending
        20,000 groups takes seconds; a chart of them says nothing)."""
        groupby = [groupby] if isinstance(groupby, str) else list(groupby)
        size = self.env.context.get("k2_cc_ranking", RANKING)
        if not groupby or groupby[0] != "partner_group_id" or offset or limit or not size:
            return super().read_group(domain, fields, groupby, offset=offset, limit=limit, orderby=orderby, lazy=lazy)
        if len(groupby) == 1 and any(spec.split(":")[0] == "talk_duration" for spec in fields):
            # The ranking's own figures: one query, only the top named.
            rows = super().read_group(domain, fields, groupby, limit=size + 1,
                                      orderby="talk_duration desc, partner_group_id", lazy=lazy)
            if len(rows) <= size:
                return super().read_group(domain, fields, groupby, orderby=orderby, lazy=lazy)
            rows = rows[:size]
            top = [row["partner_group_id"] and row["partner_group_id"][0] for row in rows]
        else:
            ranked = self._read_group(domain, ["partner_group_id"], order="talk_duration:sum desc, partner_group_id",
                                      limit=size + 1)
            if len(ranked) <= size:
                return super().read_group(domain, fields, groupby, orderby=orderby, lazy=lazy)
            top = [partner.id or False for (partner,) in ranked[:size]]
            rows = super().read_group([*domain, ("partner_group_id", "in", top)], fields, groupby, orderby=orderby,
                                      lazy=lazy)
            if not orderby:
                rank = {partner: position for position, partner in enumerate(top)}
                rows.sort(key=lambda row: rank[row["partner_group_id"] and row["partner_group_id"][0]])
        rest_domain = expression.AND([domain, [("partner_group_id", "not in", top)]])
        others = self.with_context(fill_temporal=False)
        if lazy:
            rest = super(K2CcCallReport, others).read_group(rest_domain, fields, [], lazy=False)
            for row in rest:
                row["partner_group_id_count"] = row.pop("__count")
                if len(groupby) > 1:
                    row["__context"] = {"group_by": groupby[1:]}
        else:
            rest = super(K2CcCallReport, others).read_group(rest_domain, fields, groupby[1:], lazy=False)
        for row in rest:
            row["partner_group_id"] = (OTHER_PARTNERS, self.env._("Other partners"))
        return rows + rest

    @api.model
    def _read_group_format_result(self, rows_dict, lazy_groupby):
        # Ranking 20,000 partners: read their names in one query, where Odoo
        # computes each group's display name as a superuser one by one (0.3 s).
        if "partner_group_id" not in lazy_groupby:
            return super()._read_group_format_result(rows_dict, lazy_groupby)
        for row in rows_dict:
            row["partner_group_id"] = row["partner_group_id"].id or False
        names = dict(self.env.execute_query(SQL(
            "SELECT id, name FROM k2_cc_call_report_partner WHERE id = ANY(%s)",
            [row["partner_group_id"] for row in rows_dict if row["partner_group_id"]])))
        super()._read_group_format_result(rows_dict, lazy_groupby)
        for row in rows_dict:
            if row["partner_group_id"]:
                row["partner_group_id"] = (row["partner_group_id"], names.get(row["partner_group_id"]))

    # -- the Contact Center home screen ---------------------------------------

    @api.model
    def cc_home_data(self, scope="mine", period="month", internal=False, now=None):
        """Figures of the home screen for the current user: calls by type over
        ``period`` (in buckets of hours, days, weeks or months of the user's time
        zone) and the partners that took the most talk time. ``scope`` is
        ``mine``, ``missed`` (my missed calls) or ``team`` (managers: everyone's);
        internal calls only count with ``internal``. ``now`` (local time, ISO
        8601) places the period elsewhere than today."""
        if scope not in HOME_SCOPES or period not in HOME_PERIODS:
            raise ValueError(f"unknown scope or period: {scope!r}, {period!r}")
        manager = self.env.user.has_group("k2_contact_center.group_k2_cc_manager")
        if scope == "team" and not manager:
            raise AccessError(self.env._("Only contact-center managers see their team's calls."))
        tz_name = self._cc_report_tz()
        report = self.with_context(tz=tz_name)
        local_now = datetime.fromisoformat(now) if now else datetime.now(pytz.timezone(tz_name))
        start, end, granularity, buckets = report._cc_home_buckets(period, local_now)
        utc = [pytz.timezone(tz_name).localize(moment).astimezone(pytz.utc).replace(tzinfo=None)
               for moment in (start, end)]
        domain = [("start", ">=", utc[0]), ("start", "<", utc[1])]
        if not internal:
            domain.append(("is_internal", "=", False))
        uid = self.env.uid
        if scope == "mine":
            domain.append(("user_id", "=", uid))
        elif scope == "missed":
            domain += [("call_type", "=", "missed"),
                       "|", ("user_id", "=", uid), ("call_id.rang_line_ids.user_id", "=", uid)]

        counts = {kind: [0] * len(buckets) for kind, _label in CALL_TYPES}
        index = {bucket: position for position, bucket in enumerate(buckets)}
        totals = dict.fromkeys(counts, 0)
        talk = 0
        for bucket, kind, count, seconds in report._read_group(
                domain, [f"start:{granularity}", "call_type"], ["__count", "talk_duration:sum"]):
            if bucket in index and kind in counts:
                counts[kind][index[bucket]] = count
            totals[kind] = totals.get(kind, 0) + count
            talk += seconds or 0
        partners = report._read_group(domain + [("commercial_partner_id", "!=", False)], ["commercial_partner_id"],
                                      ["talk_duration:sum"], order="talk_duration:sum desc", limit=TOP_PARTNERS)
        # Quality counts external incoming calls only, so ``internal`` changes nothing there.
        quality = [("start", ">=", utc[0]), ("start", "<", utc[1])]
        if scope == "mine":
            quality.append(("user_id", "=", uid))
        elif scope == "missed":
            quality = [("call_id", "in", report._search(domain))]
        service_level, offered = self.env["k2.cc.quality.report"].with_context(tz=tz_name)._cc_service_level(
            quality)
        callbacks = [("state", "=", "open")]
        if scope != "team":
            callbacks += ["|", ("line_ids.user_id", "=", uid), ("queue_id.member_line_ids.user_id", "=", uid)]
        locale = get_lang(self.env).code
        labels = {
            "hour": lambda moment: moment.strftime("%H:00"),
            "day": lambda moment: format_date(moment, "EEE d MMM", locale=locale),
            "week": lambda moment: format_date(moment, "d MMM", locale=locale),
            "month": lambda moment: format_datetime(moment, "LLL yyyy", locale=locale),
        }[granularity]
        return {
            "scope": scope,
            "period": period,
            "can_see_team": manager,
            "start": fields.Datetime.to_string(utc[0]),
            "end": fields.Datetime.to_string(utc[1]),
            "domain": domain,
            "buckets": [labels(bucket) for bucket in buckets],
            "series": [{"type": kind, "label": label, "counts": counts[kind]} for kind, label in
                       self._fields["call_type"]._description_selection(self.env)],
            "totals": {**totals, "talk_seconds": talk},
            "service_level": service_level,
            "offered": offered,
            "callbacks_open": self.env["k2.cc.callback"].search_count(callbacks),
            "partners": [{"id": partner.id, "name": partner.display_name, "talk_seconds": seconds or 0}
                         for partner, seconds in partners if seconds],
        }

    @api.model
    def _cc_home_buckets(self, period, now):
        """``(start, end, granularity, bucket starts)`` of ``period`` around
        ``now`` (local, naive), cut the way ``read_group`` cuts dates."""
        today = now.replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
        week_start = int(get_lang(self.env).week_start)  # 1 = Monday
        this_week = today - timedelta(days=(today.isoweekday() - week_start) % 7)
        if period == "today":
            start, end, granularity = today, today + timedelta(days=1), "hour"
        elif period == "week":
            start, end, granularity = this_week, this_week + timedelta(days=7), "day"
        elif period == "month":
            start, end, granularity = _month_start(today), _month_start(today, back=-1), "day"
        elif period == "quarter":
            quarter = _month_start(today, back=(today.month - 1) % 3)
            start, end, granularity = quarter, _month_start(quarter, back=-3), "week"
        elif period == "year":
            start, end, granularity = today.replace(month=1, day=1), today.replace(year=today.year + 1, month=1,
                                                                                   day=1), "month"
        else:
            start, end, granularity = _month_start(today, back=11), _month_start(today, back=-1), "month"
        step = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(days=7)}.get(granularity)
        buckets = []
        moment = start
        if granularity == "week":  # weeks of the language's first day, as read_group cuts them
            moment = start - timedelta(days=(start.isoweekday() - week_start) % 7)
        while moment < end:
            buckets.append(moment)
            moment = moment + step if step else _month_start(moment, back=-1)
        return start, end, granularity, buckets


class K2CcCallReportPartner(models.Model):
    """Partners as groups of the call analysis: only id and name, read by SQL.

    Grouping the calls by ``res.partner`` computes the display name of every
    partner in Python (about 0.05 ms each), which alone exceeds a second for
    20,000 partners; this model's display name is its ``name`` column. Its
    order is the id: ordering groups by name makes PostgreSQL join every call
    to its partner's name before grouping (0.6 s at 1,000,000 calls), and the
    ranking is sorted by talk time anyway (graph ``order``, pivot ``default_order``).
    """

    _name = "k2.cc.call.report.partner"
    _description = "Partner (call analysis)"
    _auto = False
    _order = "id"

    name = fields.Char(readonly=True)
    partner_id = fields.Many2one("res.partner", readonly=True)

    def init(self):
        # A real view, not a table query: read_group joins it by name to order the groups.
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(SQL(
            "CREATE OR REPLACE VIEW %s AS (SELECT p.id, p.id AS partner_id, "
            "COALESCE(p.complete_name, p.name) AS name FROM res_partner p)",
            SQL.identifier(self._table),
        ))
