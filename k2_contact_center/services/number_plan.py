"""A PBX's number plan: which numbers are its extensions, which endpoints are trunks.

Patterns use the K2 notation: ``X`` stands for any digit, every other
character must be there as written (``2XX`` is 200-299). A public number
reaches an extension when it is the country prefix, then the extension prefix,
then digits that fit a pattern (``+420 2211 2`` + ``XX``).
"""

import re
from dataclasses import dataclass, field

from . import numbers

_PATTERN_CHARS = re.compile(r"^[0-9X*#]+$")


class PatternError(ValueError):
    """An extension pattern that is not digits and ``X``."""


def parse_patterns(text):
    """Split a pattern list typed by an administrator (commas, spaces or lines)."""
    if not text:
        return ()
    if isinstance(text, (list, tuple)):
        items = text
    else:
        items = re.split(r"[\s,;]+", text)
    patterns = []
    for item in items:
        item = item.strip().upper()
        if not item:
            continue
        if not _PATTERN_CHARS.match(item):
            raise PatternError(f"Extension pattern {item!r} may hold only digits and X.")
        patterns.append(item)
    return tuple(patterns)


def parse_names(text):
    """Split a list of trunk endpoint names (commas, spaces or lines)."""
    if not text:
        return ()
    items = text if isinstance(text, (list, tuple)) else re.split(r"[\s,;]+", text)
    return tuple(item.strip() for item in items if item and item.strip())


def _pattern_regex(patterns):
    if not patterns:
        return None
    alternatives = "|".join(re.escape(p).replace("X", "[0-9]") for p in patterns)
    return re.compile(rf"^(?:{alternatives})$")


@dataclass(frozen=True)
class NumberPlan:
    country: str | None = None
    country_prefix: str = ""
    extension_prefix: str = ""
    extension_patterns: tuple = ()
    trunks: tuple = ()
    outside_prefix: str = ""
    international_prefix: str = "00"
    _regex: re.Pattern | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self):
        object.__setattr__(self, "extension_patterns", parse_patterns(self.extension_patterns))
        object.__setattr__(self, "trunks", parse_names(self.trunks))
        object.__setattr__(self, "_regex", _pattern_regex(self.extension_patterns))

    @classmethod
    def from_dict(cls, data):
        """Build from the ``plan`` of a trace's ``expected.json`` or replay options."""
        patterns = data.get("extension_pattern") or data.get("extension_patterns") or ()
        if isinstance(patterns, str):
            patterns = [patterns]
        return cls(
            country=data.get("country"),
            country_prefix=data.get("country_prefix", ""),
            extension_prefix=data.get("extension_prefix", ""),
            extension_patterns=tuple(patterns),
            trunks=tuple(data.get("trunks") or ()),
            outside_prefix=data.get("outside_prefix", ""),
            international_prefix=data.get("international_prefix", "00"),
        )

    def is_extension(self, number):
        """True when ``number`` as dialled inside the PBX is one of its extensions."""
        if not self._regex or not isinstance(number, str):
            return False
        return bool(self._regex.match(number.strip()))

    def is_trunk(self, endpoint):
        """True for a trunk endpoint, given as ``SIP/name``, ``PJSIP/name`` or ``name``,
        with or without the channel's unique suffix (``-0000001a``)."""
        if not endpoint or not self.trunks:
            return False
        name = endpoint.split("/", 1)[-1]
        for trunk in self.trunks:
            bare = trunk.split("/", 1)[-1]
            if name == bare or name.startswith(bare + "-"):
                return True
        return False

    def extension_of(self, number):
        """The extension ``number`` reaches: itself when it is one, the tail of a
        public number (DID) that leads to one, else ``None``."""
        if self.is_extension(number):
            return number.strip()
        if not self._regex:
            return None
        dialled = numbers.digits(number).lstrip("+")
        e164 = numbers.to_e164(number, self.country, self.international_prefix)
        if e164:
            dialled = e164.lstrip("+")
        head = numbers.digits(self.country_prefix).lstrip("+") + numbers.digits(self.extension_prefix)
        if not head or not dialled.startswith(head):
            return None
        tail = dialled[len(head):]
        return tail if self._regex.match(tail) else None

    def normalise(self, number):
        """E.164 of an external number as the PBX reports it (outside-line
        prefix dropped), ``None`` for extensions and junk."""
        if not isinstance(number, str) or self.is_extension(number):
            return None
        dialled = numbers.digits(number)
        forms = [dialled]
        if self.outside_prefix and dialled.startswith(self.outside_prefix) and not dialled.startswith("+"):
            forms.insert(0, dialled[len(self.outside_prefix):])
        readings = [numbers.read(form, self.country, self.international_prefix) for form in forms]
        readings = [reading for reading in readings if reading]
        # A valid reading beats a merely possible one (0049... with the outside
        # line 0 is the German number, not a Czech 049...); among equals, the
        # outside-line prefix is taken off first.
        best = max(readings, key=lambda reading: reading.valid, default=None)
        return best.e164 if best else None

    def dial_string(self, number):
        """What the PBX must dial to reach ``number`` from an internal phone:
        the outside-line prefix, then the number as dialled in the PBX's country.
        Extensions are dialled as they are. ``None`` when it is no number."""
        if self.is_extension(number):
            return number.strip()
        e164 = numbers.to_e164(number, self.country, self.international_prefix)
        if not e164:
            return None
        local = numbers.dial_string(e164, self.country, self.international_prefix)
        return f"{self.outside_prefix}{local}"
