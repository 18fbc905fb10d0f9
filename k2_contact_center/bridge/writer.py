"""The bridge's writer: a batch of a PBX link's items into the database.

``BatchWriter`` writes a batch of the items a link's sink holds (call
updates, agent states, the link's state, CDR corrections) in one transaction
as the technical recorder user. It runs in the link's own process (the sink's
thread), or in a process of its own (``WriterProcess``): the ORM's work then
does not share the interpreter lock with the AMI reader and the call tracker,
and the bridge uses two cores. Both write the same way; the process is what
the ``k2cc-bridge`` command uses.

The writer process is ``odoo k2cc-bridge --writer-of PBX`` started by the
link, with the link's Odoo configuration; it reads batches from a socket and
answers each once its transaction is committed. A batch it did not answer
(it failed, or the process died) stays in the sink and is written again: a
dead writer process is started anew. It ignores SIGINT and SIGTERM (a Ctrl-C
or a service manager reaches every process of the group): the link stops it
once its buffer is written, and it ends by itself when the link is gone.
"""

import gc
import logging
import os
import signal
import socket
import subprocess
import sys
from multiprocessing.connection import Connection

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tools import config

from . import states as state_ingest
from .ingest import PbxLines, correct_from_cdr, ingest

_logger = logging.getLogger(__name__)

# What the bridge's writer makes of the agent-state items of its sink.
STATE_KINDS = frozenset({"agent_lost", "agent_snapshot"})
# The items that change what a wallboard shows.
FLOOR_KINDS = frozenset({"live", "record", "agent_states", *STATE_KINDS})
CONTEXT = {"tracking_disable": True, "mail_create_nolog": True, "mail_create_nosubscribe": True,
           "mail_notrack": True}
# Seconds a writer process may take to load the database's registry and answer.
START_TIMEOUT = 120.0
# Seconds a writer process gets to end once asked to, before it is killed.
STOP_TIMEOUT = 10.0


class WriterError(Exception):
    """A batch the writer process did not write; the sink writes it again."""


class BatchWriter:
    """Writes the batches of one PBX link, in the calling thread."""

    def __init__(self, db_name, pbx_id, name):
        self.db_name = db_name
        self.pbx_id = pbx_id
        self.name = name
        self.noted = set()  # devices and interfaces that are no line, logged once

    def write_batch(self, batch, wallboard=False):
        """Write ``batch`` (``(kind, data)`` items, in order) in one
        transaction; with ``wallboard``, send the company's wallboard after
        it. Returns the PBX call ids a resync of the batch closed, whose CDRs
        tell their real end."""
        if not batch:
            return []  # no transaction for nothing (a sink never sends it: its writer's test does)
        # As each HTTP request does: see what other processes changed and
        # cached (a PBX's number plan, a company's country) first.
        registry = Registry(self.db_name).check_signaling()
        corrections = []
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            recorder = env.ref("k2_contact_center.user_k2_cc_recorder")
            pbx = env["k2.cc.pbx"].browse(self.pbx_id)
            env = env(user=recorder.id, context=dict(CONTEXT, allowed_company_ids=pbx.company_id.ids))
            pbx = pbx.with_env(env)
            # Calls and state changes are independent of each other: each kind
            # is written in one go per batch (a PBX sends several state events
            # per call); what follows them in order (the link's state, a
            # resync) is written after what came before it.
            calls, changes = [], []
            told = env["res.users"]
            lines = PbxLines(env, pbx)  # the lines and what the batch looked up, shared by its writes
            for kind, data in batch:
                if kind in ("live", "record"):
                    calls.append((kind, data))
                    continue
                if kind == "agent_states":
                    changes.extend(data)
                    continue
                if kind == "wallboard":
                    continue  # the caller's ``wallboard``
                if calls:
                    ingest(pbx, calls, lines)
                    calls = []
                if changes:
                    told |= state_ingest.ingest_states(pbx, changes, self.noted, lines)
                    changes = []
                if kind in STATE_KINDS:
                    told |= self._write_states(pbx, kind, data)
                elif kind == "state":
                    self._write_link_state(env, pbx, data)
                elif kind == "version" and data != pbx.version:
                    pbx.version = data
                elif kind == "heartbeat":
                    pbx.bridge_heartbeat = odoo.fields.Datetime.now()
                elif kind == "cdr":
                    self._write_cdr(env, pbx, data)
                elif kind == "resync":
                    lost = env["k2.cc.call"].search([("pbx_id", "=", pbx.id), ("state", "!=", "done"),
                                                     ("pbx_call_id", "not in", data["open"])])
                    lost._cc_close_lost()
                    corrections.extend(lost.mapped("pbx_call_id"))
            if calls:
                ingest(pbx, calls, lines)
                pbx.link_last_event = odoo.fields.Datetime.now()
            if changes:
                told |= state_ingest.ingest_states(pbx, changes, self.noted, lines)
            if told:
                told.sudo()._bus_send("k2_cc_queues", {"changed": True})
            if wallboard:
                env["k2.cc.wallboard"]._cc_send(pbx.company_id)
        return corrections

    def start(self):
        return self

    def close(self):
        """Nothing to release: the writes use the registry's cursors."""

    def _write_states(self, pbx, kind, data):
        """Agent states into the lines and queue members; the users to tell."""
        if kind == "agent_lost":
            return state_ingest.link_lost(pbx)
        return state_ingest.resynced(pbx, data, self.noted)

    @staticmethod
    def _write_link_state(env, pbx, data):
        detail = data.get("detail")
        if data.get("ami_version"):  # the PBX's own words are its; this refusal is ours
            # stored once for every reader: in the company's language
            lang_env = env(context=dict(env.context, lang=pbx.sudo().company_id.partner_id.lang or env.lang))
            detail = lang_env._(
                "This PBX speaks AMI %(version)s (Asterisk 11 or older), which is not supported: its "
                "calls would be recorded wrongly. Upgrade the PBX to Asterisk 13 or later.",
                version=data["ami_version"])
        pbx._cc_set_link_state(data["state"], detail)

    def _write_cdr(self, env, pbx, data):
        """The calls a backfill read from the CDR source: the new ones recorded
        as recovered, the ones the resync closed corrected, none twice."""
        if data.get("error"):
            # stored once for every reader: in the company's language
            lang_env = env(context=dict(env.context, lang=pbx.sudo().company_id.partner_id.lang or env.lang))
            pbx.cdr_error = lang_env._(
                "The calls made while the link was down (since %(since)s UTC) could not be read from the CDR "
                "source: %(error)s. They are read at the next outage if the source answers by then.",
                since=data["since"][:19].replace("T", " "), error=data["error"])
            return
        records = data["records"]
        known = {call.pbx_call_id: call for call in env["k2.cc.call"].search(
            [("pbx_id", "=", pbx.id), ("pbx_call_id", "in", [record["call_id"] for record in records])])}
        if "unseen" in data:  # calls whose end, answer or both no bridge saw: their CDR tells
            for record in records:
                call = known.get(record["call_id"])
                if call and call.cdr_due:  # what the history says it owes, written knowing what it had
                    correct_from_cdr(call, record, call.cdr_due, cancel_told=pbx.cdr_cancel_disposition)
                    call.cdr_due = False
            return
        new = [("record", record) for record in records if record["call_id"] not in known]
        recovered = ingest(pbx, new) if new else env["k2.cc.call"]
        pbx.write({"cdr_error": False, "cdr_backfilled": odoo.fields.Datetime.now(),
                   "cdr_recovered": len(recovered)})
        if recovered:
            _logger.info("%s: %d call(s) made while the link was down recovered from the CDR source", self.name,
                         len(recovered))


class WriterProcess:
    """A :class:`BatchWriter` in a process of its own, with the same
    ``write_batch``: the batch goes over a socket, the answer comes back once it
    is committed. Called from one thread (the sink's writer)."""

    def __init__(self, db_name, pbx_id, name):
        self.db_name = db_name
        self.pbx_id = pbx_id
        self.name = name
        self.process = None
        self._connection = None
        self._ready = False
        self.started = 0  # processes started (a dead one is replaced)

    def start(self):
        """Start the process; it loads the registry while the link connects."""
        parent, child = socket.socketpair()
        # The link's configuration as it is now (a configuration file, options given or set in code).
        args = [sys.executable, "-m", "odoo", f"--addons-path={config['addons_path']}", "k2cc-bridge",
                "--writer-of", str(self.pbx_id), "--writer-socket", str(child.fileno()), "-d", self.db_name]
        try:
            self.process = subprocess.Popen(args, pass_fds=[child.fileno()], stdin=subprocess.DEVNULL)  # noqa: S603 - our own interpreter and arguments
        finally:
            child.close()
        self._connection = Connection(parent.detach())
        self._connection.send({"options": dict(config.options), "name": self.name})
        self._ready = False
        self.started += 1
        _logger.info("%s: writer process %d started", self.name, self.process.pid)
        return self

    def write_batch(self, batch, wallboard=False):
        if self.process is None or self.process.poll() is not None:
            self._end()
            self.start()
        try:
            if not self._ready:
                self._answer(START_TIMEOUT)
                self._ready = True
            self._connection.send(("write", batch, wallboard))
            return self._answer(None)
        except (EOFError, OSError, TimeoutError) as error:
            code = self._end()
            raise WriterError(f"the writer process ended ({str(error) or type(error).__name__}, exit code "
                              f"{code}): a new one writes the batch") from error

    def _answer(self, timeout):
        if timeout is not None and not self._connection.poll(timeout):
            raise TimeoutError(f"no answer in {timeout:.0f} s")
        status, value = self._connection.recv()
        if status == "error":
            raise WriterError(value)
        return value

    def close(self):
        """Ask the process to end (it has written every batch it answered);
        kill it if it does not."""
        if self._connection is not None:
            try:
                self._connection.send(("stop", None, None))
            except OSError as error:
                _logger.debug("%s: the writer process is gone already (%s)", self.name, error)
        self._end()

    def _end(self):
        """Close the socket and wait for the process to end: its exit code."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        code = None
        if self.process is not None:
            try:
                code = self.process.wait(STOP_TIMEOUT)  # it ends as its socket closes
            except subprocess.TimeoutExpired:
                _logger.warning("%s: writer process %d did not end: killed", self.name, self.process.pid)
                self.process.kill()
                code = self.process.wait()
            self.process = None
        return code


def serve(db_name, pbx_id, fd):
    """The writer process: batches from the socket ``fd``, each answered
    once written, until the link asks it to stop or is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    connection = Connection(fd)
    setup = connection.recv()
    # the link's configuration, none of the one-off work it was started for (installing, testing)
    config.options.update(setup["options"], test_enable=False, test_file=False, test_tags=None, init={}, update={})
    odoo.netsvc.init_logger()
    odoo.modules.module.initialize_sys_path()
    writer = BatchWriter(db_name, pbx_id, setup["name"])
    parent = os.getppid()
    try:
        Registry(db_name)
        # The registry lives as long as the process: out of the collector's
        # full passes, which a batch of thousands of updates sets off.
        gc.collect()
        gc.freeze()
        connection.send(("ready", None))
        while True:
            try:
                command, batch, wallboard = connection.recv()
            except EOFError:
                break
            if command == "stop" or os.getppid() != parent:  # a batch of a link that is gone: the next bridge's
                break
            try:
                answer = ("ok", writer.write_batch(batch, wallboard))
            except Exception as error:  # noqa: BLE001 - the link keeps the batch and sends it again
                _logger.debug("%s: writing %d items failed", setup["name"], len(batch), exc_info=True)
                answer = ("error", f"{type(error).__name__}: {error}")
            connection.send(answer)
    except (BrokenPipeError, ConnectionResetError):
        _logger.info("%s: the link is gone: writer process ends", setup["name"])
    finally:
        connection.close()
