"""ARI client for the contact center: Asterisk's REST Interface, events over a WebSocket.

Pure Python, no ``odoo`` import. Events come from
``ws(s)://HOST:PORT/ari/events?app=APP&subscribeAll=true`` (``websocket-client``),
actions go over HTTP (``urllib``), both with HTTP basic auth (an ``ari.conf``
user). Events are translated (:mod:`.events`) into the AMI-shaped dicts
the call tracker reads, so :class:`AriConnector` can stand in for the AMI
connector's :class:`~..ami.connector.ConnectorThread`:

=====================================  ==========================================
``ConnectorThread`` (AMI)              :class:`AriConnector`
=====================================  ==========================================
``(host, port, username, secret)``     ``(base_url, app, username, password)``
``on_event(event)``                    same, AMI-shaped dicts
``on_state(state, detail)``            same states: connecting, connected,
                                       disconnected, error
``start()``, ``stop(timeout)``         same
``wait_connected(timeout)``            same
``originate(channel, exten, ...)``     same arguments; ``POST /ari/channels``
``core_show_channels()``               same dicts, from ``GET /ari/channels``
``state``, ``alive``                   same
=====================================  ==========================================

Link handling, as in the AMI connector: reconnect with capped exponential
backoff and jitter (:meth:`AriConnector.backoff_delay`); a WebSocket ping
after ``ping_interval`` seconds without a frame must be answered (or any
frame arrive: a pong may wait behind events) within ``ping_timeout`` or
the link is taken for dead (half-open), closed and re-established; a refused
login (HTTP 401/403) or a URL that is not an ARI server (HTTP 400/404) is
state ``error`` with a clear one-line reason, then retried; a malformed URL
is state ``error`` once, not retried (nothing would change). Frames that are
not ARI events (invalid JSON, binary, not UTF-8) are logged, counted in
:attr:`AriConnector.frame_errors` and skipped: the link stays up.

Threading: one daemon thread reads the WebSocket; ``on_event`` and
``on_state`` run in it and must not block long (hand work over through a
queue). The other methods may be called from any thread. There is no event
loop (``ConnectorThread.loop``, ``call()``): ``on_state("connected", ...)``
runs before the first event of the new link is read, so a resync done right
there (``core_show_channels()``, one HTTP request) sees the call tracker in
the same thread as ``on_event`` and misses no event.

The errors of this module are also the AMI connector's (``AriError`` is an
``AmiError``, ``AriLinkLost`` an ``AmiLinkLost``...), so code written for one
connector catches the other's.

For a web request that only needs one HTTP call (Test connection,
click-to-call), :class:`AriClient` does without the WebSocket.
"""

import base64
import contextlib
import json
import logging
import select
import socket
import struct
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import OrderedDict
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import websocket

from ..ami.connector import (
    CONNECTED,
    CONNECTING,
    DISCONNECTED,
    ERROR,
    ORIGINATE_REASONS,
    AmiActionError,
    AmiError,
    AmiLinkLost,
    AmiLoginError,
    AmiTimeout,
    LinkSettings,
)
from .events import AriTranslator
from .stasis import OWN_PREFIX

_logger = logging.getLogger(__name__)

STATES = (CONNECTING, CONNECTED, DISCONNECTED, ERROR)
DEFAULT_PORT = 8088
DEFAULT_APP = "k2cc"
# Hang-up cause of an originated channel that ended before answering ->
# the AMI OriginateResponse reason code it corresponds to.
CAUSE_REASONS = {17: "5", 18: "3", 19: "3", 21: "3", 16: "1", 34: "8", 38: "8", 42: "8", 58: "8"}
_OUTCOME_MEMORY = 2000


class AriError(AmiError):
    """Base of the errors of this module."""


class AriLinkLost(AriError, AmiLinkLost):
    """The PBX cannot be reached, or the event link dropped while waiting."""


class AriTimeout(AriError, AmiTimeout):
    """No (complete) answer in time."""


class AriActionError(AriError, AmiActionError):
    """The PBX refused or failed a request; ``str()`` is its reason, ``status``
    the HTTP status when there was one."""

    def __init__(self, message, response=None, reason=None, status=None):
        super().__init__(message, response, reason)
        self.status = status


class AriLoginError(AriActionError, AmiLoginError):
    """The PBX refused the user or password (HTTP 401) or the address (403)."""


def ari_base_url(host, port=None, tls=False):
    """The ARI base URL from a PBX's address fields: ``host`` may already be
    a URL (``https://pbx.example.com:8089``, a path prefix kept); otherwise
    ``http(s)://host:port`` (port 8088 when not given)."""
    host = (host or "").strip()
    if "://" in host:
        return host.rstrip("/")
    return f"{'https' if tls else 'http'}://{host}:{port or DEFAULT_PORT}"


def split_base_url(base_url):
    """``(http_base, ws_base)`` of an ARI base URL, both without ``/ari``.
    ``ValueError`` with a readable reason when it is not a usable URL."""
    text = (base_url or "").strip()
    if not text:
        raise ValueError("no ARI address given")
    if "://" not in text:
        text = "http://" + text
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https", "ws", "wss"):
        raise ValueError(f"{base_url!r} is not an http(s) or ws(s) address")
    try:
        port = parts.port
    except ValueError as error:
        raise ValueError(f"{base_url!r} has a bad port ({error})") from None
    if not parts.hostname:
        raise ValueError(f"{base_url!r} names no host")
    path = parts.path.rstrip("/")
    if path.endswith("/ari"):
        path = path[:-4]
    secure = scheme in ("https", "wss")
    netloc = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = f"{netloc}:{port or DEFAULT_PORT}"
    http_base = urlunsplit(("https" if secure else "http", netloc, path, "", ""))
    ws_base = urlunsplit(("wss" if secure else "ws", netloc, path, "", ""))
    return http_base, ws_base


def _auth_header(username, password):
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


def _reason_of(body):
    """The PBX's reason in an ARI error body: ``{"message": ...}`` or ``{"error": ...}``."""
    if not body:
        return ""
    try:
        data = json.loads(body.decode("utf-8", "replace") if isinstance(body, bytes) else body)
    except ValueError:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
        return text.strip()[:200]
    if isinstance(data, dict):
        return str(data.get("message") or data.get("error") or "")
    return ""


class AriClient:
    """Plain HTTP requests to ARI (no WebSocket), from any thread.

    ``AriClient(base_url, username, password, timeout=10.0, ssl_context=None)``;
    :meth:`info` (Test connection), :meth:`channels`, :meth:`originate`,
    :meth:`request`. Errors: :class:`AriLoginError` (401/403),
    :class:`AriActionError` (other refusals, with the PBX's reason),
    :class:`AriLinkLost` (unreachable), :class:`AriTimeout`."""

    def __init__(self, base_url, username="", password="", timeout=10.0, ssl_context=None):
        self.http_base, _ = split_base_url(base_url)
        self.username = username
        self.timeout = timeout
        self._auth = _auth_header(username, password)
        handlers = [urllib.request.HTTPSHandler(context=ssl_context)] if ssl_context is not None else []
        self._opener = urllib.request.build_opener(*handlers)

    def request(self, method, *segments, params=None, body=None, timeout=None):
        """``method`` on ``/ari/<segments>``; the decoded JSON answer (None when
        empty). This is the only place ARI requests are written: each path
        segment (a resource name or an id) is percent-encoded whole, the query
        and the JSON body are written by their libraries."""
        path = "".join("/" + quote(str(segment), safe="") for segment in segments)
        url = f"{self.http_base}/ari{path}"
        if params:
            url += "?" + urlencode({k: v for k, v in params.items() if v is not None}, quote_via=quote)
        data = None
        headers = {"Authorization": self._auth, "Accept": "application/json"}
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        where = f"{method} {self.http_base}/ari{path}"
        try:
            with self._opener.open(request, timeout=timeout or self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            raw = error.read() if error.fp is not None else b""
            reason = _reason_of(raw) or error.reason
            if error.code in (401, 403):
                raise AriLoginError(f"ARI refused user {self.username!r} (HTTP {error.code} {reason})",
                                    reason=reason, status=error.code) from None
            raise AriActionError(f"{reason} (HTTP {error.code} on {where})", reason=reason,
                                 status=error.code) from None
        except TimeoutError:
            raise AriTimeout(f"no answer to {where} within {timeout or self.timeout:g}s") from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):
                raise AriTimeout(f"no answer to {where} within {timeout or self.timeout:g}s") from None
            raise AriLinkLost(f"cannot reach {self.http_base}: {error.reason}") from None
        except OSError as error:
            raise AriLinkLost(f"cannot reach {self.http_base}: {error}") from None
        if not raw.strip():
            return None
        try:
            return json.loads(raw.decode("utf-8", "replace"))
        except ValueError:
            raise AriActionError(f"{where} answered with something that is not JSON: {raw[:80]!r}") from None

    def info(self, timeout=None):
        """``GET /ari/asterisk/info``: build, system (version), config, status."""
        return self.request("GET", "asterisk", "info", timeout=timeout)

    def channels(self, timeout=None):
        """``GET /ari/channels``: the live channels (ARI ``Channel`` objects)."""
        result = self.request("GET", "channels", timeout=timeout)
        if not isinstance(result, list):
            raise AriActionError("GET /ari/channels did not answer a list")
        return result

    def originate(self, endpoint, extension, context, priority=1, caller_id=None, variables=None, timeout=30,
                  request_timeout=None):
        """``POST /ari/channels``: ring ``endpoint`` (``PJSIP/201``), then run
        ``extension``@``context``. Returns the new channel (ARI ``Channel``);
        the call goes on in the PBX. Raises :class:`AriActionError` with the
        PBX's reason when refused."""
        # our own id: the translator never takes this channel for a Stasis application's agent leg
        params = {"endpoint": endpoint, "extension": extension, "context": context, "priority": int(priority),
                  "timeout": int(timeout), "channelId": f"{OWN_PREFIX}{uuid.uuid4().hex}"}
        if caller_id:
            params["callerId"] = caller_id
        body = {"variables": {str(k): str(v) for k, v in variables.items()}} if variables else None
        try:
            channel = self.request("POST", "channels", params=params, body=body, timeout=request_timeout)
        except AriActionError as error:
            if isinstance(error, AriLoginError):
                raise
            raise AriActionError(f"Originate of {endpoint} to {extension} refused: {error.reason}", error.response,
                                 error.reason, error.status) from None
        if not isinstance(channel, dict) or not channel.get("id"):
            raise AriActionError(f"Originate of {endpoint} to {extension}: no channel in the answer")
        return channel


class AriConnector(LinkSettings):
    """A self-healing ARI event link plus its HTTP actions (see the module docstring).

    ``AriConnector(base_url, app, username, password, *, on_event=None,
    on_state=None, ping_interval=5.0, ping_timeout=4.0, connect_timeout=10.0,
    action_timeout=10.0, backoff_initial=1.0, backoff_max=60.0,
    backoff_factor=2.0, backoff_jitter=0.2, rng=None, name="ari-connector",
    sslopt=None, ssl_context=None)``. ``base_url`` is the PBX's HTTP server
    (``http://pbx:8088``; ``/ari`` may be included); ``app`` the ARI
    application name the events are subscribed under (unique per client:
    Asterisk moves an application to the last client that asks for it)."""

    protocol = "ARI"

    def __init__(self, base_url, app=DEFAULT_APP, username="", password="", *, on_event=None, on_state=None,
                 ping_interval=5.0, ping_timeout=4.0, connect_timeout=10.0, action_timeout=10.0,
                 backoff_initial=1.0, backoff_max=60.0, backoff_factor=2.0, backoff_jitter=0.2, rng=None,
                 name="ari-connector", sslopt=None, ssl_context=None):
        self.base_url = base_url
        self.app = app or DEFAULT_APP
        self.username = username
        self.on_event = on_event
        self.on_state = on_state
        self._set_timing(ping_interval, ping_timeout, connect_timeout, action_timeout, backoff_initial, backoff_max,
                         backoff_factor, backoff_jitter, rng)
        self.sslopt = sslopt
        self._name = name
        self._password = password
        self.url_problem = None
        try:
            _, ws_base = split_base_url(base_url)
            self.http = AriClient(base_url, username, password, action_timeout, ssl_context)
        except ValueError as error:
            self.url_problem = f"bad ARI address: {error}"
            ws_base, self.http = None, None
        query = urlencode({"app": self.app, "subscribeAll": "true"}, quote_via=quote)
        self.events_url = f"{ws_base}/ari/events?{query}" if ws_base else None
        self.translator = AriTranslator()
        self.state = DISCONNECTED
        self.state_detail = ""
        self.last_error = None
        self.last_event_at = None  # time.time() of the last event received
        self.retry_delays = []  # every backoff delay used, in order
        self.connections = 0  # successful connections so far
        self.server_version = None
        self._frame_errors = {}
        self._thread = None
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._wake_r, self._wake_w = None, None
        self._lock = threading.Lock()  # the translator and the outcomes
        self._outcomes_changed = threading.Condition(self._lock)
        self._outcomes = OrderedDict()  # channel id -> ("answered" | "ended", event)
        self._link_epoch = 0
        self._replaced = False

    # -- public API -----------------------------------------------------------------
    @property
    def connected(self):
        return self.state == CONNECTED

    @property
    def alive(self):
        return self._thread is not None and self._thread.is_alive()

    @property
    def frame_errors(self):
        """Skipped input by kind: the translator's (``invalid_json``,
        ``not_an_event``, ``no_type``, ``malformed``, ``decode_errors``) and
        ``binary_frames``."""
        merged = dict(self.translator.errors)
        for key, value in self._frame_errors.items():
            merged[key] = merged.get(key, 0) + value
        return merged

    def start(self, timeout=5.0):
        """Start connecting in the connector's thread (returns at once; see
        :meth:`wait_connected`). ``timeout`` is accepted for the AMI
        connector's signature."""
        if self.alive:
            return self
        self._stop.clear()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()
        return self

    def wait_connected(self, timeout=10.0):
        if not self._connected.wait(timeout):
            raise AriTimeout(f"ARI link not up within {timeout:g}s ({self.state}: {self.state_detail})")

    def stop(self, timeout=5.0):
        """Close the WebSocket cleanly, stop retrying, end the thread (joined up to ``timeout``)."""
        self._stop.set()
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout)
        if not self.alive:
            for sock in (self._wake_r, self._wake_w):
                if sock is not None:
                    sock.close()
            self._wake_r = self._wake_w = None
        self._set_state(DISCONNECTED, "stopped")

    def ping(self, timeout=None):
        """Ask the PBX for its ``asterisk/info`` (what Test connection shows)."""
        self._need_http()
        return self.http.info(timeout)

    def originate(self, channel, exten, context, priority=1, caller_id=None, variables=None, timeout=60.0):
        """Ring ``channel`` (an endpoint: ``PJSIP/201``, ``Local/201@from-internal``),
        then run ``exten``@``context``; wait until it answers. Returns an
        ``OriginateResponse``-like dict (``Response``, ``Channel``, ``Uniqueid``,
        ``Reason`` "4"...). Raises :class:`AriActionError` with the PBX's
        reason when refused or when the channel ends unanswered (``reason`` as
        in AMI: "5" busy, "3" no answer...), :class:`AriTimeout`,
        :class:`AriLinkLost` when the event link is (or goes) down."""
        self._need_http()
        if not self.connected:
            raise AriLinkLost("ARI link is not up")
        epoch = self._link_epoch
        created = self.http.originate(channel, exten, context, priority, caller_id, variables, timeout,
                                      request_timeout=self.action_timeout)
        uid = created["id"]
        deadline = time.monotonic() + timeout + 5.0
        with self._outcomes_changed:
            while uid not in self._outcomes:
                if self._link_epoch != epoch or self._stop.is_set():
                    raise AriLinkLost(f"ARI link lost while waiting for the originate of {channel}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AriTimeout(f"originate of {channel}: neither answered nor ended within {timeout:g}s")
                self._outcomes_changed.wait(remaining)
            outcome, event = self._outcomes[uid]
        state = event.get("channel") or created
        caller = state.get("caller") or {}
        if outcome == "answered":
            return {"Response": "Success", "Channel": state.get("name") or created.get("name"), "Uniqueid": uid,
                    "Context": context, "Exten": exten, "Reason": "4",
                    "CallerIDNum": caller.get("number") or "<unknown>",
                    "CallerIDName": caller.get("name") or "<unknown>"}
        cause = event.get("cause")
        reason = CAUSE_REASONS.get(cause, "0")
        text = ORIGINATE_REASONS.get(reason, f"reason {reason}")
        raise AriActionError(f"Originate of {channel} to {exten} failed: {text} ({event.get('cause_txt') or cause})",
                             event, reason)

    def core_show_channels(self, timeout=10.0):
        """The live channels as AMI ``CoreShowChannel`` dicts (``Linkedid`` as
        this connector derived it), for a resync. Channels this connector still
        holds but the PBX no longer lists (their end was lost with the link)
        are forgotten."""
        self._need_http()
        with self._lock:
            known_before = self.translator.known_ids()
        channels = self.http.channels(timeout)
        now = time.time()
        listed = []
        with self._lock:
            for channel in channels:
                try:
                    listed.append(self.translator.core_show_channel(channel, now))
                except (ValueError, TypeError, AttributeError) as error:
                    _logger.warning("ARI channel list: entry skipped (%s)", error)
            self.translator.forget(known_before - {item["Uniqueid"] for item in listed})
        return listed

    # -- internals ------------------------------------------------------------------
    def _need_http(self):
        if self.http is None:
            raise AriActionError(self.url_problem or "no ARI address")

    def _wake(self):
        if self._wake_w is not None:
            with contextlib.suppress(OSError):
                self._wake_w.send(b"x")

    def _state_changed(self, state):
        if state == CONNECTED:
            self._connected.set()
        else:
            self._connected.clear()
            with self._outcomes_changed:
                self._link_epoch += 1
                self._outcomes_changed.notify_all()

    def _run(self):
        try:
            if self.url_problem:
                _logger.error("ARI connector %s: %s", self._name, self.url_problem)
                self._set_state(ERROR, self.url_problem)
                self._stop.wait()
                return
            self._loop()
        finally:
            self._set_state(DISCONNECTED, "stopped")

    def _loop(self):
        attempt = 0
        where = self.events_url.split("?", 1)[0] + f"?app={self.app}"
        while not self._stop.is_set():
            self._set_state(CONNECTING, where)
            try:
                ws = self._connect()
            except AriLoginError as error:
                _logger.error("ARI login to %s refused: %s", where, error)
                self._set_state(ERROR, str(error))
            except AriActionError as error:
                _logger.error("ARI events at %s refused: %s", where, error)
                self._set_state(ERROR, str(error))
            except (OSError, websocket.WebSocketException, AriError) as error:
                detail = str(error) or type(error).__name__
                _logger.warning("ARI connection to %s failed: %s", where, detail)
                self._set_state(DISCONNECTED, detail)
            else:
                attempt = 0
                self.connections += 1
                self._set_state(CONNECTED, f"Asterisk {self.server_version}" if self.server_version else "")
                detail = self._supervise(ws)
                if self._stop.is_set():
                    break
                if self._replaced:
                    _logger.error("ARI link to %s: %s", where, detail)
                    self._set_state(ERROR, detail)
                else:
                    _logger.warning("ARI link to %s lost: %s", where, detail)
                    self._set_state(DISCONNECTED, detail)
            if self._stop.is_set():
                break
            delay = self.backoff_delay(attempt)
            attempt += 1
            self.retry_delays.append(delay)
            _logger.info("ARI reconnect to %s in %.2fs", where, delay)
            self._stop.wait(delay)

    def _connect(self):
        ws = websocket.WebSocket(sslopt=self.sslopt, enable_multithread=True, skip_utf8_validation=True)
        try:
            ws.connect(self.events_url, header=[f"Authorization: {_auth_header(self.username, self._password)}"],
                       timeout=self.connect_timeout)
        except websocket.WebSocketBadStatusException as error:
            ws.shutdown()
            status = error.status_code
            # (resp_body and status_message are missing from older websocket-client releases)
            reason = _reason_of(getattr(error, "resp_body", None)) or getattr(error, "status_message", None) or ""
            if status in (401, 403):
                raise AriLoginError(f"ARI refused user {self.username!r} (HTTP {status} {reason}): check the ARI "
                                    f"user and password (ari.conf)", reason=reason, status=status) from None
            if status in (400, 404):
                raise AriActionError(f"HTTP {status} {reason}: {self.base_url} does not look like an ARI server "
                                     f"(expected http://host:8088), or the application name {self.app!r} is refused",
                                     reason=reason, status=status) from None
            raise AriError(f"HTTP {status} {reason}".strip()) from None
        except websocket.WebSocketTimeoutException:
            ws.shutdown()
            raise AriTimeout(f"no answer within {self.connect_timeout:g}s") from None
        except BaseException:
            ws.shutdown()
            raise
        self._replaced = False
        try:
            info = self.http.info(min(self.connect_timeout, 5.0))
            self.server_version = ((info or {}).get("system") or {}).get("version") or self.server_version
        except (AriError, AttributeError) as error:
            _logger.info("ARI asterisk/info not available: %s", error)
        return ws

    def _supervise(self, ws):
        """Read events and keep the link alive until it ends; returns why it ended."""
        sock = ws.sock
        ws.settimeout(max(self.ping_timeout, 0.05))  # a frame arriving in pieces never blocks longer
        last_ping = time.monotonic()
        awaiting = None  # when the unanswered ping was sent
        try:
            while True:
                if self._stop.is_set():
                    with contextlib.suppress(OSError, websocket.WebSocketException):
                        ws.close(timeout=1.0)
                    return "stopped"
                if self._replaced:
                    return f"another client took over the ARI application {self.app!r}"
                now = time.monotonic()
                if awaiting is not None and now - awaiting > self.ping_timeout:
                    return f"no pong within {self.ping_timeout:g}s (half-open link), closed"
                # a ping only after ping_interval without a frame: see the AMI connector
                if awaiting is None and now - last_ping >= self.ping_interval:
                    ws.ping(b"k2cc")
                    awaiting = last_ping = now
                wait = (awaiting + self.ping_timeout - now) if awaiting is not None \
                    else (last_ping + self.ping_interval - now)
                pending = getattr(sock, "pending", None)
                if not (pending and pending()):
                    ready, _, _ = select.select([sock, self._wake_r], [], [], max(wait, 0.0))
                    if self._wake_r in ready:
                        with contextlib.suppress(OSError):
                            self._wake_r.recv(64)
                    if sock not in ready:
                        continue
                try:
                    opcode, frame = ws.recv_data_frame(True)
                except websocket.WebSocketTimeoutException:
                    continue
                # The PBX spoke: the link lives, a pong late behind its events is not waited for,
                # and none is needed yet (the time spent handling the frame counts, see below).
                last_ping, awaiting = time.monotonic(), None
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    code = struct.unpack("!H", frame.data[:2])[0] if len(frame.data) >= 2 else None
                    why = frame.data[2:].decode("utf-8", "replace")
                    return f"closed by peer ({code} {why})".replace(" )", ")") if code else "closed by peer"
                elif opcode == websocket.ABNF.OPCODE_TEXT:
                    self._message(frame.data)
                    # a bridge that waited on its database handling it heard the PBX until now
                    last_ping = time.monotonic()
                elif opcode == websocket.ABNF.OPCODE_BINARY:
                    self._frame_errors["binary_frames"] = self._frame_errors.get("binary_frames", 0) + 1
                    _logger.warning("ARI binary frame of %d bytes skipped (events are text)", len(frame.data))
        except websocket.WebSocketConnectionClosedException:
            return "closed by peer"
        except (OSError, websocket.WebSocketException) as error:
            return f"closed by peer ({error or type(error).__name__})"
        finally:
            with contextlib.suppress(OSError, websocket.WebSocketException):
                ws.shutdown()

    def _message(self, data):
        self.last_event_at = time.time()
        try:
            event = json.loads(data.decode("utf-8"))
        except ValueError:  # the translator reports it
            event = data
        with self._lock:
            if isinstance(event, dict):
                self._observe(event)
            translated = self.translator.feed(event)
        for item in translated:
            if self.on_event is None:
                break
            try:
                self.on_event(item)
            except Exception as error:  # a faulty callback must not close the link
                _logger.error("ARI on_event callback failed (%s: %s) for %s", type(error).__name__, error,
                              item.get("Event"))

    def _observe(self, event):
        """Outcomes of channels (for originate) and take-overs of the application."""
        kind = event.get("type")
        if kind == "ApplicationReplaced":
            self._replaced = True
            return
        channel = event.get("channel")
        if not isinstance(channel, dict) or not isinstance(channel.get("id"), str):
            return
        uid = channel["id"]
        if kind == "ChannelStateChange" and channel.get("state") == "Up":
            outcome = "answered"
        elif kind == "ChannelDestroyed":
            outcome = "ended"
        else:
            return
        if uid in self._outcomes:
            return  # answered first: its later end says nothing about the originate
        self._outcomes[uid] = (outcome, event)
        while len(self._outcomes) > _OUTCOME_MEMORY:
            self._outcomes.popitem(last=False)
        self._outcomes_changed.notify_all()
