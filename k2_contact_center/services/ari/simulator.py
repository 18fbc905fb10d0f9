"""A PBX stand-in speaking the Asterisk REST Interface (ARI): HTTP + WebSocket.

Pure Python (asyncio, stdlib only), no ``odoo`` import. It plays the scripted
calls of the AMI simulator (:mod:`.simulator`: same :class:`~.simulator.CallFactory`,
same call kinds, same expected records) as the ARI event stream Asterisk 18+
with PJSIP sends for them, or replays a recorded ARI stream (JSON lines).

Served, like Asterisk's HTTP server with ``ari.conf`` users:

- ``GET /ari/events?app=APP&subscribeAll=true``: the WebSocket of events
  (RFC 6455, server side: text frames, ping/pong, close). Calls are sent to
  clients that asked for ``subscribeAll`` (an application sees only its own
  Stasis channels otherwise, and this simulator has none);
- ``POST /ari/channels`` (originate: ``endpoint``, ``extension``, ``context``,
  ``priority``, ``callerId``, ``timeout`` in the query or the JSON body,
  ``variables`` in the body): plays a click-to-call; an endpoint that is not
  one of the extensions is refused as Asterisk does (500, "Allocation failed");
- ``GET /ari/channels``, ``GET /ari/asterisk/info``, ``GET /ari/asterisk/ping``;
- with ``recordings``: ``GET /recordings/<anything>.wav`` without login, a generated
  tone of a few seconds (the web server beside a PBX's monitor folder).

Every request needs the user and password (HTTP basic auth, or
``api_key=user:password`` in the query): 401 otherwise.

Command line::

    python -m k2_contact_center.services.ari.simulator --port 8088 [--host 127.0.0.1]
        [--user asterisk --secret secret]
        (--replay FILE.jsonl [--speed EVENTS_PER_SECOND] [--loop]
         | --traffic [--calls-per-minute N] [--extensions 201,202,...]
                     [--trunk NAME] [--seed S] [--duration SECONDS] [--overlapping])

In-process (tests)::

    sim = AriSimulator("127.0.0.1", 0, "asterisk", "secret", extensions=["201", "202"])
    await sim.start(); sim.port
    played = sim.play_call("inbound_answered", time_scale=0)   # simulator.PlayedCall
    await played.done; played.expected
    sim.drop_connections(); sim.stop_answering_pings(True); sim.inject("not json")
    await sim.stop()

:class:`AriSimulatorThread` runs it in a daemon thread with its own loop.

How the AMI script becomes ARI: each AMI event of a script is the AMI
rendering of an internal Asterisk message whose ARI rendering is sent instead
(``Newchannel`` -> ``ChannelCreated``, ``DialBegin`` -> ``Dial``, ``Hangup`` ->
``ChannelDestroyed``...; see :mod:`.events` for the table). Where the
script simplifies, the stream follows Asterisk: a phone or trunk placing a
call is created in state ``Ring`` (chan_pjsip), the ``;2`` half of a Local
channel too, and an originate of a Local channel has its ``Dial`` without a
caller (main/dial.c). AMI-only events (queue members, RTCP, ``LocalBridge``,
``OriginateResponse``) have no ARI rendering and are not sent.
"""

import asyncio
import base64
import hashlib
import io
import itertools
import json
import logging
import math
import struct
import time
import wave
import zlib
from datetime import datetime, timezone
from http import HTTPStatus
from urllib.parse import parse_qsl, urlsplit

from ..ami.simulator import PlayedCall, SimulatorServer, SimulatorThread, command_line, serve
from .events import read_ari_file

_logger = logging.getLogger(__name__)

ASTERISK_VERSION = "20.5.0"
ASTERISK_ID = "02:42:ac:11:00:02"
_WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
_MAX_FRAME = 1 << 20
_MAX_HEAD = 16384
_STATE_NAMES = {0: "Down", 1: "Rsrved", 2: "OffHook", 3: "Dialing", 4: "Ring", 5: "Ringing", 6: "Up", 7: "Busy",
                8: "Dialing Offhook", 9: "Pre-ring"}
_CHANNEL_KEYS = ("channel", "peer", "caller", "forwarded", "transferee", "transfer_target", "replace_channel",
                 "transferer_first_leg", "transferer_second_leg", "destination_link_first_leg",
                 "destination_link_second_leg", "destination_threeway_channel")
_BRIDGE_KEYS = ("bridge", "transferer_first_leg_bridge", "transferer_second_leg_bridge",
                "destination_threeway_bridge")


def iso_timestamp(ts):
    """Asterisk's ``ast_json_timeval``: local time, milliseconds, UTC offset
    (``2024-03-01T10:15:02.345+0100``)."""
    millis = int(round(ts * 1000))
    moment = datetime.fromtimestamp(millis // 1000, timezone.utc).astimezone()
    return f"{moment.strftime('%Y-%m-%dT%H:%M:%S')}.{millis % 1000:03d}{moment.strftime('%z')}"


def _plain(value):
    return "" if not value or value == "<unknown>" else value


def _local_half(name):
    return name.startswith("Local/") and name[-2:] in (";1", ";2")


class AriRenderer:
    """Renders the AMI events of scripted calls as the ARI events Asterisk
    publishes for the same internal messages (stateful: creation times,
    dialplan applications and bridge members go into later events)."""

    def __init__(self, asterisk_id=ASTERISK_ID):
        self.asterisk_id = asterisk_id
        self._created = {}  # uid -> creation time (ISO)
        self._apps = {}  # uid -> (application, data)
        self._bridges = {}  # bridge id -> {"created", "channels"}

    def channel(self, event, prefix="", now=None):
        """The ARI ``Channel`` object of the AMI headers with ``prefix``."""
        uid = event[prefix + "Uniqueid"]
        name = event.get(prefix + "Channel", "")
        app, data = self._apps.get(uid, ("", ""))
        try:
            state_code = int(event.get(prefix + "ChannelState", "0"))
        except ValueError:
            state_code = 0
        try:
            priority = int(event.get(prefix + "Priority") or 1)
        except ValueError:
            priority = 1
        return {
            "id": uid,
            "name": name,
            "state": event.get(prefix + "ChannelStateDesc") or _STATE_NAMES.get(state_code, "Unknown"),
            "protocol_id": "" if name.startswith("Local/") else f"{hashlib.sha1(uid.encode()).hexdigest()[:24]}",
            "caller": {"name": _plain(event.get(prefix + "CallerIDName")),
                       "number": _plain(event.get(prefix + "CallerIDNum"))},
            "connected": {"name": _plain(event.get(prefix + "ConnectedLineName")),
                          "number": _plain(event.get(prefix + "ConnectedLineNum"))},
            "accountcode": event.get(prefix + "AccountCode", ""),
            "dialplan": {"context": event.get(prefix + "Context", ""), "exten": event.get(prefix + "Exten", ""),
                         "priority": priority, "app_name": app, "app_data": data},
            "creationtime": self._created.get(uid) or now or iso_timestamp(time.time()),
            "language": event.get(prefix + "Language", "en"),
        }

    def _bridge(self, bridge_id, now):
        known = self._bridges.get(bridge_id) or {"created": now, "channels": []}
        return {
            "id": bridge_id, "technology": "simple_bridge", "bridge_type": "mixing", "bridge_class": "basic",
            "creator": "", "name": "", "channels": list(known["channels"]), "creationtime": known["created"],
            "video_mode": "none",
        }

    def _event(self, kind, now, **fields):
        event = {"type": kind, "timestamp": now}
        event.update(fields)
        event["asterisk_id"] = self.asterisk_id
        return event

    def render(self, event):
        """The ARI events (list of dicts, no ``application`` yet) for one AMI event."""
        name = event.get("Event")
        try:
            now = iso_timestamp(float(event.get("Timestamp") or time.time()))
        except ValueError:
            now = iso_timestamp(time.time())
        if name == "Newchannel":
            self._created[event["Uniqueid"]] = now
            return [self._event("ChannelCreated", now, channel=self.channel(event))]
        if name == "Newstate":
            return [self._event("ChannelStateChange", now, channel=self.channel(event))]
        if name == "Newexten":
            self._apps[event["Uniqueid"]] = (event.get("Application", ""), event.get("AppData", ""))
            return [self._event("ChannelDialplan", now, dialplan_app=event.get("Application", ""),
                                dialplan_app_data=event.get("AppData", ""), channel=self.channel(event))]
        if name == "VarSet":
            fields = {"variable": event.get("Variable", ""), "value": event.get("Value", "")}
            if event.get("Uniqueid"):
                fields["channel"] = self.channel(event)
            return [self._event("ChannelVarset", now, **fields)]
        if name == "NewCallerid":
            return [self._event("ChannelCallerId", now, caller_presentation=0,
                                caller_presentation_txt="Presentation Allowed, Not Screened",
                                channel=self.channel(event))]
        if name == "NewConnectedLine":
            return [self._event("ChannelConnectedLine", now, channel=self.channel(event))]
        if name in ("DialBegin", "DialEnd", "DialState"):
            fields = {"dialstatus": event.get("DialStatus", "") if name != "DialBegin" else "",
                      "forward": event.get("Forward", ""),
                      "dialstring": event.get("DialString", "") if name == "DialBegin" else ""}
            if event.get("Uniqueid"):
                fields["caller"] = self.channel(event)
            fields["peer"] = self.channel(event, "Dest")
            return [self._event("Dial", now, **fields)]
        if name == "BridgeCreate":
            self._bridges[event["BridgeUniqueid"]] = {"created": now, "channels": []}
            return [self._event("BridgeCreated", now, bridge=self._bridge(event["BridgeUniqueid"], now))]
        if name == "BridgeEnter":
            bridge_id = event["BridgeUniqueid"]
            known = self._bridges.setdefault(bridge_id, {"created": now, "channels": []})
            if event["Uniqueid"] not in known["channels"]:
                known["channels"].append(event["Uniqueid"])
            return [self._event("ChannelEnteredBridge", now, bridge=self._bridge(bridge_id, now),
                                channel=self.channel(event))]
        if name == "BridgeLeave":
            bridge_id = event["BridgeUniqueid"]
            known = self._bridges.get(bridge_id)
            if known and event["Uniqueid"] in known["channels"]:
                known["channels"].remove(event["Uniqueid"])
            out = [self._event("ChannelLeftBridge", now, bridge=self._bridge(bridge_id, now),
                               channel=self.channel(event))]
            if known is not None and not known["channels"]:
                out.append(self._event("BridgeDestroyed", now, bridge=self._bridge(bridge_id, now)))
                del self._bridges[bridge_id]
            return out
        if name == "BridgeDestroy":
            if event.get("BridgeUniqueid") not in self._bridges:
                return []
            out = [self._event("BridgeDestroyed", now, bridge=self._bridge(event["BridgeUniqueid"], now))]
            del self._bridges[event["BridgeUniqueid"]]
            return out
        if name in ("HangupRequest", "SoftHangupRequest"):
            fields = {}
            if event.get("Cause"):
                fields["cause"] = int(event["Cause"])
            if name == "SoftHangupRequest":
                fields["soft"] = True
            return [self._event("ChannelHangupRequest", now, **fields, channel=self.channel(event))]
        if name == "Hangup":
            channel = self.channel(event)
            self._created.pop(event["Uniqueid"], None)
            self._apps.pop(event["Uniqueid"], None)
            return [self._event("ChannelDestroyed", now, cause=int(event.get("Cause") or 0),
                                cause_txt=event.get("Cause-txt", "Unknown"), channel=channel)]
        if name == "BlindTransfer":
            fields = {"channel": self.channel(event, "Transferer")}
            if event.get("TransfereeUniqueid"):
                fields["transferee"] = self.channel(event, "Transferee")
            fields.update(exten=event.get("Extension", ""), context=event.get("Context", ""),
                          result=event.get("Result", "Success"), is_external=event.get("IsExternal") == "Yes")
            if event.get("BridgeUniqueid"):
                fields["bridge"] = self._bridge(event["BridgeUniqueid"], now)
            return [self._event("BridgeBlindTransfer", now, **fields)]
        if name == "AttendedTransfer":
            fields = {"transferer_first_leg": self.channel(event, "OrigTransferer"),
                      "transferer_second_leg": self.channel(event, "SecondTransferer"),
                      "result": event.get("Result", "Success"), "is_external": event.get("IsExternal") == "Yes"}
            if event.get("TransfereeUniqueid"):
                fields["transferee"] = self.channel(event, "Transferee")
            if event.get("TransferTargetUniqueid"):
                fields["transfer_target"] = self.channel(event, "TransferTarget")
            if event.get("OrigBridgeUniqueid"):
                fields["transferer_first_leg_bridge"] = self._bridge(event["OrigBridgeUniqueid"], now)
            if event.get("SecondBridgeUniqueid"):
                fields["transferer_second_leg_bridge"] = self._bridge(event["SecondBridgeUniqueid"], now)
            fields["destination_type"] = (event.get("DestType") or "Bridge").lower().replace("app", "application")
            if event.get("DestBridgeUniqueid"):
                fields["destination_bridge"] = event["DestBridgeUniqueid"]
            return [self._event("BridgeAttendedTransfer", now, **fields)]
        if name == "Hold":
            return [self._event("ChannelHold", now, channel=self.channel(event),
                                musicclass=event.get("MusicClass", "default"))]
        if name == "Unhold":
            return [self._event("ChannelUnhold", now, channel=self.channel(event))]
        return []


def prepare_script(script):
    """``(events, hold_index)`` of a :class:`~.simulator.CallScript` made
    ready for ARI rendering: where the AMI script simplifies, Asterisk's
    behaviour (see the module docstring)."""
    events = script.events
    dialled = {e.get("DestUniqueid") for _, e in events if e.get("Event") == "DialBegin"}
    halves = {}  # Local base name -> {1: event, 2: event}
    for _, event in events:
        if event.get("Event") == "Newchannel" and _local_half(event.get("Channel", "")):
            halves.setdefault(event["Channel"][:-2], {})[int(event["Channel"][-1])] = event
    skip = set()
    out = []
    hold = None
    for index, (t, event) in enumerate(events):
        if script.hold_index is not None and hold is None and index >= script.hold_index:
            hold = len(out)
        if index in skip:
            continue
        name = event.get("Event")
        channel = event.get("Channel", "")
        if name == "Newchannel":
            event = dict(event)
            if _local_half(channel) and channel.endswith(";2"):
                event["ChannelState"], event["ChannelStateDesc"] = "4", "Ring"
            elif not _local_half(channel):
                following = next((j for j in range(index + 1, len(events))
                                  if events[j][1].get("Uniqueid") == event["Uniqueid"]), None)
                if following is not None and events[following][1].get("Event") == "Newstate" \
                        and events[following][1].get("ChannelState") == "4":
                    event["ChannelState"], event["ChannelStateDesc"] = "4", "Ring"
                    skip.add(following)
            out.append((t, event))
            pair = halves.get(channel[:-2]) if _local_half(channel) else None
            if channel.endswith(";2") and pair and 1 in pair and pair[1]["Uniqueid"] not in dialled:
                first = pair[1]
                begin = {"Event": "DialBegin", "Privilege": "call,all", "Timestamp": ""}
                begin.update({"Dest" + k: v for k, v in first.items()
                              if k not in ("Event", "Privilege", "Timestamp")})
                begin["DialString"] = first["Channel"].split("/", 1)[1].rsplit("-", 1)[0]
                out.append((t, begin))
            continue
        out.append((t, event))
        if name == "Newstate" and event.get("ChannelState") == "6" and channel.endswith(";1"):
            pair = halves.get(channel[:-2])
            if pair and event["Uniqueid"] not in dialled:
                end = {"Event": "DialEnd", "Privilege": "call,all", "Timestamp": ""}
                end.update({"Dest" + k: v for k, v in event.items() if k not in ("Event", "Privilege", "Timestamp")})
                end["DialStatus"] = "ANSWER"
                out.append((t, end))
    return out, hold



def generate_ari(generator, calls):
    """``(events, expected)`` like :meth:`.simulator.TrafficGenerator.generate`,
    the events being the ARI stream (dicts, ``timestamp`` set) of ``calls``
    calls of ``generator`` merged by time."""
    timeline = []
    expected = []
    for order in range(calls):
        offset, script = generator.next_call()
        expected.extend(script.expected)
        events, _ = prepare_script(script)
        for index, (t, event) in enumerate(events):
            timeline.append((offset + t, order, index, event))
    timeline.sort(key=lambda item: item[:3])
    renderer = AriRenderer()
    out = []
    for t, _, _, event in timeline:
        event = dict(event)
        event["Timestamp"] = f"{generator.start + t:.6f}"
        out.extend(renderer.render(event))
    return out, expected

# -- WebSocket framing (RFC 6455), server side ---------------------------------------

def accept_key(key):
    """``Sec-WebSocket-Accept`` for a client's ``Sec-WebSocket-Key``."""
    return base64.b64encode(hashlib.sha1((key.strip() + _WS_GUID).encode("ascii")).digest()).decode("ascii")


def encode_frame(opcode, payload=b""):
    """One unmasked, final frame (a server never masks)."""
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    length = len(payload)
    if length < 126:
        head = struct.pack("!BB", 0x80 | opcode, length)
    elif length < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 126, length)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 127, length)
    return head + payload


async def read_frame(reader):
    """``(fin, opcode, payload)`` of the next frame, unmasked."""
    first, second = await reader.readexactly(2)
    length = second & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", await reader.readexactly(2))
    elif length == 127:
        (length,) = struct.unpack("!Q", await reader.readexactly(8))
    if length > _MAX_FRAME:
        raise ValueError(f"frame of {length} bytes")
    mask = await reader.readexactly(4) if second & 0x80 else None
    payload = await reader.readexactly(length)
    if mask:
        payload = bytes(byte ^ key for byte, key in zip(payload, itertools.cycle(mask)))
    return bool(first & 0x80), first & 0x0F, payload


class _WsClient:
    def __init__(self, writer, app, subscribe_all):
        self.writer = writer
        self.app = app
        self.subscribe_all = subscribe_all
        self.peer = writer.get_extra_info("peername")
        self.pings = 0
        self.closing = False


class AriSimulator(SimulatorServer):
    """An ARI server that behaves like Asterisk 20 (see the module docstring)."""

    label = "ARI simulator"

    def __init__(self, host="127.0.0.1", port=0, username="asterisk", secret="secret",
                 extensions=("201", "202", "203", "204"), trunk="k2-trunk", failing=None,
                 time_scale=0.0, seed=None, recordings=False):
        super().__init__(host, port, username, secret, extensions, trunk, failing, time_scale, seed)
        # Serve /recordings/<anything>.wav like the web server beside a PBX's monitor folder.
        self.recordings = recordings
        self.renderer = AriRenderer()
        self.closes_received = 0
        self.requests_seen = []  # {"method", "path", "query", "body"} of every request
        self.started_at = time.time()

    # -- lifecycle ------------------------------------------------------------
    async def wait_clients(self, count=1, timeout=5.0):
        """Wait until ``count`` WebSocket clients are connected."""
        async with self._clients_changed:
            await asyncio.wait_for(self._clients_changed.wait_for(lambda: len(self.clients) >= count), timeout)

    # -- fault injection --------------------------------------------------------
    def close_connections(self, code=1001, reason="Asterisk is shutting down"):
        """A clean close handshake started by the server."""
        for client in list(self.clients):
            client.closing = True
            client.writer.write(encode_frame(OP_CLOSE, struct.pack("!H", code) + reason.encode("utf-8")))

    def inject(self, payload, opcode=OP_TEXT):
        """Send a raw frame (garbage, invalid JSON...) to every WebSocket client."""
        for client in self.clients:
            client.writer.write(encode_frame(opcode, payload))

    # -- events -------------------------------------------------------------------
    def send_event(self, event):
        """Send one ARI event (dict) to every client subscribed to all events."""
        self._track(event)
        if self._silent:
            return
        for client in self.clients:
            if not client.subscribe_all or client.closing:
                continue
            out = dict(event)
            out["application"] = client.app
            client.writer.write(encode_frame(OP_TEXT, json.dumps(out, ensure_ascii=False)))
        self.events_sent += 1

    def _send_script_event(self, event):
        for ari in self.renderer.render(event):
            self.send_event(ari)

    def _track(self, event):
        if not isinstance(event, dict):
            return
        kind = event.get("type")
        channel = event.get("channel")
        if not isinstance(channel, dict) or not channel.get("id"):
            return
        if kind == "ChannelDestroyed":
            self._live.pop(channel["id"], None)
        elif kind == "ChannelCreated" or channel["id"] in self._live:
            self._live[channel["id"]] = channel

    def live_channels(self):
        return [dict(channel) for channel in self._live.values()]

    async def play_events(self, events, speed=0.0):
        """Send ``events`` (ARI dicts; text is sent as a raw frame) at
        ``speed`` events per second (0: at once)."""
        for event in events:
            if isinstance(event, dict):
                self.send_event(event)
            elif not self._silent:
                self.inject(event)
            await asyncio.sleep(1.0 / speed if speed else 0)

    def play_call(self, kind, time_scale=None, hold=False, **params):
        """Start playing a scripted call (see :data:`.simulator.CALL_KINDS`);
        returns a :class:`~.simulator.PlayedCall`. ``time_scale`` 1 is real
        time, 0 no waiting; with ``hold`` the call stays up after being
        answered until ``played.release()``."""
        return self.play_script(self.factory.build(kind, **params), time_scale, hold)

    def play_script(self, script, time_scale=None, hold=False):
        played = PlayedCall(script)
        self.expected_calls.extend(script.expected)
        events, hold_index = prepare_script(script)
        scale = self.time_scale if time_scale is None else time_scale
        played.done = self._spawn(self._run_script(played, events, hold_index if hold else None, scale))
        return played

    async def _run_script(self, played, events, hold_index, scale):
        start = time.time()
        previous = 0.0
        for index, (t, event) in enumerate(events):
            if index == hold_index:
                await played.released.wait()
                start = time.time() - t
            delay = (t - previous) * scale
            previous = t
            await asyncio.sleep(delay if delay > 0 else 0)
            event = dict(event)
            event["Timestamp"] = f"{start + t:.6f}"
            self._send_script_event(event)

    async def replay(self, path, speed=0.0, loop=False):
        """Send a recorded ARI stream (JSON lines); with ``loop`` over and
        over, each later pass with new channel and bridge ids and the time of
        sending as ``timestamp``."""
        events = read_ari_file(path)
        for round_no in itertools.count():
            batch = events if not round_no else [_rewrite(e, round_no) for e in events]
            await self.play_events(batch, speed)
            if not loop or not events:
                return

    # -- HTTP -----------------------------------------------------------------------
    async def _handle(self, reader, writer):
        client = None
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            if len(head) > _MAX_HEAD:
                raise ValueError("request head too long")
            method, target, headers = _parse_head(head)
            body = b""
            length = int(headers.get("content-length") or 0)
            if length:
                body = await reader.readexactly(min(length, _MAX_FRAME))
            url = urlsplit(target)
            query = dict(parse_qsl(url.query, keep_blank_values=True))
            self.requests_seen.append({"method": method, "path": url.path, "query": query,
                                       "body": body.decode("utf-8", "replace")})
            if self._silent:
                await reader.read()  # a half-open PBX: never answers
                return
            if self.recordings and method == "GET" and url.path.startswith("/recordings/"):
                _respond_bytes(writer, *_recording(url.path))
                await writer.drain()
                return
            if not self._authorised(headers, query):
                _respond(writer, 401, {"message": "Authentication required"},
                         ['WWW-Authenticate: Basic realm="Asterisk REST Interface"'])
                return
            if url.path.rstrip("/") == "/ari/events":
                client = await self._upgrade(reader, writer, method, headers, query)
                if client is not None:
                    await self._websocket(reader, client)
                return
            status, payload = self._route(method, url.path.rstrip("/"), query, body)
            _respond(writer, status, payload)
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, OSError, ValueError) as error:
            _logger.info("ARI simulator: connection ended (%s: %s)", type(error).__name__, error)
        finally:
            if client is not None and client in self.clients:
                self.clients.remove(client)
                await self._notify()
            writer.close()

    def _authorised(self, headers, query):
        auth = headers.get("authorization", "")
        if auth[:6].lower() == "basic ":
            try:
                user, _, password = base64.b64decode(auth[6:].strip()).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                return False
        elif "api_key" in query:
            user, _, password = query["api_key"].partition(":")
        else:
            return False
        return user == self.username and password == self.secret

    def _route(self, method, path, query, body):
        if path == "/ari/asterisk/info":
            if method != "GET":
                return 405, {"message": "Method not allowed"}
            return 200, self.info()
        if path == "/ari/asterisk/ping":
            return 200, {"asterisk_id": ASTERISK_ID, "ping": "pong", "timestamp": iso_timestamp(time.time())}
        if path == "/ari/channels":
            if method == "GET":
                return 200, self.live_channels()
            if method == "POST":
                return self._originate(query, body)
            return 405, {"message": "Method not allowed"}
        return 404, {"message": "Resource not found"}

    def info(self):
        started = iso_timestamp(self.started_at)
        return {
            "build": {"os": "Linux", "kernel": "6.1.0", "machine": "x86_64", "options": "", "date": "2024-01-01",
                      "user": "root"},
            "system": {"version": ASTERISK_VERSION, "entity_id": ASTERISK_ID},
            "config": {"name": "", "default_language": "en", "setid": {"user": "asterisk", "group": "asterisk"}},
            "status": {"startup_time": started, "last_reload_time": started},
        }

    def _originate(self, query, body):
        params = dict(query)
        variables = {}
        if body.strip():
            try:
                data = json.loads(body)
            except ValueError:
                return 400, {"message": "Error parsing request body"}
            if isinstance(data, dict):
                variables = data.pop("variables", None) or {}
                params.update({k: str(v) for k, v in data.items() if isinstance(v, (str, int))})
        endpoint = params.get("endpoint") or ""
        if not endpoint:
            return 400, {"message": "Endpoint must be specified"}
        tech, _, resource = endpoint.partition("/")
        if not tech or not resource:
            return 400, {"message": "Invalid endpoint specified"}
        if not params.get("extension"):
            # Stasis originates (app=...) put the channel in an application: not simulated.
            return 400, {"message": "Application or extension must be specified"}
        ext = resource.split("@", 1)[0]
        if tech not in ("PJSIP", "SIP", "Local") or ext not in self.extensions:
            return 500, {"error": "Allocation failed"}  # what ast_dial_prerun's failure gives
        script = self.factory.build("click_to_call", extension=ext, number=params["extension"],
                                    local=tech == "Local", variables=variables,
                                    fail_reason=self.failing.get(ext))
        first = next(event for _, event in script.events if event.get("Event") == "Newchannel")
        channel = self.renderer.channel(first)
        channel["dialplan"] = {"context": params.get("context", "default"), "exten": params["extension"],
                               "priority": int(params.get("priority") or 1), "app_name": "", "app_data": ""}
        self.play_script(script)
        return 200, channel

    async def _upgrade(self, reader, writer, method, headers, query):
        if method != "GET" or "websocket" not in headers.get("upgrade", "").lower() \
                or not headers.get("sec-websocket-key"):
            _respond(writer, 400, {"message": "WebSocket upgrade expected"})
            return None
        if not query.get("app"):
            _respond(writer, 400, {"message": "HTTP request is missing param: [app]"})
            return None
        lines = ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade",
                 f"Sec-WebSocket-Accept: {accept_key(headers['sec-websocket-key'])}"]
        if "ari" in [p.strip() for p in headers.get("sec-websocket-protocol", "").split(",")]:
            lines.append("Sec-WebSocket-Protocol: ari")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("ascii"))
        await writer.drain()
        subscribe_all = query.get("subscribeAll", "").lower() in ("true", "yes", "1", "on")
        client = _WsClient(writer, query["app"], subscribe_all)
        self.clients.append(client)
        await self._notify()
        return client

    async def _websocket(self, reader, client):
        writer = client.writer
        while True:
            _fin, opcode, payload = await read_frame(reader)
            if opcode == OP_PING:
                client.pings += 1
                if not self._silent:
                    writer.write(encode_frame(OP_PONG, payload))
            elif opcode == OP_CLOSE:
                self.closes_received += 1
                if not client.closing:
                    client.closing = True
                    writer.write(encode_frame(OP_CLOSE, payload[:2]))
                await writer.drain()
                return

    async def _notify(self):
        if self._clients_changed is not None:
            async with self._clients_changed:
                self._clients_changed.notify_all()


def _parse_head(head):
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise ValueError(f"bad request line {lines[0][:80]!r}")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
    return parts[0].upper(), parts[1], headers


def _respond(writer, status, payload, extra_headers=()):
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8") if payload is not None else b""
    lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}", f"Server: Asterisk/{ASTERISK_VERSION}",
             "Content-Type: application/json", f"Content-Length: {len(data)}", "Connection: close",
             *extra_headers]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + data)


def _respond_bytes(writer, status, content_type, data):
    lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}", "Server: Apache", f"Content-Type: {content_type}",
             f"Content-Length: {len(data)}", "Connection: close"]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + data)


def _recording(path):
    """``(status, content type, body)`` of a recording: a WAV of a few seconds
    of two alternating tones (8 kHz mono, as Asterisk's MixMonitor writes),
    its length and pitch derived from the path; 404 for anything not .wav."""
    if not path.endswith(".wav"):
        return 404, "text/plain", b"Not Found"
    seed = zlib.crc32(path.encode())
    seconds, pitch = 3 + seed % 6, 300 + seed % 400
    rate = 8000
    frames = bytearray()
    for i in range(seconds * rate):
        tone = pitch if (i // (rate // 2)) % 2 else pitch * 1.25
        frames += struct.pack("<h", int(6000 * math.sin(2 * math.pi * tone * i / rate)))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))
    return 200, "audio/x-wav", buffer.getvalue()


def _rewrite(event, round_no):
    """A recorded event for a later replay pass: other ids, the time of now."""
    if not isinstance(event, dict):
        return event
    out = dict(event)
    if "timestamp" in out:
        out["timestamp"] = iso_timestamp(time.time())
    for key in _CHANNEL_KEYS + _BRIDGE_KEYS:
        value = out.get(key)
        if isinstance(value, dict) and value.get("id"):
            value = dict(value, id=f"{value['id']}-r{round_no}")
            if isinstance(value.get("channels"), list):
                value["channels"] = [f"{uid}-r{round_no}" for uid in value["channels"]]
            out[key] = value
    if out.get("destination_bridge"):
        out["destination_bridge"] = f"{out['destination_bridge']}-r{round_no}"
    return out


class AriSimulatorThread(SimulatorThread):
    """:class:`AriSimulator` in a daemon thread (see :class:`~.simulator.SimulatorThread`)."""

    simulator_class = AriSimulator
    label = "ARI simulator"


def main(argv=None):
    parser = command_line("python -m k2_contact_center.services.ari.simulator",
                          "Asterisk ARI simulator (HTTP + WebSocket)", "asterisk",
                          "recorded ARI stream (JSON lines) to send")
    parser.add_argument("--recordings", action="store_true",
                        help="also serve /recordings/<anything>.wav (a generated tone) without login, "
                        "like a web server beside the PBX's monitor folder")
    return serve(lambda args, extensions: AriSimulator(args.host, args.port, args.user, args.secret,
                                                       extensions=extensions, trunk=args.trunk, seed=args.seed,
                                                       time_scale=1.0, recordings=args.recordings),
                 parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
