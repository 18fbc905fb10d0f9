"""Conformance of the call tracker with real Asterisk AMI recordings.

The recordings live outside the project (``<repo>/../shared/ami-traces`` or the
folder named by ``K2_AMI_TRACES``); their ``expected.json`` lists, per trace,
the number plan and the acceptable values of every call record.
"""

import itertools
import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from k2_contact_center.services.ami.frames import AmiFrameParser, read_ami_file
from k2_contact_center.services.number_plan import NumberPlan
from k2_contact_center.services.tracking.calls import RECORD_KEYS, CallTracker

REPO = Path(__file__).resolve().parent.parent
TRACES = Path(os.environ.get("K2_AMI_TRACES") or REPO.parent / "shared" / "ami-traces")
EXPECTED = TRACES / "expected.json"

# The traces' README: "Phones are SIP accounts (SIP/150010001 has extension 201,
# …002 202, …003 203)" and "a phone may be known by its extension or its SIP
# account". Nothing in a trace ties 150010003 to 203 when that phone only
# rang, so ``rang_includes`` accepts the SIP account for the extension.
ALIASES = {"201": "150010001", "202": "150010002", "203": "150010003"}


def _expected():
    if not EXPECTED.is_file():
        return {}
    return json.loads(EXPECTED.read_text(encoding="utf-8"))


EXPECTED_DATA = _expected()
TRACE_NAMES = sorted(EXPECTED_DATA) or ["<no traces>"]


BASE = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)


def _records(path, plan):
    """Records of a trace; event n is taken as received at BASE + n seconds."""
    tracker = CallTracker(plan)
    records = []
    for index, event in enumerate(read_ami_file(path)):
        for item in tracker.feed(event, BASE + timedelta(seconds=index)):
            if item.kind == "record":
                records.append(item.data)
    return records, tracker


def _problems(record, spec):
    """Why ``record`` does not fit ``spec`` (empty list: it fits)."""
    problems = []
    for key in ("direction",):
        if key in spec and record[key] != spec[key]:
            problems.append(f"{key}={record[key]!r} not {spec[key]!r}")
    for key in ("caller", "callee", "answered_by", "disposition"):
        if key in spec and record[key] not in spec[key]:
            problems.append(f"{key}={record[key]!r} not in {spec[key]!r}")
    if "answered" in spec:
        answered = record["disposition"] == "answered"
        if answered != spec["answered"]:
            problems.append(f"answered={answered} (disposition {record['disposition']!r})")
        if spec["answered"] and not record["answered_by"]:
            problems.append("answered without answered_by")
        if not spec["answered"] and record["answered_by"]:
            problems.append(f"not answered but answered_by={record['answered_by']!r}")
    for wanted in spec.get("rang_includes", ()):
        if wanted not in record["rang"] and ALIASES.get(wanted) not in record["rang"]:
            problems.append(f"rang={record['rang']!r} lacks {wanted!r}")
    return problems


def _match(records, calls):
    """A one-to-one assignment of records to expected calls, or the problems."""
    best = None
    for order in itertools.permutations(range(len(records))):
        problems = []
        for call_index, record_index in enumerate(order):
            for problem in _problems(records[record_index], calls[call_index]):
                problems.append(f"call #{call_index}: {problem}")
        if not problems:
            return []
        if best is None or len(problems) < len(best):
            best = problems
    return best or []


@pytest.mark.parametrize("trace", TRACE_NAMES)
def test_trace_conformance(trace):
    if not EXPECTED_DATA:
        pytest.skip(f"AMI traces not found in {TRACES} (set K2_AMI_TRACES to their folder)")
    spec = EXPECTED_DATA[trace]
    plan = NumberPlan.from_dict(spec["plan"])
    records, tracker = _records(TRACES / trace, plan)

    for record in records:
        assert tuple(record) == RECORD_KEYS
        assert record["call_id"]
        assert record["start"] and record["end"]
    assert len(records) == len(spec["calls"]), records
    problems = _match(records, spec["calls"])
    assert not problems, "\n".join(problems + [json.dumps(r, ensure_ascii=False) for r in records])
    if "transfers" in spec:
        kinds = sorted(t["kind"] for record in records for t in record["transfers"])
        assert kinds == sorted(spec["transfers"])
    else:
        assert all(not record["transfers"] for record in records)
    # a whole trace leaves nothing behind: memory stays bounded
    assert tracker.open_calls() == []
    assert not tracker._channels


@pytest.mark.parametrize("trace", TRACE_NAMES)
def test_trace_survives_any_chunking_and_duplication(trace):
    """Same records whether the bytes come in 7-byte chunks and every event twice."""
    if not EXPECTED_DATA:
        pytest.skip(f"AMI traces not found in {TRACES} (set K2_AMI_TRACES to their folder)")
    plan = NumberPlan.from_dict(EXPECTED_DATA[trace]["plan"])
    reference, _ = _records(TRACES / trace, plan)
    data = (TRACES / trace).read_bytes()
    parser = AmiFrameParser()
    events = []
    for start in range(0, len(data), 7):
        events.extend(parser.feed(data[start:start + 7]))
    events.extend(parser.flush())
    tracker = CallTracker(plan)
    records = []
    for index, event in enumerate(events):
        for _ in range(2):
            emitted = tracker.feed(dict(event), BASE + timedelta(seconds=index))
            records.extend(i.data for i in emitted if i.kind == "record")
    assert records == reference
    assert len(reference) == len(EXPECTED_DATA[trace]["calls"])


def test_goami2_trace_has_merged_events():
    """The goami2 recording holds two events without a blank line between."""
    path = TRACES / "goami2_chansip_call_via_peer_answered.ami"
    if not path.is_file():
        pytest.skip(f"AMI traces not found in {TRACES}")
    parser = AmiFrameParser()
    events = read_ami_file(path, parser=parser)
    assert parser.errors["merged_events"] == 1
    assert sum(1 for e in events if e.get("Event") == "DialBegin") == 1
