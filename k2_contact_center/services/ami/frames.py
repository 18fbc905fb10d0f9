"""Robust framing of the Asterisk Manager Interface (AMI) text protocol.

An AMI stream is a sequence of blocks (events, responses) made of
``Key: value`` lines and ended by a blank line; lines end with CRLF or LF.
This module turns such a stream, fed in arbitrary chunks, into ``dict``
objects (header -> value, in header order, keys and values stripped).

Pure Python, no ``odoo`` import, no I/O except :func:`read_ami_file`.
It never raises on bad input; it skips and counts instead:

- two events run together without a blank line: a second ``Event:`` header
  inside a block starts a new event (``merged_events``);
- lines without a colon are skipped (``lines_without_colon``), except the
  ``Asterisk Call Manager/x.y`` greeting, kept in :attr:`AmiFrameParser.banner`;
- bytes that are not UTF-8 are decoded with U+FFFD (``decode_errors`` counts
  the lines concerned); UTF-8 text such as Czech diacritics stays intact;
- a line longer than ``max_line_bytes`` is dropped (``oversized_lines``);
- a block with more than ``max_headers`` headers or ``max_block_bytes`` bytes
  is dropped up to its blank line or next ``Event:`` (``oversized_blocks``).

A header repeated inside one block keeps its first value, except for the
headers in :data:`MULTI_HEADERS` (``ChanVariable``...) whose values are
joined with ``"\\n"`` so a consumer reading one string never sees a list.

Usage by a network connector::

    parser = AmiFrameParser()
    for event in parser.feed(chunk):   # bytes as received, any split
        ...
    parser.flush()                     # at end of stream: the last block
"""

MULTI_HEADERS = frozenset({"ChanVariable", "Variable", "Output"})

_BANNER = "Asterisk Call Manager"


class AmiFrameParser:
    """Incremental AMI framer: ``feed(bytes) -> list[dict]``.

    :attr:`errors` is a dict of counters (see module docstring);
    :attr:`banner` the greeting line when one was seen.
    """

    def __init__(self, max_line_bytes=65536, max_headers=512, max_block_bytes=1 << 20):
        self.max_line_bytes = max_line_bytes
        self.max_headers = max_headers
        self.max_block_bytes = max_block_bytes
        self.banner = None
        self.errors = {
            "lines_without_colon": 0,
            "merged_events": 0,
            "decode_errors": 0,
            "oversized_lines": 0,
            "oversized_blocks": 0,
        }
        self._buffer = b""
        self._skipping_line = False  # inside an oversized line, drop up to its newline
        self._skipping_block = False  # inside an oversized block, drop up to its end
        self._block = {}
        self._block_bytes = 0

    # -- public -----------------------------------------------------------

    def feed(self, data):
        """Take the next chunk of the stream (``bytes`` or ``str``), return the
        blocks it completed, in order."""
        if isinstance(data, str):
            data = data.encode("utf-8", "replace")
        elif not isinstance(data, (bytes, bytearray, memoryview)):
            return []
        out = []
        buffer = self._buffer + bytes(data) if self._buffer else bytes(data)
        end = buffer.rfind(b"\n")
        if end >= 0:
            complete, rest = buffer[:end], buffer[end + 1:]
            try:  # the whole run of complete lines is valid UTF-8
                text = complete.decode("utf-8")
            except UnicodeDecodeError:
                text = None
            if text is not None and not self._skipping_line:
                self._blocks(text, out)
            else:
                lines = text.split("\n") if text is not None else complete.split(b"\n")
                if self._skipping_line:  # tail of an oversized line
                    self._skipping_line = False
                    lines = lines[1:]
                line_fn = self._line
                for line in lines:
                    line_fn(line, out)
        else:
            rest = buffer
        if self._skipping_line:
            rest = b""
        elif len(rest) > self.max_line_bytes:
            self.errors["oversized_lines"] += 1
            self._skipping_line = True
            rest = b""
        self._buffer = rest
        return out

    def flush(self):
        """End of stream: return the block still pending (a stream may lack
        its final blank line) and reset the partial-line state."""
        out = []
        if self._buffer and not self._skipping_line:
            self._line(self._buffer, out)
        self._buffer = b""
        self._skipping_line = False
        self._end_block(out)
        self._skipping_block = False
        return out

    @property
    def error_count(self):
        return sum(self.errors.values())

    # -- internals --------------------------------------------------------

    def _end_block(self, out):
        if self._block:
            out.append(self._block)
        self._block = {}
        self._block_bytes = 0

    def _blocks(self, text, out):
        """Complete lines of valid UTF-8 (``text``, without its last newline):
        a whole block between two blank lines is read in one go when it is
        plain (see :meth:`_plain_block`), the rest line by line, with the
        same result. A PBX at full speed sends many blocks per read."""
        crlf = "\r" in text
        separator = "\r\n\r\n" if crlf else "\n\n"
        if text.endswith(separator[:-1]):
            text += "\n"  # the buffer ended with a blank line: the last block is complete
        chunks = text.split(separator)
        last = len(chunks) - 1
        line_fn = self._line
        for index, chunk in enumerate(chunks):
            if index < last:
                if index or not (self._block or self._skipping_block):
                    block = self._plain_block(chunk, crlf)
                    if block is not None:
                        out.append(block)
                        continue
                # the separator took the last line's CR and the blank line
                for line in (chunk + "\r" if crlf else chunk).split("\n"):
                    line_fn(line, out)
                line_fn("", out)
            else:
                for line in chunk.split("\n"):
                    line_fn(line, out)

    def _plain_block(self, chunk, crlf):
        """The block ``chunk`` (its lines, no blank line) when nothing in it
        needs :meth:`_line`'s care: every line a header, each key once, no
        line or block over the limits, one kind of line end; else None."""
        lines = chunk.split("\r\n") if crlf else chunk.split("\n")
        if (len(lines) > self.max_headers or len(chunk) * 4 > self.max_line_bytes
                or len(chunk) + 2 * len(lines) > self.max_block_bytes
                or (crlf and chunk.count("\n") != len(lines) - 1)):
            return None
        block = {}
        for line in lines:
            key, sep, value = line.partition(":")
            key = key.strip()
            if not sep or not key:
                return None
            block[key] = value.strip()
        if len(block) != len(lines):  # a header twice (a multi-value one, or a second Event)
            return None
        return block

    def _line(self, raw, out):
        """One line, ``str`` (already decoded) or ``bytes``."""
        if raw.__class__ is str:
            if len(raw) * 4 > self.max_line_bytes and len(raw.encode("utf-8")) > self.max_line_bytes + 1:
                self.errors["oversized_lines"] += 1
                return
            line = raw
        else:
            if raw.endswith(b"\r"):
                raw = raw[:-1]
            if len(raw) > self.max_line_bytes:
                self.errors["oversized_lines"] += 1
                return
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                self.errors["decode_errors"] += 1
                line = raw.decode("utf-8", "replace")
        line = line.strip()
        if not line:
            if self._skipping_block:
                self._skipping_block = False
            else:
                self._end_block(out)
            return
        key, sep, value = line.partition(":")
        key = key.strip()
        if not sep or not key:
            if line.startswith(_BANNER) and not self._block:
                self.banner = line
            else:
                self.errors["lines_without_colon"] += 1
            return
        value = value.strip()
        block = self._block
        if key == "Event":
            if self._skipping_block:
                self._skipping_block = False
            elif "Event" in block:
                self.errors["merged_events"] += 1
                self._end_block(out)
                block = self._block
        if self._skipping_block:
            return
        self._block_bytes += len(line) + 2
        if len(block) >= self.max_headers or self._block_bytes > self.max_block_bytes:
            self.errors["oversized_blocks"] += 1
            self._block = {}
            self._block_bytes = 0
            self._skipping_block = True
            return
        if key in block:
            if key in MULTI_HEADERS:
                block[key] = block[key] + "\n" + value
            return
        block[key] = value


def parse_ami(data, **limits):
    """All blocks of a complete AMI text (``bytes`` or ``str``)."""
    parser = AmiFrameParser(**limits)
    return parser.feed(data) + parser.flush()


def iter_ami_file(path, chunk_size=65536, parser=None):
    """Yield the blocks of an ``.ami`` recording, reading it in chunks."""
    parser = parser or AmiFrameParser()
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(chunk_size)
            if not chunk:
                break
            yield from parser.feed(chunk)
    yield from parser.flush()


def read_ami_file(path, parser=None):
    """The list of blocks (dicts) of an ``.ami`` recording."""
    return list(iter_ami_file(path, parser=parser))
