"""The AMI connector against the simulator over real TCP: login, events,
faults of the link (refused login, drops, half-open, garbled input), actions."""

import asyncio
import threading
import time
import warnings

import pytest

from k2_contact_center.services.ami import actions as ami_actions
from k2_contact_center.services.ami.actions import AmiAction
from k2_contact_center.services.ami.connector import (
    CONNECTED,
    CONNECTING,
    DISCONNECTED,
    ERROR,
    AmiActionError,
    AmiConnector,
    AmiLinkLost,
    AmiLoginError,
    ConnectorThread,
    run_once,
)
from k2_contact_center.services.ami.simulator import AmiSimulator, SimulatorThread, TrafficGenerator

FAST = {"ping_interval": 0.1, "ping_timeout": 0.2, "login_timeout": 0.3, "connect_timeout": 1.0,
        "backoff_initial": 0.01, "backoff_max": 0.05, "action_timeout": 2.0}


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 20))


async def until(predicate, timeout=5.0):
    async def wait():
        while not predicate():
            await asyncio.sleep(0.005)
    await asyncio.wait_for(wait(), timeout)


class Rig:
    """A simulator and a connector recording what it saw."""

    def __init__(self, sim_options=None, **options):
        self.sim = AmiSimulator(**{"extensions": ["201", "202", "203"], **(sim_options or {})})
        self.options = {**FAST, **options}
        self.events = []
        self.states = []
        self.connector = None

    async def __aenter__(self):
        await self.sim.start()
        self.connector = AmiConnector("127.0.0.1", self.sim.port, "admin", self.options.pop("secret", "secret"),
                                      on_event=self.events.append,
                                      on_state=lambda s, d: self.states.append((s, d)), **self.options)
        await self.connector.start()
        return self

    async def __aexit__(self, *exc):
        await self.connector.stop()
        await self.sim.stop()

    def names(self):
        return [e.get("Event") for e in self.events]


def test_connects_and_receives_events_with_diacritics_and_header_order():
    async def main():
        async with Rig() as rig:
            await rig.connector.wait_connected(5)
            played = rig.sim.play_call("inbound_answered", caller="+420601123456", caller_name="Antonín Dvořák")
            await played.done
            await until(lambda: rig.names().count("Hangup") >= 2)
            first = next(e for e in rig.events if e["Event"] == "Newchannel")
            assert first["CallerIDName"] == "Antonín Dvořák"
            assert list(first)[:3] == ["Event", "Privilege", "Timestamp"]
            assert rig.connector.last_event_at is not None
            assert rig.states[:2] == [("connecting", f"127.0.0.1:{rig.sim.port}"),
                                      ("connected", "Asterisk Call Manager/7.0.3")]
    run(main())


def test_refused_login_is_error_with_capped_growing_backoff():
    async def main():
        async with Rig(secret="wrong") as rig:
            await until(lambda: len(rig.connector.retry_delays) >= 5)
            connector = rig.connector
            assert connector.state in (ERROR, "connecting")
            assert (ERROR, "Authentication failed") in rig.states
            assert connector.last_error == "Authentication failed"
            assert CONNECTED not in [s for s, _ in rig.states]
            delays = connector.retry_delays[:5]
            assert delays[0] < delays[1] < delays[2]  # grows (factor 2 beats 20% jitter)
            assert all(d <= FAST["backoff_max"] for d in delays)  # capped
            assert delays[3] >= FAST["backoff_max"] * (1 - connector.backoff_jitter)
            logins = [a for a in rig.sim.actions_seen if a.get("Action") == "Login"]
            assert len(logins) >= 5
    run(main())


def test_backoff_formula():
    connector = AmiConnector(backoff_initial=1.0, backoff_max=30.0, backoff_jitter=0.0)
    assert [connector.backoff_delay(n) for n in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    connector.backoff_jitter = 0.5
    values = [connector.backoff_delay(3) for _ in range(200)]
    assert all(4.0 <= v <= 8.0 for v in values) and len(set(values)) > 1
    assert connector.backoff_delay(1000) <= 30.0


def test_drop_connections_then_reconnects_and_events_flow_again():
    async def main():
        async with Rig() as rig:
            await rig.connector.wait_connected(5)
            rig.sim.drop_connections()
            await until(lambda: rig.connector.connections >= 2 and rig.connector.connected)
            states = [s for s, _ in rig.states]
            assert states.index(DISCONNECTED) < len(states) - 1 - states[::-1].index(CONNECTED)
            count = len(rig.events)
            await rig.sim.play_call("internal").done
            await until(lambda: rig.names()[count:].count("Hangup") >= 2)
    run(main())


def test_in_flight_action_fails_when_the_link_drops():
    async def main():
        async with Rig(ping_interval=30.0) as rig:
            await rig.connector.wait_connected(5)
            rig.sim.stop_answering_pings(True)  # the action will get no answer...
            pending = asyncio.get_running_loop().create_task(
                rig.connector.send_action(AmiAction("Ping"), timeout=15.0))
            await until(lambda: any(a.get("Action") == "Ping" for a in rig.sim.actions_seen))
            rig.sim.drop_connections()  # ...until the link drops
            with pytest.raises(AmiLinkLost):
                await asyncio.wait_for(pending, 5.0)  # long before its own 15 s timeout
            assert not [a for a in rig.connector._protocol.responses.values() if not a.future.done()]
            rig.sim.stop_answering_pings(False)
    run(main())


def test_half_open_link_is_detected_and_reconnected():
    async def main():
        async with Rig() as rig:
            await rig.connector.wait_connected(5)
            rig.sim.stop_answering_pings(True)
            await until(lambda: any(s == DISCONNECTED and "half-open" in d for s, d in rig.states))
            rig.sim.stop_answering_pings(False)
            await until(lambda: rig.connector.connections >= 2 and rig.connector.connected)
            assert "half-open" in rig.connector.last_error
            assert (await rig.connector.ping())["Ping"] == "Pong"
    run(main())


def test_garbled_frames_and_merged_events_are_survived():
    async def main():
        async with Rig(ping_interval=30.0) as rig:
            await rig.connector.wait_connected(5)
            rig.sim.inject(b"this is no header line\r\n\xff\xfe\xfa: \xc3\r\n\r\n")
            rig.sim.inject("Event: UserEvent\r\nUserEvent: first\r\nEvent: UserEvent\r\nUserEvent: Šťastná\r\n\r\n")
            await rig.sim.play_call("outbound_answered").done
            await until(lambda: rig.names().count("Hangup") >= 2)
            users = [e["UserEvent"] for e in rig.events if e.get("Event") == "UserEvent"]
            assert users == ["first", "Šťastná"]
            errors = rig.connector.frame_errors
            assert errors.get("merged_events") == 1 and errors.get("lines_without_colon") == 1
            assert errors.get("decode_errors") == 1
            assert rig.connector.connections == 1 and rig.connector.connected  # never dropped
    run(main())


def test_originate_success_and_failure_with_reason():
    async def main():
        async with Rig(sim_options={"failing": {"203": 5}}) as rig:
            await rig.connector.wait_connected(5)
            result = await rig.connector.originate("PJSIP/201", "601123456", "from-internal", caller_id="K2 <201>",
                                                   variables={"K2_CALL": "42"}, timeout=5)
            assert result["Response"] == "Success" and result["Channel"].startswith("PJSIP/201-")
            assert "OriginateResponse" in rig.names()  # the tracker gets it too
            with pytest.raises(AmiActionError, match="busy") as failure:
                await rig.connector.originate("PJSIP/203", "202", "from-internal", timeout=5)
            assert failure.value.reason == "5"
            with pytest.raises(AmiActionError, match="no such channel"):
                await rig.connector.originate("PJSIP/999", "202", "from-internal", timeout=5)
            sent = [a for a in rig.sim.actions_seen if a.get("Action") == "Originate"][0]
            assert sent["Variable"] == "K2_CALL=42" and sent["CallerID"] == "K2 <201>"
            unknown = await rig.connector.send_action(AmiAction("Bogus"))
            assert unknown["Response"] == "Error" and unknown["Message"] == "Invalid/unknown command"
    run(main())


def test_core_show_channels_returns_the_live_channels():
    async def main():
        async with Rig() as rig:
            await rig.connector.wait_connected(5)
            assert await rig.connector.core_show_channels() == []
            played = rig.sim.play_call("internal", hold=True, caller="201", callee="202")
            await until(lambda: len(rig.sim.live_channels()) == 2)
            channels = await rig.connector.core_show_channels()
            assert sorted(c["Channel"].split("-")[0] for c in channels) == ["PJSIP/201", "PJSIP/202"]
            assert {c["Linkedid"] for c in channels} == {played.expected[0]["call_id"]}
            played.release()
            await played.done
    run(main())


def test_clean_shutdown_sends_logoff():
    async def main():
        async with Rig() as rig:
            await rig.connector.wait_connected(5)
        assert rig.sim.logoffs == 1
        assert rig.states[-1] == (DISCONNECTED, "stopped")
        assert rig.connector._task is None
    run(main())


def test_connector_thread_from_sync_code():
    runner = SimulatorThread(extensions=["201", "202"])
    port = runner.start()
    events, threads = [], set()

    def on_event(event):
        events.append(event)
        threads.add(threading.current_thread().name)

    connector = ConnectorThread("127.0.0.1", port, "admin", "secret", on_event=on_event, **FAST)
    try:
        connector.start()
        connector.wait_connected(5)
        assert connector.state == CONNECTED
        assert connector.call(AmiAction("Ping"), timeout=5)["Ping"] == "Pong"
        result = connector.originate("PJSIP/201", "202", "from-internal", timeout=5)
        assert result["Response"] == "Success"
        with pytest.raises(AmiActionError):
            connector.originate("PJSIP/299", "202", "from-internal", timeout=5)
        assert connector.core_show_channels() is not None
        deadline = time.monotonic() + 5
        while "Hangup" not in [e["Event"] for e in events] and time.monotonic() < deadline:
            time.sleep(0.01)
        assert threads == {"ami-connector"}
    finally:
        connector.stop(5)
        logoffs = runner.run(lambda sim: sim.logoffs)
        runner.stop()
    assert not connector.alive
    assert logoffs == 1
    with pytest.raises(AmiLinkLost):
        connector.call(AmiAction("Ping"))


@pytest.mark.filterwarnings("error")
def test_construction_outside_a_loop_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        connector = AmiConnector("127.0.0.1", 1, "u", "s")
        thread = ConnectorThread("127.0.0.1", 1, "u", "s", connect_timeout=0.2, backoff_initial=0.01)
        assert connector.state == DISCONNECTED and thread.state == DISCONNECTED
        thread.start()
        thread.stop(5)
        assert not thread.alive


def test_run_once_from_sync_code_pings_and_reports_refusals():
    sim = SimulatorThread(username="odoo", secret="s3cret")
    port = sim.start()
    try:
        pong = run_once("127.0.0.1", port, "odoo", "s3cret", lambda connector: connector.ping(), timeout=5)
        assert pong["Response"] == "Success"
        with pytest.raises(AmiLoginError, match="Authentication failed"):
            run_once("127.0.0.1", port, "odoo", "wrong", lambda connector: connector.ping(), timeout=5)
        queued = run_once("127.0.0.1", port, "odoo", "s3cret", lambda connector: connector.send_action(
            ami_actions.originate("PJSIP/201", "202", "from-internal"), first_response=True), timeout=5)
        assert queued["Response"] == "Success"
    finally:
        sim.stop()
    with pytest.raises(AmiLinkLost):
        run_once("127.0.0.1", port, "odoo", "s3cret", lambda connector: connector.ping(), timeout=2)


def test_a_silent_pbx_is_found_within_ten_seconds_and_an_idle_link_is_pinged_every_five():
    """The keep-alive's defaults: a Ping after 5 s without a word from the
    PBX, 4 s to answer it."""
    async def main():
        sim = await AmiSimulator(username="odoo", secret="s3cret").start()
        states = []
        connector = AmiConnector("127.0.0.1", sim.port, "odoo", "s3cret", backoff_initial=30.0,
                                 on_state=lambda state, detail: states.append((time.monotonic(), state, detail)))
        await connector.start()
        await connector.wait_connected(5)
        try:
            began = time.monotonic()
            await asyncio.sleep(6.0)
            pings = [a for a in sim.actions_seen if a.get("Action") == "Ping"]
            assert len(pings) == 1, "an idle link: one Ping in its first 6 s"
            sim.stop_answering_pings()
            silent = time.monotonic()
            while not any(state == DISCONNECTED and at >= silent for at, state, _detail in states):
                assert time.monotonic() - silent < 12, "the silent PBX was not noticed"
                await asyncio.sleep(0.1)
            noticed = next(t for t, state, _ in states if state == DISCONNECTED and t >= silent)
            # the last word of the PBX was the Pong at about began + 5 s
            assert noticed - (began + 5.0) <= 10.0
            assert "half-open" in next(d for t, s, d in states if t == noticed)
        finally:
            await connector.stop()
            await sim.stop()
    run(main())


def test_a_bridge_that_waits_on_its_database_keeps_its_link_and_loses_no_event():
    """A burst the bridge reads slower than the PBX sends it (each event
    waits, as the bridge's reader does on a full buffer while the database
    lags): the Pong is late behind the events, and the link is no half-open
    one for that. Before, it was dropped with what the PBX had sent."""
    runner = SimulatorThread(extensions=["201", "202", "203"], seed=5)
    port = runner.start()
    events, states = [], []

    def slow(event):
        events.append(event)
        time.sleep(0.002)

    connector = ConnectorThread("127.0.0.1", port, "admin", "secret", on_event=slow,
                                on_state=lambda state, detail: states.append((state, detail)), **FAST)
    try:
        connector.start()
        connector.wait_connected(5)
        traffic, _expected = TrafficGenerator(seed=2, calls_per_minute=600, extensions=("201", "202", "203"),
                                              start=1_700_000_000).generate(30)
        rendered = runner.run(lambda sim: sim.render_events(traffic))
        began = len(events)
        runner.run(lambda sim: sim.send_rendered(rendered))
        deadline = time.monotonic() + 30

        def calls_events():
            return [event for event in events[began:] if event.get("Event") != "FullyBooted"]

        while len(calls_events()) < len(rendered) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(calls_events()) == len(rendered), "events lost with the link"
        assert time.monotonic() - deadline + 30 > FAST["ping_interval"] + FAST["ping_timeout"], \
            "the burst took longer to read than a Ping may wait for its Pong"
        assert [state for state, _detail in states] == [CONNECTING, CONNECTED]
    finally:
        connector.stop(5)
        runner.stop()

