"""Calls from Asterisk's call detail records (CDR), for the windows the bridge
was blind (the PBX link down, half-open, or no bridge running).

Pure Python: no ``odoo`` import. Asterisk writes one CDR row per party A and
party B it connected or tried to (one per dialled phone of a ring group or
queue, one more after a transfer), all with the ``linkedid`` of the call:
the table of ``cdr_pgsql`` (Asterisk's documented PostgreSQL schema) or of
``cdr_mysql``/``cdr_adaptive_odbc`` (FreePBX's ``asteriskcdrdb.cdr``).

API
---
``CdrSource(kind, host, port, database, user, password, table="cdr", tz="UTC")``
    Where the rows are; ``kind`` is ``"pgsql"`` or ``"mysql"`` (MySQL and
    MariaDB, through PyMySQL). ``tz`` is the zone of naive ``calldate``
    values (a DATETIME column holds the PBX's local time).

``read_rows(source, since, until)``
    Every row of each call that has a row starting in ``[since, until)``
    (aware datetimes), as dicts with aware ``calldate``.

``records_from_rows(rows, plan, endpoints=None, tz="UTC")``
    The call records (:data:`..tracking.calls.RECORD_KEYS`, plus
    ``"recovered": True``) of those rows. Each call's rows are turned into
    the AMI events Asterisk would have sent (``Newchannel``, ``DialBegin``,
    ``DialEnd``, queue events, ``Hangup``, with ``Timestamp``) and fed to a
    fresh :class:`~.tracking.calls.CallTracker`, so direction, parties and
    disposition are derived by the same logic as for live calls. Rows that
    make no sense (no ids, no time) are skipped and counted in ``skipped``.

``create_table(source)``, ``write_rows(source, rows)``
    The table as Asterisk's guides create it, and rows written as Asterisk
    does (the simulator's CDR backend, tests).

Transfers are read from the rows: party A dialling someone new after it
talked to another party is a blind transfer by that party, party A bridged
with a party it did not dial (answered as its row began) an attended one.
What CDRs cannot tell: a caller who gave up in a queue from one whose wait
timed out (both ``exit``), and, unless ``cdr.conf`` has ``canceldispositionenabled = yes``,
a caller who hung up while ringing from a phone that was not answered (both
``NO ANSWER``). Times are as exact as the table keeps them (whole seconds
for ``INT`` duration columns).
"""

import logging
import re
from datetime import UTC, datetime, timedelta
from typing import NamedTuple
from urllib.parse import parse_qsl, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .tracking.calls import CallTracker

_logger = logging.getLogger(__name__)

KINDS = ("pgsql", "mysql")
COLUMNS = ("calldate", "clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp", "lastdata",
           "duration", "billsec", "disposition", "amaflags", "accountcode", "uniqueid", "userfield",
           "peeraccount", "linkedid", "sequence")
# What FreePBX adds to the table (asteriskcdrdb.cdr).
FREEPBX_COLUMNS = ("did", "recordingfile", "cnum", "cnam", "outbound_cnum", "outbound_cnam", "dst_cnam")
DISPOSITIONS = ("ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION", "CANCEL")
# CDR disposition -> the DialStatus Asterisk would have sent in DialEnd
_DIAL_STATUS = {"ANSWERED": "ANSWER", "NO ANSWER": "NOANSWER", "BUSY": "BUSY", "FAILED": "CHANUNAVAIL",
                "CONGESTION": "CONGESTION", "CANCEL": "CANCEL"}
# ... and the hang-up cause of a party A that dialled nobody
_CAUSE = {"ANSWERED": "16", "NO ANSWER": "19", "BUSY": "17", "FAILED": "1", "CONGESTION": "34", "CANCEL": "16"}
_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")
_CLID = re.compile(r'^\s*"?(?P<name>[^"<]*?)"?\s*<(?P<num>[^>]*)>\s*$')


class CdrError(Exception):
    """The CDR source cannot be read (down, refused, no such table...)."""


class CdrSource(NamedTuple):
    kind: str
    host: str
    port: int
    database: str
    user: str
    password: str
    table: str = "cdr"
    tz: str = "UTC"
    timeout: int = 10


# ---------------------------------------------------------------- reading

def connect(source):
    """A DB-API connection to ``source``; CdrError when it cannot be made."""
    if source.kind not in KINDS:
        raise CdrError(f"unknown CDR source kind {source.kind!r}")
    if not _TABLE_NAME.match(source.table or ""):
        raise CdrError(f"{source.table!r} is not a table name")
    try:
        if source.kind == "pgsql":
            import psycopg2  # noqa: PLC0415 - Odoo's own driver, only needed here

            connection = psycopg2.connect(host=source.host or None, port=source.port or 5432,
                                          dbname=source.database, user=source.user, password=source.password,
                                          connect_timeout=source.timeout, application_name="k2-contact-center")
            connection.set_session(readonly=True, autocommit=True)
            with connection.cursor() as cr:
                # naive datetimes (parameters, timestamp columns) read in the PBX's zone
                cr.execute("SELECT set_config('TimeZone', %s, false)", (source.tz or "UTC",))
            return connection
        try:
            import pymysql  # noqa: PLC0415 - optional: only PBXs with a MySQL CDR source need it
        except ImportError as error:
            raise CdrError("the Python library PyMySQL is not installed (pip install PyMySQL)") from error
        return pymysql.connect(host=source.host or "localhost", port=source.port or 3306, database=source.database,
                               user=source.user, password=source.password, connect_timeout=source.timeout,
                               read_timeout=source.timeout * 3, charset="utf8mb4", autocommit=True)
    except CdrError:
        raise
    except Exception as error:  # noqa: BLE001 - every driver error is the source's
        raise CdrError(_reason(error)) from error


def _reason(error):
    text = " ".join(str(error).split())
    return text or type(error).__name__


def _quoted(source):
    mark = '"' if source.kind == "pgsql" else "`"
    return ".".join(f"{mark}{part}{mark}" for part in source.table.split("."))


def _sql(source, template):
    """``template`` with ``{table}`` the source's table, quoted: the one name
    a query cannot take as a parameter, checked against :data:`_TABLE_NAME`
    when connecting."""
    if not _TABLE_NAME.match(source.table or ""):
        raise CdrError(f"{source.table!r} is not a table name")
    return template.format(table=_quoted(source))


def _zone(name):
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _local_naive(moment, zone):
    """``moment`` (aware) as the naive local time the PBX's table compares."""
    return moment.astimezone(zone).replace(tzinfo=None)


def check(source):
    """Connect and read the table's columns; return the number of rows
    (Test CDR connection). CdrError saying what is wrong otherwise."""
    connection = connect(source)
    try:
        with connection.cursor() as cr:
            columns = _columns(cr, source)
            missing = [name for name in ("calldate", "channel", "dstchannel", "duration", "billsec",
                                         "disposition", "uniqueid") if name not in columns]
            if missing:
                raise CdrError(f"the table {source.table} has no column {', '.join(missing)}: is it a CDR table?")
            cr.execute(_sql(source, "SELECT count(*) FROM {table}"))
            return cr.fetchone()[0]
    except CdrError:
        raise
    except Exception as error:  # noqa: BLE001
        raise CdrError(_reason(error)) from error
    finally:
        connection.close()


def _columns(cr, source):
    cr.execute(_sql(source, "SELECT * FROM {table} WHERE 1 = 0"))
    return [column[0].lower() for column in cr.description]


def read_rows(source, since, until):
    """The rows of every call with a row that starts in ``[since, until)``,
    with each call's other rows (a transfer's later ones) too."""

    def query(cr, key, zone):
        # calldate is cut to the second: a call that began in the last second is in the window
        cr.execute(_sql(source, "SELECT * FROM {table} WHERE calldate >= %s AND calldate < %s"),
                   (_local_naive(since, zone), _local_naive(until + timedelta(seconds=1), zone)))
        rows = _dicts(cr)
        # rows of those calls that started earlier (the first leg of a transfer...)
        return rows + _rows_of(cr, source, key, {row.get(key) for row in rows}, " AND calldate < %s",
                               (_local_naive(since, zone),))

    return _read(source, query)


def read_calls(source, call_ids):
    """Every row of the calls ``call_ids`` (their ``linkedid``)."""
    return _read(source, lambda cr, key, zone: _rows_of(cr, source, key, call_ids))


def _read(source, query):
    """The rows ``query(cursor, call key column, zone)`` reads, ``calldate`` aware."""
    zone = _zone(source.tz)
    connection = connect(source)
    try:
        with connection.cursor() as cr:
            key = "linkedid" if "linkedid" in _columns(cr, source) else "uniqueid"
            rows = query(cr, key, zone)
    except Exception as error:  # noqa: BLE001
        raise CdrError(_reason(error)) from error
    finally:
        connection.close()
    for row in rows:
        row["calldate"] = _aware(row.get("calldate"), zone)
    return rows


def _rows_of(cr, source, key, ids, condition="", params=()):
    ids = sorted(call_id for call_id in ids if call_id)
    rows = []
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ", ".join(["%s"] * len(chunk))
        cr.execute(_sql(source, "SELECT * FROM {table} WHERE " + key + " IN (" + marks + ")" + condition),
                   (*chunk, *params))
        rows.extend(_dicts(cr))
    return rows


def _dicts(cr):
    names = [column[0].lower() for column in cr.description]
    return [dict(zip(names, values, strict=True)) for values in cr.fetchall()]


def _aware(value, zone):
    """A ``calldate`` (datetime, or text) as an aware datetime; None if none."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=zone) if value.tzinfo is None else value


# ---------------------------------------------------------------- rows -> calls

def _seconds(value):
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return 0.0
    return seconds if 0 <= seconds < 86400 * 7 else 0.0


def _text(value):
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).strip()


def _caller_name(row):
    match = _CLID.match(_text(row.get("clid")))
    name = match.group("name").strip() if match else ""
    return name or _text(row.get("cnam"))


class _Row(NamedTuple):
    start: float
    answer: float | None
    end: float
    channel: str
    uid: str
    dstchannel: str
    disposition: str
    lastapp: str
    lastdata: str
    src: str
    name: str
    dst: str
    dcontext: str
    sequence: int


def _row(raw, zone):
    """A CDR row as times and texts, or None when it is not a usable CDR."""
    if not isinstance(raw, dict):
        return None
    calldate = _aware(raw.get("calldate"), zone)
    channel = _text(raw.get("channel"))
    uid = _text(raw.get("uniqueid"))
    if calldate is None or not channel or not uid:
        return None
    start = calldate.timestamp()
    duration = _seconds(raw.get("duration"))
    billsec = min(_seconds(raw.get("billsec")), duration)
    disposition = _text(raw.get("disposition")).upper()
    if disposition not in DISPOSITIONS:
        disposition = "ANSWERED" if billsec > 0 else "FAILED"
    end = _aware(raw.get("end"), zone)  # cdr_adaptive_odbc tables may keep the exact times
    end = end.timestamp() if end is not None and end.timestamp() >= start else start + duration
    answer = None
    if disposition == "ANSWERED":
        exact = _aware(raw.get("answer"), zone)
        answer = exact.timestamp() if exact is not None and start <= exact.timestamp() <= end else end - billsec
    try:
        sequence = int(raw.get("sequence") or 0)
    except (TypeError, ValueError):
        sequence = 0
    return _Row(start, answer, end, channel, uid, _text(raw.get("dstchannel")), disposition,
                _text(raw.get("lastapp")), _text(raw.get("lastdata")), _text(raw.get("src")), _caller_name(raw),
                _text(raw.get("dst")), _text(raw.get("dcontext")), sequence)


def group_rows(rows, tz="UTC"):
    """``{call_id: [row, ...]}`` (rows in the order they began) and the number
    of rows skipped as unusable."""
    zone = _zone(tz)
    calls = {}
    skipped = 0
    for raw in rows:
        row = _row(raw, zone)
        if row is None:
            skipped += 1
            continue
        call_id = _text(raw.get("linkedid")) or row.uid
        calls.setdefault(call_id, []).append(row)
    for call_rows in calls.values():
        call_rows.sort(key=lambda row: (row.start, row.sequence))
    return calls, skipped


def events_of_call(call_id, rows):
    """The AMI events (dicts, ``Timestamp`` set) Asterisk sent for the call
    whose CDR rows are ``rows``, as far as the rows tell."""
    timeline = []  # (ts, order, event)
    created = {}  # channel uid -> creation time
    ends = {}  # channel uid -> hang-up time
    causes = {}

    def add(ts, event):
        event["Timestamp"] = f"{ts:.6f}"
        timeline.append((ts, len(timeline), event))

    def channel(uid, name, ts, row=None):
        if uid in created:
            return
        created[uid] = ts
        event = {"Event": "Newchannel", "Channel": name, "Uniqueid": uid, "Linkedid": call_id}
        if row is not None:
            event.update(CallerIDNum=row.src, CallerIDName=row.name, Exten=row.dst, Context=row.dcontext)
        add(ts, event)

    def ended(uid, ts):
        ends[uid] = max(ends.get(uid, ts), ts)

    queued = {}  # party A uid -> queue name
    answered = {}  # party A uid -> its answered rows so far
    for row in rows:
        channel(row.uid, row.channel, row.start, row)
        ended(row.uid, row.end)
        if row.lastapp.lower() == "queue" and row.uid not in queued:
            queued[row.uid] = row.lastdata.split(",", 1)[0].strip() or "queue"
            add(row.start, {"Event": "QueueCallerJoin", "Channel": row.channel, "Uniqueid": row.uid,
                            "Linkedid": call_id, "Queue": queued[row.uid], "Position": "1"})
        if not row.dstchannel:
            causes[row.uid] = _CAUSE[row.disposition]
            continue
        dest = f"{call_id}/{row.dstchannel}"  # CDRs keep no party B id: its name is unique enough
        channel(dest, row.dstchannel, row.start)
        ended(dest, row.end)
        causes.setdefault(dest, "16")
        before = next((other for other in answered.get(row.uid, ()) if other.dstchannel != row.dstchannel
                       and other.answer <= row.start), None)
        if row.answer is not None:
            answered.setdefault(row.uid, []).append(row)
        if before is not None:
            # party A talked to someone else before: transferred, by that party
            by = f"{call_id}/{before.dstchannel}"
            if row.answer is not None and row.answer - row.start < 1.0:
                # bridged without being dialled: the transferer had called the target first
                add(row.start, {"Event": "AttendedTransfer", "Result": "Success", "OrigTransfererUniqueid": by,
                                "TransfereeUniqueid": row.uid, "TransferTargetUniqueid": dest})
                continue
            add(row.start, {"Event": "BlindTransfer", "Result": "Success", "TransfererUniqueid": by,
                            "TransfereeUniqueid": row.uid, "Extension": row.dst})
        dial = {"Event": "DialBegin", "Channel": row.channel, "Uniqueid": row.uid, "Linkedid": call_id,
                "DestChannel": row.dstchannel, "DestUniqueid": dest, "DestLinkedid": call_id}
        if row.lastapp.lower() == "dial":
            dial["DialString"] = row.lastdata.split(",", 1)[0]
        add(row.start, dial)
        status = _DIAL_STATUS[row.disposition]
        when = row.answer if row.answer is not None else row.end
        add(when, {"Event": "DialEnd", "Channel": row.channel, "Uniqueid": row.uid, "Linkedid": call_id,
                   "DestChannel": row.dstchannel, "DestUniqueid": dest, "DialStatus": status})
        if row.uid in queued and row.answer is not None:
            add(row.answer, {"Event": "AgentConnect", "Channel": row.channel, "Uniqueid": row.uid,
                             "DestUniqueid": dest, "Queue": queued[row.uid], "Interface": row.dstchannel})
    for uid, queue in queued.items():
        answered = any(row.uid == uid and row.answer is not None and row.dstchannel for row in rows)
        if not answered:
            if any(row.uid == uid and row.disposition == "CANCEL" for row in rows):
                # canceldispositionenabled: the caller hung up while waiting
                add(ends[uid], {"Event": "QueueCallerAbandon", "Uniqueid": uid, "Queue": queue, "Position": "1"})
            add(ends[uid], {"Event": "QueueCallerLeave", "Uniqueid": uid, "Queue": queue, "Position": "1"})
    for uid, ts in ends.items():
        add(ts, {"Event": "Hangup", "Uniqueid": uid, "Linkedid": call_id, "Cause": causes.get(uid, "16")})
    # at one moment: answers and dial ends before hang-ups, as Asterisk sends them
    rank = {"Newchannel": 0, "QueueCallerJoin": 1, "BlindTransfer": 2, "AttendedTransfer": 2, "DialBegin": 2,
            "DialEnd": 3, "AgentConnect": 4, "QueueCallerAbandon": 5, "QueueCallerLeave": 5, "Hangup": 6}
    timeline.sort(key=lambda item: (item[0], rank[item[2]["Event"]], item[1]))
    return [event for _ts, _order, event in timeline]


class Recovered(NamedTuple):
    records: list
    skipped: int


def records_from_rows(rows, plan, endpoints=None, tz="UTC"):
    """The call records the CDR ``rows`` tell (see the module docstring)."""
    calls, skipped = group_rows(rows, tz)
    records = []
    for call_id, call_rows in calls.items():
        tracker = CallTracker(plan, endpoints=endpoints)
        found = []
        try:
            for event in events_of_call(call_id, call_rows):
                found.extend(item.data for item in tracker.feed(event) if item.kind == "record")
            found.extend(tracker.close_all())  # rows that never hung up a channel (cannot happen, but)
        except Exception:  # noqa: BLE001 - one odd call must not cost the others
            _logger.warning("CDR rows of call %s could not be read as a call", call_id, exc_info=True)
            skipped += len(call_rows)
            continue
        for record in found:
            record["recovered"] = True
            records.append(record)
    return Recovered(records, skipped)


# ---------------------------------------------------------------- writing (simulator, tests)

def create_table(source):
    """Create ``source``'s table when missing, as Asterisk's guides do: the
    ``cdr_pgsql`` schema (``calldate timestamp with time zone``) or FreePBX's
    ``asteriskcdrdb.cdr`` (naive ``DATETIME`` in the PBX's local time)."""
    if source.kind == "pgsql":
        ddl = ("CREATE TABLE IF NOT EXISTS {table} (calldate timestamp with time zone NOT NULL, "
               "clid varchar(80) NOT NULL DEFAULT '', src varchar(80) NOT NULL DEFAULT '', "
               "dst varchar(80) NOT NULL DEFAULT '', dcontext varchar(80) NOT NULL DEFAULT '', "
               "channel varchar(80) NOT NULL DEFAULT '', dstchannel varchar(80) NOT NULL DEFAULT '', "
               "lastapp varchar(80) NOT NULL DEFAULT '', lastdata varchar(80) NOT NULL DEFAULT '', "
               "duration int NOT NULL DEFAULT 0, billsec int NOT NULL DEFAULT 0, "
               "disposition varchar(45) NOT NULL DEFAULT '', amaflags int NOT NULL DEFAULT 0, "
               "accountcode varchar(20) NOT NULL DEFAULT '', uniqueid varchar(150) NOT NULL DEFAULT '', "
               "userfield varchar(255) NOT NULL DEFAULT '', peeraccount varchar(20) NOT NULL DEFAULT '', "
               "linkedid varchar(150) NOT NULL DEFAULT '', sequence int NOT NULL DEFAULT 0)")
    else:
        ddl = ("CREATE TABLE IF NOT EXISTS {table} ("
               "calldate DATETIME NOT NULL DEFAULT '0000-00-00 00:00:00', clid VARCHAR(80) NOT NULL DEFAULT '', "
               "src VARCHAR(80) NOT NULL DEFAULT '', dst VARCHAR(80) NOT NULL DEFAULT '', "
               "dcontext VARCHAR(80) NOT NULL DEFAULT '', channel VARCHAR(80) NOT NULL DEFAULT '', "
               "dstchannel VARCHAR(80) NOT NULL DEFAULT '', lastapp VARCHAR(80) NOT NULL DEFAULT '', "
               "lastdata VARCHAR(80) NOT NULL DEFAULT '', duration INT(11) NOT NULL DEFAULT 0, "
               "billsec INT(11) NOT NULL DEFAULT 0, disposition VARCHAR(45) NOT NULL DEFAULT '', "
               "amaflags INT(11) NOT NULL DEFAULT 0, accountcode VARCHAR(20) NOT NULL DEFAULT '', "
               "uniqueid VARCHAR(32) NOT NULL DEFAULT '', userfield VARCHAR(255) NOT NULL DEFAULT '', "
               "did VARCHAR(50) NOT NULL DEFAULT '', recordingfile VARCHAR(255) NOT NULL DEFAULT '', "
               "cnum VARCHAR(80) NOT NULL DEFAULT '', cnam VARCHAR(80) NOT NULL DEFAULT '', "
               "outbound_cnum VARCHAR(80) NOT NULL DEFAULT '', outbound_cnam VARCHAR(80) NOT NULL DEFAULT '', "
               "dst_cnam VARCHAR(80) NOT NULL DEFAULT '', linkedid VARCHAR(32) NOT NULL DEFAULT '', "
               "peeraccount VARCHAR(80) NOT NULL DEFAULT '', sequence INT(11) NOT NULL DEFAULT 0, "
               "KEY calldate (calldate), KEY linkedid (linkedid)) DEFAULT CHARSET=utf8mb4")
    _execute(source, [(_sql(source, ddl), ())])


def write_rows(source, rows):
    """Insert CDR ``rows`` (dicts of :data:`COLUMNS`, ``calldate`` aware) as
    Asterisk's backend would: a naive local time in a MySQL DATETIME."""
    if not rows:
        return
    zone = _zone(source.tz)
    statements = []
    for row in rows:
        row = dict(row)
        if source.kind == "mysql":
            row["calldate"] = _local_naive(row["calldate"], zone)
            row.setdefault("cnum", row.get("src", ""))
            row.setdefault("cnam", _caller_name(row))
        names = list(row)
        unknown = set(names) - set(COLUMNS) - set(FREEPBX_COLUMNS)
        if unknown:
            raise CdrError(f"no CDR column {', '.join(sorted(unknown))}")
        template = "INSERT INTO {table} (" + ", ".join(names) + ") VALUES (" + ", ".join(["%s"] * len(names)) + ")"
        statements.append((_sql(source, template), tuple(row[name] for name in names)))
    _execute(source, statements)


def _execute(source, statements):
    if source.kind == "pgsql":
        import psycopg2  # noqa: PLC0415

        try:
            connection = psycopg2.connect(host=source.host or None, port=source.port or 5432,
                                          dbname=source.database, user=source.user, password=source.password,
                                          connect_timeout=source.timeout)
        except Exception as error:  # noqa: BLE001
            raise CdrError(_reason(error)) from error
        with connection, connection.cursor() as cr:
            for sql, params in statements:
                cr.execute(sql, params)
        connection.close()
        return
    connection = connect(source)
    try:
        with connection.cursor() as cr:
            for sql, params in statements:
                cr.execute(sql, params)
        connection.commit()
    finally:
        connection.close()


def parse_dsn(dsn):
    """A :class:`CdrSource` of ``postgresql://user:password@host:port/database?table=cdr&tz=UTC``
    (or ``mysql://...``): the simulator's ``--cdr-dsn``."""
    parts = urlsplit(dsn)
    kind = {"postgresql": "pgsql", "postgres": "pgsql", "pgsql": "pgsql", "mysql": "mysql",
            "mariadb": "mysql"}.get(parts.scheme)
    if kind is None:
        raise CdrError(f"{dsn!r}: the address should start with postgresql:// or mysql://")
    options = dict(parse_qsl(parts.query))
    return CdrSource(kind, parts.hostname or "", parts.port or (5432 if kind == "pgsql" else 3306),
                     unquote(parts.path.lstrip("/")), unquote(parts.username or ""), unquote(parts.password or ""),
                     options.get("table", "cdr"), options.get("tz", "UTC"))


def window(lost_at, now, margin=30.0, longest=timedelta(days=1)):
    """The blind window ``(since, until)`` of an outage that began at
    ``lost_at``: a margin before it (a half-open link is found some seconds
    after it went silent), never longer than ``longest``."""
    since = lost_at - timedelta(seconds=margin)
    return max(since, now - longest), now
