import json
import logging
import random
import uuid
from datetime import timedelta

from markupsafe import escape

from odoo import SUPERUSER_ID, Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_amount, html2plaintext
from odoo.tools.mail import generate_tracking_message_id

from ..bridge.ingest import ORIGINATE_PREFIX, PbxLines
from ..services import numbers
from ..services.ami.actions import UnsafeActionError
from ..services.ami.connector import AmiError
from .k2_cc_identification import IDENTITIES
from .k2_cc_line import DEFAULT_WRAPUP_SECONDS
from .k2_cc_partner_number import NUMBER_KINDS
from .k2_cc_queue import QUEUE_OUTCOMES

_logger = logging.getLogger(__name__)

# Ended calls without a note stay on the agent's screen (collapsed after the
# line's wrap-up time) until closed; a screen that starts shows those of the
# last minutes, never older ones.
CARD_WRAPUP_WINDOW_MINUTES = 10
CARD_LIMIT = 20


CALL_TYPES = [("received", "Received"), ("missed", "Missed"), ("outgoing", "Outgoing")]


def call_types_in_order(groupby_terms):
    """``groupby_terms`` of ``_read_group_orderby`` where the call types sort in
    the order of ``CALL_TYPES`` (received, missed, outgoing), the home
    screen's, rather than alphabetically: every list, pivot and chart then
    shows the types in one order."""
    if "call_type" not in groupby_terms:
        return groupby_terms
    rank = SQL("array_position(%s, %s::text)", [kind for kind, _label in CALL_TYPES], groupby_terms["call_type"])
    return {**groupby_terms, "call_type": rank}


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
    # What the PBX reported (and what the bridge keeps of it): the call history
    # is the PBX's word. Only the bridge's recorder and the system write these;
    # contact-center administrators may correct them, and each correction is
    # logged on the call with the old and new values (see ``write``). People
    # add the rest: the contact (assigning a number), the note, follow-ups.
    # A new fact the bridge writes (queue, wait time, ...) joins this list.
    _cc_pbx_facts = (
        "call_type", "direction", "disposition", "is_internal", "state",
        "caller_number", "caller_name", "called_number", "answered_by",
        "start", "answer_time", "end", "ring_duration", "talk_duration",
        # the lines that rang, the one that took the call and its user: who a
        # call counts for in every figure
        "line_id", "user_id", "rang_line_ids", "transfers",
        "pbx_id", "pbx_call_id", "company_id", "originated", "cdr_recovered",
        # the queues it waited in and how it was served
        "queue_id", "queue_outcome", "queue_visits", "wait_time", "wait_start", "wait_known", "callback_id",
        # the bridge's bookkeeping of the call
        "missed_notified", "recording_attachment_id", "cdr_due",
    )

    call_type = fields.Selection(
        CALL_TYPES,
        compute="_compute_call_type",
        store=True,
        readonly=False,
        index=True,
        precompute=True,
    )
    state = fields.Selection(
        [("waiting", "Waiting in Queue"), ("ringing", "Ringing"), ("talking", "Talking"), ("done", "Ended")],
        required=True,
        default="done",
        index=True,
        readonly=True,
        help="Calls appear while they ring; they are ended once the PBX reports the hang-up.",
    )
    direction = fields.Selection(DIRECTIONS, required=True, default="inbound", index=True)
    disposition = fields.Selection(DISPOSITIONS, required=True, default="answered", index=True)
    is_internal = fields.Boolean(string="Internal Call", compute="_compute_is_internal", store=True, index=True,
                                 precompute=True)

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
        precompute=True,
    )
    match_kind = fields.Selection(NUMBER_KINDS, string="Found Under", help="Kind of number the contact was found by.")
    match_what = fields.Selection(IDENTITIES, string="Identified As",
                                  help="What the number was found on: a contact, a colleague's line, an employee "
                                  "or an open lead.")
    match_model = fields.Char(string="Identified Model", readonly=True)
    match_res_id = fields.Many2oneReference(string="Identified Record", model_field="match_model", readonly=True)
    match_name = fields.Char(string="Identified Name", readonly=True)
    candidate_ids = fields.Many2many(
        "res.partner", "k2_cc_call_candidate_rel", "call_id", "partner_id", string="Candidates",
        help="The contacts that had this number when the call came: the agent picked the call's contact among them.")
    user_id = fields.Many2one("res.users", string="Responsible", index=True)

    start = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    answer_time = fields.Datetime(string="Answered At")
    end = fields.Datetime()
    ring_duration = fields.Integer(
        string="Ring Time", compute="_compute_durations", store=True, readonly=False, precompute=True,
        aggregator="avg",
        help="Seconds the call rang before it was answered or given up.",
    )
    talk_duration = fields.Integer(
        string="Talk Time", compute="_compute_durations", store=True, readonly=False, precompute=True,
        aggregator="sum",
        help="Seconds of conversation.",
    )

    note_message_id = fields.Many2one("mail.message", string="Call Note", ondelete="set null", copy=False)
    missed_notified = fields.Boolean(copy=False, readonly=True, help="The missed-call notice was sent.")
    note = fields.Html(related="note_message_id.body", string="Note Text")

    pbx_id = fields.Many2one("k2.cc.pbx", string="PBX", index=True, ondelete="restrict")
    pbx_call_id = fields.Char(string="PBX Call ID", index=True, copy=False)
    line_id = fields.Many2one("k2.cc.line", index=True, ondelete="set null")
    rang_line_ids = fields.Many2many("k2.cc.line", string="Lines That Rang")
    transfers = fields.Json(copy=False)
    recording_attachment_id = fields.Many2one(
        "ir.attachment", string="Cached Recording", readonly=True, copy=False, ondelete="set null",
        help="The recording fetched from the PBX, as MP3; deleted after the retention period of the Settings.",
    )
    can_play_recording = fields.Boolean(compute="_compute_can_play_recording")
    originated = fields.Boolean(
        string="Click-to-Call", readonly=True, copy=False,
        help="Placed from Odoo: the PBX rang the user's phone first, then dialled the number.",
    )
    cdr_due = fields.Selection(
        [("end", "Its end"), ("answer", "Its answer"), ("all", "Its answer and end")],
        string="Awaiting Its CDR", readonly=True, copy=False,
        index="btree_not_null",
        help="The bridge did not see this call's end (the PBX link was down), its start and answer (it took "
        "the call up in progress), or both: what the PBX's call detail records tell of it is written once the PBX "
        "wrote them, by whichever bridge runs then.")
    cdr_recovered = fields.Boolean(
        string="Recovered from CDR", readonly=True, copy=False,
        help="The bridge did not see this call (the PBX link was down, or no bridge ran): it was recorded "
        "afterwards from the PBX's call detail records, which tell less (no call card, whole seconds).",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True,
        compute="_compute_company_id", store=True, readonly=False, precompute=True,
    )

    # -- queues and service quality (the PBX's queue events) --
    queue_id = fields.Many2one("k2.cc.queue", index=True, ondelete="set null",
                               help="The queue that answered the call, else the last one the caller waited in.")
    queue_outcome = fields.Selection(QUEUE_OUTCOMES, help="How the caller left the queue.")
    queue_visits = fields.Json(copy=False, help="Every queue the call entered, as the PBX reported it.")
    wait_time = fields.Integer(
        aggregator="avg",
        help="Seconds the caller waited: in the queue, from joining to the agent's answer or to giving up "
        "(over every queue the call passed through); for a call that reached no queue, while it rang.")
    wait_start = fields.Datetime(
        string="Waiting Since", copy=False,
        help="When the caller joined the queue they wait in (the wallboard's longest wait).")
    wait_known = fields.Boolean(help="The PBX's times gave the wait (not the case for calls replayed without "
                                "times or closed after a lost link).")
    short_abandon = fields.Boolean(
        compute="_compute_quality", store=True, precompute=True,
        help="An incoming caller who gave up within the short-abandon time of the queue (or of the Settings): "
        "neither offered nor abandoned in the quality figures.")
    abandoned = fields.Boolean(
        compute="_compute_quality", store=True, index=True, precompute=True,
        help="An incoming caller who gave up while waiting or ringing, after the short-abandon time.")
    answered_in_sl = fields.Boolean(
        string="Within Service Level", compute="_compute_quality", store=True, precompute=True,
        help="An incoming call answered within the service-level threshold of its queue (or of the Settings).")
    offered = fields.Boolean(
        compute="_compute_quality", store=True, precompute=True,
        help="An ended incoming call from outside that counts in the quality figures (short abandons do not).")
    callback_id = fields.Many2one("k2.cc.callback", index=True, ondelete="set null", copy=False,
                                  help="The missed caller this call belongs to, or that it called back.")

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

    @api.depends("state", "disposition", "user_id", "pbx_id.recording_url")
    @api.depends_context("uid")
    def _compute_can_play_recording(self):
        manager = self.env.user.has_group("k2_contact_center.group_k2_cc_manager")
        for call in self:
            call.can_play_recording = (
                call.state == "done" and call.disposition == "answered" and bool(call.pbx_id.recording_url)
                and (manager or call.user_id == self.env.user)
            )

    @api.depends("direction")
    def _compute_is_internal(self):
        for call in self:
            call.is_internal = call.direction == "internal"

    @api.depends("state", "direction", "disposition", "is_internal", "wait_time", "wait_known",
                 "queue_id.service_level_seconds", "queue_id.short_abandon_seconds",
                 "company_id.cc_service_level_seconds", "company_id.cc_short_abandon_seconds")
    def _compute_quality(self):
        for call in self:
            inbound = call.state == "done" and call.direction == "inbound" and not call.is_internal
            settings = call._cc_quality_settings()
            gave_up = inbound and call.disposition == "cancelled"
            call.short_abandon = gave_up and call.wait_known and call.wait_time < settings["short_abandon"]
            call.offered = inbound and not call.short_abandon
            call.abandoned = gave_up and not call.short_abandon
            call.answered_in_sl = (call.offered and call.disposition == "answered" and call.wait_known
                                   and call.wait_time <= settings["service_level"])

    def _cc_outside_number(self):
        """The number of the party outside the company (the caller of an
        incoming call, the called of an outgoing one), or False."""
        self.ensure_one()
        if self.is_internal:
            return False
        number = self.caller_number if self.direction == "inbound" else self.called_number
        dialled = numbers.digits(number or "").lstrip("+")
        if numbers.is_withheld(number) or len(dialled) < 7 or not dialled.isdigit():
            return False
        return number

    def _cc_quality_settings(self):
        """Service-level threshold, target and short-abandon time of the call's
        queue, or of its company for a call that reached no queue."""
        self.ensure_one()
        if self.queue_id:
            queue = self.queue_id
            return {"service_level": queue.service_level_seconds, "target": queue.service_level_target,
                    "short_abandon": queue.short_abandon_seconds}
        company = self.company_id
        return {"service_level": company.cc_service_level_seconds, "target": company.cc_service_level_target,
                "short_abandon": company.cc_short_abandon_seconds}

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

    # -- the PBX's word -------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        # A call is the PBX's report from its first field on.
        correction = self._cc_check_pbx_facts()
        calls = super().create(vals_list)
        if correction:
            for call in calls:
                call._message_log(body=self.env._(
                    "Added to the call history by %(user)s: the PBX did not report this call.",
                    user=self.env.user.name))
        return calls

    def write(self, vals):
        if vals.get("note_message_id") and not self.env.su:
            # The note shows the linked message's body, read as the superuser
            # (a related field): a call links only a message its writer may read.
            self.env["mail.message"].browse(vals["note_message_id"]).check_access("read")
        facts = [fname for fname in vals if fname in self._cc_pbx_facts]
        if not facts or not self._cc_check_pbx_facts(facts):
            return super().write(vals)
        before = {call.id: {fname: call[fname] for fname in self._cc_pbx_facts} for call in self}
        result = super().write(vals)
        self._cc_log_correction(before)
        return result

    def _cc_check_pbx_facts(self, fnames=None):
        """May the current user write the PBX facts ``fnames`` (all of them:
        a new call)? False for the bridge's recorder and the system, True
        for an administrator's correction (to be logged); else AccessError."""
        if self.env.su or self.env.user.has_group("k2_contact_center.group_k2_cc_recorder"):
            return False
        if self.env.user.has_group("k2_contact_center.group_k2_cc_admin"):
            return True
        if fnames is None:
            raise AccessError(self.env._(
                "Calls come from the PBX: only the PBX and contact-center administrators add them to the call "
                "history."))
        labels = ", ".join(self._fields[fname]._description_string(self.env) for fname in fnames)
        raise AccessError(self.env._(
            "The call history is what the PBX reported: only contact-center administrators may correct "
            "%(fields)s. Add what you know in the call's note instead.", fields=labels))

    def _cc_log_correction(self, before):
        """Log on each call which PBX facts an administrator changed, from
        what to what (the values ``before`` the write)."""
        Tracking = self.env["mail.tracking.value"]
        infos = self.sudo().fields_get(list(self._cc_pbx_facts),
                                       attributes=("string", "type", "selection", "currency_field"))
        for call in self:
            values = []
            for fname, old in before[call.id].items():
                new, info = call[fname], infos[fname]
                if old == new or (not old and not new):
                    continue
                if info["type"] == "json":  # mail tracks no JSON: it is shown as text
                    old, new = (json.dumps(value) if value else "" for value in (old, new))
                    info = dict(info, type="char")
                values.append(Command.create(Tracking._create_tracking_values(old, new, fname, info, call)))
            if values:
                call._message_log(
                    body=self.env._("Corrected by %(user)s: the PBX reported otherwise.", user=self.env.user.name),
                    tracking_value_ids=values,
                )

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

    # -- agent desk ---------------------------------------------------------

    def cc_save_note(self, note):
        """Log ``note`` on the caller's chatter as a done activity of the
        configured call type, and link it to this call."""
        self.ensure_one()
        if not note or not note.strip():
            raise UserError(self.env._("Write something before saving the note."))
        target = self.commercial_partner_id or self.partner_id
        if not target:
            raise UserError(self.env._("Assign the number to a contact first: a note belongs to someone."))
        # An agent logs calls on contacts they may read but not edit: what they
        # may do is decided by their access to this call.
        self.check_access("write")
        (self.partner_id or target).check_access("read")
        activity = self.env["mail.activity"].sudo().create({
            "res_model_id": self.env["ir.model"]._get_id("res.partner"),
            "res_id": (self.partner_id or target).id,
            "activity_type_id": self.company_id._cc_activity_type(self.direction).id,
            "summary": self.env._("%(kind)s %(number)s", kind=dict(
                self._fields["call_type"]._description_selection(self.env)).get(self.call_type, ""),
                number=self.caller_number if self.direction != "outbound" else self.called_number),
            "user_id": self.env.user.id,
        })
        message_id = activity.action_feedback(feedback=note)
        self.note_message_id = message_id
        return message_id

    def cc_card_insight(self):
        """What helps the agent talking to this call's partner: the last
        communication with them, their open opportunities and what they owe,
        each only as far as the agent may see it (the last two only where CRM
        and Accounting are installed)."""
        self.ensure_one()
        self.check_access("read")
        partner = self.commercial_partner_id
        if not partner:
            return {}
        return {
            "last_communication": self._cc_last_communication(partner),
            "opportunities": self._cc_open_opportunities(partner),
            "amount_due": self._cc_amount_due(partner),
        }

    def _cc_last_communication(self, partner):
        call = self.search([("commercial_partner_id", "=", partner.id), ("id", "!=", self.id),
                            ("start", "<=", self.start)], limit=1)
        family = self.env["res.partner"].with_context(active_test=False).search([("id", "child_of", partner.id)])
        message = self.env["mail.message"].search([
            ("model", "=", "res.partner"), ("res_id", "in", family.ids),
            ("message_type", "in", ("comment", "email", "email_outgoing")),
            ("id", "!=", self.note_message_id.id),
        ], order="date desc, id desc", limit=1)
        if message and (not call or message.date > call.start):
            return {
                "date": fields.Datetime.to_string(message.date),
                "kind": "message",
                "summary": html2plaintext(message.body or "", include_references=False)[:140] or message.subject or "",
                "author": message.author_id.name or "",
            }
        if call:
            return {
                "date": fields.Datetime.to_string(call.start),
                "kind": "call",
                "summary": call.display_name,
                "author": call.user_id.name or "",
                "call_id": call.id,
            }
        return False

    def _cc_open_opportunities(self, partner):
        if "crm.lead" not in self.env or not self.env["crm.lead"].has_access("read"):
            return False
        domain = [("partner_id", "child_of", partner.id), ("type", "=", "opportunity"), ("probability", "<", 100)]
        [(count, revenue)] = self.env["crm.lead"]._read_group(domain, aggregates=["__count", "expected_revenue:sum"])
        return {
            "count": count,
            "amount": format_amount(self.env, revenue or 0.0, self.env.company.currency_id),
            "domain": domain,
        }

    def _cc_amount_due(self, partner):
        credit = self.env["res.partner"]._fields.get("credit")
        if "account.move" not in self.env or not credit or not credit.is_accessible(self.env):
            return False
        return {"amount": format_amount(self.env, partner.credit, self.env.company.currency_id),
                "owes": partner.credit > 0}

    def cc_schedule_followup(self, user_id, date_deadline, summary, note=False):
        """A to-do for later on the caller, linked to this call."""
        self.ensure_one()
        target = self.partner_id or self.commercial_partner_id
        if not target:
            raise UserError(self.env._("Assign the number to a contact first."))
        self.check_access("write")
        target.check_access("read")
        activity = self.env["mail.activity"].sudo().create({
            "res_model_id": self.env["ir.model"]._get_id("res.partner"),
            "res_id": target.id,
            "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id,
            "summary": summary,
            "note": note or self.env._("Follow-up of the call of %(start)s", start=self.start),
            "user_id": user_id or self.env.user.id,
            "date_deadline": date_deadline,
        })
        self.message_post(body=self.env._("Follow-up scheduled: %(summary)s", summary=summary))
        return activity.id

    def cc_assign_number(self, partner_id, kind="cc"):
        """The caller's number joins ``partner_id``'s contact-center numbers as
        a number of ``kind``; the call is theirs. Returns the card."""
        self.ensure_one()
        self.check_access("write")
        if kind not in dict(NUMBER_KINDS):
            raise UserError(self.env._("Choose what kind of number this is."))
        partner = self.env["res.partner"].browse(partner_id).exists()
        if not partner:
            raise UserError(self.env._("This contact no longer exists."))
        partner.check_access("read")
        self._cc_keep_number_on(partner, kind)
        return self._cc_my_card()

    def cc_pick_contact(self, partner_id):
        """The agent picks the caller among the contacts sharing the number:
        the call and its note go to them, and the next call from the number
        shows them first. Returns the card."""
        self.ensure_one()
        self.check_access("write")
        partner = self.env["res.partner"].browse(partner_id).exists()
        number = self._cc_number_to_keep()
        match = self.env["res.partner"]._cc_match_numbers(number, self.pbx_id).filtered(
            lambda found: found.partner_id == partner)[:1]
        if not partner or not (match or partner in self.candidate_ids):
            raise UserError(self.env._("%(name)s does not have the number %(number)s.",
                                       name=partner.display_name or "?", number=number))
        partner.check_access("read")
        self.write(self._cc_identity_values(partner, match.kind or self.match_kind))
        e164 = self.env["res.partner"]._cc_e164(number, self.pbx_id)
        if e164:
            self.env["k2.cc.number.pick"]._cc_remember(e164, partner)
        return self._cc_my_card()

    def cc_convert_lead(self):
        """The lead this call's number was found on becomes a contact (as
        CRM converts it), and the call is theirs. Returns the card."""
        self.ensure_one()
        self.check_access("write")
        if self.match_what != "lead" or "crm.lead" not in self.env:
            raise UserError(self.env._("This call was not identified as a lead."))
        lead = self.env["crm.lead"].browse(self.match_res_id).exists()
        if not lead:
            raise UserError(self.env._("The lead of this call no longer exists."))
        lead.check_access("write")
        if not lead.partner_id:
            lead._handle_partner_assignment(create_missing=True)
        partner = lead.partner_id
        if not partner:
            raise UserError(self.env._("The lead %(name)s could not become a contact.", name=lead.name))
        self._cc_keep_number_on(partner, "cc")
        return self._cc_my_card()

    def _cc_number_to_keep(self):
        """The outside number the agent acts on from the card; a clear error when there is none."""
        number = self._cc_outside_number()
        if not number:
            raise UserError(self.env._("This call has no outside number to keep on a contact."))
        return number

    def _cc_keep_number_on(self, partner, kind):
        """The call is ``partner``'s, and its number one of theirs (as ``kind`` when new)."""
        if not self._cc_number_on(partner):
            self.env["k2.cc.partner.number"].sudo().create(
                {"partner_id": partner.id, "kind": kind, "number": self._cc_number_to_keep()})
        self.write(self._cc_identity_values(partner, kind))

    def _cc_number_on(self, partner):
        """The contact-center number of ``partner`` this call's number is, if any."""
        e164 = self.env["res.partner"]._cc_e164(self._cc_outside_number(), self.pbx_id)
        return e164 and self.env["k2.cc.partner.number"].sudo().search(
            [("partner_id", "=", partner.id), ("number_e164", "=", e164)], limit=1)

    @staticmethod
    def _cc_identity_values(partner, kind):
        return {"partner_id": partner.id, "match_kind": kind or False, "match_what": "contact",
                "match_model": "res.partner", "match_res_id": partner.id, "match_name": partner.display_name}

    def _cc_notify_missed(self):
        """One inbox notice to the users of the lines a missed call rang (when
        they want them), never twice, never for a call someone answered.

        What ``message_notify`` does per call, done once for the batch: the
        messages in one ``create``, their recipients in one query, their inbox
        notifications in one ``create``; each recipient still gets one bus
        message per notice (the inbox counts one notice per bus message)."""
        missed = self.filtered(lambda c: c.call_type == "missed" and c.state == "done" and not c.missed_notified)
        if not missed:
            return
        missed.missed_notified = True
        told = missed.filtered(lambda call: (call.rang_line_ids | call.line_id).filtered("notify_missed").user_id)
        if not told:
            return
        # A notice from the system (OdooBot), not from the technical recorder.
        author = self.env.ref("base.partner_root")
        notices = told.sudo().with_context(k2_cc_inbox_notice=True)
        # what message_notify would look up for each call, looked up once for them all
        domains = notices._mail_get_alias_domains(default_company=self.env.company)
        companies = notices._mail_get_companies(default=self.env.company)
        reply_to = notices._notify_get_reply_to(default=author.email_formatted)
        author_id, email_from = notices._message_compute_author(author.id, None, raise_on_email=True)
        subtype_id = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note")
        values = []
        for call in notices:
            partners = (call.rang_line_ids | call.line_id).filtered("notify_missed").user_id.partner_id
            who = call.partner_id.display_name or call.caller_number or self.env._("an unknown number")
            # the values message_notify gives the message it creates
            values.append({
                "author_id": author_id,
                "email_from": email_from,
                "model": call._name,
                "record_name": False,
                "res_id": call.id,
                "body": escape(self.env._("Missed call from %(number)s (%(who)s) at %(time)s.",
                                          number=call.caller_number, who=who,
                                          time=fields.Datetime.to_string(call.start))),
                "is_internal": True,
                "message_type": "user_notification",
                "subject": self.env._("Missed call from %(who)s", who=who),
                "subtype_id": subtype_id,
                "message_id": generate_tracking_message_id("message-notify"),
                "partner_ids": partners.ids,
                "email_add_signature": True,
                "email_layout_xmlid": "mail.mail_notification_light",
                "record_alias_domain_id": domains[call.id].id,
                "record_company_id": companies[call.id].id,
                "reply_to": reply_to[call.id],
                "attachment_ids": [],
            })
        messages = notices._message_create(values)
        notices._cc_notify_inbox(messages, values)

    def _cc_notify_inbox(self, messages, values):
        """``_notify_thread`` of each call of ``self`` with its message, for
        the notices whose every recipient reads them in the inbox (what
        ``_notify_get_recipients`` makes of internal users) done for all at
        once as ``_notify_thread_by_inbox`` does for one; any other notice
        goes Odoo's own way."""
        pids = {pid for vals in values for pid in vals["partner_ids"]}
        found = self.env["mail.followers"]._get_recipient_data(self, "user_notification", values[0]["subtype_id"],
                                                              list(pids))
        inbox = []  # (call, message, msg_vals, [(partner id, user id)])
        for call, message, vals in zip(self, messages, values, strict=True):
            data = found.get(call.id, {})
            if not all(pid in data for pid in vals["partner_ids"]):
                # a recipient following this call is reported under it alone: let Odoo sort it out
                call._fallback_lang()._notify_thread(message, vals)
                continue
            recipients = self._cc_inbox_recipients([
                dict(data[pid]) for pid in vals["partner_ids"]
                if pid != vals["author_id"] and data[pid]["active"] is not False])
            if any(recipient["notif"] != "inbox" for recipient in recipients):
                call._fallback_lang()._notify_thread(message, vals)
                continue
            inbox.append((call, message, vals, sorted((r["id"], r["uid"]) for r in recipients)))
        if not inbox:
            return
        Users = self.env["res.users"]
        for _call, _message, _vals, pairs in inbox:
            for pid, uid in pairs:
                if uid:
                    self.env.cache.insert_missing(Users.browse(uid), Users._fields["partner_id"], [pid])
        # sudo: mail.notification - creating notifications is the purpose of notify methods
        self.env["mail.notification"].sudo().create([
            {"author_id": message.author_id.id, "mail_message_id": message.id, "notification_status": "sent",
             "notification_type": "inbox", "res_partner_id": pid}
            for _call, message, _vals, pairs in inbox for pid, _uid in pairs])
        partner_ids = list({pid for _call, _message, _vals, pairs in inbox for pid, _uid in pairs})
        # sudo: mail.followers - reading followers of target users in batch to send it to them
        followers = self.env["mail.followers"].sudo().search([
            ("res_model", "=", self._name), ("res_id", "in", [call.id for call, *_rest in inbox]),
            ("partner_id", "in", partner_ids)])
        # Each notice is rendered alone, its message its own prefetch: with the batch's messages as
        # their prefetch, Odoo's renderer would walk them all for each notice. What it reads of
        # them is read once for all first.
        notified = self.env["mail.message"].sudo().browse([message.id for _call, message, *_rest in inbox])
        for fname in ("notification_ids", "attachment_ids", "link_preview_ids", "reaction_ids", "partner_ids",
                      "tracking_value_ids", "subtype_id", "author_guest_id", "parent_id"):
            notified.mapped(fname)
        for _call, message, vals, pairs in inbox:
            for user in Users.browse(uid for _pid, uid in pairs if uid):
                notice = message.with_user(user).with_context(allowed_company_ids=[]).with_prefetch(message.ids)
                user._bus_send_store(notice, msg_vals=vals,
                                     for_current_user=True, add_followers=True, followers=followers,
                                     notification_type="mail.message/inbox")
        # sudo: mail.push.device - whether anyone gets the notices on a device too
        if self.env["mail.push.device"].sudo().search_count([("partner_id", "in", partner_ids)], limit=1):
            for call, message, vals, pairs in inbox:
                recipients = [{"id": pid, "active": True, "notif": "inbox"} for pid, _uid in pairs]
                call._notify_thread_by_web_push(message, recipients, vals)

    @api.model
    def _cc_inbox_recipients(self, recipients):
        """Missed-call notices go to the Odoo inbox of internal users, whatever
        their email preference: they are about a phone that rang, not mail."""
        for recipient in recipients:
            if recipient.get("type") == "user" and not recipient.get("share"):
                recipient["notif"] = "inbox"
        return recipients

    def _read_group_orderby(self, order, groupby_terms, query):
        return super()._read_group_orderby(order, call_types_in_order(groupby_terms), query)

    def _notify_get_recipients(self, message, msg_vals, **kwargs):
        """Missed-call notices go to the Odoo inbox of internal users, whatever
        their email preference: they are about a phone that rang, not mail."""
        recipients = super()._notify_get_recipients(message, msg_vals, **kwargs)
        if self.env.context.get("k2_cc_inbox_notice"):
            return self._cc_inbox_recipients(recipients)
        return recipients

    # -- recordings -----------------------------------------------------------

    def action_play_recording(self):
        """Fetch the call's recording from the PBX (once: it is kept as an
        attachment) and play it in the browser."""
        self.ensure_one()
        self._cc_check_recording_access()
        self.sudo()._cc_recording()
        return {
            "type": "ir.actions.client",
            "tag": "k2_cc_play_recording",
            "params": {"url": f"/k2_contact_center/recording/{self.id}", "title": self.display_name},
        }

    def _cc_check_recording_access(self):
        """Recordings are for contact-center managers and the call's responsible user."""
        self.ensure_one()
        self.check_access("read")
        if self.user_id != self.env.user and not self.env.user.has_group("k2_contact_center.group_k2_cc_manager"):
            raise AccessError(self.env._("Only the call's responsible user and contact-center managers may hear "
                                         "its recording."))

    def _cc_recording(self):
        """The cached MP3 attachment of the recording, fetched when missing. The
        attachment belongs to no record: nobody reaches it but through
        ``_cc_check_recording_access`` (the recording route)."""
        self.ensure_one()
        if not self.recording_attachment_id:
            mp3 = self.pbx_id._cc_fetch_recording(self)
            # created as the superuser: an attachment of no record is readable by its creator
            self.recording_attachment_id = self.env["ir.attachment"].with_user(SUPERUSER_ID).create({
                "name": f"recording-{self.pbx_id.code}-{self.pbx_call_id}.mp3",
                "raw": mp3,
                "mimetype": "audio/mpeg",
                "description": self.display_name,
            })
        return self.recording_attachment_id

    @api.model
    def _cc_purge_recordings(self):
        """Cron: delete the cached recordings older than the retention period of their company."""
        for [company] in self.sudo()._read_group([("recording_attachment_id", "!=", False)], ["company_id"]):
            limit = fields.Datetime.now() - timedelta(days=max(company.cc_recording_retention_days, 0))
            calls = self.sudo().search([("company_id", "=", company.id), ("recording_attachment_id", "!=", False),
                                        ("recording_attachment_id.create_date", "<", limit)])
            if calls:
                _logger.info("Deleting %s cached call recordings of %s", len(calls), company.name)
                calls.recording_attachment_id.unlink()

    # -- click-to-call ------------------------------------------------------

    @api.model
    def cc_dial(self, number, partner_id=False, callback_id=False):
        """Call ``number`` from the current user's phone: the PBX rings the
        user's line, then dials the number (outside-line prefix and national
        or international form from the PBX's number plan). ``callback_id``:
        the callback this call answers (it closes it when answered)."""
        user = self.env.user
        line = user.sudo().cc_line_ids.filtered("active")[:1]
        if not line:
            raise UserError(self.env._("You have no contact-center line: ask your administrator for one."))
        pbx = line.pbx_id
        if pbx.link_state != "connected":
            raise UserError(self.env._("The PBX %(pbx)s cannot be reached now (%(why)s); try again later.",
                                       pbx=pbx.name, why=pbx.link_error or pbx._cc_link_state_label()))
        partner = self.env["res.partner"].browse(partner_id).exists() if partner_id else False
        if partner and number:
            # a contact's number as typed is national in the contact's country ("030 7654321" in Berlin)
            number = numbers.to_e164(number, partner._cc_number_country().code) or number
        dial = pbx._cc_number_plan().dial_string(number or "")
        if not dial:
            raise UserError(self.env._("%(number)s is not a phone number that can be dialled.",
                                       number=number or self.env._("An empty number")))
        callback = self.env["k2.cc.callback"].browse(callback_id).exists() if callback_id else False
        if callback:
            callback.check_access("read")
        context = pbx.default_context or "from-internal"
        try:
            pbx._cc_originate(line.endpoint or f"Local/{line.extension}@{context}", dial, context,
                              partner and partner.name or number, {"K2CC_USER": user.id})
        except UnsafeActionError as error:
            _logger.warning("Click-to-call of %r from line %s refused before the PBX: %s", number, line.extension,
                            error)
            raise UserError(self.env._(
                "The call cannot be placed: the number or the line's settings hold characters that cannot be "
                "sent to the PBX.")) from error
        except (AmiError, OSError) as error:
            raise UserError(self.env._("The PBX %(pbx)s refused the call: %(why)s", pbx=pbx.name,
                                       why=error or type(error).__name__)) from error
        # The call is in the history (and on the user's card) from the click on:
        # the bridge adopts it when the PBX reports the originated channels.
        call = self.sudo().with_context(tracking_disable=True, mail_create_nolog=True).create({
            "pbx_id": pbx.id,
            "pbx_call_id": f"{ORIGINATE_PREFIX}{uuid.uuid4().hex}",
            "originated": True,
            "state": "ringing",
            "direction": "outbound",
            "disposition": "no_answer",
            "caller_number": line.extension,
            "called_number": numbers.to_e164(number, pbx.country_id.code or self.env.company.country_id.code)
            or number,
            "partner_id": partner.id if partner else False,
            "line_id": line.id,
            "user_id": user.id,
            "callback_id": callback.id if callback else False,
        })
        call._cc_notify_agents(PbxLines(self.env, pbx), "live", {"state": "ringing"})
        return {"number": number, "dialled": dial, "extension": line.extension, "pbx": pbx.name, "call_id": call.id}

    # -- written by the bridge --------------------------------------------

    def _cc_close_lost(self):
        """End calls whose hang-up was lost with the PBX link, at their last update."""
        for call in self:
            answered = bool(call.answer_time)
            call.write({
                "state": "done",
                "end": call.write_date,
                "disposition": "answered" if answered else "no_answer",
                # its CDR tells how it really ended (and when it was answered, for a call taken up)
                "cdr_due": "all" if call.cdr_due in ("answer", "all") else "end",
            })
            _logger.info("Closed call %s of %s: its end was lost with the PBX link", call.pbx_call_id,
                         call.pbx_id.display_name)

    def _cc_notify_agents(self, lines, kind, data, cards=None):
        """Tell the connected users whose line takes part in the call how it stands
        (their browser opens or updates the call card). ``cards``: a dict
        the cards are added to by user, sent by :meth:`_cc_send_cards`
        (a batch of the bridge); else they are sent now."""
        self.ensure_one()
        involved = self.line_id | self.rang_line_ids | lines.lines_of([data.get("caller"), data.get("callee")])
        users = involved.user_id.filtered("cc_presence_wanted")
        if self.originated:
            users |= self.user_id  # they clicked: they follow the call, connected or not
        if not users:
            return
        payload = self._cc_card_payload(kind, data, lines)
        pending = {} if cards is None else cards
        for user in users:
            pending.setdefault(user, []).append(self._cc_card_of_user(payload, involved, user))
        if cards is None:
            self._cc_send_cards(pending)

    @api.model
    def _cc_send_cards(self, cards):
        """One bus message per user with their cards (``{user: [card, ...]}``),
        in the order the calls changed: a bridge batch of hundreds of calls is
        a few messages, not one per call and agent."""
        for user, user_cards in cards.items():
            user._bus_send("k2_cc_call", {"cards": user_cards})

    @api.model
    def cc_my_cards(self, drafts=None):
        """The call cards the current user's screen shows when it starts (a
        reload, a new tab, a second screen): their calls ringing or talking,
        those that ended in the last minutes without a note (the wrap-up), and
        those of ``drafts`` (ids of calls the browser holds an unsaved note
        of) that ended without a note, however long ago: a note being written
        is not lost to the window.

        ``seen`` gives the version of every call of the user written since
        ``horizon``: bus notifications no newer than those (replays of what
        this answer already took into account) and any older than ``horizon``
        are stale, so a card is never shown twice nor comes back from long ago.
        """
        user = self.env.user
        if not user.has_group("k2_contact_center.group_k2_cc_user"):
            return {"cards": [], "seen": {}, "horizon": False}
        now = self.env.cr.now()
        horizon = now - timedelta(minutes=CARD_WRAPUP_WINDOW_MINUTES)
        # only connected agents get the cards of their lines; a click-to-call is followed by whoever clicked
        mine = ["|", "|", ("user_id", "=", user.id), ("line_id.user_id", "=", user.id),
                ("rang_line_ids.user_id", "=", user.id)] if user.cc_presence_wanted else [
            ("originated", "=", True), ("user_id", "=", user.id)]
        recent = self.search([*mine, ("write_date", ">=", horizon)])
        shown = recent.filtered(lambda call: call.state in ("ringing", "talking") or (
            call.state == "done" and not call.note_message_id and call.end and call.end >= horizon))
        live = self.search([*mine, ("state", "in", ["ringing", "talking"]), ("id", "not in", recent.ids)])
        drafted = self.browse()
        draft_ids = [int(i) for i in drafts or () if isinstance(i, int) or str(i).isdigit()][:CARD_LIMIT]
        if draft_ids:
            drafted = self.search([*mine, ("id", "in", draft_ids), ("state", "=", "done"),
                                   ("note_message_id", "=", False)])
        cards = []
        # a drafted call comes whether or not it is among the newest (the union keeps each call once)
        for call in (shown | live).sorted("start", reverse=True)[:CARD_LIMIT] | drafted.sorted("start", reverse=True):
            card = call._cc_my_card()
            if card["state"] == "missed" and card["autoclose_missed"]:
                continue
            if card["answered_elsewhere"] or (
                    card["state"] == "ended" and card["autoclose_calls"] and call not in drafted):
                continue
            cards.append(card)
        return {
            "cards": cards,
            "seen": {call.id: _version(call) for call in recent | live | drafted},
            "horizon": _stamp(horizon),
            # an ended call's card leaves a screen that stays open as it would leave a reload
            "window_seconds": CARD_WRAPUP_WINDOW_MINUTES * 60,
        }

    def _cc_my_card(self):
        """The current user's card of this call, as the database has it now."""
        self.ensure_one()
        if self.state == "done":
            payload = self._cc_card_payload("record", {})
        else:  # a click-to-call has reached its number once the bridge adopted it
            reached = not (self.pbx_call_id or "").startswith(ORIGINATE_PREFIX)
            payload = self._cc_card_payload("live", {"state": self.state, "callee": reached and self.called_number})
        return self._cc_card_of_user(payload, self.line_id | self.rang_line_ids, self.env.user)

    def _cc_card_of_user(self, payload, involved, user):
        """``payload`` with what ``user``'s own line among ``involved`` says of its card."""
        own = involved.filtered(lambda line: line.user_id == user)[:1]
        identity = payload.get("identity")
        if identity and not self.env[identity["model"]].browse(identity["id"]).with_user(user).has_access("read"):
            identity = dict(identity, id=False, name="")  # what it is, not whose it is
        state = payload["state"]
        handover = payload.get("handover") or {}
        if state in ("ringing", "talking") and (
                own.id in payload.get("handed_over_by", ())
                or (handover.get("state") == "done" and handover.get("by_id") == user.id)):
            state = "transferred"  # the call goes on without this agent: their part is over
        # a call that rang this agent too (a queue, a ring group) and that a colleague answered is
        # not theirs; one they placed, dialled or were handed stays
        elsewhere = bool(payload.get("answered_by") and payload["direction"] != "outbound"
                         and own.id not in payload.get("party_lines", ()) and not payload.get("originate")
                         and not handover and not payload.get("handed_over_by"))
        return dict(
            payload,
            state=state,
            answered_elsewhere=elsewhere,
            can_transfer=state == "talking" and bool(own) and payload.get("transfer_ok", False),
            identity=identity,
            autoclose_missed=own.autoclose_missed,
            autoclose_calls=own.autoclose_calls,
            wrapup_seconds=own.wrapup_seconds if own else DEFAULT_WRAPUP_SECONDS,
        )

    def _cc_card_payload(self, kind, data, lines=None):
        """What a call card shows of this call (sent on the bus, JSON).
        ``lines`` (the bridge's per-batch helper) caches what many calls share."""
        self.ensure_one()
        lines = lines or PbxLines(self.env, self.pbx_id)
        if kind == "record":
            state = "missed" if self.call_type == "missed" else "ended"
        else:
            state = data.get("state") or self.state
        number = self.called_number if self.direction == "outbound" else self.caller_number
        # for "Create a contact": the country the number belongs to
        country = lines.country_of(number) if not self.partner_id else False
        return {
            "id": self.id,
            "pbx_call_id": self.pbx_call_id,
            "state": state,
            "direction": self.direction,
            "call_type": self.call_type,
            "number": number,
            "country_id": country or False,
            "caller_name": self.caller_name or "",
            "match_kind": self.match_kind or "",
            "contact": {"id": self.partner_id.id, "name": self.partner_id.name} if self.partner_id else False,
            # a colleague, an employee or a lead the number was found on (no contact)
            "identity": {"what": self.match_what, "model": self.match_model, "id": self.match_res_id,
                         "name": self.match_name or ""}
            if self.match_what and self.match_what != "contact" and self.match_model in self.env else False,
            "candidates": [{"id": partner.id, "name": partner.display_name} for partner in self.candidate_ids]
            if len(self.candidate_ids) > 1 else [],
            "number_on_contact": bool(self.partner_id) and bool(self.match_kind or self._cc_number_on(self.partner_id)),
            "partner": {"id": self.commercial_partner_id.id, "name": self.commercial_partner_id.name}
            if self.commercial_partner_id else False,
            "user": {"id": self.user_id.id, "name": self.user_id.name} if self.user_id else False,
            "activity_type": lines.activity_type_name(self.company_id, self.direction),
            "ringing": data.get("ringing") or [],
            "answered_by": self.answered_by or "",
            "start": fields.Datetime.to_string(self.start),
            "answer_time": fields.Datetime.to_string(self.answer_time),
            "end": fields.Datetime.to_string(self.end) if state in ("ended", "missed") else False,
            "talk_duration": self.talk_duration if state in ("ended", "missed") else 0,
            "note_saved": bool(self.note_message_id),
            "version": _version(self),
            "originate": self._cc_originate_progress(kind, data) if self.originated else False,
            # transfers: asked from a card, and those the PBX reported (whoever made them)
            "transfer_ok": self.pbx_id.connector == "ami",
            "handover": {
                "mode": self.handover_mode, "state": self.handover_state, "target": self.handover_target or "",
                "by": self.handover_user_id.name or "", "by_id": self.handover_user_id.id,
                "note": self.handover_note or "",
            } if self.handover_state else False,
            "handed_over_by": lines.lines_of([transfer.get("by") for transfer in self.transfers or ()]).ids,
            # the lines that answered or placed the call
            "party_lines": lines.lines_of([self.answered_by, number]).ids,
        }

    def _cc_originate_progress(self, kind, data):
        """Where a click-to-call stands, for its card: ``stage`` is ``agent``
        (the user's phone rings), ``dialing``, ``answered``, ``ended`` or
        ``failed`` (then ``reason`` says why)."""
        number = self.partner_id.name or self.called_number
        reached = bool(data.get("callee"))
        if kind == "live":
            if data.get("state") == "talking" and reached:
                return {"stage": "answered", "reason": ""}
            return {"stage": "dialing" if reached else "agent", "reason": ""}
        if self.disposition == "answered":
            return {"stage": "ended", "reason": ""}
        if data.get("reason"):
            reason = data["reason"]
        elif not reached:
            reason = (self.env._("Your phone is busy.") if self.disposition == "busy"
                      else self.env._("Your phone did not answer."))
        else:
            reason = {
                "busy": self.env._("%(number)s is busy.", number=number),
                "no_answer": self.env._("%(number)s did not answer.", number=number),
                "cancelled": self.env._("The call was hung up before %(number)s answered.", number=number),
            }.get(self.disposition) or self.env._("The PBX could not reach %(number)s.", number=number)
        return {"stage": "failed", "reason": reason}

    def _cc_fail_originate(self, reason):
        """A click-to-call the PBX accepted but never placed."""
        for call in self:
            call.write({"state": "done", "disposition": "failed", "end": fields.Datetime.now()})
            call._cc_notify_agents(PbxLines(self.env, call.pbx_id), "record", {"reason": reason})


def _stamp(moment):
    """A datetime as a fixed-width string that sorts like the datetime."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f") if moment else ""


def _version(call):
    """Version of a call as its cards know it: its last write (the writing
    transaction's start, so later updates always read later)."""
    return _stamp(call.write_date)
