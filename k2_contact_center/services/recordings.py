"""Call recordings: where a recording lives on the PBX, fetching it, making it MP3.

Pure Python, no ``odoo`` import. The Odoo side uses it like this::

    origin = recording_origin(pbx.recording_url, pbx.host)        # RecordingRefused
    url = render_recording_url(pbx.recording_url, call_id=call.pbx_call_id,
                               start=start_in_pbx_time_zone, caller=call.caller,
                               callee=call.callee, allowed_origin=origin)
    data, content_type = fetch_recording(url, allowed_origin=origin, timeout=pbx.timeout)
    mp3 = to_mp3(data, content_type, format_hint=url)

**The recordings address** (``k2.cc.pbx.recording_url``) is a template such as
``https://pbx.example.com/monitor/{year}/{month}/{day}/{call_id}.wav``. Its
placeholders (:data:`PLACEHOLDERS`):

============  ===================================================
``call_id``   the PBX's call id (Asterisk ``Uniqueid``)
``caller``    calling number, ``callee``: called number
``year``      4 digits; ``month``, ``day``, ``hour``, ``minute``,
              ``second``: 2 digits each, from the call's start
``date``      ``YYYYMMDD``; ``time``: ``HHMMSS`` (FreePBX file names)
============  ===================================================

The template's own text is kept as typed (spaces and accents get
percent-encoded). ``{{`` and ``}}`` stand for literal braces. Format specs (``{year:04}``),
conversions and attribute access (``{call_id.x}``) are refused.

**Why the origin is pinned (SSRF).** Odoo fetches the address server-side, so
whoever controls it could make Odoo read internal services. The address may
therefore only point at the PBX itself:

- the *origin* (scheme, host, port) is the template's literal prefix; it must
  be ``http`` or ``https``, carry no user name or password, hold no
  placeholder, and its host must be the PBX's own address (``k2.cc.pbx.host``,
  the manager interface's host; its port there is the AMI port and is not
  compared). :func:`recording_origin` returns it as an :class:`Origin`;
- call data (caller numbers can be forged by whoever calls) only ever fill the
  path or query: each value is percent-encoded with nothing left unescaped
  except ``A-Z a-z 0-9 - . _ ~``, so ``/ ? # @ \\ %``, controls and
  non-ASCII cannot change the target; a value holding ``..`` (also as
  full-width dots) or being ``.`` is refused, and the rendered URL is parsed
  again and must still have the pinned origin;
- :func:`fetch_recording` checks the origin again, connects to exactly that
  host and port (never through a proxy) and follows redirects only within the
  same origin, each hop checked again before anything is sent to it.

Out of scope: DNS rebinding. The host name is the one the administrator gave
for the PBX and is resolved by the system resolver each time; whoever controls
that name's DNS can already redirect the AMI link as well.
"""

import base64
import contextlib
import http.client
import ipaddress
import re
import shutil
import socket
import ssl
import string
import subprocess
import threading
import time
import unicodedata
from datetime import datetime
from typing import NamedTuple
from urllib.parse import quote, unquote, urljoin, urlsplit

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_PORTS = {"http": 80, "https": 443}

PLACEHOLDERS = ("call_id", "caller", "callee", "year", "month", "day", "hour", "minute", "second", "date", "time")
_DATE_PLACEHOLDERS = frozenset({"year", "month", "day", "hour", "minute", "second", "date", "time"})
_DATE_FORMATS = {"year": "%Y", "month": "%m", "day": "%d", "hour": "%H", "minute": "%M", "second": "%S",
                 "date": "%Y%m%d", "time": "%H%M%S"}

_CONTROL = re.compile(r"[\x00-\x20\x7f]")
# What stays as typed in the template's own text: the reserved characters and existing %-escapes.
_LITERAL_SAFE = "/?#[]@!$&'()*+,;=:%~"
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")


class RecordingError(Exception):
    """A recording could not be had; the message says why, for an administrator."""


class RecordingRefused(RecordingError):
    """The address would lead somewhere else than the PBX (or is not a usable address)."""


class RecordingMissing(RecordingError):
    """The PBX has no recording at that address (HTTP 404 or 410)."""


class RecordingTooLarge(RecordingError):
    """The recording is larger than allowed."""


class RecordingTimeout(RecordingError):
    """The PBX, or the converter, took too long."""


class Origin(NamedTuple):
    """Scheme, host and port a recording may come from: ``("https", "pbx.example.com", 443)``.

    ``host`` is lower-case ASCII (IDNA), IPv6 without brackets; ``port`` is
    always set (80/443 when the address names none).
    """

    scheme: str
    host: str
    port: int

    def __str__(self):
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "" if DEFAULT_PORTS.get(self.scheme) == self.port else f":{self.port}"
        return f"{self.scheme}://{host}{port}"


# -- the address ---------------------------------------------------------------

def recording_origin(template, pbx_host):
    """Check a recordings address template against the PBX's host; return its :class:`Origin`.

    ``pbx_host`` is the PBX's address as the administrator typed it in the PBX
    form: a host name or IP, also accepted as ``host:port``, ``[v6]:port`` or
    ``scheme://host…`` (only the host is used). Raises :class:`RecordingRefused`
    when the template is not an http(s) address on that very host, holds a
    user name or password, or a placeholder before its path; raises
    :class:`RecordingError` for unknown or malformed placeholders. Meant to
    be called when the PBX is saved, too.
    """
    origin, _rest = _template_origin(template)
    _check_pbx_host(origin, pbx_host)
    return origin


def render_recording_url(template, *, call_id, start, caller, callee, pbx_host=None, allowed_origin=None):
    """The address of one call's recording: ``template`` with its placeholders filled.

    ``start`` is a :class:`~datetime.datetime` whose wall-clock fields are used
    as they are: pass it in the time zone the PBX names its files in (Asterisk:
    the PBX's local time; Odoo stores naive UTC, so convert first). A
    time-zone-aware value is not converted either.

    The PBX's own address is given by ``allowed_origin`` (from
    :func:`recording_origin`) and/or by ``pbx_host`` (then checked here the
    same way); with neither the address is refused. The origin of the result is the
    pinned one, written canonically (lower-case, IDNA host, default port left
    out). Raises :class:`RecordingRefused` (see the module docstring) or
    :class:`RecordingError` when the call lacks a value the template needs.
    """
    origin, rest = _template_origin(template)
    if allowed_origin is not None:
        allowed = _as_origin(allowed_origin)
        if origin != allowed:
            raise RecordingRefused(
                f"The recordings address points at {origin}, but recordings may only come "
                f"from {allowed}, the PBX's own address.")
    if pbx_host is not None:
        _check_pbx_host(origin, pbx_host)
    if allowed_origin is None and pbx_host is None:
        raise RecordingRefused(
            "The PBX's own address is not known, so the recordings address cannot be checked: "
            "give the PBX an address.")
    values = {"call_id": call_id, "caller": caller, "callee": callee}
    parts = []
    for literal, name in _fields(rest):
        parts.append(quote(literal, safe=_LITERAL_SAFE))  # spaces or accents the administrator typed
        if name is None:
            continue
        if name in _DATE_PLACEHOLDERS:
            if not isinstance(start, datetime):
                raise RecordingError(f"The call has no start time, which the recordings address needs ({{{name}}}).")
            value = start.strftime(_DATE_FORMATS[name])
        else:
            value = values[name]
            if value is None or str(value) == "":
                raise RecordingError(f"The call has no {name.replace('_', ' ')}, which the recordings address needs.")
            value = _checked_value(name, str(value))
        parts.append(quote(value, safe=""))
    url = f"{origin}{''.join(parts)}"
    if _parse_url(url, "The recording's address")[0] != origin:  # cannot happen with quoted values; kept as a net
        raise RecordingRefused(f"The call's data would lead the recording's address away from {origin}.")
    _refuse_dot_segments(url)
    return url


# -- fetching ------------------------------------------------------------------

_REDIRECTS = frozenset({301, 302, 303, 307, 308})


def fetch_recording(url, *, allowed_origin, max_bytes=DEFAULT_MAX_BYTES, timeout=10.0, total_timeout=120.0,
                    auth=None, max_redirects=3, verify=True):
    """GET ``url`` and return ``(data, content_type)``.

    ``content_type`` is the media type without parameters, lower-case, or
    ``None``. ``allowed_origin`` is an :class:`Origin` or a ``(scheme, host,
    port)`` tuple; the URL and every redirect target must have exactly that
    origin (a redirect elsewhere, http→https included, is refused before
    anything is sent there). The connection goes to that origin's host and
    port, never through a proxy. ``verify`` is how an https certificate is
    checked: ``True`` against the system's authorities, a path to a PEM file
    of the authorities to trust (a PBX with its own certificate), or
    ``False`` not at all.

    ``timeout`` bounds connecting and each read (seconds); ``total_timeout``
    bounds the whole exchange, redirects included (a watchdog cuts the
    connection when it is over, so a server sending a byte now and then cannot
    stretch it). ``auth`` is ``(user, password)`` for HTTP Basic.

    Raises :class:`RecordingRefused`, :class:`RecordingMissing` (404/410),
    :class:`RecordingTooLarge` (over ``max_bytes``), :class:`RecordingTimeout`
    or :class:`RecordingError` (any other failure, with the reason).
    """
    origin = _as_origin(allowed_origin)
    deadline = time.monotonic() + total_timeout
    headers = {"Accept": "audio/*, */*;q=0.5", "Accept-Encoding": "identity", "User-Agent": "K2-Contact-Center"}
    if auth:
        user, password = auth
        headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    current, previous = url, None
    for _hop in range(max_redirects + 1):
        target = _check_same_origin(current, origin, redirected_from=previous)
        location, data, content_type = _get(origin, target, current, headers, timeout, deadline, max_bytes,
                                            verify)
        if location is None:
            return data, content_type
        previous, current = current, urljoin(current, location)
    raise RecordingError(f"The PBX redirected more than {max_redirects} times for {_shown(url)}.")


class _Watchdog:
    """Cuts a connection when the total time is up: a blocked read then returns at once."""

    def __init__(self, sock, seconds):
        self.fired = threading.Event()
        self._timer = threading.Timer(seconds, self._cut, (sock,))
        self._timer.daemon = True
        self._timer.start()

    def _cut(self, sock):
        self.fired.set()
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def cancel(self):
        self._timer.cancel()


def _get(origin, target, url, headers, timeout, deadline, max_bytes, verify):
    """One GET: ``(location, None, None)`` for a redirect, else ``(None, data, content_type)``."""
    if origin.scheme == "https":
        connection = http.client.HTTPSConnection(origin.host, origin.port, timeout=_left(deadline, timeout, url),
                                                 context=_tls_context(verify))
    else:
        connection = http.client.HTTPConnection(origin.host, origin.port, timeout=_left(deadline, timeout, url))
    watchdog = None
    try:
        connection.connect()
        watchdog = _Watchdog(connection.sock, _left(deadline, None, url))
        connection.request("GET", target, headers=headers)
        response = connection.getresponse()
        if response.status in _REDIRECTS:
            location = response.getheader("Location")
            if not location:
                raise RecordingError(f"The PBX answered HTTP {response.status} without a new address for "
                                     f"{_shown(url)}.")
            return location, None, None
        _raise_for_status(response, url)
        encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
        if encoding != "identity":
            raise RecordingError(f"The PBX sent the recording at {_shown(url)} compressed ({encoding}) although "
                                 "asked not to.")
        data = _read_body(response, url, max_bytes, watchdog.fired)
        content_type = (response.getheader("Content-Type") or "").split(";")[0].strip().lower() or None
        return None, data, content_type
    except (OSError, http.client.HTTPException) as exc:
        if watchdog is not None and watchdog.fired.is_set():
            raise RecordingTimeout(f"Fetching {_shown(url)} took too long.") from exc
        raise _network_error(exc, url) from exc
    finally:
        if watchdog is not None:
            watchdog.cancel()
        connection.close()


def _tls_context(verify):
    if verify is True:
        return ssl.create_default_context()
    if verify is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    try:
        return ssl.create_default_context(cafile=verify)
    except (OSError, ssl.SSLError) as exc:
        raise RecordingError(f"The certificate authorities in {verify!r} cannot be read: {exc}.") from None


def _raise_for_status(response, url):
    status = response.status
    if status in (404, 410):
        raise RecordingMissing(f"The PBX has no recording at {_shown(url)} (HTTP {status}).")
    if status in (401, 403):
        raise RecordingError(f"The PBX refused access to {_shown(url)} (HTTP {status} {response.reason}): "
                             "check the credentials for the recordings.")
    if not 200 <= status < 300:
        raise RecordingError(f"The PBX answered HTTP {status} {response.reason} for {_shown(url)}.")


def _read_body(response, url, max_bytes, cut):
    length = response.getheader("Content-Length", "").strip()
    expected = int(length) if length.isdigit() else None
    if expected is not None and expected > max_bytes:
        raise RecordingTooLarge(f"The recording at {_shown(url)} has {expected} bytes, more than the "
                                f"{max_bytes} allowed.")
    chunks, size = [], 0
    # read1: whatever has arrived, so the size is checked as the data comes (read(n) waits for all n bytes)
    while chunk := response.read1(64 * 1024):
        size += len(chunk)
        if size > max_bytes:
            raise RecordingTooLarge(f"The recording at {_shown(url)} is larger than the {max_bytes} bytes allowed.")
        chunks.append(chunk)
    if cut.is_set():  # the watchdog's cut looks like the end of the body
        raise RecordingTimeout(f"Fetching {_shown(url)} took too long.")
    if expected is not None and size != expected:
        raise RecordingError(f"The connection to the PBX ended after {size} of the {expected} bytes of "
                             f"{_shown(url)}.")
    if not size:
        raise RecordingError(f"The PBX sent an empty recording for {_shown(url)}.")
    return b"".join(chunks)


def _left(deadline, timeout, url):
    left = deadline - time.monotonic()
    if left <= 0:
        raise RecordingTimeout(f"Fetching {_shown(url)} took too long.")
    return left if timeout is None else min(timeout, left)


def _network_error(exc, url):
    if isinstance(exc, TimeoutError):
        return RecordingTimeout(f"The PBX did not answer in time for {_shown(url)}.")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return RecordingError(f"The PBX's certificate is not valid for {_shown(url)}: {exc.verify_message}.")
    if isinstance(exc, http.client.HTTPException):
        return RecordingError(f"The PBX's answer for {_shown(url)} is not valid HTTP: {exc!r}.")
    return RecordingError(f"Could not reach the PBX for {_shown(url)}: {exc.strerror or exc}.")


def _check_same_origin(url, origin, redirected_from=None):
    """The request target (path and query) of ``url``, or :class:`RecordingRefused` when it leaves ``origin``."""
    try:
        if not isinstance(url, str):
            raise RecordingRefused("The recording's address is not text.")
        if _CONTROL.search(url):
            raise RecordingRefused(f"The recording's address contains spaces or control characters: {_shown(url)!r}.")
        found, rest = _parse_url(url, "The recording's address")
        if found != origin:
            raise RecordingRefused(f"Refused to fetch a recording from {found}: recordings may only come from "
                                   f"{origin}, the PBX's own address.")
        _refuse_dot_segments(url)
    except RecordingRefused as exc:
        if redirected_from is None:
            raise
        raise RecordingRefused(f"The PBX redirected {_shown(redirected_from)} elsewhere. {exc}") from None
    target = rest.split("#", 1)[0]
    target = quote(target if target.startswith("/") else "/" + target, safe=_LITERAL_SAFE)
    return target


def _shown(url):
    """The URL without its query: that may hold a token the agents reading the message should not see."""
    return re.split(r"[?#]", url, maxsplit=1)[0]


# -- MP3 -----------------------------------------------------------------------

# Raw formats carry no header: ffmpeg must be told what they are. Keys are file extensions (Asterisk's
# names) and content types.
_RAW_INPUTS = {
    "gsm": ("-f", "gsm", "-ar", "8000", "-ac", "1"),
    "ulaw": ("-f", "mulaw", "-ar", "8000", "-ac", "1"),
    "ul": ("-f", "mulaw", "-ar", "8000", "-ac", "1"),
    "pcm": ("-f", "mulaw", "-ar", "8000", "-ac", "1"),
    "alaw": ("-f", "alaw", "-ar", "8000", "-ac", "1"),
    "al": ("-f", "alaw", "-ar", "8000", "-ac", "1"),
    "sln": ("-f", "s16le", "-ar", "8000", "-ac", "1"),
    "raw": ("-f", "s16le", "-ar", "8000", "-ac", "1"),
    "sln16": ("-f", "s16le", "-ar", "16000", "-ac", "1"),
}
_RAW_CONTENT_TYPES = {
    "audio/gsm": "gsm", "audio/x-gsm": "gsm",
    "audio/basic": "ulaw", "audio/pcmu": "ulaw", "audio/x-mulaw": "ulaw",
    "audio/pcma": "alaw", "audio/x-alaw": "alaw",
}
# Containers that announce themselves; for these the bytes win over a hint.
_SELF_DESCRIBING = (b"RIFF", b"RIFX", b"RF64", b"OggS", b"fLaC", b".snd", b"FORM", b"#!AMR", b"caff")

# MPEG audio Layer III bit rates (kbit/s) by bit-rate index, for MPEG-1 and for MPEG-2/2.5.
_BITRATES_V1 = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_BITRATES_V2 = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def is_mp3(data):
    """Whether ``data`` is MP3: an ID3v2 tag or nothing, then MPEG Layer III frames.

    A frame header alone proves little (any byte pair ``FF Ex`` looks like
    one): when the data is long enough the next frame must start where the
    first one's length says.
    """
    data = memoryview(data)
    start = 0
    if bytes(data[:3]) == b"ID3":
        if len(data) < 10 or data[3] not in (2, 3, 4) or any(b & 0x80 for b in data[6:10]):
            return False
        start = 10 + ((data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9])
        if data[5] & 0x10:  # footer present
            start += 10
    first = _frame_length(data, start)
    if first is None:
        return False
    following = start + first
    return following + 4 > len(data) or _frame_length(data, following) is not None


def _frame_length(data, pos):
    if pos + 4 > len(data):
        return None
    b1, b2, b3 = data[pos + 1], data[pos + 2], data[pos + 3]
    if data[pos] != 0xFF or b1 & 0xE0 != 0xE0:
        return None
    version, layer = (b1 >> 3) & 3, (b1 >> 1) & 3
    bitrate_index, rate_index, padding = b2 >> 4, (b2 >> 2) & 3, (b2 >> 1) & 1
    if version == 1 or layer != 1 or bitrate_index in (0, 15) or rate_index == 3 or b3 & 3 == 2:
        return None  # reserved values, not Layer III, or free format (no length to check)
    rate = _SAMPLE_RATES[version][rate_index]
    if version == 3:
        return 144000 * _BITRATES_V1[bitrate_index] // rate + padding
    return 72000 * _BITRATES_V2[bitrate_index] // rate + padding


def _looks_like_raw_gsm(data):
    # GSM 06.10 as Asterisk writes it: 33-byte frames, each opening with the 0xD signature nibble.
    return len(data) >= 33 and len(data) % 33 == 0 and all(b >> 4 == 0xD for b in data[::33])


def _input_options(data, content_type, format_hint):
    head = bytes(data[:12])
    if head.startswith(_SELF_DESCRIBING) or head[4:8] == b"ftyp":
        return ()
    hint = (format_hint or "").strip()
    if hint:
        if "/" in hint or "." in hint:
            hint = urlsplit(hint).path if "://" in hint else hint
            hint = hint.rsplit("/", 1)[-1].rpartition(".")[2]
        hint = hint.lower()
        if hint in _RAW_INPUTS:
            return _RAW_INPUTS[hint]
    kind = _RAW_CONTENT_TYPES.get((content_type or "").split(";")[0].strip().lower())
    if kind:
        return _RAW_INPUTS[kind]
    if _looks_like_raw_gsm(data):
        return _RAW_INPUTS["gsm"]
    return ()


def to_mp3(data, content_type=None, *, format_hint=None, timeout=120.0, bitrate="32k", ffmpeg="ffmpeg"):
    """``data`` as MP3 bytes: unchanged when it already is MP3 (see :func:`is_mp3`), else encoded by ffmpeg.

    The content type is not trusted to say "already MP3". Raw formats without a
    header are recognised by ``format_hint`` (a URL, file name or extension:
    ``gsm``, ``ulaw``/``ul``/``pcm``, ``alaw``/``al``, ``sln``/``raw``,
    ``sln16``), then by ``content_type`` (``audio/x-gsm``, ``audio/basic``…),
    then raw GSM by its frame signature; anything else (WAV of any codec,
    Ogg, FLAC…) is left to ffmpeg to recognise. Input is piped, so formats
    that need seeking (MP4 with its index at the end) are not supported.

    Output is constant bit rate ``bitrate``, so players can tell the length of
    a file without an index. Raises :class:`RecordingError` when ffmpeg is not
    installed or fails (with its last message line), :class:`RecordingTimeout`
    after ``timeout`` seconds.
    """
    if not data:
        raise RecordingError("The recording is empty.")
    if is_mp3(data):
        return bytes(data)
    binary = shutil.which(ffmpeg)
    if binary is None:
        raise RecordingError(f"ffmpeg is not installed (program {ffmpeg!r} not found): it is needed to play "
                             "recordings as MP3. Install it on the Odoo server (Debian/Ubuntu: apt-get install "
                             "ffmpeg).")
    command = [binary, "-hide_banner", "-loglevel", "error", *_input_options(data, content_type, format_hint),
               "-i", "pipe:0", "-vn", "-map_metadata", "-1", "-codec:a", "libmp3lame", "-b:a", bitrate,
               "-f", "mp3", "pipe:1"]
    try:
        result = subprocess.run(command, input=bytes(data), capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise RecordingTimeout(f"ffmpeg took more than {timeout:g} s to convert the recording.") from exc
    except OSError as exc:
        raise RecordingError(f"ffmpeg could not be started: {exc}") from exc
    lines = [line for line in result.stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    if result.returncode != 0 or not is_mp3(result.stdout):
        reason = lines[-1].strip() if lines else f"exit status {result.returncode}, no MP3 produced"
        raise RecordingError(f"ffmpeg could not convert the recording to MP3: {reason}")
    return result.stdout


# -- helpers -------------------------------------------------------------------

def _template_origin(template):
    """``(Origin, rest)`` of a template, refusing a placeholder anywhere before its path."""
    template = (template or "").strip()
    if not template:
        raise RecordingError("The PBX has no recordings address.")
    if _CONTROL.search(template.replace(" ", "")):
        raise RecordingRefused("The recordings address contains control characters (tab, line break…).")
    head, _sep, _rest = template.partition("://")
    if "{" in head or "}" in head:
        raise RecordingRefused(
            f"The recordings address {template!r} has a placeholder in its scheme. Placeholders may only "
            "appear in the path (after the host name), e.g. https://pbx.example.com/monitor/{call_id}.wav.")
    authority = template[:_authority_end(template)]
    if "{" in authority or "}" in authority:
        raise RecordingRefused(
            f"The recordings address {template!r} has a placeholder in its host, port or user part. "
            "The host must be written out (it must be the PBX's own address); placeholders may only "
            "appear in the path, e.g. https://pbx.example.com/monitor/{call_id}.wav.")
    origin, rest = _parse_url(template, "The recordings address")
    _fields(rest)  # an unknown or malformed placeholder is a configuration error: say so when it is checked
    return origin, rest


def _authority_end(url):
    # Like browsers and urllib3, the authority ends at the first / ? # or backslash.
    start = url.find("://")
    start = 0 if start < 0 else start + 3
    match = re.compile(r"[/?#\\]").search(url, start)
    return match.start() if match else len(url)


def _parse_url(url, what):
    """``(Origin, rest)`` of an absolute http(s) URL, or :class:`RecordingRefused`."""
    scheme, sep, _rest = url.partition("://")
    if not sep or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme):
        raise RecordingRefused(f"{what} {_shown(url)!r} must start with http:// or https://.")
    scheme = scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise RecordingRefused(f"{what} uses {scheme}://; only http:// and https:// are allowed.")
    end = _authority_end(url)
    authority, rest = url[len(scheme) + 3:end], url[end:]
    if rest.startswith("\\"):
        raise RecordingRefused(f"{what} {_shown(url)!r} has a backslash right after its host; write / instead.")
    if "@" in authority:
        raise RecordingRefused(f"{what} must not contain a user name or password (the part before @); "
                               "give the credentials for the recordings separately.")
    if "%" in authority:
        raise RecordingRefused(f"{what} has a percent-encoded host; write the host name plainly.")
    match = re.fullmatch(r"(\[[^\]]*\]|[^:\[\]]*)(?::(\d{1,5}))?", authority)
    if not match:
        raise RecordingRefused(f"{what} {_shown(url)!r} has no valid host[:port].")
    host = _normalise_host(match[1][1:-1] if match[1].startswith("[") else match[1], what)
    if match[1].startswith("[") != (":" in host):
        raise RecordingRefused(f"{what} {_shown(url)!r} has no valid host: IPv6 addresses go in [brackets], "
                               "nothing else.")
    port = int(match[2]) if match[2] else DEFAULT_PORTS[scheme]
    if not 0 < port < 65536:
        raise RecordingRefused(f"{what} has port {port}, which does not exist.")
    origin = Origin(scheme, host, port)
    # Belt and braces: the standard parser must read the same origin as the one checked.
    try:
        parsed = urlsplit(url)
        same = (parsed.hostname is not None and not parsed.username and parsed.password is None
                and _normalise_host(parsed.hostname, what) == host and (parsed.port or port) == port)
    except ValueError:
        same = False
    if not same:
        raise RecordingRefused(f"{what} {_shown(url)!r} is ambiguous about its host.")
    return origin, rest


def _normalise_host(host, what):
    host = host.strip()
    if not host:
        raise RecordingRefused(f"{what} has no host.")
    if ":" in host:
        try:
            address = ipaddress.IPv6Address(host)
        except ValueError:
            raise RecordingRefused(f"{what} has an invalid IPv6 address {host!r}.") from None
        if address.scope_id:
            raise RecordingRefused(f"{what} has an IPv6 address with a zone (%{address.scope_id}); leave it out.")
        return str(address)
    if re.fullmatch(r"[0-9.]+", host):
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            raise RecordingRefused(f"{what} has an invalid IPv4 address {host!r}.") from None
    try:
        ascii_host = host.rstrip(".").encode("idna").decode("ascii").lower() if host != "." else ""
    except UnicodeError:
        raise RecordingRefused(f"{what} has an invalid host name {host!r}.") from None
    if not ascii_host or len(ascii_host) > 253 or not all(_LABEL.fullmatch(label) for label in ascii_host.split(".")):
        raise RecordingRefused(f"{what} has an invalid host name {host!r}.")
    return ascii_host


def _check_pbx_host(origin, pbx_host):
    pbx = _pbx_hostname(pbx_host)
    if origin.host != pbx:
        raise RecordingRefused(
            f"The recordings address points at {origin.host}, but the PBX's address is {pbx}. Recordings "
            "are only fetched from the PBX itself; write the PBX's address in the recordings address "
            "(or correct the PBX's address).")


def _pbx_hostname(pbx_host):
    value = (pbx_host or "").strip()
    if not value:
        raise RecordingRefused("The PBX has no address, so its recordings address cannot be checked: recordings "
                               "are only fetched from the PBX's own address. Fill in the PBX's address.")
    if "://" in value:
        value = value.split("://", 1)[1]
    value = re.split(r"[/?#]", value, maxsplit=1)[0]
    if "@" in value:
        raise RecordingRefused(f"The PBX's address {pbx_host!r} contains a user name (@); give only the host.")
    if value.startswith("[") and "]" in value:
        value = value[1:value.index("]")]
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    return _normalise_host(value, "The PBX's address")


def _as_origin(value):
    try:
        scheme, host, port = value
    except (TypeError, ValueError):
        raise RecordingRefused(f"Not an origin (scheme, host, port): {value!r}.") from None
    scheme = str(scheme).lower()
    if scheme not in DEFAULT_PORTS:
        raise RecordingRefused(f"Recordings may only come over http or https, not {scheme}.")
    return Origin(scheme, _normalise_host(str(host), "The PBX's address"), int(port or DEFAULT_PORTS[scheme]))


def _fields(rest):
    """``[(literal, placeholder or None)]`` of the template's part after the host."""
    try:
        parsed = list(string.Formatter().parse(rest))
    except ValueError as exc:
        raise RecordingError(f"The recordings address has an unbalanced brace ({exc}); write {{{{ or }}}} "
                             "for a literal brace.") from None
    fields = []
    for literal, name, spec, conversion in parsed:
        if name is not None and name not in PLACEHOLDERS:
            raise RecordingError(f"The recordings address has an unknown placeholder {{{name}}}. Known: "
                                 + ", ".join(f"{{{known}}}" for known in PLACEHOLDERS) + ".")
        if spec or conversion:
            raise RecordingError(f"The placeholder {{{name}}} of the recordings address must be written "
                                 "plainly, without a format (:…) or conversion (!…).")
        fields.append((literal, name))
    return fields


def _checked_value(name, value):
    folded = unicodedata.normalize("NFKC", value)
    if folded == "." or ".." in folded:
        raise RecordingRefused(f"The call's {name.replace('_', ' ')} {value!r} is '.' or holds '..', which would "
                               "lead out of the recordings folder; refused.")
    return value


def _refuse_dot_segments(url):
    path = urlsplit(url).path
    for segment in path.split("/"):
        if unquote(segment) in (".", ".."):
            raise RecordingRefused(f"The recording's address {_shown(url)} contains a '.' or '..' folder; refused.")
