"""Translate Asterisk REST Interface (ARI) events into AMI-shaped events.

Pure Python: no ``odoo`` import, no I/O. The call tracker
(:mod:`..tracking.calls`) reads AMI events; this module turns the JSON events an
ARI WebSocket (``/ari/events?app=...&subscribeAll=true``) sends into the AMI
events Asterisk renders from the same internal (stasis) messages, so one
tracker gives the same call records whichever interface saw the call.

API
---
``translator = AriTranslator()``
``translator.feed(message) -> list[dict]``
    ``message`` is one WebSocket text frame (``str`` or ``bytes``) or an
    already decoded event (``dict``). Returns the AMI-shaped events (often
    one, sometimes none, sometimes several when events held back are
    released, see below). Never raises: malformed input is logged (warning,
    one line) and counted in :attr:`AriTranslator.errors`; unknown event
    types are logged at debug level and counted in
    :attr:`AriTranslator.unknown`.
``translator.flush() -> list[dict]``
    Releases the events still held back (end of a recorded stream).
``translator.linkedid_of(channel_id)``, ``translator.core_show_channel(channel)``
    The call a channel belongs to; an ARI ``Channel`` as the AMI
    ``CoreShowChannel`` event (for a resync after a reconnect).

Which ARI event gives which AMI event (both are renderings of one message):
``ChannelCreated`` Newchannel, ``ChannelStateChange`` Newstate,
``ChannelDialplan`` Newexten, ``ChannelCallerId`` NewCallerid,
``ChannelConnectedLine`` NewConnectedLine, ``ChannelVarset`` VarSet,
``Dial`` DialBegin / DialState / DialEnd (empty, progress or final
``dialstatus``), ``ChannelHangupRequest`` (Soft)HangupRequest,
``ChannelDestroyed`` Hangup, ``BridgeCreated`` / ``BridgeDestroyed``
BridgeCreate / BridgeDestroy, ``ChannelEnteredBridge`` / ``ChannelLeftBridge``
BridgeEnter / BridgeLeave, ``BridgeBlindTransfer`` BlindTransfer,
``BridgeAttendedTransfer`` AttendedTransfer, ``ChannelHold`` / ``ChannelUnhold``
Hold / Unhold, ``ChannelUserevent`` UserEvent, ``ChannelDtmfReceived`` DTMFEnd,
``StasisStart`` / ``StasisEnd`` as such. Calls that Stasis applications run
(holding bridges, agent legs the application creates, helper channels) are
shaped as ``app_queue`` calls by :mod:`.stasis`, a part of the translator. Times come from the event's
``timestamp`` (ISO 8601 with milliseconds and the PBX's UTC offset).
AMI-only events (queue members, ``Pickup``, ``LocalBridge``,
``OriginateResponse``...) have no ARI counterpart; the tracker does without.

The linked id
-------------
The ARI ``Channel`` model (Asterisk 12 to 22, ``rest-api/api-docs``) carries
no ``linkedid``, yet the tracker groups channels into calls by it. Asterisk
gives a channel its requester's linked id when the channel is created for a
dial, so it is derived the same way:

- a ``linkedid`` in the channel JSON (should a future Asterisk add it) wins;
- a channel created in a state other than ``Down`` (``Ring``: a phone or a
  trunk that placed the call) starts a call of its own, as does a ``Down``
  one that turns ``Ring`` (chan_sip creates incoming channels ``Down``);
- a ``Down`` channel (created to be dialled) waits for the ``Dial`` event
  naming it as ``peer`` (or ``forwarded``): it belongs to the ``caller``'s
  call, or starts one when there is no caller (an originate);
- the two halves of a Local channel (``...;1`` and ``...;2``) share one
  linked id, that of ``;1``.

Until a channel's linked id is known its events are held back in arrival
order and released, translated, once it is; a ``Dial`` is published right
after the dialled channel is created, so that is a matter of milliseconds.
A held channel that shows activity (dialplan, state change, bridging) but
is not dialled within :data:`PENDING_SECONDS` of PBX time is taken for the
start of a call. One destroyed without ever doing anything is dropped: a
channel that never rang is no call (Asterisk makes such channels when a
dial fails before it starts).

Channels that existed before the connection (no ``ChannelCreated`` seen) are
translated as they come, with their own id as linked id, and no
``Newchannel`` is made up for them: like the AMI tracker after a reconnect,
calls already under way are picked up by the events that create channels
(``Newstate``, ``DialBegin``) only.
"""

import json
import logging
from collections import OrderedDict
from datetime import datetime

from .stasis import StasisCalls

_logger = logging.getLogger(__name__)
# what AriTranslator._ready answers for an event kept until its call is known
HELD = object()

# Seconds (of PBX time) a channel with activity waits for the Dial that would
# make it part of another call before it is taken for the start of its own.
PENDING_SECONDS = 2.0
STATE_CODES = {
    "Down": 0, "Rsrved": 1, "OffHook": 2, "Dialing": 3, "Ring": 4, "Ringing": 5, "Up": 6, "Busy": 7,
    "Dialing Offhook": 8, "Pre-ring": 9, "Unknown": 10,
}
# Asterisk's dial_status_end(): these statuses are progress, not an outcome.
_DIAL_PROGRESS = frozenset({"RINGING", "PROGRESS", "PROCEEDING"})
_DEST_TYPES = {"bridge": "Bridge", "application": "App", "link": "Link", "threeway": "Threeway", "fail": "Fail"}
# Events that say a held channel is doing something (not just being set up).
_ACTIVITY = frozenset({
    "ChannelStateChange", "ChannelDialplan", "ChannelEnteredBridge", "ChannelLeftBridge", "Dial",
    "BridgeBlindTransfer", "BridgeAttendedTransfer", "StasisStart",
})
_GONE_MEMORY = 20000
_PENDING_MEMORY = 5000
_UNKNOWN = "<unknown>"


class AriEventError(ValueError):
    """An ARI event lacks what its type requires."""


def parse_timestamp(value):
    """Epoch seconds of an ARI ``timestamp`` (``2024-03-01T10:15:02.345+0100``), or None."""
    if not isinstance(value, str) or not value:
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(value, fmt).timestamp()
        except ValueError:
            continue
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:  # no offset: nothing says which zone, not a usable time
        return None
    return moment.timestamp()


def _text(value, default=""):
    if value is None:
        return default
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    raise AriEventError(f"expected text, got {type(value).__name__}")


def _mapping(value, what):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise AriEventError(f"{what} is not an object")
    return value


def channel_id(channel):
    """The ``id`` of an ARI ``Channel`` object; :class:`AriEventError` when there is none."""
    if not isinstance(channel, dict):
        raise AriEventError("channel is not an object")
    uid = channel.get("id")
    if not isinstance(uid, str) or not uid:
        raise AriEventError("channel without id")
    return uid


def channel_headers(channel, linkedid=None, prefix=""):
    """The AMI channel headers (``Channel``, ``ChannelState``, ``CallerIDNum``...,
    ``Uniqueid``, ``Linkedid``) of an ARI ``Channel`` object."""
    uid = channel_id(channel)
    caller = _mapping(channel.get("caller"), "caller")
    connected = _mapping(channel.get("connected"), "connected")
    dialplan = _mapping(channel.get("dialplan"), "dialplan")
    state = _text(channel.get("state"), "Unknown")
    return {
        prefix + "Channel": _text(channel.get("name")),
        prefix + "ChannelState": str(STATE_CODES.get(state, 10)),
        prefix + "ChannelStateDesc": state,
        prefix + "CallerIDNum": _text(caller.get("number")) or _UNKNOWN,
        prefix + "CallerIDName": _text(caller.get("name")) or _UNKNOWN,
        prefix + "ConnectedLineNum": _text(connected.get("number")) or _UNKNOWN,
        prefix + "ConnectedLineName": _text(connected.get("name")) or _UNKNOWN,
        prefix + "Language": _text(channel.get("language")),
        prefix + "AccountCode": _text(channel.get("accountcode")),
        prefix + "Context": _text(dialplan.get("context")),
        prefix + "Exten": _text(dialplan.get("exten")),
        prefix + "Priority": _text(dialplan.get("priority"), "1"),
        prefix + "Uniqueid": uid,
        prefix + "Linkedid": linkedid or _text(channel.get("linkedid")) or uid,
    }


def bridge_headers(bridge, prefix=""):
    """The AMI bridge headers (``BridgeUniqueid``...) of an ARI ``Bridge`` object."""
    if not isinstance(bridge, dict) or not isinstance(bridge.get("id"), str):
        raise AriEventError("bridge without id")
    channels = bridge.get("channels")
    return {
        prefix + "BridgeUniqueid": bridge["id"],
        prefix + "BridgeType": _text(bridge.get("bridge_class")) or "basic",
        prefix + "BridgeTechnology": _text(bridge.get("technology")),
        prefix + "BridgeCreator": _text(bridge.get("creator")) or _UNKNOWN,
        prefix + "BridgeName": _text(bridge.get("name")) or _UNKNOWN,
        prefix + "BridgeNumChannels": str(len(channels) if isinstance(channels, list) else 0),
        prefix + "BridgeVideoSourceMode": _text(bridge.get("video_mode")) or "none",
    }


def _local_half(name):
    """``("Local/201@ctx-0000001a", 1)`` for a Local channel half, else None."""
    if not name.startswith("Local/") or len(name) < 3 or name[-2] != ";" or name[-1] not in "12":
        return None
    return name[:-2], int(name[-1])


class _Group:
    """Channels that share one linked id and wait for it together (a Local
    pair, or one channel), with the events held back for them."""

    __slots__ = ("members", "linkedid", "queue", "active", "created")

    def __init__(self, created):
        self.members = []
        self.linkedid = None
        self.queue = []  # (event, ts), arrival order
        self.active = False
        self.created = created


class _Chan:
    __slots__ = ("uid", "name", "group", "created_json", "created_ts")

    def __init__(self, uid, name, group, created_json=None, created_ts=None):
        self.uid = uid
        self.name = name
        self.group = group
        self.created_json = created_json  # None: it existed before we listened
        self.created_ts = created_ts


class AriTranslator(StasisCalls):
    """Stateful ARI -> AMI event translation; see the module docstring (and
    :mod:`.stasis` for calls that Stasis applications run)."""

    _timestamp = staticmethod(parse_timestamp)

    def __init__(self, pending_seconds=PENDING_SECONDS):
        self.pending_seconds = pending_seconds
        self.errors = {}  # kind of malformed input -> count
        self.unknown = {}  # ARI event type without AMI counterpart -> count
        self._chans = {}  # channel id -> _Chan, live channels
        self._gone = OrderedDict()  # destroyed channel id -> linked id, for late events
        self._locals = {}  # Local channel base name -> group of its halves
        self._pending = OrderedDict()  # id(group) -> group still without linked id
        self._bridge_of = {}  # channel id -> bridge id
        self._handlers = {
            "ChannelCreated": self._on_created,
            "ChannelStateChange": self._on_state,
            "ChannelDialplan": self._on_dialplan,
            "ChannelCallerId": self._on_callerid,
            "ChannelConnectedLine": self._simple("NewConnectedLine"),
            "ChannelVarset": self._on_varset,
            "ChannelHangupRequest": self._on_hangup_request,
            "ChannelDestroyed": self._on_destroyed,
            "Dial": self._on_dial,
            "BridgeCreated": self._on_bridge("BridgeCreate"),
            "BridgeDestroyed": self._on_bridge("BridgeDestroy"),
            "ChannelEnteredBridge": self._on_bridge_channel("BridgeEnter"),
            "ChannelLeftBridge": self._on_bridge_channel("BridgeLeave"),
            "BridgeBlindTransfer": self._on_blind,
            "BridgeAttendedTransfer": self._on_attended,
            "ChannelHold": self._on_hold,
            "ChannelUnhold": self._simple("Unhold"),
            "ChannelUserevent": self._on_userevent,
            "ChannelDtmfReceived": self._on_dtmf,
            "ChannelTalkingStarted": self._simple("ChannelTalkingStart"),
            "ChannelTalkingFinished": self._simple("ChannelTalkingStop"),
            "StasisStart": self._on_stasis_start,
            "StasisEnd": self._on_stasis_end,
            "DeviceStateChanged": self._on_device_state,
            "EndpointStateChange": self._on_endpoint_state,
        }
        self._init_stasis()

    # ------------------------------------------------------------------ API

    def feed(self, message):
        """Translate one ARI event (text frame or dict); see the module docstring."""
        event = self._decode(message)
        if event is None:
            return []
        kind = event["type"]
        ts = parse_timestamp(event.get("timestamp"))
        out = []
        if ts is not None:
            self._expire(ts, out)
        handler = self._handlers.get(kind)
        if handler is None:
            self.unknown[kind] = self.unknown.get(kind, 0) + 1
            _logger.debug("ARI event %s has no AMI counterpart: ignored", kind)
            return out
        if not self._helper_event(event):
            self._dispatch(handler, event, ts, out)
        return out

    def flush(self):
        """Release every held-back event that shows activity (end of a stream)."""
        out = []
        for group in list(self._pending.values()):
            if group.active:
                self._resolve(group, self._origin_id(group), out)
        return out

    def linkedid_of(self, uid):
        """The linked id (call) of channel ``uid``: derived, remembered after
        its end, or the id itself when the channel is not known."""
        chan = self._chans.get(uid)
        if chan is not None and chan.group.linkedid:
            return chan.group.linkedid
        return self._gone.get(uid) or uid

    def known_ids(self):
        return set(self._chans)

    def forget(self, uids):
        """Drop channels that ended while the link was down (no ChannelDestroyed
        came); their held-back events go with them."""
        for uid in uids:
            chan = self._chans.pop(uid, None)
            if chan is None:
                continue
            self._bridge_of.pop(uid, None)
            group = chan.group
            if chan in group.members:
                group.members.remove(chan)
            if not group.members:
                self._pending.pop(id(group), None)
                half = _local_half(chan.name)
                if half and self._locals.get(half[0]) is group:
                    del self._locals[half[0]]

    def core_show_channel(self, channel, now=None):
        """An ARI ``Channel`` (from ``GET /ari/channels``) as the AMI
        ``CoreShowChannel`` event, with the linked id this translator knows."""
        uid = channel_id(channel)
        event = {"Event": "CoreShowChannel"}
        event.update(channel_headers(channel, self.linkedid_of(uid)))
        dialplan = _mapping(channel.get("dialplan"), "dialplan")
        event["Application"] = _text(dialplan.get("app_name"))
        event["ApplicationData"] = _text(dialplan.get("app_data"))
        seconds = 0
        created = parse_timestamp(channel.get("creationtime"))
        if created is not None and now is not None:
            seconds = max(0, int(now - created))
        event["Duration"] = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        event["BridgeId"] = self._bridge_of.get(uid, "")
        return event

    # ------------------------------------------------------------ decoding

    def _count(self, kind, detail):
        self.errors[kind] = self.errors.get(kind, 0) + 1
        _logger.warning("ARI event skipped (%s): %s", kind.replace("_", " "), detail)

    def _decode(self, message):
        if isinstance(message, (bytes, bytearray)):
            try:
                message = bytes(message).decode("utf-8")
            except UnicodeDecodeError:
                self._count("decode_errors", f"{len(message)} bytes that are not UTF-8")
                message = bytes(message).decode("utf-8", "replace")
        if isinstance(message, str):
            try:
                message = json.loads(message)
            except ValueError as error:
                self._count("invalid_json", f"{error} in {message[:80]!r}")
                return None
        if not isinstance(message, dict):
            self._count("not_an_event", f"a JSON {type(message).__name__}, not an object")
            return None
        if not isinstance(message.get("type"), str) or not message["type"]:
            self._count("no_type", f"object without a type: {sorted(message)[:8]}")
            return None
        return message

    def _dispatch(self, handler, event, ts, out):
        try:
            handler(event, ts, out)
        except (AriEventError, KeyError, TypeError, ValueError, AttributeError) as error:
            self._count("malformed", f"{event.get('type')}: {error}")

    # ------------------------------------------------------------ channels

    def _ami(self, name, ts, channel=None, chan=None, **extra):
        event = {"Event": name, "Privilege": "call,all"}
        if ts is not None:
            event["Timestamp"] = f"{ts:.6f}"
        if channel is not None:
            event.update(channel_headers(channel, self._linkedid(chan, channel)))
        event.update(extra)
        return event

    def _linkedid(self, chan, channel):
        if chan is not None and chan.group.linkedid:
            return chan.group.linkedid
        uid = channel.get("id")
        return self._gone.get(uid) or _text(channel.get("linkedid")) or uid

    def _known(self, channel):
        """The _Chan of an ARI channel object; a channel never seen being
        created is registered as one that existed before we listened."""
        uid = channel_id(channel)
        chan = self._chans.get(uid)
        if chan is None and uid not in self._gone:
            group = _Group(None)
            group.linkedid = _text(channel.get("linkedid")) or uid
            chan = _Chan(uid, _text(channel.get("name")), group)
            group.members.append(chan)
            self._chans[uid] = chan
        return chan

    @staticmethod
    def _waiting(chan):
        return chan is not None and chan.group.linkedid is None

    def _hold(self, chan, event, ts, activity):
        group = chan.group
        group.queue.append((event, ts))
        if activity:
            group.active = True

    def _origin_id(self, group):
        return group.members[0].uid if group.members else None

    def _resolve(self, group, linkedid, out):
        """Give ``group`` its linked id: its Newchannel events, then what it held back."""
        if group.linkedid is not None:
            return
        group.linkedid = linkedid
        self._pending.pop(id(group), None)
        for chan in group.members:
            out.append(self._ami("Newchannel", chan.created_ts, chan.created_json, chan))
        queue, group.queue = group.queue, []
        for event, ts in queue:
            handler = self._handlers.get(event["type"])
            self._dispatch(handler, event, ts, out)

    def _expire(self, ts, out):
        limit = ts - self.pending_seconds
        for group in list(self._pending.values()):
            if group.created is not None and group.created > limit:
                break  # in creation order: the rest is younger
            if group.active:
                self._resolve(group, self._origin_id(group), out)

    # ------------------------------------------------------------ handlers

    def _on_created(self, event, ts, out):
        channel = event["channel"]
        uid = channel_id(channel)
        if uid in self._chans or uid in self._gone:
            return  # a repeated event
        name = _text(channel.get("name"))
        half = _local_half(name)
        group = None
        if half is not None:
            group = self._locals.get(half[0])
            if group is None or not group.members:
                group = None
        if group is None:
            group = _Group(ts)
            if half is not None:
                self._locals[half[0]] = group
        chan = _Chan(uid, name, group, channel, ts)
        self._chans[uid] = chan
        if group.linkedid is not None:  # the second half of an already known Local pair
            group.members.append(chan)
            out.append(self._ami("Newchannel", ts, channel, chan))
            return
        if half is not None and half[1] == 1:
            group.members.insert(0, chan)  # ;1 gives the pair its id, whatever came first
        else:
            group.members.append(chan)
        if len(group.members) > 1:
            return  # the other half of a waiting pair waits with it
        linkedid = _text(channel.get("linkedid"))
        if linkedid:
            self._resolve(group, linkedid, out)
        elif half is None and _text(channel.get("state")) not in ("Down", ""):
            self._resolve(group, uid, out)
        else:
            self._pending[id(group)] = group
            while len(self._pending) > _PENDING_MEMORY:
                _, oldest = self._pending.popitem(last=False)
                self.forget([member.uid for member in oldest.members])

    # ------------------------------------------------------- device states

    def _on_device_state(self, event, ts, out):
        """``DeviceStateChanged`` is AMI's ``DeviceStateChange`` (one stasis message)."""
        device = _mapping(event["device_state"], "device_state")
        out.append({"Event": "DeviceStateChange", "Privilege": "call,all", "Device": _text(device.get("name")),
                    "State": _text(device.get("state"), "UNKNOWN"), **({"Timestamp": f"{ts:.6f}"} if ts else {})})

    def _on_endpoint_state(self, event, ts, out):
        """``EndpointStateChange``: an endpoint that went offline is an
        unavailable phone; one online and without channels a free one (with
        channels its device state says more, and comes on its own)."""
        endpoint = _mapping(event["endpoint"], "endpoint")
        state = _text(endpoint.get("state")).lower()
        if state == "offline":
            device_state = "UNAVAILABLE"
        elif state == "online" and not endpoint.get("channel_ids"):
            device_state = "NOT_INUSE"
        else:
            return
        name = f"{_text(endpoint.get('technology'))}/{_text(endpoint.get('resource'))}"
        out.append({"Event": "DeviceStateChange", "Privilege": "call,all", "Device": name, "State": device_state,
                    **({"Timestamp": f"{ts:.6f}"} if ts else {})})

    def _simple(self, name):
        def handler(event, ts, out):
            channel = event["channel"]
            chan = self._known(channel)
            if self._waiting(chan):
                self._hold(chan, event, ts, event["type"] in _ACTIVITY)
                return
            out.append(self._ami(name, ts, channel, chan))
        return handler

    def _on_state(self, event, ts, out):
        channel = event["channel"]
        chan = self._known(channel)
        if self._waiting(chan):
            if channel.get("state") == "Ring" and len(chan.group.members) == 1 and _local_half(chan.name) is None:
                self._resolve(chan.group, chan.uid, out)  # an incoming channel created Down (chan_sip)
            else:
                self._hold(chan, event, ts, True)
                return
        out.append(self._ami("Newstate", ts, channel, chan))

    def _on_dialplan(self, event, ts, out):
        channel = event["channel"]
        chan = self._known(channel)
        if self._waiting(chan):
            self._hold(chan, event, ts, True)
            return
        dialplan = _mapping(channel.get("dialplan"), "dialplan")
        out.append(self._ami("Newexten", ts, channel, chan, Extension=_text(dialplan.get("exten")),
                             Application=_text(event.get("dialplan_app")),
                             AppData=_text(event.get("dialplan_app_data"))))

    def _on_callerid(self, event, ts, out):
        channel = event["channel"]
        chan = self._ready(channel, event, ts)
        if chan is HELD:
            return
        pres = event.get("caller_presentation")
        extra = {}
        if pres is not None:
            extra["CID-CallingPres"] = f"{_text(pres)} ({_text(event.get('caller_presentation_txt'))})"
        out.append(self._ami("NewCallerid", ts, channel, chan, **extra))

    def _ready(self, channel, event, ts):
        """The channel's state (None for a channel already gone), or ``HELD``
        when ``event`` waits with the channel until the call it belongs to is
        known (it is then translated in order)."""
        chan = self._known(channel)
        if self._waiting(chan):
            self._hold(chan, event, ts, False)
            return HELD
        return chan

    def _on_varset(self, event, ts, out):
        channel = event.get("channel")
        extra = {"Variable": _text(event.get("variable")), "Value": _text(event.get("value"))}
        if channel is None:  # a global variable
            out.append(self._ami("VarSet", ts, **extra))
            return
        chan = self._ready(channel, event, ts)
        if chan is HELD:
            return
        out.append(self._ami("VarSet", ts, channel, chan, **extra))

    def _on_hangup_request(self, event, ts, out):
        channel = event["channel"]
        self._stasis_hangup_request(event)
        chan = self._ready(channel, event, ts)
        if chan is HELD:
            return
        extra = {}
        if event.get("cause") is not None:
            extra["Cause"] = _text(event.get("cause"))
        name = "SoftHangupRequest" if event.get("soft") else "HangupRequest"
        out.append(self._ami(name, ts, channel, chan, **extra))

    def _on_destroyed(self, event, ts, out):
        if self._stasis_destroyed(event, ts, out):
            return
        channel = event["channel"]
        chan = self._known(channel)
        if self._waiting(chan):
            group = chan.group
            if group.active:
                self._resolve(group, self._origin_id(group), out)
            else:  # never did anything: no call, forget it and what it held
                group.members.remove(chan)
                del self._chans[chan.uid]
                self._gone[chan.uid] = chan.uid
                self._trim_gone()
                if not group.members:
                    self._pending.pop(id(group), None)
                    group.queue.clear()
                return
        linkedid = self._linkedid(chan, channel)
        out.append(self._ami("Hangup", ts, channel, chan, Cause=_text(event.get("cause"), "0"),
                             **{"Cause-txt": _text(event.get("cause_txt"))}))
        if chan is not None:
            self._drop_channel(chan, linkedid)

    def _drop_channel(self, chan, linkedid):
        """``chan`` has ended: remembered only for the linked id of late events."""
        self._chans.pop(chan.uid, None)
        self._bridge_of.pop(chan.uid, None)
        group = chan.group
        if chan in group.members:
            group.members.remove(chan)
        half = _local_half(chan.name)
        if half and not group.members and self._locals.get(half[0]) is group:
            del self._locals[half[0]]
        self._gone[chan.uid] = linkedid
        self._trim_gone()

    def _trim_gone(self):
        while len(self._gone) > _GONE_MEMORY:
            self._gone.popitem(last=False)

    def _on_dial(self, event, ts, out):
        if not self._stasis_dial(event, ts, out):
            self._on_dial_plain(event, ts, out)

    def _on_dial_plain(self, event, ts, out):
        peer_json = event["peer"]
        peer = self._known(peer_json)
        caller_json = event.get("caller")
        caller = self._known(caller_json) if caller_json is not None else None
        forwarded_json = event.get("forwarded")
        forwarded = self._known(forwarded_json) if forwarded_json is not None else None
        if self._waiting(caller):
            self._hold(caller, event, ts, True)  # its linked id decides the peer's
            return
        for dialled in (peer, forwarded):
            if self._waiting(dialled):
                origin = self._linkedid(caller, caller_json) if caller_json is not None else dialled.uid
                self._resolve(dialled.group, origin, out)
        status = _text(event.get("dialstatus")).upper()
        extra = {}
        if caller_json is not None:
            extra.update(channel_headers(caller_json, self._linkedid(caller, caller_json)))
        extra.update(channel_headers(peer_json, self._linkedid(peer, peer_json), "Dest"))
        if not status:
            extra["DialString"] = _text(event.get("dialstring")) or "unknown"
            out.append(self._ami("DialBegin", ts, **extra))
            return
        forward = _text(event.get("forward"))
        if forward:
            extra["Forward"] = forward
        extra["DialStatus"] = status
        out.append(self._ami("DialState" if status in _DIAL_PROGRESS else "DialEnd", ts, **extra))

    def _on_bridge(self, name):
        def handler(event, ts, out):
            out.append(self._ami(name, ts, **bridge_headers(event["bridge"])))
            if name == "BridgeCreate":
                self._remember_bridge(event["bridge"], event)
            else:
                self._stasis_bridge_destroyed(event)
        return handler

    def _on_bridge_channel(self, name):
        def handler(event, ts, out):
            channel = event.get("channel")
            if channel is None:  # optional in the model; nothing to say about whom
                out.append(self._ami(name, ts, **bridge_headers(event["bridge"])))
                return
            chan = self._known(channel)
            if self._waiting(chan):
                self._hold(chan, event, ts, True)
                return
            headers = bridge_headers(event["bridge"])
            if chan is not None:
                if name == "BridgeEnter":
                    self._bridge_of[chan.uid] = headers["BridgeUniqueid"]
                elif self._bridge_of.get(chan.uid) == headers["BridgeUniqueid"]:
                    del self._bridge_of[chan.uid]
            entered = self._ami(name, ts, channel, chan, **headers)
            if chan is None:
                out.append(entered)
            elif name == "BridgeEnter":
                self._stasis_entered(event, ts, channel, entered, out)
            else:
                out.append(entered)
                self._stasis_left(event, ts, channel, out)
        return handler

    def _held_for(self, event, ts, channels):
        """Hold ``event`` on the first of ``channels`` still waiting; True if held."""
        for channel in channels:
            if channel is None:
                continue
            chan = self._known(channel)
            if self._waiting(chan):
                self._hold(chan, event, ts, True)
                return True
        return False

    def _party(self, channel, prefix):
        if channel is None:
            return {}
        return channel_headers(channel, self._linkedid(self._chans.get(channel_id(channel)), channel), prefix)

    def _on_blind(self, event, ts, out):
        transferer = event["channel"]
        transferee = event.get("transferee")
        if self._held_for(event, ts, (transferer, transferee)):
            return
        extra = {"Result": _text(event.get("result"))}
        extra.update(self._party(transferer, "Transferer"))
        extra.update(self._party(transferee, "Transferee"))
        if event.get("bridge") is not None:
            extra.update(bridge_headers(event["bridge"]))
        extra["IsExternal"] = "Yes" if event.get("is_external") else "No"
        extra["Context"] = _text(event.get("context"))
        extra["Extension"] = _text(event.get("exten"))
        out.append(self._ami("BlindTransfer", ts, **extra))

    def _on_attended(self, event, ts, out):
        first = event["transferer_first_leg"]
        second = event["transferer_second_leg"]
        transferee = event.get("transferee")
        target = event.get("transfer_target")
        if self._held_for(event, ts, (first, second, transferee, target)):
            return
        extra = {"Result": _text(event.get("result"))}
        extra.update(self._party(first, "OrigTransferer"))
        if event.get("transferer_first_leg_bridge") is not None:
            extra.update(bridge_headers(event["transferer_first_leg_bridge"], "Orig"))
        extra.update(self._party(second, "SecondTransferer"))
        if event.get("transferer_second_leg_bridge") is not None:
            extra.update(bridge_headers(event["transferer_second_leg_bridge"], "Second"))
        extra.update(self._party(transferee, "Transferee"))
        extra.update(self._party(target, "TransferTarget"))
        dest = _text(event.get("destination_type"))
        extra["DestType"] = _DEST_TYPES.get(dest, dest)
        if event.get("destination_bridge"):
            extra["DestBridgeUniqueid"] = _text(event.get("destination_bridge"))
        if event.get("destination_application"):
            extra["DestApp"] = _text(event.get("destination_application"))
        for key, prefix in (("destination_link_first_leg", "LocalOne"), ("destination_link_second_leg", "LocalTwo"),
                            ("destination_threeway_channel", "Transferee")):
            if event.get(key) is not None and prefix + "Uniqueid" not in extra:
                extra.update(self._party(event[key], prefix))
        extra["IsExternal"] = "Yes" if event.get("is_external") else "No"
        out.append(self._ami("AttendedTransfer", ts, **extra))

    def _on_hold(self, event, ts, out):
        channel = event["channel"]
        chan = self._ready(channel, event, ts)
        if chan is HELD:
            return
        extra = {}
        if event.get("musicclass"):
            extra["MusicClass"] = _text(event.get("musicclass"))
        out.append(self._ami("Hold", ts, channel, chan, **extra))

    def _on_userevent(self, event, ts, out):
        extra = {"UserEvent": _text(event.get("eventname"))}
        for key, value in _mapping(event.get("userevent"), "userevent").items():
            if isinstance(value, (str, int, float, bool)):
                extra.setdefault(str(key), _text(value))
        channel = event.get("channel")
        if channel is None:
            out.append(self._ami("UserEvent", ts, **extra))
            return
        chan = self._ready(channel, event, ts)
        if chan is HELD:
            return
        out.append(self._ami("UserEvent", ts, channel, chan, **extra))

    def _on_dtmf(self, event, ts, out):
        channel = event["channel"]
        chan = self._ready(channel, event, ts)
        if chan is HELD:
            return
        out.append(self._ami("DTMFEnd", ts, channel, chan, Digit=_text(event.get("digit")),
                             DurationMs=_text(event.get("duration_ms")), Direction="Received"))


def read_ari_file(path):
    """The events of a recorded ARI stream: one JSON event per line; blank
    lines and lines starting with ``#`` (comments) are skipped. Lines that
    are not JSON are returned as text, for the translator to report."""
    events = []
    with open(path, encoding="utf-8", errors="replace") as stream:
        for line in stream:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                events.append(json.loads(line))
            except ValueError:
                events.append(line)
    return events


def translate_events(events, translator=None):
    """AMI-shaped events of a whole ARI stream (a list of events or frames)."""
    translator = translator or AriTranslator()
    out = []
    for event in events:
        out.extend(translator.feed(event))
    out.extend(translator.flush())
    return out
