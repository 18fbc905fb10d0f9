"""The ARI connector against the ARI simulator over real TCP: events into the
call tracker, the same records as over AMI, faults of the link (refused
login, bad address, drops, half-open, garbage), originate and channel list."""

import json
import logging
import threading
import time

import pytest
from sim_common import (
    STREAM_EXPECTED,
    STREAM_PLAN,
    STREAMS,
    TIME_TOLERANCE,
    Recorder,
    mismatches,
    record_differences,
    until,
)

from k2_contact_center.services.ami.connector import (
    CONNECTED,
    DISCONNECTED,
    ERROR,
    AmiActionError,
    AmiLinkLost,
    AmiLoginError,
    ConnectorThread,
)
from k2_contact_center.services.ami.simulator import CALL_KINDS, SimulatorThread
from k2_contact_center.services.ari.connector import (
    AriActionError,
    AriClient,
    AriConnector,
    AriLinkLost,
    AriLoginError,
    AriTimeout,
    ari_base_url,
    split_base_url,
)
from k2_contact_center.services.ari.simulator import OP_BINARY, AriSimulatorThread

FAST = {"ping_interval": 0.1, "ping_timeout": 0.3, "connect_timeout": 1.0, "backoff_initial": 0.01,
        "backoff_max": 0.05, "action_timeout": 2.0}
SERVICE_LOGGERS = ("k2_contact_center.services.ari.connector", "k2_contact_center.services.ari.events")


class Rig:
    """An ARI simulator in its thread and a connector recording what it saw."""

    def __init__(self, sim_options=None, base_url=None, password="secret", **options):
        self.sim = AriSimulatorThread(**{"extensions": ["201", "202", "203"], **(sim_options or {})})
        self.base_url = base_url
        self.password = password
        self.options = {**FAST, **options}
        self.recorder = Recorder()
        self.connector = None

    def __enter__(self):
        port = self.sim.start()
        base_url = (self.base_url or "http://127.0.0.1:{port}").format(port=port)
        self.connector = AriConnector(base_url, "k2cc", "asterisk", self.password, on_event=self.recorder.on_event,
                                      on_state=self.recorder.on_state, **self.options)
        self.connector.start()
        return self

    def __exit__(self, *exc):
        self.connector.stop(5)
        self.sim.stop()

    def play(self, kind, **params):
        played = self.sim.run(lambda sim: sim.play_call(kind, **params))
        self.sim.run(lambda sim: played.done)
        return played

    def wait_records(self, count):
        until(lambda: len(self.recorder.records) >= count, what=f"{count} call records")


def test_connects_with_states_like_the_ami_connector_and_delivers_ami_shaped_events():
    with Rig() as rig:
        rig.connector.wait_connected(5)
        port = rig.sim.port
        assert rig.recorder.states[:2] == [("connecting", f"ws://127.0.0.1:{port}/ari/events?app=k2cc"),
                                           ("connected", "Asterisk 20.5.0")]
        handshake = rig.sim.run(lambda sim: sim.requests_seen[0])
        assert handshake["path"] == "/ari/events" and handshake["query"] == {"app": "k2cc", "subscribeAll": "true"}
        rig.play("inbound_answered", caller="+420601123456", caller_name="Antonín Dvořák")
        rig.wait_records(1)
        first = next(e for e in rig.recorder.events if e["Event"] == "Newchannel")
        assert first["CallerIDName"] == "Antonín Dvořák" and list(first)[:3] == ["Event", "Privilege", "Timestamp"]
        assert rig.connector.last_event_at is not None and rig.connector.connected
        assert rig.recorder.threads == {"ari-connector"}


def test_every_scripted_call_kind_gives_the_simulators_expected_record():
    with Rig(sim_options={"seed": 3}) as rig:
        rig.connector.wait_connected(5)
        for kind in CALL_KINDS:
            rig.play(kind)
        expected = rig.sim.run(lambda sim: list(sim.expected_calls))
        rig.wait_records(len(expected))
        assert {spec["kind"] for spec in expected} == set(CALL_KINDS)
        assert mismatches(expected, rig.recorder.by_id(), queue_facts=False) == []
        assert len(rig.recorder.records) == len(expected)  # nothing more, nothing twice
        assert rig.recorder.tracker.open_calls() == []


def test_the_same_calls_give_the_same_records_over_ami_and_ari():
    ami_sim = SimulatorThread(extensions=["201", "202", "203"], seed=11)
    ari_sim = AriSimulatorThread(extensions=["201", "202", "203"], seed=11)
    ami_port, ari_port = ami_sim.start(), ari_sim.start()
    # the same seed and the same ids: both simulators build the very same calls
    base = ami_sim.run(lambda sim: sim.factory.ids.base)
    ari_sim.run(lambda sim: setattr(sim.factory.ids, "base", base))
    over_ami, over_ari = Recorder(), Recorder()
    ami = ConnectorThread("127.0.0.1", ami_port, "admin", "secret", on_event=over_ami.on_event, **FAST)
    ari = AriConnector(f"http://127.0.0.1:{ari_port}", "k2cc", "asterisk", "secret", on_event=over_ari.on_event,
                       **FAST)
    try:
        ami.start()
        ari.start()
        ami.wait_connected(5)
        ari.wait_connected(5)
        for kind in CALL_KINDS:
            for sim in (ami_sim, ari_sim):
                played = sim.run(lambda s, kind=kind: s.play_call(kind))
                sim.run(lambda s, played=played: played.done)
        expected = ami_sim.run(lambda sim: list(sim.expected_calls))
        assert ari_sim.run(lambda sim: list(sim.expected_calls)) == expected
        until(lambda: len(over_ami.records) >= len(expected) and len(over_ari.records) >= len(expected))
        by_ami, by_ari = over_ami.by_id(), over_ari.by_id()
        assert sorted(by_ami) == sorted(by_ari) == sorted(spec["call_id"] for spec in expected)
        assert {cid: record_differences(by_ami[cid], by_ari[cid]) for cid in by_ami} == dict.fromkeys(by_ami, {})
        assert all(by_ari[cid]["ring_seconds"] is not None for cid in by_ari)  # real times, from the events
    finally:
        ami.stop(5)
        ari.stop(5)
        ami_sim.stop()
        ari_sim.stop()


@pytest.mark.parametrize("name", sorted(STREAM_EXPECTED["streams"]))
def test_replayed_stream_files_give_their_expected_calls(name):
    with Rig() as rig:
        rig.connector.wait_connected(5)
        rig.recorder.tracker.plan = STREAM_PLAN
        rig.sim.run(lambda sim: sim.replay(STREAMS / name, speed=0))
        wanted = STREAM_EXPECTED["streams"][name]["calls"]
        rig.wait_records(len(wanted))
        for record, spec in zip(rig.recorder.records, wanted, strict=True):
            for key, value in spec.items():
                if key in ("ring_seconds", "talk_seconds"):
                    assert record[key] == pytest.approx(value, abs=TIME_TOLERANCE)
                else:
                    assert record[key] == value, key


def test_drop_then_reconnect_and_no_call_lost_or_doubled():
    with Rig() as rig:
        rig.connector.wait_connected(5)
        before = rig.play("internal", caller="201", callee="202")
        rig.wait_records(1)
        rig.sim.run(lambda sim: sim.drop_connections())
        until(lambda: rig.connector.connections >= 2 and rig.connector.connected, what="reconnected")
        states = [s for s, _ in rig.recorder.states]
        assert states.index(DISCONNECTED) < len(states) - 1 - states[::-1].index(CONNECTED)
        assert any(s == DISCONNECTED and "closed by peer" in d for s, d in rig.recorder.states)
        after = rig.play("outbound_answered", extension="203")
        rig.wait_records(2)
        expected = before.expected + after.expected
        assert mismatches(expected, rig.recorder.by_id(), queue_facts=False) == []
        assert sorted(r["call_id"] for r in rig.recorder.records) == sorted(s["call_id"] for s in expected)
        assert rig.connector.retry_delays and all(d <= FAST["backoff_max"] for d in rig.connector.retry_delays)


def test_refused_login_is_a_clear_error_retried_with_capped_growing_backoff(caplog):
    with caplog.at_level(logging.ERROR, logger="k2_contact_center.services.ari.connector"), \
            Rig(password="wrong") as rig:
        until(lambda: len(rig.connector.retry_delays) >= 5, what="five retries")
        connector = rig.connector
        errors = [d for s, d in rig.recorder.states if s == ERROR]
        assert errors and "HTTP 401" in errors[0] and "check the ARI user and password" in errors[0]
        assert "'asterisk'" in errors[0] and "wrong" not in errors[0]  # the user, never the password
        assert connector.last_error == errors[0]
        assert CONNECTED not in [s for s, _ in rig.recorder.states]
        delays = connector.retry_delays[:5]
        assert delays[0] < delays[1] < delays[2]
        assert all(d <= FAST["backoff_max"] for d in delays)
        assert connector.alive  # no crash: it keeps trying
        handshakes = rig.sim.run(lambda sim: [r for r in sim.requests_seen if r["path"] == "/ari/events"])
        assert len(handshakes) >= 5
    assert any("ARI login" in r.getMessage() and "HTTP 401" in r.getMessage() for r in caplog.records)


def test_an_address_that_is_no_ari_server_is_an_error():
    with Rig(base_url="http://127.0.0.1:{port}/somewhere") as rig:
        until(lambda: rig.connector.state == ERROR or len(rig.connector.retry_delays) > 1, what="an error")
        detail = next(d for s, d in rig.recorder.states if s == ERROR)
        assert "HTTP 404" in detail and "does not look like an ARI server" in detail


@pytest.mark.parametrize("url", ["ftp://pbx.example.com", "http://", "http://pbx:99999", ""])
def test_a_malformed_address_is_an_error_once_and_not_retried(url, caplog):
    states = []
    with caplog.at_level(logging.ERROR, logger="k2_contact_center.services.ari.connector"):
        connector = AriConnector(url, "k2cc", "u", "p", on_state=lambda s, d: states.append((s, d)), **FAST)
        connector.start()
        until(lambda: connector.state == ERROR, what="the error state")
    assert states == [(ERROR, connector.url_problem)] and connector.url_problem.startswith("bad ARI address")
    assert connector.alive and connector.retry_delays == []
    with pytest.raises(AriActionError, match="bad ARI address"):
        connector.originate("PJSIP/201", "202", "from-internal")
    connector.stop(5)
    assert not connector.alive and connector.state == DISCONNECTED
    assert any("bad ARI address" in r.getMessage() for r in caplog.records)


def test_an_unreachable_pbx_is_disconnected_and_retried():
    sim = AriSimulatorThread()
    port = sim.start()
    sim.stop()  # nothing listens there any more
    connector = AriConnector(f"http://127.0.0.1:{port}", "k2cc", "u", "p", **FAST)
    connector.start()
    try:
        until(lambda: len(connector.retry_delays) >= 3, what="retries")
        assert connector.state in (DISCONNECTED, "connecting") and connector.last_error
        assert "refused" in connector.last_error.lower()
    finally:
        connector.stop(5)


def test_garbage_frames_are_logged_and_the_link_stays_up(caplog):
    with caplog.at_level(logging.WARNING, logger="k2_contact_center.services"), Rig(ping_interval=30.0) as rig:
        rig.connector.wait_connected(5)
        for payload, opcode in (("this is no json", 1), (b"\xff\xfe\xfa", 1), ("[1, 2]", 1), ('{"no": "type"}', 1),
                                ('{"type": "ChannelCreated", "channel": 5}', 1), (b"\x00\x01binary", OP_BINARY),
                                ('{"type": "NoSuchEvent", "timestamp": "2024-01-01T00:00:00.000+0000"}', 1)):
            rig.sim.run(lambda sim, payload=payload, opcode=opcode: sim.inject(payload, opcode))
        played = rig.play("outbound_answered", extension="201")
        rig.wait_records(1)
        assert mismatches(played.expected, rig.recorder.by_id(), queue_facts=False) == []
        errors = rig.connector.frame_errors
        assert errors == {"invalid_json": 2, "decode_errors": 1, "not_an_event": 1, "no_type": 1, "malformed": 1,
                          "binary_frames": 1}
        assert rig.connector.translator.unknown == {"NoSuchEvent": 1}
        assert rig.connector.connections == 1 and rig.connector.connected  # never dropped
    warnings = [r for r in caplog.records if r.name in SERVICE_LOGGERS and r.levelno == logging.WARNING]
    assert len(warnings) == 7 and all("\n" not in r.getMessage() for r in warnings)


def test_a_faulty_event_callback_does_not_close_the_link(caplog):
    calls = []

    def broken(event):
        calls.append(event)
        raise RuntimeError("database gone")

    with caplog.at_level(logging.ERROR, logger="k2_contact_center.services.ari.connector"), Rig() as rig:
        rig.connector.on_event = broken
        rig.connector.wait_connected(5)
        rig.play("internal")
        until(lambda: sum(e["Event"] == "Hangup" for e in calls) >= 2, what="both hangups")
        assert rig.connector.connections == 1 and rig.connector.connected
    assert any("on_event callback failed" in r.getMessage() for r in caplog.records)


def test_pings_are_answered_and_a_live_link_stays_up():
    with Rig() as rig:
        rig.connector.wait_connected(5)
        until(lambda: rig.sim.run(lambda sim: sum(c.pings for c in sim.clients)) >= 5, what="five pings")
        assert rig.connector.connections == 1 and rig.connector.connected
        assert [s for s, _ in rig.recorder.states] == ["connecting", "connected"]


def test_a_dead_link_is_detected_and_reconnected():
    with Rig() as rig:
        rig.connector.wait_connected(5)
        rig.sim.run(lambda sim: sim.stop_answering_pings(True))
        until(lambda: any(s == DISCONNECTED and "no pong" in d for s, d in rig.recorder.states), what="detection")
        rig.sim.run(lambda sim: sim.stop_answering_pings(False))
        until(lambda: rig.connector.connections >= 2 and rig.connector.connected, what="reconnected")
        assert "half-open" in rig.connector.last_error
        played = rig.play("internal_no_answer")
        rig.wait_records(1)
        assert mismatches(played.expected, rig.recorder.by_id(), queue_facts=False) == []


def test_a_pong_late_behind_the_pbxs_frames_keeps_the_link():
    """A PBX that keeps sending while the pong of a ping has not come (it
    waits behind its events, or the bridge reads slowly) is alive: any frame
    answers the ping. Before, the link was dropped as half-open."""
    frame = json.dumps({"type": "DeviceStateChanged", "device_state": {"name": "PJSIP/201", "state": "NOT_INUSE"}})
    with Rig() as rig:
        rig.connector.wait_connected(5)
        rig.sim.run(lambda sim: sim.stop_answering_pings(True))
        for _frame in range(12):  # 1.8 s, several ping timeouts; a ping goes out in each pause
            rig.sim.run(lambda sim: sim.inject(frame))
            time.sleep(1.5 * FAST["ping_interval"])
        assert [s for s, _ in rig.recorder.states] == ["connecting", "connected"]
        assert rig.sim.run(lambda sim: sum(c.pings for c in sim.clients)) >= 3


def test_a_close_from_the_pbx_is_reported_and_reconnected():
    with Rig() as rig:
        rig.connector.wait_connected(5)
        rig.sim.run(lambda sim: sim.close_connections(1001, "Asterisk is shutting down"))
        until(lambda: rig.connector.connections >= 2 and rig.connector.connected, what="reconnected")
        assert (DISCONNECTED, "closed by peer (1001 Asterisk is shutting down)") in rig.recorder.states


def test_an_application_taken_over_by_another_client_is_an_error():
    with Rig() as rig:
        rig.connector.wait_connected(5)
        rig.sim.run(lambda sim: sim.send_event({"type": "ApplicationReplaced", "timestamp": "2024-01-01T00:00:00.000"
                                                "+0000", "asterisk_id": "x"}))
        until(lambda: rig.connector.state == ERROR, what="the error state")
        assert "another client took over the ARI application 'k2cc'" in rig.connector.last_error
        until(lambda: rig.connector.connections >= 2, what="the retry")


def test_originate_answered_refused_or_failed_with_the_pbxs_reason():
    with Rig(sim_options={"failing": {"203": 5}}) as rig:
        rig.connector.wait_connected(5)
        result = rig.connector.originate("PJSIP/201", "601123456", "from-internal", caller_id="K2 <201>",
                                         variables={"K2CC_USER": "7"}, timeout=5)
        assert result["Response"] == "Success" and result["Reason"] == "4"
        assert result["Channel"].startswith("PJSIP/201-") and result["Uniqueid"]
        sent = rig.sim.run(lambda sim: [r for r in sim.requests_seen if r["path"] == "/ari/channels"][0])
        assert sent["query"]["endpoint"] == "PJSIP/201" and sent["query"]["extension"] == "601123456"
        assert sent["query"]["context"] == "from-internal" and sent["query"]["callerId"] == "K2 <201>"
        assert '"K2CC_USER": "7"' in sent["body"]
        with pytest.raises(AriActionError, match="busy") as busy:
            rig.connector.originate("PJSIP/203", "202", "from-internal", timeout=5)
        assert busy.value.reason == "5" and "User busy" in str(busy.value)
        with pytest.raises(AriActionError, match="Allocation failed") as refused:
            rig.connector.originate("PJSIP/299", "202", "from-internal", timeout=5)
        assert refused.value.status == 500
        assert isinstance(refused.value, AmiActionError)  # callers of the AMI connector catch it too
        until(lambda: len(rig.recorder.records) >= 2, what="the records of both calls")
        originated = rig.recorder.by_id()[result["Uniqueid"]]
        assert (originated["direction"], originated["caller"], originated["callee"]) == \
            ("outbound", "201", "+420601123456")


def test_originate_needs_the_link_up():
    connector = AriConnector("http://127.0.0.1:1", "k2cc", "u", "p", **FAST)
    with pytest.raises(AriLinkLost) as lost:
        connector.originate("PJSIP/201", "202", "from-internal")
    assert isinstance(lost.value, AmiLinkLost)


def test_core_show_channels_like_ami_for_the_bridges_resync():
    with Rig() as rig:
        rig.connector.wait_connected(5)
        assert rig.connector.core_show_channels() == []
        played = rig.sim.run(lambda sim: sim.play_call("internal", hold=True, caller="201", callee="202"))
        until(lambda: len(rig.sim.run(lambda sim: sim.live_channels())) == 2
              and "BridgeEnter" in rig.recorder.names(), what="the call up")
        until(lambda: rig.recorder.names().count("BridgeEnter") >= 2, what="both bridged")
        channels = rig.connector.core_show_channels()
        assert sorted(c["Channel"].split("-")[0] for c in channels) == ["PJSIP/201", "PJSIP/202"]
        assert {c["Linkedid"] for c in channels} == {played.expected[0]["call_id"]}
        assert {c["Event"] for c in channels} == {"CoreShowChannel"}
        assert set(channels[0]) == {"Event", "Channel", "ChannelState", "ChannelStateDesc", "CallerIDNum",
                                    "CallerIDName", "ConnectedLineNum", "ConnectedLineName", "Language",
                                    "AccountCode", "Context", "Exten", "Priority", "Uniqueid", "Linkedid",
                                    "Application", "ApplicationData", "Duration", "BridgeId"}
        assert all(c["BridgeId"] for c in channels)
        # a channel whose end was lost with the link is forgotten by the resync
        rig.connector.translator.feed({"type": "ChannelCreated", "timestamp": "2024-01-01T00:00:00.000+0000",
                                       "channel": {"id": "gone.1", "name": "PJSIP/204-00000099", "state": "Ring"}})
        assert "gone.1" in rig.connector.translator.known_ids()
        rig.connector.core_show_channels()
        assert "gone.1" not in rig.connector.translator.known_ids()
        rig.sim.run(lambda sim: played.release())
        rig.sim.run(lambda sim: played.done)


def test_resync_from_the_connected_callback_keeps_the_tracker_in_one_thread():
    """How the bridge resyncs over ARI: in on_state("connected"), before any
    event is read, so the tracker is only ever used by the connector's thread."""
    resyncs = []
    with Rig() as rig:
        connector = rig.connector
        recorder = rig.recorder

        def on_state(state, detail):
            recorder.on_state(state, detail)
            if state == CONNECTED:
                alive = {c["Linkedid"] for c in connector.core_show_channels()}
                gone = [c["call_id"] for c in recorder.tracker.open_calls() if c["call_id"] not in alive]
                resyncs.append((connector.connections, threading.current_thread().name,
                                recorder.tracker.close_calls(gone)))

        connector.on_state = on_state
        connector.wait_connected(5)  # (the first connection may be up before the callback was swapped)
        held = rig.sim.run(lambda sim: sim.play_call("inbound_answered", hold=True, extension="201"))
        until(lambda: recorder.names().count("BridgeEnter") >= 2, what="the call up")
        rig.sim.run(lambda sim: sim.stop_answering_pings(True))  # its end will be lost with the link
        rig.sim.run(lambda sim: held.release())
        rig.sim.run(lambda sim: held.done)
        until(lambda: any(s == DISCONNECTED for s, _ in recorder.states), what="the link lost")
        rig.sim.run(lambda sim: sim.stop_answering_pings(False))
        until(lambda: any(number >= 2 for number, _, _ in resyncs), what="resynced")
        _, thread, closed = resyncs[-1]
        assert thread == "ari-connector"
        assert [r["call_id"] for r in closed] == [held.expected[0]["call_id"]]
        assert recorder.tracker.open_calls() == []


def test_clean_shutdown_sends_a_close_frame_and_ends_the_thread():
    with Rig() as rig:
        rig.connector.wait_connected(5)
    assert rig.recorder.states[-1] == (DISCONNECTED, "stopped")
    assert not rig.connector.alive


def test_stop_is_clean_at_any_moment_and_a_stopped_connector_restarts():
    connector = AriConnector("http://127.0.0.1:1", "k2cc", "u", "p", **FAST)
    assert connector.state == DISCONNECTED and not connector.alive
    connector.stop(5)  # never started
    sim = AriSimulatorThread()
    port = sim.start()
    try:
        connector = AriConnector(f"http://127.0.0.1:{port}", "k2cc", "asterisk", "secret", **FAST)
        connector.start()
        connector.wait_connected(5)
        connector.stop(5)
        closes = sim.run(lambda s: s.closes_received)
        assert closes == 1 and not connector.alive
        connector.start()
        connector.wait_connected(5)
        assert connector.connections == 2
        connector.stop(5)
    finally:
        sim.stop()


def test_wait_connected_times_out_with_the_reason():
    connector = AriConnector("http://127.0.0.1:1", "k2cc", "u", "p", **FAST)
    connector.start()
    try:
        with pytest.raises(AriTimeout, match="not up"):
            connector.wait_connected(0.2)
    finally:
        connector.stop(5)


def test_ari_client_for_one_off_requests():
    sim = AriSimulatorThread(username="odoo", secret="s3cret", extensions=["201", "202"])
    port = sim.start()
    try:
        client = AriClient(f"http://127.0.0.1:{port}/ari", "odoo", "s3cret", timeout=5)
        assert client.info()["system"]["version"] == "20.5.0"
        channel = client.originate("PJSIP/201", "202", "from-internal", variables={"K2CC_USER": 3})
        assert channel["name"].startswith("PJSIP/201-")
        assert isinstance(client.channels(), list)
        with pytest.raises(AriLoginError, match="HTTP 401") as refused:
            AriClient(f"http://127.0.0.1:{port}", "odoo", "nope", timeout=5).info()
        assert isinstance(refused.value, AmiLoginError)
        with pytest.raises(AriActionError, match="Resource not found") as missing:
            client.request("GET", "nothing")
        assert missing.value.status == 404
    finally:
        sim.stop()
    with pytest.raises(AriLinkLost, match="cannot reach"):
        AriClient(f"http://127.0.0.1:{port}", "odoo", "s3cret", timeout=2).info()


def test_callbacks_run_in_the_connectors_thread_only():
    seen = set()
    with Rig() as rig:
        rig.connector.on_state = lambda s, d: seen.add(threading.current_thread().name)
        rig.connector.wait_connected(5)
        rig.sim.run(lambda sim: sim.drop_connections())
        until(lambda: rig.connector.connections >= 2 and rig.connector.connected, what="reconnected")
        rig.play("internal")
        rig.wait_records(1)
        rig.connector.on_state = None
    assert seen == {"ari-connector"} and rig.recorder.threads == {"ari-connector"}


@pytest.mark.parametrize(("given", "http_base", "ws_base"), [
    ("http://pbx:8088", "http://pbx:8088", "ws://pbx:8088"),
    ("http://pbx:8088/ari/", "http://pbx:8088", "ws://pbx:8088"),
    ("https://pbx.example.com/asterisk", "https://pbx.example.com:8088/asterisk", "wss://pbx.example.com:8088/asterisk"),
    ("https://pbx.example.com:8089", "https://pbx.example.com:8089", "wss://pbx.example.com:8089"),
    ("ws://10.0.0.5:8088", "http://10.0.0.5:8088", "ws://10.0.0.5:8088"),
    ("pbx.local", "http://pbx.local:8088", "ws://pbx.local:8088"),
])
def test_base_urls(given, http_base, ws_base):
    assert split_base_url(given) == (http_base, ws_base)


def test_base_url_from_the_pbx_fields():
    assert ari_base_url("10.0.0.5", 8088) == "http://10.0.0.5:8088"
    assert ari_base_url("10.0.0.5", None) == "http://10.0.0.5:8088"
    assert ari_base_url("pbx.example.com", 8089, tls=True) == "https://pbx.example.com:8089"
    assert ari_base_url("https://pbx.example.com:8089/", 5038) == "https://pbx.example.com:8089"
