"""The bridge's write path for agent and line states: what the PBX says of
its phones and queue members (``services.tracking.states.AgentStates``)
becomes the lines' phone state and the queue memberships in the database.

Runs as the bridge's technical user inside the bridge's transaction, like
:mod:`.ingest` for calls.
"""

import logging

from odoo import fields

from .ingest import PbxLines

_logger = logging.getLogger(__name__)


def ingest_states(pbx, changes, noted=None, lines=None):
    """Write ``changes`` (``(kind, key, value)`` of ``AgentStates.feed``) of
    ``pbx``; only the last change of each phone and member counts. Devices
    and interfaces that are no line of the PBX (trunks, other phones) are
    logged once each (``noted`` keeps which) and skipped. Returns the users
    whose queue memberships changed. ``lines``: the batch's
    :class:`~.ingest.PbxLines`, when the caller has one."""
    noted = set() if noted is None else noted
    last = {}
    for kind, key, value in changes:
        last[(kind, key if isinstance(key, str) else tuple(key))] = value
    lines = lines or PbxLines(pbx.env, pbx)
    now = fields.Datetime.now()
    # one UPDATE per new state, not one per phone: a busy PBX sends several per call
    moved = {}
    for (kind, device), state in last.items():
        if kind != "device":
            continue
        line = _line_of(lines, device)
        if not line:
            _note(noted, pbx, device, "the state of device %s, which is no line of this PBX, is not kept")
        elif line.device_state != state:
            moved.setdefault(state, pbx.env["k2.cc.line"])
            moved[state] |= line
    for state, moved_lines in moved.items():
        moved_lines.write({"device_state": state, "device_state_since": now})
    members = {key: value for (kind, key), value in last.items() if kind == "member"}
    users = _write_members(pbx, lines, members, noted, now)
    if members:
        # the PBX speaks of its members again: a request it never confirmed waits no longer
        users |= pbx.env["k2.cc.queue.member"]._cc_expire_pending(pbx)
    return users


def link_lost(pbx):
    """The PBX link is down: nothing is known of its phones and members any
    more. Unknown, never a stale "free"; memberships stay until the resync."""
    now = fields.Datetime.now()
    pbx.env["k2.cc.line"].search([("pbx_id", "=", pbx.id), ("device_state", "!=", "unknown")]).write(
        {"device_state": "unknown", "device_state_since": now})
    members = pbx.env["k2.cc.queue.member"].search([("pbx_id", "=", pbx.id), ("state", "!=", "unknown")])
    members.write({"state": "unknown", "state_since": now})
    return members.user_id


def resynced(pbx, snapshot, noted=None):
    """After a (re)connect the PBX listed its phones and members
    (``AgentStates.snapshot()``): that replaces everything known of ``pbx``.
    Phones it did not list are unknown, memberships it did not list are
    gone (a join asked for while the link was down and never confirmed
    too)."""
    changes = [("device", device, state) for device, state in snapshot["devices"].items()]
    changes += [("member", (member["queue"], member["interface"]), member) for member in snapshot["members"]]
    users = ingest_states(pbx, changes, noted)
    lines = PbxLines(pbx.env, pbx)
    listed = {line.id for device in snapshot["devices"] for line in _line_of(lines, device)}
    now = fields.Datetime.now()
    pbx.env["k2.cc.line"].search([("pbx_id", "=", pbx.id), ("id", "not in", list(listed)),
                                  ("device_state", "!=", "unknown")]).write(
        {"device_state": "unknown", "device_state_since": now})
    kept = set()
    for member in snapshot["members"]:
        line = _line_of(lines, member["interface"])
        if line:
            kept.add((member["queue"], line.id))
    members = pbx.env["k2.cc.queue.member"].search([("pbx_id", "=", pbx.id)])
    stale = members.filtered(lambda record: (record.queue_id.name, record.line_id.id) not in kept)
    users |= stale.user_id
    if stale:
        _logger.info("%s: %d queue membership(s) the PBX no longer lists, removed", pbx.display_name, len(stale))
        stale.unlink()
    # What was asked and never confirmed (the link dropped meanwhile): the
    # PBX's list is what holds now; the agent asks again if they still want it.
    unconfirmed = (members - stale).filtered("pending")
    if unconfirmed:
        _logger.info("%s: %d queue request(s) not confirmed before the link dropped, given up: the PBX's list "
                     "holds", pbx.display_name, len(unconfirmed))
        unconfirmed.write({"pending": False, "pending_since": False, "pending_reason_id": False})
        users |= unconfirmed.user_id
    return users


def _write_members(pbx, lines, members, noted, now):
    Member = pbx.env["k2.cc.queue.member"]
    users = pbx.env["res.users"]
    if not members:
        return users
    queues = pbx.env["k2.cc.queue"]._cc_for_pbx(pbx, {queue for queue, _interface in members})
    existing = {(record.queue_id.name, record.line_id.id): record for record in Member.search(
        [("pbx_id", "=", pbx.id), ("queue_id.name", "in", list(queues))])}
    reasons = {}
    # A member's phone state alone changes at every call (QueueMemberStatus):
    # written one UPDATE per state, and nobody's systray is told of it.
    by_state = {}
    for (queue_name, interface), value in members.items():
        line = _line_of(lines, interface)
        if not line:
            _note(noted, pbx, interface, "queue member %s is no line of this PBX: its membership is not kept")
            continue
        record = existing.get((queue_name, line.id))
        if value is None:  # left the queue (QueueMemberRemoved)
            if record:
                users |= record.user_id
                record.unlink()
            continue
        vals = _member_values(pbx, value, record, reasons, now)
        if record:
            changed = {name: val for name, val in vals.items() if _value(record, name) != val}
            if not changed:
                continue
            if set(changed) <= {"state", "state_since"}:
                by_state.setdefault(changed["state"], Member)
                by_state[changed["state"]] |= record
                continue
            record.write(changed)
        else:
            record = existing[(queue_name, line.id)] = Member.create(
                {"queue_id": queues[queue_name].id, "line_id": line.id, "interface": interface, **vals})
        users |= record.user_id
    for state, records in by_state.items():
        records.write({"state": state, "state_since": now})
    return users


def _member_values(pbx, value, record, reasons, now):
    """What a member event confirms; the pending request it answers is cleared."""
    reason = value.get("reason") or ""
    if reason and reason not in reasons:
        reasons[reason] = pbx.env["k2.cc.pause.reason"].with_context(active_test=False).search(
            [("name", "=ilike", reason)], limit=1)
    vals = {"confirmed": True, "paused": bool(value.get("paused")),
            "pause_reason": reason or False,
            "pause_reason_id": reasons[reason].id if reason else False,
            "state": value.get("state") or "unknown"}
    if not record or record.paused != vals["paused"] or record.state != vals["state"]:
        vals["state_since"] = now
    pending = record.pending if record else False
    if pending == "join" or (pending == "pause" and vals["paused"]) or (pending == "resume" and not vals["paused"]):
        vals.update(pending=False, pending_since=False, pending_reason_id=False)
    return vals


def _value(record, name):
    """A field's value as written (a many2one's id, False when empty)."""
    value = record[name]
    return value.id if hasattr(value, "_name") else value


def _line_of(lines, device):
    """The line a device (``PJSIP/201``), hint (``201@from-internal``) or
    queue interface (``Local/201@from-queue/n``) belongs to."""
    if not device:
        return lines.env["k2.cc.line"]
    return lines.lines_of([device]) or lines.lines_of([device.split("/", 1)[-1].split("@", 1)[0]])


def _note(noted, pbx, name, message):
    if (pbx.id, name) not in noted:
        noted.add((pbx.id, name))
        _logger.info("%s: " + message, pbx.display_name, name)
