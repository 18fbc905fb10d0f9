"""The bridge: the long-lived links between PBXs and one Odoo database.

``PbxLink`` holds one PBX: its AMI connection (``services.ami.connector``) or
web PBX event link (``services.ari.connector``),
its call tracker, and the sink whose writer (``writer``, in the link's
process or in one of its own) writes to the database as the technical
recorder user. A PostgreSQL advisory lock, held on a connection of its own for
as long as the link lives, makes sure no other process or server links the
same PBX: when that process dies, its connection closes and the lock is free.

``BridgeManager`` keeps a ``PbxLink`` per active PBX of a database, starting,
restarting and stopping them as PBXs are configured, and writes their
heartbeat. It runs in a thread of the Odoo server (``server_wide_modules``) or
in the ``k2cc-bridge`` command.
"""

import asyncio
import logging
import threading
from datetime import UTC, datetime, timedelta

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry

from ..services import cdr
from ..services.ami.actions import status_actions
from ..services.ami.connector import AmiError, ConnectorThread
from ..services.ami.versions import ami_version, unsupported_banner
from ..services.ari.connector import AriConnector
from ..services.tracking.calls import CallTracker
from ..services.tracking.states import AgentStates
from ..services.wallboard import Pulse
from .sink import CallSink
from .writer import FLOOR_KINDS, BatchWriter, WriterProcess

_logger = logging.getLogger(__name__)

# Seconds between a call's end and reading its CDR: Asterisk writes it as the call hangs up.
CDR_DELAY = 2.0
# A CDR not there yet (Asterisk's CDR batch mode writes every few minutes) is read again after
# these delays (s), then left to the next bridge's start by the call's cdr_due.
CDR_RETRIES = (15.0, 60.0, 300.0, 900.0)
# a call still awaiting its CDR after this long will not get it (the source keeps none, or lost it)
CDR_DUE_LIMIT = timedelta(days=1)
# First key of the advisory locks of this addon ("K2"); the second is the PBX id.
LOCK_NAMESPACE = 0x4B32
# Items the sink's writer takes at most in one transaction. Only a writer
# behind the PBX takes that many (at 40 calls/s a batch is tens of items):
# the more a batch holds, the more of a call's updates it writes as one, and
# the sooner it catches up (writer alone, 2,102 calls: 20,800 events/s in
# batches of 2,000, 27,200 in batches of 5,000), within half the sink's buffer.
MAX_BATCH = 5000
# Seconds between two wallboard updates of a company (at most 2 a second).
WALLBOARD_INTERVAL = 0.5
# Where a link's writes run (see .writer): in the sink's thread, or in a process of their own.
WRITERS = {"thread": BatchWriter, "process": WriterProcess}


def _now():
    return datetime.now(UTC)


class PbxLink:
    """One PBX, linked to one database."""

    def __init__(self, db_name, pbx_id, *, ping_interval=5.0, action_timeout=None, writer="thread"):
        self.db_name = db_name
        self.pbx_id = pbx_id
        self.writer_kind = writer
        self.writer = None
        self.ping_interval = ping_interval
        self.action_timeout = action_timeout
        self.signature = None
        self.name = f"PBX {pbx_id}"
        self.tracker = None
        self.sink = None
        self.connector = None
        self._lock_cursor = None
        self._lost_at = None
        self._link_up = False
        self.states = AgentStates()
        self.pulse = None
        self._noted = set()  # the state actions the PBX refuses, logged once
        # since when no bridge saw this PBX, at start (a restart, a failover): the first resync backfills it
        self._blind_since = None
        self.backfills = []  # the CDR backfill threads started (tests join them)
        # calls whose CDR is read next; what each owes it is its cdr_due in the history
        self._uncertain = set()
        self._uncertain_lock = threading.Lock()
        self._uncertain_timer = None
        self._cdr_attempts = {}  # call id -> times its CDR was looked for in vain
        self._retry_timers = []

    # -- lifecycle --
    def start(self):
        """Take the PBX's lock and connect. False when another process holds it."""
        if not self._take_lock():
            return False
        registry = Registry(self.db_name)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            pbx = env["k2.cc.pbx"].browse(self.pbx_id)
            self.name = pbx.display_name
            self.signature = pbx_signature(pbx)
            pbx_sudo = pbx.sudo()
            connector_kind = pbx.connector
            config = {
                "host": pbx.host or "127.0.0.1",
                "port": pbx.port or 5038,
                "username": pbx.username or "",
                "secret": pbx_sudo.password or "",
                "ari_url": pbx.ari_url or "",
                "ari_app": pbx.ari_app or "",
                "ari_username": pbx.ari_username or "",
                "ari_password": pbx_sudo.ari_password or "",
                "timeout": pbx.timeout or 10,
            }
            self.tracker = CallTracker(pbx._cc_number_plan(), endpoints=pbx._cc_endpoints())
            floors = max(env["k2.cc.pbx"].search_count([("company_id", "=", pbx.company_id.id)]), 1)
            # corrections from the CDRs a previous bridge had not made yet (it stopped first)
            since = _now().replace(tzinfo=None) - CDR_DUE_LIMIT
            due = env["k2.cc.call"].search(
                [("pbx_id", "=", pbx.id), ("cdr_due", "!=", False), ("end", ">=", since)]).mapped("pbx_call_id")
            # the link went down cleanly (its state says when), or its bridge died (the last event says)
            blind = pbx.link_changed if pbx.link_state != "connected" else None
            blind = blind or pbx.link_last_event
            self._blind_since = blind.replace(tzinfo=UTC) if blind else None
        # A writer process loads its registry while the link connects.
        self.writer = WRITERS[self.writer_kind](self.db_name, self.pbx_id, self.name).start()
        # Large batches when the database falls behind: a call's updates then
        # mostly meet in one batch, and the batch's costs are shared by more calls.
        self.sink = CallSink(self._write, name=self.name, max_batch=MAX_BATCH).start()
        self._correct_later(due)
        # Each PBX link of a company sends its wallboard updates: together at
        # most 1 / WALLBOARD_INTERVAL a second.
        self.pulse = Pulse(lambda: self.sink.put(("wallboard", {})), interval=WALLBOARD_INTERVAL * floors)
        common = {"on_event": self._on_event, "on_state": self._on_state, "ping_interval": self.ping_interval,
                  "action_timeout": self.action_timeout or config["timeout"], "name": f"k2cc-{self.name}"}
        if connector_kind == "ari":
            self.connector = AriConnector(config["ari_url"], config["ari_app"], config["ari_username"],
                                          config["ari_password"], **common)
            address = config["ari_url"]
        else:
            self.connector = ConnectorThread(config["host"], config["port"], config["username"], config["secret"],
                                             **common)
            address = f"{config['host']}:{config['port']}"
        self.connector.start()
        _logger.info("%s: linking to %s", self.name, address)
        return True

    def stop(self, timeout=10.0):
        if self.connector:
            self.connector.stop(timeout)
        if self.pulse:
            self.pulse.cancel()
        with self._uncertain_lock:  # the calls stay marked as awaiting their CDRs: the next bridge reads them
            for timer in [self._uncertain_timer, *self._retry_timers]:
                if timer is not None:
                    timer.cancel()
            self._uncertain, self._uncertain_timer, self._retry_timers = set(), None, []
        if self.sink:
            self.sink.put(("state", {"state": "disconnected", "detail": None}))
            self.sink.put(("agent_lost", {}))
            self.sink.stop(timeout)
        if self.writer:
            self.writer.close()
        self._release_lock()
        _logger.info("%s: link stopped", self.name)

    def is_alive(self):
        return bool(self.connector and self.connector.alive)

    # -- connector callbacks (on the connector's thread) --
    def _on_event(self, event):
        received = _now()
        for item in self.tracker.feed(event, received_at=received):
            adopted = item.kind == "record" and item.data.get("adopted")
            if adopted:
                item.data["cdr_due"] = "answer"
            self.sink.put((item.kind, item.data))
            if adopted:
                self._correct_later([item.data["call_id"]])
        changes = self.states.feed(event)
        if changes:
            self.sink.put(("agent_states", changes))

    def _correct_later(self, call_ids):
        """Calls whose history is uncertain: closed at a resync when their
        end was not seen, taken up in progress and ended (their start and
        answer were not seen live, or not by this bridge), or both, as their
        ``cdr_due`` says. Once the PBX wrote their CDRs, what they tell is
        read from there, however long before the outage the calls began.
        Thread-safe."""
        if not call_ids:
            return
        with self._uncertain_lock:
            self._uncertain.update(call_ids)
            if self._uncertain_timer is None:
                self._uncertain_timer = threading.Timer(CDR_DELAY, self._correct_uncertain)
                self._uncertain_timer.daemon = True
                self._uncertain_timer.start()

    def _on_state(self, state, detail=None):
        if state not in ("connected", "disconnected", "error"):
            return
        if state != "connected":
            if self._lost_at is None:
                self._lost_at = _now()  # calls that ended while the link was down ended about now
            if self._link_up:
                self.tracker.link_lost()
        self._link_up = state == "connected"
        if state != "connected" and self.states.link_up:
            self.states.link_lost()
            self.sink.put(("agent_lost", {}))
        banner = getattr(getattr(self.connector, "connector", None), "banner", None)
        refused = state == "error" and unsupported_banner(banner)
        self.sink.put(("state", {"state": state, "detail": None if state == "connected" else detail,
                                 "ami_version": ".".join(map(str, ami_version(banner))) if refused else None}))
        if state == "connected":
            # Taken now: a link lost again before its resync ran is an outage of its own,
            # and the channels its list shows were seen on this link.
            lost_at, self._lost_at = self._lost_at, None
            listed_on = self.tracker.link
            link = self.connector if isinstance(self.connector, AriConnector) else self.connector.connector
            if link.server_version:
                self.sink.put(("version", link.server_version))
            if isinstance(self.connector, AriConnector):
                # Before the link reads its first event: the tracker stays on one thread.
                self._resync(self.connector.core_show_channels, lost_at, listed_on)
                # ARI has no queue members nor a list of device states here:
                # every phone is unknown until its next DeviceStateChanged.
                self.states.begin_resync()
                self.states.end_resync()
                self.sink.put(("agent_snapshot", self.states.snapshot()))
            else:
                # Called on the connector's loop: the resync runs there too, beside the events.
                asyncio.ensure_future(self._resync_async(lost_at, listed_on), loop=self.connector.loop)

    async def _resync_async(self, lost_at, listed_on):
        try:
            channels = await self.connector.connector.core_show_channels()
        except Exception as error:  # noqa: BLE001 - a failed resync is retried at the next reconnect
            _logger.warning("%s: resync after reconnect failed: %s", self.name, error)
            self._owe_resync(lost_at)
            return
        self._resync(lambda: channels, lost_at, listed_on)
        await self._resync_states()

    async def _resync_states(self):
        """Ask the PBX for its queue members, device and hint states
        (``QueueStatus``, ``DeviceStateList``, ``ExtensionStateList``): what
        it lists replaces what was known, so nothing stale survives a
        reconnect. A PBX that refuses one (no rights, an older Asterisk) is
        logged and the others still count."""
        self.states.begin_resync()
        for action in status_actions():
            if action.name == "CoreShowChannels":
                continue  # the calls' resync above
            try:
                result = await self.connector.connector.send_action(action)
            except AmiError as error:
                _logger.warning("%s: %s after reconnect not answered: %s", self.name, action.name, error)
                continue
            if isinstance(result, dict):
                # said once per link, not at every reconnect
                log = _logger.info if action.name in self._noted else _logger.warning
                self._noted.add(action.name)
                log("%s: the PBX refuses %s (%s): those states stay unknown until they change", self.name,
                    action.name, result.get("Message") or result.get("Response"))
                continue
            for item in result:
                self.states.feed(item)
        self.states.end_resync()
        self.sink.put(("agent_snapshot", self.states.snapshot()))

    def _owe_resync(self, lost_at):
        """A resync that failed: the next reconnect's covers its outage too."""
        if lost_at is not None:
            self._lost_at = min(lost_at, self._lost_at or lost_at)

    def _resync(self, list_channels, lost_at, listed_on):
        """At each (re)connect, reconcile with the PBX's live channels: each
        channel it no longer lists hung up while the link was down (a call
        whose last one went ends, one that lost a leg goes on); calls it still
        lists that this tracker never saw (a previous bridge's, a failover)
        are taken up where the history left them; calls the history holds
        open that the PBX no longer lists are closed."""
        try:
            channels = list_channels()
        except Exception as error:  # noqa: BLE001 - a failed resync is retried at the next reconnect
            _logger.warning("%s: resync after reconnect failed: %s", self.name, error)
            self._owe_resync(lost_at)
            return
        now = _now()
        updates = self.tracker.reconcile(channels, lost_at=lost_at, now=now, link=listed_on)
        for item in updates:
            if item.kind == "record":  # ended unseen: its CDR tells when and how (and when answered, if taken up)
                item.data["cdr_due"] = "all" if item.data.get("adopted") else "end"
            self.sink.put((item.kind, item.data))
        open_ids = [call["call_id"] for call in self.tracker.open_calls()]
        self.sink.put(("resync", {"open": open_ids}))
        blind = min(moment for moment in (lost_at, self._blind_since, now) if moment is not None)
        self._blind_since = None
        if blind < now:
            # the CDR database is another server: read it off the PBX link's thread
            thread = threading.Thread(target=self._backfill, args=(blind, now, set(open_ids)),
                                      name=f"k2cc-cdr-{self.name}", daemon=True)
            self.backfills.append(thread)
            thread.start()
        # the calls whose last channels went while the link was down: their real end is in their CDRs
        ended = [item.data["call_id"] for item in updates if item.kind == "record"]
        self._correct_later(ended)
        if ended:
            _logger.info("%s: resync ended %d call(s) whose channels hung up while the link was down",
                         self.name, len(ended))

    def _backfill(self, lost_at, now, open_ids):
        """Read the calls of the blind window from the PBX's CDR source, if it
        has one, and hand them to the writer: calls still in progress are
        the tracker's, the writer skips those the history has (those the
        resync closed are corrected by ``_correct_later``)."""
        since, until = cdr.window(lost_at, now)
        recovered = self._read_cdr(lambda source: cdr.read_rows(source, since, until), since)
        if recovered is None:
            return
        records = [record for record in recovered.records if record["call_id"] not in open_ids]
        _logger.debug("%s: CDR backfill of %s to %s: %d call(s), %d in progress", self.name, since.isoformat(),
                      until.isoformat(), len(recovered.records), len(recovered.records) - len(records))
        if recovered.skipped:
            _logger.warning("%s: %d CDR row(s) of the blind window made no sense and were skipped", self.name,
                            recovered.skipped)
        self.sink.put(("cdr", {"records": records, "since": since.isoformat()}))

    def _correct_uncertain(self):
        with self._uncertain_lock:
            uncertain, self._uncertain, self._uncertain_timer = self._uncertain, set(), None
        recovered = self._read_cdr(lambda source: cdr.read_calls(source, sorted(uncertain)), _now())
        if recovered is not None:
            records = [record for record in recovered.records if record["call_id"] in uncertain]
            self.sink.put(("cdr", {"records": records, "unseen": sorted(uncertain)}))
            found = {record["call_id"] for record in records}
            self._retry_cdr(uncertain - found, found)

    def _retry_cdr(self, missing, found):
        """The calls of ``missing`` had no CDR yet: looked for again later,
        each after the next of ``CDR_RETRIES``."""
        later, given_up = {}, 0
        with self._uncertain_lock:
            for call_id in found:
                self._cdr_attempts.pop(call_id, None)
            for call_id in missing:
                attempt = self._cdr_attempts.get(call_id, 0)
                if attempt < len(CDR_RETRIES):
                    self._cdr_attempts[call_id] = attempt + 1
                    later.setdefault(CDR_RETRIES[attempt], []).append(call_id)
                else:
                    del self._cdr_attempts[call_id]
                    given_up += 1
            self._retry_timers = [timer for timer in self._retry_timers if timer.is_alive()]
            for delay, due in later.items():
                timer = threading.Timer(delay, self._correct_later, args=(due,))
                timer.daemon = True
                timer.start()
                self._retry_timers.append(timer)
        if given_up:
            _logger.warning("%s: %d call(s) still have no CDR %.0f min after they ended: the next start of the "
                            "bridge looks for them once more", self.name, given_up, sum(CDR_RETRIES) / 60)

    def _read_cdr(self, read, since):
        """The calls ``read(source)`` gives of the PBX's CDR source, or None
        when it has none or it cannot be read (said in the log and on the PBX)."""
        try:
            with Registry(self.db_name).cursor() as cr:
                pbx = api.Environment(cr, SUPERUSER_ID, {})["k2.cc.pbx"].browse(self.pbx_id)
                source = pbx._cc_cdr_source()
                if source is None:
                    return None
                plan, endpoints = pbx._cc_number_plan(), pbx._cc_endpoints()
            return cdr.records_from_rows(read(source), plan, endpoints, source.tz)
        except Exception as error:  # noqa: BLE001 - a CDR source down costs the backfill only; next outage retries
            reason = str(error) if isinstance(error, cdr.CdrError) else f"{type(error).__name__}: {error}"
            _logger.warning("%s: the calls made while the link was down (since %s) could not be read from the CDR "
                            "source: %s", self.name, since.isoformat(timespec="seconds"), reason)
            self.sink.put(("cdr", {"error": reason, "since": since.isoformat()}))
            return None

    # -- database side (on the sink's thread) --
    def _write(self, batch):
        # Whether the wallboard is told after this batch: decided here, where its pulse is.
        due = any(kind == "wallboard" for kind, _data in batch)
        floor = any(kind in FLOOR_KINDS for kind, _data in batch)
        # the calls a resync closed: their real end is in their CDRs
        self._correct_later(self.writer.write_batch(batch, due or (floor and self.pulse.touch())))

    # -- the lock --
    def _take_lock(self):
        cursor = odoo.sql_db.db_connect(self.db_name).cursor()
        cursor._cnx.autocommit = True
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_NAMESPACE, self.pbx_id))
        if cursor.fetchone()[0]:
            self._lock_cursor = cursor
            return True
        cursor.close()
        return False

    def _release_lock(self):
        if self._lock_cursor is not None:
            try:
                self._lock_cursor.execute("SELECT pg_advisory_unlock(%s, %s)", (LOCK_NAMESPACE, self.pbx_id))
            finally:
                self._lock_cursor.close()
                self._lock_cursor = None


def pbx_signature(pbx):
    """What, when changed, needs a new link."""
    return (pbx.host, pbx.port, pbx.username, pbx.sudo().password, pbx.connector, pbx.ari_url, pbx.ari_app,
            pbx.ari_username, pbx.sudo().ari_password, pbx.country_id.id,
            pbx.extension_patterns, pbx.extension_prefix, pbx.trunk_names, pbx.outside_prefix,
            tuple(pbx.line_ids.mapped(lambda line: (line.extension, line.endpoint))))


class BridgeManager:
    """Keeps a link per active PBX of one database."""

    def __init__(self, db_name, *, interval=30.0, pbx_codes=None, writer="thread"):
        self.db_name = db_name
        self.interval = interval
        self.pbx_codes = pbx_codes
        self.writer = writer
        self.links = {}
        self._stop = threading.Event()
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self.run, name=f"k2cc-bridge-{self.db_name}", daemon=True)
        self._thread.start()
        return self

    def is_alive(self):
        return bool(self._thread and self._thread.is_alive())

    def run(self):
        _logger.info("Contact-center bridge of database %s started", self.db_name)
        while not self._stop.is_set():
            try:
                self.reconcile()
            except Exception:
                _logger.exception("Contact-center bridge of %s: reconciling the PBX links failed", self.db_name)
            self._stop.wait(self.interval)
        for link in list(self.links.values()):
            link.stop()
        self.links.clear()
        _logger.info("Contact-center bridge of database %s stopped", self.db_name)

    def stop(self, timeout=15.0):
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)

    def reconcile(self):
        """Start links of new PBXs, restart changed or dead ones, stop removed ones; heartbeat."""
        with Registry(self.db_name).cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            domain = ["|", "&", ("connector", "=", "ami"), ("host", "!=", False),
                      "&", ("connector", "=", "ari"), ("ari_url", "!=", False)]
            if self.pbx_codes:
                domain.append(("code", "in", list(self.pbx_codes)))
            pbxs = env["k2.cc.pbx"].search(domain)
            wanted = {pbx.id: pbx_signature(pbx) for pbx in pbxs}
        for pbx_id, link in list(self.links.items()):
            if wanted.get(pbx_id) != link.signature or not link.is_alive():
                link.stop()
                del self.links[pbx_id]
        for pbx_id in wanted:
            if pbx_id not in self.links:
                link = PbxLink(self.db_name, pbx_id, writer=self.writer)
                if link.start():
                    self.links[pbx_id] = link
                else:
                    _logger.info("PBX %s of %s is linked by another process", pbx_id, self.db_name)
        for link in self.links.values():
            # Through the link's own writer: one writer per PBX row, no write conflicts.
            link.sink.put(("heartbeat", {}))
