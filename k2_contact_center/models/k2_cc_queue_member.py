import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..services.ami import actions as ami_actions
from ..services.ami.connector import AmiError
from .k2_cc_line import DEVICE_STATES

_logger = logging.getLogger(__name__)

# A systray menu, not a list view: the reasons an agent picks from.
REASONS_SHOWN = 50
# Seconds a request waits for the PBX's confirming event; then the PBX's own state shows again.
PENDING_TIMEOUT = 30
PENDING = [
    ("join", "Joining"),
    ("leave", "Leaving"),
    ("pause", "Pausing"),
    ("resume", "Resuming"),
]


class K2CcQueueMember(models.Model):
    """A line in a PBX queue, as the PBX confirms it (``QueueMemberAdded``,
    ``QueueMemberPause``, ``QueueStatus``...): the bridge writes it. What an
    agent or a manager asks for (join, leave, pause, resume) is *pending*
    until the PBX's own event confirms it; a resync after a reconnect replaces
    every membership of the PBX by what it lists."""

    _name = "k2.cc.queue.member"
    _description = "Contact Center Queue Member"
    _order = "queue_id, line_id, id"
    _rec_name = "line_id"

    queue_id = fields.Many2one("k2.cc.queue", required=True, index=True, ondelete="cascade")
    line_id = fields.Many2one("k2.cc.line", required=True, index=True, ondelete="cascade")
    pbx_id = fields.Many2one(related="queue_id.pbx_id", store=True, index=True)
    company_id = fields.Many2one(related="queue_id.company_id", store=True, index=True)
    user_id = fields.Many2one(related="line_id.user_id", store=True, index=True, string="Agent")
    interface = fields.Char(help="The member's interface on the PBX (PJSIP/201).")
    confirmed = fields.Boolean(
        string="Confirmed by the PBX", readonly=True,
        help="The PBX reported this membership; a join still pending is not confirmed yet.")
    paused = fields.Boolean(readonly=True, help="Paused in this queue, as the PBX confirmed it.")
    pause_reason = fields.Char(string="Reason on the PBX", readonly=True,
                               help="The reason the PBX reports for the pause.")
    pause_reason_id = fields.Many2one("k2.cc.pause.reason", readonly=True, ondelete="set null")
    state = fields.Selection(DEVICE_STATES, string="Member State", default="unknown", readonly=True,
                             help="The member's device state as the queue sees it.")
    state_since = fields.Datetime(readonly=True, help="Since when the member is in its state or pause.")
    pending = fields.Selection(PENDING, readonly=True, copy=False,
                               help="Asked of the PBX, not confirmed by it yet.")
    pending_since = fields.Datetime(readonly=True, copy=False)
    pending_reason_id = fields.Many2one("k2.cc.pause.reason", readonly=True, ondelete="set null")

    _sql_constraints = [
        ("queue_line_uniq", "unique(queue_id, line_id)", "This line is already a member of the queue."),
    ]

    # -- actions of agents (their own lines) and managers (anyone's) ----------
    @api.model
    def cc_my_queues(self):
        """The current user's queues for the systray: memberships (with their
        pause and what is pending) and the queues they may join (those whose
        agents their line is), and the pause reasons to pick from."""
        lines = self.env.user.sudo().cc_line_ids.filtered("active")
        members = self.sudo().search([("line_id", "in", lines.ids)])
        joinable = self.env["k2.cc.queue"].sudo().search([("member_line_ids", "in", lines.ids)])
        rows = [member._cc_row() for member in members]
        taken = {(member.queue_id.id, member.line_id.id) for member in members}
        for queue in joinable:
            for line in queue.member_line_ids & lines:
                if (queue.id, line.id) not in taken:
                    rows.append({"id": False, "queue_id": queue.id, "queue": queue.display_name,
                                 "line_id": line.id, "line": line.extension, "member": False,
                                 "paused": False, "reason": "", "pending": False, "since": False})
        reasons = self.env["k2.cc.pause.reason"].search_read([("active", "=", True)], ["name"], limit=REASONS_SHOWN)
        return {"queues": rows, "reasons": reasons}

    @api.model
    def cc_join(self, queue_id, line_id):
        """Ask the PBX to add ``line_id`` to ``queue_id`` (AMI ``QueueAdd``)."""
        line = self.env["k2.cc.line"].browse(line_id).exists()
        queue = self.env["k2.cc.queue"].browse(queue_id).exists()
        if not line or not queue:
            raise UserError(self.env._("This queue or line no longer exists."))
        self._cc_check_line(line)
        member = self.sudo().search([("queue_id", "=", queue.id), ("line_id", "=", line.id)])
        interface = line._cc_interface()
        line.sudo().pbx_id._cc_queue_action(ami_actions.queue_add(
            queue.name, interface, member_name=line.user_id.name or line.extension))
        values = {"pending": "join", "pending_since": fields.Datetime.now(), "interface": interface}
        if member:
            member.write(values)
        else:
            member = self.sudo().create({"queue_id": queue.id, "line_id": line.id, **values})
        member._cc_tell()
        return member._cc_row()

    def cc_leave(self):
        """Ask the PBX to remove these members from their queues (``QueueRemove``)."""
        return self._cc_ask("leave", lambda member: ami_actions.queue_remove(member.queue_id.name,
                                                                             member._cc_interface()))

    def cc_pause(self, reason_id=False):
        """Ask the PBX to pause these members (``QueuePause``) for the reason picked."""
        reason = self.env["k2.cc.pause.reason"].browse(reason_id).exists() if reason_id else False
        return self._cc_ask("pause", lambda member: ami_actions.queue_pause(
            member._cc_interface(), True, queue=member.queue_id.name, reason=reason and reason.name),
            reason=reason)

    def cc_resume(self):
        """Ask the PBX to end these members' pause (``QueuePause`` ``Paused: false``)."""
        return self._cc_ask("resume", lambda member: ami_actions.queue_pause(
            member._cc_interface(), False, queue=member.queue_id.name))

    # -- helpers ---------------------------------------------------------------
    def _cc_ask(self, kind, action_of, reason=False):
        for member in self:
            self._cc_check_line(member.line_id)
        members = self.sudo()
        for member in members:
            member.pbx_id._cc_queue_action(action_of(member))
            member.write({"pending": kind, "pending_since": fields.Datetime.now(),
                          "pending_reason_id": reason.id if reason else False})
        members._cc_tell()
        return [member._cc_row() for member in members]

    @api.model
    def _cc_expire_pending(self, pbx=None, timeout=PENDING_TIMEOUT):
        """Give up the requests (of ``pbx``, else of every PBX) the PBX has
        not confirmed within ``timeout`` seconds: it accepted the action but
        its event (``QueueMemberAdded``, ``QueueMemberRemoved``,
        ``QueueMemberPause``) never came. The member shows what the PBX last
        confirmed; a join it never confirmed is no membership. Each agent is
        told, in their language. Returns the users whose queues changed."""
        limit = fields.Datetime.now() - timedelta(seconds=timeout)
        domain = [("pending", "!=", False), ("pending_since", "<", limit)]
        if pbx:
            domain.append(("pbx_id", "=", pbx.id))
        expired = self.sudo().search(domain)
        if not expired:
            return self.env["res.users"]
        users = expired.user_id
        for member in expired:
            _logger.warning("%s: the PBX did not confirm the %s request of line %s in queue %s within %d s: "
                            "given up, the PBX's state holds", member.pbx_id.display_name, member.pending,
                            member.line_id.extension, member.queue_id.name, timeout)
            member._cc_tell_unconfirmed(timeout)
        never_joined = expired.filtered(lambda member: member.pending == "join" and not member.confirmed)
        never_joined.unlink()
        (expired - never_joined).write({"pending": False, "pending_since": False, "pending_reason_id": False})
        users._bus_send("k2_cc_queues", {"changed": True})
        return users

    def _cc_tell_unconfirmed(self, timeout):
        """A toast for the agent: what they asked went unconfirmed, and where they stand."""
        self.ensure_one()
        user = self.user_id
        if not user:
            return
        env = self.with_context(lang=user.lang).env
        queue = self.queue_id.display_name
        asked = {
            "join": env._("The PBX did not confirm joining the queue %(queue)s within %(seconds)s seconds.",
                          queue=queue, seconds=timeout),
            "leave": env._("The PBX did not confirm leaving the queue %(queue)s within %(seconds)s seconds.",
                           queue=queue, seconds=timeout),
            "pause": env._("The PBX did not confirm the pause in the queue %(queue)s within %(seconds)s seconds.",
                           queue=queue, seconds=timeout),
            "resume": env._("The PBX did not confirm the end of the pause in the queue %(queue)s within "
                            "%(seconds)s seconds.", queue=queue, seconds=timeout),
        }[self.pending]
        if self.pending == "join" and not self.confirmed:
            stands = env._("You are not a member of it.")
        elif self.paused:
            stands = env._("You are a member, paused.")
        else:
            stands = env._("You are a member, taking calls.")
        user._bus_send("simple_notification", {"type": "warning", "title": env._("Queue request not confirmed"),
                                               "message": f"{asked} {stands}", "sticky": False})

    def _cc_check_line(self, line):
        """Agents act for their own lines only; managers for any line they may read."""
        line.check_access("read")
        if line.user_id != self.env.user and not self.env.user.has_group("k2_contact_center.group_k2_cc_manager"):
            raise AccessError(self.env._("You may only join, leave or pause your own lines in their queues."))

    def _cc_interface(self):
        self.ensure_one()
        return self.interface or self.line_id._cc_interface()

    def _cc_row(self):
        self.ensure_one()
        return {"id": self.id, "queue_id": self.queue_id.id, "queue": self.queue_id.display_name,
                "line_id": self.line_id.id, "line": self.line_id.extension, "member": self.confirmed,
                "paused": self.paused, "reason": self.pause_reason_id.name or self.pause_reason or "",
                "pending": self.pending or False,
                "since": fields.Datetime.to_string(self.state_since) if self.state_since else False}

    def _cc_tell(self):
        """The agents of these members see the change in their systray, every tab."""
        for user in self.sudo().user_id:
            user._bus_send("k2_cc_queues", {"changed": True})


class K2CcPbxQueueActions(models.Model):
    _inherit = "k2.cc.pbx"

    def _cc_queue_action(self, action):
        """Send a queue action (``QueueAdd``, ``QueueRemove``, ``QueuePause``)
        in a short AMI session; the PBX's refusal, in its words, as a
        :class:`UserError`. The change itself shows when the PBX's event
        confirms it, through the bridge."""
        self.ensure_one()
        if self.connector == "ari":
            raise UserError(self.env._("The web PBX %(pbx)s has no queue actions: join, leave and pause the "
                                       "queues on the PBX itself.", pbx=self.name))
        if self.link_state != "connected":
            raise UserError(self.env._("The PBX %(pbx)s cannot be reached now (%(why)s); try again later.",
                                       pbx=self.name, why=self.link_error or self._cc_link_state_label()))
        try:
            answer = self._cc_ami_session(lambda connector: connector.send_action(action))
        except (AmiError, OSError) as error:
            raise UserError(self.env._("The PBX %(pbx)s did not answer: %(why)s", pbx=self.name,
                                       why=error or type(error).__name__)) from error
        if isinstance(answer, list):
            answer = answer[0] if answer else {}
        if answer.get("Response") != "Success":
            why = answer.get("Message") or answer.get("Response") or "?"
            _logger.info("PBX %s refused %s: %s", self.name, action.name, why)
            raise UserError(self.env._("The PBX %(pbx)s refused it: %(why)s", pbx=self.name, why=why))
        return answer
