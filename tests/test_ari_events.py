"""ARI events translated into the AMI events the call tracker reads: each event
type, the linked id ARI does not carry, garbage, the ARI stream files, and the
same calls giving the same records as over AMI."""

import json
import logging
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sim_common import (
    STREAM_EXPECTED,
    STREAM_PLAN,
    STREAMS,
    TIME_TOLERANCE,
    ari_time,
    records_from,
)

from k2_contact_center.services.ari.events import (
    AriTranslator,
    parse_timestamp,
    read_ari_file,
    translate_events,
)

T0 = 1709283301.120
REPO = Path(__file__).resolve().parent.parent
TRACES = Path(os.environ.get("K2_AMI_TRACES") or REPO.parent / "shared" / "ami-traces")


def chan(uid, name, state="Down", number="", cid_name="", context="from-internal", exten="s", **extra):
    channel = {
        "id": uid, "name": name, "state": state, "protocol_id": "",
        "caller": {"name": cid_name, "number": number}, "connected": {"name": "", "number": ""},
        "accountcode": "", "dialplan": {"context": context, "exten": exten, "priority": 1, "app_name": "",
                                        "app_data": ""},
        "creationtime": ari_time(T0), "language": "cs",
    }
    channel.update(extra)
    return channel


def ev(kind, t=0.0, **fields):
    event = {"type": kind, "timestamp": ari_time(T0 + t)}
    event.update(fields)
    event["asterisk_id"] = "52:54:00:3c:9a:17"
    event["application"] = "k2cc"
    return event


def feed_all(translator, events):
    out = []
    for event in events:
        out.extend(translator.feed(event))
    return out


TRUNK = chan("1.1", "PJSIP/k2-trunk-00000001", "Ring", "+420601123456", "Antonín Dvořák", "from-trunk",
             "+420221122201")
PHONE = chan("1.2", "PJSIP/201-00000002", "Down", "201", "Jana Nováková")


def test_channel_created_becomes_newchannel_with_every_ami_header():
    out = AriTranslator().feed(json.dumps(ev("ChannelCreated", channel=TRUNK)))
    assert out == [{
        "Event": "Newchannel", "Privilege": "call,all", "Timestamp": f"{T0:.6f}",
        "Channel": "PJSIP/k2-trunk-00000001", "ChannelState": "4", "ChannelStateDesc": "Ring",
        "CallerIDNum": "+420601123456", "CallerIDName": "Antonín Dvořák", "ConnectedLineNum": "<unknown>",
        "ConnectedLineName": "<unknown>", "Language": "cs", "AccountCode": "", "Context": "from-trunk",
        "Exten": "+420221122201", "Priority": "1", "Uniqueid": "1.1", "Linkedid": "1.1",
    }]


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-03-01T10:15:02.345+0100", datetime(2024, 3, 1, 9, 15, 2, 345000, timezone.utc)),
    ("2024-07-01T00:00:00.000+0200", datetime(2024, 6, 30, 22, 0, 0, tzinfo=timezone.utc)),
    ("2024-03-01T10:15:02+0000", datetime(2024, 3, 1, 10, 15, 2, tzinfo=timezone.utc)),
    ("2024-03-01T10:15:02.345+01:00", datetime(2024, 3, 1, 9, 15, 2, 345000, timezone.utc)),
])
def test_timestamps_with_their_utc_offset(text, expected):
    assert parse_timestamp(text) == pytest.approx(expected.timestamp())


@pytest.mark.parametrize("text", ["", "yesterday", "2024-03-01T10:15:02.345", None, 1709283301])
def test_timestamps_that_say_no_moment_are_none(text):
    assert parse_timestamp(text) is None


def test_dial_statuses_give_dialbegin_dialstate_dialend_in_the_callers_call():
    translator = AriTranslator()
    out = feed_all(translator, [
        ev("ChannelCreated", 0.0, channel=TRUNK),
        ev("ChannelCreated", 0.1, channel=PHONE),
        ev("Dial", 0.2, dialstatus="", forward="", dialstring="201", caller=TRUNK, peer=PHONE),
        ev("Dial", 0.3, dialstatus="RINGING", forward="", dialstring="", caller=TRUNK,
           peer=dict(PHONE, state="Ringing")),
        ev("Dial", 5.0, dialstatus="ANSWER", forward="", dialstring="", caller=TRUNK, peer=dict(PHONE, state="Up")),
    ])
    assert [e["Event"] for e in out] == ["Newchannel", "Newchannel", "DialBegin", "DialState", "DialEnd"]
    phone_new, begin, state, end = out[1], out[2], out[3], out[4]
    assert phone_new["Uniqueid"] == "1.2" and phone_new["Linkedid"] == "1.1"
    assert phone_new["Timestamp"] == f"{T0 + 0.1:.6f}"  # its creation time, though announced later
    assert begin["Uniqueid"] == "1.1" and begin["DestUniqueid"] == "1.2" and begin["DestLinkedid"] == "1.1"
    assert begin["DialString"] == "201" and begin["DestCallerIDNum"] == "201"
    assert state["DialStatus"] == "RINGING" and end["DialStatus"] == "ANSWER"
    assert end["DestChannelStateDesc"] == "Up"


def test_a_dialled_channel_waits_for_its_dial_and_keeps_the_order_of_its_events():
    translator = AriTranslator()
    held = feed_all(translator, [
        ev("ChannelCreated", 0.0, channel=TRUNK),
        ev("ChannelCreated", 0.1, channel=PHONE),
        ev("ChannelConnectedLine", 0.11, channel=dict(PHONE, connected={"name": "Antonín Dvořák",
                                                                        "number": "+420601123456"})),
        # a pre-dial handler (Dial's b() option) runs on the callee before Asterisk publishes the Dial
        ev("ChannelDialplan", 0.12, dialplan_app="Gosub", dialplan_app_data="func-apply-sipheaders,s,1",
           channel=PHONE),
    ])
    assert [e["Event"] for e in held] == ["Newchannel"]  # the trunk only, the phone waits
    released = translator.feed(ev("Dial", 0.2, dialstatus="", dialstring="201", caller=TRUNK, peer=PHONE))
    assert [e["Event"] for e in released] == ["Newchannel", "NewConnectedLine", "Newexten", "DialBegin"]
    assert {e["Linkedid"] for e in released[:3]} == {"1.1"}
    assert released[2]["Application"] == "Gosub" and released[2]["Timestamp"] == f"{T0 + 0.12:.6f}"
    assert translator.linkedid_of("1.2") == "1.1"


def test_local_halves_share_the_linked_id_of_the_first_half():
    l1 = chan("1.3", "Local/202@route-user-00000009;1", "Down", context="route-user", exten="202")
    l2 = chan("1.4", "Local/202@route-user-00000009;2", "Ring", context="route-user", exten="202")
    callee = chan("1.5", "PJSIP/202-00000005")
    translator = AriTranslator()
    out = feed_all(translator, [
        ev("ChannelCreated", 0.0, channel=TRUNK),
        ev("ChannelCreated", 0.1, channel=l1),
        ev("ChannelCreated", 0.1, channel=l2),  # created Ring, yet no call of its own
        ev("ChannelDialplan", 0.11, dialplan_app="Dial", dialplan_app_data="PJSIP/202", channel=l2),
        ev("Dial", 0.12, dialstatus="", dialstring="202@route-user", caller=TRUNK, peer=l1),
        ev("ChannelCreated", 0.13, channel=callee),
        ev("Dial", 0.14, dialstatus="", dialstring="202", caller=l2, peer=callee),
    ])
    assert [(e["Event"], e.get("Uniqueid") or e.get("DestUniqueid")) for e in out] == [
        ("Newchannel", "1.1"), ("Newchannel", "1.3"), ("Newchannel", "1.4"), ("Newexten", "1.4"),
        ("DialBegin", "1.1"), ("Newchannel", "1.5"), ("DialBegin", "1.4")]
    assert {e["Linkedid"] for e in out if "Linkedid" in e} == {"1.1"}
    assert out[-1]["DestLinkedid"] == "1.1"


def test_an_originate_without_caller_starts_a_call_of_its_own():
    l1 = chan("2.1", "Local/201@from-internal-00000001;1")
    l2 = chan("2.2", "Local/201@from-internal-00000001;2", "Ring")
    out = feed_all(AriTranslator(), [
        ev("ChannelCreated", 0.0, channel=l1),
        ev("ChannelCreated", 0.0, channel=l2),
        ev("Dial", 0.01, dialstatus="", dialstring="201@from-internal", peer=l1),
    ])
    assert [(e["Event"], e["Linkedid"] if "Linkedid" in e else e["DestLinkedid"]) for e in out] == [
        ("Newchannel", "2.1"), ("Newchannel", "2.1"), ("DialBegin", "2.1")]
    assert "Uniqueid" not in out[-1]  # as AMI's DialBegin of an originate: no calling channel


def test_a_linkedid_in_the_channel_json_is_preferred():
    out = AriTranslator().feed(ev("ChannelCreated", channel=dict(PHONE, linkedid="9.9")))
    assert out[0]["Event"] == "Newchannel" and out[0]["Linkedid"] == "9.9"


def test_an_incoming_channel_created_down_starts_its_call_when_it_rings():
    sip = chan("3.1", "SIP/150010001-00000004", "Down", "201", exten="202")
    translator = AriTranslator()
    assert translator.feed(ev("ChannelCreated", channel=sip)) == []
    out = translator.feed(ev("ChannelStateChange", 0.01, channel=dict(sip, state="Ring")))
    assert [(e["Event"], e["Linkedid"]) for e in out] == [("Newchannel", "3.1"), ("Newstate", "3.1")]
    assert out[1]["ChannelStateDesc"] == "Ring"


def test_a_forwarded_channel_joins_the_call_that_was_forwarded():
    forwarded = chan("1.6", "Local/300@from-internal-00000007;1")
    translator = AriTranslator()
    out = feed_all(translator, [
        ev("ChannelCreated", 0.0, channel=TRUNK),
        ev("ChannelCreated", 0.1, channel=PHONE),
        ev("Dial", 0.2, dialstatus="", dialstring="201", caller=TRUNK, peer=PHONE),
        ev("ChannelCreated", 1.0, channel=forwarded),
        ev("Dial", 1.1, dialstatus="CANCEL", forward="Local/300@from-internal", dialstring="", caller=TRUNK,
           peer=PHONE, forwarded=forwarded),
    ])
    assert out[-2]["Event"] == "Newchannel" and out[-2]["Uniqueid"] == "1.6" and out[-2]["Linkedid"] == "1.1"
    assert out[-1]["Event"] == "DialEnd" and out[-1]["Forward"] == "Local/300@from-internal"


def test_a_channel_destroyed_without_doing_anything_is_no_call():
    translator = AriTranslator()
    out = feed_all(translator, [
        ev("ChannelCreated", 0.0, channel=PHONE),
        ev("ChannelVarset", 0.01, variable="PJSIP_HEADER", value="x", channel=PHONE),
        ev("ChannelDestroyed", 0.02, cause=1, cause_txt="Unallocated (unassigned) number", channel=PHONE),
    ])
    assert out == []
    assert records_from(out) == {}
    assert translator.feed(ev("ChannelVarset", 0.03, variable="LATE", value="1", channel=PHONE))[0]["Event"] \
        == "VarSet"  # a late event of a gone channel is still translated, never made a call


def test_a_held_channel_with_activity_starts_a_call_when_no_dial_comes():
    translator = AriTranslator(pending_seconds=2.0)
    lone = chan("4.1", "PJSIP/201-00000009")
    assert feed_all(translator, [
        ev("ChannelCreated", 0.0, channel=lone),
        ev("ChannelDialplan", 0.1, dialplan_app="Playback", dialplan_app_data="hello", channel=lone),
    ]) == []
    out = translator.feed(ev("ChannelCreated", 3.0, channel=TRUNK))
    assert [(e["Event"], e["Uniqueid"], e["Linkedid"]) for e in out] == [
        ("Newchannel", "4.1", "4.1"), ("Newexten", "4.1", "4.1"), ("Newchannel", "1.1", "1.1")]
    again = AriTranslator()
    again.feed(ev("ChannelCreated", 0.0, channel=lone))
    again.feed(ev("ChannelStateChange", 0.1, channel=dict(lone, state="Ringing")))
    assert [e["Event"] for e in again.flush()] == ["Newchannel", "Newstate"]


def test_channels_that_existed_before_listening_get_no_made_up_newchannel():
    out = feed_all(AriTranslator(), [
        ev("ChannelStateChange", 0.0, channel=dict(TRUNK, state="Up")),
        ev("ChannelDestroyed", 1.0, cause=16, cause_txt="Normal Clearing", channel=dict(TRUNK, state="Up")),
    ])
    assert [(e["Event"], e["Linkedid"]) for e in out] == [("Newstate", "1.1"), ("Hangup", "1.1")]
    assert out[1]["Cause"] == "16" and out[1]["Cause-txt"] == "Normal Clearing"


def test_bridges_hangups_variables_and_caller_ids():
    translator = AriTranslator()
    bridge = {"id": "b-1", "technology": "simple_bridge", "bridge_type": "mixing", "bridge_class": "basic",
              "creator": "", "name": "", "channels": ["1.1"], "creationtime": ari_time(T0), "video_mode": "none"}
    out = feed_all(translator, [
        ev("ChannelCreated", 0.0, channel=TRUNK),
        ev("ChannelVarset", 0.1, variable="__FROM_DID", value="+420221122201", channel=TRUNK),
        ev("ChannelVarset", 0.1, variable="GLOBAL_FLAG", value="1"),
        ev("ChannelCallerId", 0.2, caller_presentation=0, caller_presentation_txt="Presentation Allowed",
           channel=dict(TRUNK, caller={"name": "Eva", "number": "+420777000111"})),
        ev("BridgeCreated", 0.3, bridge=dict(bridge, channels=[])),
        ev("ChannelEnteredBridge", 0.4, bridge=bridge, channel=TRUNK),
        ev("ChannelHangupRequest", 0.5, cause=16, channel=TRUNK),
        ev("ChannelLeftBridge", 0.6, bridge=dict(bridge, channels=[]), channel=TRUNK),
        ev("ChannelDestroyed", 0.7, cause=16, cause_txt="Normal Clearing", channel=TRUNK),
    ])
    names = [e["Event"] for e in out]
    assert names == ["Newchannel", "VarSet", "VarSet", "NewCallerid", "BridgeCreate", "BridgeEnter",
                     "HangupRequest", "BridgeLeave", "Hangup"]
    assert out[1]["Variable"] == "__FROM_DID" and out[1]["Value"] == "+420221122201"
    assert "Uniqueid" not in out[2]
    assert out[3]["CallerIDNum"] == "+420777000111" and out[3]["CID-CallingPres"] == "0 (Presentation Allowed)"
    assert out[5]["BridgeUniqueid"] == "b-1" and out[5]["BridgeNumChannels"] == "1" and out[5]["Uniqueid"] == "1.1"
    assert out[6]["Cause"] == "16"


def test_transfers_carry_who_transferred_whom_where():
    target = chan("1.7", "PJSIP/203-00000007", "Up", "203")
    consult = chan("1.8", "PJSIP/201-00000008", "Up", "201", exten="203")
    bridge = {"id": "b-2", "technology": "simple_bridge", "bridge_type": "mixing", "bridge_class": "basic",
              "creator": "", "name": "", "channels": ["1.1", "1.2"], "creationtime": ari_time(T0)}
    translator = AriTranslator()
    for channel in (TRUNK, dict(PHONE, state="Up"), consult, target):
        translator.feed(ev("ChannelCreated", channel=channel))
    translator.feed(ev("Dial", dialstatus="", peer=PHONE, caller=TRUNK))
    translator.feed(ev("Dial", dialstatus="", peer=target, caller=consult))
    blind = translator.feed(ev("BridgeBlindTransfer", 1.0, channel=PHONE, transferee=TRUNK, exten="203",
                               context="from-internal", result="Success", is_external=True, bridge=bridge))
    assert len(blind) == 1 and blind[0]["Event"] == "BlindTransfer"
    assert blind[0]["TransfererUniqueid"] == "1.2" and blind[0]["TransfereeUniqueid"] == "1.1"
    assert blind[0]["Extension"] == "203" and blind[0]["IsExternal"] == "Yes"
    assert blind[0]["BridgeUniqueid"] == "b-2" and blind[0]["Result"] == "Success"
    attended = translator.feed(ev(
        "BridgeAttendedTransfer", 2.0, transferer_first_leg=PHONE, transferer_second_leg=consult,
        transferee=TRUNK, transfer_target=target, result="Success", is_external=False,
        transferer_first_leg_bridge=bridge, destination_type="bridge", destination_bridge="b-3"))
    assert attended[0]["Event"] == "AttendedTransfer"
    assert attended[0]["OrigTransfererUniqueid"] == "1.2" and attended[0]["SecondTransfererUniqueid"] == "1.8"
    assert attended[0]["TransferTargetUniqueid"] == "1.7" and attended[0]["TransfereeUniqueid"] == "1.1"
    assert attended[0]["DestType"] == "Bridge" and attended[0]["DestBridgeUniqueid"] == "b-3"
    assert attended[0]["OrigBridgeUniqueid"] == "b-2" and attended[0]["SecondTransfererLinkedid"] == "1.8"


def test_unknown_events_are_ignored_with_a_debug_line(caplog):
    translator = AriTranslator()
    with caplog.at_level(logging.DEBUG, logger="k2_contact_center.services.ari.events"):
        assert translator.feed(ev("PeerStatusChange", endpoint={"technology": "PJSIP"}, peer={})) == []
        assert translator.feed(ev("ApplicationReplaced")) == []
    assert translator.unknown == {"PeerStatusChange": 1, "ApplicationReplaced": 1}
    assert [r.levelno for r in caplog.records] == [logging.DEBUG, logging.DEBUG]
    assert "PeerStatusChange" in caplog.records[0].getMessage()


GARBAGE = [
    ("not json at all", "invalid_json"),
    (b"\xff\xfe{}", "decode_errors"),
    ("[1, 2, 3]", "not_an_event"),
    ("{}", "no_type"),
    ('{"type": 5}', "no_type"),
    ('{"type": "ChannelCreated"}', "malformed"),
    ('{"type": "ChannelCreated", "channel": {"id": 7}}', "malformed"),
    ('{"type": "Dial", "peer": "PJSIP/201"}', "malformed"),
    ('{"type": "ChannelStateChange", "channel": {"id": "x.1", "caller": "201"}}', "malformed"),
    ('{"type": "ChannelDestroyed", "channel": {"id": "x.2", "name": ["a"]}}', "malformed"),
]


def test_garbage_is_logged_counted_and_never_raises(caplog):
    translator = AriTranslator()
    with caplog.at_level(logging.WARNING, logger="k2_contact_center.services.ari.events"):
        for garbage, _kind in GARBAGE:
            assert translator.feed(garbage) == []
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) >= len(GARBAGE)
    assert all("\n" not in r.getMessage() for r in warnings)
    for kind in {kind for _, kind in GARBAGE}:
        assert translator.errors.get(kind), kind
    # and it goes on translating
    assert translator.feed(json.dumps(ev("ChannelCreated", channel=TRUNK)))[0]["Event"] == "Newchannel"


def test_core_show_channel_gives_the_derived_linked_id_and_bridge():
    translator = AriTranslator()
    bridge = {"id": "b-9", "technology": "simple_bridge", "bridge_type": "mixing", "bridge_class": "basic",
              "creator": "", "name": "", "channels": ["1.2"], "creationtime": ari_time(T0)}
    feed_all(translator, [
        ev("ChannelCreated", 0.0, channel=TRUNK),
        ev("ChannelCreated", 0.1, channel=PHONE),
        ev("Dial", 0.2, dialstatus="", peer=PHONE, caller=TRUNK),
        ev("ChannelEnteredBridge", 0.3, bridge=bridge, channel=PHONE),
    ])
    listed = translator.core_show_channel(dict(PHONE, state="Up", creationtime=ari_time(T0 + 0.1)), now=T0 + 65.2)
    assert listed["Event"] == "CoreShowChannel" and listed["Uniqueid"] == "1.2" and listed["Linkedid"] == "1.1"
    assert listed["Duration"] == "00:01:05" and listed["BridgeId"] == "b-9"
    assert listed["ChannelStateDesc"] == "Up" and listed["Channel"] == "PJSIP/201-00000002"
    translator.forget({"1.2"})
    assert translator.known_ids() == {"1.1"}


STREAM_FILES = sorted(STREAM_EXPECTED["streams"])


def test_every_stream_file_has_its_expected_calls():
    assert sorted(p.name for p in STREAMS.glob("*.jsonl")) == STREAM_FILES
    assert len(STREAM_FILES) >= 5


@pytest.mark.parametrize("name", STREAM_FILES)
def test_stream_files_give_their_expected_calls(name):
    translator = AriTranslator()
    records = list(records_from(translate_events(read_ari_file(STREAMS / name), translator), STREAM_PLAN).values())
    assert translator.errors == {}
    wanted = STREAM_EXPECTED["streams"][name]["calls"]
    assert len(records) == len(wanted)
    for record, spec in zip(records, wanted, strict=True):
        for key, value in spec.items():
            if key in ("ring_seconds", "talk_seconds", "wait_seconds") and value is not None:
                assert record[key] == pytest.approx(value, abs=TIME_TOLERANCE), key
            else:
                assert record[key] == value, key


# Required fields of the ARI models (rest-api/api-docs/events.json and channels.json, Asterisk 20).
REQUIRED = {
    "ChannelCreated": ("channel",), "ChannelDestroyed": ("cause", "cause_txt", "channel"),
    "ChannelStateChange": ("channel",), "ChannelDialplan": ("channel", "dialplan_app", "dialplan_app_data"),
    "ChannelCallerId": ("caller_presentation", "caller_presentation_txt", "channel"),
    "ChannelConnectedLine": ("channel",), "ChannelVarset": ("variable", "value"),
    "ChannelHangupRequest": ("channel",), "Dial": ("peer", "dialstatus"), "BridgeCreated": ("bridge",),
    "BridgeDestroyed": ("bridge",), "ChannelEnteredBridge": ("bridge",), "ChannelLeftBridge": ("bridge", "channel"),
    "BridgeBlindTransfer": ("channel", "exten", "context", "result", "is_external"),
    "StasisStart": ("args", "channel"), "StasisEnd": ("channel",),
}
CHANNEL_FIELDS = ("id", "protocol_id", "name", "state", "caller", "connected", "accountcode", "dialplan",
                  "creationtime", "language")
STATES = {"Down", "Rsrved", "OffHook", "Dialing", "Ring", "Ringing", "Up", "Busy", "Dialing Offhook", "Pre-ring",
          "Unknown"}
BRIDGE_FIELDS = ("id", "technology", "bridge_type", "bridge_class", "creator", "name", "channels", "creationtime")


@pytest.mark.parametrize("name", STREAM_FILES)
def test_stream_files_follow_the_ari_model(name):
    lines = (STREAMS / name).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# Written from Asterisk's documented ARI event model") and "not recorded" in lines[0]
    events = read_ari_file(STREAMS / name)
    assert len(events) == len(lines) - 1
    previous = None
    # k2cc subscribed to everything, or a Stasis application's own stream
    assert len({event["application"] for event in events}) == 1
    for event in events:
        assert event["type"] in REQUIRED, event["type"]
        assert event["application"] and event["asterisk_id"]
        moment = parse_timestamp(event["timestamp"])
        assert moment is not None and (previous is None or moment >= previous)
        previous = moment
        for field in REQUIRED[event["type"]]:
            assert field in event, (event["type"], field)
        for key in ("channel", "peer", "caller", "transferee", "forwarded"):
            if key in event:
                channel = event[key]
                assert all(field in channel for field in CHANNEL_FIELDS), (event["type"], key)
                assert channel["state"] in STATES
                assert set(channel["caller"]) == set(channel["connected"]) == {"name", "number"}
                assert set(channel["dialplan"]) == {"context", "exten", "priority", "app_name", "app_data"}
                assert "linkedid" not in channel  # ARI has none: the translator derives it
        if "bridge" in event:
            assert all(field in event["bridge"] for field in BRIDGE_FIELDS)


@pytest.mark.skipif(not (TRACES / "expected.json").is_file(), reason=f"no shared AMI traces at {TRACES}")
@pytest.mark.parametrize("name", [name for name in STREAM_FILES if "scenario_of" in STREAM_EXPECTED["streams"][name]])
def test_stream_files_follow_the_scenarios_of_the_shared_traces(name):
    stream = STREAM_EXPECTED["streams"][name]
    trace = json.loads((TRACES / "expected.json").read_text(encoding="utf-8"))[stream["scenario_of"]["trace"]]
    ours = stream["calls"][0]
    theirs = [c for c in trace["calls"] if c["direction"] == stream["scenario_of"]["direction"]]
    assert len(theirs) == 1
    theirs = theirs[0]
    assert ours["direction"] == theirs["direction"]
    assert (ours["disposition"] == "answered") == theirs["answered"]
    if "disposition" in theirs:
        assert ours["disposition"] in theirs["disposition"]
    assert [t["kind"] for t in ours["transfers"]] == trace.get("transfers", [])


def test_read_ari_file_skips_comments_and_keeps_bad_lines_for_the_translator(tmp_path):
    path = tmp_path / "stream.jsonl"
    path.write_text("# a comment\n\n" + json.dumps(ev("ChannelCreated", channel=TRUNK)) + "\nnot json\n",
                    encoding="utf-8")
    events = read_ari_file(path)
    assert events[0]["type"] == "ChannelCreated" and events[1] == "not json"
    translator = AriTranslator()
    assert [e["Event"] for e in translate_events(events, translator)] == ["Newchannel"]
    assert translator.errors == {"invalid_json": 1}
