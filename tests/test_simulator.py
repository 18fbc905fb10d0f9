"""The AMI simulator: protocol behaviour over real TCP, scripted calls that the
call tracker understands as intended, seeded traffic, replay of real traces."""

import asyncio
import os
import signal
import socket
import time
from collections import Counter
from pathlib import Path

import pytest
from sim_common import mismatches, records_from, simulator_command

from k2_contact_center.services.ami.frames import AmiFrameParser, read_ami_file
from k2_contact_center.services.ami.simulator import (
    BANNER,
    CALL_KINDS,
    AmiSimulator,
    SimulatorThread,
    TrafficGenerator,
)

REPO = Path(__file__).resolve().parent.parent
TRACES = Path(os.environ.get("K2_AMI_TRACES") or REPO.parent / "shared" / "ami-traces")


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 20))


class Client:
    """A bare AMI client for protocol checks."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer
        self.parser = AmiFrameParser()
        self.blocks = []
        self.closed = False

    @classmethod
    async def open(cls, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    def send(self, **fields):
        self.writer.write("".join(f"{k}: {v}\r\n" for k, v in fields.items()).encode() + b"\r\n")

    async def until(self, predicate, timeout=5.0):
        """Read blocks until one fits ``predicate``; return it."""
        async def read():
            index = 0
            while True:
                while index < len(self.blocks):
                    block = self.blocks[index]
                    index += 1
                    if predicate(block):
                        return block
                data = await self.reader.read(65536)
                if not data:
                    self.closed = True
                    return None
                self.blocks.extend(self.parser.feed(data))
        return await asyncio.wait_for(read(), timeout)

    async def read_more(self, timeout=5.0):
        data = await asyncio.wait_for(self.reader.read(65536), timeout)
        self.blocks.extend(self.parser.feed(data))

    async def login(self, user="admin", secret="secret", **extra):
        self.send(Action="Login", Username=user, Secret=secret, ActionID="login-1", **extra)
        return await self.until(lambda b: b.get("ActionID") == "login-1")

    def close(self):
        self.writer.close()


def events_of(blocks):
    return [b for b in blocks if "Event" in b]


def test_banner_login_ping_unknown_action():
    async def main():
        sim = await AmiSimulator(extensions=["201", "202"]).start()
        client = await Client.open(sim.port)
        assert await client.reader.readline() == BANNER
        response = await client.login()
        assert response["Response"] == "Success" and response["Message"] == "Authentication accepted"
        client.send(Action="Ping", ActionID="p1")
        pong = await client.until(lambda b: b.get("ActionID") == "p1")
        assert pong["Response"] == "Success" and pong["Ping"] == "Pong"
        assert "." in pong["Timestamp"]
        client.send(Action="NoSuchThing", ActionID="x1")
        error = await client.until(lambda b: b.get("ActionID") == "x1")
        assert error == {"Response": "Error", "ActionID": "x1", "Message": "Invalid/unknown command"}
        client.send(Action="Logoff", ActionID="bye")
        bye = await client.until(lambda b: b.get("ActionID") == "bye")
        assert bye["Response"] == "Goodbye"
        assert await client.until(lambda b: False) is None and client.closed
        await sim.stop()
    run(main())


def test_login_refused_then_closed():
    async def main():
        sim = await AmiSimulator(username="admin", secret="right").start()
        client = await Client.open(sim.port)
        response = await client.login(secret="wrong")
        assert response["Response"] == "Error"
        assert response["Message"] == "Authentication failed"
        assert await client.until(lambda b: False) is None  # connection closed like Asterisk
        await sim.stop()
    run(main())


def test_events_off_stops_events_for_that_client_only():
    async def main():
        sim = await AmiSimulator(extensions=["201", "202"]).start()
        quiet, loud = await Client.open(sim.port), await Client.open(sim.port)
        await quiet.login()
        await loud.login()
        quiet.send(Action="Events", EventMask="off", ActionID="e1")
        assert (await quiet.until(lambda b: b.get("ActionID") == "e1"))["Response"] == "Success"
        played = sim.play_call("internal")
        await played.done
        hangups = 0
        while hangups < 2:
            await loud.until(lambda b: b.get("Event") == "Hangup")
            hangups = sum(b.get("Event") == "Hangup" for b in loud.blocks)
        quiet.send(Action="Ping", ActionID="after")
        await quiet.until(lambda b: b.get("ActionID") == "after")
        assert [b["Event"] for b in events_of(quiet.blocks)] == ["FullyBooted"]
        assert len(events_of(loud.blocks)) > 20
        await sim.stop()
    run(main())


def _check_event_headers(events):
    for event in events:
        whole, _, micros = event["Timestamp"].partition(".")
        assert whole.isdigit() and len(micros) == 6, event
        # (an originated phone leg's DialBegin has no calling Channel, as in Asterisk)
        if event["Event"] in ("Newchannel", "Newstate", "Hangup", "BridgeEnter", "Newexten") or (
                event["Event"] == "DialBegin" and "Channel" in event):
            for key in ("Uniqueid", "Linkedid", "Channel", "CallerIDNum", "CallerIDName", "ConnectedLineNum",
                        "Exten", "Context"):
                assert key in event, (key, event)


@pytest.mark.parametrize("channel", ["PJSIP/201", "Local/201@from-internal"])
def test_originate_success_sequence(channel):
    async def main():
        sim = await AmiSimulator(extensions=["201", "202"]).start()
        client = await Client.open(sim.port)
        await client.login()
        client.send(Action="Originate", Channel=channel, Exten="601123456", Context="from-internal",
                    Priority="1", Async="true", CallerID="K2 <201>", Variable="K2_ID=7", ActionID="o1")
        queued = await client.until(lambda b: b.get("ActionID") == "o1")
        assert queued["Response"] == "Success" and queued["Message"] == "Originate successfully queued"
        response = await client.until(lambda b: b.get("Event") == "OriginateResponse")
        assert response["Response"] == "Success" and response["Reason"] == "4" and response["ActionID"] == "o1"
        expected = sim.expected_calls[-1]
        await client.until(lambda b: b.get("Event") == "Hangup" and b.get("Uniqueid") == expected["call_id"])
        client.send(Action="Ping", ActionID="end")
        await client.until(lambda b: b.get("ActionID") == "end")
        events = [e for e in events_of(client.blocks) if e["Event"] != "FullyBooted"]
        names = [e["Event"] for e in events]
        for name in ("Newchannel", "DialBegin", "DialEnd", "BridgeEnter", "Hangup", "VarSet", "Newexten"):
            assert name in names, name
        states = [e["ChannelStateDesc"] for e in events if e["Event"] == "Newstate"]
        assert "Ringing" in states and "Up" in states
        assert any(e.get("Variable") == "K2_ID" for e in events)
        _check_event_headers(events)
        assert channel.split("@")[0] in events[0]["Channel"]
        assert mismatches([expected], records_from(events)) == []
        assert expected["direction"] == "outbound" and expected["caller"] == "201"
        await sim.stop()
    run(main())


@pytest.mark.parametrize(("channel", "reason"), [("PJSIP/299", "0"), ("PJSIP/202", "5")])
def test_originate_failure(channel, reason):
    async def main():
        sim = await AmiSimulator(extensions=["201", "202"], failing={"202": 5}).start()
        client = await Client.open(sim.port)
        await client.login()
        client.send(Action="Originate", Channel=channel, Exten="203", Context="from-internal", Priority="1",
                    Async="true", ActionID="o2")
        queued = await client.until(lambda b: b.get("ActionID") == "o2" and "Response" in b and "Event" not in b)
        assert queued["Response"] == "Success"  # queued first, failure comes as an event, as Asterisk does
        response = await client.until(lambda b: b.get("Event") == "OriginateResponse")
        assert response["Response"] == "Failure" and response["Reason"] == reason
        await sim.stop()
    run(main())


def test_core_show_channels_lists_live_channels():
    async def main():
        sim = await AmiSimulator(extensions=["201", "202"]).start()
        client = await Client.open(sim.port)
        await client.login()
        played = sim.play_call("inbound_answered", hold=True, extension="201")
        while sim.live_channels() == [] or len(sim.live_channels()) < 2:
            await asyncio.sleep(0.01)
        client.send(Action="CoreShowChannels", ActionID="c1")
        first = await client.until(lambda b: b.get("ActionID") == "c1")
        assert first["Response"] == "Success" and first["EventList"] == "start"
        done = await client.until(lambda b: b.get("Event") == "CoreShowChannelsComplete")
        items = [b for b in client.blocks if b.get("Event") == "CoreShowChannel"]
        assert done["ListItems"] == str(len(items)) == "2"
        assert {i["Linkedid"] for i in items} == {played.expected[0]["call_id"]}
        assert any(i["Channel"].startswith("PJSIP/201-") for i in items)
        played.release()
        await played.done
        assert sim.live_channels() == []
        client.send(Action="Status", ActionID="s1")
        done = await client.until(lambda b: b.get("Event") == "StatusComplete")
        assert done["Items"] == "0"
        await sim.stop()
    run(main())


def test_traffic_is_deterministic_with_a_seed():
    first = TrafficGenerator(seed=42).generate(30)
    again = TrafficGenerator(seed=42).generate(30)
    other = TrafficGenerator(seed=43).generate(30)
    assert first == again
    assert first[0] != other[0]
    events, expected = first
    per_call = len(events) / len({e["call_id"] for e in expected})
    assert 30 <= per_call <= 150
    assert any("ř" in e.get("CallerIDName", "") or "Š" in e.get("CallerIDName", "") for e in events)


def test_tracker_derives_the_intended_record_of_every_call_kind():
    generator = TrafficGenerator(seed=7, calls_per_minute=30, weights=dict.fromkeys(CALL_KINDS, 1))
    events, expected = generator.generate(200)
    assert set(CALL_KINDS) <= {spec["kind"] for spec in expected}
    records = records_from(events)
    assert mismatches(expected, records) == []
    assert len(records) == len(expected)
    dispositions = Counter((s["kind"], s["disposition"]) for s in expected)
    assert dispositions[("inbound_cancelled", "cancelled")] and dispositions[("outbound_busy", "busy")]


def test_played_calls_over_tcp_match_expected():
    async def main():
        sim = await AmiSimulator(extensions=["201", "202", "203"], seed=3).start()
        client = await Client.open(sim.port)
        await client.login()
        for kind in CALL_KINDS:
            await sim.play_call(kind).done
        client.send(Action="Ping", ActionID="end")
        await client.until(lambda b: b.get("ActionID") == "end")
        events = events_of(client.blocks)
        _check_event_headers(events)
        assert mismatches(sim.expected_calls, records_from(events)) == []
        await sim.stop()
    run(main())


def test_rendered_traffic_is_what_played_traffic_sends_with_its_device_states():
    """A load test's traffic rendered first, then sent at once: the same
    events, in the same order, as playing it, device-state events caused by
    the calls included, each client sent only the classes it asked for."""
    async def session(rendered):
        sim = await AmiSimulator(extensions=["201", "202", "203"], seed=3, states=True).start()
        every = await Client.open(sim.port)
        await every.login()
        calls_only = await Client.open(sim.port)
        await calls_only.login(Events="call")
        events, _expected = TrafficGenerator(seed=4, calls_per_minute=600, extensions=("201", "202", "203"),
                                             start=1_700_000_000).generate(40)
        if rendered:
            await sim.send_rendered(await sim.render_events(events))
        else:
            await sim.play_events(events)
        sent = sim.events_sent
        for client in (every, calls_only):
            client.send(Action="Ping", ActionID="end")
            await client.until(lambda b: b.get("ActionID") == "end")
        await sim.stop()
        # the events the calls cause (device states) are stamped with the time they are rendered at
        traffic = [[{key: value for key, value in event.items() if key != "Timestamp"}
                    for event in events_of(client.blocks) if event["Event"] != "FullyBooted"]
                   for client in (every, calls_only)]
        return sent, *traffic

    played, rendered = run(session(False)), run(session(True))
    assert rendered == played
    sent, every, calls_only = rendered
    assert sent == len(every) > 40 * 10
    assert {"DeviceStateChange", "QueueMemberStatus"} <= {event["Event"] for event in every}
    assert calls_only == [event for event in every if "call" in event.get("Privilege", "").split(",")]
    assert len(calls_only) < len(every)


@pytest.mark.skipif(not TRACES.is_dir(), reason=f"no shared AMI traces at {TRACES}")
def test_replay_of_a_shared_trace_with_new_ids_per_loop():
    trace = sorted(TRACES.glob("*.ami"))[0]
    recorded = [e for e in read_ami_file(trace) if "Event" in e]

    async def main():
        sim = await AmiSimulator().start()
        client = await Client.open(sim.port)
        await client.login()
        await sim.replay(trace, speed=0)
        client.send(Action="Ping", ActionID="end")
        await client.until(lambda b: b.get("ActionID") == "end")
        got = events_of(client.blocks)[1:]  # after the login's FullyBooted
        assert [e["Event"] for e in got] == [e["Event"] for e in recorded]
        assert all(e.get("Timestamp") for e in got)
        # looping: the next passes carry other ids
        mark = len(client.blocks)
        task = asyncio.get_running_loop().create_task(sim.replay(trace, speed=0, loop=True))
        seen = 0
        while seen < 2 * len(recorded):
            await client.read_more()
            seen = len(events_of(client.blocks[mark:]))
        task.cancel()
        await sim.stop()
        with_ids = [e["Uniqueid"] for e in recorded if e.get("Uniqueid")]
        later = [e["Uniqueid"] for e in events_of(client.blocks[mark:]) if e.get("Uniqueid")]
        k = len(with_ids)
        assert k and later[:k] == with_ids  # first pass as recorded
        second = later[k:2 * k]
        assert len(second) == k and not set(second) & set(with_ids)  # then new calls
        assert len(set(second)) == len(set(with_ids))
    run(main())


def test_simulator_thread_from_sync_code():
    runner = SimulatorThread(username="u", secret="s")
    port = runner.start()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            assert sock.recv(100) == BANNER
            sock.sendall(b"Action: Login\r\nUsername: u\r\nSecret: s\r\nActionID: 1\r\n\r\n")
            data = b""
            while b"\r\n\r\n" not in data:
                data += sock.recv(4096)
            assert b"Authentication accepted" in data
        played = runner.run(lambda sim: sim.play_call("queue"))
        assert played.expected[0]["kind"] == "queue"
        assert runner.run(lambda sim: len(sim.expected_calls)) == 1
    finally:
        runner.stop()
    assert not runner._thread.is_alive()


def test_cli_drops_connections_on_sigusr1():
    with simulator_command("k2_contact_center.services.ami.simulator") as (proc, port):
        for _attempt in range(100):
            try:
                client = socket.create_connection(("127.0.0.1", port), timeout=2)
                break
            except OSError:
                time.sleep(0.05)
        banner = client.recv(100)
        assert banner.startswith(b"Asterisk Call Manager/")
        client.sendall(b"Action: Login\r\nUsername: u\r\nSecret: s\r\n\r\n")
        assert b"Success" in client.recv(1000)
        proc.send_signal(signal.SIGUSR1)
        client.settimeout(5)
        rest = b""
        while chunk := client.recv(1000):
            rest += chunk
        assert chunk == b""  # closed by the simulator
        client.close()
