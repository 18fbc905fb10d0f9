"""The wallboard's coalescing and agent word, and ARI's device states (no Odoo)."""

import threading

from k2_contact_center.services.ari.events import AriTranslator
from k2_contact_center.services.wallboard import Pulse, agent_state


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_first_change_goes_at_once_then_changes_coalesce_into_one_send():
    clock, fired = Clock(), threading.Event()
    pulse = Pulse(fired.set, interval=0.05, clock=clock)
    assert pulse.touch() is True  # a ringing phone after a quiet spell: at once
    clock.now += 0.01
    assert pulse.touch() is False  # within the interval: later
    assert pulse.touch() is False  # still the same later send
    assert fired.wait(2)
    assert pulse.sent == 2
    clock.now += 1
    assert pulse.touch() is True


def test_forty_changes_a_second_give_at_most_two_sends_a_second():
    sends = []
    pulse = Pulse(lambda: sends.append(1), interval=0.5)
    now = []
    for _ in range(40):
        if pulse.touch():
            now.append(1)
    pulse.cancel()
    assert len(now) + len(sends) <= 2


def test_agent_state_never_free_while_unknown_and_paused_only_when_idle():
    assert agent_state("free", [True, True]) == "paused"
    assert agent_state("free", [True, False]) == "free"
    assert agent_state("in_call", [True]) == "in_call"
    assert agent_state("unknown", [False]) == "unknown"
    assert agent_state("unknown", [True]) == "unknown"
    assert agent_state("free", []) == "free"


def test_ari_device_and_endpoint_states_read_as_ami_device_state_changes():
    translator = AriTranslator()
    assert translator.feed({"type": "DeviceStateChanged", "timestamp": "2026-12-01T10:00:00.000+0000",
                            "device_state": {"name": "PJSIP/201", "state": "INUSE"}}) == [
        {"Event": "DeviceStateChange", "Privilege": "call,all", "Device": "PJSIP/201", "State": "INUSE",
         "Timestamp": "1796119200.000000"}]
    offline = translator.feed({"type": "EndpointStateChange", "endpoint": {
        "technology": "PJSIP", "resource": "202", "state": "offline", "channel_ids": []}})
    assert [(e["Device"], e["State"]) for e in offline] == [("PJSIP/202", "UNAVAILABLE")]
    busy = translator.feed({"type": "EndpointStateChange", "endpoint": {
        "technology": "PJSIP", "resource": "202", "state": "online", "channel_ids": ["1.1"]}})
    assert busy == []
