"""A PBX stand-in speaking the Asterisk Manager Interface (AMI) over TCP.

Pure Python (asyncio), no ``odoo`` import. It answers like Asterisk 18+ with
PJSIP and ``timestampevents=yes`` so connectors and the call tracker can be
tested end to end without a PBX.

Command line::

    python -m k2_contact_center.services.ami.simulator --port 5038 [--host 127.0.0.1]
        [--user admin --secret amp111]
        (--replay FILE [--speed EVENTS_PER_SECOND] [--loop]
         | --traffic [--calls-per-minute N] [--extensions 201,202,...]
                     [--trunk NAME] [--seed S] [--duration SECONDS] [--overlapping])

In-process (tests)::

    sim = AmiSimulator("127.0.0.1", 0, "admin", "secret", extensions=["201", "202", "203"])
    await sim.start(); sim.port
    played = sim.play_call("inbound_answered", time_scale=0)   # PlayedCall
    await played.done; played.expected      # list of the records the call should give
    sim.expected_calls                       # every expected record so far
    sim.drop_connections(); sim.stop_answering_pings(True); sim.inject(b"garbage\\r\\n\\r\\n")
    await sim.stop()

``SimulatorThread`` runs the same server in a daemon thread with its own loop
(for synchronous test code such as Odoo's).

Expected records (``expected``) are dicts with the keys ``kind``, ``call_id``
(the ``Linkedid``, which is the tracker's ``call_id``), ``direction``,
``disposition``, ``caller``, ``caller_name``, ``callee``, ``answered_by`` and
``transfers`` (list of transfer kinds), in the form
:class:`~..tracking.calls.CallTracker` reports them (extensions as they are,
external numbers in E.164 with country code +420).

Scripted call kinds (:data:`CALL_KINDS`): inbound via the trunk answered or
cancelled, outbound via the trunk answered or busy, internal answered or not
answered, a queue ringing two agents of which one answers (or whose caller
gives up, or whose time runs out), blind and attended
transfers of an inbound call, and click-to-call (an originate).

On a call being played, ``BlindTransfer``, ``Atxfer`` and ``Hangup`` are
carried out (see ``simulated_transfers``): the rest of its script gives way
to what the transfer makes happen.
"""

import argparse
import asyncio
import contextlib
import inspect
import itertools
import logging
import random
import re
import signal
import threading
import time

from .. import cdr as cdr_service
from .frames import AmiFrameParser, read_ami_file
from .simulated_cdr import CdrBackend, CdrRecorder
from .simulated_states import STATE_ACTIONS, SimulatedStates
from .simulated_transfers import LiveTransfers

_logger = logging.getLogger(__name__)

BANNER = b"Asterisk Call Manager/7.0.3\r\n"
# Events sent at full speed between two turns of the loop: its other clients
# (an action, a second bridge) are answered in between.
BURST = 64
CALL_KINDS = (
    "inbound_answered", "inbound_cancelled", "outbound_answered", "outbound_busy", "internal",
    "internal_no_answer", "queue", "queue_abandoned", "queue_timeout", "blind_transfer", "attended_transfer",
    "click_to_call",
)
TRAFFIC_WEIGHTS = {
    "inbound_answered": 25, "inbound_cancelled": 10, "outbound_answered": 20, "outbound_busy": 5,
    "internal": 12, "internal_no_answer": 3, "queue": 12, "queue_abandoned": 3, "queue_timeout": 1,
    "blind_transfer": 5,
    "attended_transfer": 5, "click_to_call": 3,
}
# kinds whose call takes two extensions of the floor at once
TWO_EXTENSION_KINDS = frozenset({"internal", "internal_no_answer", "blind_transfer", "attended_transfer"})
_EXTENSION_CHANNEL = re.compile(r"(?:PJSIP|SIP|Local)/([^-@;/]+)")
COUNTRY_CODE = "+420"
DID_PREFIX = "+420221122"  # + extension = the public number (DID) of an extension
QUEUE_EXTEN = "600"
EXTERNAL_PARTIES = (
    ("+420601123456", "Antonín Dvořák"),
    ("+420777000111", "Eva Svobodová"),
    ("+420603555777", "Marie Šťastná"),
    ("+420724111222", "Žofie Řezníčková"),
    ("+420608999000", ""),
    ("+420731246810", "Jiří Dvořák"),
)
OUTBOUND_NUMBERS = ("601123456", "777000111", "603555777", "724111222", "222333444")
PHONE_NAMES = ("Jana Nováková", "Petr Šťastný", "Lucie Šťastná", "Tomáš Dvořák", "Kateřina Černá",
               "Ondřej Říha", "Zdeněk Kůrka", "Věra Šťastná")
_STATE_DESC = {0: "Down", 4: "Ring", 5: "Ringing", 6: "Up", 7: "Busy"}
# OriginateResponse "Reason" codes (Asterisk's enum ast_control_frame_type subset)
ORIGINATE_REASONS = {0: "no such channel or failed", 1: "hung up", 3: "ringing, no answer",
                     4: "answered", 5: "busy", 8: "congestion"}


def _unknown(value):
    return value if value else "<unknown>"


class _Ids:
    """Asterisk-like unique ids (``epoch.N``) and channel suffixes (``-0000001a``)."""

    def __init__(self, base=None):
        self.base = int(base if base is not None else time.time())
        self._counter = itertools.count(1)

    def next(self):
        n = next(self._counter)
        return f"{self.base}.{n}", f"{n:08x}"


class _Chan:
    __slots__ = ("uid", "name", "linkedid", "state", "cid_num", "cid_name", "conn_num", "conn_name",
                 "context", "exten", "priority", "bridge")

    def __init__(self, uid, name, linkedid, context, exten, cid_num="", cid_name=""):
        self.uid = uid
        self.name = name
        self.linkedid = linkedid or uid
        self.state = 0
        self.cid_num = cid_num
        self.cid_name = cid_name
        self.conn_num = ""
        self.conn_name = ""
        self.context = context
        self.exten = exten
        self.priority = 1
        self.bridge = None

    def headers(self, prefix=""):
        return {
            prefix + "Channel": self.name,
            prefix + "ChannelState": str(self.state),
            prefix + "ChannelStateDesc": _STATE_DESC.get(self.state, "Unknown"),
            prefix + "CallerIDNum": _unknown(self.cid_num),
            prefix + "CallerIDName": _unknown(self.cid_name),
            prefix + "ConnectedLineNum": _unknown(self.conn_num),
            prefix + "ConnectedLineName": _unknown(self.conn_name),
            prefix + "Language": "cs",
            prefix + "AccountCode": "",
            prefix + "Context": self.context,
            prefix + "Exten": self.exten,
            prefix + "Priority": str(self.priority),
            prefix + "Uniqueid": self.uid,
            prefix + "Linkedid": self.linkedid,
        }


class CallScript:
    """The events of one scripted call on a virtual clock (seconds from 0).

    ``events`` is a list of ``(t, event)``; ``Timestamp`` is filled in when the
    script is played or rendered (:meth:`stamped`). ``hold_index`` is where a
    held call stops until released (just after it was answered)."""

    def __init__(self, ids, rng, trunk, kind):
        self.ids = ids
        self.rng = rng
        self.trunk = trunk
        self.kind = kind
        self.events = []
        self.expected = []
        self.t = 0.0
        self.hold_index = None
        self.wait_at_end = False  # the call stays up after the last event until taken over
        self._bridges = itertools.count(1)

    # -- building blocks ------------------------------------------------------
    def wait(self, seconds):
        self.t += seconds

    def emit(self, name, chan=None, dest=None, dest_prefix="Dest", privilege="call,all", **extra):
        event = {"Event": name, "Privilege": privilege, "Timestamp": ""}
        if chan is not None:
            event.update(chan.headers())
        if dest is not None:
            event.update(dest.headers(dest_prefix))
        event.update(extra)
        self.events.append((self.t, event))
        return event

    def channel(self, endpoint, context, exten, cid_num="", cid_name="", linkedid=None, tech="PJSIP"):
        uid, suffix = self.ids.next()
        chan = _Chan(uid, f"{tech}/{endpoint}-{suffix}", linkedid, context, exten, cid_num, cid_name)
        self.emit("Newchannel", chan)
        return chan

    def state(self, chan, state):
        chan.state = state
        self.emit("Newstate", chan)

    def dialplan(self, chan, steps):
        """Newexten/VarSet noise of a channel running ``steps`` dialplan lines."""
        apps = (("NoOp", "K2 routing"), ("Set", "CDR(userfield)=k2"), ("Set", "__K2_CALL=1"),
                ("Gosub", "sub-record,s,1"), ("ExecIf", "$[0]?Playback(beep)"))
        for _ in range(steps):
            app, data = apps[self.rng.randrange(len(apps))]
            self.emit("Newexten", chan, Extension=chan.exten, Application=app, AppData=data)
            if app == "Set":
                variable, _, value = data.partition("=")
                self.emit("VarSet", chan, Variable=variable, Value=value)
            chan.priority += 1
            self.wait(0.002)
        self.emit("VarSet", chan, Variable="DIALSTATUS", Value="")

    def dial(self, src, dest, dialstring):
        if src is not None:
            self.emit("VarSet", src, Variable="DIALEDPEERNUMBER", Value=dialstring)
            self.emit("DialBegin", src, dest, DialString=dialstring)
        else:
            event = {"Event": "DialBegin", "Privilege": "call,all", "Timestamp": ""}
            event.update(dest.headers("Dest"))
            event["DialString"] = dialstring
            self.events.append((self.t, event))

    def dial_end(self, src, dest, status):
        if src is not None:
            self.emit("DialEnd", src, dest, DialStatus=status)
            self.emit("VarSet", src, Variable="DIALSTATUS", Value=status)
        else:
            event = {"Event": "DialEnd", "Privilege": "call,all", "Timestamp": ""}
            event.update(dest.headers("Dest"))
            event["DialStatus"] = status
            self.events.append((self.t, event))

    def bridge(self, *chans):
        bridge_id = f"{chans[0].uid}-b{next(self._bridges)}"
        self.emit("BridgeCreate", BridgeUniqueid=bridge_id, BridgeType="basic",
                  BridgeTechnology="simple_bridge", BridgeCreator="<unknown>", BridgeName="<unknown>",
                  BridgeNumChannels="0", BridgeVideoSourceMode="none")
        for count, chan in enumerate(chans, 1):
            self.enter(chan, bridge_id, count)
        return bridge_id

    def enter(self, chan, bridge_id, count=2):
        chan.bridge = bridge_id
        self.emit("BridgeEnter", chan, BridgeUniqueid=bridge_id, BridgeType="basic",
                  BridgeTechnology="simple_bridge", BridgeNumChannels=str(count))

    def leave(self, chan):
        if chan.bridge:
            self.emit("BridgeLeave", chan, BridgeUniqueid=chan.bridge, BridgeType="basic",
                      BridgeTechnology="simple_bridge", BridgeNumChannels="1")
            chan.bridge = None

    def talk(self, seconds, *chans):
        """RTCP reports every 5 s of conversation."""
        step = 5.0
        elapsed = 0.0
        while elapsed + step < seconds:
            self.wait(step)
            elapsed += step
            for chan in chans:
                self.emit("RTCPSent", chan, To="10.0.0.2:10001", From="10.0.0.1:10000", SSRC="1234",
                          PT="200(SR)", ReportCount="1")
        self.wait(max(0.0, seconds - elapsed))

    def hangup(self, chan, cause="16", text="Normal Clearing"):
        self.leave(chan)
        self.emit("HangupRequest", chan, Cause=cause)
        self.emit("Hangup", chan, Cause=cause, **{"Cause-txt": text})

    def connect(self, a, b):
        """Each side sees the other as connected line."""
        a.conn_num, a.conn_name = b.cid_num, b.cid_name
        b.conn_num, b.conn_name = a.cid_num, a.cid_name

    def mark_hold(self):
        self.hold_index = len(self.events)

    def expect(self, call_id, direction, disposition, caller, caller_name, callee, answered_by,
               transfers=(), queue=None, queue_outcome=None):
        self.expected.append({
            "kind": self.kind, "call_id": call_id, "direction": direction, "disposition": disposition,
            "caller": caller, "caller_name": caller_name or None, "callee": callee,
            "answered_by": answered_by, "transfers": list(transfers), "queue": queue,
            "queue_outcome": queue_outcome,
        })

    def stamped(self, start):
        """The events with ``Timestamp`` = ``start`` + their virtual time."""
        out = []
        for t, event in self.events:
            event = dict(event)
            event["Timestamp"] = f"{start + t:.6f}"
            out.append(event)
        return out


def _name_of(extension, extensions):
    try:
        index = list(extensions).index(extension)
    except ValueError:
        index = sum(map(ord, extension))
    return PHONE_NAMES[index % len(PHONE_NAMES)]


class CallFactory:
    """Builds :class:`CallScript` objects of every kind in :data:`CALL_KINDS`."""

    def __init__(self, extensions=("201", "202", "203", "204"), trunk="k2-trunk", ids=None, rng=None):
        self.extensions = tuple(extensions)
        if len(self.extensions) < 2:
            raise ValueError("the simulator needs at least two extensions")
        self.trunk = trunk
        self.ids = ids or _Ids()
        self.rng = rng or random.Random()
        # who a new call may ring (None: any extension), and who of them a queue call
        # may ring; set by the traffic's pace while it builds a call (see TrafficGenerator)
        self.offer = None
        self.queue_offer = None

    # -- helpers ---------------------------------------------------------------
    def _one_extension(self):
        return self.rng.choice(self.offer or self.extensions)

    def _two_extensions(self):
        return self.rng.sample(self.offer or self.extensions, 2)

    def _queue_agents(self):
        """The members a queue call rings: two, or fewer when fewer are free."""
        pool = self.extensions if self.queue_offer is None else self.queue_offer
        return self.rng.sample(pool, min(2, len(pool)))

    def _external(self):
        return EXTERNAL_PARTIES[self.rng.randrange(len(EXTERNAL_PARTIES))]

    def _ring(self):
        return round(self.rng.uniform(2.0, 12.0), 3)

    def _talk(self):
        return round(self.rng.uniform(15.0, 120.0), 3)

    def _inbound_leg(self, s, did, caller, caller_name):
        trunk = s.channel(self.trunk, "from-trunk", did, caller, caller_name)
        s.state(trunk, 4)
        s.dialplan(trunk, self.rng.randint(3, 8))
        return trunk

    def _ring_phone(self, s, src, ext, linkedid):
        phone = s.channel(ext, "from-internal", "s", linkedid=linkedid)
        s.dial(src, phone, ext if src is not None and src.name.startswith(f"PJSIP/{self.trunk}") else f"PJSIP/{ext}")
        phone.cid_num, phone.cid_name = ext, _name_of(ext, self.extensions)
        if src is not None:
            phone.conn_num, phone.conn_name = src.cid_num, src.cid_name
        s.state(phone, 5)
        return phone

    def _answer(self, s, src, phone):
        s.state(phone, 6)
        s.dial_end(src, phone, "ANSWER")
        if src is not None and src.state != 6:
            s.state(src, 6)
        if src is not None:
            s.connect(src, phone)
            s.emit("NewConnectedLine", src)

    def _end(self, s, first, second, talk):
        s.mark_hold()
        s.talk(talk, first, second)
        a, b = (first, second) if self.rng.random() < 0.5 else (second, first)
        s.hangup(a)
        s.hangup(b)

    def name_of(self, extension):
        return _name_of(extension, self.extensions)

    def end_call(self, s, first, second):
        """``first`` and ``second`` talk a while, then one hangs up."""
        self._end(s, first, second, self._talk())

    # -- call kinds ---------------------------------------------------------------
    def script(self, kind):
        """An empty script (a call's continuation, see ``simulated_transfers``)."""
        return CallScript(self.ids, self.rng, self.trunk, kind)

    def build(self, kind, **params):
        method = getattr(self, "_" + kind, None)
        if kind not in CALL_KINDS or method is None:
            raise ValueError(f"unknown call kind {kind!r}; known: {', '.join(CALL_KINDS)}")
        s = self.script(kind)
        method(s, **params)
        return s

    def _inbound_answered(self, s, extension=None, caller=None, caller_name=None, ring=None, talk=None):
        ext = extension or self._one_extension()
        if caller is None:
            caller, caller_name = self._external()
        did = DID_PREFIX + ext
        trunk = self._inbound_leg(s, did, caller, caller_name)
        phone = self._ring_phone(s, trunk, ext, trunk.linkedid)
        s.wait(ring if ring is not None else self._ring())
        self._answer(s, trunk, phone)
        s.bridge(phone, trunk)
        self._end(s, trunk, phone, talk if talk is not None else self._talk())
        s.expect(trunk.linkedid, "inbound", "answered", caller, caller_name, did, ext)

    def _inbound_cancelled(self, s, extension=None, caller=None, caller_name=None, ring=None):
        ext = extension or self._one_extension()
        if caller is None:
            caller, caller_name = self._external()
        did = DID_PREFIX + ext
        trunk = self._inbound_leg(s, did, caller, caller_name)
        phone = self._ring_phone(s, trunk, ext, trunk.linkedid)
        s.mark_hold()
        s.wait(ring if ring is not None else self._ring())
        s.emit("HangupRequest", trunk, Cause="16")
        s.dial_end(trunk, phone, "CANCEL")
        s.hangup(phone, "0", "Unknown")
        s.hangup(trunk)
        s.expect(trunk.linkedid, "inbound", "cancelled", caller, caller_name, did, None)

    def _outbound(self, s, busy, extension=None, number=None, ring=None, talk=None):
        ext = extension or self._one_extension()
        number = number or self.rng.choice(OUTBOUND_NUMBERS)
        name = _name_of(ext, self.extensions)
        phone = s.channel(ext, "from-internal", number, ext, name)
        s.state(phone, 4)
        s.dialplan(phone, self.rng.randint(3, 8))
        trunk = s.channel(self.trunk, "from-internal", "s", linkedid=phone.linkedid)
        s.dial(phone, trunk, f"{number}@{self.trunk}")
        trunk.cid_num, trunk.conn_num, trunk.conn_name = number, ext, name
        s.state(trunk, 5)
        s.wait(ring if ring is not None else self._ring())
        e164 = COUNTRY_CODE + number
        if busy:
            s.mark_hold()
            s.dial_end(phone, trunk, "BUSY")
            s.hangup(trunk, "17", "User busy")
            s.hangup(phone, "17", "User busy")
            s.expect(phone.linkedid, "outbound", "busy", ext, name, e164, None)
            return
        self._answer(s, phone, trunk)
        s.bridge(phone, trunk)
        self._end(s, phone, trunk, talk if talk is not None else self._talk())
        s.expect(phone.linkedid, "outbound", "answered", ext, name, e164, e164)

    def _outbound_answered(self, s, **params):
        self._outbound(s, False, **params)

    def _outbound_busy(self, s, **params):
        self._outbound(s, True, **params)

    def _internal_call(self, s, answered, caller=None, callee=None, ring=None, talk=None):
        if caller is None or callee is None:
            caller, callee = self._two_extensions()
        name = _name_of(caller, self.extensions)
        origin = s.channel(caller, "from-internal", callee, caller, name)
        s.state(origin, 4)
        s.dialplan(origin, self.rng.randint(2, 6))
        phone = self._ring_phone(s, origin, callee, origin.linkedid)
        if not answered:
            s.mark_hold()
            s.wait(ring if ring is not None else 20.0)
            s.dial_end(origin, phone, "NOANSWER")
            s.hangup(phone, "19", "No answer")
            s.hangup(origin)
            s.expect(origin.linkedid, "internal", "no_answer", caller, name, callee, None)
            return
        s.wait(ring if ring is not None else self._ring())
        self._answer(s, origin, phone)
        s.bridge(origin, phone)
        self._end(s, origin, phone, talk if talk is not None else self._talk())
        s.expect(origin.linkedid, "internal", "answered", caller, name, callee, callee)

    def _internal(self, s, **params):
        self._internal_call(s, True, **params)

    def _internal_no_answer(self, s, **params):
        self._internal_call(s, False, **params)

    def _queue(self, s, agents=None, caller=None, caller_name=None, talk=None, outcome="answered", wait=None):
        """A caller in queue ``support``: waits (most a few seconds, some
        long), the agents ring, then one answers, or the caller gives up
        (``abandoned``), or the queue's time runs out (``timeout``)."""
        agents = list(agents or self._queue_agents())
        if not agents and outcome == "answered":
            outcome = "abandoned" if self.rng.random() < 0.7 else "timeout"  # nobody free to answer
        if caller is None:
            caller, caller_name = self._external()
        did = DID_PREFIX + QUEUE_EXTEN
        trunk = self._inbound_leg(s, did, caller, caller_name)
        s.state(trunk, 6)
        if wait is None:
            wait = self.rng.uniform(1.0, 14.0) if self.rng.random() < 0.75 else self.rng.uniform(16.0, 70.0)
        answered_by = self._queue_segment(s, trunk, agents, talk, outcome, wait)
        if outcome != "answered":
            gave_up = outcome == "abandoned"
            s.expect(trunk.linkedid, "inbound", "cancelled" if gave_up else "no_answer", caller, caller_name, did,
                     None, queue="support", queue_outcome="abandoned" if gave_up else "timeout")
            return
        s.expect(trunk.linkedid, "inbound", "answered", caller, caller_name, did, answered_by, queue="support",
                 queue_outcome="answered")

    def _queue_segment(self, s, trunk, agents, talk, outcome, wait):
        """``trunk`` (up) waits in queue ``support`` until an agent answers
        (returns who) or it leaves; the call's end."""
        s.emit("QueueCallerJoin", trunk, Queue="support", Position="1", Count="1")
        s.emit("MusicOnHoldStart", trunk, Class="default")
        ring = min(self._ring(), wait)
        joined = s.t
        s.wait(wait - ring)
        phones = []
        for agent in agents:
            phone = s.channel(agent, "from-internal", "s", linkedid=trunk.linkedid)
            s.emit("AgentCalled", trunk, phone, Queue="support", Interface=f"PJSIP/{agent}",
                   MemberName=f"Agent {agent}")
            s.dial(trunk, phone, f"PJSIP/{agent}")
            phones.append(phone)
        for phone, agent in zip(phones, agents, strict=True):
            phone.cid_num, phone.cid_name = agent, _name_of(agent, self.extensions)
            s.state(phone, 5)
        s.wait(ring)
        held = str(round(s.t - joined))
        if outcome != "answered":
            s.mark_hold()
            gave_up = outcome == "abandoned"
            for phone, agent in zip(phones, agents, strict=True):
                s.dial_end(trunk, phone, "CANCEL" if gave_up else "NOANSWER")
                s.hangup(phone, "16" if gave_up else "19", "Normal Clearing" if gave_up else "No answer")
                if not gave_up:
                    s.emit("AgentRingNoAnswer", trunk, phone, Queue="support", Interface=f"PJSIP/{agent}",
                           RingTime=str(round(ring)))
            if gave_up:
                s.emit("QueueCallerAbandon", trunk, Queue="support", Position="1", OriginalPosition="1",
                       HoldTime=held)
            s.emit("MusicOnHoldStop", trunk)
            s.emit("QueueCallerLeave", trunk, Queue="support", Position="1", Count="0")
            if not gave_up:
                s.emit("VarSet", trunk, privilege="dialplan,all", Variable="QUEUESTATUS", Value="TIMEOUT")
            s.hangup(trunk)
            return None
        winner = self.rng.randrange(len(phones))
        answering, agent = phones[winner], agents[winner]
        s.state(answering, 6)
        s.dial_end(trunk, answering, "ANSWER")
        for index, phone in enumerate(phones):
            if index != winner:
                s.dial_end(trunk, phone, "CANCEL")
                s.hangup(phone, "26", "Answered elsewhere")
                s.emit("AgentRingNoAnswer", trunk, phone, Queue="support", Interface=f"PJSIP/{agents[index]}",
                       RingTime=str(round(ring)))
        s.emit("MusicOnHoldStop", trunk)
        s.emit("QueueCallerLeave", trunk, Queue="support", Position="1", Count="0")
        s.emit("AgentConnect", trunk, answering, Queue="support", Interface=f"PJSIP/{agent}",
               HoldTime=held, RingTime=str(round(ring)))
        s.connect(trunk, answering)
        s.bridge(answering, trunk)
        talk = talk if talk is not None else self._talk()
        self._end(s, trunk, answering, talk)
        s.emit("AgentComplete", trunk, answering, Queue="support", Interface=f"PJSIP/{agent}",
               HoldTime=held, TalkTime=str(round(talk)), Reason="caller")
        return agent

    def _queue_abandoned(self, s, **params):
        self._queue(s, outcome="abandoned", **params)

    def _queue_timeout(self, s, **params):
        self._queue(s, outcome="timeout", **params)

    def _transfer_start(self, s, first, caller, caller_name):
        if caller is None:
            caller, caller_name = self._external()
        did = DID_PREFIX + first
        trunk = self._inbound_leg(s, did, caller, caller_name)
        phone = self._ring_phone(s, trunk, first, trunk.linkedid)
        s.wait(self._ring())
        self._answer(s, trunk, phone)
        s.bridge(phone, trunk)
        s.talk(self._talk() / 3, trunk, phone)
        return trunk, phone, did, caller, caller_name

    def _blind_transfer(self, s, first=None, second=None, caller=None, caller_name=None):
        if first is None or second is None:
            first, second = self._two_extensions()
        trunk, phone, did, caller, caller_name = self._transfer_start(s, first, caller, caller_name)
        self.blind_handover(s, phone, trunk, second)
        s.expect(trunk.linkedid, "inbound", "answered", caller, caller_name, did, first, ["blind"])

    def blind_handover(self, s, transferer, transferee, exten, context="from-internal"):
        """``transferer`` hands ``transferee`` over to ``exten`` without a
        word to whoever answers there (AMI ``BlindTransfer``, a phone's
        transfer key): an extension rings, the queue extension queues, any
        other number is dialled out through the trunk."""
        s.emit("BlindTransfer", **{"Result": "Success"}, **transferer.headers("Transferer"),
               **transferee.headers("Transferee"), BridgeUniqueid=transferer.bridge, BridgeType="basic",
               IsExternal="No", Context=context, Extension=exten)
        s.leave(transferee)
        s.hangup(transferer)
        transferee.context, transferee.exten, transferee.priority = context, exten, 1
        s.dialplan(transferee, 2)
        if exten == QUEUE_EXTEN:
            self._queue_segment(s, transferee, self._two_extensions(), self._talk(), "answered",
                                self.rng.uniform(1.0, 14.0))
            return
        if exten in self.extensions:
            target = self._ring_phone(s, transferee, exten, transferee.linkedid)
        else:
            target = s.channel(self.trunk, "from-internal", "s", linkedid=transferee.linkedid)
            s.dial(transferee, target, f"{exten}@{self.trunk}")
            target.cid_num = exten
            s.state(target, 5)
        s.wait(self._ring())
        self._answer(s, transferee, target)
        s.bridge(target, transferee)
        self._end(s, transferee, target, self._talk())

    def _attended_transfer(self, s, first=None, second=None, caller=None, caller_name=None):
        if first is None or second is None:
            first, second = self._two_extensions()
        trunk, phone, did, caller, caller_name = self._transfer_start(s, first, caller, caller_name)
        consult, target = self.consult(s, phone, trunk, first, second)
        s.talk(10.0, consult, target)
        self.complete_attended(s, phone, consult, trunk, target)
        s.expect(trunk.linkedid, "inbound", "answered", caller, caller_name, did, first, ["attended"])
        s.expect(consult.linkedid, "internal", "answered", first, _name_of(first, self.extensions), second,
                 second)

    def consult(self, s, phone, transferee, first, second, answers=True):
        """The first half of an attended transfer: ``transferee`` on hold, the
        transferer's phone (``first``) calls ``second``; returns the
        consultation's two channels, ``(consult, target)``, both up when
        ``answers``, both gone (and the transferee back) when not."""
        s.emit("Hold", phone, MusicClass="default")
        s.emit("MusicOnHoldStart", transferee, Class="default")
        consult = s.channel(first, "from-internal", second, first, _name_of(first, self.extensions))
        s.state(consult, 4)
        s.dialplan(consult, 2)
        target = self._ring_phone(s, consult, second, consult.linkedid)
        s.wait(self._ring())
        if not answers:
            s.dial_end(consult, target, "NOANSWER")
            s.hangup(target, "19", "No answer")
            s.hangup(consult)
            self.back_from_consult(s, phone, transferee)
            return consult, target
        self._answer(s, consult, target)
        s.bridge(consult, target)
        return consult, target

    @staticmethod
    def back_from_consult(s, phone, transferee):
        s.emit("MusicOnHoldStop", transferee)
        s.emit("Unhold", phone)

    def complete_attended(self, s, phone, consult, transferee, target):
        """The transferer leaves: the transferee joins the consultation's bridge with the target."""
        s.emit("AttendedTransfer", Result="Success", **phone.headers("OrigTransferer"),
               OrigBridgeUniqueid=phone.bridge, **consult.headers("SecondTransferer"),
               SecondBridgeUniqueid=consult.bridge, **transferee.headers("Transferee"),
               **target.headers("TransferTarget"), DestType="Bridge", DestBridgeUniqueid=consult.bridge,
               IsExternal="No")
        s.emit("MusicOnHoldStop", transferee)
        dest_bridge = consult.bridge
        s.hangup(phone)
        s.leave(transferee)
        s.hangup(consult)
        s.enter(transferee, dest_bridge)
        s.connect(transferee, target)
        s.emit("NewConnectedLine", target)
        self._end(s, transferee, target, self._talk())

    def _click_to_call(self, s, extension=None, number=None, local=False, action_id=None, variables=None,
                       fail_reason=None):
        """An ``Originate`` of ``PJSIP/<extension>`` (or ``Local/<extension>@from-internal``) to
        ``number`` (external, or another extension). ``fail_reason`` 5 (busy) or 3 (no answer)
        makes the phone not answer."""
        ext = extension or self._one_extension()
        if number is None:
            number = self.rng.choice(OUTBOUND_NUMBERS)
        internal = number in self.extensions
        extra = {"ActionID": action_id} if action_id else {}
        if local:
            uid1, suffix = self.ids.next()
            uid2, _ = self.ids.next()
            origin = _Chan(uid1, f"Local/{ext}@from-internal-{suffix};1", None, "from-internal", "s")
            half = _Chan(uid2, f"Local/{ext}@from-internal-{suffix};2", uid1, "from-internal", ext)
            s.emit("Newchannel", origin)
            s.emit("Newchannel", half)
            s.emit("LocalBridge", origin, LocalOneChannel=origin.name, LocalTwoChannel=half.name,
                   LocalOptimization="No", Context="from-internal", Exten=ext)
            s.dialplan(half, 2)
            phone = s.channel(ext, "from-internal", "s", linkedid=origin.linkedid)
            s.dial(half, phone, f"PJSIP/{ext}")
        else:
            phone = s.channel(ext, "from-internal", "s", number, "")
            origin = half = None
            s.dial(None, phone, f"PJSIP/{ext}")
        for key, value in (variables or {}).items():
            s.emit("VarSet", origin or phone, Variable=key, Value=value)
        phone.cid_num = phone.cid_num or ext
        s.state(phone, 5)
        s.wait(self._ring() / 2)
        response_chan = origin or phone
        if fail_reason:
            status = "BUSY" if fail_reason == 5 else "NOANSWER"
            s.dial_end(half, phone, status)
            s.hangup(phone, "17" if fail_reason == 5 else "19", "User busy" if fail_reason == 5 else "No answer")
            if origin is not None:
                s.hangup(half)
                s.hangup(origin)
            s.emit("OriginateResponse", None, **extra, Response="Failure", Channel=response_chan.name,
                   Context="from-internal", Exten=number, Application="", Data="",
                   Reason=str(fail_reason), Uniqueid=response_chan.uid,
                   CallerIDNum=_unknown(number), CallerIDName="<unknown>")
            return
        s.state(phone, 6)
        s.dial_end(half, phone, "ANSWER")
        if origin is not None:
            s.state(half, 6)
            s.state(origin, 6)
            s.bridge(half, phone)
        s.emit("OriginateResponse", None, **extra, Response="Success", Channel=response_chan.name,
               Context="from-internal", Exten=number, Application="", Data="", Reason="4",
               Uniqueid=response_chan.uid, CallerIDNum=_unknown(number), CallerIDName="<unknown>")
        runner = origin or phone
        runner.exten, runner.priority = number, 1
        s.dialplan(runner, self.rng.randint(2, 5))
        if internal:
            far = self._ring_phone(s, runner, number, runner.linkedid)
            callee = number
        else:
            far = s.channel(self.trunk, "from-internal", "s", linkedid=runner.linkedid)
            s.dial(runner, far, f"{number}@{self.trunk}")
            far.cid_num = number
            s.state(far, 5)
            callee = COUNTRY_CODE + number
        s.wait(self._ring())
        self._answer(s, runner, far)
        s.bridge(runner, far)
        s.mark_hold()
        s.talk(self._talk(), runner, far)
        s.hangup(far)
        s.hangup(runner)
        if origin is not None:
            s.hangup(phone)
            s.hangup(half)
        s.expect(runner.linkedid, "internal" if internal else "outbound", "answered", ext, None, callee, callee)


class TrafficGenerator:
    """Deterministic (seeded) mix of calls of every kind, as one time line.

    With ``one_call_each`` the traffic keeps a human pace, as a queue with
    ``ringinuse=no`` and a ``wrapuptime`` does: a call rings only extensions
    that are free (not in a call of this traffic, nor within ``wrapup``
    seconds after one, nor ``busy`` for another reason), a queue call only
    those of them that are not ``away`` (paused, out of the queue); a call
    that finds nobody free waits until someone is. Without it calls overlap
    freely on any extension (load tests)."""

    def __init__(self, seed=0, extensions=("201", "202", "203", "204"), trunk="k2-trunk",
                 calls_per_minute=6.0, start=1_700_000_000.0, weights=None, one_call_each=False, wrapup=30.0):
        self.rng = random.Random(seed)
        self.factory = CallFactory(extensions, trunk, _Ids(int(start)), self.rng)
        self.calls_per_minute = float(calls_per_minute)
        self.start = float(start)
        weights = weights or TRAFFIC_WEIGHTS
        self.kinds = list(weights)
        self.weights = [weights[k] for k in self.kinds]
        self.one_call_each = one_call_each
        self.wrapup = float(wrapup)
        self._clock = 0.0
        self._free_at = {}  # extension -> offset at which its last call (and wrap-up) ends
        self._waiting_kind = None  # the kind of the call waiting for free extensions

    def next_call(self):
        """``(offset_seconds, CallScript)`` of the next call."""
        self.advance()
        script = self.build()
        while script is None:
            self.defer()
            script = self.build()
        return self._clock, script

    def advance(self):
        """The offset of the next call's arrival."""
        self._clock += self.rng.expovariate(self.calls_per_minute / 60.0) if self.calls_per_minute > 0 else 0.0
        return self._clock

    def defer(self):
        """The call waits for the next extension to become free (a while, when
        those busy are busy outside this traffic); returns the new offset."""
        later = [t for t in self._free_at.values() if t > self._clock]
        self._clock = min(later) if later else self._clock + 5.0
        return self._clock

    def build(self, busy=(), away=()):
        """The script of the call arriving now, or None when, one call each,
        no extension is free (:meth:`defer`, then build again)."""
        if not self.one_call_each:
            return self.factory.build(self.rng.choices(self.kinds, self.weights)[0])
        # the kind is drawn once per call, so that calls needing two free lines wait their turn
        # rather than give way to the others (the mix stays what the weights say)
        kind = self._waiting_kind or self.rng.choices(self.kinds, self.weights)[0]
        free = [ext for ext in self.factory.extensions
                if ext not in busy and self._free_at.get(ext, self._clock) <= self._clock]
        if len(free) < (2 if kind in TWO_EXTENSION_KINDS else 1):
            self._waiting_kind = kind
            return None
        self._waiting_kind = None
        factory = self.factory
        factory.offer, factory.queue_offer = free, [ext for ext in free if ext not in away]
        try:
            script = factory.build(kind)
        finally:
            factory.offer = factory.queue_offer = None
        for ext, end in extension_ends(script, factory.extensions).items():
            self._free_at[ext] = self._clock + end + self.wrapup
        return script

    def generate(self, calls):
        """``(events, expected)``: the events of ``calls`` calls merged by time
        (each with its ``Timestamp``) and the list of expected records."""
        timeline = []
        expected = []
        for order in range(calls):
            offset, script = self.next_call()
            expected.extend(script.expected)
            for index, (t, event) in enumerate(script.events):
                timeline.append((offset + t, order, index, event))
        timeline.sort(key=lambda item: item[:3])
        events = []
        for t, _, _, event in timeline:
            event = dict(event)
            event["Timestamp"] = f"{self.start + t:.6f}"
            events.append(event)
        return events, expected


def extension_ends(script, extensions):
    """When (the script's seconds) each of ``extensions`` last has a channel in ``script``."""
    ends = {}
    for t, event in script.events:
        for key in ("Channel", "DestChannel"):
            match = _EXTENSION_CHANNEL.match(event.get(key) or "")
            if match and match.group(1) in extensions:
                ends[match.group(1)] = t
    return ends


def render(event):
    """One AMI block (bytes, CRLF line ends) of an event or response dict."""
    lines = []
    for key, value in event.items():
        for part in str(value).split("\n") if key in ("Variable", "ChanVariable", "Output") else (value,):
            lines.append(f"{key}: {part}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


class PlayedCall:
    """Handle of a call being played: ``expected``, ``done`` (a Task), ``release()``.

    ``take_over(script)`` drops what is left of the script for ``script``
    (a transfer, a hang-up asked of the PBX)."""

    def __init__(self, script):
        self.script = script
        self.kind = script.kind
        self.expected = script.expected
        self.released = asyncio.Event()
        self.done = None
        self.next_script = None
        self._wake = asyncio.Event()  # a release or a take-over

    def release(self):
        self.released.set()
        self._wake.set()

    def take_over(self, script):
        self.next_script = script
        self._wake.set()

    async def hold(self, until_released=True):
        """Wait until released (or, not ``until_released``, forever) or taken over."""
        while self.next_script is None and not (until_released and self.released.is_set()):
            self._wake.clear()
            await self._wake.wait()

    def next(self):
        """The script that takes over, once (None: the call is over)."""
        script, self.next_script = self.next_script, None
        return script


class _Client:
    def __init__(self, reader, writer):
        self.reader = reader
        self.writer = writer
        self.logged_in = False
        self.events = {"all"}  # event classes wanted; empty set = Events: off
        self.peer = writer.get_extra_info("peername")
        self.actions = []  # every action received (dicts), for tests


def _event_mask(value):
    value = (value or "").strip().lower()
    if value in ("on", "yes", "true", "1", "all"):
        return {"all"}
    if value in ("off", "no", "false", "0", ""):
        return set()
    return {part.strip() for part in value.split(",") if part.strip()}


class SimulatorServer:
    """What both simulators (AMI over TCP, ARI over HTTP and WebSocket) share:
    the asyncio server's life, faults on demand, generated traffic. A subclass
    sets ``label``, handles connections in ``_handle`` and plays scripted
    calls with ``play_script(script, time_scale)``."""

    label = "PBX simulator"

    def __init__(self, host, port, username, secret, extensions, trunk, failing, time_scale, seed):
        self.host = host
        self.port = port
        self.username = username
        self.secret = secret
        self.extensions = tuple(extensions)
        self.trunk = trunk
        # extension -> OriginateResponse reason (5 busy, 3 no answer) for originates to it
        self.failing = dict(failing or {})
        self.time_scale = time_scale
        self.factory = CallFactory(self.extensions, trunk, _Ids(), random.Random(seed))
        self.clients = []
        self.expected_calls = []
        self.events_sent = 0
        self._server = None
        self._silent = False
        self._rendered = None  # while :meth:`render_events` runs: what it renders
        self._live = {}  # channel id -> latest state of the channel (for listing live channels)
        self._tasks = set()
        self._clients_changed = None

    async def start(self):
        self._clients_changed = asyncio.Condition()
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        _logger.info("%s listening on %s:%s", self.label, self.host, self.port)
        return self

    async def stop(self):
        for task in list(self._tasks):
            task.cancel()
        if self._server is not None:
            self._server.close()
        self.drop_connections()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    def drop_connections(self):
        """Abrupt close of every client connection (the PBX goes away)."""
        for client in list(self.clients):
            client.writer.transport.abort()

    def stop_answering_pings(self, value=True):
        """Half-open link: sockets stay open, nothing is answered or sent."""
        self._silent = bool(value)

    def _spawn(self, coro):
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def traffic(self, calls_per_minute=6.0, duration=None, seed=0, time_scale=1.0, one_call_each=True):
        """Play generated traffic in (scaled) real time. ``one_call_each``
        (see :class:`TrafficGenerator`) keeps an agent's pace: an extension
        in a call, the traffic's or another (a click-to-call, a transfer), is
        not rung again until it is free; without it calls overlap freely.
        No calls at all when ``calls_per_minute`` is 0 (a PBX that is idle)."""
        if calls_per_minute <= 0:
            await asyncio.Event().wait()
        generator = TrafficGenerator(seed, self.extensions, self.trunk, calls_per_minute, start=time.time(),
                                     one_call_each=one_call_each)
        generator.factory.ids = self.factory.ids
        begin = time.monotonic()
        offset = generator.advance()
        while duration is None or offset <= duration:
            wait = begin + offset * time_scale - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            script = generator.build(self.extensions_in_calls(), self.extensions_away())
            if script is None:
                offset = generator.defer()
                continue
            self.play_script(script, time_scale)
            offset = generator.advance()

    def extensions_in_calls(self):
        """The extensions with a channel up now."""
        busy = set()
        for channel in self.live_channels():
            match = _EXTENSION_CHANNEL.match(channel.get("Channel") or channel.get("name") or "")
            if match:
                busy.add(match.group(1))
        return busy

    def extensions_away(self):
        """The extensions a queue call does not ring now (paused, out of the queue)."""
        return set()


class AmiSimulator(SimulatorServer):
    """An AMI server that behaves like Asterisk 18 (see the module docstring)."""

    label = "AMI simulator"

    def __init__(self, host="127.0.0.1", port=0, username="admin", secret="secret",
                 extensions=("201", "202", "203", "204"), trunk="k2-trunk", failing=None,
                 time_scale=0.0, seed=None, states=False, banner=BANNER, version="18.20.2", cdr=None,
                 cancel_disposition=False):
        super().__init__(host, port, username, secret, extensions, trunk, failing, time_scale, seed)
        # CDR rows as Asterisk writes them, into a table (a CdrSource) or to a callable taking the rows;
        # ``cancel_disposition``: cdr.conf's canceldispositionenabled = yes
        if isinstance(cdr, cdr_service.CdrSource):
            cdr = CdrBackend(cdr)
        self.cdr_backend = cdr
        self.cdr = CdrRecorder(cdr, cancel_disposition) if cdr is not None else None
        self.banner = banner  # bytes: the greeting (an older Asterisk's, to test refusing it)
        self.version = version
        self.logoffs = 0
        self.actions_seen = []
        self._drop_after = None  # (action name, then): see drop_after
        # device states and queue members (and their events), when asked for
        self.states = SimulatedStates(self.extensions) if states else None
        self._played = {}  # Linkedid -> PlayedCall of the calls being played
        self.transfers = LiveTransfers(self, _chan_of_live)

    # -- lifecycle ------------------------------------------------------------
    async def wait_clients(self, count=1, timeout=5.0):
        """Wait until ``count`` clients are logged in."""
        async with self._clients_changed:
            await asyncio.wait_for(self._clients_changed.wait_for(
                lambda: sum(c.logged_in for c in self.clients) >= count), timeout)

    # -- fault injection --------------------------------------------------------
    def inject(self, raw):
        """Send raw bytes (garbled frames...) to every logged-in client."""
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        for client in self.clients:
            if client.logged_in:
                client.writer.write(raw)

    # -- events -------------------------------------------------------------------
    def send_event(self, event):
        """Send one event to every client that wants it; keeps the live channel list."""
        event = dict(event)
        if not event.get("Timestamp"):
            event["Timestamp"] = f"{time.time():.6f}"
        self._track(event)
        if self.cdr is not None:  # written whether anyone listens or not, as a PBX does
            self.cdr.feed(event)
        if self.states is not None:
            for caused in self.states.stamp(self.states.on_event(event)):
                self.send_event(caused)
        if self._silent:
            return
        data = None
        classes = set((event.get("Privilege") or "").split(","))
        if self._rendered is not None:
            self._rendered.append((frozenset(classes), render(event)))
            self.events_sent += 1
            return
        for client in self.clients:
            if not client.logged_in or not client.events:
                continue
            if "all" not in client.events and not (client.events & classes):
                continue
            if data is None:
                data = render(event)
            client.writer.write(data)
        self.events_sent += 1

    def _track(self, event):
        uid = event.get("Uniqueid")
        name = event.get("Event")
        if not uid or not event.get("Channel") or name in ("OriginateResponse",):
            return
        if name == "Hangup":
            self._live.pop(uid, None)
            return
        known = self._live.get(uid)
        if known is None:
            if name != "Newchannel":
                return
            known = self._live[uid] = {"created": time.time()}
        for key in ("Channel", "ChannelState", "ChannelStateDesc", "CallerIDNum", "CallerIDName",
                    "ConnectedLineNum", "ConnectedLineName", "Language", "AccountCode", "Context",
                    "Exten", "Priority", "Uniqueid", "Linkedid"):
            if key in event:
                known[key] = event[key]
        if name == "Newexten":
            known["Application"] = event.get("Application", "")
            known["ApplicationData"] = event.get("AppData", "")
        elif name == "BridgeEnter":
            known["BridgeId"] = event.get("BridgeUniqueid", "")
        elif name == "BridgeLeave":
            known["BridgeId"] = ""

    def live_channels(self):
        return [dict(v) for v in self._live.values()]

    def extensions_away(self):
        if self.states is None:
            return set()
        ready = {interface.split("/", 1)[-1] for (queue, interface), member in self.states.members.items()
                 if queue == "support" and not member["paused"]}
        return set(self.extensions) - ready

    async def render_events(self, events):
        """``events`` (dicts) through the simulator as :meth:`play_events`
        sends them (its channels, CDR and device states follow, the events
        they cause included), rendered for :meth:`send_rendered` instead of
        sent: a load test sends them later at full speed, the simulator's
        work done before its clock starts. Its clients are answered
        meanwhile (a Ping every ``BURST`` events at the latest): a PBX does
        not go silent while it works."""
        rendered = []
        for start in range(0, len(events), BURST):
            self._rendered = rendered
            try:
                for event in events[start:start + BURST]:
                    self.send_event(event)
            finally:
                self._rendered = None
            await asyncio.sleep(0)
        return rendered

    async def send_rendered(self, rendered):
        """Send what :meth:`render_events` rendered, each event to the
        clients that want it, ``BURST`` events a write."""
        for start in range(0, len(rendered), BURST):
            burst = rendered[start:start + BURST]
            for client in self.clients:
                if not client.logged_in or not client.events:
                    continue
                wanted = [data for classes, data in burst if "all" in client.events or client.events & classes]
                if wanted:
                    client.writer.write(b"".join(wanted))
            await asyncio.sleep(0)

    async def play_events(self, events, speed=0.0):
        """Send ``events`` (dicts) at ``speed`` events per second (0: at once,
        letting the simulator's other clients in every ``BURST`` events)."""
        for count, event in enumerate(events, 1):
            self.send_event(event)
            if speed:
                await asyncio.sleep(1.0 / speed)
            elif not count % BURST:
                await asyncio.sleep(0)

    def play_call(self, kind, time_scale=None, hold=False, **params):
        """Start playing a scripted call (see :data:`CALL_KINDS`); returns a
        :class:`PlayedCall` (``await played.done``). ``time_scale`` 1 is real
        time, 0 no waiting (default: the simulator's). With ``hold`` the call
        stays up after being answered until ``played.release()``."""
        script = self.factory.build(kind, **params)
        return self.play_script(script, time_scale, hold)

    def play_script(self, script, time_scale=None, hold=False):
        played = PlayedCall(script)
        self.expected_calls.extend(script.expected)
        played.done = self._spawn(self._run_script(played, self.time_scale if time_scale is None else time_scale,
                                                   hold))
        return played

    def played_of(self, linkedid):
        """The call being played whose channels carry ``linkedid``, if any."""
        return self._played.get(linkedid)

    async def _run_script(self, played, scale, hold):
        script = played.script
        try:
            while script is not None:
                await self._play(played, script, scale, hold)
                if script.wait_at_end and played.next_script is None:
                    await played.hold(until_released=False)
                script = played.next()
        finally:
            for linkedid in [key for key, value in self._played.items() if value is played]:
                del self._played[linkedid]

    async def _play(self, played, script, scale, hold):
        start = time.time()
        previous = 0.0
        # Played in (scaled) real time, the events carry the times they are
        # sent at: a faster PBX's shorter call, the same on every clock (link
        # losses, CDRs). Played at once (0), they carry the script's times.
        clock = scale if scale > 0 else 1.0
        for index, (t, event) in enumerate(script.events):
            if hold and index == script.hold_index and not played.released.is_set():
                await played.hold()
                start = time.time() - t * clock
            delay = (t - previous) * scale
            previous = t
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                await asyncio.sleep(0)
            if played.next_script is not None:
                return  # taken over: what is left of this script never happens
            event = dict(event)
            event["Timestamp"] = f"{start + t * clock:.6f}"
            if event.get("Linkedid"):
                self._played.setdefault(event["Linkedid"], played)
            self.send_event(event)

    async def replay(self, path, speed=0.0, loop=False, rewrite_ids=True):
        """Send a recorded ``.ami`` file's events (dropping responses); with
        ``loop`` over and over, each pass with fresh Uniqueid/Linkedid values."""
        events = [e for e in read_ami_file(path) if "Event" in e]
        for round_no in itertools.count():
            batch = events
            if rewrite_ids and round_no:
                batch = [_rewrite_ids(e, round_no) for e in events]
            if round_no:  # a new pass is new calls happening now
                batch = [{k: v for k, v in e.items() if k != "Timestamp"} for e in batch]
            await self.play_events(batch, speed)
            if not loop:
                return
            if not events:
                return

    # -- connections ------------------------------------------------------------
    async def _handle(self, reader, writer):
        client = _Client(reader, writer)
        self.clients.append(client)
        parser = AmiFrameParser()
        try:
            if not self._silent:
                writer.write(self.banner)
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                for action in parser.feed(data):
                    if await self._action(client, action) is False:
                        return
        except (ConnectionError, OSError) as error:
            _logger.info("simulator: client %s gone (%s)", getattr(client, "peer", "?"), error)
        finally:
            if client in self.clients:
                self.clients.remove(client)
            writer.transport.abort()
            await self._notify()

    async def _notify(self):
        if self._clients_changed is not None:
            async with self._clients_changed:
                self._clients_changed.notify_all()

    def _reply(self, client, action, **fields):
        if self._silent:
            return
        out = {"Response": fields.pop("Response", "Success")}
        if action.get("ActionID"):
            out["ActionID"] = action["ActionID"]
        out.update(fields)
        client.writer.write(render(out))

    async def _action(self, client, action):
        """Answer one action; False closes the connection."""
        name = (action.get("Action") or "").strip().lower()
        client.actions.append(action)
        self.actions_seen.append(action)
        if self._silent:
            return True
        if name == "login":
            if action.get("Username") == self.username and action.get("Secret") == self.secret:
                client.logged_in = True
                if "Events" in action:
                    client.events = _event_mask(action["Events"])
                self._reply(client, action, Message="Authentication accepted")
                if client.events:
                    client.writer.write(render({"Event": "FullyBooted", "Privilege": "system,all",
                                                "Timestamp": f"{time.time():.6f}", "Uptime": "1",
                                                "LastReload": "1", "Status": "Fully Booted"}))
                await self._notify()
                return True
            self._reply(client, action, Response="Error", Message="Authentication failed")
            await client.writer.drain()
            return False
        if name == "logoff":
            self.logoffs += 1
            self._reply(client, action, Response="Goodbye", Message="Thanks for all the fish.")
            await client.writer.drain()
            return False
        if not client.logged_in:
            self._reply(client, action, Response="Error", Message="Permission denied")
            return True
        if name == "ping":
            self._reply(client, action, Ping="Pong", Timestamp=f"{time.time():.6f}")
        elif name == "events":
            client.events = _event_mask(action.get("EventMask"))
            self._reply(client, action, Events="On" if client.events else "Off")
        elif name == "originate":
            self._originate(client, action)
        elif name in ("coreshowchannels", "status"):
            self._list_channels(client, action, name)
        elif name == "coresettings":
            self._reply(client, action, AMIversion=self.banner.decode().rpartition("/")[2].strip(),
                        AsteriskVersion=self.version, SystemName="", CoreMaxCalls="0", CoreMaxLoadAvg="0.000000",
                        CoreRunUser="asterisk", CoreRunGroup="asterisk", CoreMaxFilehandles="0",
                        CoreRealTimeEnabled="No", CoreCDRenabled="Yes", CoreHTTPenabled="Yes")
        elif name in STATE_ACTIONS and self.states is not None:
            self._state_action(client, action, name)
        elif name in ("blindtransfer", "atxfer", "hangup"):
            act = {"blindtransfer": self.transfers.blind, "atxfer": self.transfers.attended,
                   "hangup": self.transfers.hangup}[name]
            self._reply(client, action, **act(action))
        else:
            self._reply(client, action, Response="Error", Message="Invalid/unknown command")
        if self._drop_after is not None and name == self._drop_after[0]:
            then, self._drop_after = self._drop_after[1], None
            await client.writer.drain()  # the answer is on the wire: the link goes right after it
            self.drop_connections()
            if then is not None:
                then()
            return False
        return True

    def drop_after(self, action, then=None):
        """Once: drop every connection right after answering the next
        ``action`` (its name), then call ``then()`` (the PBX goes away in the
        middle of a bridge's resync)."""
        self._drop_after = (action.lower(), then)

    def _state_action(self, client, action, name):
        reply, events, items = self.states.action(name, action)
        self._reply(client, action, **reply)
        extra = {"ActionID": action["ActionID"]} if action.get("ActionID") else {}
        for item in items:
            client.writer.write(render({"Event": item.pop("Event"), **extra, **item}))
        for event in self.states.stamp(events):
            self.send_event(event)

    def _originate(self, client, action):
        channel = action.get("Channel") or ""
        if not channel:
            self._reply(client, action, Response="Error", Message="Channel not specified")
            return
        tech, _, rest = channel.partition("/")
        ext = rest.split("@", 1)[0]
        exten = action.get("Exten") or ""
        if not exten and not action.get("Application"):
            self._reply(client, action, Response="Error", Message="Exten not specified")
            return
        self._reply(client, action, Message="Originate successfully queued")
        action_id = action.get("ActionID")
        variables = {}
        for line in (action.get("Variable") or "").replace(",", "\n").split("\n"):
            key, sep, value = line.partition("=")
            if sep and key.strip():
                variables[key.strip()] = value.strip()
        if tech not in ("PJSIP", "SIP", "Local") or ext not in self.extensions:
            failure = {"Event": "OriginateResponse", "Privilege": "call,all", "Timestamp": ""}
            if action_id:
                failure["ActionID"] = action_id
            failure.update({"Response": "Failure", "Channel": channel, "Context": action.get("Context", ""),
                            "Exten": exten, "Application": action.get("Application", ""),
                            "Data": action.get("Data", ""), "Reason": "0", "Uniqueid": "<null>",
                            "CallerIDNum": "<unknown>", "CallerIDName": "<unknown>"})
            self._spawn(self._later(failure))
            return
        script = self.factory.build("click_to_call", extension=ext, number=exten or "s", local=tech == "Local",
                                    action_id=action_id, variables=variables,
                                    fail_reason=self.failing.get(ext))
        self.play_script(script)

    async def _later(self, event, delay=0.01):
        await asyncio.sleep(delay)
        self.send_event(event)

    def _list_channels(self, client, action, name):
        per_item, complete = ("CoreShowChannel", "CoreShowChannelsComplete") if name == "coreshowchannels" \
            else ("Status", "StatusComplete")
        self._reply(client, action, EventList="start", Message="Channels will follow"
                    if name == "coreshowchannels" else "Channel status will follow")
        extra = {"ActionID": action["ActionID"]} if action.get("ActionID") else {}
        now = time.time()
        items = 0
        for chan in self._live.values():
            event = {"Event": per_item, **extra}
            event.update({k: v for k, v in chan.items() if k != "created"})
            event.setdefault("Application", "Dial")
            event.setdefault("ApplicationData", "")
            seconds = int(now - chan["created"])
            event["Duration"] = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
            event.setdefault("BridgeId", "")
            client.writer.write(render(event))
            items += 1
        done = {"Event": complete, **extra, "EventList": "Complete", "ListItems": str(items)}
        if name == "status":
            done["Items"] = str(items)
        client.writer.write(render(done))


_ID_SUFFIXES = ("Uniqueid", "Linkedid")


def _chan_of_live(live):
    """A script channel of what the live channel list knows of it."""
    chan = _Chan(live.get("Uniqueid", ""), live.get("Channel", ""), live.get("Linkedid"), live.get("Context", ""),
                 live.get("Exten", ""), _known(live.get("CallerIDNum")), _known(live.get("CallerIDName")))
    chan.state = int(live.get("ChannelState") or 0)
    chan.conn_num, chan.conn_name = _known(live.get("ConnectedLineNum")), _known(live.get("ConnectedLineName"))
    chan.priority = int(live.get("Priority") or 1)
    chan.bridge = live.get("BridgeId") or None
    return chan


def _known(value):
    return "" if value in (None, "<unknown>") else value


def _rewrite_ids(event, round_no):
    out = {}
    for key, value in event.items():
        if key.endswith(_ID_SUFFIXES) and value and not value.startswith("<"):
            value = f"{value}-r{round_no}"
        out[key] = value
    return out


class SimulatorThread:
    """:class:`AmiSimulator` in a daemon thread with its own event loop, for
    synchronous code. ``start()`` returns the port; ``run(fn)`` runs
    ``fn(simulator)`` (a plain function or a coroutine function) on the loop.
    Subclasses serve another simulator class (``simulator_class``)."""

    simulator_class = AmiSimulator
    label = "AMI simulator"

    def __init__(self, **kwargs):
        self.kwargs = kwargs
        self.loop = None
        self.simulator = None
        self._thread = None

    def start(self, timeout=5.0):
        ready = threading.Event()
        failure = []

        def main():
            self.loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self.loop)
            try:
                self.simulator = self.simulator_class(**self.kwargs)
                self.loop.run_until_complete(self.simulator.start())
            except Exception as error:  # reported to the starting thread
                failure.append(error)
                ready.set()
                return
            ready.set()
            self.loop.run_forever()
            self.loop.run_until_complete(self.simulator.stop())
            self.loop.close()

        self._thread = threading.Thread(target=main, name=self.label.lower().replace(" ", "-"), daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise TimeoutError(f"{self.label} did not start")
        if failure:
            raise failure[0]
        return self.simulator.port

    @property
    def port(self):
        return self.simulator.port

    def run(self, fn, timeout=10.0):
        async def wrapper():
            result = fn(self.simulator)
            # a coroutine, a task (``played.done``) or a gathering of tasks: what the caller waits for
            if inspect.isawaitable(result):
                result = await result
            return result
        return asyncio.run_coroutine_threadsafe(wrapper(), self.loop).result(timeout)

    def stop(self, timeout=5.0):
        if self.loop is not None and self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout)


def command_line(prog, description, default_user, replay_help):
    """The options both simulators' commands take."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", default=default_user)
    parser.add_argument("--secret", default="secret")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--replay", metavar="FILE", help=replay_help)
    mode.add_argument("--traffic", action="store_true", help="generated calls")
    parser.add_argument("--speed", type=float, default=10.0, help="replay: events per second (0 = no wait)")
    parser.add_argument("--loop", action="store_true", help="replay: over and over (new ids each time)")
    parser.add_argument("--calls-per-minute", type=float, default=6.0)
    parser.add_argument("--extensions", default="201,202,203,204")
    parser.add_argument("--trunk", default="k2-trunk")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--duration", type=float, default=None, help="traffic: seconds of calls to start")
    parser.add_argument("--overlapping", action="store_true",
                        help="traffic: ring an extension while it is in a call (load tests); without it each "
                        "extension takes one call at a time and a queue call rings free, unpaused members only")
    return parser


def serve(make_simulator, args):
    """Run the simulator ``make_simulator(args, extensions)`` builds until
    SIGINT or SIGTERM: replaying a file or playing generated traffic; SIGUSR1
    drops every connection, SIGUSR2 stops and resumes answering."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    extensions = [e.strip() for e in args.extensions.split(",") if e.strip()]

    async def run():
        sim = make_simulator(args, extensions)
        await sim.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)

        def drop():
            _logger.info("SIGUSR1: dropping every connection")
            sim.drop_connections()

        def toggle_silence():
            sim.stop_answering_pings(not sim._silent)
            _logger.info("SIGUSR2: %s", "silent (half-open link)" if sim._silent else "answering again")

        # Faults on demand for demos and manual tests: kill -USR1 / -USR2 <pid>.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGUSR1, drop)
            loop.add_signal_handler(signal.SIGUSR2, toggle_silence)
        if args.replay:
            _logger.info("waiting for a client before replaying %s", args.replay)
            await sim.wait_clients(1, timeout=None)
            job = loop.create_task(sim.replay(args.replay, args.speed, args.loop))
        else:
            job = loop.create_task(sim.traffic(args.calls_per_minute, args.duration, args.seed,
                                               one_call_each=not args.overlapping))
        await stop.wait()
        job.cancel()
        await sim.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
    return 0


def main(argv=None):
    parser = command_line("python -m k2_contact_center.services.ami.simulator", "Asterisk AMI simulator", "admin",
                          "recorded .ami file to send")
    parser.add_argument("--states", action="store_true",
                        help="keep device states and the members of queue 'support' (QueueStatus, QueueAdd, "
                        "QueuePause, QueueRemove, DeviceStateList, ExtensionStateList)")
    parser.add_argument("--cdr-dsn", metavar="URL",
                        help="write CDR rows as Asterisk does into this table: postgresql://user:password@host:port/"
                        "database?table=cdr or mysql://... (&tz=Europe/Prague: the zone of its naive times)")
    args = parser.parse_args(argv)
    cdr = cdr_service.parse_dsn(args.cdr_dsn) if args.cdr_dsn else None
    if cdr is not None:
        cdr_service.create_table(cdr)
    return serve(lambda args, extensions: AmiSimulator(args.host, args.port, args.user, args.secret,
                                                       extensions=extensions, trunk=args.trunk, seed=args.seed,
                                                       time_scale=1.0, states=args.states, cdr=cdr), args)


if __name__ == "__main__":
    raise SystemExit(main())
