"""Call tracker on hand-written Asterisk 16+/PJSIP fixtures (tests/fixtures/ami),
written from the Asterisk AMI event documentation, with Timestamp headers."""

import json
import random
from datetime import datetime, timezone
from pathlib import Path

import pytest

from k2_contact_center.services.ami.frames import read_ami_file
from k2_contact_center.services.number_plan import NumberPlan
from k2_contact_center.services.tracking.calls import RECORD_KEYS, CallTracker, Emitted

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ami"
PLAN = NumberPlan.from_dict({"extension_pattern": ["2XX", "6XX"], "trunks": ["k2-trunk"], "country": "CZ"})

EXPECTED = {
    "pjsip_inbound_trunk_answered.ami": [{
        "direction": "inbound", "disposition": "answered", "caller": "+420601123456",
        "caller_name": "Antonín Dvořák", "callee": "+420221122201", "answered_by": "201",
        "rang": ["201"], "transfers": [], "start": "2023-11-14T22:13:20+00:00",
        "answer": "2023-11-14T22:13:28.250000+00:00", "end": "2023-11-14T22:14:28.250000+00:00",
        "ring_seconds": 8.25, "talk_seconds": 60.0,
    }],
    "queue_two_agents_one_answers.ami": [{
        "direction": "inbound", "disposition": "answered", "caller": "+420777000111",
        "caller_name": "Eva Svobodová", "callee": "+420221122200", "answered_by": "202",
        "rang": ["201", "202"], "transfers": [], "ring_seconds": 5.6, "talk_seconds": 42.0,
    }],
    "ringgroup_local_optimization.ami": [{
        "direction": "internal", "disposition": "answered", "caller": "201",
        "caller_name": "Jana Nováková", "callee": "600", "answered_by": "203",
        "rang": ["202", "203"], "transfers": [], "ring_seconds": 4.46, "talk_seconds": 30.1,
    }],
    "outbound_busy.ami": [{
        "direction": "outbound", "disposition": "busy", "caller": "201", "callee": "+420601123456",
        "answered_by": None, "answer": None, "ring_seconds": 3.55, "talk_seconds": 0.0,
    }],
    "pickup_event.ami": [{
        "direction": "internal", "disposition": "answered", "caller": "201", "callee": "202",
        "answered_by": "203", "rang": ["202"], "ring_seconds": 3.31, "talk_seconds": 20.0,
    }],
    "originate_click_to_call.ami": [{
        "direction": "outbound", "disposition": "answered", "caller": "201",
        "callee": "+420601123456", "answered_by": "+420601123456", "talk_seconds": 90.0,
    }],
}


def run(events, tracker=None, received_at=None):
    tracker = tracker or CallTracker(PLAN)
    emitted = []
    for event in events:
        emitted.extend(tracker.feed(event, received_at))
    return emitted, tracker


def records_of(emitted):
    return [item.data for item in emitted if item.kind == "record"]


def events_of(name):
    return read_ami_file(FIXTURES / name)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_records(name):
    emitted, tracker = run(events_of(name))
    records = records_of(emitted)
    assert len(records) == len(EXPECTED[name])
    for record, expected in zip(records, EXPECTED[name], strict=True):
        assert tuple(record) == RECORD_KEYS
        for key, value in expected.items():
            assert record[key] == value, (key, record)
        assert record["call_id"]
    assert tracker.open_calls() == []
    assert not tracker._channels and not tracker._calls


def test_all_fixtures_are_checked():
    assert sorted(p.name for p in FIXTURES.glob("*.ami")) == sorted(EXPECTED)


def test_live_updates_ring_then_talk():
    emitted, _ = run(events_of("queue_two_agents_one_answers.ami"))
    live = [item.data for item in emitted if item.kind == "live"]
    assert live, "no live update"
    assert all(isinstance(item, Emitted) for item in emitted)
    ringing = [u for u in live if u["state"] == "ringing"]
    assert ringing[-1]["ringing"] == ["201", "202"]
    assert ringing[-1]["caller"] == "+420777000111" and ringing[-1]["direction"] == "inbound"
    talking = [u for u in live if u["state"] == "talking"]
    assert talking and talking[0]["answered_by"] == "202"
    assert live.index(talking[0]) > live.index(ringing[-1])
    assert emitted[-1].kind == "record"
    # the answer as the PBX told it, not as late as a writer gets to the update
    assert talking[0]["answer"] == emitted[-1].data["answer"] is not None
    assert all(update["answer"] is None for update in ringing)
    # no update repeats the previous one
    for before, after in zip(live, live[1:], strict=False):
        assert before != after
    assert set(live[0]) == {"call_id", "start", "state", "direction", "caller", "caller_name",
                            "callee", "ringing", "answered_by", "queue", "waiting_since", "answer", "transfers",
                            "adopted"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_duplicated_events_are_idempotent(name):
    events = events_of(name)
    single = records_of(run(events)[0])
    doubled = [copy for event in events for copy in (dict(event), dict(event))]
    assert records_of(run(doubled)[0]) == single
    # duplicates coming late (after the call ended) create no ghost call
    late = events + [dict(e) for e in events[-5:]]
    assert records_of(run(late)[0]) == single


def test_unknown_and_garbage_events_are_ignored():
    events = events_of("pjsip_inbound_trunk_answered.ami")
    single = records_of(run(events)[0])
    noisy = []
    rng = random.Random(7)
    for event in events:
        noisy.append(event)
        noisy.append({"Event": "TotallyNew" + str(rng.randint(0, 9)), "Uniqueid": event.get("Uniqueid", "")})
        noisy.append({"Response": "Success", "ActionID": "1"})
        noisy.append({})
    noisy.append({"Event": "Hangup", "Uniqueid": "nobody"})
    noisy.append({"Event": "DialEnd", "DestUniqueid": "nobody", "DialStatus": "ANSWER"})
    noisy.append("not a dict")
    assert records_of(run(noisy)[0]) == single
    assert single[0]["caller_name"] == "Antonín Dvořák"


def test_received_at_used_without_timestamp_headers():
    events = [{k: v for k, v in e.items() if k != "Timestamp"}
              for e in events_of("outbound_busy.ami")]
    at = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    record = records_of(run(events, received_at=at)[0])[0]
    assert record["start"] == record["end"] == "2024-01-02T03:04:05+00:00"
    assert record["ring_seconds"] == 0.0
    # no timestamps at all: durations are unknown
    record = records_of(run(events)[0])[0]
    assert record["ring_seconds"] is None and record["talk_seconds"] is None
    assert record["disposition"] == "busy"


def test_close_all_when_link_is_lost():
    events = events_of("pjsip_inbound_trunk_answered.ami")
    cut = next(i for i, e in enumerate(events) if e.get("Event") == "BridgeLeave")
    emitted, tracker = run(events[:cut])
    assert records_of(emitted) == []
    open_calls = tracker.open_calls()
    assert len(open_calls) == 1 and open_calls[0]["state"] == "talking"
    at = datetime(2023, 11, 14, 22, 15, 0, tzinfo=timezone.utc)
    records = tracker.close_all(at)
    assert len(records) == 1
    assert records[0]["end"] == "2023-11-14T22:15:00+00:00"
    assert records[0]["disposition"] == "answered"
    assert tracker.open_calls() == [] and not tracker._channels


def test_learns_extension_of_sip_account():
    """A phone known as SIP account 150010002 that called out as 202."""
    plan = NumberPlan.from_dict({"extension_pattern": "XXX"})
    tracker = CallTracker(plan, endpoints={"150010003": "203"})
    events = [
        {"Event": "Newchannel", "Channel": "SIP/150010002-1", "Uniqueid": "a.1", "Linkedid": "a.1",
         "CallerIDNum": "202", "CallerIDName": "Bob", "Exten": "203"},
        {"Event": "Newchannel", "Channel": "SIP/150010003-2", "Uniqueid": "a.2", "Linkedid": "a.1",
         "Exten": "s"},
        {"Event": "DialBegin", "Channel": "SIP/150010002-1", "Uniqueid": "a.1", "Linkedid": "a.1",
         "DestChannel": "SIP/150010003-2", "DestUniqueid": "a.2", "DestLinkedid": "a.1"},
        {"Event": "DialEnd", "Channel": "SIP/150010002-1", "Uniqueid": "a.1",
         "DestChannel": "SIP/150010003-2", "DestUniqueid": "a.2", "DialStatus": "NOANSWER"},
        {"Event": "Hangup", "Uniqueid": "a.2", "Cause": "19"},
        {"Event": "Hangup", "Uniqueid": "a.1", "Cause": "19"},
    ]
    record = records_of(run(events, tracker)[0])[0]
    assert record["caller"] == "202" and record["rang"] == ["203"]
    assert record["disposition"] == "no_answer" and record["direction"] == "internal"


def test_many_calls_leave_no_state_behind():
    """Memory stays bounded: thousands of finished calls leave no channel behind."""
    base = [events_of(name) for name in sorted(EXPECTED)]
    keys = ("Uniqueid", "Linkedid", "DestUniqueid", "DestLinkedid", "TargetUniqueid",
            "LocalOneUniqueid", "LocalTwoUniqueid")
    stream = []
    for rep in range(150):
        for events in base:
            for event in events:
                copy = dict(event)
                for key in keys:
                    if key in copy:
                        copy[key] = f"{copy[key]}-{rep}"
                stream.append(copy)
    tracker = CallTracker(PLAN)
    records = 0
    for event in stream:
        for item in tracker.feed(event):
            records += item.kind == "record"
    assert records == 150 * len(base)
    assert not tracker._channels
    assert not tracker.open_calls()


def test_record_is_json_serialisable():
    record = records_of(run(events_of("pjsip_inbound_trunk_answered.ami"))[0])[0]
    text = json.dumps(record, ensure_ascii=False)
    assert "Dvořák" in text


def _chan(uid, name, linkedid, state="6", **extra):
    return {"Event": "CoreShowChannel", "Uniqueid": uid, "Channel": name, "Linkedid": linkedid,
            "ChannelState": state, **extra}


def test_a_reconnect_hangs_up_the_channels_the_pbx_no_longer_lists_and_the_call_goes_on():
    """A blind transfer's transferer hung up while the link was down: the call
    is not stuck, it ends when the parties still listed hang up."""
    from k2_contact_center.services.ami.simulator import CallFactory  # noqa: PLC0415

    script = CallFactory(extensions=("201", "202"), rng=random.Random(3)).build("inbound_answered", extension="201",
                                                                                ring=2.0, talk=30.0)
    events = script.stamped(1_700_000_000.0)
    cut = next(i for i, e in enumerate(events) if e["Event"] == "BridgeEnter") + 2
    tracker = CallTracker(PLAN)
    for event in events[:cut]:
        tracker.feed(event)
    [open_call] = tracker.open_calls()
    trunk = next(e for e in events if e["Event"] == "Newchannel")
    # the PBX now lists only the trunk: the phone hung up while the link was down
    lost = datetime(2023, 11, 14, 22, 14, 0, tzinfo=timezone.utc)
    tracker.link_lost()
    out = tracker.reconcile([_chan(trunk["Uniqueid"], trunk["Channel"], trunk["Linkedid"])], lost_at=lost)
    assert [item.kind for item in out] in ([], ["live"])
    assert [c["call_id"] for c in tracker.open_calls()] == [open_call["call_id"]]
    records = [item.data for e in events[cut:] if e.get("Uniqueid") == trunk["Uniqueid"] and e["Event"] == "Hangup"
               for item in tracker.feed(e) if item.kind == "record"]
    assert len(records) == 1 and records[0]["disposition"] == "answered"
    assert not tracker.open_calls()


def test_a_reconnect_answers_a_call_whose_phone_picked_up_while_the_link_was_down():
    """The phone was ringing when the link went; the PBX now lists it up: the
    call is talking, answered by that phone, its answer time for the PBX's
    records to tell (adopted)."""
    from k2_contact_center.services.ami.simulator import CallFactory  # noqa: PLC0415

    script = CallFactory(extensions=("201", "202"), rng=random.Random(4)).build("inbound_answered", extension="201",
                                                                                ring=5.0, talk=30.0)
    events = script.stamped(1_700_000_000.0)
    cut = next(i for i, e in enumerate(events) if e["Event"] == "Newstate" and e.get("ChannelState") == "5")
    tracker = CallTracker(PLAN)
    for event in events[:cut + 1]:
        tracker.feed(event)
    [ringing] = tracker.open_calls()
    assert ringing["state"] == "ringing"
    trunk, phone = [e for e in events if e["Event"] == "Newchannel"][:2]
    listed = [_chan(e["Uniqueid"], e["Channel"], e["Linkedid"], BridgeId="b1") for e in (trunk, phone)]
    lost = datetime.fromtimestamp(1_700_000_003, timezone.utc)
    tracker.link_lost()
    out = tracker.reconcile(listed, lost_at=lost)
    [live] = [item.data for item in out if item.kind == "live"]
    assert (live["state"], live["answered_by"], live["adopted"]) == ("talking", "201", True)
    # a phone that is only ringing does not answer the call
    assert CallTracker(PLAN).reconcile([_chan("7.1", "PJSIP/k2-trunk-0001", "7.1", state="4")]) == []
    hangups = [e for e in events if e["Event"] == "Hangup"]
    [record] = [item.data for e in hangups for item in tracker.feed(e) if item.kind == "record"]
    assert (record["disposition"], record["answered_by"]) == ("answered", "201")


def test_a_reconnect_ends_a_call_whose_channels_all_went_at_the_time_the_link_was_lost():
    tracker = CallTracker(PLAN)
    tracker.feed({"Event": "Newchannel", "Uniqueid": "9.1", "Linkedid": "9.1", "Channel": "PJSIP/201-0001",
                  "CallerIDNum": "201", "Exten": "202", "Timestamp": "1700000000.0"})
    lost = datetime.fromtimestamp(1_700_000_100, timezone.utc)
    tracker.link_lost()
    [item] = tracker.reconcile([], lost_at=lost)
    assert item.kind == "record" and item.data["end"] == lost.isoformat()
    assert not tracker.open_calls()


def test_a_call_taken_up_from_a_list_whose_link_was_lost_before_it_was_used_ends_at_the_next_reconcile():
    """A restarted bridge asks the PBX for its channels and the link goes
    again before the list is used: the call the list shows is taken up as
    seen on that link, so the next link's list, which no longer has it,
    ends it (it hung up while the link was down)."""
    tracker = CallTracker(PLAN)
    listed_on = tracker.link
    tracker.link_lost()  # the link the list was read on is gone already
    listed = [_chan("5.1", "PJSIP/201-0001", "5.1", state="6", Exten="202", CallerIDNum="201")]
    now = datetime.fromtimestamp(1_700_000_100, timezone.utc)
    assert tracker.reconcile(listed, lost_at=None, now=now, link=listed_on) == []
    assert [call["call_id"] for call in tracker.open_calls()] == ["5.1"]
    lost = datetime.fromtimestamp(1_700_000_101, timezone.utc)
    [item] = tracker.reconcile([], lost_at=lost, now=lost)
    assert (item.kind, item.data["call_id"], item.data["end"]) == ("record", "5.1", lost.isoformat())
    assert not tracker.open_calls()


def test_channels_first_seen_by_the_new_link_are_not_gone_when_the_older_list_misses_them():
    """The new link's events come before the PBX's channel list is read: a
    call that began after the PBX made its list is not in it, yet goes on;
    it is no call that ended while the link was down."""
    tracker = CallTracker(PLAN)
    tracker.link_lost()
    for event in ({"Event": "Newchannel", "Uniqueid": "9.1", "Linkedid": "9.1", "Channel": "PJSIP/202-0001",
                   "CallerIDNum": "202", "Exten": "0724111222", "Timestamp": "1700000000.0"},
                  {"Event": "DialBegin", "Uniqueid": "9.1", "Linkedid": "9.1", "Channel": "PJSIP/202-0001",
                   "DestUniqueid": "9.2", "DestLinkedid": "9.1", "DestChannel": "PJSIP/k2-trunk-0002",
                   "DialString": "k2-trunk/0724111222", "Timestamp": "1700000000.5"}):
        tracker.feed(event)
    assert tracker.reconcile([], lost_at=datetime.fromtimestamp(1_699_999_990, timezone.utc)) == []
    [call] = tracker.open_calls()
    assert (call["call_id"], call["state"], call["adopted"]) == ("9.1", "ringing", False)
    # a channel seen before the link was lost and missing from the list did hang up meanwhile
    tracker.link_lost()
    [item] = tracker.reconcile([], lost_at=datetime.fromtimestamp(1_700_000_010, timezone.utc))
    assert item.kind == "record" and item.data["call_id"] == "9.1"


def test_a_call_whose_first_events_came_before_the_list_is_taken_up_when_the_pbx_says_it_is_older():
    """A restarted bridge reads the new link's events of a call in progress
    before the PBX's list: the list's age of its channels tells it began
    before this link, so it is taken up (adopted) from where it began."""
    tracker = CallTracker(PLAN)
    now = datetime.fromtimestamp(1_700_000_060, timezone.utc)
    tracker.feed({"Event": "Newstate", "Uniqueid": "4.1", "Linkedid": "4.1", "Channel": "PJSIP/k2-trunk-0001",
                  "CallerIDNum": "+420601123456", "ChannelState": "6", "Timestamp": "1700000059.0"})
    assert tracker.reconcile([_chan("4.1", "PJSIP/k2-trunk-0001", "4.1", CallerIDNum="+420601123456",
                                    Duration="00:00:45")], now=now) == []
    [call] = tracker.open_calls()
    assert call["adopted"] is True
    assert call["start"] == datetime.fromtimestamp(1_700_000_015, timezone.utc).isoformat()


def test_a_restarted_tracker_takes_up_the_calls_the_pbx_still_lists():
    tracker = CallTracker(PLAN)
    listed = [_chan("8.1", "PJSIP/k2-trunk-0001", "8.1", CallerIDNum="+420601123456"),
              _chan("8.2", "PJSIP/201-0002", "8.1", CallerIDNum="201")]
    # told at once: the history knows the call even when this bridge stops before it ends
    [live] = [item.data for item in tracker.reconcile(listed) if item.kind == "live"]
    assert (live["call_id"], live["adopted"], live["state"], live["answered_by"]) == ("8.1", True, "talking", "201")
    [call] = tracker.open_calls()
    assert (call["call_id"], call["adopted"], call["state"]) == ("8.1", True, "talking")
    out = [item for uid in ("8.2", "8.1")
           for item in tracker.feed({"Event": "Hangup", "Uniqueid": uid, "Linkedid": "8.1", "Cause": "16"})]
    [record] = [item.data for item in out if item.kind == "record"]
    assert (record["call_id"], record["adopted"], record["disposition"]) == ("8.1", True, "answered")


def test_a_call_taken_up_begins_when_the_pbx_says_its_oldest_channel_was_created():
    tracker = CallTracker(PLAN)
    now = datetime(2026, 3, 2, 9, 0, 0, tzinfo=timezone.utc)
    listed = [_chan("7.2", "PJSIP/201-0002", "7.1", Duration="00:00:30"),
              _chan("7.1", "PJSIP/k2-trunk-0001", "7.1", CallerIDNum="+420601123456", Duration="00:01:05"),
              _chan("6.1", "PJSIP/202-0003", "6.1", Duration="garbage")]
    tracker.reconcile(listed, now=now)
    starts = {call["call_id"]: call["start"] for call in tracker.open_calls()}
    assert starts == {"7.1": "2026-03-02T08:58:55+00:00", "6.1": "2026-03-02T09:00:00+00:00"}
    [call] = [call for call in tracker.open_calls() if call["call_id"] == "7.1"]
    assert call["direction"] == "inbound"  # the trunk, the older channel, is the origin


def test_a_call_taken_up_while_ringing_is_answered_when_the_pbx_says_so():
    tracker = CallTracker(PLAN)
    now = datetime.fromtimestamp(1_700_000_000, timezone.utc)
    tracker.reconcile([_chan("5.1", "PJSIP/k2-trunk-0001", "5.1", state="4", CallerIDNum="+420601123456",
                             Duration="00:00:04"),
                       _chan("5.2", "PJSIP/201-0002", "5.1", state="5", Duration="00:00:03")], now=now)
    [call] = tracker.open_calls()
    assert (call["state"], call["ringing"]) == ("ringing", ["201"])
    events = [{"Event": "DialEnd", "Uniqueid": "5.1", "DestUniqueid": "5.2", "DialStatus": "ANSWER",
               "Timestamp": "1700000002.0"},
              {"Event": "Hangup", "Uniqueid": "5.2", "Cause": "16", "Timestamp": "1700000032.0"},
              {"Event": "Hangup", "Uniqueid": "5.1", "Cause": "16", "Timestamp": "1700000032.0"}]
    [record] = [item.data for event in events for item in tracker.feed(event) if item.kind == "record"]
    assert (record["disposition"], record["answered_by"]) == ("answered", "201")
    assert record["answer"] == datetime.fromtimestamp(1_700_000_002, timezone.utc).isoformat()


def test_queue_events_of_a_caller_taken_up_in_progress_are_no_problem():
    """After a restart the callers waiting in a queue were taken up from the
    PBX's list: their joining came before this bridge, which is no fault of
    the PBX's; a caller the tracker followed from its start still is."""
    tracker = CallTracker(PLAN)
    tracker.reconcile([_chan("3.1", "PJSIP/k2-trunk-0001", "3.1", CallerIDNum="+420601123456")])
    called = {"Event": "AgentCalled", "Uniqueid": "3.1", "Linkedid": "3.1", "Channel": "PJSIP/k2-trunk-0001",
              "Queue": "support", "DestUniqueid": "3.2", "DestChannel": "PJSIP/201-0002",
              "Interface": "PJSIP/201", "Timestamp": "1700000001.0"}
    tracker.feed(called)
    assert tracker.queues.problems == {}
    tracker.feed({"Event": "Newchannel", "Uniqueid": "4.1", "Linkedid": "4.1", "Channel": "PJSIP/k2-trunk-0003",
                  "CallerIDNum": "+420601123457", "Exten": "600", "Timestamp": "1700000002.0"})
    tracker.feed(dict(called, Uniqueid="4.1", Linkedid="4.1", Channel="PJSIP/k2-trunk-0003", DestUniqueid="4.2"))
    assert tracker.queues.problems == {"caller seen in a queue it was not seen joining": 1}
