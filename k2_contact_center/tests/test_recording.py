import io
import math
import struct
import threading
import wave
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged

from ..services.recordings import is_mp3
from .common import K2CcCase


def wav_second():
    """One second of a 440 Hz tone, 8 kHz mono, as a PBX records calls."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / 8000)))
                                 for i in range(8000)))
    return buffer.getvalue()


class FileServer:
    """A real HTTP server on 127.0.0.1: ``files`` by path, every request path kept in ``seen``."""

    def __init__(self, files=None):
        self.files = files or {}
        self.seen = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                server.seen.append(self.path)
                body = server.files.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "audio/wav")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class RecordingCase:
    """A PBX whose recordings address is a local web server holding call rec.1."""

    def setup_recordings(self, env, pbx):
        self.pbx_server = FileServer({"/rec/2026/03/rec.1.wav": wav_second()})
        self.addCleanup(self.pbx_server.stop)
        self.elsewhere = FileServer()  # any request reaching it is a leak
        self.addCleanup(self.elsewhere.stop)
        pbx.write({"host": "127.0.0.1", "tz": "Europe/Prague",
                   "recording_url": f"http://127.0.0.1:{self.pbx_server.port}/rec/{{year}}/{{month}}/{{call_id}}.wav"})


@tagged("post_install", "-at_install")
class TestRecording(K2CcCase, RecordingCase):
    def setUp(self):
        super().setUp()
        self.setup_recordings(self.env, self.pbx)
        self.call = self._call(pbx_call_id="rec.1", user_id=self.agent.id, line_id=self.line.id,
                               rang_line_ids=[(6, 0, (self.line | self.line2).ids)], disposition="answered",
                               answer_time="2026-03-02 08:00:10")

    def test_responsible_user_plays_it_fetched_once_as_mp3(self):
        call = self.call.with_user(self.agent)
        self.assertTrue(call.can_play_recording)
        action = call.action_play_recording()
        self.assertEqual((action["tag"], action["params"]["url"]),
                         ("k2_cc_play_recording", f"/k2_contact_center/recording/{self.call.id}"))
        attachment = self.call.recording_attachment_id
        self.assertTrue(is_mp3(attachment.raw), "converted from the PBX's WAV")
        self.assertEqual((attachment.mimetype, attachment.res_model), ("audio/mpeg", False))
        call.action_play_recording()
        self.assertEqual(self.pbx_server.seen, ["/rec/2026/03/rec.1.wav"], "fetched once, then kept")

    def test_managers_yes_other_agents_no(self):
        self.call.with_user(self.manager).action_play_recording()
        other = self.call.with_user(self.agent2)
        other.check_access("read")  # Bob's line rang: he sees the call...
        self.assertFalse(other.can_play_recording)
        with self.assertRaisesRegex(AccessError, "responsible user and contact-center managers"):
            other.action_play_recording()  # ...but not its recording

    def test_missing_recording_says_so(self):
        self.call.pbx_call_id = "rec.404"
        with self.assertRaisesRegex(UserError, "has no recording of this call"):
            self.call.with_user(self.agent).action_play_recording()
        self.assertFalse(self.call.recording_attachment_id)

    def test_addresses_off_the_pbx_are_refused_when_saved(self):
        for template in (f"http://127.0.0.2:{self.elsewhere.port}/{{call_id}}.wav",
                         "http://{caller}.example.com/{call_id}.wav",
                         "file:///var/spool/asterisk/monitor/{call_id}.wav",
                         "http://admin:secret@127.0.0.1/{call_id}.wav",
                         "gopher://127.0.0.1/{call_id}"):
            with self.subTest(template=template), self.assertRaises(ValidationError):
                self.pbx.recording_url = template
        with self.assertRaises(ValidationError):
            self.pbx.host = "pbx.example.com"  # the address no longer points at the PBX

    def test_call_data_never_lead_elsewhere(self):
        self.pbx.recording_url = f"http://127.0.0.1:{self.pbx_server.port}/rec/{{caller}}/{{call_id}}.wav"
        for caller, call_id in ((f"@127.0.0.1:{self.elsewhere.port}", "x"), ("//evil.example.com", "x"),
                                ("x", "../../etc/passwd"), ("x", f"%2F%2F127.0.0.1:{self.elsewhere.port}"),
                                ("x", "a?next=http://evil"), ("x", "a#frag")):
            self.call.write({"caller_number": caller, "pbx_call_id": call_id})
            with self.subTest(caller=caller, call_id=call_id), self.assertRaises(UserError):
                self.call.with_user(self.agent).action_play_recording()
        self.assertFalse(self.elsewhere.seen)
        self.assertTrue(all(path.startswith("/rec/") for path in self.pbx_server.seen), self.pbx_server.seen)

    def test_cached_recordings_deleted_after_the_retention_period(self):
        self.company.cc_recording_retention_days = 30
        self.call.with_user(self.agent).action_play_recording()
        attachment = self.call.recording_attachment_id
        self.env["k2.cc.call"]._cc_purge_recordings()
        self.assertTrue(attachment.exists(), "still within 30 days")
        self.env.cr.execute("UPDATE ir_attachment SET create_date = %s WHERE id = %s",
                            (fields.Datetime.now() - timedelta(days=31), attachment.id))
        self.env.invalidate_all()
        self.env["k2.cc.call"]._cc_purge_recordings()
        self.assertFalse(attachment.exists())
        self.assertFalse(self.call.recording_attachment_id)


@tagged("post_install", "-at_install")
class TestRecordingHttp(HttpCase, RecordingCase):
    def setUp(self):
        super().setUp()
        pbx = self.env["k2.cc.pbx"].create({"code": "RECH", "name": "Recording PBX", "host": "127.0.0.1"})
        self.setup_recordings(self.env, pbx)
        self.agent = new_test_user(self.env, "k2rec", password="k2rec-pass-1", name="Recording Agent",
                                   groups="base.group_user")
        self.other = new_test_user(self.env, "k2rec2", password="k2rec2-pass-1", name="Other Agent",
                                   groups="base.group_user")
        lines = self.env["k2.cc.line"].create([{"pbx_id": pbx.id, "extension": "201", "user_id": self.agent.id},
                                               {"pbx_id": pbx.id, "extension": "202", "user_id": self.other.id}])
        self.customer = self.env["res.partner"].create({"name": "Recorded Customer"})
        self.call = self.env["k2.cc.call"].create({
            "pbx_id": pbx.id, "pbx_call_id": "rec.1", "user_id": self.agent.id, "line_id": lines[0].id,
            "rang_line_ids": [(6, 0, lines.ids)], "partner_id": self.customer.id, "caller_number": "+420603555777",
            "called_number": "201", "start": "2026-03-02 08:00:00", "answer_time": "2026-03-02 08:00:10",
            "end": "2026-03-02 08:01:10",
        })
        self.url = f"/k2_contact_center/recording/{self.call.id}"

    def test_served_with_range_requests_to_the_responsible_user_only(self):
        self.authenticate("k2rec", "k2rec-pass-1")
        whole = self.url_open(self.url)
        self.assertEqual((whole.status_code, whole.headers["Content-Type"]), (200, "audio/mpeg"))
        self.assertTrue(is_mp3(whole.content))
        part = self.url_open(self.url, headers={"Range": "bytes=100-199"})
        self.assertEqual(part.status_code, 206)
        self.assertEqual(part.headers["Content-Range"], f"bytes 100-199/{len(whole.content)}")
        self.assertEqual(part.content, whole.content[100:200])

        attachment = self.call.recording_attachment_id
        self.assertNotEqual(self.url_open(f"/web/content/{attachment.id}").status_code, 200,
                            "the cached file is reached through the recording route only")

        self.authenticate("k2rec2", "k2rec2-pass-1")
        self.assertEqual(self.url_open(self.url).status_code, 403)
        self.assertNotEqual(self.url_open(f"/web/content/{attachment.id}").status_code, 200)

    def test_anonymous_gets_nothing(self):
        response = self.url_open(self.url, allow_redirects=False)
        self.assertIn(response.status_code, (302, 303, 401, 403))
        self.assertNotIn("audio", response.headers.get("Content-Type", ""))
        self.assertFalse(self.pbx_server.seen, "nothing fetched for an anonymous visitor")

    def test_play_tour(self):
        self.start_tour("/odoo", "k2_cc_recording_tour", login="k2rec")
