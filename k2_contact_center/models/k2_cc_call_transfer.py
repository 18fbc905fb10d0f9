import logging

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..services import transfers
from ..services.ami import actions as ami_actions
from ..services.ami.actions import UnsafeActionError
from ..services.ami.connector import AmiError
from ..services.wallboard import agent_state

_logger = logging.getLogger(__name__)

HANDOVER_MODES = [("blind", "Blind"), ("attended", "Attended")]
HANDOVER_STATES = [("consulting", "Consulting"), ("done", "Transferred"), ("cancelled", "Cancelled")]


class K2CcCall(models.Model):
    """Transferring a call from its card: to a colleague (with their live
    state), a queue or any number; blind (AMI ``BlindTransfer``) or attended
    (AMI ``Atxfer``, then the agent completes or cancels). The note written
    so far goes with the call: the colleague's card opens with it.

    Over ARI a call belongs to the web PBX's own application, which does its
    transfers itself: the card offers none there."""

    _inherit = "k2.cc.call"

    transferred = fields.Boolean(compute="_compute_transferred", store=True, precompute=True,
                                 help="The call was handed over to someone else during the call.")
    transfer_summary = fields.Char(string="Transfer History", compute="_compute_transfer_summary",
                                   help="Each transfer the PBX reported: its kind, who transferred, to whom.")
    handover_user_id = fields.Many2one("res.users", string="Transferred By", readonly=True, copy=False)
    handover_mode = fields.Selection(HANDOVER_MODES, string="Transfer Kind", readonly=True, copy=False)
    handover_state = fields.Selection(HANDOVER_STATES, string="Transfer State", readonly=True, copy=False)
    handover_target = fields.Char(string="Transferred To", readonly=True, copy=False,
                                  help="The colleague, queue or number the call was handed to from its card.")
    handover_note = fields.Text(string="Note Handed Over", readonly=True, copy=False,
                                help="What the agent had written when they transferred the call: the "
                                     "colleague's card opens with it.")

    @api.depends("transfers")
    def _compute_transferred(self):
        for call in self:
            call.transferred = bool(call.transfers)

    @api.depends("transfers")
    @api.depends_context("lang")
    def _compute_transfer_summary(self):
        kinds = {"blind": self.env._("blind transfer"), "attended": self.env._("attended transfer")}
        for call in self:
            call.transfer_summary = "; ".join(
                self.env._("%(kind)s: %(by)s → %(to)s", kind=kinds.get(transfer.get("kind"), transfer.get("kind")),
                           by=transfer.get("by") or "?", to=transfer.get("to") or "?")
                for transfer in call.transfers or []) or False

    @api.model
    def cc_transfer_targets(self, call_id=False):
        """Whom the current agent may hand a call to: the colleagues with a
        line on the same PBX (their live state, as the wallboard shows it)
        and the PBX's queues that have an extension."""
        line = self.env.user.sudo().cc_line_ids.filtered("active")[:1]
        pbx = self.browse(call_id).pbx_id if call_id else line.pbx_id
        if not pbx:
            return {"colleagues": [], "queues": []}
        lines = self.env["k2.cc.line"].sudo().search([("pbx_id", "=", pbx.id), ("active", "=", True),
                                                     ("user_id", "!=", False), ("user_id", "!=", self.env.uid)])
        queues = self.env["k2.cc.queue"].sudo().search([("pbx_id", "=", pbx.id), ("extension", "!=", False)])
        return {
            "colleagues": sorted(({
                "line_id": colleague.id, "name": colleague.user_id.name, "extension": colleague.extension,
                "state": agent_state(colleague.device_state, colleague.queue_member_ids.mapped("paused")),
            } for colleague in lines), key=lambda colleague: colleague["name"].casefold()),
            "queues": [{"id": queue.id, "name": queue.display_name, "extension": queue.extension}
                       for queue in queues],
        }

    def cc_transfer(self, target_kind, target, mode="blind", note=""):
        """Hand this call over: ``target_kind`` ``colleague`` (a line id),
        ``queue`` (a queue id) or ``number``; ``mode`` ``blind`` or
        ``attended`` (a consultation first; then ``cc_transfer_complete`` or
        ``cc_transfer_cancel``). ``note``: the draft, for the colleague.
        Returns the card."""
        self.ensure_one()
        self.check_access("write")
        if mode not in dict(HANDOVER_MODES):
            raise UserError(self.env._("Unknown kind of transfer."))
        pbx, line = self._cc_transfer_check()
        exten, label = self._cc_transfer_destination(pbx, target_kind, target)
        if mode == "attended" and target_kind == "queue":
            raise UserError(self.env._("A queue cannot be consulted: transfer the call to it directly."))
        context = pbx.default_context or "from-internal"
        interface = line._cc_interface()

        async def work(connector):
            channel = transfers.agent_channel(await connector.core_show_channels(), self.pbx_call_id, interface)
            if channel is None:
                return None
            action = (ami_actions.blind_transfer(channel["Channel"], exten, context) if mode == "blind"
                      else ami_actions.attended_transfer(channel["Channel"], exten, context))
            # Asterisk answers "Atxfer successfully queued", which panoramisk would read as the start of a list
            return await connector.send_action(action, first_response=True)

        answer = self._cc_transfer_session(pbx, work, exten)
        self.write({
            "handover_user_id": self.env.uid, "handover_mode": mode, "handover_target": label,
            "handover_state": "done" if mode == "blind" else "consulting",
            "handover_note": (note or "").strip() or False,
        })
        _logger.info("Call %s of %s: %s transfer to %s asked by %s (%s)", self.pbx_call_id, pbx.display_name, mode,
                     exten, self.env.user.login, answer.get("Message"))
        return self._cc_my_card()

    def cc_transfer_complete(self):
        """The consulted colleague takes the call: the agent leaves it (as
        hanging up their phone does in an attended transfer)."""
        return self._cc_end_consultation(complete=True)

    def cc_transfer_cancel(self):
        """The colleague cannot take it: their side of the consultation ends,
        the agent is back with the caller."""
        return self._cc_end_consultation(complete=False)

    # -- helpers ------------------------------------------------------------
    def _cc_end_consultation(self, complete):
        self.ensure_one()
        self.check_access("write")
        if self.handover_state != "consulting":
            raise UserError(self.env._("No transfer of this call is waiting for you."))
        pbx, line = self._cc_transfer_check()
        interface = line._cc_interface()

        async def work(connector):
            found = transfers.consultation(await connector.core_show_channels(), self.pbx_call_id, interface)
            if found is None:
                return None
            agent, target = found
            return await connector.send_action(ami_actions.hangup((agent if complete else target)["Channel"]),
                                               first_response=True)

        self._cc_transfer_session(pbx, work, self.handover_target)
        self.handover_state = "done" if complete else "cancelled"
        return self._cc_my_card()

    def _cc_transfer_check(self):
        """The PBX and the agent's line a transfer of this call goes through,
        or a UserError saying why it cannot be done."""
        pbx = self.pbx_id
        if pbx.connector != "ami":
            raise UserError(self.env._(
                "Calls of the web PBX %(pbx)s are transferred by its own application, not from the call card.",
                pbx=pbx.name))
        if self.state != "talking":
            raise UserError(self.env._("Only a call in progress can be transferred."))
        if pbx.link_state != "connected":
            raise UserError(self.env._("The PBX %(pbx)s cannot be reached now (%(why)s); try again later.",
                                       pbx=pbx.name, why=pbx.link_error or pbx._cc_link_state_label()))
        line = (self.line_id | self.rang_line_ids).filtered(lambda own: own.user_id == self.env.user)[:1]
        if not line:
            raise UserError(self.env._("You are not in this call: only who talks with the caller transfers it."))
        return pbx, line

    def _cc_transfer_destination(self, pbx, target_kind, target):
        """``(extension to dial, what the history and the card call it)``."""
        if target_kind == "colleague":
            colleague = self.env["k2.cc.line"].sudo().browse(int(target or 0)).exists()
            if not colleague or colleague.pbx_id != pbx or not colleague.active:
                raise UserError(self.env._("This colleague has no line on the PBX %(pbx)s.", pbx=pbx.name))
            return colleague.extension, f"{colleague.user_id.name or colleague.extension} ({colleague.extension})"
        if target_kind == "queue":
            queue = self.env["k2.cc.queue"].sudo().browse(int(target or 0)).exists()
            if not queue or queue.pbx_id != pbx or not queue.extension:
                raise UserError(self.env._("This queue has no extension to transfer calls to."))
            return queue.extension, queue.display_name
        if target_kind == "number":
            dial = pbx._cc_number_plan().dial_string(target or "")
            if not dial:
                raise UserError(self.env._("%(number)s is not a phone number that can be dialled.",
                                           number=target or self.env._("An empty number")))
            return dial, target
        raise UserError(self.env._("Unknown kind of transfer."))

    def _cc_transfer_session(self, pbx, work, exten):
        """Run ``work`` on the PBX; the PBX's answer, or a UserError in the user's words."""
        try:
            answer = pbx._cc_ami_session(work)
        except UnsafeActionError as error:
            _logger.warning("Transfer of call %s to %r refused before the PBX: %s", self.pbx_call_id, exten, error)
            raise UserError(self.env._(
                "The call cannot be transferred: the number or the line's settings hold characters that cannot "
                "be sent to the PBX.")) from error
        except (AmiError, OSError) as error:
            raise UserError(self.env._("The PBX %(pbx)s could not be asked: %(why)s", pbx=pbx.name,
                                       why=error or type(error).__name__)) from error
        if answer is None:
            raise UserError(self.env._(
                "Your phone is not in this call on the PBX any more: it may have just ended or been transferred."))
        if answer.get("Response") != "Success":
            raise UserError(self.env._("The PBX %(pbx)s refused the transfer: %(why)s", pbx=pbx.name,
                                       why=answer.get("Message") or answer.get("Response")))
        return answer
