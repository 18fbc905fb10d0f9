"""Replay an AMI or ARI recording through the call tracker, print the call records.

Usage (from the repository root, no Odoo needed)::

    python -m k2_contact_center.services.replay TRACE.ami|STREAM.jsonl \\
        [--ari] [--extension-pattern XXX]... [--trunk NAME]... [--country NL]

Prints one JSON object per finished call, one per line. Calls still open at
the end of the trace are not printed; their count goes to stderr, as do the
framing errors of the trace. An ARI stream (a web PBX's WebSocket events, one
JSON object per line) is recognised by its content, or forced with ``--ari``;
it is read through the same translation the bridge uses.
"""

import argparse
import json
import sys

from .ami.frames import AmiFrameParser, iter_ami_file
from .ami.versions import unsupported_event
from .ari.events import AriTranslator, read_ari_file, translate_events
from .number_plan import NumberPlan
from .tracking.calls import CallTracker


def is_ari_stream(path):
    """Whether the recording holds ARI events (JSON lines) rather than AMI frames."""
    with open(path, encoding="utf-8", errors="replace") as stream:
        for line in stream:
            line = line.strip()
            if line and not line.startswith("#"):
                return line.startswith("{")
    return False


def replay(path, plan, endpoints=None, parser=None, ari=None, translator=None):
    """Finished call records (dicts) of the ``.ami`` file (or ARI stream:
    ``ari`` True, or None to tell by the content), and the tracker.
    Raises :class:`Unsupported` for a stream of Asterisk 11 or older."""
    tracker = CallTracker(plan, endpoints=endpoints)
    records = []
    if ari is None:
        ari = is_ari_stream(path)
    if ari:
        events = translate_events(read_ari_file(path), translator or AriTranslator())
    else:
        events = iter_ami_file(path, parser=parser)
    for event in events:
        refused = unsupported_event(event)
        if refused:
            raise Unsupported(refused)
        for item in tracker.feed(event):
            if item.kind == "record":
                records.append(item.data)
    return records, tracker


class Unsupported(ValueError):
    """The stream is from an Asterisk whose calls the tracker cannot follow."""


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m k2_contact_center.services.replay",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("trace", help="AMI recording (.ami) or ARI stream (JSON lines)")
    parser.add_argument("--ari", action="store_true", default=None,
                        help="read the recording as an ARI stream (else told by its content)")
    parser.add_argument("--extension-pattern", action="append", default=[],
                        help="extension pattern, X = any digit (repeatable)")
    parser.add_argument("--trunk", action="append", default=[],
                        help="trunk endpoint name (repeatable)")
    parser.add_argument("--country", default=None, help="default country, e.g. NL")
    args = parser.parse_args(argv)
    plan = NumberPlan.from_dict({
        "extension_pattern": args.extension_pattern,
        "trunks": args.trunk,
        "country": args.country,
    })
    frames = AmiFrameParser()
    translator = AriTranslator()
    try:
        records, tracker = replay(args.trace, plan, parser=frames, ari=args.ari, translator=translator)
    except (OSError, Unsupported) as error:
        sys.stderr.write(f"replay: {error} No records printed.\n" if isinstance(error, Unsupported)
                         else f"replay: {error}\n")
        return 2
    out = sys.stdout
    for record in records:
        # "adopted" is the bridge's (calls taken up after a restart): a replay has none
        out.write(json.dumps({k: v for k, v in record.items() if k != "adopted"}, ensure_ascii=False) + "\n")
    out.flush()
    still_open = len(tracker.open_calls())
    if still_open:
        sys.stderr.write(f"replay: {still_open} call(s) still open at the end of the trace, not printed\n")
    if frames.error_count:
        sys.stderr.write(f"replay: framing errors {frames.errors}\n")
    if translator.errors:
        sys.stderr.write(f"replay: ARI events skipped {translator.errors}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
