"""Calls that Stasis applications run, read over ARI: helper channels are no
calls, a channel gone from the application after a hang-up request ends, an
application's agent leg belongs to the caller it holds (the streams in
``ari_streams/stasis_*`` cover whole calls; these the edges)."""

import pytest
from sim_common import STREAM_PLAN, records_from
from test_ari_events import PHONE, TRUNK, chan, ev, feed_all

from k2_contact_center.services.ari.events import AriTranslator
from k2_contact_center.services.ari.stasis import OWN_PREFIX, is_helper

HOLD = {"id": "h-1", "technology": "holding_bridge", "bridge_type": "holding", "bridge_class": "stasis",
        "creator": "Stasis", "name": "support", "channels": [], "creationtime": "2024-03-01T09:55:01.120+0100"}
MIX = dict(HOLD, id="m-1", technology="simple_bridge", bridge_type="mixing", name="")


def up(channel):
    return dict(channel, state="Up")


@pytest.mark.parametrize("name", ["UnicastRTP/127.0.0.1:40000-0x7f2c3c01a8b0", "Snoop/1.1-00000001",
                                  "Announcer/ARI-00000002", "Recorder/ARI-00000003", "AudioSocket/x-1"])
def test_helper_channels_are_never_calls(name):
    helper = chan("9.1", name, "Down")
    assert is_helper(helper)
    translator = AriTranslator()
    out = feed_all(translator, [
        ev("ChannelCreated", channel=helper), ev("StasisStart", 0.1, args=[], channel=helper),
        ev("ChannelStateChange", 0.2, channel=up(helper)),
        ev("ChannelEnteredBridge", 0.3, bridge=MIX, channel=up(helper)),
        ev("Dial", 0.3, peer=helper, dialstatus=""),
        ev("ChannelHangupRequest", 5.0, soft=True, channel=up(helper)),
        ev("ChannelDestroyed", 5.1, cause=16, cause_txt="Normal Clearing", channel=up(helper)),
    ])
    assert out == []
    assert translator.helpers == 7 and translator.errors == {}
    assert records_from(out, STREAM_PLAN) == {}


def test_a_channel_gone_from_the_application_after_a_hangup_request_ends_once():
    translator = AriTranslator()
    events = [ev("StasisStart", 0.0, args=[], channel=up(TRUNK)),
              ev("ChannelHangupRequest", 30.0, cause=16, channel=up(TRUNK)),
              ev("StasisEnd", 30.01, channel=up(TRUNK)),
              ev("ChannelDestroyed", 30.02, cause=16, cause_txt="Normal Clearing", channel=up(TRUNK))]
    out = feed_all(translator, events)
    names = [e["Event"] for e in out]
    assert names == ["Newchannel", "StasisStart", "HangupRequest", "StasisEnd", "Hangup"]
    hangup = out[-1]
    assert hangup["Uniqueid"] == "1.1" and hangup["Cause"] == "16"
    assert float(hangup["Timestamp"]) == pytest.approx(float(out[3]["Timestamp"]))
    [record] = records_from(out, STREAM_PLAN).values()
    assert record["direction"] == "inbound" and record["disposition"] == "cancelled"


def test_leaving_the_application_without_a_hangup_request_is_no_end():
    translator = AriTranslator()
    out = feed_all(translator, [ev("StasisStart", 0.0, args=[], channel=up(TRUNK)),
                                ev("StasisEnd", 4.0, channel=up(TRUNK))])  # back to the dialplan
    assert "Hangup" not in [e["Event"] for e in out]
    assert records_from(out, STREAM_PLAN) == {}


def test_a_dial_without_caller_is_an_originate_when_no_caller_is_held():
    out = feed_all(AriTranslator(), [ev("ChannelCreated", channel=PHONE),
                                     ev("Dial", 0.01, peer=PHONE, dialstring="201", dialstatus="")])
    begin = next(e for e in out if e["Event"] == "DialBegin")
    assert "Uniqueid" not in begin and begin["DestLinkedid"] == "1.2"


def test_our_own_originate_is_never_taken_for_an_agent_leg():
    own = dict(PHONE, id=f"{OWN_PREFIX}5f1a2c3e")
    translator = AriTranslator()
    out = feed_all(translator, [
        ev("ChannelCreated", channel=TRUNK), ev("ChannelStateChange", 0.01, channel=up(TRUNK)),
        ev("ChannelEnteredBridge", 0.02, bridge=HOLD, channel=up(TRUNK)),
        ev("ChannelCreated", 1.0, channel=own), ev("Dial", 1.01, peer=own, dialstring="201", dialstatus=""),
    ])
    begin = next(e for e in out if e["Event"] == "DialBegin")
    assert begin["DestLinkedid"] == own["id"] and "Uniqueid" not in begin
    assert "AgentCalled" not in [e["Event"] for e in out]


def test_the_agent_leg_of_a_held_caller_rings_as_the_callers_dial():
    translator = AriTranslator()
    out = feed_all(translator, [
        ev("ChannelCreated", channel=TRUNK), ev("ChannelStateChange", 0.01, channel=up(TRUNK)),
        ev("ChannelEnteredBridge", 0.02, bridge=HOLD, channel=up(TRUNK)),
        ev("ChannelCreated", 1.0, channel=PHONE), ev("Dial", 1.01, peer=PHONE, dialstring="201", dialstatus=""),
        ev("Dial", 6.0, peer=up(PHONE), dialstring="201", dialstatus="ANSWER"),
    ])
    names = [e["Event"] for e in out]
    assert names.count("QueueCallerJoin") == 1 and "AgentCalled" in names
    begin = next(e for e in out if e["Event"] == "DialBegin")
    assert (begin["Uniqueid"], begin["DestUniqueid"], begin["DestLinkedid"]) == ("1.1", "1.2", "1.1")
    # answered to the application only: the caller is answered when both are bridged
    assert "DialEnd" not in names and "AgentConnect" not in names


@pytest.mark.parametrize("event", [
    {"type": "StasisStart", "args": []},
    {"type": "StasisEnd", "channel": "not a channel"},
    {"type": "ChannelEnteredBridge", "bridge": {"id": "b"}, "channel": {"name": "PJSIP/1"}},
])
def test_broken_stasis_events_are_counted_not_raised(event):
    translator = AriTranslator()
    event = dict(event, timestamp="2024-03-01T09:55:01.120+0100", application="k2cc", asterisk_id="x")
    assert translator.feed(event) == []
    assert sum(translator.errors.values()) == 1
