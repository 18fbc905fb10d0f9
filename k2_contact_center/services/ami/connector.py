"""AMI client for the contact center: a robust connection to Asterisk's manager.

Pure Python (asyncio), no ``odoo`` import. Built on ``panoramisk`` where it is
sound and replacing it where it is not. Defects of panoramisk 1.4 (checked in
its source) and what this module does about each:

1. ``Manager.connection_made``/``connection_lost`` retry after a fixed
   ``reconnect_timeout`` with ``loop.call_later(self.reconnect_timeout,
   self.connect)``: no backoff, no jitter, a refused login is not even retried
   (``Manager.login`` just stores ``authenticated = False``).
   -> :class:`AmiConnector` runs its own connect/login loop with capped
   exponential backoff and jitter (:meth:`AmiConnector.backoff_delay`); a
   refused login is state ``error`` with the PBX's message, then retried.
2. ``AMIProtocol.close`` moves the actions in flight to
   ``Manager.awaiting_actions`` (re-sent only after a ``FullyBooted`` event)
   and drops ``ping``/``login`` silently: their futures never resolve, a caller
   awaiting one hangs forever.
   -> every action in flight fails at once with :class:`AmiLinkLost` when
   the link drops; actions have timeouts (:class:`AmiTimeout`).
3. ``Manager.ping`` sends ``Action: Ping`` every ``ping_interval`` and ignores
   the returned future: a silent half-open TCP link is never detected.
   -> the keep-alive pings after ``ping_interval`` (5 s) without a byte from
   the PBX and waits for the reply within ``ping_timeout`` (4 s); without it
   the link is considered dead, closed and re-established: a PBX gone silent
   is found within 9 s, an idle link gets one Ping every 5 s, a busy one none.
   A Pong late behind the events the PBX sent meanwhile (a bridge that
   waits on its database reads them slowly) is no dead link: whatever the
   PBX sent since the Ping keeps the link, and so does the time the bridge
   spent handling what it read.
4. ``Manager.connect`` calls ``asyncio.get_event_loop()`` when no loop was
   given, and ``actions.Action.__init__`` creates ``asyncio.Future()``
   without a loop: outside a running loop that is a DeprecationWarning
   (Python 3.10-3.11 without a current loop, 3.12+) or binds to the wrong loop.
   -> nothing asyncio is created before :meth:`AmiConnector.start` runs inside
   the loop; :class:`ConnectorThread` creates its own loop in its thread.
5. ``Message.from_line`` turns a header seen twice into a list; on a block
   with two ``Event:`` headers (two events run together, seen in real
   traces) ``AMIProtocol.handle_message`` calls ``message['event'].lower()``
   on that list and raises ``AttributeError`` inside ``data_received``, which
   asyncio treats as fatal: the connection is closed. It also splits blocks
   on ``"\\r\\n\\r\\n"`` only (LF-only streams never split).
   -> framing is the repository's :class:`~.frames.AmiFrameParser`:
   garbled input is counted (:attr:`AmiConnector.frame_errors`) and logged
   in one line, the events around it are still delivered.

What is kept from panoramisk: ``actions.Action`` (serialisation of an action,
its ``ActionID``, and the rules deciding when a response is complete, e.g. a
list action ending with its ``...Complete`` event or an async ``Originate``
ending with its ``OriginateResponse``), ``message.Message`` (case-insensitive
response view) and ``AMIProtocol.send`` (registration of an action by id).

Events are delivered as plain ``dict`` (header order kept, values UTF-8 with
diacritics intact). ``OriginateResponse`` events are delivered to the event
callback too (the call tracker uses them) besides completing the originate.

Threading: :class:`AmiConnector` lives in one asyncio loop; its callbacks
(``on_event(event)``, ``on_state(state, detail)``) run in that loop's thread.
:class:`ConnectorThread` runs it in a daemon thread for synchronous programs
(Odoo): its callbacks run in *that* thread, never in the caller's, and must
not block long (hand work over through a queue).

Every fault is logged as one line (no traceback for expected network faults).
"""

import asyncio
import contextlib
import logging
import random
import threading
import time

from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

from . import actions
from .actions import AmiAction
from .frames import AmiFrameParser
from .versions import unsupported_banner

_logger = logging.getLogger(__name__)

CONNECTING = "connecting"
CONNECTED = "connected"
DISCONNECTED = "disconnected"
ERROR = "error"
STATES = (CONNECTING, CONNECTED, DISCONNECTED, ERROR)

ORIGINATE_REASONS = {
    "0": "no such channel or the call failed", "1": "hung up", "3": "ringing, no answer",
    "4": "answered", "5": "busy", "8": "congestion",
}


class AmiError(Exception):
    """Base of the errors of this module."""


class AmiLinkLost(AmiError):
    """The connection to the PBX dropped (or was not up) while an action was in flight."""


class AmiTimeout(AmiError, TimeoutError):
    """No (complete) answer to an action in time."""


class AmiActionError(AmiError):
    """The PBX refused or failed an action; ``str()`` is its reason."""

    def __init__(self, message, response=None, reason=None):
        super().__init__(message)
        self.message = message
        self.response = response
        self.reason = reason


class AmiLoginError(AmiActionError):
    """The PBX refused the login."""


def _plain(message):
    """A panoramisk ``Message`` (or list of them) as plain dict(s)."""
    if isinstance(message, list):
        return [_plain(m) for m in message]
    # Message() adds a "content" key (a Follows response's body): kept only when not empty
    return {k: v for k, v in message.items() if k != "content" or v}


class _Protocol(AMIProtocol):
    """panoramisk's protocol with our framing and link-loss handling.

    ``send`` (Action registration by ActionID, serialisation) is inherited;
    ``data_received``, ``connection_lost`` and ``close`` are replaced (see the
    module docstring, defects 2 and 5)."""

    def __init__(self, connector):
        self.connector = connector
        self.parser = AmiFrameParser()
        self.lost = None  # Future: set when the connection is gone
        self.last_received = 0.0  # time.monotonic() of the last bytes from the PBX

    def connection_made(self, transport):  # pylint: disable=missing-return
        super().connection_made(transport)
        self.encoding = "utf-8"
        self.log = _logger
        self.lost = asyncio.get_running_loop().create_future()
        self.last_received = time.monotonic()

    def data_received(self, data):
        self.last_received = time.monotonic()
        before = dict(self.parser.errors)
        try:
            blocks = self.parser.feed(data)
        except Exception as error:  # never expected; do not let asyncio kill the link for it
            _logger.error("AMI framing failed on %d bytes: %s", len(data), error)
            return
        if self.parser.errors != before:
            self.connector._framing_errors(before, self.parser.errors)
        for block in blocks:
            try:
                self._block(block)
            except Exception as error:  # a faulty callback must not close the link
                _logger.error("AMI block handling failed (%s: %s) for %r", type(error).__name__, error,
                              block.get("Event") or block.get("Response"))
        # A bridge that waited on its database while handling these (a full
        # buffer) heard the PBX until now: that wait is no silence of the PBX.
        self.last_received = time.monotonic()

    def _block(self, block):
        action_id = block.get("ActionID")
        action = self.responses.get(action_id) if action_id else None
        is_event = "Event" in block
        if action is not None:
            if action.future.done():  # caller gave up (timeout): forget it
                self.responses.pop(action_id, None)
            elif action.add_message(Message(block)):
                self.responses.pop(action_id, None)
            if is_event and block["Event"] == "OriginateResponse":
                self.connector._event(block)
            return
        if is_event:
            self.connector._event(block)

    def fail_pending(self, error):
        pending, self.responses = self.responses, {}
        for action in pending.values():
            if not action.future.done():
                action.future.set_exception(error)
                action.future.exception()  # mark retrieved: nobody may be awaiting it any more

    def connection_lost(self, exc):
        self.closed = True
        self.fail_pending(AmiLinkLost(f"AMI link lost ({exc or 'closed'})"))
        if self.lost is not None and not self.lost.done():
            self.lost.set_result(exc)

    def close(self):
        if not self.closed:
            self.closed = True
            self.transport.close()

    def abort(self):
        self.closed = True
        self.transport.abort()


class LinkSettings:
    """What the AMI and ARI connectors share: the timing of a self-healing PBX
    link (keep-alive pings, time limits, the delays between reconnection
    attempts: exponential, capped, with jitter) and how its state is told."""

    protocol = "PBX"

    def _set_timing(self, ping_interval, ping_timeout, connect_timeout, action_timeout, backoff_initial,
                    backoff_max, backoff_factor, backoff_jitter, rng):
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.connect_timeout = connect_timeout
        self.action_timeout = action_timeout
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.backoff_factor = backoff_factor
        self.backoff_jitter = backoff_jitter
        self._rng = rng or random.Random()

    def backoff_delay(self, attempt):
        """Delay before retry ``attempt`` (0-based): ``initial * factor**attempt``
        capped at ``max``, minus up to ``jitter`` (a fraction) of it, so it
        never exceeds ``max`` and clients do not retry in lockstep."""
        base = min(self.backoff_max, self.backoff_initial * (self.backoff_factor ** min(attempt, 64)))
        return base * (1.0 - self.backoff_jitter * self._rng.random())

    def _set_state(self, state, detail=""):
        """Record the link's state and tell ``on_state`` (once per change)."""
        if state == self.state and detail == self.state_detail:
            return
        self.state = state
        self.state_detail = detail
        if state == ERROR or (state == DISCONNECTED and detail and detail != "stopped"):
            self.last_error = detail
        self._state_changed(state)
        if self.on_state is not None:
            try:
                self.on_state(state, detail)
            except Exception as error:
                _logger.error("%s on_state callback failed: %s: %s", self.protocol, type(error).__name__, error)

    def _state_changed(self, state):
        """What a connector does on its own when the state changes."""


class AmiConnector(LinkSettings):
    """A self-healing AMI connection (see the module docstring).

    ``on_event(event: dict)`` and ``on_state(state: str, detail: str)`` are
    called in the connector's loop. Start with ``await start()``, end with
    ``await stop()``."""

    protocol = "AMI"

    def __init__(self, host="127.0.0.1", port=5038, username="", secret="", *, on_event=None, on_state=None,
                 events="on", ping_interval=5.0, ping_timeout=4.0, connect_timeout=10.0, login_timeout=10.0,
                 action_timeout=10.0, backoff_initial=1.0, backoff_max=60.0, backoff_factor=2.0,
                 backoff_jitter=0.2, rng=None):
        self.host = host
        self.port = port
        self.username = username
        self.secret = secret
        self.on_event = on_event
        self.on_state = on_state
        self.events = events
        self.login_timeout = login_timeout
        self._set_timing(ping_interval, ping_timeout, connect_timeout, action_timeout, backoff_initial, backoff_max,
                         backoff_factor, backoff_jitter, rng)
        self.state = DISCONNECTED
        self.state_detail = ""
        self.last_event_at = None  # time.time() of the last event received
        self.last_error = None
        self.retry_delays = []  # every backoff delay used, in order (for monitoring and tests)
        self.frame_errors = {}
        self.banner = None
        self.server_version = None  # Asterisk's version (CoreSettings), once linked
        self.connections = 0  # successful logins so far
        self._protocol = None
        self._task = None
        self._stopping = False
        self._wake = None
        self._connected_event = None

    # -- public API -----------------------------------------------------------------
    @property
    def connected(self):
        return self.state == CONNECTED

    async def start(self):
        """Start connecting (returns at once; see :meth:`wait_connected`)."""
        if self._task is not None:
            return
        self._stopping = False
        self._wake = asyncio.Event()
        self._connected_event = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="ami-connector")

    async def wait_connected(self, timeout=None):
        await asyncio.wait_for(self._connected_event.wait(), timeout)

    async def stop(self, timeout=2.0):
        """Clean shutdown: Logoff (when connected), close, stop retrying."""
        self._stopping = True
        if self._wake is not None:
            self._wake.set()
        protocol = self._protocol
        if protocol is not None and not protocol.closed and self.state == CONNECTED:
            try:
                await self.send_action(AmiAction("Logoff"), timeout=timeout)
            except AmiError as error:
                _logger.info("AMI Logoff not acknowledged: %s", error)
        if protocol is not None:
            protocol.close()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if protocol is not None:
            protocol.fail_pending(AmiLinkLost("AMI connector stopped"))
        self._set_state(DISCONNECTED, "stopped")

    async def send_action(self, action, timeout=None, first_response=False):
        """Send an :class:`~.actions.AmiAction`; return its response as a dict, or for list
        actions the list of dicts (response, events..., ``...Complete``).
        ``first_response``: only the PBX's immediate answer (an async
        Originate's "queued"), not the events that complete it.
        Raises :class:`AmiLinkLost`, :class:`AmiTimeout`."""
        protocol = self._protocol
        if protocol is None or protocol.closed:
            raise AmiLinkLost("AMI link is not up")
        return await self._send(protocol, action, timeout, as_list=False if first_response else None)

    async def ping(self, timeout=None):
        return await self.send_action(AmiAction("Ping"), timeout or self.ping_timeout)

    async def originate(self, channel, exten, context, priority=1, caller_id=None, variables=None, timeout=60.0,
                        account=None):
        """Originate ``channel`` (``PJSIP/201``) to ``exten``@``context``,
        asynchronously on the PBX; wait for its ``OriginateResponse``. Returns
        that event (dict; ``Uniqueid`` is the channel's). Raises
        :class:`AmiActionError` with the PBX's reason when refused or failed."""
        action = actions.originate(channel, exten, context, priority, caller_id, variables, timeout, account)
        result = await self.send_action(action, timeout=timeout + 5.0)
        if isinstance(result, dict):  # refused at once (Response: Error)
            if result.get("Response") not in ("Success",):
                raise AmiActionError(result.get("Message") or "Originate refused", result)
            return result
        outcome = result[-1]
        if outcome.get("Response") != "Success":
            reason = outcome.get("Reason", "")
            text = ORIGINATE_REASONS.get(reason, f"reason {reason}")
            raise AmiActionError(f"Originate of {channel} to {exten} failed: {text}", outcome, reason)
        return outcome

    async def core_show_channels(self, timeout=None):
        """The live channels (``CoreShowChannel`` event dicts), for resync."""
        result = await self.send_action(AmiAction("CoreShowChannels"), timeout)
        if isinstance(result, dict):
            raise AmiActionError(result.get("Message") or "CoreShowChannels failed", result)
        return [item for item in result if item.get("Event") == "CoreShowChannel"]

    # -- internals ------------------------------------------------------------------
    async def _send(self, protocol, action, timeout, as_list=None):
        if not isinstance(action, AmiAction):
            raise TypeError(f"AMI actions are AmiAction objects (services.ami.actions), not {type(action).__name__}")
        if timeout is None:
            timeout = self.action_timeout
        action = action.to_panoramisk()  # created here, inside the loop (defect 4)
        # as_list=None: AMIProtocol.send's default (False) would force every
        # action to single-response and break list actions / async Originate.
        future = protocol.send(action, as_list=as_list)
        action_id = action.action_id
        try:
            result = await asyncio.wait_for(asyncio.shield(future), timeout)
        except asyncio.TimeoutError:
            protocol.responses.pop(action_id, None)
            if not future.done():
                future.cancel()
            raise AmiTimeout(f"no answer to {action['Action']} within {timeout:g}s") from None
        return _plain(result)

    def _state_changed(self, state):
        if self._connected_event is not None:
            if state == CONNECTED:
                self._connected_event.set()
            else:
                self._connected_event.clear()

    def _event(self, event):
        self.last_event_at = time.time()
        if self.on_event is not None:
            self.on_event(event)

    def _framing_errors(self, before, after):
        for key, value in after.items():
            grown = value - before.get(key, 0)
            if grown:
                self.frame_errors[key] = self.frame_errors.get(key, 0) + grown
                _logger.warning("AMI framing from %s:%s: %d %s (skipped, connection kept)",
                                self.host, self.port, grown, key)

    async def _run(self):
        attempt = 0
        while not self._stopping:
            self._set_state(CONNECTING, f"{self.host}:{self.port}")
            try:
                protocol = await self._connect()
            except AmiLoginError as error:
                _logger.error("AMI login to %s:%s refused: %s", self.host, self.port, error)
                self._set_state(ERROR, str(error))
            except (OSError, AmiError, asyncio.TimeoutError) as error:
                detail = str(error) or type(error).__name__
                _logger.warning("AMI connection to %s:%s failed: %s", self.host, self.port, detail)
                self._set_state(DISCONNECTED, detail)
            else:
                attempt = 0
                self.connections += 1
                self._set_state(CONNECTED, self.banner or "")
                detail = await self._supervise(protocol)
                if self._stopping:
                    break
                _logger.warning("AMI link to %s:%s lost: %s", self.host, self.port, detail)
                self._set_state(DISCONNECTED, detail)
            if self._stopping:
                break
            delay = self.backoff_delay(attempt)
            attempt += 1
            self.retry_delays.append(delay)
            _logger.info("AMI reconnect to %s:%s in %.2fs", self.host, self.port, delay)
            self._wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    async def _connect(self):
        loop = asyncio.get_running_loop()
        _, protocol = await asyncio.wait_for(
            loop.create_connection(lambda: _Protocol(self), self.host, self.port), self.connect_timeout)
        self._protocol = protocol
        try:
            login = AmiAction("Login", Username=self.username, Secret=self.secret, Events=self.events)
            try:
                response = await self._send(protocol, login, self.login_timeout)
            except AmiTimeout:
                raise AmiTimeout(f"no answer to Login within {self.login_timeout:g}s") from None
            self.banner = protocol.parser.banner
            if response.get("Response") != "Success":
                raise AmiLoginError(response.get("Message") or "login refused", response)
            refused = unsupported_banner(self.banner)
            if refused:
                raise AmiLoginError(refused, response)
            if self.events != "off":  # the long-lived link, not a click's short session
                await self._read_version(protocol)
        except BaseException:
            protocol.abort()
            raise
        return protocol

    async def _read_version(self, protocol):
        """The Asterisk version (``CoreSettings``; ``reporting`` or ``system``
        rights), for the PBX's form; a PBX that refuses it is still linked."""
        try:
            settings = await self._send(protocol, AmiAction("CoreSettings"), self.login_timeout)
        except AmiError as error:
            _logger.info("AMI CoreSettings of %s:%s not answered: %s", self.host, self.port, error)
            return
        if isinstance(settings, dict) and settings.get("Response") == "Success":
            self.server_version = settings.get("AsteriskVersion") or None

    async def _supervise(self, protocol):
        """Keep-alive until the link is lost; returns why it ended. A Ping goes
        out only after ``ping_interval`` seconds without a byte from the PBX:
        a busy link is never pinged, a silent one is found dead within
        ``ping_interval + ping_timeout`` of its last word."""
        while True:
            wait = protocol.last_received + self.ping_interval - time.monotonic()
            if wait > 0:
                await asyncio.wait({protocol.lost}, timeout=wait)
            if protocol.lost.done():
                error = protocol.lost.result()
                return f"closed by peer ({error})" if error else "closed by peer"
            if self._stopping:
                return "stopped"
            if protocol.last_received + self.ping_interval > time.monotonic():
                continue  # the PBX spoke meanwhile
            pinged = time.monotonic()
            try:
                await self._send(protocol, AmiAction("Ping"), self.ping_timeout)
            except AmiTimeout:
                if protocol.last_received > pinged:
                    continue  # the PBX spoke meanwhile: its Pong waits behind its events, the link lives
                protocol.abort()
                return f"no Pong within {self.ping_timeout:g}s (half-open link), closed"
            except AmiLinkLost:
                continue  # protocol.lost is set, reported above


def run_once(host, port, username, secret, work, timeout=10.0):
    """A short AMI session from synchronous code (a web request): connect, log
    in, ``await work(connector)``, log off. Raises :class:`AmiLoginError` with
    the PBX's message when it refuses the login, :class:`AmiLinkLost` when it
    cannot be reached within ``timeout`` seconds."""

    async def session():
        connector = AmiConnector(host, port, username, secret, events="off", connect_timeout=timeout,
                                 login_timeout=timeout, action_timeout=timeout, ping_interval=3600.0,
                                 backoff_initial=3600.0)
        await connector.start()
        try:
            deadline = time.monotonic() + timeout
            while connector.state != CONNECTED:
                if connector.state == ERROR:
                    raise AmiLoginError(connector.state_detail or "login refused")
                if connector.state == DISCONNECTED and connector.last_error:
                    raise AmiLinkLost(connector.last_error)
                if time.monotonic() > deadline:
                    raise AmiLinkLost(f"no answer from {host}:{port} within {timeout:g}s")
                await asyncio.sleep(0.02)
            return await work(connector)
        finally:
            await connector.stop()

    return asyncio.run(session())


class ConnectorThread:
    """An :class:`AmiConnector` in its own event loop in a daemon thread.

    ``ConnectorThread(host, port, username, secret, on_event=..., on_state=..., **options)``
    takes the arguments of :class:`AmiConnector`. The callbacks run in this
    object's thread. ``call()`` and the helpers are thread-safe."""

    def __init__(self, *args, name="ami-connector", **kwargs):
        self._args = args
        self._kwargs = kwargs
        self._name = name
        self.loop = None
        self.connector = None
        self._thread = None

    def start(self, timeout=5.0):
        ready = threading.Event()

        def main():
            self.loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self.loop)
            self.connector = AmiConnector(*self._args, **self._kwargs)
            self.loop.run_until_complete(self.connector.start())
            ready.set()
            try:
                self.loop.run_forever()
            finally:
                pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
                for task in pending:
                    task.cancel()
                if pending:
                    self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                self.loop.close()

        self._thread = threading.Thread(target=main, name=self._name, daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise AmiError("AMI connector thread did not start")
        return self

    @property
    def state(self):
        return self.connector.state if self.connector else DISCONNECTED

    @property
    def alive(self):
        return self._thread is not None and self._thread.is_alive()

    def call(self, what, timeout=None):
        """Run in the connector's loop and wait for the result: an
        :class:`~.actions.AmiAction`, a coroutine, or a function taking the connector and returning a
        coroutine. ``timeout`` (seconds) bounds the wait: :class:`AmiTimeout`."""
        if not self.alive:
            raise AmiLinkLost("AMI connector thread is not running")
        connector = self.connector
        if isinstance(what, AmiAction):
            coro = connector.send_action(what, timeout)
        elif asyncio.iscoroutine(what):
            coro = what
        else:
            coro = what(connector)
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(None if timeout is None else timeout + 1.0)
        except TimeoutError:
            if future.done():  # the coroutine's own timeout (AmiTimeout...)
                raise
            future.cancel()
            raise AmiTimeout(f"no result within {timeout}s") from None

    def wait_connected(self, timeout=10.0):
        self.call(lambda c: c.wait_connected(timeout), timeout)

    def originate(self, channel, exten, context, priority=1, caller_id=None, variables=None, timeout=60.0):
        return self.call(lambda c: c.originate(channel, exten, context, priority, caller_id, variables, timeout),
                         timeout + 5.0)

    def core_show_channels(self, timeout=10.0):
        return self.call(lambda c: c.core_show_channels(timeout), timeout)

    def stop(self, timeout=5.0):
        """Logoff, close, end the thread (joined up to ``timeout``)."""
        if not self.alive:
            return
        future = asyncio.run_coroutine_threadsafe(self.connector.stop(min(2.0, timeout)), self.loop)
        try:
            future.result(timeout)
        except Exception as error:  # the thread ends anyway
            _logger.warning("AMI connector stop: %s: %s", type(error).__name__, error)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout)
