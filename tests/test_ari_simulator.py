"""The ARI simulator: HTTP and WebSocket (RFC 6455) over real TCP, its scripted
calls rendered as Asterisk's ARI events, replay of ARI stream files."""

import asyncio
import base64
import io
import json
import os
import signal
import struct
import time
import urllib.error
import urllib.request
import wave
from datetime import datetime

import pytest
import websocket
from sim_common import (
    STREAMS,
    TIME_TOLERANCE,
    mismatches,
    record_differences,
    records_from,
    simulator_command,
)

from k2_contact_center.services.ami.simulator import CALL_KINDS, CallFactory, TrafficGenerator
from k2_contact_center.services.ari.events import AriTranslator, parse_timestamp, translate_events
from k2_contact_center.services.ari.simulator import (
    OP_CLOSE,
    OP_PING,
    OP_PONG,
    AriSimulator,
    AriSimulatorThread,
    accept_key,
    encode_frame,
    generate_ari,
    prepare_script,
)

AUTH = "Basic " + base64.b64encode(b"asterisk:secret").decode()
AUTH_US = "Authorization: Basic " + base64.b64encode(b"u:s").decode()


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 20))


async def http(port, method, path, body=None, auth=AUTH):
    """One HTTP request to the simulator: (status, headers, decoded JSON)."""
    def call():
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                         data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Authorization": auth} if auth else {})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, dict(response.headers), json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), json.loads(error.read() or b"null")
    return await asyncio.to_thread(call)


async def ws_open(port, query="app=k2cc&subscribeAll=true", auth=AUTH):
    def call():
        return websocket.create_connection(f"ws://127.0.0.1:{port}/ari/events?{query}", timeout=5,
                                           header=[f"Authorization: {auth}"])
    return await asyncio.to_thread(call)


async def ws_until(ws, predicate, collected):
    """Read events into ``collected`` until one fits ``predicate``."""
    def call():
        while True:
            event = json.loads(ws.recv())
            collected.append(event)
            if predicate(event):
                return event
    return await asyncio.to_thread(call)


def test_websocket_handshake_and_events_for_subscribed_clients_only():
    async def main():
        sim = await AriSimulator(extensions=["201", "202"]).start()
        listener = await ws_open(sim.port)
        own_only = await ws_open(sim.port, "app=other")
        await sim.wait_clients(2)
        played = sim.play_call("internal", caller="201", callee="202")
        await played.done
        events = []
        destroyed = []
        while len(destroyed) < 2:
            event = await ws_until(listener, lambda e: e["type"] == "ChannelDestroyed", events)
            destroyed.append(event)
        assert {e["application"] for e in events} == {"k2cc"}
        assert {e["asterisk_id"] for e in events} == {"02:42:ac:11:00:02"}
        assert events[0]["type"] == "ChannelCreated" and events[0]["channel"]["state"] == "Ring"
        assert events[0]["channel"]["caller"]["name"] == "Jana Nováková"
        assert all(parse_timestamp(e["timestamp"]) for e in events)
        # an application without subscribeAll sees no calls: its first frame is the pong
        await asyncio.to_thread(own_only.ping, b"x")
        opcode, frame = await asyncio.to_thread(own_only.recv_data_frame, True)
        assert (opcode, frame.data) == (OP_PONG, b"x")
        assert sim.requests_seen[0]["query"] == {"app": "k2cc", "subscribeAll": "true"}
        await asyncio.to_thread(listener.close)
        await asyncio.to_thread(own_only.close)
        await sim.stop()
    run(main())


def test_wrong_password_is_401_for_http_and_websocket_api_key_works():
    async def main():
        sim = await AriSimulator(username="odoo", secret="s3cret").start()
        status, headers, body = await http(sim.port, "GET", "/ari/asterisk/info", auth=AUTH)
        assert status == 401 and body == {"message": "Authentication required"}
        assert headers["WWW-Authenticate"].startswith("Basic realm=")
        status, _, _ = await http(sim.port, "GET", "/ari/asterisk/info", auth=None)
        assert status == 401
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            await ws_open(sim.port)
        assert refused.value.status_code == 401
        status, _, body = await http(sim.port, "GET", "/ari/asterisk/info?api_key=odoo:s3cret", auth=None)
        assert status == 200 and body["system"]["version"] == "20.5.0"
        await sim.stop()
    run(main())


def test_events_without_app_is_400_and_unknown_paths_404():
    async def main():
        sim = await AriSimulator().start()
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            await ws_open(sim.port, "subscribeAll=true")
        assert refused.value.status_code == 400
        assert b"missing param: [app]" in refused.value.resp_body
        status, _, body = await http(sim.port, "GET", "/ari/nothing")
        assert status == 404 and body == {"message": "Resource not found"}
        status, _, body = await http(sim.port, "GET", "/ari/asterisk/ping")
        assert status == 200 and body["ping"] == "pong"
        await sim.stop()
    run(main())


def test_channels_lists_the_live_channels():
    async def main():
        sim = await AriSimulator(extensions=["201", "202"]).start()
        status, _, body = await http(sim.port, "GET", "/ari/channels")
        assert (status, body) == (200, [])
        played = sim.play_call("inbound_answered", hold=True, extension="201")
        while len(sim.live_channels()) < 2 or any(c["state"] != "Up" for c in sim.live_channels()):
            await asyncio.sleep(0.01)
        _, _, body = await http(sim.port, "GET", "/ari/channels")
        assert sorted(c["name"].rsplit("-", 1)[0] for c in body) == ["PJSIP/201", "PJSIP/k2-trunk"]
        assert {c["state"] for c in body} == {"Up"}
        assert played.expected[0]["call_id"] in {c["id"] for c in body}
        played.release()
        await played.done
        _, _, body = await http(sim.port, "GET", "/ari/channels")
        assert body == []
        await sim.stop()
    run(main())


@pytest.mark.parametrize(("query", "status", "body"), [
    ("extension=202&context=from-internal", 400, {"message": "Endpoint must be specified"}),
    ("endpoint=PJSIP&extension=202", 400, {"message": "Invalid endpoint specified"}),
    ("endpoint=PJSIP/201", 400, {"message": "Application or extension must be specified"}),
    ("endpoint=PJSIP/299&extension=202", 500, {"error": "Allocation failed"}),
    ("endpoint=Dahdi/201&extension=202", 500, {"error": "Allocation failed"}),
])
def test_originate_refusals_say_why_like_asterisk(query, status, body):
    async def main():
        sim = await AriSimulator(extensions=["201", "202"]).start()
        got = await http(sim.port, "POST", f"/ari/channels?{query}")
        assert (got[0], got[2]) == (status, body)
        assert sim.expected_calls == []
        await sim.stop()
    run(main())


def test_originate_answers_the_channel_then_plays_the_call():
    async def main():
        sim = await AriSimulator(extensions=["201", "202"]).start()
        listener = await ws_open(sim.port)
        await sim.wait_clients(1)
        status, _, channel = await http(sim.port, "POST", "/ari/channels?endpoint=PJSIP/201&extension=601123456"
                                        "&context=from-internal&priority=1&callerId=K2%20%3C201%3E",
                                        body={"variables": {"K2CC_USER": "7"}})
        assert status == 200 and channel["name"].startswith("PJSIP/201-") and channel["state"] == "Down"
        assert channel["dialplan"]["exten"] == "601123456"
        expected = sim.expected_calls[-1]
        assert expected["call_id"] == channel["id"] and expected["direction"] == "outbound"
        events = []
        await ws_until(listener, lambda e: e["type"] == "ChannelDestroyed" and e["channel"]["id"] == channel["id"],
                       events)
        assert events[0]["type"] == "ChannelCreated" and events[0]["channel"]["id"] == channel["id"]
        assert any(e["type"] == "ChannelVarset" and e["variable"] == "K2CC_USER" for e in events)
        dials = [e for e in events if e["type"] == "Dial" and e["peer"]["id"] == channel["id"]]
        assert "caller" not in dials[0] and dials[0]["dialstatus"] == ""  # an originate dials without caller
        assert mismatches([expected], records_from(translate_events(events)), queue_facts=False) == []
        await asyncio.to_thread(listener.close)
        await sim.stop()
    run(main())


def test_ping_pong_and_close_handshake_on_the_wire():
    async def main():
        sim = await AriSimulator().start()
        reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write((f"GET /ari/events?app=k2cc&subscribeAll=true HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                      f"Sec-WebSocket-Protocol: ari\r\nAuthorization: {AUTH}\r\n\r\n").encode())
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101 ")
        assert f"Sec-WebSocket-Accept: {accept_key(key)}".encode() in head
        assert b"Sec-WebSocket-Protocol: ari" in head

        def masked(opcode, payload):
            mask = os.urandom(4)
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            return struct.pack("!BB", 0x80 | opcode, 0x80 | len(payload)) + mask + data

        writer.write(masked(OP_PING, b"hello"))
        assert await reader.readexactly(7) == encode_frame(OP_PONG, b"hello")
        writer.write(masked(OP_CLOSE, struct.pack("!H", 1000) + b"bye"))
        assert await reader.readexactly(4) == encode_frame(OP_CLOSE, struct.pack("!H", 1000))
        assert await reader.read() == b""  # and the server closed
        assert sim.closes_received == 1
        writer.close()
        await sim.stop()
    run(main())


def test_accept_key_of_rfc_6455():
    # the example of RFC 6455, section 1.3
    assert accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert encode_frame(0x1, "x" * 200)[:4] == b"\x81\x7e\x00\xc8"
    assert encode_frame(0x1, b"x" * 70000)[:2] == b"\x81\x7f"


def test_scripts_are_rendered_the_way_asterisk_publishes():
    factory = CallFactory(("201", "202"), "k2-trunk")
    inbound, _ = prepare_script(factory.build("inbound_answered"))
    created = inbound[0][1]
    assert created["Event"] == "Newchannel" and created["ChannelStateDesc"] == "Ring"
    assert not [e for _, e in inbound if e["Event"] == "Newstate" and e["Uniqueid"] == created["Uniqueid"]
                and e["ChannelState"] == "4"]  # created ringing, as chan_pjsip does
    local, _ = prepare_script(factory.build("click_to_call", extension="201", number="202", local=True))
    names = [(e["Event"], e.get("Channel", e.get("DestChannel", ""))[-2:]) for _, e in local[:4]]
    assert names[:3] == [("Newchannel", ";1"), ("Newchannel", ";2"), ("DialBegin", ";1")]
    assert local[1][1]["ChannelStateDesc"] == "Ring" and "Uniqueid" not in local[2][1]
    assert any(e["Event"] == "DialEnd" and e.get("DestChannel", "").endswith(";1") and e["DialStatus"] == "ANSWER"
               for _, e in local)


def test_every_scripted_call_kind_as_ari_gives_the_records_it_gives_over_ami():
    weights = dict.fromkeys(CALL_KINDS, 1)
    ari_events, expected = generate_ari(TrafficGenerator(seed=7, calls_per_minute=30, weights=weights), 200)
    ami_events, _ = TrafficGenerator(seed=7, calls_per_minute=30, weights=weights).generate(200)
    assert set(CALL_KINDS) <= {spec["kind"] for spec in expected}
    translator = AriTranslator()
    over_ari = records_from(translate_events(ari_events, translator))
    over_ami = records_from(ami_events)
    assert translator.errors == {} and translator.unknown == {}
    assert mismatches(expected, over_ari, queue_facts=False) == []
    assert len(over_ari) == len(expected) == len(over_ami)
    assert {cid: record_differences(over_ami[cid], over_ari[cid]) for cid in over_ami} == dict.fromkeys(over_ami, {})
    starts = [abs(datetime.fromisoformat(over_ami[c]["start"]).timestamp()
                  - datetime.fromisoformat(over_ari[c]["start"]).timestamp()) for c in over_ami]
    assert max(starts) <= TIME_TOLERANCE


def test_replay_of_a_stream_file_then_new_ids_on_each_loop():
    path = STREAMS / "internal_busy.jsonl"
    recorded = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
                if line and not line.startswith("#")]

    async def main():
        sim = await AriSimulator().start()
        listener = await ws_open(sim.port)
        await sim.wait_clients(1)
        await sim.replay(path, speed=0)
        got = []
        while len(got) < len(recorded):
            got.append(json.loads(await asyncio.to_thread(listener.recv)))
        assert got == recorded  # as recorded, application included
        task = asyncio.get_running_loop().create_task(sim.replay(path, speed=0, loop=True))
        later = []
        while len(later) < 2 * len(recorded):
            later.append(json.loads(await asyncio.to_thread(listener.recv)))
        task.cancel()
        first, second = later[:len(recorded)], later[len(recorded):]
        ids = {e["channel"]["id"] for e in recorded if "channel" in e}
        assert {e["channel"]["id"] for e in first if "channel" in e} == ids
        assert not {e["channel"]["id"] for e in second if "channel" in e} & ids
        assert len({e["channel"]["id"] for e in second if "channel" in e}) == len(ids)
        assert [e["type"] for e in second] == [e["type"] for e in recorded]
        assert parse_timestamp(second[0]["timestamp"]) > parse_timestamp(recorded[-1]["timestamp"])
        assert len(records_from(translate_events(second))) == 1  # a call again
        await asyncio.to_thread(listener.close)
        await sim.stop()
    run(main())


def test_simulator_thread_from_sync_code():
    runner = AriSimulatorThread(username="u", secret="s", extensions=["201", "202"])
    port = runner.start()
    try:
        ws = websocket.create_connection(f"ws://127.0.0.1:{port}/ari/events?app=k2cc&subscribeAll=true",
                                         timeout=5, header=[AUTH_US])
        runner.run(lambda sim: sim.wait_clients(1))
        played = runner.run(lambda sim: sim.play_call("queue"))
        assert played.expected[0]["kind"] == "queue"
        assert json.loads(ws.recv())["type"] == "ChannelCreated"
        ws.close()
    finally:
        runner.stop()
    assert not runner._thread.is_alive()


def test_cli_drops_connections_on_sigusr1():
    with simulator_command("k2_contact_center.services.ari.simulator") as (proc, port):
        ws = None
        for _attempt in range(100):
            try:
                ws = websocket.create_connection(f"ws://127.0.0.1:{port}/ari/events?app=k2cc", timeout=5,
                                                 header=[AUTH_US])
                break
            except (OSError, websocket.WebSocketException):
                time.sleep(0.05)
        assert ws is not None and ws.connected
        proc.send_signal(signal.SIGUSR1)
        with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
            while True:
                ws.recv()


def test_recordings_served_as_wav_without_login_only_when_asked():
    for recordings in (True, False):
        sim = AriSimulatorThread(username="odoo", secret="s3cret", recordings=recordings)
        port = sim.start()
        try:
            url = f"http://127.0.0.1:{port}/recordings/2026/11/25/1700000000.12.wav"
            if recordings:
                with urllib.request.urlopen(url, timeout=5) as answer:
                    with wave.open(io.BytesIO(answer.read())) as recording:
                        seconds = recording.getnframes() / recording.getframerate()
                assert 3 <= seconds <= 8
                with urllib.request.urlopen(url, timeout=5) as again:
                    assert wave.open(io.BytesIO(again.read())).getnframes() == seconds * 8000, "same path, same file"
            else:
                try:
                    urllib.request.urlopen(url, timeout=5)
                except urllib.error.HTTPError as error:
                    assert error.code == 401
                else:
                    raise AssertionError("recordings served although not asked for")
        finally:
            sim.stop()
