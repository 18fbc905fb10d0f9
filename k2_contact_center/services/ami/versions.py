"""Which Asterisk a manager interface belongs to, and whether its calls can be
followed: the tracker reads the events of Asterisk 12 and later (AMI 2.0+).

Asterisk 11 and older (AMI 1.x) name the same facts differently (``Dial``
with ``SubEvent: Begin/End``, ``Bridge``, ``Link``/``Unlink``,
``Masquerade``, queue ``Join``/``Leave``); read as if they were newer, one
answered call becomes several cancelled ones. Such a PBX is refused with a
message that names it, rather than followed wrongly.
"""

import re

_BANNER = re.compile(r"Asterisk Call Manager/(\d+)\.(\d+)")
# Events only Asterisk 11 and older send (their names were reused by none since).
LEGACY_EVENTS = frozenset({"Dial", "Bridge", "Link", "Unlink", "Masquerade", "Join", "Leave", "Transfer"})


def ami_version(banner):
    """``(major, minor)`` of the AMI greeting ``Asterisk Call Manager/1.3``, or None."""
    match = _BANNER.search(banner or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def unsupported_banner(banner):
    """Why a PBX greeting with ``banner`` cannot be followed, or None."""
    version = ami_version(banner)
    if version is None or version[0] >= 2:
        return None
    return (f"This PBX speaks AMI {version[0]}.{version[1]} (Asterisk 11 or older), which is not supported: "
            "its calls would be recorded wrongly. Upgrade the PBX to Asterisk 13 or later.")


def unsupported_event(event):
    """Why a stream holding ``event`` cannot be followed, or None."""
    if event.get("Event") in LEGACY_EVENTS:
        return (f"The stream holds {event['Event']} events of Asterisk 11 or older (AMI 1.x), which is not "
                "supported: its calls would be recorded wrongly. Record it on Asterisk 13 or later.")
    return None
