import random
from datetime import timedelta

from odoo import api, fields, models

from .k2_cc_partner_number import NUMBER_KINDS

CALL_TYPES = [("received", "Received"), ("missed", "Missed"), ("outgoing", "Outgoing")]
DIRECTIONS = [("inbound", "Inbound"), ("outbound", "Outbound"), ("internal", "Internal")]
DISPOSITIONS = [
    ("answered", "Answered"),
    ("cancelled", "Cancelled"),
    ("no_answer", "No Answer"),
    ("busy", "Busy"),
    ("failed", "Failed"),
]


class K2CcCall(models.Model):
    _name = "k2.cc.call"
    _description = "Call"
    _inherit = ["mail.thread"]
    _order = "start desc, id desc"
    _rec_names_search = ["caller_number", "called_number", "partner_id.name"]

    call_type = fields.Selection(
        CALL_TYPES,
        compute="_compute_call_type",
        store=True,
        readonly=False,
        index=True,
        tracking=True,
    )
    direction = fields.Selection(DIRECTIONS, required=True, default="inbound", index=True)
    disposition = fields.Selection(DISPOSITIONS, required=True, default="answered", index=True)
    is_internal = fields.Boolean(string="Internal Call", compute="_compute_is_internal", store=True, index=True)

    caller_number = fields.Char(index=True)
    caller_name = fields.Char(help="Name the PBX gave for the caller.")
    called_number = fields.Char(index=True)
    answered_by = fields.Char(help="Extension that answered the call.")

    partner_id = fields.Many2one("res.partner", string="Contact", index=True, tracking=True)
    commercial_partner_id = fields.Many2one(
        "res.partner",
        string="Partner",
        related="partner_id.commercial_partner_id",
        store=True,
        index=True,
    )
    match_kind = fields.Selection(NUMBER_KINDS, string="Found Under", help="Kind of number the contact was found by.")
    user_id = fields.Many2one("res.users", string="Responsible", index=True, tracking=True)

    start = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    answer_time = fields.Datetime(string="Answered At")
    end = fields.Datetime()
    ring_duration = fields.Integer(
        string="Ring Time", compute="_compute_durations", store=True, readonly=False, aggregator="avg",
        help="Seconds the call rang before it was answered or given up.",
    )
    talk_duration = fields.Integer(
        string="Talk Time", compute="_compute_durations", store=True, readonly=False, aggregator="sum",
        help="Seconds of conversation.",
    )

    note_message_id = fields.Many2one("mail.message", string="Call Note", ondelete="set null", copy=False)
    note = fields.Html(related="note_message_id.body", string="Note Text")

    pbx_id = fields.Many2one("k2.cc.pbx", string="PBX", index=True, ondelete="restrict")
    pbx_call_id = fields.Char(string="PBX Call ID", index=True, copy=False)
    line_id = fields.Many2one("k2.cc.line", index=True, ondelete="set null")
    rang_line_ids = fields.Many2many("k2.cc.line", string="Lines That Rang")
    transfers = fields.Json(copy=False)
    company_id = fields.Many2one(
        "res.company", required=True, index=True,
        compute="_compute_company_id", store=True, readonly=False, precompute=True,
    )

    _sql_constraints = [
        ("pbx_call_uniq", "unique(pbx_id, pbx_call_id)", "This PBX call is already in the call history."),
        ("durations_positive", "CHECK(coalesce(ring_duration, 0) >= 0 AND coalesce(talk_duration, 0) >= 0)",
         "Durations cannot be negative."),
    ]

    @api.depends("direction", "disposition")
    def _compute_call_type(self):
        for call in self:
            if call.direction == "outbound":
                call.call_type = "outgoing"
            else:
                call.call_type = "received" if call.disposition == "answered" else "missed"

    @api.depends("direction")
    def _compute_is_internal(self):
        for call in self:
            call.is_internal = call.direction == "internal"

    @api.depends("start", "answer_time", "end")
    def _compute_durations(self):
        for call in self:
            rang_until = call.answer_time or call.end
            call.ring_duration = max(int((rang_until - call.start).total_seconds()), 0) if rang_until else 0
            if call.answer_time and call.end:
                call.talk_duration = max(int((call.end - call.answer_time).total_seconds()), 0)
            else:
                call.talk_duration = 0

    @api.depends("pbx_id")
    def _compute_company_id(self):
        for call in self:
            if call.pbx_id:
                call.company_id = call.pbx_id.company_id
            elif not call.company_id:
                call.company_id = self.env.company

    @api.depends("call_type", "caller_number", "called_number", "partner_id")
    def _compute_display_name(self):
        labels = dict(self._fields["call_type"]._description_selection(self.env))
        for call in self:
            number = call.caller_number if call.call_type != "outgoing" else call.called_number
            who = call.partner_id.name or number or ""
            call.display_name = f"{labels.get(call.call_type, '')}: {who}".strip(": ")

    @api.model
    def _cc_generate_demo_calls(self, count):
        """Demo history: ``count`` calls over the past year on the demo lines,
        reproducible (fixed seed) and dated relative to today."""
        rng = random.Random(20250101)
        lines = self.env["k2.cc.line"].search([("pbx_id.code", "in", ["PRG", "BRN"])])
        numbers = self.env["k2.cc.partner.number"].search([("is_valid", "=", True)])
        if not lines or not numbers:
            return self.browse()
        now = fields.Datetime.now().replace(microsecond=0)
        strangers = [f"+420777{rng.randrange(10**6):06d}" for _index in range(15)]
        vals_list = []
        for index in range(count):
            line = rng.choice(lines)
            day = now - timedelta(days=rng.randrange(365))
            # Office hours in Prague (UTC+1/+2): 06:00-16:00 UTC, busiest late morning.
            start = day.replace(hour=min(int(rng.gauss(9, 2.5)), 16) % 24, minute=rng.randrange(60),
                                second=rng.randrange(60))
            if start > now:
                start -= timedelta(days=1)
            known = rng.random() < 0.8
            match = rng.choice(numbers) if known else numbers.browse()
            outside = match.number_e164 if known else rng.choice(strangers)
            roll = rng.random()
            direction = "internal" if roll < 0.08 else ("outbound" if roll < 0.38 else "inbound")
            disposition = rng.choices(
                ["answered", "cancelled", "no_answer", "busy"], weights=[78, 11, 8, 3]
            )[0]
            ring = rng.randint(2, 25)
            answered = disposition == "answered"
            talk = int(rng.expovariate(1 / 180)) + 5 if answered else 0
            other = rng.choice(lines)
            if direction == "internal":
                caller, callee, match = line.extension, other.extension, numbers.browse()
            elif direction == "outbound":
                caller, callee = line.extension, outside
            else:
                caller, callee = outside, line.extension
            vals_list.append({
                "pbx_id": line.pbx_id.id,
                "pbx_call_id": f"demo-{index:05d}",
                "line_id": line.id,
                "rang_line_ids": [(6, 0, line.ids)],
                "user_id": line.user_id.id,
                "direction": direction,
                "disposition": disposition,
                "caller_number": caller,
                "called_number": callee,
                "partner_id": match.partner_id.id,
                "match_kind": match.kind or False,
                "answered_by": line.extension if answered else False,
                "start": start,
                "answer_time": start + timedelta(seconds=ring) if answered else False,
                "end": start + timedelta(seconds=ring + talk),
            })
        return self.with_context(tracking_disable=True, mail_create_nolog=True).create(vals_list)
