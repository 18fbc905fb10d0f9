"""The replay command, run as a subprocess from the repository root."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ami"
KEYS = ["call_id", "direction", "disposition", "caller", "caller_name", "callee", "answered_by",
        "rang", "transfers", "start", "answer", "end", "ring_seconds", "talk_seconds",
        "queue", "queue_outcome", "wait_seconds", "queues"]


def replay(path, *options):
    return subprocess.run(
        [sys.executable, "-m", "k2_contact_center.services.replay", str(path), *options],
        cwd=REPO, capture_output=True, timeout=60, check=False,
    )


def test_replay_prints_one_json_line_per_call():
    result = replay(FIXTURES / "pjsip_inbound_trunk_answered.ami",
                    "--extension-pattern", "2XX", "--extension-pattern", "6XX",
                    "--trunk", "k2-trunk", "--country", "CZ")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode("utf-8").splitlines()
    assert len(lines) == 1
    assert "Dvořák" in lines[0]  # ensure_ascii=False
    record = json.loads(lines[0])
    assert list(record) == KEYS
    assert record["direction"] == "inbound"
    assert record["caller"] == "+420601123456"
    assert record["callee"] == "+420221122201"
    assert record["answered_by"] == "201"
    assert record["ring_seconds"] == 8.25 and record["talk_seconds"] == 60.0


def test_replay_reports_open_calls_on_stderr(tmp_path):
    data = (FIXTURES / "outbound_busy.ami").read_bytes()
    cut = data.index(b"Event: DialEnd")
    trace = tmp_path / "cut.ami"
    trace.write_bytes(data[:cut])
    result = replay(trace, "--extension-pattern", "2XX", "--trunk", "k2-trunk", "--country", "CZ")
    assert result.returncode == 0
    assert result.stdout == b""
    assert b"1 call(s) still open" in result.stderr


def test_replay_missing_file():
    result = replay(FIXTURES / "does-not-exist.ami")
    assert result.returncode == 2
    assert b"does-not-exist" in result.stderr


STREAMS = Path(__file__).resolve().parent / "ari_streams"
STREAM_EXPECTED = json.loads((STREAMS / "expected.json").read_text(encoding="utf-8"))


def test_replay_reads_ari_streams_by_their_content_and_prints_the_same_records():
    plan = STREAM_EXPECTED["plan"]
    options = [*(arg for pattern in plan["extension_pattern"] for arg in ("--extension-pattern", pattern)),
               *(arg for trunk in plan["trunks"] for arg in ("--trunk", trunk)), "--country", plan["country"]]
    for name, stream in STREAM_EXPECTED["streams"].items():
        result = replay(STREAMS / name, *options)
        assert result.returncode == 0, result.stderr
        records = [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]
        assert [list(record) for record in records] == [KEYS] * len(stream["calls"]), name
        for record, wanted in zip(records, stream["calls"], strict=True):
            assert {key: record[key] for key in ("call_id", "disposition", "answered_by", "queue")} == {
                key: wanted.get(key, record[key]) for key in ("call_id", "disposition", "answered_by", "queue")}


def test_replay_ari_option_and_garbage_lines(tmp_path):
    stream = tmp_path / "odd.txt"
    lines = (STREAMS / "stasis_queue_answered.jsonl").read_text(encoding="utf-8").splitlines()
    stream.write_text("\n".join([lines[0], "not json at all", *lines[1:]]) + "\n", encoding="utf-8")
    result = replay(stream, "--ari", "--extension-pattern", "2XX", "--trunk", "k2-trunk", "--country", "CZ")
    assert result.returncode == 0, result.stderr
    [record] = [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]
    assert (record["answered_by"], record["queue"], record["queue_outcome"]) == ("201", "support", "answered")
    assert b"ARI events skipped" in result.stderr and b"invalid_json" in result.stderr
