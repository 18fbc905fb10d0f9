"""Recordings: the address (and its SSRF guard), fetching over real HTTP, MP3 through real ffmpeg.

The HTTP side runs against two local servers: the "PBX" and an "evil" one on
another port, which records every request so a test can show it was never
reached. The audio is generated here (a 1 s 440 Hz sine at 8 kHz).
"""

import base64
import io
import json
import math
import shutil
import socket
import ssl
import struct
import subprocess
import threading
import wave
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

import pytest

from k2_contact_center.services.recordings import (
    PLACEHOLDERS,
    Origin,
    RecordingError,
    RecordingMissing,
    RecordingRefused,
    RecordingTimeout,
    RecordingTooLarge,
    fetch_recording,
    is_mp3,
    recording_origin,
    render_recording_url,
    to_mp3,
)

TEMPLATE = "https://pbx.example.com/monitor/{year}/{month}/{day}/{call_id}.wav"
START = datetime(2024, 1, 5, 9, 3, 7)
CALL = {"call_id": "1704445387.42", "start": START, "caller": "+420601234567", "callee": "201"}
FFMPEG_MISSING = "ffmpeg is not installed: apt-get install -y ffmpeg (scripts/test must install it)"


def sine_wav(seconds=1.0, rate=8000):
    frames = b"".join(struct.pack("<h", int(12000 * math.sin(2 * math.pi * 440 * i / rate)))
                      for i in range(int(seconds * rate)))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return buffer.getvalue()


WAV = sine_wav()


# -- the address -----------------------------------------------------------------

def test_render_fills_placeholders_from_the_call():
    origin = recording_origin(TEMPLATE, "pbx.example.com")
    assert origin == ("https", "pbx.example.com", 443)
    url = render_recording_url(TEMPLATE, **CALL, allowed_origin=origin)
    assert url == "https://pbx.example.com/monitor/2024/01/05/1704445387.42.wav"
    # the same through pbx_host instead of a precomputed origin
    assert render_recording_url(TEMPLATE, **CALL, pbx_host="pbx.example.com") == url


def test_every_placeholder_and_the_time_zone_is_taken_as_given():
    template = "http://10.0.0.5:8080/r/" + "/".join(f"{{{name}}}" for name in PLACEHOLDERS)
    start = datetime(2024, 1, 5, 23, 3, 7, tzinfo=timezone(timedelta(hours=-5)))
    url = render_recording_url(template, call_id="1.2", start=start, caller="601", callee="202",
                               pbx_host="10.0.0.5")
    # 23:03 at UTC-5 is the next day in UTC: not converted, the wall clock of `start` is used
    assert url == "http://10.0.0.5:8080/r/1.2/601/202/2024/01/05/23/03/07/20240105/230307"


def test_pbx_address_may_be_written_loosely():
    for pbx_host in ("pbx.example.com:5038", "https://pbx.example.com/ari", "PBX.Example.COM.", " pbx.example.com "):
        assert recording_origin("https://Pbx.Example.com:8443/x/{call_id}", pbx_host) == \
            Origin("https", "pbx.example.com", 8443)
    assert recording_origin("http://[::1]:8088/{call_id}", "[::1]:5038") == Origin("http", "::1", 8088)
    assert recording_origin("http://[0:0::1]/{call_id}", "::1") == Origin("http", "::1", 80)
    # an internationalised name and its IDNA form are the same host
    assert recording_origin("https://pbx.exämple.com/{call_id}", "pbx.xn--exmple-cua.com").host == \
        "pbx.xn--exmple-cua.com"


@pytest.mark.parametrize(("template", "pbx_host"), [
    ("https://evil.example.com/monitor/{call_id}.wav", "pbx.example.com"),
    ("https://pbx.example.com.evil.com/{call_id}", "pbx.example.com"),
    ("https://example.com/{call_id}", "pbx.example.com"),
    ("https://pbх.example.com/{call_id}", "pbx.example.com"),  # Cyrillic "х"
    ("http://127.0.0.1/{call_id}", "localhost"),
    ("http://169.254.169.254/latest/meta-data/", "10.0.0.5"),
])
def test_template_host_other_than_the_pbx_is_refused(template, pbx_host):
    with pytest.raises(RecordingRefused, match="only fetched from the PBX itself"):
        recording_origin(template, pbx_host)
    with pytest.raises(RecordingRefused):
        render_recording_url(template, **CALL, pbx_host=pbx_host)


@pytest.mark.parametrize("template", [
    "https://{caller}.example.com/x.wav",
    "https://pbx.example.com{call_id}/x.wav",
    "https://pbx.example.com:{callee}/x.wav",
    "https://{caller}@pbx.example.com/x.wav",
    "https://{year}/x.wav",
])
def test_placeholder_before_the_path_is_refused(template):
    with pytest.raises(RecordingRefused, match="placeholder in its host, port or user part"):
        recording_origin(template, "pbx.example.com")


def test_a_query_right_after_the_host_is_not_the_host():
    # "?" ends the host, as for every HTTP client: the placeholder is in the query and its value is encoded
    url = render_recording_url("https://pbx.example.com?id={call_id}", **{**CALL, "call_id": "@evil.com/"},
                               pbx_host="pbx.example.com")
    assert url == "https://pbx.example.com?id=%40evil.com%2F"
    assert urlsplit(url).hostname == "pbx.example.com" and urlsplit(url).username is None


def test_placeholder_in_the_scheme_is_refused():
    with pytest.raises(RecordingRefused, match="placeholder in its scheme"):
        recording_origin("{caller}://pbx.example.com/x.wav", "pbx.example.com")


@pytest.mark.parametrize("template", [
    "file:///var/spool/asterisk/monitor/{call_id}.wav",
    "gopher://pbx.example.com:70/_{call_id}",
    "ftp://pbx.example.com/{call_id}.wav",
    "dict://pbx.example.com:11211/",
    "javascript://pbx.example.com/%0Aalert(1)",
    "pbx.example.com/monitor/{call_id}.wav",
    "//pbx.example.com/monitor/{call_id}.wav",
])
def test_scheme_other_than_http_is_refused(template):
    with pytest.raises(RecordingRefused, match="http"):
        recording_origin(template, "pbx.example.com")


@pytest.mark.parametrize("template", [
    "https://user:secret@pbx.example.com/{call_id}.wav",
    "https://pbx.example.com@evil.com/{call_id}.wav",
    "https://pbx.example.com\\@evil.com/{call_id}.wav",
    "https://pbx.example.com%2F@evil.com/{call_id}.wav",
    "https://pbx.example.com\t/{call_id}.wav",
    "https://[::1%25eth0]/{call_id}.wav",
    "https://010.0.0.5/{call_id}.wav",
])
def test_tricky_template_authority_is_refused(template):
    with pytest.raises(RecordingRefused):
        recording_origin(template, "pbx.example.com")


def test_without_a_pbx_address_nothing_is_rendered():
    with pytest.raises(RecordingRefused, match="PBX has no address"):
        recording_origin(TEMPLATE, "")
    with pytest.raises(RecordingRefused, match="not known"):
        render_recording_url(TEMPLATE, **CALL)


def test_allowed_origin_must_match_the_template():
    with pytest.raises(RecordingRefused, match="may only come from https://pbx.example.com"):
        render_recording_url("https://pbx.example.com:8443/{call_id}", **CALL,
                             allowed_origin=("https", "pbx.example.com", 443))
    with pytest.raises(RecordingRefused):
        render_recording_url("http://pbx.example.com/{call_id}", **CALL,
                             allowed_origin=("https", "pbx.example.com", 443))


@pytest.mark.parametrize("template", [
    "https://pbx.example.com/{call_id.__class__}",
    "https://pbx.example.com/{call_id[0]}",
    "https://pbx.example.com/{uniqueid}",
    "https://pbx.example.com/{year:08}",
    "https://pbx.example.com/{caller!r}",
    "https://pbx.example.com/{call_id",
])
def test_unknown_or_formatted_placeholders_are_a_clear_error(template):
    with pytest.raises(RecordingError, match="placeholder|brace") as raised:
        recording_origin(template, "pbx.example.com")
    assert not isinstance(raised.value, RecordingRefused)


def test_literal_braces_and_spaces_of_the_template():
    url = render_recording_url("https://pbx.example.com/my recs/{{x}}/{call_id}", **CALL, pbx_host="pbx.example.com")
    assert url == "https://pbx.example.com/my%20recs/%7Bx%7D/1704445387.42"


def test_missing_call_data_is_a_clear_error():
    with pytest.raises(RecordingError, match="no caller"):
        render_recording_url("https://pbx.example.com/{caller}.wav", **{**CALL, "caller": None},
                             pbx_host="pbx.example.com")
    with pytest.raises(RecordingError, match="no start time"):
        render_recording_url(TEMPLATE, **{**CALL, "start": None}, pbx_host="pbx.example.com")


# Values as they could come from a forged caller id or a PBX that was tampered with.
INJECTIONS = ["@evil.com", "//evil.com", "x@evil.com:80", "http://evil.com/", "%2F", "%2F%2Fevil.com",
              "?x=1", "a?x=", "#frag", "\\evil.com", "%2E%2E", "ａ／ｂ", "\u2215evil", "\u2044evil",
              "\r\nHost: evil.com", "\x00", "\ufeff@evil", "é"]
TRAVERSALS = ["..", ".", "../etc/passwd", "..%2F..%2F", "..\\..\\x", "a/../../b", "．．", "\u2024\u2024"]


@pytest.mark.parametrize("value", INJECTIONS)
def test_call_data_stay_inside_their_path_segment(value):
    for field in ("call_id", "caller", "callee"):
        template = f"https://pbx.example.com/monitor/{{year}}/{{{field}}}.wav?leg={{{field}}}"
        url = render_recording_url(template, **{**CALL, field: value}, pbx_host="pbx.example.com")
        parts = urlsplit(url)
        assert (parts.scheme, parts.hostname, parts.port, parts.username, parts.fragment) == \
            ("https", "pbx.example.com", None, None, "")
        segments = parts.path.split("/")
        assert segments[:3] == ["", "monitor", "2024"] and len(segments) == 4
        assert unquote(segments[3]) == value + ".wav"
        assert parts.query.count("=") == 1 and unquote(parts.query) == "leg=" + value
        assert not any(ord(char) <= 32 or ord(char) >= 127 for char in url)


@pytest.mark.parametrize("value", TRAVERSALS)
def test_call_data_climbing_folders_are_refused(value):
    with pytest.raises(RecordingRefused, match="out of the recordings folder"):
        render_recording_url("https://pbx.example.com/monitor/{caller}/{call_id}.wav", **{**CALL, "caller": value},
                             pbx_host="pbx.example.com")


def test_dot_folders_are_refused_wherever_they_come_from():
    with pytest.raises(RecordingRefused, match="out of the recordings folder"):
        render_recording_url("https://pbx.example.com/monitor/{caller}{callee}/x.wav",
                             **{**CALL, "caller": ".", "callee": "."}, pbx_host="pbx.example.com")
    with pytest.raises(RecordingRefused, match=r"contains a '\.' or '\.\.' folder"):
        render_recording_url("https://pbx.example.com/monitor/%2e%2E/{call_id}.wav", **CALL,
                             pbx_host="pbx.example.com")


# -- a local PBX on 127.0.0.1 ----------------------------------------------------

class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, routes):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes = routes
        self.requests = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base(self):
        return f"http://127.0.0.1:{self.server_port}"

    @property
    def origin(self):
        return Origin("http", "127.0.0.1", self.server_port)


class _TlsServer(_Server):
    def __init__(self, routes, cert, key):
        super().__init__(routes)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.socket = context.wrap_socket(self.socket, server_side=True)

    @property
    def base(self):
        return f"https://127.0.0.1:{self.server_port}"

    @property
    def origin(self):
        return Origin("https", "127.0.0.1", self.server_port)

    def handle_error(self, request, client_address):
        pass  # a client refusing the certificate is what the test wants


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the name http.server calls
        self.server.requests.append((self.path, self.headers.get("Authorization")))
        route = self.server.routes.get(urlsplit(self.path).path)
        if route is None:
            self.send_error(404)
            return
        try:
            route(self)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as the timeout tests want

    def log_message(self, *args):
        pass


def _send(handler, status=200, body=b"", headers=None, length=True):
    handler.send_response(status)
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    if length:
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _redirect(location):
    return lambda h: _send(h, 302, headers={"Location": location(h) if callable(location) else location})


def _slow(handler):
    handler.server.stop.wait(10)
    _send(handler, body=WAV)


def _drip(handler):
    handler.send_response(200)
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    for _ in range(1000):
        if handler.server.stop.wait(0.05):
            return
        handler.wfile.write(b"x")
        handler.wfile.flush()


def _private(handler):
    if handler.headers.get("Authorization") == "Basic " + base64.b64encode(b"rec:s3cret").decode():
        _send(handler, body=WAV, headers={"Content-Type": "audio/x-wav"})
    else:
        _send(handler, 401, headers={"WWW-Authenticate": 'Basic realm="recordings"'})


@pytest.fixture(scope="module")
def servers():
    evil = _Server({"/rec/a.wav": lambda h: _send(h, body=b"stolen")})
    pbx = _Server({
        "/rec/a.wav": lambda h: _send(h, body=WAV, headers={"Content-Type": "audio/x-wav; charset=binary"}),
        "/gone.wav": lambda h: _send(h, 410),
        "/error": lambda h: _send(h, 500),
        "/empty": lambda h: _send(h, body=b""),
        "/big": lambda h: _send(h, body=b"x" * 2000),
        "/big-no-length": lambda h: _send(h, body=b"x" * 5000, length=False),
        "/exact": lambda h: _send(h, body=b"x" * 1000, length=False),
        "/slow": _slow,
        "/drip": _drip,
        "/private": _private,
        "/redirect-same": _redirect("/rec/a.wav"),
        "/redirect-same-absolute": _redirect(lambda h: f"http://127.0.0.1:{h.server.server_port}/rec/a.wav"),
        "/redirect-evil": _redirect(lambda h: f"{evil.base}/rec/a.wav"),
        "/redirect-localhost": _redirect(lambda h: f"http://localhost:{h.server.server_port}/rec/a.wav"),
        "/redirect-https": _redirect(lambda h: f"https://127.0.0.1:{h.server.server_port}/rec/a.wav"),
        "/redirect-protocol-relative": _redirect(lambda h: f"//localhost:{evil.server_port}/rec/a.wav"),
        "/redirect-userinfo": _redirect(lambda h: f"http://127.0.0.1:{h.server.server_port}@localhost:"
                                                  f"{evil.server_port}/rec/a.wav"),
        "/redirect-file": _redirect("file:///etc/passwd"),
        "/redirect-loop": _redirect("/redirect-loop"),
    })
    for server in (pbx, evil):
        server.thread.start()
    yield pbx, evil
    for server in (pbx, evil):
        server.stop.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def pbx(servers):
    pbx, evil = servers
    pbx.requests.clear()
    evil.requests.clear()
    return pbx


@pytest.fixture
def evil(servers):
    return servers[1]


def test_fetch_returns_the_bytes_and_media_type(pbx):
    data, content_type = fetch_recording(f"{pbx.base}/rec/a.wav", allowed_origin=pbx.origin)
    assert data == WAV
    assert content_type == "audio/x-wav"


def test_render_then_fetch_from_the_pbx(pbx):
    template = f"{pbx.base}/rec/{{call_id}}.wav"
    origin = recording_origin(template, "127.0.0.1:5038")
    assert origin == pbx.origin
    url = render_recording_url(template, **{**CALL, "call_id": "a"}, allowed_origin=origin)
    assert fetch_recording(url, allowed_origin=origin)[0] == WAV


@pytest.mark.parametrize("value", ["@evil.com", "//evil.com", "%2F", "?x=", "#", "\\x", "ａ／ｂ"])
def test_injected_call_data_reach_the_pbx_as_one_literal_name(pbx, evil, value):
    template = f"{pbx.base}/rec/{{call_id}}.wav"
    url = render_recording_url(template, **{**CALL, "call_id": value}, pbx_host="127.0.0.1")
    with pytest.raises(RecordingMissing):
        fetch_recording(url, allowed_origin=pbx.origin)
    [(path, _auth)] = pbx.requests
    assert path.startswith("/rec/") and path.count("/") == 2 and unquote(path) == f"/rec/{value}.wav"
    assert evil.requests == []


def test_fetch_refuses_another_origin_without_connecting(pbx, evil):
    for url in (f"{evil.base}/rec/a.wav", f"http://localhost:{pbx.server_port}/rec/a.wav",
                f"http://u@127.0.0.1:{pbx.server_port}/rec/a.wav", f"https://127.0.0.1:{pbx.server_port}/rec/a.wav",
                "file:///etc/passwd", f"{pbx.base}/rec/../../etc/passwd"):
        with pytest.raises(RecordingRefused):
            fetch_recording(url, allowed_origin=pbx.origin)
    assert pbx.requests == [] and evil.requests == []


def test_redirect_within_the_same_origin_is_followed(pbx):
    for path in ("/redirect-same", "/redirect-same-absolute"):
        assert fetch_recording(pbx.base + path, allowed_origin=pbx.origin)[0] == WAV


@pytest.mark.parametrize("path", ["/redirect-evil", "/redirect-localhost", "/redirect-https",
                                  "/redirect-protocol-relative", "/redirect-userinfo", "/redirect-file"])
def test_redirect_to_another_origin_is_refused(pbx, evil, path):
    with pytest.raises(RecordingRefused, match=f"The PBX redirected {pbx.base}{path} elsewhere"):
        fetch_recording(pbx.base + path, allowed_origin=pbx.origin)
    assert evil.requests == []
    assert [p for p, _auth in pbx.requests] == [path]


def test_endless_redirects_stop(pbx):
    with pytest.raises(RecordingError, match="redirected more than 3 times"):
        fetch_recording(pbx.base + "/redirect-loop", allowed_origin=pbx.origin)
    assert len(pbx.requests) == 4


def test_missing_recording(pbx):
    with pytest.raises(RecordingMissing, match="no recording at .*/nothing.wav .HTTP 404") as raised:
        fetch_recording(f"{pbx.base}/nothing.wav?token=s3cret", allowed_origin=pbx.origin)
    assert "s3cret" not in str(raised.value)  # a token in the query is not shown to whoever reads the message
    with pytest.raises(RecordingMissing, match="HTTP 410"):
        fetch_recording(f"{pbx.base}/gone.wav", allowed_origin=pbx.origin)


def test_other_http_errors_say_what_the_pbx_answered(pbx):
    with pytest.raises(RecordingError, match="HTTP 500") as raised:
        fetch_recording(f"{pbx.base}/error", allowed_origin=pbx.origin)
    assert not isinstance(raised.value, RecordingMissing)
    with pytest.raises(RecordingError, match="empty"):
        fetch_recording(f"{pbx.base}/empty", allowed_origin=pbx.origin)


def test_credentials(pbx):
    with pytest.raises(RecordingError, match="HTTP 401.*credentials"):
        fetch_recording(f"{pbx.base}/private", allowed_origin=pbx.origin)
    data, content_type = fetch_recording(f"{pbx.base}/private", allowed_origin=pbx.origin, auth=("rec", "s3cret"))
    assert (data, content_type) == (WAV, "audio/x-wav")


def test_size_limit(pbx):
    with pytest.raises(RecordingTooLarge, match="2000 bytes, more than the 1000"):
        fetch_recording(f"{pbx.base}/big", allowed_origin=pbx.origin, max_bytes=1000)
    with pytest.raises(RecordingTooLarge, match="larger than the 1000"):
        fetch_recording(f"{pbx.base}/big-no-length", allowed_origin=pbx.origin, max_bytes=1000)
    assert fetch_recording(f"{pbx.base}/exact", allowed_origin=pbx.origin, max_bytes=1000)[0] == b"x" * 1000


def test_a_pbx_that_does_not_answer_times_out(pbx):
    with pytest.raises(RecordingTimeout, match="did not answer in time"):
        fetch_recording(f"{pbx.base}/slow", allowed_origin=pbx.origin, timeout=0.3)


def test_a_trickling_download_hits_the_total_deadline(pbx):
    with pytest.raises(RecordingTimeout, match="took too long"):
        fetch_recording(f"{pbx.base}/drip", allowed_origin=pbx.origin, timeout=2, total_timeout=0.5)


@pytest.fixture(scope="module")
def tls_pbx(tmp_path_factory):
    if not shutil.which("openssl"):
        pytest.fail("openssl is needed to make the test certificate: apt-get install -y openssl")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    server = _TlsServer({"/rec/a.wav": lambda h: _send(h, body=WAV, headers={"Content-Type": "audio/wav"})},
                        str(cert), str(key))
    server.thread.start()
    yield server, str(cert)
    server.shutdown()
    server.server_close()


def test_https_certificate_is_verified(tls_pbx):
    server, cert = tls_pbx
    url = f"{server.base}/rec/a.wav"
    with pytest.raises(RecordingError, match="certificate is not valid"):
        fetch_recording(url, allowed_origin=server.origin)
    assert fetch_recording(url, allowed_origin=server.origin, verify=cert) == (WAV, "audio/wav")
    assert fetch_recording(url, allowed_origin=server.origin, verify=False) == (WAV, "audio/wav")


def test_unreachable_pbx():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: the connection is refused
        with pytest.raises(RecordingError, match="Could not reach the PBX"):
            fetch_recording(f"http://127.0.0.1:{port}/a.wav", allowed_origin=("http", "127.0.0.1", port))


# -- MP3 -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ffmpeg():
    if not (shutil.which("ffmpeg") and shutil.which("ffprobe")):
        pytest.fail(FFMPEG_MISSING)
    return "ffmpeg"


@pytest.fixture(scope="module")
def gsm(ffmpeg):
    result = subprocess.run([ffmpeg, "-hide_banner", "-loglevel", "error", "-i", "pipe:0", "-f", "gsm",
                             "-ar", "8000", "-ac", "1", "pipe:1"], input=WAV, capture_output=True, check=True)
    return result.stdout


def probe(data, tmp_path):
    path = tmp_path / "probe.mp3"
    path.write_bytes(data)
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=format_name,duration:stream=codec_name",
                          "-of", "json", str(path)], capture_output=True, check=True, text=True).stdout
    info = json.loads(out)
    return info["format"]["format_name"], info["streams"][0]["codec_name"], float(info["format"]["duration"])


def assert_one_second_of_mp3(data, tmp_path, seconds=1.0):
    assert data[:3] == b"ID3" or (data[0] == 0xFF and data[1] & 0xE0 == 0xE0)
    assert is_mp3(data)
    format_name, codec, duration = probe(data, tmp_path)
    assert (format_name, codec) == ("mp3", "mp3")
    # MP3 frames at 8 kHz hold 72 ms and the encoder adds its delay: within 0.2 s
    assert duration == pytest.approx(seconds, abs=0.2)


def test_wav_becomes_mp3(ffmpeg, tmp_path):
    mp3 = to_mp3(WAV, "audio/x-wav")
    assert_one_second_of_mp3(mp3, tmp_path)
    assert not is_mp3(WAV)


def test_mp3_passes_through_unchanged(ffmpeg, tmp_path):
    mp3 = to_mp3(WAV)
    assert to_mp3(mp3, "audio/x-wav") == mp3  # the bytes decide, not the content type
    # without its ID3 tag it is still MP3: frames are recognised by their sync and length
    tag_size = 10 + ((mp3[6] << 21) | (mp3[7] << 14) | (mp3[8] << 7) | mp3[9])
    bare = mp3[tag_size:]
    assert bare[0] == 0xFF and to_mp3(bare) == bare


def test_content_type_mp3_is_not_trusted(ffmpeg, tmp_path):
    mp3 = to_mp3(WAV, "audio/mpeg")
    assert mp3 != WAV
    assert_one_second_of_mp3(mp3, tmp_path)


@pytest.mark.parametrize(("content_type", "hint"), [
    (None, "https://pbx.example.com/monitor/1704445387.42.gsm?x=1"),
    (None, "gsm"),
    ("audio/x-gsm", None),
    ("application/octet-stream", None),  # raw GSM recognised by its frames
])
def test_raw_gsm_becomes_mp3(gsm, tmp_path, content_type, hint):
    assert len(gsm) == 50 * 33
    assert_one_second_of_mp3(to_mp3(gsm, content_type, format_hint=hint), tmp_path)


def test_short_raw_gsm_is_recognised_by_its_frames(gsm, tmp_path):
    # ffmpeg itself only recognises raw GSM from about 50 frames on
    clip = gsm[:20 * 33]
    assert_one_second_of_mp3(to_mp3(clip), tmp_path, seconds=0.4)


def test_raw_signed_linear_with_its_hint(ffmpeg, tmp_path):
    with wave.open(io.BytesIO(WAV)) as source:
        pcm = source.readframes(source.getnframes())
    assert_one_second_of_mp3(to_mp3(pcm, format_hint="/monitor/a.sln"), tmp_path)


def test_gsm_fetched_then_converted(pbx, gsm, tmp_path):
    pbx.routes["/rec/a.gsm"] = lambda h: _send(h, body=gsm, headers={"Content-Type": "audio/x-gsm"})
    url = render_recording_url(f"{pbx.base}/rec/{{call_id}}.gsm", **{**CALL, "call_id": "a"}, pbx_host="127.0.0.1")
    data, content_type = fetch_recording(url, allowed_origin=pbx.origin)
    assert_one_second_of_mp3(to_mp3(data, content_type, format_hint=url), tmp_path)


def test_ffmpeg_failure_reports_its_reason(ffmpeg):
    with pytest.raises(RecordingError, match=r"ffmpeg could not convert the recording to MP3: \S") as raised:
        to_mp3(b"this is not audio at all" * 10, "audio/x-wav")
    assert "Invalid data" in str(raised.value)


def test_missing_ffmpeg_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RecordingError, match="ffmpeg is not installed.*apt-get install ffmpeg"):
        to_mp3(WAV)
    monkeypatch.undo()
    with pytest.raises(RecordingError, match="ffmpeg is not installed"):
        to_mp3(WAV, ffmpeg=str(tmp_path / "no-such-ffmpeg"))


def test_converter_that_hangs_times_out(tmp_path):
    hanging = tmp_path / "ffmpeg"
    hanging.write_text("#!/bin/sh\nexec sleep 30\n")
    hanging.chmod(0o755)
    with pytest.raises(RecordingTimeout, match="ffmpeg took more than 0.3 s"):
        to_mp3(WAV, ffmpeg=str(hanging), timeout=0.3)


@pytest.mark.parametrize("data", [
    b"",
    b"ID3\x04\x00\x00\x00\x00\x00\x00",  # a tag and nothing after it
    b"\xff\xf1\x50\x80\x02\x1f\xfc" + bytes(100),  # AAC (ADTS) shares the sync word
    b"\xff\xfb\x90\x64" + bytes(100) + b"\x00\x00\x00\x00" + bytes(400),  # one header, no frame where it says
    b"\xff\xfd\x90\x64" + bytes(1000),  # MPEG Layer II, not III
    b"RIFF\x00\x00\x00\x00WAVEfmt ",
])
def test_is_mp3_rejects_look_alikes(data):
    assert not is_mp3(data)
