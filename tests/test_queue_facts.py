"""Queue facts (services.tracking.queues) as the call tracker reports them:
the queue a call entered, its wait, who answered, who rang in vain, how it
left; from real traces, the project's fixtures, the simulator and bad input."""

import logging
from pathlib import Path

import pytest
from sim_common import PLAN, records_from

from k2_contact_center.services.ami.frames import read_ami_file
from k2_contact_center.services.ami.simulator import CallFactory
from k2_contact_center.services.number_plan import NumberPlan
from k2_contact_center.services.tracking.calls import CallTracker

HERE = Path(__file__).resolve().parent
TRACES = HERE.parents[1] / "shared" / "ami-traces"
NL = NumberPlan.from_dict({"extension_pattern": "XXX", "trunks": ["voipgrid-siproute-docker"], "country": "NL"})


def records(events, plan=PLAN):
    return list(records_from(events, plan).values())


def block(name, uid="1.1", ts=None, **headers):
    event = {"Event": name, "Uniqueid": uid, "Linkedid": uid, "Channel": "PJSIP/k2-trunk-00000001",
             "CallerIDNum": "+420601123456", **headers}
    if ts is not None:
        event["Timestamp"] = f"{ts:.6f}"
    return event


def test_a_queue_call_answered_by_the_second_agent_rung():
    record, = records(read_ami_file(HERE / "fixtures" / "ami" / "queue_two_agents_one_answers.ami"))
    assert (record["queue"], record["queue_outcome"]) == ("support", "answered")
    visit, = record["queues"]
    assert visit["agent"] == record["answered_by"]
    assert visit["rang_no_answer"] and record["answered_by"] not in visit["rang_no_answer"]
    assert visit["position"] == 1
    # joined at .3, the agent connected later: the wait is measured by the PBX's clock
    assert 0 < record["wait_seconds"] <= record["ring_seconds"]


@pytest.mark.skipif(not TRACES.is_dir(), reason=f"{TRACES} is absent (the shared real AMI traces)")
def test_the_real_abandoned_queue_call_gives_queue_outcome_and_hold_time():
    record, = records(read_ami_file(TRACES / "caco_queue_caller_abandons.ami"), NL)
    assert record["disposition"] == "cancelled"
    assert (record["queue"], record["queue_outcome"]) == ("670100-540100", "abandoned")
    # the trace has no Timestamp headers: the wait is Asterisk's HoldTime
    assert record["wait_seconds"] == 11
    assert record["queues"][0]["position"] == 1


@pytest.mark.skipif(not TRACES.is_dir(), reason=f"{TRACES} is absent (the shared real AMI traces)")
@pytest.mark.parametrize("trace", ["caco_queue_incoming_answered.ami", "caco_queue_answered_then_blind_transfer.ami",
                                   "caco_queue_answered_then_attended_transfer.ami"])
def test_real_queues_without_app_queue_events_report_no_queue(trace):
    """VoIPGRID routes these "queues" in its own dialplan: Asterisk sends no
    queue event, so no queue is made up; the wait is the ring time."""
    found = records(read_ami_file(TRACES / trace), NL)
    assert found and all(r["queue"] is None and r["queues"] == [] for r in found)
    assert all(r["wait_seconds"] == r["ring_seconds"] for r in found)


@pytest.mark.parametrize("outcome, disposition", [("answered", "answered"), ("abandoned", "cancelled"),
                                                  ("timeout", "no_answer")])
def test_simulated_queue_calls_report_how_they_left(outcome, disposition):
    script = CallFactory(extensions=("201", "202")).build(
        "queue", outcome=outcome, wait=30.0, agents=["201", "202"])
    record, = records(script.stamped(1_700_000_000.0))
    assert (record["queue"], record["queue_outcome"], record["disposition"]) == ("support", outcome, disposition)
    assert record["wait_seconds"] == pytest.approx(30.0, abs=0.1)
    if outcome == "timeout":
        assert sorted(record["queues"][0]["rang_no_answer"]) == ["201", "202"]


def test_a_call_that_reached_no_queue_waited_as_long_as_it_rang():
    script = CallFactory(extensions=("201", "202")).build("inbound_answered", ring=7.0)
    record, = records(script.stamped(1_700_000_000.0))
    assert record["queue"] is None and record["queues"] == []
    assert record["wait_seconds"] == record["ring_seconds"] == pytest.approx(7.0, abs=0.1)


def test_a_waiting_caller_is_live_with_its_queue():
    tracker = CallTracker(PLAN)
    tracker.feed(block("Newchannel", ts=100.0, Exten="600"))
    live = tracker.feed(block("QueueCallerJoin", ts=101.0, Queue="support", Position="2", Count="2"))
    assert live[-1].data["state"] == "waiting"
    assert live[-1].data["queue"] == "support" and live[-1].data["waiting_since"].startswith("1970-01-01T00:01:41")


def test_bad_queue_input_is_logged_and_the_call_still_recorded(caplog):
    tracker = CallTracker(PLAN)
    with caplog.at_level(logging.WARNING, "k2_contact_center.services.tracking.queues"):
        out = []
        # a call first seen in the queue (its Newchannel was missed), left twice,
        # an abandon without HoldTime, a wait the PBX's clock makes negative
        out += tracker.feed(block("QueueCallerJoin", ts=200.0, Queue="support", Position="1"))
        out += tracker.feed(block("QueueCallerAbandon", ts=150.0, Queue="support", Position="1"))
        out += tracker.feed(block("QueueCallerLeave", ts=150.0, Queue="support"))
        out += tracker.feed(block("QueueCallerLeave", ts=151.0, Queue="support"))
        out += tracker.feed(block("Hangup", ts=152.0, Cause="16"))
        out += tracker.feed(block("AgentComplete", ts=153.0, Queue="support"))  # after the end: not a new call
    record, = [item.data for item in out if item.kind == "record"]
    assert (record["queue"], record["queue_outcome"], record["disposition"]) == ("support", "abandoned", "cancelled")
    assert record["wait_seconds"] is None  # negative: not counted
    assert "left a queue twice" in caplog.text and "not counted" in caplog.text
    assert tracker.queues.problems == {"caller left a queue twice": 1, "unbelievable wait": 1}
    assert not tracker.open_calls() and not tracker.queues.visits(["1.1"])


def test_a_queue_renamed_on_the_pbx_is_just_another_queue():
    tracker = CallTracker(PLAN)
    out = []
    for name, uid in (("support", "2.1"), ("helpdesk", "2.2")):
        out += tracker.feed(block("Newchannel", uid=uid, ts=10.0))
        out += tracker.feed(block("QueueCallerJoin", uid=uid, ts=11.0, Queue=name, Position="1"))
        out += tracker.feed(block("QueueCallerAbandon", uid=uid, ts=14.0, Queue=name, HoldTime="3"))
        out += tracker.feed(block("Hangup", uid=uid, ts=14.0))
    done = {item.data["call_id"]: item.data for item in out if item.kind == "record"}
    assert (done["2.1"]["queue"], done["2.2"]["queue"]) == ("support", "helpdesk")
    assert done["2.2"]["wait_seconds"] == 3.0
