"""Ingest speed of the AMI pipeline on simulator-generated traffic (prints figures).

    python3 bench/ingest_tracker.py [CALLS]

- CallTracker alone (events already parsed),
- AmiFrameParser on the same events rendered as AMI bytes (64 KiB chunks),
- panoramisk's own parser on the same bytes (its ``AMIProtocol.data_received``
  splitting + ``Message.from_line``), as a ceiling for comparison.
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from panoramisk.message import Message  # noqa: E402

from k2_contact_center.services.ami_frames import AmiFrameParser  # noqa: E402
from k2_contact_center.services.call_tracker import CallTracker  # noqa: E402
from k2_contact_center.services.number_plan import NumberPlan  # noqa: E402
from k2_contact_center.services.simulator import TrafficGenerator, render  # noqa: E402

CHUNK = 65536


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main(calls=5000):
    plan = NumberPlan.from_dict({"extension_pattern": ["2XX", "6XX"], "trunks": ["k2-trunk"], "country": "CZ"})
    seconds, (events, expected) = timed(lambda: TrafficGenerator(seed=1, calls_per_minute=60).generate(calls))
    data = b"".join(render(e) for e in events)
    chunks = [data[i:i + CHUNK] for i in range(0, len(data), CHUNK)]
    n = len(events)
    print(f"traffic: {calls} calls, {n} events ({n / calls:.1f}/call), {len(data) / 1e6:.1f} MB, "
          f"generated in {seconds:.2f}s")

    def track():
        tracker = CallTracker(plan)
        records = 0
        for event in events:
            for item in tracker.feed(event):
                records += item.kind == "record"
        return records
    seconds, records = timed(track)
    print(f"CallTracker alone:        {n / seconds:>10,.0f} events/s  ({records} records, {len(expected)} expected)")

    def frame():
        parser = AmiFrameParser()
        count = 0
        for chunk in chunks:
            count += len(parser.feed(chunk))
        return count + len(parser.flush())
    seconds, count = timed(frame)
    rate = len(data) / seconds / 1e6
    print(f"AmiFrameParser:           {n / seconds:>10,.0f} events/s  ({count} blocks, {rate:.1f} MB/s)")

    def panoramisk_parse():
        # what AMIProtocol.data_received does per chunk: decode, join with the
        # leftover, split on blank lines, Message.from_line per block
        leftover = ""
        count = 0
        for chunk in chunks:
            text = leftover + chunk.decode("utf8", "ignore")
            blocks = text.split("\r\n\r\n")
            leftover = blocks.pop(-1)
            for block in blocks:
                if Message.from_line(block.strip()) is not None:
                    count += 1
        return count
    seconds, count = timed(panoramisk_parse)
    rate = len(data) / seconds / 1e6
    print(f"panoramisk parser:        {n / seconds:>10,.0f} events/s  ({count} blocks, {rate:.1f} MB/s)")

    def both():
        parser = AmiFrameParser()
        tracker = CallTracker(plan)
        for chunk in chunks:
            for event in parser.feed(chunk):
                tracker.feed(event)
    seconds, _ = timed(both)
    print(f"AmiFrameParser+tracker:   {n / seconds:>10,.0f} events/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
