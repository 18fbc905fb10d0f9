from odoo import api, fields, models
from odoo.tools import SQL

from ..services import rollups
from .k2_cc_call_report import HOURS, WEEKDAYS
from .k2_cc_rollup import BUCKETS, INTERVALS


class K2CcQualityReport(models.Model):
    """Service quality of incoming calls from outside, for the quality dashboards.

    One row per ended incoming external call. The rates are averages of 100/0
    indicators that are NULL where they do not apply (PostgreSQL's AVG skips
    NULLs), so every grouping gives the exact share:

    - ``service_level``: 100 when answered within the service-level threshold
      of its queue (or of the Settings), 0 otherwise, over offered calls
      (short abandons are not offered);
    - ``abandon_rate``: 100 when the caller gave up, over offered calls;
    - ``wait_time`` (average) and ``longest_wait`` (maximum): the seconds
      offered callers waited, where the PBX's times gave it.
    """

    _name = "k2.cc.quality.report"
    _inherit = ["k2.cc.rollup.mixin"]
    _description = "Service Quality Analysis"
    _auto = False
    _rec_name = "call_id"
    _order = "start desc, id desc"
    _depends = {
        "k2.cc.call": ["state", "direction", "is_internal", "start", "queue_id", "user_id", "pbx_id", "company_id",
                       "disposition", "offered", "abandoned", "short_abandon", "answered_in_sl", "wait_time",
                       "wait_known", "commercial_partner_id"],
    }

    # Queues in hours (zones a whole number of hours from UTC) and quarter
    # hours (every zone): service level by local day and hour stays exact.
    # The longest wait is a maximum: the buckets that lose a call read it
    # again from the calls.
    _cc_rollups = (
        rollups.Rollup("k2_cc_rollup_quality_hour", rollups.HOUR,
                       ("company_id", "pbx_id", "queue_id", "short_abandon")),
        rollups.Rollup("k2_cc_rollup_quality_quarter", rollups.QUARTER,
                       ("company_id", "pbx_id", "queue_id", "short_abandon")),
    )
    _cc_filter = "c.state = 'done' AND c.direction = 'inbound' AND NOT c.is_internal"
    _cc_columns = ("state", "direction", "is_internal", "start", "queue_id", "user_id", "commercial_partner_id",
                   "pbx_id", "company_id", "short_abandon", "offered", "disposition", "answered_in_sl", "abandoned",
                   "wait_known", "wait_time")
    _cc_dims = {
        "queue_id": ("c.queue_id", "int"),
        "user_id": ("c.user_id", "int"),
        "commercial_partner_id": ("c.commercial_partner_id", "int"),
        "pbx_id": ("c.pbx_id", "int"),
        "company_id": ("c.company_id", "int"),
        "short_abandon": ("c.short_abandon", "bool"),
    }
    _cc_measures = [
        ("offered_count", "CASE WHEN c.offered THEN 1 ELSE 0 END", "sum"),
        ("answered_count", "CASE WHEN c.offered AND c.disposition = 'answered' THEN 1 ELSE 0 END", "sum"),
        ("answered_in_sl_count", "CASE WHEN c.answered_in_sl THEN 1 ELSE 0 END", "sum"),
        ("abandoned_count", "CASE WHEN c.abandoned THEN 1 ELSE 0 END", "sum"),
        ("short_abandon_count", "CASE WHEN c.short_abandon THEN 1 ELSE 0 END", "sum"),
        ("service_level", "CASE WHEN c.offered THEN CASE WHEN c.answered_in_sl THEN 100 ELSE 0 END END", "sum"),
        ("service_level_n", "CASE WHEN c.offered THEN 1 ELSE 0 END", "sum"),
        ("abandon_rate", "CASE WHEN c.offered THEN CASE WHEN c.abandoned THEN 100 ELSE 0 END END", "sum"),
        ("abandon_rate_n", "CASE WHEN c.offered THEN 1 ELSE 0 END", "sum"),
        ("wait_time", "CASE WHEN c.offered AND c.wait_known THEN c.wait_time END", "sum"),
        ("wait_time_n", "CASE WHEN c.offered AND c.wait_known AND c.wait_time IS NOT NULL THEN 1 ELSE 0 END", "sum"),
        ("longest_wait", "CASE WHEN c.offered AND c.wait_known THEN c.wait_time END", "max"),
    ]
    _cc_averages = {"service_level": "service_level_n", "abandon_rate": "abandon_rate_n",
                    "wait_time": "wait_time_n"}

    call_id = fields.Many2one("k2.cc.call", readonly=True)
    start = fields.Datetime(readonly=True)
    hour = fields.Selection(HOURS, string="Hour of Day", readonly=True,
                            help="Hour the call started, in your time zone.")
    weekday = fields.Selection(WEEKDAYS, readonly=True, help="Day the call started, in your time zone.")
    queue_id = fields.Many2one("k2.cc.queue", readonly=True)
    user_id = fields.Many2one("res.users", string="Operator", readonly=True)
    commercial_partner_id = fields.Many2one("res.partner", string="Partner", readonly=True)
    pbx_id = fields.Many2one("k2.cc.pbx", string="PBX", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    short_abandon = fields.Boolean(readonly=True)

    offered_count = fields.Integer(string="Offered", readonly=True, aggregator="sum",
                                   help="Incoming calls from outside, short abandons left out.")
    answered_count = fields.Integer(string="Answered", readonly=True, aggregator="sum")
    answered_in_sl_count = fields.Integer(string="Answered Within SL", readonly=True, aggregator="sum")
    abandoned_count = fields.Integer(string="Abandoned", readonly=True, aggregator="sum",
                                     help="Offered callers who gave up while waiting or ringing.")
    short_abandon_count = fields.Integer(string="Short Abandons", readonly=True, aggregator="sum",
                                         help="Callers who gave up within the short-abandon time: not offered.")
    service_level = fields.Float(
        string="Service Level (%)", readonly=True, aggregator="avg", digits=(16, 1),
        help="Share of offered calls answered within the service-level threshold of their queue (or of the "
        "Settings for calls that reached no queue). Short abandons are not offered.")
    abandon_rate = fields.Float(
        string="Abandon Rate (%)", readonly=True, aggregator="avg", digits=(16, 1),
        help="Share of offered calls whose caller gave up; short abandons are neither offered nor abandoned.")
    wait_time = fields.Integer(string="Average Wait", readonly=True, aggregator="avg",
                               help="Average seconds offered callers waited before being answered or giving up.")
    longest_wait = fields.Integer(readonly=True, aggregator="max",
                                  help="The longest an offered caller waited, in seconds.")

    @api.model
    def _cc_service_level(self, domain):
        """``(service level %, offered calls)`` of the calls of ``domain`` (over
        this report), for the home screen; the level is None when nothing was offered."""
        [(level, offered)] = self._read_group(domain, [], ["service_level:avg", "offered_count:sum"])
        return (round(level, 1) if level is not None else None), offered or 0


class K2CcQueueAgentReport(models.Model):
    """Queue calls per agent: one row for every agent line a queue call rang.

    ``answered`` is 1 on the line that took the call, ``rang_no_answer`` 1 on
    the others; ``handle_time`` is the talk time of the answered ones (its
    average is the average handling time).

    Its rollup sums the rows per UTC day, queue and line (the agent is the
    line's user of today, as in the rows); its views group by agent and queue,
    never by local time. The rows live in the relation of the lines a call
    rang, so triggers watch it as well as the calls; a deleted call's rows
    are gone (by cascade) before its trigger runs, so its days and queues
    are read again. The id is made of the call's and the line's, not a row
    number: a window over every row would keep PostgreSQL from reading only
    the period's calls (5 s for one day at 5,000,000 calls)."""

    _name = "k2.cc.queue.agent.report"
    _inherit = ["k2.cc.rollup.mixin"]
    _description = "Queue Agents Analysis"
    _auto = False
    _order = "start desc, id desc"
    _depends = {
        "k2.cc.call": ["state", "start", "queue_id", "line_id", "disposition", "talk_duration", "rang_line_ids",
                       "company_id"],
        "k2.cc.line": ["user_id"],
    }
    _cc_rollups = (
        rollups.Rollup("k2_cc_rollup_queue_agent_day", rollups.DAY, ("company_id", "queue_id", "line_id")),
        rollups.Rollup("k2_cc_rollup_queue_agent_month", rollups.MONTH, ("company_id", "queue_id", "line_id")),
    )
    _cc_from = ("k2_cc_call_k2_cc_line_rel r JOIN k2_cc_call c ON c.id = r.k2_cc_call_id "
                "JOIN k2_cc_line l ON l.id = r.k2_cc_line_id")
    _cc_row_id = "r.k2_cc_call_id::bigint * 1000000 + r.k2_cc_line_id"
    _cc_filter = "c.state = 'done' AND c.queue_id IS NOT NULL"
    _cc_columns = ("state", "start", "queue_id", "line_id", "disposition", "talk_duration", "company_id")
    _cc_dims = {
        "queue_id": ("c.queue_id", "int"),
        "line_id": ("l.id", "int"),
        "user_id": ("l.user_id", "int"),
        "company_id": ("c.company_id", "int"),
    }
    _cc_derived = {"user_id": ("line_id", "(SELECT a.user_id FROM k2_cc_line a WHERE a.id = r.line_id)")}
    _cc_measures = [
        ("answered", "CASE WHEN c.disposition = 'answered' AND c.line_id = l.id THEN 1 ELSE 0 END", "sum"),
        ("rang_no_answer", "CASE WHEN c.disposition = 'answered' AND c.line_id = l.id THEN 0 ELSE 1 END", "sum"),
        ("handle_time", "CASE WHEN c.disposition = 'answered' AND c.line_id = l.id THEN c.talk_duration END", "sum"),
        ("handle_time_n", "CASE WHEN c.disposition = 'answered' AND c.line_id = l.id AND c.talk_duration IS NOT NULL "
         "THEN 1 ELSE 0 END", "sum"),
    ]
    _cc_averages = {"handle_time": "handle_time_n"}

    call_id = fields.Many2one("k2.cc.call", readonly=True)
    start = fields.Datetime(readonly=True)
    queue_id = fields.Many2one("k2.cc.queue", readonly=True)
    line_id = fields.Many2one("k2.cc.line", readonly=True)
    user_id = fields.Many2one("res.users", string="Agent", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    answered = fields.Integer(readonly=True, aggregator="sum")
    rang_no_answer = fields.Integer(string="Rang, Not Answered", readonly=True, aggregator="sum",
                                    help="Queue calls that rang the agent's line and were taken by someone else, "
                                    "or by nobody.")
    handle_time = fields.Integer(string="Average Handling Time", readonly=True, aggregator="avg",
                                 help="Average seconds of conversation of the queue calls the agent answered.")

    @api.model
    def _cc_install_triggers(self, rollup):
        lock = SQL("PERFORM pg_advisory_xact_lock(hashtext(%s))", rollup.table)
        drop_empty = self._cc_drop_empty(rollup)
        lines = "JOIN k2_cc_call_k2_cc_line_rel r ON r.k2_cc_call_id = c.id JOIN k2_cc_line l ON l.id = r.k2_cc_line_id"
        rel = "JOIN k2_cc_call c ON c.id = r.k2_cc_call_id JOIN k2_cc_line l ON l.id = r.k2_cc_line_id"
        # The lines a call rang come and go: their rows added or taken away.
        self._cc_trigger(rollup, "k2_cc_call_k2_cc_line_rel", "lines", SQL(
            """BEGIN
                 %(lock)s;
                 IF TG_OP = 'INSERT' THEN
                   %(insert)s;
                 ELSE
                   %(delete)s;
                   %(drop_empty)s;
                 END IF;
                 RETURN NULL;
               END""",
            lock=lock,
            insert=self._cc_delta(rollup, SQL("new_rows r %s", SQL(rel)), 1),
            delete=self._cc_delta(rollup, SQL("old_rows r %s", SQL(rel)), -1),
            drop_empty=drop_empty,
        ), ("INSERT", "DELETE"))
        # A call's own changes move its rows; a new call has no rows yet.
        before, after = self._cc_changed()
        days = SQL("""(SELECT DISTINCT %s AS bucket, c.company_id, c.queue_id
                         FROM old_rows c WHERE %s)""", SQL(BUCKETS[rollup.grain]), SQL(self._cc_filter))
        self._cc_trigger(rollup, "k2_cc_call", "calls", SQL(
            """BEGIN
                 %(lock)s;
                 IF TG_OP = 'UPDATE' THEN
                   %(minus)s;
                   %(plus)s;
                   %(drop_empty)s;
                 ELSE
                   DELETE FROM %(table)s a USING %(days)s k
                    WHERE a.bucket = k.bucket AND a.company_id = k.company_id AND a.queue_id = k.queue_id;
                   %(again)s;
                 END IF;
                 RETURN NULL;
               END""",
            lock=lock,
            minus=self._cc_delta(rollup, SQL("%s c %s", before, SQL(lines)), -1),
            plus=self._cc_delta(rollup, SQL("%s c %s", after, SQL(lines)), 1),
            drop_empty=drop_empty,
            table=SQL.identifier(rollup.table),
            days=days,
            again=self._cc_delta(rollup, SQL(
                "%s JOIN %s k ON c.start >= k.bucket AND c.start < k.bucket + interval %s "
                "AND c.company_id = k.company_id AND c.queue_id = k.queue_id", SQL(self._cc_from), days,
                INTERVALS[rollup.grain]), 1),
        ), ("UPDATE", "DELETE"))
