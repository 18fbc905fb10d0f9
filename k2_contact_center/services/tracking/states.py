"""Line and agent states from the PBX: each device's state (free, ringing, in a
call, on hold, unavailable) and each agent's queue memberships and pauses.

Pure Python: no ``odoo`` import, no I/O. Fed the AMI events the tracker gets
(``DeviceStateChange``, ``ExtensionStatus``, ``QueueMemberAdded``,
``QueueMemberRemoved``, ``QueueMemberPause``, ``QueueMemberStatus``) and the
answers to the state actions the bridge sends after every (re)connect
(``QueueStatus``: ``QueueMember`` items; ``DeviceStateList``:
``DeviceStateChange`` items; ``ExtensionStateList``: ``ExtensionStatus``
items). A resync replaces what is known by what the PBX lists, so nothing
stale survives a reconnect; while the link is down every state is
``unknown``: never a wrong "free".

:meth:`AgentStates.feed` returns the changes, each ``(kind, key, value)``:
``("device", "PJSIP/201", "busy")`` or ``("member", ("support",
"PJSIP/201"), {...})`` (``None`` when the member left the queue).
"""

import logging

_logger = logging.getLogger(__name__)

STATES = ("free", "ringing", "in_call", "on_hold", "unavailable", "unknown")
# Asterisk's device states (devicestate.h), by name and by number.
_DEVICE_STATES = {
    "NOT_INUSE": "free", "INUSE": "in_call", "BUSY": "in_call", "RINGING": "ringing", "RINGINUSE": "in_call",
    "ONHOLD": "on_hold", "UNAVAILABLE": "unavailable", "INVALID": "unavailable", "UNKNOWN": "unknown",
}
_DEVICE_NUMBERS = {
    "0": "unknown", "1": "free", "2": "in_call", "3": "in_call", "4": "unavailable", "5": "unavailable",
    "6": "ringing", "7": "in_call", "8": "on_hold",
}
# Hint states of ExtensionStatus (a bit mask: in use 1, busy 2, unavailable 4, ringing 8, on hold 16).
_EXTENSION_STATES = {
    "-2": "unavailable", "-1": "unavailable", "0": "free", "1": "in_call", "2": "in_call", "4": "unavailable",
    "8": "ringing", "9": "in_call", "16": "on_hold", "17": "on_hold",
}
_MEMBER_EVENTS = frozenset({"QueueMemberAdded", "QueueMemberPause", "QueueMemberStatus", "QueueMember"})
EVENTS = frozenset({"DeviceStateChange", "ExtensionStatus", "QueueMemberRemoved"}) | _MEMBER_EVENTS


def device_state(value):
    """A device state of Asterisk (name or number) as one of :data:`STATES`."""
    text = (value or "").strip().upper().replace(" ", "_")
    return _DEVICE_STATES.get(text) or _DEVICE_NUMBERS.get(text) or "unknown"


def _flag(value):
    return (value or "").strip().lower() in ("1", "true", "yes")


class AgentStates:
    """What the PBX says of its devices and queue members, kept current."""

    def __init__(self):
        self.devices = {}  # device ("PJSIP/201", or a hint "201@ext-local") -> state
        self.members = {}  # (queue, interface) -> {"queue", "interface", "name", "paused", "reason", "state", ...}
        self._resync = None  # what a resync has listed so far, or None
        self.link_up = True  # False from a lost link to the end of the resync after it
        self.unknown_events = 0

    # -- the link -------------------------------------------------------------
    def link_lost(self):
        """The PBX link is down: nothing is known any more (never a stale "free")."""
        self.link_up = False
        changes = [("device", device, "unknown") for device, state in self.devices.items() if state != "unknown"]
        for key, member in self.members.items():
            if member["state"] != "unknown":
                member["state"] = "unknown"
                changes.append(("member", key, dict(member)))
        return changes

    def begin_resync(self):
        """The link is up again; the state lists that follow replace everything."""
        self._resync = {"devices": set(), "members": set()}

    def end_resync(self):
        """The lists are complete: forget what the PBX no longer lists."""
        listed, self._resync = self._resync, None
        self.link_up = True
        if listed is None:
            return []
        changes = []
        for device in [d for d in self.devices if d not in listed["devices"]]:
            if self.devices.pop(device) != "unknown":
                changes.append(("device", device, "unknown"))
        for key in [k for k in self.members if k not in listed["members"]]:
            del self.members[key]
            changes.append(("member", key, None))
        return changes

    # -- events ---------------------------------------------------------------
    def feed(self, event):
        """Take one event (others are ignored); return the changes it made."""
        name = event.get("Event")
        if name not in EVENTS:
            return []
        if name == "DeviceStateChange":
            device = (event.get("Device") or "").strip()
            return self._device(device, device_state(event.get("State")))
        if name == "ExtensionStatus":
            exten, context = (event.get("Exten") or "").strip(), (event.get("Context") or "").strip()
            if not exten:
                return []
            state = _EXTENSION_STATES.get((event.get("Status") or "").strip(), "unknown")
            return self._device(f"{exten}@{context}" if context else exten, state)
        queue = (event.get("Queue") or "").strip()
        interface = (event.get("Interface") or event.get("Location") or "").strip()
        if not queue or not interface:
            self.unknown_events += 1
            _logger.warning("Agent states: %s without a queue or an interface, ignored", name)
            return []
        key = (queue, interface)
        if name == "QueueMemberRemoved":
            if self.members.pop(key, None) is None:
                return []
            return [("member", key, None)]
        return self._member(key, event, name)

    def _device(self, device, state):
        if not device:
            return []
        if self._resync is not None:
            self._resync["devices"].add(device)
        if self.devices.get(device) == state:
            return []
        self.devices[device] = state
        return [("device", device, state)]

    def _member(self, key, event, name):
        if self._resync is not None:
            self._resync["members"].add(key)
        member = self.members.get(key)
        if member is None:
            if name == "QueueMemberPause":
                _logger.warning("Agent states: %s paused in %s, which it was not known to be a member of; "
                                "taken as a member", key[1], key[0])
            member = {"queue": key[0], "interface": key[1], "name": "", "paused": False, "reason": "",
                      "state": "unknown", "calls_taken": 0, "in_call": False}
        before = dict(member)
        member["name"] = (event.get("MemberName") or event.get("Name") or member["name"]).strip()
        if "Paused" in event:
            member["paused"] = _flag(event.get("Paused"))
            member["reason"] = (event.get("PausedReason") or event.get("Reason") or "").strip() \
                if member["paused"] else ""
        if "Status" in event:
            member["state"] = device_state(event.get("Status"))
        if "CallsTaken" in event and str(event["CallsTaken"]).isdigit():
            member["calls_taken"] = int(event["CallsTaken"])
        if "InCall" in event:
            member["in_call"] = _flag(event.get("InCall"))
        self.members[key] = member
        if member == before:
            return []
        return [("member", key, dict(member))]

    # -- reading --------------------------------------------------------------
    def agent_state(self, interface):
        """One word for an agent's phone: its device state, ``paused`` when it
        is paused in every queue it belongs to and not in a call."""
        if not self.link_up:
            return "unknown"
        state = self.devices.get(interface)
        queues = [m for m in self.members.values() if m["interface"] == interface]
        if state is None:
            states = {m["state"] for m in queues}
            state = states.pop() if len(states) == 1 else "unknown"
        if queues and all(m["paused"] for m in queues) and state in ("free", "unknown"):
            return "paused"
        return state or "unknown"

    def snapshot(self):
        return {"devices": dict(self.devices), "members": [dict(m) for m in self.members.values()],
                "link_up": self.link_up}
