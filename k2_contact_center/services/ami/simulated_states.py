"""What the AMI simulator keeps of a PBX's present besides its channels: the
device state of each phone and the members of each queue, with the actions
that read them and change them, answered the way Asterisk's manager does.

Pure Python, no ``odoo`` import, no I/O: :class:`AmiSimulator` hands it the
events it sends and the actions it receives and writes what comes back.

- ``DeviceStateChange`` follows each phone's channels (ringing, in use, free);
- ``QueueAdd``, ``QueueRemove``, ``QueuePause`` change members and send
  ``QueueMemberAdded``, ``QueueMemberRemoved``, ``QueueMemberPause``, or are
  refused as Asterisk refuses them (already there, not there, not found);
- ``QueueStatus``, ``DeviceStateList``, ``ExtensionStateList`` list the state.
"""

import time

# Channel states (Newstate's ChannelState) of a phone, as its device state.
_CHANNEL_TO_DEVICE = {"5": "RINGING", "6": "INUSE"}
_DEVICE_NUMBER = {"NOT_INUSE": "1", "INUSE": "2", "BUSY": "3", "UNAVAILABLE": "5", "RINGING": "6",
                  "ONHOLD": "8", "UNKNOWN": "0"}
_HINT_STATUS = {"NOT_INUSE": ("0", "Idle"), "INUSE": ("1", "InUse"), "BUSY": ("2", "Busy"),
                "UNAVAILABLE": ("4", "Unavailable"), "RINGING": ("8", "Ringing"), "ONHOLD": ("16", "Hold"),
                "UNKNOWN": ("-1", "Unknown")}
STATE_ACTIONS = frozenset({"queueadd", "queueremove", "queuepause", "queuestatus", "devicestatelist",
                           "extensionstatelist"})


def _true(value):
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


class SimulatedStates:
    """Devices and queue members of the simulated PBX."""

    def __init__(self, extensions, queue="support", context="from-internal"):
        self.context = context
        self.devices = {f"PJSIP/{ext}": "NOT_INUSE" for ext in extensions}
        self._channels = {}  # phone channel uid -> device, while up
        self.members = {(queue, f"PJSIP/{ext}"): {"name": f"Agent {ext}", "paused": False, "reason": "",
                                                   "penalty": "0", "calls": 0, "membership": "static"}
                        for ext in extensions}

    # -- device states from the channels -------------------------------------
    def on_event(self, event):
        """The ``DeviceStateChange`` events that ``event`` (one the simulator
        sends) causes."""
        name, uid = event.get("Event"), event.get("Uniqueid")
        device = self._channels.get(uid)
        if device is None and name in ("Newchannel", "Newstate"):
            channel = event.get("Channel") or ""
            candidate = channel.rpartition("-")[0]
            if candidate in self.devices:
                device = self._channels[uid] = candidate
        if device is None:
            return []
        if name == "Hangup":
            del self._channels[uid]
            state = "INUSE" if device in self._channels.values() else "NOT_INUSE"
        elif name == "Newstate":
            state = _CHANNEL_TO_DEVICE.get(str(event.get("ChannelState")))
        else:
            return []
        return self._set(device, state) if state else []

    def _set(self, device, state):
        if self.devices.get(device) == state:
            return []
        self.devices[device] = state
        # as app_queue does: each queue the phone is a member of reports its new status
        return [{"Event": "DeviceStateChange", "Privilege": "call,all", "Device": device, "State": state}] + [
            self._member_event("QueueMemberStatus", key, member)
            for key, member in sorted(self.members.items()) if key[1] == device]

    # -- actions ---------------------------------------------------------------
    def action(self, name, action):
        """``(reply fields, events to send, list items)`` for a state action;
        reply fields with ``Response: Error`` when refused."""
        return getattr(self, f"_{name}")(action)

    def _member_event(self, event, key, member):
        device = self.devices.get(key[1], "UNKNOWN")
        return {"Event": event, "Privilege": "agent,all", "Queue": key[0], "MemberName": member["name"],
                "Interface": key[1], "StateInterface": key[1], "Membership": member["membership"],
                "Penalty": member["penalty"], "CallsTaken": str(member["calls"]), "LastCall": "0",
                "LastPause": "0", "LoginTime": "0", "InCall": "1" if device == "INUSE" else "0",
                "Status": _DEVICE_NUMBER.get(device, "0"), "Paused": "1" if member["paused"] else "0",
                "PausedReason": member["reason"], "Ringinuse": "0", "Wrapuptime": "0"}

    def _queueadd(self, action):
        key = ((action.get("Queue") or "").strip(), (action.get("Interface") or "").strip())
        if not all(key):
            return {"Response": "Error", "Message": "'Queue' and 'Interface' are required"}, [], []
        if key in self.members:
            return {"Response": "Error", "Message": "Unable to add interface: Already there"}, [], []
        member = self.members[key] = {"name": action.get("MemberName") or key[1], "paused": _true(action.get("Paused")),
                                      "reason": action.get("Reason") or "", "penalty": action.get("Penalty") or "0",
                                      "calls": 0, "membership": "dynamic"}
        return {"Message": "Added interface to queue"}, [self._member_event("QueueMemberAdded", key, member)], []

    def _queueremove(self, action):
        key = ((action.get("Queue") or "").strip(), (action.get("Interface") or "").strip())
        member = self.members.pop(key, None)
        if member is None:
            return {"Response": "Error", "Message": "Unable to remove interface: Not there"}, [], []
        return ({"Message": "Removed interface from queue"},
                [self._member_event("QueueMemberRemoved", key, member)], [])

    def _queuepause(self, action):
        interface = (action.get("Interface") or "").strip()
        queue = (action.get("Queue") or "").strip()
        paused = _true(action.get("Paused"))
        keys = [key for key in self.members if key[1] == interface and (not queue or key[0] == queue)]
        if not interface or not keys:
            return {"Response": "Error", "Message": "Interface not found"}, [], []
        events = []
        for key in keys:
            member = self.members[key]
            member["paused"], member["reason"] = paused, (action.get("Reason") or "") if paused else ""
            events.append(self._member_event("QueueMemberPause", key, member))
        return {"Message": "Interface paused successfully" if paused else "Interface unpaused successfully"}, \
            events, []

    def _queuestatus(self, action):
        items = []
        queues = sorted({key[0] for key in self.members})
        for queue in queues:
            if action.get("Queue") and action["Queue"] != queue:
                continue
            items.append({"Event": "QueueParams", "Queue": queue, "Max": "0", "Strategy": "ringall", "Calls": "0",
                          "Holdtime": "0", "TalkTime": "0", "Completed": "0", "Abandoned": "0",
                          "ServiceLevel": "20", "ServicelevelPerf": "0.0", "ServicelevelPerf2": "0.0",
                          "Weight": "0"})
            for key, member in sorted(self.members.items()):
                if key[0] == queue:
                    item = self._member_event("QueueMember", key, member)
                    item["Name"], item["Location"] = item.pop("MemberName"), item.pop("Interface")
                    del item["Privilege"]
                    items.append(item)
        return {"EventList": "start", "Message": "Queue status will follow"}, [], \
            items + [{"Event": "QueueStatusComplete", "EventList": "Complete", "ListItems": str(len(items))}]

    def _devicestatelist(self, action):
        items = [{"Event": "DeviceStateChange", "Device": device, "State": state}
                 for device, state in sorted(self.devices.items())]
        return {"EventList": "start", "Message": "Device State Changes will follow"}, [], \
            items + [{"Event": "DeviceStateListComplete", "EventList": "Complete", "ListItems": str(len(items))}]

    def _extensionstatelist(self, action):
        items = []
        for device, state in sorted(self.devices.items()):
            status, text = _HINT_STATUS.get(state, ("-1", "Unknown"))
            items.append({"Event": "ExtensionStatus", "Exten": device.partition("/")[2], "Context": self.context,
                          "Hint": device, "Status": status, "StatusText": text})
        return {"EventList": "start", "Message": "Extension Statuses will follow"}, [], \
            items + [{"Event": "ExtensionStateListComplete", "EventList": "Complete",
                      "ListItems": str(len(items))}]

    def stamp(self, events):
        now = f"{time.time():.6f}"
        return [dict(event, Timestamp=now) for event in events]
