"""What the wallboard shows of an agent, and how often it may be told.

Pure Python, no ``odoo`` import.
"""

import threading
import time

BUSY = frozenset({"ringing", "in_call", "on_hold"})


def agent_state(device_state, paused):
    """One word for an agent: their phone's state, or ``paused`` when they are
    paused in every queue they belong to (``paused`` a list of flags) and
    their phone is not busy. A lost link's ``unknown`` stays unknown."""
    if device_state in BUSY or device_state == "unknown":
        return device_state
    if paused and all(paused):
        return "paused"
    return device_state or "unknown"


class Pulse:
    """At most one ``send()`` every ``interval`` seconds, and none lost.

    :meth:`touch` says something changed and returns True when the caller
    sends now: the first change after a quiet spell goes at once (a ringing
    phone shows without delay); those that follow within ``interval`` are
    coalesced into one ``send()`` at its end, on a timer thread (the
    bridge's puts a note into its sink, thread-safe). At 40 calls a second a
    wallboard thus gets 1 / ``interval`` messages a second, each with the
    latest state."""

    def __init__(self, send, interval=0.5, clock=time.monotonic):
        self._send = send
        self.interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._last = None
        self._timer = None
        self.sent = 0

    def touch(self):
        with self._lock:
            if self._timer is not None:
                return False  # a send is already due: it will carry this change
            now = self._clock()
            wait = 0.0 if self._last is None else self._last + self.interval - now
            if wait > 0:
                self._timer = threading.Timer(wait, self._fire)
                self._timer.daemon = True
                self._timer.start()
                return False
            self._last = now
            self.sent += 1
            return True

    def _fire(self):
        with self._lock:
            self._timer = None
            self._last = self._clock()
            self.sent += 1
        self._send()

    def cancel(self):
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
