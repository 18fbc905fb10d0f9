"""scripts/demo stops the way a user expects from Ctrl-C: Odoo gets one signal
and shuts down cleanly (a second one makes it print "Forced shutdown" and
skip its shutdown), then the simulators stop.

The demo runs here with stand-ins for Odoo, the simulators and the tools it
calls (PostgreSQL, curl, ffmpeg): the stand-ins note the signals they get and
when, and Odoo's takes a while to shut down, as the real one does."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ODOO_SHUTDOWN_SECONDS = 2.0

# The Python the script runs ($PYTHON): Odoo or a simulator, by its arguments.
FAKE_PYTHON = f"""#!{sys.executable}
import os, signal, sys, time

args = sys.argv[1:]
if args[:1] == ["-c"] or args[:2] == ["-m", "pip"] or "--stop-after-init" in args:
    sys.exit(0)  # "is Odoo importable", pip, installing the database
if args[:1] == ["-"]:  # the addons path
    sys.stdin.read()
    print("/nonexistent")
    sys.exit(0)
name = "odoo" if args[:2] == ["-m", "odoo"] else "simulator"
signals = []


def note(text):
    with open(os.environ["FAKE_LOG"], "a") as log:
        log.write(f"{{time.monotonic():.3f}} {{os.getpid()}} {{name}} {{text}}\\n")


def handler(sig, _frame):
    signals.append(sig)
    note("signal " + signal.Signals(sig).name)
    if len(signals) > 1:  # what Odoo's ThreadedServer does
        note("forced-shutdown")
        os._exit(0)


signal.signal(signal.SIGINT, handler)
signal.signal(signal.SIGTERM, handler)
note("started")
while not signals:
    time.sleep(0.05)
if name == "odoo":
    time.sleep({ODOO_SHUTDOWN_SECONDS})  # stopping the bridge, the crons, the HTTP server
note("stopped")
"""

TOOLS = {
    "psql": "echo installed",
    "pg_isready": "exit 0",
    "curl": "exit 0",
    "ffmpeg": "exit 0",
    "ffprobe": "exit 0",
    "openssl": "exit 0",
}


def _busy(port):
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _events(log):
    events = []
    for line in log.read_text().splitlines() if log.exists() else []:
        moment, pid, name, text = line.split(" ", 3)
        events.append((float(moment), int(pid), name, text))
    return events


@pytest.fixture
def demo(tmp_path):
    busy = [port for port in (5038, 8088) if _busy(port)]
    if busy:
        pytest.skip(f"ports {busy} are in use on this machine (a demo running?): the demo script refuses them")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in {**TOOLS, "python": None}.items():
        path = bin_dir / name
        path.write_text(FAKE_PYTHON if body is None else f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
    log = tmp_path / "processes.log"
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", PYTHON=str(bin_dir / "python"),
               FAKE_LOG=str(log), K2CC_PORT=str(_free_port()), K2CC_DEMO_DB="k2cc_demo_fake")
    # In a session of its own, as a terminal runs a command: Ctrl-C signals its process group.
    script = subprocess.Popen([str(REPO / "scripts" / "demo")], cwd=REPO, env=env, start_new_session=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        yield script, log
    finally:
        if script.poll() is None:
            script.kill()
        for _moment, pid, _name, _text in _events(log):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        script.wait(5)
        script.stdout.close()


def test_ctrl_c_stops_odoo_once_then_the_simulators(demo):
    script, log = demo
    deadline = time.monotonic() + 30
    output = []
    while "demo is running" not in "".join(output):
        assert time.monotonic() < deadline, "".join(output)
        line = script.stdout.readline()
        assert line, f"the demo stopped before running: {''.join(output)}"
        output.append(line)
    while len([text for *_rest, text in _events(log) if text == "started"]) < 3:
        assert time.monotonic() < deadline, _events(log)
        time.sleep(0.05)
    assert sorted(name for _m, _pid, name, text in _events(log) if text == "started") == [
        "odoo", "simulator", "simulator"]

    os.killpg(script.pid, signal.SIGINT)  # Ctrl-C in the terminal
    assert script.wait(30) == 0
    events = _events(log)
    odoo = [(moment, text) for moment, _pid, name, text in events if name == "odoo"]
    texts = [text for _m, text in odoo]
    assert texts[0] == "started" and texts[-1] == "stopped", texts
    assert len([text for text in texts if text.startswith("signal")]) == 1, f"one signal, a clean shutdown: {texts}"
    odoo_stopped = odoo[-1][0]
    simulators = [(moment, text) for moment, _pid, name, text in events if name == "simulator"]
    signalled = [moment for moment, text in simulators if text.startswith("signal")]
    assert len(signalled) == 2 and len([text for _m, text in simulators if text == "stopped"]) == 2
    assert min(signalled) >= odoo_stopped, "the simulators stop after Odoo (its bridge is not left without PBXs)"
    for _moment, pid, _name, _text in events:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
