from datetime import datetime, time

import pytz

from odoo import api, fields, models
from odoo.exceptions import AccessError

from ..services.wallboard import BUSY, agent_state
from .ir_websocket import wallboard_subchannel

LIVE_STATES = ("waiting", "ringing", "talking")
CALLS_SHOWN = 60


def _stamp(moment):
    return fields.Datetime.to_string(moment) if moment else False


class K2CcWallboard(models.AbstractModel):
    """The live wallboard of a contact-center floor: per queue the callers
    waiting and today's service, the calls in progress, every agent's state.

    The same figures answer the wallboard's first load (``cc_wallboard_data``)
    and the bridge's bus updates (``_cc_send``, coalesced by the bridge to at
    most two a second per company)."""

    _name = "k2.cc.wallboard"
    _description = "Contact Center Wallboard"

    @api.model
    def cc_wallboard_data(self):
        """The floors of the manager's current companies."""
        if not self.env.user.has_group("k2_contact_center.group_k2_cc_manager"):
            raise AccessError(self.env._("The wallboard is for contact-center managers."))
        return [self.sudo()._cc_board(company) for company in self.env.companies]

    @api.model
    def _cc_send(self, companies):
        """Tell the open wallboards of ``companies`` how their floor stands."""
        group = self.env.ref("k2_contact_center.group_k2_cc_manager").sudo()
        for company in companies:
            group._bus_send("k2_cc_wallboard", self.sudo()._cc_board(company),
                            subchannel=wallboard_subchannel(company.id))

    # -- the figures ------------------------------------------------------------
    def _cc_board(self, company):
        queues = self.env["k2.cc.queue"].search([("company_id", "=", company.id)])
        lines = self.env["k2.cc.line"].search([("company_id", "=", company.id), ("user_id", "!=", False)])
        members = self.env["k2.cc.queue.member"].search([("company_id", "=", company.id)])
        live = self.env["k2.cc.call"].search([("company_id", "=", company.id), ("state", "in", LIVE_STATES)],
                                             order="start", limit=CALLS_SHOWN)
        today = self._cc_today_figures(company, queues)
        agents = self._cc_agents(lines, members)
        state_of = {agent["line_id"]: agent["state"] for agent in agents}
        of_queue, waiting_in = {}, {}
        for member in members:
            of_queue.setdefault(member.queue_id.id, []).append(member)
        for call in live:
            if call.state == "waiting":
                waiting_in.setdefault(call.queue_id.id, []).append(call)
        boards = []
        for queue in queues:
            queue_members = of_queue.get(queue.id, [])
            waiting = waiting_in.get(queue.id, [])
            starts = [call.wait_start or call.start for call in waiting]
            figures = today.get(queue.id, {})
            offered = figures.get("offered", 0)
            boards.append({
                "id": queue.id, "name": queue.display_name,
                "waiting": len(waiting), "longest_since": _stamp(min(starts)) if starts else False,
                "free": sum(1 for member in queue_members if not member.paused
                            and state_of.get(member.line_id.id) == "free"),
                "busy": sum(1 for member in queue_members if state_of.get(member.line_id.id) in BUSY),
                "paused": sum(1 for member in queue_members if member.paused),
                "answered": figures.get("answered", 0), "abandoned": figures.get("abandoned", 0),
                "service_level": round(100.0 * figures.get("in_sl", 0) / offered, 1) if offered else False,
                "target": queue.service_level_target,
            })
        return {
            "company_id": company.id, "company": company.name, "now": _stamp(fields.Datetime.now()),
            "queues": boards, "agents": agents,
            "calls": [self._cc_live_call(call) for call in live],
        }

    def _cc_today_figures(self, company, queues):
        """Today's answered, abandoned, offered and answered-within-level calls
        per queue, today being the day of the PBX's time zone."""
        if not queues:
            return {}
        pbx = queues.pbx_id[:1]
        zone = pytz.timezone(pbx.tz or "UTC")
        midnight = zone.localize(datetime.combine(datetime.now(zone).date(), time.min))
        since = midnight.astimezone(pytz.utc).replace(tzinfo=None)
        figures = {}
        groups = self.env["k2.cc.call"]._read_group(
            [("queue_id", "in", queues.ids), ("state", "=", "done"), ("start", ">=", since)],
            ["queue_id", "queue_outcome", "abandoned", "offered", "answered_in_sl"], ["__count"])
        for queue, outcome, abandoned, offered, in_sl, count in groups:
            row = figures.setdefault(queue.id, {"answered": 0, "abandoned": 0, "offered": 0, "in_sl": 0})
            row["answered"] += count if outcome == "answered" else 0
            row["abandoned"] += count if abandoned else 0
            row["offered"] += count if offered else 0
            row["in_sl"] += count if in_sl else 0
        return figures

    def _cc_agents(self, lines, members):
        of_line = {}
        for member in members:
            of_line.setdefault(member.line_id.id, []).append(member.id)
        agents = []
        for line in lines:
            own = members.browse(of_line.get(line.id, []))
            state = agent_state(line.device_state, [member.paused for member in own])
            since = line.device_state_since
            if state == "paused":
                since = max(filter(None, own.mapped("state_since")), default=since)
            paused = own.filtered("paused")
            agents.append({
                "line_id": line.id, "user": line.user_id.name, "extension": line.extension,
                "state": state, "since": _stamp(since),
                "reason": ", ".join(sorted({member.pause_reason_id.name or member.pause_reason or ""
                                            for member in paused} - {""})),
                "members": [{"id": member.id, "queue": member.queue_id.display_name, "paused": member.paused,
                             "pending": member.pending or False, "confirmed": member.confirmed} for member in own],
            })
        return agents

    def _cc_live_call(self, call):
        since = {"waiting": call.wait_start or call.start, "talking": call.answer_time or call.start}.get(
            call.state, call.start)
        outside = call.partner_id.name or (call.caller_number if call.direction != "outbound"
                                           else call.called_number) or ""
        agent = call.user_id.name or call.line_id.extension or (
            call.called_number if call.direction != "outbound" else call.caller_number) or ""
        return {"id": call.id, "pbx_call_id": call.pbx_call_id, "state": call.state, "direction": call.direction,
                "caller": outside, "agent": agent, "queue": call.queue_id.display_name or "", "since": _stamp(since)}
