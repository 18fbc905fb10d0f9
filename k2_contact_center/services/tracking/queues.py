"""Queue facts of each call from Asterisk's ``app_queue`` events: the queues it
entered, how long it waited, who answered, who rang in vain and how it left.

Pure Python: no ``odoo`` import, no I/O. The call tracker feeds it the queue
events it sees and asks it for the facts of a call's channels when the call
is reported, so records and live updates carry them.

Events read (Asterisk 12 and later): ``QueueCallerJoin``,
``QueueCallerLeave``, ``QueueCallerAbandon``, ``AgentCalled``,
``AgentRingNoAnswer``, ``AgentConnect``, ``AgentComplete``, and ``VarSet`` of
``QUEUESTATUS`` (``read = dialplan``), which says why a caller left unanswered.

A visit's ``outcome``: ``answered`` (an agent connected), ``abandoned`` (the
caller hung up while waiting), ``timeout`` (the queue's time ran out),
``full``, ``empty`` (no agent could take calls: Asterisk's JOINEMPTY,
LEAVEEMPTY, JOINUNAVAIL, LEAVEUNAVAIL), ``exit`` (left unanswered, Asterisk
said no more: the caller pressed a key, or the dialplan moved on), or ``None``
while the caller still waits. ``wait_seconds`` runs from joining to the
agent's answer or to leaving; without real event times it is Asterisk's own
``HoldTime``.
"""

import logging
from datetime import datetime, timezone

_logger = logging.getLogger(__name__)

OUTCOMES = ("answered", "abandoned", "timeout", "full", "empty", "exit")
_QUEUESTATUS = {
    "TIMEOUT": "timeout", "FULL": "full", "JOINEMPTY": "empty", "LEAVEEMPTY": "empty",
    "JOINUNAVAIL": "empty", "LEAVEUNAVAIL": "empty", "CONTINUE": "exit",
}
# A wait longer than a day is a PBX clock or a replayed stream talking, not a caller.
MAX_WAIT = 86400.0
EVENTS = frozenset({"QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon", "AgentCalled",
                    "AgentRingNoAnswer", "AgentConnect", "AgentComplete", "VarSet"})


def _iso(ts):
    return None if ts is None else datetime.fromtimestamp(ts, timezone.utc).isoformat()


def _seconds(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class QueueVisit:
    """One stay of a caller in one queue."""

    __slots__ = ("queue", "joined", "position", "left", "connected", "abandoned", "outcome", "status", "hold_time",
                 "agent", "called", "rang_no_answer")

    def __init__(self, queue, joined=None, position=None):
        self.queue = queue
        self.joined = joined
        self.position = position
        self.left = None
        self.connected = None
        self.abandoned = None
        self.outcome = None  # "answered" | "abandoned" once Asterisk says so
        self.status = None  # QUEUESTATUS of an unanswered exit
        self.hold_time = None  # Asterisk's HoldTime (seconds) of the answer or abandon
        self.agent = None
        self.called = []
        self.rang_no_answer = []

    @property
    def waiting(self):
        return self.left is None and self.outcome is None

    def final_outcome(self):
        if self.outcome:
            return self.outcome
        if self.left is None:
            return None
        return _QUEUESTATUS.get(self.status, "exit")

    def wait(self, real):
        """Seconds waited, or None when not known (yet, or not believably)."""
        end = next((ts for ts in (self.connected, self.abandoned, self.left) if ts is not None), None)
        if real and self.joined is not None and end is not None:
            return end - self.joined
        return self.hold_time

    def as_dict(self, real):
        wait = self.wait(real)
        return {
            "queue": self.queue,
            "joined": _iso(self.joined) if real else None,
            "position": self.position,
            "outcome": self.final_outcome(),
            "wait_seconds": None if wait is None else round(wait, 3),
            "agent": self.agent,
            "rang_no_answer": list(self.rang_no_answer),
        }


class QueueTracker:
    """The queue visits of callers, by the caller channel's ``Uniqueid``.

    ``name_agent(dest_uniqueid, interface)`` names an agent (the call tracker
    passes one that gives the extension of the phone behind a channel)."""

    def __init__(self, name_agent=None):
        self._name_agent = name_agent or (lambda _uid, interface: interface)
        self._visits = {}  # caller uid -> [QueueVisit], in join order
        self.problems = {}  # kind -> count, each logged when first seen for a caller
        self._outage = False

    # -- feeding ------------------------------------------------------------
    def feed(self, event, ts, outage=False):
        """Take one event (any: others are ignored); return the caller's
        ``Uniqueid`` when it changed that caller's queue facts. ``outage``:
        the caller's call went through a link outage or was taken up in
        progress, so its joining may have come while the bridge saw nothing."""
        name = event.get("Event")
        if name not in EVENTS:
            return None
        self._outage = outage
        uid = event.get("Uniqueid")
        if not uid:
            return None
        if name == "VarSet":
            return self._on_varset(event, uid)
        queue = (event.get("Queue") or "").strip()
        if not queue:
            self._problem("queue event without a queue name", uid, event)
            return None
        return getattr(self, f"_on_{name}")(event, uid, queue, ts)

    def _problem(self, kind, uid, event):
        self.problems[kind] = self.problems.get(kind, 0) + 1
        _logger.warning("Queue facts: %s (%s of caller %s in %r); the call is still recorded",
                        kind, event.get("Event"), uid, event.get("Queue"))

    def _open(self, uid, queue):
        for visit in reversed(self._visits.get(uid, ())):
            if visit.queue == queue and visit.waiting:
                return visit
        return None

    def _last(self, uid, queue):
        for visit in reversed(self._visits.get(uid, ())):
            if visit.queue == queue:
                return visit
        return None

    def _visit(self, uid, queue, event, ts=None):
        """The caller's open visit of ``queue``, or its last one, or a new one
        (queue events of a caller whose joining was not seen)."""
        visit = self._open(uid, queue) or self._last(uid, queue)
        if visit is None:
            if not self._outage:
                self._problem("caller seen in a queue it was not seen joining", uid, event)
            position = event.get("OriginalPosition") or event.get("Position")
            visit = QueueVisit(queue, None, int(position) if str(position or "").isdigit() else None)
            self._visits.setdefault(uid, []).append(visit)
        return visit

    def _agent(self, event):
        return self._name_agent(event.get("DestUniqueid"), event.get("Interface") or event.get("MemberName"))

    def _on_QueueCallerJoin(self, event, uid, queue, ts):  # noqa: N802 - Asterisk's event names
        if self._open(uid, queue) is not None:
            return None  # the same join twice
        position = event.get("Position")
        visit = QueueVisit(queue, ts, int(position) if str(position or "").isdigit() else None)
        self._visits.setdefault(uid, []).append(visit)
        return uid

    def _on_QueueCallerLeave(self, event, uid, queue, ts):  # noqa: N802
        visit = self._open(uid, queue)
        if visit is None:
            last = self._last(uid, queue)
            if last is not None and last.left is not None:
                self._problem("caller left a queue twice", uid, event)
                return None
            visit = self._visit(uid, queue, event)
        if visit.left is None:
            visit.left = ts
        return uid

    def _on_QueueCallerAbandon(self, event, uid, queue, ts):  # noqa: N802
        visit = self._visit(uid, queue, event)
        if visit.outcome == "answered":
            return None
        visit.outcome = "abandoned"
        visit.abandoned = ts
        hold = _seconds(event.get("HoldTime"))
        if hold is not None:
            visit.hold_time = hold
        return uid

    def _on_AgentCalled(self, event, uid, queue, ts):  # noqa: N802
        visit = self._visit(uid, queue, event)
        agent = self._agent(event)
        if agent and agent not in visit.called:
            visit.called.append(agent)
        return None

    def _on_AgentRingNoAnswer(self, event, uid, queue, ts):  # noqa: N802
        visit = self._visit(uid, queue, event)
        agent = self._agent(event)
        if agent and agent not in visit.rang_no_answer:
            visit.rang_no_answer.append(agent)
        return uid

    def _on_AgentConnect(self, event, uid, queue, ts):  # noqa: N802
        visit = self._visit(uid, queue, event)
        if visit.outcome == "answered":
            return None
        visit.outcome = "answered"
        visit.connected = ts
        visit.agent = self._agent(event)
        hold = _seconds(event.get("HoldTime"))
        if hold is not None:
            visit.hold_time = hold
        return uid

    def _on_AgentComplete(self, event, uid, queue, ts):  # noqa: N802
        visit = self._visit(uid, queue, event)
        if visit.outcome != "answered":  # the connect was not seen: the agent did take it
            visit.outcome = "answered"
            visit.agent = visit.agent or self._agent(event)
            visit.hold_time = _seconds(event.get("HoldTime"))
        return None

    def _on_varset(self, event, uid):
        if (event.get("Variable") or "").upper() != "QUEUESTATUS":
            return None
        visits = self._visits.get(uid)
        if not visits:
            return None
        visits[-1].status = (event.get("Value") or "").strip().upper()
        return uid

    # -- reading ------------------------------------------------------------
    def visits(self, uids):
        """The visits of the callers ``uids`` (a call's channels), join order."""
        found = []
        for uid in uids:
            found.extend(self._visits.get(uid, ()))
        return sorted(found, key=lambda visit: (visit.joined is None, visit.joined or 0.0))

    def waiting(self, uids):
        """The visit the caller waits in now, or None."""
        return next((visit for visit in self.visits(uids) if visit.waiting), None)

    def forget(self, uids):
        for uid in uids:
            self._visits.pop(uid, None)

    def clear(self):
        self._visits.clear()

    def facts(self, uids, real, ring_seconds=None, call_id=None):
        """A call's queue facts: ``queues`` (every visit as a dict), ``queue``
        (the queue that answered it, else the last it waited in),
        ``queue_outcome`` and ``wait_seconds`` (over every visit; a call that
        reached no queue waited as long as it rang)."""
        visits = self.visits(uids)
        if not visits:
            return {"queue": None, "queue_outcome": None, "wait_seconds": ring_seconds, "queues": []}
        answered = [visit for visit in visits if visit.outcome == "answered"]
        main = answered[0] if answered else visits[-1]
        counted = visits[: visits.index(main) + 1]
        waits = [visit.wait(real) for visit in counted]
        if any(w is None for w in waits):
            wait = None
        else:
            wait = sum(waits)
            if wait < 0 or wait > MAX_WAIT:
                self.problems["unbelievable wait"] = self.problems.get("unbelievable wait", 0) + 1
                _logger.warning("Queue facts: call %s waited %.0f s in %s by the PBX's times: not counted",
                                call_id, wait, main.queue)
                wait = None
        return {"queue": main.queue, "queue_outcome": main.final_outcome(),
                "wait_seconds": None if wait is None else round(wait, 3),
                "queues": [visit.as_dict(real) for visit in visits]}
