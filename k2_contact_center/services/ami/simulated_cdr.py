"""The simulator's CDR backend: call detail records as Asterisk writes them,
from the channel events the simulator plays (whether a client listens or not:
a PBX keeps its CDRs while the link is down).

Pure Python, no ``odoo`` import. Asterisk's CDR engine (12 and later) keeps
one record per party A and the party B it dials or is bridged with: a ring
group or queue gives one row per phone rung, a transfer one more row; the
rows of a call share its ``linkedid``. Each row starts when party A was
created (a later dial of the same party A, after a transfer, when it
forked), is answered when party B answered and ends when they parted.
``duration`` and ``billsec`` are whole seconds and ``calldate`` is cut to the
second, as Asterisk's ``cdr_pgsql`` and ``cdr_mysql`` write them. A call's
rows are handed over when its last channel hangs up.

``CdrRecorder(write, cancel_disposition=False)``: ``feed(event)`` each event;
``write(rows)`` is called with the rows (dicts of
:data:`..cdr.COLUMNS`, ``calldate`` aware) of every call that ended.
``CdrBackend(source)`` is such a ``write`` that inserts the rows into a real
database table from a thread of its own (the simulator's loop never waits
on it); ``join()`` waits until what was handed over is written.
"""

import logging
import queue
import threading
from datetime import UTC, datetime

from .. import cdr as cdr_service

_logger = logging.getLogger(__name__)

_DISPOSITION = {"ANSWER": "ANSWERED", "NOANSWER": "NO ANSWER", "BUSY": "BUSY", "CANCEL": "NO ANSWER",
                "CONGESTION": "CONGESTION", "CHANUNAVAIL": "FAILED"}
_CAUSE_DISPOSITION = {"17": "BUSY", "19": "NO ANSWER", "21": "FAILED", "34": "CONGESTION", "1": "FAILED"}


class _Party:
    __slots__ = ("uid", "name", "linkedid", "created", "cid_num", "cid_name", "exten", "context", "lastapp",
                 "lastdata", "up", "cause", "rows")

    def __init__(self, event, ts):
        self.uid = event["Uniqueid"]
        self.name = event.get("Channel") or ""
        self.linkedid = event.get("Linkedid") or self.uid
        self.created = ts
        self.cid_num = self.cid_name = self.exten = self.context = ""
        self.lastapp = self.lastdata = ""
        self.up = None
        self.cause = None
        self.rows = 0  # rows this channel is party A or B of

    def update(self, event, ts):
        for attr, header in (("cid_num", "CallerIDNum"), ("cid_name", "CallerIDName"), ("exten", "Exten"),
                             ("context", "Context")):
            value = event.get(header)
            if value and value != "<unknown>":
                setattr(self, attr, value)
        if str(event.get("ChannelState")) == "6" and self.up is None:
            self.up = ts


class _Record:
    __slots__ = ("a", "b", "start", "answer", "end", "disposition", "lastapp", "lastdata", "dst", "dcontext")

    def __init__(self, a, b, start, answer=None):
        self.a = a
        self.b = b
        self.start = start
        self.answer = answer
        self.end = None
        self.disposition = "ANSWERED" if answer is not None else None
        self.lastapp, self.lastdata = a.lastapp, a.lastdata
        self.dst = self.dcontext = ""


class CdrRecorder:
    def __init__(self, write, cancel_disposition=False):
        self._write = write
        self.cancel_disposition = cancel_disposition
        self._parties = {}  # uid -> _Party (channels still up, and of calls not written yet)
        self._live = {}  # linkedid -> uids of its channels still up
        self._records = {}  # linkedid (of party A) -> [_Record]
        self._bridges = {}  # bridge id -> uids in it
        self._sequence = 0
        self.rows_written = 0

    def feed(self, event):
        try:
            ts = float(event.get("Timestamp") or 0.0)
        except (TypeError, ValueError):
            return
        name = event.get("Event")
        uid = event.get("Uniqueid")
        if name == "Newchannel" and uid and uid not in self._parties:
            party = self._parties[uid] = _Party(event, ts)
            self._live.setdefault(party.linkedid, set()).add(uid)
        party = self._parties.get(uid) if uid else None
        if party is not None and event.get("Channel") == party.name:
            party.update(event, ts)
        handler = getattr(self, f"_on_{name}", None)
        if handler is not None:
            handler(event, party, ts)

    # -- events --
    def _on_QueueCallerJoin(self, event, party, ts):  # noqa: N802 - Asterisk's event names
        if party is not None:
            party.lastapp, party.lastdata = "Queue", f"{event.get('Queue', '')},t"

    def _on_Newexten(self, event, party, ts):  # noqa: N802
        if party is not None and event.get("Application"):
            party.lastapp, party.lastdata = event["Application"], event.get("AppData", "")

    def _on_DialBegin(self, event, party, ts):  # noqa: N802
        dest = self._parties.get(event.get("DestUniqueid"))
        if party is None or dest is None:
            return  # an originate's first leg: no party A yet
        if party.lastapp != "Queue":
            party.lastapp, party.lastdata = "Dial", f"{event.get('DialString', '')},,tT"
        forked = any(record.end is not None for record in self._of(party))
        self._add(_Record(party, dest, ts if forked else party.created))

    def _on_DialEnd(self, event, party, ts):  # noqa: N802
        dest = self._parties.get(event.get("DestUniqueid"))
        record = self._open(party, dest)
        if record is None:
            return
        status = (event.get("DialStatus") or "").upper()
        if status == "ANSWER":
            record.answer = ts
            record.disposition = "ANSWERED"
        elif record.answer is None:
            disposition = _DISPOSITION.get(status, "FAILED")
            if status == "CANCEL" and self.cancel_disposition:
                disposition = "CANCEL"
            self._close(record, ts, disposition)

    def _on_BridgeEnter(self, event, party, ts):  # noqa: N802
        if party is None:
            return
        members = self._bridges.setdefault(event.get("BridgeUniqueid"), set())
        for uid in members:
            other = self._parties.get(uid)
            if other is None or self._open(party, other) or self._open(other, party):
                continue
            # bridged with someone it did not dial (an attended transfer): a record of its own
            a, b = (other, party) if other.created <= party.created else (party, other)
            self._add(_Record(a, b, ts, answer=ts))
        members.add(party.uid)

    def _on_BridgeLeave(self, event, party, ts):  # noqa: N802
        if party is None:
            return
        members = self._bridges.get(event.get("BridgeUniqueid"), set())
        members.discard(party.uid)
        for uid in members:
            other = self._parties.get(uid)
            for record in (self._open(party, other), self._open(other, party)):
                if record is not None and record.answer is not None:
                    self._close(record, ts, "ANSWERED")

    def _on_Hangup(self, event, party, ts):  # noqa: N802
        if party is None:
            return
        party.cause = str(event.get("Cause") or "16")
        for records in self._records.values():
            for record in records:
                if record.end is None and party in (record.a, record.b):
                    self._close(record, ts, "ANSWERED" if record.answer is not None
                                else _CAUSE_DISPOSITION.get(party.cause, "NO ANSWER"))
        live = self._live.get(party.linkedid, set())
        live.discard(party.uid)
        if not party.rows and party.uid == party.linkedid:
            # a caller nobody was dialled for (a queue given up before any agent rang, an IVR)
            record = _Record(party, None, party.created, answer=party.up)
            self._add(record)
            self._close(record, ts, "ANSWERED" if party.up is not None
                        else _CAUSE_DISPOSITION.get(party.cause, "NO ANSWER"))
        if not live:
            self._live.pop(party.linkedid, None)
            self._flush(party.linkedid)

    # -- records --
    def _of(self, party):
        return [record for record in self._records.get(party.linkedid, ()) if record.a is party]

    def _open(self, a, b):
        if a is None or b is None:
            return None
        return next((record for record in self._records.get(a.linkedid, ())
                     if record.a is a and record.b is b and record.end is None), None)

    def _add(self, record):
        record.a.rows += 1
        if record.b is not None:
            record.b.rows += 1
        self._records.setdefault(record.a.linkedid, []).append(record)

    @staticmethod
    def _close(record, ts, disposition):
        record.end = ts
        record.disposition = disposition
        record.lastapp, record.lastdata = record.a.lastapp, record.a.lastdata
        record.dst, record.dcontext = record.a.exten, record.a.context

    def _flush(self, linkedid):
        records = self._records.pop(linkedid, [])
        rows = []
        for record in records:
            if record.end is None:  # a party of another call still up: ends with it
                self._close(record, record.start, record.disposition or "NO ANSWER")
            a = record.a
            self._sequence += 1
            clid = f'"{a.cid_name}" <{a.cid_num}>' if a.cid_name else a.cid_num
            rows.append({
                "calldate": datetime.fromtimestamp(int(record.start), UTC),
                "clid": clid, "src": a.cid_num, "dst": record.dst, "dcontext": record.dcontext,
                "channel": a.name, "dstchannel": record.b.name if record.b is not None else "",
                "lastapp": record.lastapp, "lastdata": record.lastdata,
                "duration": int(record.end - record.start),
                "billsec": int(record.end - record.answer) if record.answer is not None else 0,
                "disposition": record.disposition, "amaflags": 3, "accountcode": "", "uniqueid": a.uid,
                "userfield": "", "peeraccount": "", "linkedid": a.linkedid, "sequence": self._sequence,
            })
        for uid in [uid for uid, party in self._parties.items() if party.linkedid == linkedid]:
            del self._parties[uid]
        for members in self._bridges.values():
            members.difference_update(uid for uid in list(members) if uid not in self._parties)
        if rows:
            self.rows_written += len(rows)
            self._write(rows)


class CdrBackend:
    """Writes the recorder's rows into ``source`` (a :class:`..cdr.CdrSource`)
    from a thread of its own; a database that refuses loses the rows, with
    a warning, as Asterisk's backends do."""

    def __init__(self, source):
        self.source = source
        self.failures = 0
        self._queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="simulator-cdr", daemon=True)
        self._thread.start()

    def __call__(self, rows):
        self._queue.put(rows)

    def join(self):
        self._queue.join()

    def _run(self):
        while True:
            rows = self._queue.get()
            try:
                cdr_service.write_rows(self.source, rows)
            except Exception as error:  # noqa: BLE001 - a CDR database down: Asterisk logs and goes on
                self.failures += 1
                _logger.warning("simulator: writing %d CDR rows failed: %s", len(rows), error)
            finally:
                self._queue.task_done()
