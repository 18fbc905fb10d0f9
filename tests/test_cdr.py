"""Calls from Asterisk's CDR rows (services/cdr.py), the simulator's CDR
backend (services/ami/simulated_cdr.py), and both against real PostgreSQL
and MariaDB servers (the test command starts them; skipped, saying why,
when one cannot be reached)."""

import asyncio
import os
import random
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sim_common import PLAN, records_from

from k2_contact_center.services import cdr
from k2_contact_center.services.ami.simulated_cdr import CdrBackend, CdrRecorder
from k2_contact_center.services.ami.simulator import CALL_KINDS, AmiSimulator, CallFactory, _Ids

START = 1_700_000_000.25
PRAGUE = ZoneInfo("Europe/Prague")
# What CDRs cannot tell (see services/cdr.py): with Asterisk's default
# cdr.conf a caller hanging up while ringing is NO ANSWER, and a queue's
# unanswered callers all "exit".
CDR_BLIND = {
    "inbound_cancelled": {"disposition": "no_answer"},
    "queue_abandoned": {"disposition": "no_answer", "queue_outcome": "exit"},
    "queue_timeout": {"queue_outcome": "exit"},
}
COMPARED = ("direction", "disposition", "caller", "caller_name", "callee", "answered_by", "rang", "transfers",
            "queue", "queue_outcome")


def played(kind, seed=1, cancel_disposition=False):
    """(live records, CDR rows) of one scripted call of ``kind``."""
    script = CallFactory(ids=_Ids(int(START)), rng=random.Random(seed)).build(kind)
    rows = []
    recorder = CdrRecorder(rows.extend, cancel_disposition=cancel_disposition)
    events = script.stamped(START)
    for event in events:
        recorder.feed(event)
    return records_from(events), rows


def recovered(rows, tz="UTC"):
    result = cdr.records_from_rows(rows, PLAN, tz=tz)
    return {record["call_id"]: record for record in result.records}, result.skipped


@pytest.mark.parametrize("kind", CALL_KINDS)
def test_cdr_rows_give_the_call_the_tracker_saw_live(kind):
    live, rows = played(kind)
    assert rows, "Asterisk writes a CDR for every call"
    from_cdr, skipped = recovered(rows)
    assert skipped == 0
    assert set(from_cdr) == set(live)
    for call_id, want in live.items():
        got = from_cdr[call_id]
        assert got["recovered"] is True
        expected = {key: want[key] for key in COMPARED}
        if call_id == next(iter(live)):
            expected.update(CDR_BLIND.get(kind, {}))
        if kind == "attended_transfer" and call_id != next(iter(live)):
            # the consultation: its CDR ends when the transferer hangs up, the
            # tracker's when the target (who talks on with the caller) does
            got = dict(got, talk_seconds=want["talk_seconds"])
        assert {key: got[key] for key in COMPARED} == expected
        # calldate is cut to the second, duration and billsec are whole seconds
        assert abs(got["talk_seconds"] - want["talk_seconds"]) <= 1.0
        assert abs(datetime.fromisoformat(got["start"]).timestamp()
                   - datetime.fromisoformat(want["start"]).timestamp()) < 1.0


def test_cancel_disposition_tells_a_caller_who_gave_up():
    for kind, disposition, outcome in (("inbound_cancelled", "cancelled", None),
                                       ("queue_abandoned", "cancelled", "abandoned")):
        live, rows = played(kind, cancel_disposition=True)
        call_id = next(iter(live))
        got = recovered(rows)[0][call_id]
        assert (got["disposition"], got["queue_outcome"]) == (disposition, outcome)


def test_queue_ring_all_is_one_call_with_a_row_per_agent():
    live, rows = played("queue", seed=5)
    assert len(rows) == 2 and {row["lastapp"] for row in rows} == {"Queue"}
    assert sorted(row["disposition"] for row in rows) == ["ANSWERED", "NO ANSWER"]
    (record,) = recovered(rows)[0].values()
    assert record["queue"] == "support" and record["disposition"] == "answered"
    assert sorted(record["rang"]) == sorted(next(iter(live.values()))["rang"])


def _row(**values):
    row = {"calldate": datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC), "clid": '"Eva Svobodová" <+420777000111>',
           "src": "+420777000111", "dst": "+420221122201", "dcontext": "from-trunk",
           "channel": "PJSIP/k2-trunk-00000001", "dstchannel": "PJSIP/201-00000002", "lastapp": "Dial",
           "lastdata": "PJSIP/201,30,tT", "duration": 40, "billsec": 30, "disposition": "ANSWERED",
           "amaflags": 3, "accountcode": "", "uniqueid": "1772442000.1", "userfield": "", "peeraccount": "",
           "linkedid": "1772442000.1", "sequence": 1}
    row.update(values)
    return row


def test_answered_busy_and_unanswered_rows_by_hand():
    rows = [
        _row(),
        _row(uniqueid="1772442100.3", linkedid="1772442100.3", channel="PJSIP/201-00000003",
             dstchannel="PJSIP/k2-trunk-00000004", src="201", clid='"Jana" <201>', dst="601123456",
             dcontext="from-internal", lastdata="PJSIP/601123456@k2-trunk", disposition="BUSY", duration=3,
             billsec=0),
        _row(uniqueid="1772442200.5", linkedid="1772442200.5", channel="PJSIP/202-00000005",
             dstchannel="PJSIP/201-00000006", src="202", clid='"Petr" <202>', dst="201",
             dcontext="from-internal", disposition="NO ANSWER", duration=20, billsec=0),
    ]
    calls, skipped = recovered(rows)
    assert skipped == 0
    answered, busy, unanswered = (calls[r["linkedid"]] for r in rows)
    assert (answered["direction"], answered["disposition"], answered["caller"], answered["caller_name"],
            answered["answered_by"]) == ("inbound", "answered", "+420777000111", "Eva Svobodová", "201")
    assert (answered["start"], answered["answer"], answered["end"]) == (
        "2026-03-02T09:00:00+00:00", "2026-03-02T09:00:10+00:00", "2026-03-02T09:00:40+00:00")
    assert (answered["ring_seconds"], answered["talk_seconds"]) == (10.0, 30.0)
    assert (busy["direction"], busy["disposition"], busy["callee"]) == ("outbound", "busy", "+420601123456")
    assert (unanswered["direction"], unanswered["disposition"], unanswered["rang"]) == (
        "internal", "no_answer", ["201"])


def test_naive_times_are_the_pbx_local_time():
    """FreePBX keeps calldate as a DATETIME in the PBX's local time."""
    calls, _skipped = recovered([_row(calldate=datetime(2026, 7, 1, 11, 0, 0))], tz="Europe/Prague")
    assert next(iter(calls.values()))["start"] == "2026-07-01T09:00:00+00:00"  # CEST is UTC+2
    calls, _skipped = recovered([_row(calldate="2026-01-15 11:00:00")], tz="Europe/Prague")
    assert next(iter(calls.values()))["start"] == "2026-01-15T10:00:00+00:00"  # CET is UTC+1
    aware = datetime(2026, 7, 1, 11, 0, 0, tzinfo=PRAGUE)
    calls, _skipped = recovered([_row(calldate=aware)], tz="America/New_York")
    assert next(iter(calls.values()))["start"] == "2026-07-01T09:00:00+00:00"  # the value's own zone wins


def test_garbage_rows_are_skipped_and_the_rest_recovered():
    rows = [None, "not a row", {}, _row(calldate=None, linkedid="x.1", uniqueid="x.1"),
            _row(calldate="yesterday", linkedid="x.2", uniqueid="x.2"), _row(channel="", linkedid="x.3"),
            _row(linkedid="ok.1", uniqueid="ok.1", duration="forty", billsec=None, disposition="WEIRD"),
            _row(linkedid="ok.2", uniqueid="ok.2", duration=-5, billsec=999, disposition=None, sequence="x"),
            _row(linkedid="ok.3", uniqueid="ok.3", clid=b"\xff\xfe", src=None, dst=None)]
    calls, skipped = recovered(rows)
    assert skipped == 6
    assert sorted(calls) == ["ok.1", "ok.2", "ok.3"]
    assert all(call["end"] >= call["start"] for call in calls.values())
    assert calls["ok.1"]["disposition"] == "failed"  # a row saying nothing useful is no answered call


def test_a_row_without_linkedid_is_a_call_by_its_uniqueid():
    calls, _skipped = recovered([_row(linkedid="")])
    assert list(calls) == ["1772442000.1"]


def test_window_has_a_margin_and_a_limit():
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    assert cdr.window(now - timedelta(minutes=5), now) == (now - timedelta(minutes=5, seconds=30), now)
    assert cdr.window(now - timedelta(days=9), now) == (now - timedelta(days=1), now)


def test_parse_dsn():
    source = cdr.parse_dsn("mysql://reader:p%40ss@db.example.com/asteriskcdrdb?table=cdr&tz=Europe/Prague")
    assert source == cdr.CdrSource("mysql", "db.example.com", 3306, "asteriskcdrdb", "reader", "p@ss", "cdr",
                                   "Europe/Prague")
    assert cdr.parse_dsn("postgresql://u@h:6543/asterisk").port == 6543
    with pytest.raises(cdr.CdrError):
        cdr.parse_dsn("oracle://x/y")


def test_table_names_are_checked_before_any_query():
    source = cdr.CdrSource("pgsql", "127.0.0.1", 1, "x", "u", "p", table="cdr; DROP TABLE cdr")
    with pytest.raises(cdr.CdrError, match="is not a table name"):
        cdr.connect(source)


def test_a_source_that_is_down_is_a_cdr_error():
    closed_port = cdr.CdrSource("pgsql", "127.0.0.1", 1, "x", "u", "p", timeout=2)
    with pytest.raises(cdr.CdrError):
        cdr.read_rows(closed_port, datetime.now(UTC) - timedelta(hours=1), datetime.now(UTC))
    with pytest.raises(cdr.CdrError):
        cdr.check(closed_port._replace(kind="mysql"))


def test_the_simulator_writes_rows_as_its_calls_end_listened_to_or_not():
    rows = []

    async def run():
        sim = AmiSimulator(extensions=("201", "202", "203"), cdr=rows.extend)
        await sim.start()
        try:
            calls = [sim.play_call(kind) for kind in ("inbound_answered", "queue", "outbound_busy")]
            await asyncio.gather(*(call.done for call in calls))
            return [want for call in calls for want in call.expected]
        finally:
            await sim.stop()

    expected = asyncio.run(run())
    calls, _skipped = recovered(rows)
    assert sorted(calls) == sorted(want["call_id"] for want in expected)
    for want in expected:
        assert calls[want["call_id"]]["disposition"] == want["disposition"]


# ---------------------------------------------------------------- real servers

def _postgres_source():
    psycopg2 = pytest.importorskip("psycopg2")
    name = f"k2cc_cdr_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        admin = psycopg2.connect(dbname="postgres", connect_timeout=5)
    except psycopg2.Error as error:
        pytest.skip(f"PostgreSQL is not reachable (scripts/test starts it): {error}")
    admin.autocommit = True
    with admin.cursor() as cr:
        cr.execute(f'CREATE DATABASE "{name}"')
    user = admin.get_dsn_parameters().get("user") or ""
    return admin, name, cdr.CdrSource("pgsql", "", 0, name, user, "", "cdr", "Europe/Prague")


def _mariadb_source():
    pymysql = pytest.importorskip("pymysql", reason="PyMySQL is not installed (requirements.txt)")
    socket_path = os.environ.get("K2CC_MYSQL_SOCKET", "/run/mysqld/mysqld.sock")
    try:
        admin = pymysql.connect(unix_socket=socket_path, user="root", connect_timeout=5, autocommit=True)
    except pymysql.Error as error:
        pytest.skip(f"MariaDB is not reachable at {socket_path} as root (scripts/test starts it): {error}")
    name = f"k2cc_cdr_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    password = uuid.uuid4().hex
    with admin.cursor() as cr:
        cr.execute(f"CREATE DATABASE `{name}`")
        cr.execute(f"CREATE USER '{name}'@'localhost' IDENTIFIED BY '{password}'")
        cr.execute(f"CREATE USER '{name}'@'127.0.0.1' IDENTIFIED BY '{password}'")
        cr.execute(f"GRANT ALL ON `{name}`.* TO '{name}'@'localhost', '{name}'@'127.0.0.1'")
    return admin, name, cdr.CdrSource("mysql", "127.0.0.1", 3306, name, name, password, "cdr", "Europe/Prague")


@pytest.fixture(params=["postgresql", "mariadb"])
def server(request):
    """A CDR table on a real server, dropped afterwards."""
    if request.param == "postgresql":
        admin, name, source = _postgres_source()
        drop = [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)']
    else:
        admin, name, source = _mariadb_source()
        drop = [f"DROP DATABASE IF EXISTS `{name}`", f"DROP USER IF EXISTS '{name}'@'localhost'",
                f"DROP USER IF EXISTS '{name}'@'127.0.0.1'"]
    try:
        cdr.create_table(source)
        yield source
    finally:
        with admin.cursor() as cr:
            for statement in drop:
                cr.execute(statement)
        admin.close()


def test_rows_written_and_read_back_on_a_real_server(server):
    factory = CallFactory(ids=_Ids(int(START)), rng=random.Random(7))
    backend = CdrBackend(server)
    recorder = CdrRecorder(backend)
    base = datetime(2026, 7, 1, 10, 0, tzinfo=UTC).timestamp()
    live = {}
    for index, kind in enumerate(CALL_KINDS):
        events = factory.build(kind).stamped(base + index * 600)
        for event in events:
            recorder.feed(event)
        live.update(records_from(events))
    backend.join()
    assert backend.failures == 0
    assert cdr.check(server) == recorder.rows_written
    # a window around the 4th to 8th calls: those calls, each with every row
    since = datetime.fromtimestamp(base + 3 * 600 - 1, UTC)
    until = datetime.fromtimestamp(base + 8 * 600 - 1, UTC)
    rows = cdr.read_rows(server, since, until)
    assert all(row["calldate"].tzinfo is not None for row in rows)
    calls, skipped = recovered(rows, tz=server.tz)
    assert skipped == 0
    in_window = {call_id for call_id, record in live.items()
                 if since.timestamp() <= datetime.fromisoformat(record["start"]).timestamp() < until.timestamp()}
    assert set(calls) == in_window and len(in_window) == 5
    for call_id in in_window:
        got, want = calls[call_id], live[call_id]
        assert abs(datetime.fromisoformat(got["start"]).timestamp()
                   - datetime.fromisoformat(want["start"]).timestamp()) < 1.0, server.kind
        assert (got["direction"], got["caller"], got["answered_by"]) == (
            want["direction"], want["caller"], want["answered_by"])
    # a call taken up in progress is read by its id once it ended
    some = sorted(live)[:3]
    assert {row["linkedid"] for row in cdr.read_calls(server, some)} == set(some)


def test_a_refused_login_on_a_real_server_says_so(server):
    with pytest.raises(cdr.CdrError):
        cdr.check(server._replace(user="nobody_here", password="wrong", host=server.host or "127.0.0.1"))
    with pytest.raises(cdr.CdrError, match="cdr_missing"):
        cdr.check(server._replace(table="cdr_missing"))
