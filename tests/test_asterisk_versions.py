"""Asterisk 11 and older (AMI 1.x) are recognised and refused with a message
that names them, never followed into wrong calls: by the replay command (a
stream of their events) and by the connector (their greeting)."""

import asyncio
import subprocess
import sys
from pathlib import Path

from k2_contact_center.services.ami.connector import CONNECTED, ERROR, AmiConnector
from k2_contact_center.services.ami.simulator import AmiSimulator
from k2_contact_center.services.ami.versions import ami_version, unsupported_banner

ROOT = Path(__file__).resolve().parents[1]
ASTERISK_11 = Path(__file__).resolve().parent / "fixtures" / "ami_unsupported" / "asterisk11_click_to_call.ami"


def test_greetings_tell_the_ami_version():
    assert ami_version("Asterisk Call Manager/1.3") == (1, 3)
    assert ami_version("Asterisk Call Manager/7.0.3") == (7, 0)
    assert ami_version("garbage") is None
    assert "Asterisk 11 or older" in unsupported_banner("Asterisk Call Manager/1.3")
    assert unsupported_banner("Asterisk Call Manager/2.10.6") is None


def test_replay_of_an_asterisk_11_stream_prints_no_records_and_says_why():
    result = subprocess.run([sys.executable, "-m", "k2_contact_center.services.replay", str(ASTERISK_11),
                             "--extension-pattern", "2XX", "--trunk", "SIP/trunk", "--country", "CZ"],
                            capture_output=True, cwd=ROOT, timeout=60, check=False)
    assert result.returncode == 2
    assert result.stdout == b""
    assert b"Asterisk 11 or older" in result.stderr and b"not supported" in result.stderr


def test_the_connector_refuses_an_asterisk_11_pbx_and_reads_a_newer_ones_version():
    async def main():
        old = await AmiSimulator(username="odoo", secret="s3cret",
                                 banner=b"Asterisk Call Manager/1.3\r\n").start()
        states = []
        connector = AmiConnector("127.0.0.1", old.port, "odoo", "s3cret", backoff_initial=30.0,
                                 on_state=lambda state, detail: states.append((state, detail)))
        await connector.start()
        try:
            for _ in range(100):
                if any(state == ERROR for state, _detail in states):
                    break
                await asyncio.sleep(0.05)
            error = next(detail for state, detail in states if state == ERROR)
            assert "AMI 1.3 (Asterisk 11 or older)" in error and CONNECTED not in [s for s, _ in states]
        finally:
            await connector.stop()
            await old.stop()
        new = await AmiSimulator(username="odoo", secret="s3cret", version="20.5.1").start()
        connector = AmiConnector("127.0.0.1", new.port, "odoo", "s3cret")
        await connector.start()
        try:
            await connector.wait_connected(5)
            assert connector.server_version == "20.5.1"
        finally:
            await connector.stop()
            await new.stop()
    asyncio.run(asyncio.wait_for(main(), 30))
