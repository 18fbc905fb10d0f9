"""AMI framing: blocks, CRLF/LF, garbage, merged events, bad bytes, caps, chunking."""

from hypothesis import given, settings
from hypothesis import strategies as st

from k2_contact_center.services.ami.frames import AmiFrameParser, parse_ami, read_ami_file

SAMPLE = (
    "Asterisk Call Manager/7.0.3\r\n"
    "Event: Newchannel\r\nChannel: PJSIP/201-00000001\r\nCallerIDName:  Antonín Dvořák \r\n"
    "Uniqueid: 1.1\r\n\r\n"
    "Event: Hangup\nUniqueid: 1.1\nCause: 16\n\n"
).encode()


def test_blocks_crlf_and_lf_header_order_and_stripping():
    parser = AmiFrameParser()
    events = parser.feed(SAMPLE)
    assert events == [
        {"Event": "Newchannel", "Channel": "PJSIP/201-00000001",
         "CallerIDName": "Antonín Dvořák", "Uniqueid": "1.1"},
        {"Event": "Hangup", "Uniqueid": "1.1", "Cause": "16"},
    ]
    assert list(events[0]) == ["Event", "Channel", "CallerIDName", "Uniqueid"]
    assert parser.banner == "Asterisk Call Manager/7.0.3"
    assert parser.error_count == 0
    assert parser.flush() == []


def test_value_with_colons_and_empty_value():
    assert parse_ami(b"Event: X\r\nAddress: 10.0.0.1:5060\r\nEmpty:\r\n\r\n") == [
        {"Event": "X", "Address": "10.0.0.1:5060", "Empty": ""}]


def test_merged_events_without_blank_line():
    parser = AmiFrameParser()
    events = parser.feed(b"Event: A\r\nUniqueid: 1\r\nEvent: B\r\nUniqueid: 2\r\n\r\n")
    assert events == [{"Event": "A", "Uniqueid": "1"}, {"Event": "B", "Uniqueid": "2"}]
    assert parser.errors["merged_events"] == 1


def test_lines_without_colon_are_skipped_and_counted():
    parser = AmiFrameParser()
    events = parser.feed(b"Event: A\r\nthis is junk\r\nKey: v\r\n: novalue\r\n\r\n")
    assert events == [{"Event": "A", "Key": "v"}]
    assert parser.errors["lines_without_colon"] == 2


def test_bad_bytes_are_replaced_never_raise():
    parser = AmiFrameParser()
    events = parser.feed(b"Event: A\r\nCallerIDName: Dvo\xf8\xe1k\r\nOk: \xc5\x99\r\n\r\n")
    assert events[0]["CallerIDName"] == "Dvo\ufffd\ufffdk"
    assert events[0]["Ok"] == "ř"
    assert parser.errors["decode_errors"] == 1


def test_oversized_line_is_dropped():
    parser = AmiFrameParser(max_line_bytes=64)
    data = b"Event: A\r\nHuge: " + b"x" * 500 + b"\r\nKey: v\r\n\r\n"
    events = [e for i in range(0, len(data), 10) for e in parser.feed(data[i:i + 10])]
    assert events == [{"Event": "A", "Key": "v"}]
    assert parser.errors["oversized_lines"] == 1


def test_oversized_block_is_dropped_until_its_end():
    parser = AmiFrameParser(max_headers=5)
    big = b"Event: Big\r\n" + b"".join(b"H%d: v\r\n" % i for i in range(20)) + b"\r\n"
    events = parser.feed(big + b"Event: Small\r\nK: v\r\n\r\n")
    assert events == [{"Event": "Small", "K": "v"}]
    assert parser.errors["oversized_blocks"] == 1
    parser = AmiFrameParser(max_block_bytes=100)
    events = parser.feed(b"Event: Big\r\n" + b"K%d: 1234567890\r\n" * 0 + b"".join(
        b"K%d: 1234567890\r\n" % i for i in range(20)) + b"\r\nEvent: S\r\n\r\n")
    assert events == [{"Event": "S"}]
    assert parser.errors["oversized_blocks"] == 1


def test_repeated_headers():
    events = parse_ami(b"Event: A\r\nChanVariable: a=1\r\nChanVariable: b=2\r\nKey: 1\r\nKey: 2\r\n\r\n")
    assert events == [{"Event": "A", "ChanVariable": "a=1\nb=2", "Key": "1"}]


def test_flush_returns_last_block_without_blank_line():
    parser = AmiFrameParser()
    assert parser.feed(b"Event: A\r\nKey: v") == []
    assert parser.flush() == [{"Event": "A", "Key": "v"}]


def test_str_input_and_file(tmp_path):
    assert parse_ami(SAMPLE.decode("utf-8"))[0]["CallerIDName"] == "Antonín Dvořák"
    path = tmp_path / "t.ami"
    path.write_bytes(SAMPLE)
    assert read_ami_file(path) == parse_ami(SAMPLE)


def test_split_at_every_byte_position():
    data = SAMPLE + b"Event: C\r\nBad: \xff\r\nEvent: D\r\njunk\r\n\r\n"
    expected = parse_ami(data)
    assert len(expected) == 4
    for cut in range(len(data) + 1):
        parser = AmiFrameParser()
        events = parser.feed(data[:cut]) + parser.feed(data[cut:]) + parser.flush()
        assert events == expected, cut
    parser = AmiFrameParser()
    events = [e for i in range(len(data)) for e in parser.feed(data[i:i + 1])] + parser.flush()
    assert events == expected


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000), st.lists(st.integers(min_value=0, max_value=2000), max_size=8))
def test_arbitrary_bytes_never_raise(data, cuts):
    parser = AmiFrameParser(max_line_bytes=100, max_headers=10, max_block_bytes=400)
    events = []
    previous = 0
    for cut in sorted(c for c in cuts if c <= len(data)) + [len(data)]:
        events.extend(parser.feed(data[previous:cut]))
        previous = cut
    events.extend(parser.flush())
    for event in events:
        assert isinstance(event, dict) and event
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in event.items())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.dictionaries(st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,10}", fullmatch=True),
                                st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")),
                                        max_size=20).map(str.strip),
                                min_size=1, max_size=6), max_size=5),
       st.integers(min_value=1, max_value=50))
def test_round_trip_any_chunk_size(blocks, chunk):
    blocks = [{k: v for k, v in b.items() if k != "Event"} for b in blocks]
    blocks = [b for b in blocks if b]
    text = "".join("".join(f"{k}: {v}\r\n" for k, v in b.items()) + "\r\n" for b in blocks)
    data = text.encode("utf-8")
    parser = AmiFrameParser()
    events = [e for i in range(0, len(data), chunk) for e in parser.feed(data[i:i + chunk])]
    assert events + parser.flush() == blocks


_LINES = st.sampled_from([
    "Event: Newchannel", "Event: Hangup", "Channel: PJSIP/201-0000001", "Uniqueid: 1700000000.1",
    "Linkedid: 1700000000.1", "CallerIDName: Antonín Dvořák", "  Spaced :  value  ", "ChanVariable: a=1",
    "ChanVariable: b=2", "junk without colon", ": no key", "", "   ", "Asterisk Call Manager/5.0.1",
    "Long: " + "x" * 90, "Value: a\rb", "Key:", "Output: line",
])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_LINES, st.sampled_from(["\r\n", "\n", "\r\n", "\r\n"])), max_size=60),
       st.integers(min_value=0, max_value=4), st.booleans())
def test_whole_blocks_read_as_line_by_line(lines, split, garble):
    """Blocks read in one go (a PBX at full speed) give what reading the
    same stream line by line gives: the same events, errors and banner."""
    data = "".join(line + end for line, end in lines).encode("utf-8")
    if garble and data:
        data = data[: len(data) // 2] + b"\xff" + data[len(data) // 2:]
    limits = {"max_line_bytes": 64, "max_headers": 6, "max_block_bytes": 200}
    whole = AmiFrameParser(**limits)
    cut = len(data) // split if split else len(data)
    parts = [data[:cut], data[cut:]]
    events = [event for part in parts for event in whole.feed(part)] + whole.flush()
    byte = AmiFrameParser(**limits)
    expected = [event for i in range(len(data)) for event in byte.feed(data[i:i + 1])] + byte.flush()
    assert events == expected
    assert whole.errors == byte.errors
    assert whole.banner == byte.banner
