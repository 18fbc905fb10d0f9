import pytz

from odoo import api, fields, models, tools
from odoo.tools import SQL

from ..models.k2_cc_call import CALL_TYPES, DIRECTIONS, DISPOSITIONS

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

    @property
    def _table_query(self):
        local = SQL("(c.start AT TIME ZONE 'UTC' AT TIME ZONE %s)", self._cc_report_tz())
        return SQL(
            """
            SELECT c.id,
                   c.id AS call_id,
                   c.start,
                   to_char(%(local)s, 'HH24') AS hour,
                   extract(isodow FROM %(local)s)::int::varchar AS weekday,
                   c.call_type,
                   c.direction,
                   c.disposition,
                   c.is_internal,
                   c.user_id,
                   c.partner_id,
                   c.commercial_partner_id,
                   c.commercial_partner_id AS partner_group_id,
                   c.pbx_id,
                   c.line_id,
                   c.company_id,
                   c.talk_duration,
                   CASE WHEN c.disposition = 'answered' THEN c.talk_duration END AS answered_talk_duration,
                   NULLIF(c.ring_duration, 0) AS ring_duration,
                   CASE WHEN c.disposition = 'answered' THEN 1 ELSE 0 END AS answered_count,
                   CASE WHEN c.call_type = 'missed' THEN 1 ELSE 0 END AS missed_count,
                   CASE c.call_type WHEN 'received' THEN 100.0 WHEN 'missed' THEN 0.0 END AS answer_rate
              FROM k2_cc_call c
             WHERE c.state = 'done'
            """,
            local=local,
        )


class K2CcCallReportPartner(models.Model):
    """Partners as groups of the call analysis: only id and name, read by SQL.

    Grouping the calls by ``res.partner`` computes the display name of every
    partner in Python (about 0.05 ms each), which alone exceeds a second for
    20,000 partners; this model's display name is its ``name`` column.
    """

    _name = "k2.cc.call.report.partner"
    _description = "Partner (call analysis)"
    _auto = False
    _order = "name, id"

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
