"""Turn a stream of Asterisk AMI events into live call updates and call records.

Pure Python: no ``odoo`` import, no I/O, no clock except as a last resort
(when an event has no ``Timestamp`` header and no ``received_at`` is given).

API
---
``tracker = CallTracker(plan, endpoints=None)``
    ``plan`` is a :class:`~.number_plan.NumberPlan` (extension patterns, trunk
    endpoint names, country). ``endpoints`` optionally maps phone endpoint names
    (``"150010002"``, ``"PJSIP/alice"``) to their extension; the tracker also
    learns it from phones that place calls with an extension as caller id.

``tracker.feed(event, received_at=None) -> list[Emitted]``
    ``event`` is one AMI event as a dict (see :mod:`..ami.frames`). Each
    :class:`Emitted` is ``(kind, data)``:

    - ``kind == "live"``: ``data`` = ``{"call_id", "state" ('waiting' (in a
      queue, no agent ringing) | 'ringing' | 'talking'), "start", "direction",
      "caller", "caller_name", "callee", "ringing" (extensions/numbers
      ringing now), "answered_by", "queue" and "waiting_since" (the queue the
      caller waits in now and since when)}``, emitted only when one changed;
    - ``kind == "record"``: ``data`` = the finished call, a dict with exactly
      the keys of :data:`RECORD_KEYS` (``start``/``answer``/``end`` ISO 8601 in
      UTC, ``ring_seconds``/``talk_seconds`` floats or ``None`` when the times
      are not real, i.e. neither ``Timestamp`` headers nor ``received_at``;
      the queue facts ``queue``, ``queue_outcome``, ``wait_seconds`` and
      ``queues`` of :meth:`.queues.QueueTracker.facts`).

``tracker.open_calls() -> list[dict]``
    A live snapshot (same keys as a live update) of each call in progress.

``tracker.close_all(at=None) -> list[dict]``
    Finish every open call at ``at`` (PBX link lost) and forget everything.

How calls are followed
----------------------
A call is what Asterisk links with one ``Linkedid``: every channel belongs to
the call of the ``Linkedid`` it was *created* with (Asterisk 13 changes the
``Linkedid`` of bridged channels after an attended transfer, that is
ignored). A call ends when all its channels have hung up. Its parties:

- the *origin* (first channel): the caller, unless the call was originated
  (click-to-call: origin is a ``Local`` channel, or a ``DialBegin`` without a
  ``Channel``, or an ``OriginateResponse``), where the first phone dialled is
  the caller and the next party dialled the callee;
- *legs*: every real (not ``Local``) channel dialled (``DialBegin``,
  ``AgentCalled``), whatever Local-channel chains, ring groups, queues or
  Local optimisations lie between. A leg answering (``DialEnd`` ANSWER,
  ``AgentConnect``, a bridge as fallback) answers the call; the first one is
  ``answered_by``. Legs of a ring group or queue that did not answer are in
  ``rang`` only, never calls of their own.
- Pickups: a ``Pickup`` event or a ``DialBegin`` towards a channel that is the
  origin of another call that dialled nobody (SIP ``Replaces``) merges that
  channel into the picked-up call, answered by it.
- Transfers (``BlindTransfer``, ``AttendedTransfer``) are listed on the call of
  the transferee; an attended transfer's consultation stays a call of its own.

Direction: inbound when the origin is a trunk endpoint; outbound when a
trunk was dialled; else internal (with no trunk configured, numbers decide).
Duplicated events are harmless, unknown events ignored, channels of finished
calls forgotten (a bounded memory of finished ids ignores late duplicates).
"""

import time
from collections import deque
from datetime import datetime, timezone
from typing import NamedTuple

from .queues import EVENTS as QUEUE_EVENTS
from .queues import QueueTracker

RECORD_KEYS = (
    "call_id", "direction", "disposition", "caller", "caller_name", "callee",
    "answered_by", "rang", "transfers", "start", "answer", "end",
    "ring_seconds", "talk_seconds", "queue", "queue_outcome", "wait_seconds", "queues", "adopted",
)

_UNKNOWN = frozenset({"", "<unknown>", "unknown", "<Unknown>", "s"})
_NUMBER_CHARS = frozenset("0123456789+*#")
_DIAL_DISPOSITION = {
    "ANSWER": "answered",
    "BUSY": "busy",
    "NOANSWER": "no_answer",
    "CANCEL": "cancelled",
    "CONGESTION": "failed",
    "CHANUNAVAIL": "failed",
}
# Which unanswered outcome wins when several legs ended differently.
_PRIORITY = {"cancelled": 4, "no_answer": 3, "busy": 2, "failed": 1}
_CAUSE_DISPOSITION = {
    "17": "busy", "18": "no_answer", "19": "no_answer", "21": "no_answer",
    "1": "failed", "3": "failed", "20": "failed", "27": "failed", "28": "failed",
    "34": "failed", "38": "failed", "41": "failed", "42": "failed", "58": "failed",
}
_FAILED_RESULTS = frozenset({"Fail", "Invalid", "Not Permitted"})
_DEAD_MEMORY = 20000
_CACHE_SIZE = 20000


class Emitted(NamedTuple):
    kind: str  # "live" or "record"
    data: dict


def _present(value):
    return value if value and value not in _UNKNOWN else None


def _looks_like_number(value):
    return bool(value) and len(value) >= 2 and all(c in _NUMBER_CHARS for c in value)


def _iso(ts):
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, timezone.utc).isoformat()


def _epoch(moment):
    if moment.tzinfo is None:  # Odoo style: naive datetimes are UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _age(channel):
    """Seconds since a listed channel (``CoreShowChannel``) was created: its
    ``Duration`` (``HH:MM:SS``), 0 when it says nothing readable."""
    try:
        hours, minutes, seconds = (int(part) for part in str(channel.get("Duration") or "").split(":"))
    except ValueError:
        return 0
    return max(0, hours * 3600 + minutes * 60 + seconds)


class _Channel:
    __slots__ = ("uid", "name", "call", "is_local", "endpoint", "is_trunk", "cid_num",
                 "cid_name", "exten", "hungup", "cause", "created", "link")

    def __init__(self, uid, name, tracker, created):
        self.uid = uid
        self.name = name or ""
        tech, _, rest = self.name.partition("/")
        self.is_local = tech == "Local"
        head, dash, tail = rest.rpartition("-")
        self.endpoint = head if dash and head else rest
        self.is_trunk = (not self.is_local) and tracker._is_trunk(self.endpoint)
        self.call = None
        self.cid_num = None
        self.cid_name = None
        self.exten = None
        self.hungup = False
        self.cause = None
        self.created = created
        self.link = tracker._link  # the PBX link it was first seen on (see CallTracker.link_lost)


class _Leg:
    __slots__ = ("chan", "hint", "began", "status", "answered", "absorbed", "picked_up")

    def __init__(self, chan, hint, began):
        self.chan = chan
        self.hint = hint  # number dialled (for trunk legs)
        self.began = began
        self.status = None  # DialStatus once the dial ended
        self.answered = None  # time answered
        self.absorbed = False  # a picker merged in, did not ring
        self.picked_up = False  # this phone rang but someone else picked up

    @property
    def ringing(self):
        return self.status is None and self.answered is None and not self.chan.hungup


class _Call:
    __slots__ = ("call_id", "ids", "origin", "channels", "live", "legs", "originated",
                 "a_leg", "answered_leg", "answer_ts", "start", "end", "top_status",
                 "abandoned", "transfers", "transfer_keys", "callee_raw", "real_time",
                 "last_live", "adopted")

    def __init__(self, call_id, start, real_time):
        self.call_id = call_id
        self.ids = {call_id}
        self.origin = None
        self.channels = {}
        self.live = 0
        self.legs = {}  # uid -> _Leg, in dial order
        self.originated = False
        self.a_leg = None
        self.answered_leg = None
        self.answer_ts = None
        self.start = start
        self.end = None
        self.top_status = []
        self.abandoned = False
        self.transfers = []
        self.transfer_keys = set()
        self.callee_raw = None
        self.real_time = real_time
        self.last_live = None
        self.adopted = False  # taken up in progress after a restart: the bridge knows its start


class CallTracker:
    """Pure AMI call tracker; see the module docstring for the API."""

    def __init__(self, plan, endpoints=None):
        self.plan = plan
        self._configured = dict(endpoints or {})
        self._learned = {}
        self._channels = {}  # uid -> _Channel (live calls only)
        self._link = 0  # links lost so far: a channel first seen since the last loss is followed event by event
        self._calls = {}  # linkedid (and aliases) -> _Call
        self._dead = set()
        self._dead_order = deque()
        self._fmt_cache = {}
        self._trunk_cache = {}
        self.queues = QueueTracker(self._agent_name)
        self._handlers = {
            "Newchannel": self._on_newchannel,
            "Newstate": self._on_touch,
            "NewCallerid": self._on_touch,
            "Newexten": self._on_newexten,
            "DialBegin": self._on_dialbegin,
            "DialEnd": self._on_dialend,
            "Hangup": self._on_hangup,
            "BridgeEnter": self._on_bridgeenter,
            "AgentCalled": self._on_agentcalled,
            "AgentConnect": self._on_agentconnect,
            "QueueCallerAbandon": self._on_abandon,
            "QueueCallerJoin": self._on_queue_event,
            "QueueCallerLeave": self._on_queue_event,
            "AgentRingNoAnswer": self._on_queue_event,
            "AgentComplete": self._on_queue_event,
            "VarSet": self._on_queue_event,
            "BlindTransfer": self._on_blind,
            "AttendedTransfer": self._on_attended,
            "Pickup": self._on_pickup,
            "OriginateResponse": self._on_originate_response,
        }

    # ------------------------------------------------------------------ API

    def feed(self, event, received_at=None):
        """Process one AMI event (dict); return the list of :class:`Emitted`."""
        if not isinstance(event, dict):
            return []
        handler = self._handlers.get(event.get("Event"))
        if handler is None:
            return []
        stamp = event.get("Timestamp")
        real = True
        ts = None
        if stamp:
            try:
                ts = float(stamp)
            except (TypeError, ValueError):
                ts = None
        if ts is None:
            if received_at is not None:
                ts = _epoch(received_at)
            else:
                ts = time.time()
                real = False
        out = []
        touched = handler(event, ts, real)
        if event["Event"] in QUEUE_EVENTS:
            # Only callers the tracker follows: an agent's AgentComplete comes
            # after the call ended, and a caller first seen in a queue event
            # was made a channel by its handler.
            chan = self._channels.get(event.get("Uniqueid"))
            if chan is not None and self.queues.feed(event, ts, chan.call.adopted or chan.link != self._link) \
                    and touched is None:
                touched = chan.call
        if touched is not None:
            self._after(touched, ts, out)
        return out

    def open_calls(self):
        seen = set()
        result = []
        for call in self._calls.values():
            if id(call) in seen:
                continue
            seen.add(id(call))
            result.append(self._snapshot(call, force=True))
        return result

    def close_all(self, at=None):
        """Finish every open call (PBX link lost); return their records."""
        ts = _epoch(at) if at is not None else time.time()
        real = at is not None
        records = []
        seen = set()
        for call in list(self._calls.values()):
            if id(call) in seen:
                continue
            seen.add(id(call))
            if call.end is None:
                call.end = ts
            call.real_time = call.real_time and real
            records.append(self._record(call, forced=True))
        self._calls.clear()
        self._channels.clear()
        self.queues.clear()
        return records

    def link_lost(self):
        """The PBX link went down: the channels known now may hang up or be
        answered unseen, until :meth:`reconcile` checks them against the
        PBX's list. Channels first seen after this are followed by the new
        link's events, which may come before the list that is older than
        them: a channel the list misses is then newer, not gone."""
        self._link += 1

    @property
    def link(self):
        """The current link's number: what a resync's channel list is read on
        (see :meth:`reconcile`)."""
        return self._link

    def reconcile(self, channels, lost_at=None, now=None, link=None):
        """After a reconnect, with ``channels`` the PBX's live channels
        (``CoreShowChannel`` dicts): every channel known when the link was
        lost (:meth:`link_lost`) that the PBX no longer lists hung up while
        the link was down (at ``lost_at``, the best the bridge knows), so a
        call whose every channel is gone ends and one that lost a leg (a
        transferer, a queue leg) goes on without it; channels the tracker
        never saw (a restarted bridge, a standby taking over) are taken up as
        calls in progress, marked ``adopted`` so the bridge keeps what it
        already knows of them, and so are calls first seen by the new link's
        events whose channels the PBX says are older. ``link``: the
        :attr:`link` the list was read on, when that link was lost before
        the list could be used (a channel it shows then counts as seen on
        that link, so the next reconcile finds it gone). Returns the emitted
        updates and records."""
        link = self._link if link is None else link
        lost = _epoch(lost_at) if lost_at is not None else time.time()
        ts = _epoch(now) if now is not None else time.time()
        listed = {channel.get("Uniqueid"): channel for channel in channels if channel.get("Uniqueid")}
        out = []
        for call in {id(c): c for c in self._calls.values()}.values():
            gone = [chan for chan in call.channels.values()
                    if not chan.hungup and chan.uid not in listed and chan.link < link]
            for chan in gone:
                chan.hungup = True
                call.live -= 1
                call.end = lost
                call.real_time = call.real_time and lost_at is not None
            answered = call.answered_leg is None and self._answered_unseen(call, listed, lost, link)
            if gone or answered:
                self._after(call, lost, out)
        # a call taken up begins when its oldest channel was created, as the PBX's list says
        taken_up = {}
        for uid, channel in sorted(listed.items(), key=lambda item: -_age(item[1])):
            known = self._channels.get(uid)
            if known is not None and known.link == link and ts - _age(channel) < known.call.start - 1:
                # its first events came before the list: it began before this link
                known.call.adopted = True
                known.call.start = ts - _age(channel)
            if known is not None or uid in self._dead:
                continue
            chan = self._channel(uid, channel.get("Channel"), channel.get("Linkedid"), ts - _age(channel), False)
            chan.link = link
            self._update_ids(chan, channel)
            chan.call.adopted = True
            taken_up[id(chan.call)] = chan.call
            state = str(channel.get("ChannelState"))
            if state in ("5", "6") and chan is not chan.call.origin:
                # a party dialled: ringing (its answer is still to come) or up
                leg = self._add_leg(chan.call, chan, None, ts)
                if state == "6":
                    self._answer(chan.call, leg, ts)
        # told at once, not at its next event: the history then knows every call a bridge took up,
        # and a bridge that stops before the call ends leaves it open there for the next to close
        for call in taken_up.values():
            snap = self._snapshot(call)
            if snap is not None:
                out.append(Emitted("live", snap))
        return out

    def _answered_unseen(self, call, listed, lost, link):
        """A party dialled that the PBX lists as up answered the call while
        the link was down: the call is answered, at a time the bridge takes
        from the PBX's records (``adopted``, as a call taken up is)."""
        for uid, leg in call.legs.items():
            channel = listed.get(uid)
            if channel is not None and str(channel.get("ChannelState")) == "6" and not leg.chan.hungup \
                    and leg.chan.link < link and leg.chan is not call.origin and leg is not call.a_leg:
                self._answer(call, leg, lost)
                if call.answered_leg is leg:
                    call.adopted = True
                    return True
        return False

    def close_calls(self, call_ids, at=None):
        """Finish the open calls among ``call_ids`` (gone from the PBX while the
        link was down, as a resync finds out); return their records."""
        ts = _epoch(at) if at is not None else time.time()
        wanted = set(call_ids)
        out = []
        for call in {id(c): c for c in self._calls.values() if c.call_id in wanted}.values():
            if call.end is None:
                call.end = ts
            call.real_time = call.real_time and at is not None
            self._finish(call, out)
        return [item.data for item in out]

    # ------------------------------------------------------------- helpers

    def _is_trunk(self, endpoint):
        known = self._trunk_cache.get(endpoint)
        if known is None:
            known = self.plan.is_trunk(endpoint)
            if len(self._trunk_cache) > _CACHE_SIZE:
                self._trunk_cache.clear()
            self._trunk_cache[endpoint] = known
        return known

    def _fmt(self, number):
        """An extension as it is, an external number in E.164, else raw."""
        number = _present(number)
        if number is None:
            return None
        cached = self._fmt_cache.get(number)
        if cached is None:
            if self.plan.is_extension(number):
                cached = number
            else:
                cached = self.plan.normalise(number) or number
            if len(self._fmt_cache) > _CACHE_SIZE:
                self._fmt_cache.clear()
            self._fmt_cache[number] = cached
        return cached

    def _phone(self, chan):
        """The extension (or failing that the endpoint name) of a phone channel."""
        ep = chan.endpoint
        known = self._configured.get(ep) or self._configured.get(chan.name.rpartition("-")[0])
        if known:
            return known
        known = self._learned.get(ep)
        if known:
            return known
        if self.plan.is_extension(ep):
            return ep
        cid = _present(chan.cid_num)
        if cid and self.plan.is_extension(cid) and chan.call is not None and chan.call.origin is chan:
            return cid
        return ep or None

    def _leg_number(self, leg):
        chan = leg.chan
        if chan.is_trunk:
            return self._fmt(leg.hint) or self._fmt(chan.cid_num)
        if leg.hint and ("." in chan.endpoint or ":" in chan.endpoint):
            # a SIP peer addressed by host name: the number dialled says more
            if not (self._configured.get(chan.endpoint) or self._learned.get(chan.endpoint)):
                return self._fmt(leg.hint)
        return self._phone(chan)

    def _remember_dead(self, key):
        if key in self._dead:
            return
        self._dead.add(key)
        self._dead_order.append(key)
        if len(self._dead_order) > _DEAD_MEMORY:
            self._dead.discard(self._dead_order.popleft())

    def _update_ids(self, chan, event):
        num = event.get("CallerIDNum")
        if num and num not in _UNKNOWN:
            chan.cid_num = num
            call = chan.call
            if (call is not None and call.origin is chan and not chan.is_trunk
                    and not chan.is_local and chan.endpoint not in self._configured
                    and self.plan.is_extension(num)):
                if len(self._learned) > _CACHE_SIZE:
                    self._learned.clear()
                self._learned[chan.endpoint] = num
        name = event.get("CallerIDName")
        if name and name not in _UNKNOWN:
            chan.cid_name = name

    def _channel(self, uid, name, linkedid, ts, real, create=True):
        """The channel ``uid``, created (with its call) when unknown."""
        if not uid:
            return None
        chan = self._channels.get(uid)
        if chan is not None or not create or uid in self._dead:
            return chan
        chan = _Channel(uid, name, self, ts)
        self._channels[uid] = chan
        linkedid = linkedid or uid
        call = self._calls.get(linkedid)
        if call is None:
            call_id = linkedid if linkedid not in self._dead else uid
            call = self._calls.get(call_id)
            if call is None:
                call = _Call(call_id, ts, real)
                self._calls[call_id] = call
        self._attach(call, chan)
        if call.origin is None:
            call.origin = chan
            if chan.is_local:
                call.originated = True
        return chan

    @staticmethod
    def _attach(call, chan):
        chan.call = call
        call.channels[chan.uid] = chan
        if not chan.hungup:
            call.live += 1

    def _event_channel(self, event, ts, real, create=True):
        return self._channel(event.get("Uniqueid"), event.get("Channel"),
                             event.get("Linkedid"), ts, real, create)

    def _dest_channel(self, event, ts, real, prefix="Dest"):
        return self._channel(event.get(prefix + "Uniqueid"), event.get(prefix + "Channel"),
                             event.get(prefix + "Linkedid"), ts, real)

    def _merge(self, into, other, chan):
        """Move ``chan`` (origin of ``other``, which dialled nobody) into call
        ``into``: a pickup, not a call of its own."""
        other.channels.pop(chan.uid, None)
        if not chan.hungup:
            other.live -= 1
        self._attach(into, chan)
        if not other.legs and other.live <= 0:
            for key in other.ids:
                if self._calls.get(key) is other:
                    self._calls[key] = into
                into.ids.add(key)
            for rest in other.channels.values():
                self._attach(into, rest)
            other.channels.clear()

    def _add_leg(self, call, chan, hint, ts):
        leg = call.legs.get(chan.uid)
        if leg is None:
            leg = _Leg(chan, hint, ts)
            call.legs[chan.uid] = leg
            if call.originated and call.a_leg is None:
                call.a_leg = leg
        elif hint and not leg.hint:
            leg.hint = hint
        return leg

    def _answer(self, call, leg, ts):
        if leg.answered is None:
            leg.answered = ts
        if leg is call.a_leg or leg.picked_up:
            return
        if call.answered_leg is None:
            call.answered_leg = leg
            call.answer_ts = ts

    @staticmethod
    def _trunk_hint(event):
        exten = event.get("DestExten")
        if _looks_like_number(exten):
            return exten
        dial = event.get("DialString") or ""
        for part in dial.replace("@", "/").split("/"):
            if _looks_like_number(part):
                return part
        num = event.get("DestCallerIDNum") or event.get("DestConnectedLineNum")
        return num if _looks_like_number(num) else None

    # ------------------------------------------------------------- handlers
    # Each returns the call touched (for live updates) or None.

    def _on_newchannel(self, event, ts, real):
        chan = self._event_channel(event, ts, real)
        if chan is None:
            return None
        if chan.exten is None:
            chan.exten = event.get("Exten") or ""
        self._update_ids(chan, event)
        call = chan.call
        if call.origin is chan and call.callee_raw is None and _looks_like_number(chan.exten):
            call.callee_raw = chan.exten
        return call

    def _on_touch(self, event, ts, real):
        chan = self._event_channel(event, ts, real, create=event.get("Event") == "Newstate")
        if chan is None:
            return None
        self._update_ids(chan, event)
        return chan.call

    def _on_newexten(self, event, ts, real):
        chan = self._channels.get(event.get("Uniqueid"))
        if chan is None:
            return None
        call = chan.call
        if call.origin is chan and call.callee_raw is None:
            exten = event.get("Exten")
            if _looks_like_number(exten):
                call.callee_raw = exten
        return None

    def _on_dialbegin(self, event, ts, real):
        src = self._event_channel(event, ts, real) if event.get("Uniqueid") else None
        dest = self._dest_channel(event, ts, real)
        if dest is None:
            return None
        if src is not None:
            self._update_ids(src, event)
            call = src.call
            if dest.call is not call:
                other = dest.call
                if other.origin is dest and not other.legs:
                    self._merge(call, other, dest)
                    leg = self._add_leg(call, dest, None, ts)
                    leg.absorbed = True
                    return call
        else:
            call = dest.call
            call.originated = True
        if dest.is_local:
            return None
        self._add_leg(call, dest, self._trunk_hint(event), ts)
        return call

    def _on_dialend(self, event, ts, real):
        status = (event.get("DialStatus") or "").upper()
        src_uid = event.get("Uniqueid")
        dest = self._channels.get(event.get("DestUniqueid"))
        src = self._channels.get(src_uid) if src_uid else None
        call = (src or dest).call if (src or dest) else None
        if call is None:
            return None
        if src is None or src is call.origin:
            call.top_status.append(status)
        if dest is None or dest.is_local:
            return None
        leg = call.legs.get(dest.uid)
        if leg is None:
            return None
        if status == "ANSWER":
            self._answer(call, leg, ts)
        elif leg.status is None:
            leg.status = status
        return call

    def _on_hangup(self, event, ts, real):
        uid = event.get("Uniqueid")
        chan = self._channels.get(uid)
        if chan is None or chan.hungup:
            return None
        chan.hungup = True
        chan.cause = event.get("Cause")
        call = chan.call
        call.live -= 1
        call.end = ts
        return call

    def _on_bridgeenter(self, event, ts, real):
        chan = self._channels.get(event.get("Uniqueid"))
        if chan is None:
            return None
        call = chan.call
        leg = call.legs.get(chan.uid)
        if leg is None or leg.answered is not None or leg.status is not None or leg.picked_up:
            return None
        self._answer(call, leg, ts)
        return call

    def _on_agentcalled(self, event, ts, real):
        dest = self._dest_channel(event, ts, real)
        if dest is None or dest.is_local:
            return None
        src = self._channels.get(event.get("Uniqueid"))
        call = src.call if src is not None else dest.call
        if dest.call is not call:
            return None
        self._add_leg(call, dest, None, ts)
        return call

    def _on_queue_event(self, event, ts, real):
        """Queue events the call tracker only needs the caller's channel of
        (a caller first seen joining a queue is followed from there on)."""
        if event["Event"] in ("QueueCallerJoin", "QueueCallerLeave"):
            self._event_channel(event, ts, real)
        return None

    def _agent_name(self, dest_uid, interface):
        """The extension of a queue member: its phone's channel, else its
        interface (``PJSIP/201``, ``Local/201@from-queue/n``)."""
        chan = self._channels.get(dest_uid) if dest_uid else None
        if chan is not None and not chan.is_local:
            return self._phone(chan)
        interface = interface or ""
        tech, _, rest = interface.partition("/")
        name = rest.split("@", 1)[0] if tech == "Local" else rest
        return (self._configured.get(interface) or self._configured.get(name) or self._learned.get(name)
                or (name if name and self.plan.is_extension(name) else None) or interface or None)

    def _on_agentconnect(self, event, ts, real):
        dest = self._channels.get(event.get("DestUniqueid"))
        if dest is None:
            return None
        call = dest.call
        leg = call.legs.get(dest.uid)
        if leg is None:
            return None
        self._answer(call, leg, ts)
        return call

    def _on_abandon(self, event, ts, real):
        chan = self._event_channel(event, ts, real)
        if chan is not None:
            chan.call.abandoned = True
        return None

    def _add_transfer(self, call, key, kind, by, to):
        if key in call.transfer_keys:
            return
        call.transfer_keys.add(key)
        call.transfers.append({"kind": kind, "by": by, "to": to})

    def _party(self, chan, fallback=None):
        if chan is None:
            return self._fmt(fallback)
        if chan.is_trunk:
            return self._fmt(chan.cid_num) or self._fmt(fallback)
        return self._phone(chan)

    def _on_blind(self, event, ts, real):
        if event.get("Result") in _FAILED_RESULTS:
            return None
        transferee = self._channels.get(event.get("TransfereeUniqueid"))
        transferer = self._channels.get(event.get("TransfererUniqueid"))
        holder = transferee or transferer
        if holder is None:
            return None
        key = ("blind", event.get("TransfererUniqueid"), event.get("TransfereeUniqueid"),
               event.get("Extension"), event.get("BridgeUniqueid"))
        self._add_transfer(holder.call, key, "blind",
                           self._party(transferer, event.get("TransfererCallerIDNum")),
                           self._fmt(event.get("Extension")))
        return holder.call  # the agents' cards hear of it while the call goes on

    def _on_attended(self, event, ts, real):
        if event.get("Result") in _FAILED_RESULTS:
            return None
        chans = self._channels
        orig = chans.get(event.get("OrigTransfererUniqueid"))
        second = chans.get(event.get("SecondTransfererUniqueid"))
        transferee = chans.get(event.get("TransfereeUniqueid"))
        target = chans.get(event.get("TransferTargetUniqueid"))
        holder = transferee or orig
        if holder is None:
            return None
        to = None
        if target is not None:
            to = self._party(target)
        elif event.get("TransferTargetCallerIDNum"):
            to = self._fmt(event.get("TransferTargetCallerIDNum"))
        elif second is not None:
            consult = second.call
            if consult.origin is second:
                leg = consult.answered_leg or next(iter(consult.legs.values()), None)
                to = self._leg_number(leg) if leg else self._fmt(consult.callee_raw)
            else:
                to = self._party(consult.origin)
        key = ("attended", event.get("OrigTransfererUniqueid"),
               event.get("SecondTransfererUniqueid"))
        self._add_transfer(holder.call, key, "attended",
                           self._party(orig, event.get("OrigTransfererCallerIDNum")), to)
        return holder.call

    def _on_pickup(self, event, ts, real):
        picker = self._event_channel(event, ts, real)
        target = self._channels.get(event.get("TargetUniqueid"))
        if picker is None or target is None:
            return None
        call = target.call
        if picker.call is not call:
            self._merge(call, picker.call, picker)
        target_leg = call.legs.get(target.uid)
        if target_leg is not None:
            target_leg.picked_up = True
            if target_leg.status is None:
                target_leg.status = "PICKUP"
        leg = self._add_leg(call, picker, None, ts)
        leg.absorbed = True
        if call.answered_leg is target_leg and target_leg is not None:
            call.answered_leg = None
        self._answer(call, leg, ts)
        return call

    def _on_originate_response(self, event, ts, real):
        chan = self._channels.get(event.get("Uniqueid"))
        if chan is not None and chan.call.origin is chan and not chan.call.legs:
            chan.call.originated = True
        return None

    # ------------------------------------------------------------ outputs

    def _after(self, call, ts, out):
        if call.live <= 0 and call.channels:
            self._finish(call, out)
            return
        snap = self._snapshot(call)
        if snap is not None:
            out.append(Emitted("live", snap))

    def _finish(self, call, out):
        for key in call.ids:
            if self._calls.get(key) is call:
                del self._calls[key]
            self._remember_dead(key)
        for uid in call.channels:
            self._channels.pop(uid, None)
            self._remember_dead(uid)
        out.append(Emitted("record", self._record(call)))
        self.queues.forget(call.channels)
        call.channels = {}

    def _parties(self, call):
        """(caller, caller_name, callee, callee_leg) of a call as it stands."""
        origin = call.origin
        if call.originated:
            a = call.a_leg
            if a is not None:
                caller = self._leg_number(a)
                caller_name = a.chan.cid_name if a.chan.is_trunk else None
            else:
                caller = self._fmt(origin.cid_num) if origin else None
                caller_name = None
            callee_leg = None
            for leg in call.legs.values():
                if leg is not a and not leg.absorbed:
                    callee_leg = leg
                    break
            if callee_leg is not None:
                callee = self._leg_number(callee_leg)
            else:
                callee = self._fmt(call.callee_raw)
            return caller, caller_name, callee
        if origin is None:
            return None, None, self._fmt(call.callee_raw)
        if origin.is_trunk or origin.is_local:
            caller = self._fmt(origin.cid_num)
        else:
            caller = self._phone(origin)
        callee = self._fmt(call.callee_raw)
        if callee is None:
            for leg in call.legs.values():
                if not leg.absorbed:
                    callee = self._leg_number(leg)
                    break
        return caller, origin.cid_name, callee

    def _direction(self, call, caller, callee):
        origin = call.origin
        if origin is not None and origin.is_trunk and not call.originated:
            return "inbound"
        if any(leg.chan.is_trunk for leg in call.legs.values()):
            if call.originated and call.a_leg is not None and call.a_leg.chan.is_trunk:
                others = [leg for leg in call.legs.values() if leg is not call.a_leg]
                if others and not any(leg.chan.is_trunk for leg in others):
                    return "inbound"
            return "outbound"
        if self.plan.trunks:
            return "internal"
        plan = self.plan
        if callee and not plan.is_extension(callee) and callee.startswith("+"):
            return "outbound"
        if caller and not plan.is_extension(caller) and caller.startswith("+"):
            return "inbound"
        return "internal"

    def _snapshot(self, call, force=False):
        ringing = []
        for leg in call.legs.values():
            if leg.ringing and not leg.absorbed:
                number = self._leg_number(leg)
                if number and number not in ringing:
                    ringing.append(number)
        waiting = self.queues.waiting(call.channels) if call.answered_leg is None else None
        if call.answered_leg is not None:
            state = "talking"
        elif ringing:
            state = "ringing"
        elif waiting is not None:
            state = "waiting"
        elif force:
            state = "ringing"
        else:
            return None
        caller, caller_name, callee = self._parties(call)
        answered_by = self._leg_number(call.answered_leg) if call.answered_leg else None
        queue = waiting.queue if waiting is not None else None
        key = (state, caller, caller_name, callee, tuple(ringing), answered_by, queue, len(call.transfers))
        if not force:
            if key == call.last_live:
                return None
            call.last_live = key
        return {
            "call_id": call.call_id,
            "start": _iso(call.start),
            "state": state,
            "direction": self._direction(call, caller, callee),
            "caller": caller,
            "caller_name": caller_name,
            "callee": callee,
            "ringing": ringing,
            "answered_by": answered_by,
            "queue": queue,
            "waiting_since": _iso(waiting.joined) if waiting is not None and waiting.joined is not None else None,
            # when the PBX said it was answered, not when a writer gets to it: the history keeps it
            "answer": _iso(call.answer_ts),
            "transfers": [dict(t) for t in call.transfers],
            "adopted": call.adopted,
        }

    def _disposition(self, call, forced=False, queue_outcome=None):
        if call.answered_leg is not None:
            return "answered"
        if call.abandoned:
            return "cancelled"
        best = None
        statuses = call.top_status
        if call.originated:
            a = call.a_leg
            statuses = [leg.status for leg in call.legs.values() if leg is not a and leg.status]
            if not statuses and a is not None and a.answered is None and a.status:
                statuses = [a.status]
        for status in statuses:
            disp = _DIAL_DISPOSITION.get(status, "failed")
            if disp == "answered":
                continue
            if best is None or _PRIORITY[disp] > _PRIORITY[best]:
                best = disp
        if best is None:
            for leg in call.legs.values():
                if leg.status and leg.status != "PICKUP":
                    disp = _DIAL_DISPOSITION.get(leg.status, "failed")
                    if disp != "answered" and (best is None or _PRIORITY[disp] > _PRIORITY[best]):
                        best = disp
        if best is None:
            cause = call.origin.cause if call.origin is not None else None
            if cause in _CAUSE_DISPOSITION:
                best = _CAUSE_DISPOSITION[cause]
            elif forced:
                best = "failed"
            elif queue_outcome == "timeout":
                best = "no_answer"  # the queue's time ran out with no member rung: the caller did not give up
            else:
                best = "cancelled"
        return best

    def _record(self, call, forced=False):
        caller, caller_name, callee = self._parties(call)
        a = call.a_leg
        rang = []
        for leg in call.legs.values():
            if leg is a or leg.absorbed:
                continue
            number = self._leg_number(leg)
            if number and number not in rang:
                rang.append(number)
        answered_by = self._leg_number(call.answered_leg) if call.answered_leg else None
        start = call.start
        end = call.end if call.end is not None else start
        answer = call.answer_ts
        if call.real_time:
            ring_seconds = round(max(0.0, (answer if answer is not None else end) - start), 3)
            talk_seconds = round(max(0.0, end - answer), 3) if answer is not None else 0.0
        else:
            ring_seconds = talk_seconds = None
        facts = self.queues.facts(call.channels, call.real_time, ring_seconds, call.call_id)
        if facts["queue_outcome"] == "abandoned" and call.answered_leg is None:
            call.abandoned = True
        return {
            "call_id": call.call_id,
            "direction": self._direction(call, caller, callee),
            "disposition": self._disposition(call, forced, facts["queue_outcome"]),
            "caller": caller,
            "caller_name": caller_name,
            "callee": callee,
            "answered_by": answered_by,
            "rang": rang,
            "transfers": [dict(t) for t in call.transfers],
            "start": _iso(start),
            "answer": _iso(answer),
            "end": _iso(end),
            "ring_seconds": ring_seconds,
            "talk_seconds": talk_seconds,
            **facts,
            "adopted": call.adopted,
        }
