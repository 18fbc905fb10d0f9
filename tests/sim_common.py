"""What the simulator and ARI tests share: the number plan of the simulators,
the ARI stream files with their expected records, comparing records, waiting
in sync code."""

import contextlib
import json
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from k2_contact_center.services.number_plan import NumberPlan
from k2_contact_center.services.tracking.calls import CallTracker

HERE = Path(__file__).resolve().parent
STREAMS = HERE / "ari_streams"
STREAM_EXPECTED = json.loads((STREAMS / "expected.json").read_text(encoding="utf-8"))
STREAM_PLAN = NumberPlan.from_dict(STREAM_EXPECTED["plan"])
PLAN = NumberPlan.from_dict({"extension_pattern": ["2XX", "6XX"], "trunks": ["k2-trunk"], "country": "CZ"})
COMPARED = ("direction", "disposition", "caller", "caller_name", "callee", "answered_by")
TIMES = ("start", "answer", "end")
# ARI has no queue events: these facts are AMI's only (see the README).
QUEUE_FACTS = ("queue", "queue_outcome", "wait_seconds", "queues")
# ARI timestamps carry milliseconds; AMI's carry microseconds.
TIME_TOLERANCE = 0.0015


def records_from(events, plan=PLAN):
    tracker = CallTracker(plan)
    records = {}
    for event in events:
        for item in tracker.feed(event):
            if item.kind == "record":
                records[item.data["call_id"]] = item.data
    return records


def mismatches(expected, records, queue_facts=True):
    """What differs between the simulator's expected calls and the records
    (``queue_facts=False`` over ARI, which has no queue events)."""
    problems = []
    for spec in expected:
        record = records.get(spec["call_id"])
        if record is None:
            problems.append((spec["kind"], spec["call_id"], "no record"))
            continue
        diff = {k: (spec[k], record[k]) for k in COMPARED if spec[k] != record[k]}
        diff.update({k: (spec[k], record.get(k)) for k in ("queue", "queue_outcome")
                     if queue_facts and k in spec and spec[k] != record.get(k)})
        kinds = [t["kind"] for t in record["transfers"]]
        if kinds != spec["transfers"]:
            diff["transfers"] = (spec["transfers"], kinds)
        if diff:
            problems.append((spec["kind"], spec["call_id"], diff))
    return problems


def _epoch(iso):
    return datetime.fromisoformat(iso).timestamp() if iso else None


def record_differences(first, second):
    """Keys on which two records of one call differ, times compared as offsets
    from the start (two plays of one script start at different moments) and
    to the precision of ARI timestamps."""
    diff = {}
    for key in first:
        if key in TIMES or key in QUEUE_FACTS:
            continue
        if key in ("ring_seconds", "talk_seconds") and first[key] is not None and second[key] is not None:
            if abs(first[key] - second[key]) > TIME_TOLERANCE:
                diff[key] = (first[key], second[key])
        elif first[key] != second[key]:
            diff[key] = (first[key], second[key])
    for key in ("answer", "end"):
        a, b = _epoch(first[key]), _epoch(second[key])
        if (a is None) != (b is None):
            diff[key] = (first[key], second[key])
        elif a is not None and abs((a - _epoch(first["start"])) - (b - _epoch(second["start"]))) > TIME_TOLERANCE:
            diff[key] = (first[key], second[key])
    return diff


def until(predicate, timeout=10.0, what="condition"):
    """Wait (polling) until ``predicate()`` is true; AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout:g}s")
        time.sleep(0.005)


class Recorder:
    """Callbacks of a connector: every event, every state, and the records of a
    call tracker fed from the connector's thread."""

    def __init__(self, plan=PLAN):
        self.tracker = CallTracker(plan)
        self.events = []
        self.states = []
        self.records = []
        self.threads = set()
        self._lock = threading.Lock()

    def on_event(self, event):
        self.threads.add(threading.current_thread().name)
        with self._lock:
            self.events.append(event)
            for item in self.tracker.feed(event):
                if item.kind == "record":
                    self.records.append(item.data)

    def on_state(self, state, detail):
        self.states.append((state, detail))

    def names(self):
        return [e.get("Event") for e in self.events]

    def by_id(self):
        return {record["call_id"]: record for record in self.records}


def ari_time(epoch, hours=1):
    """An ARI ``timestamp`` (``2024-03-01T10:15:02.345+0100``)."""
    moment = datetime.fromtimestamp(epoch, timezone(timedelta(hours=hours)))
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}" + moment.strftime("%z")


@contextlib.contextmanager
def simulator_command(module):
    """``python -m <module>`` (a simulator) with idle traffic on a free port;
    yields ``(process, port)`` and ends the process afterwards."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", module, "--port", str(port), "--user", "u", "--secret", "s",
                             "--traffic", "--calls-per-minute", "0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield proc, port
    finally:
        proc.terminate()
        proc.wait(5)
