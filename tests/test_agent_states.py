"""Line and agent states (services.tracking.states): device states, queue
membership and pauses from AMI events, a resync that leaves nothing stale,
and no "free" while the link is down."""

import logging

from k2_contact_center.services.tracking.states import AgentStates, device_state


def member(name, queue="support", interface="PJSIP/201", **headers):
    return {"Event": name, "Queue": queue, "Interface": interface, "MemberName": "Alice", **headers}


def test_device_states_read_as_one_word():
    assert [device_state(s) for s in ("NOT_INUSE", "INUSE", "BUSY", "RINGING", "RINGINUSE", "ONHOLD",
                                      "UNAVAILABLE", "INVALID", "UNKNOWN", "1", "6", "8", "", "nonsense")] == [
        "free", "in_call", "in_call", "ringing", "in_call", "on_hold", "unavailable", "unavailable", "unknown",
        "free", "ringing", "on_hold", "unknown", "unknown"]


def test_device_and_hint_changes_are_reported_once():
    states = AgentStates()
    assert states.feed({"Event": "DeviceStateChange", "Device": "PJSIP/201", "State": "RINGING"}) == [
        ("device", "PJSIP/201", "ringing")]
    assert states.feed({"Event": "DeviceStateChange", "Device": "PJSIP/201", "State": "RINGING"}) == []
    assert states.feed({"Event": "ExtensionStatus", "Exten": "202", "Context": "ext-local", "Status": "16",
                        "StatusText": "Hold"}) == [("device", "202@ext-local", "on_hold")]
    assert states.agent_state("PJSIP/201") == "ringing"


def test_membership_pause_with_reason_and_leaving():
    states = AgentStates()
    added, = states.feed(member("QueueMemberAdded", Paused="0", Status="1", CallsTaken="0"))
    assert added[2]["paused"] is False and added[2]["state"] == "free"
    states.feed({"Event": "DeviceStateChange", "Device": "PJSIP/201", "State": "NOT_INUSE"})
    assert states.agent_state("PJSIP/201") == "free"
    paused, = states.feed(member("QueueMemberPause", Paused="1", PausedReason="Lunch"))
    assert (paused[2]["paused"], paused[2]["reason"]) == (True, "Lunch")
    assert states.agent_state("PJSIP/201") == "paused"
    resumed, = states.feed(member("QueueMemberPause", Paused="0", PausedReason=""))
    assert (resumed[2]["paused"], resumed[2]["reason"]) == (False, "")
    assert states.feed(member("QueueMemberRemoved")) == [("member", ("support", "PJSIP/201"), None)]
    assert states.members == {}


def test_a_pause_of_an_agent_not_known_in_the_queue_is_logged_and_kept(caplog):
    states = AgentStates()
    with caplog.at_level(logging.WARNING, "k2_contact_center.services.tracking.states"):
        changes = states.feed(member("QueueMemberPause", Paused="1", Reason="Break"))
    assert changes[0][2]["reason"] == "Break"
    assert "not known to be a member" in caplog.text
    with caplog.at_level(logging.WARNING, "k2_contact_center.services.tracking.states"):
        assert states.feed({"Event": "QueueMemberStatus", "Queue": "", "Interface": "PJSIP/9"}) == []
    assert states.unknown_events == 1


def test_nothing_is_free_while_the_link_is_down_and_a_resync_drops_what_changed_meanwhile():
    states = AgentStates()
    states.feed({"Event": "DeviceStateChange", "Device": "PJSIP/201", "State": "NOT_INUSE"})
    states.feed({"Event": "DeviceStateChange", "Device": "PJSIP/203", "State": "NOT_INUSE"})
    states.feed(member("QueueMemberAdded", Paused="0", Status="1"))
    states.feed(member("QueueMemberAdded", interface="PJSIP/203", Paused="0", Status="1"))
    lost = states.link_lost()
    assert ("device", "PJSIP/201", "unknown") in lost
    assert states.agent_state("PJSIP/201") == "unknown"
    # while the link was down: 201 paused, 203 left the queue and its phone went offline
    states.begin_resync()
    states.feed({"Event": "QueueMember", "Queue": "support", "Location": "PJSIP/201", "Name": "Alice",
                 "Paused": "1", "PausedReason": "Meeting", "Status": "1"})
    states.feed({"Event": "DeviceStateChange", "Device": "PJSIP/201", "State": "NOT_INUSE"})
    changes = states.end_resync()
    assert ("member", ("support", "PJSIP/203"), None) in changes
    assert ("device", "PJSIP/203", "unknown") in changes
    assert states.agent_state("PJSIP/201") == "paused"
    assert states.members[("support", "PJSIP/201")]["reason"] == "Meeting"
    assert states.agent_state("PJSIP/203") == "unknown"
