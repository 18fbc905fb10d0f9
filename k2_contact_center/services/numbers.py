"""Phone numbers as PBXs send them, turned into one canonical E.164 form.

Everything here is pure (no ``odoo`` import) and total: any string in, a
result or ``None`` out, never an exception. Callers store and index the E.164
form, so the same number typed ten different ways meets itself in one index
probe.
"""

import re
from functools import lru_cache
from typing import NamedTuple

import phonenumbers

# Longer inputs are not phone numbers; phonenumbers itself refuses > 250 chars.
_MAX_INPUT = 64
# A national number shorter than this is an internal extension, not a phone.
_MIN_NATIONAL_DIGITS = 7
_MIN_INTERNATIONAL_DIGITS = 10
_NOT_DIALABLE = re.compile(r"[^0-9+]")
_WITHHELD = {"anonymous", "unknown", "restricted", "private", "unavailable", "withheld"}
# Readings kept for numbers met again (a caller calling back, the agent's
# card reading the number the bridge just read): parsing one costs more than
# finding its contact.
_READINGS_KEPT = 4096


def digits(number):
    """Only the digits of ``number`` (keeps a leading ``+``); ``""`` for junk."""
    if not isinstance(number, str):
        return ""
    cleaned = _NOT_DIALABLE.sub("", number.strip()[:_MAX_INPUT])
    head, tail = cleaned[:1], cleaned[1:].replace("+", "")
    return head + tail


def is_withheld(number):
    """True for the placeholders PBXs send when the caller hides the number."""
    return isinstance(number, str) and number.strip().lower() in _WITHHELD


def _parse(text, region):
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if len(str(parsed.national_number)) < _MIN_NATIONAL_DIGITS:
        return None
    return parsed


class Reading(NamedTuple):
    """What ``number`` is read as: its E.164 form, and whether phonenumbers'
    metadata knows its range (``valid``) or it only has a length the country's
    numbers can have (a new range, one the metadata lags behind, a private or
    M2M range, or a typing error)."""

    e164: str
    valid: bool


def read(number, country=None, international_prefix=None):
    """The ``Reading`` of ``number`` (arguments as for ``parse``), or ``None``."""
    if not isinstance(number, str):
        return None
    if len(number) > _MAX_INPUT:  # no phone number: not worth a place among the kept readings
        return _read.__wrapped__(number, country, international_prefix)
    return _read(number, country, international_prefix)


@lru_cache(maxsize=_READINGS_KEPT)
def _read(number, country, international_prefix):
    parsed, valid = _best_reading(number, country, international_prefix)
    if parsed is None:
        return None
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if not valid:
        # A number phonenumbers only calls possible can read back differently
        # (``+4301000000``: its 0 taken for a national prefix): the canonical
        # form is the one that reads back as itself, so a stored number meets
        # its lookup.
        again, _valid = _best_reading(e164, None, None)
        if again is not None:
            e164 = phonenumbers.format_number(again, phonenumbers.PhoneNumberFormat.E164)
    return Reading(e164, valid)


def _is_possible(parsed):
    # A local-only length (a US number without its area code) is no whole number.
    return phonenumbers.is_possible_number_with_reason(parsed) == phonenumbers.ValidationResult.IS_POSSIBLE


def parse(number, country=None, international_prefix=None):
    """Parse ``number`` into a ``phonenumbers.PhoneNumber``, or ``None``.

    ``country`` (ISO 3166 alpha-2) reads national numbers; ``international_prefix``
    (e.g. ``"00"`` or ``"011"``) is the PBX's access code for abroad, which is
    not always the one of ``country``. A number given without any prefix but
    starting with a country code (``420601123456``) is read as international
    when it makes no sense as a national number. A valid reading wins; else
    the first possible one, national before international: as a person reads
    the digits, so that a number the metadata does not know still meets
    itself however it is written.
    """
    return _best_reading(number, country, international_prefix)[0]


def _best_reading(number, country, international_prefix):
    """``(PhoneNumber, valid)`` of ``parse``, ``(None, False)`` for no number."""
    if is_withheld(number):
        return None, False
    dialled = digits(number)
    if len(dialled.lstrip("+")) < 3:
        return None, False
    region = (country or "").upper() or None
    if not dialled.startswith("+"):
        for prefix in filter(None, (international_prefix, "00")):
            if dialled.startswith(prefix) and len(dialled) > len(prefix) + 6:
                dialled = "+" + dialled[len(prefix):]
                break
    if dialled.startswith("+"):
        candidates = [(dialled, None)]
    else:
        candidates = [(dialled, region)] if region else []
        # Written without "+" but with a country code (420601123456)? Only a
        # number long enough to hold one and a whole national number.
        if len(dialled) >= _MIN_INTERNATIONAL_DIGITS:
            candidates.append(("+" + dialled, None))
    possible = None
    for text, text_region in candidates:
        parsed = _parse(text, text_region)
        if parsed is None:
            continue
        if phonenumbers.is_valid_number(parsed):
            return parsed, True
        if possible is None and _is_possible(parsed):
            possible = parsed
    return possible, False


def to_e164(number, country=None, international_prefix=None):
    """Canonical ``+<cc><national>`` form of ``number``, or ``None`` (see ``read``)."""
    reading = read(number, country, international_prefix)
    return reading.e164 if reading else None


def region_of(number, country=None, international_prefix=None):
    """ISO country code the number belongs to (``"DE"`` for ``+4930…``), or ``None``."""
    parsed = parse(number, country, international_prefix)
    if parsed is None:
        return None
    return phonenumbers.region_code_for_number(parsed)


def format_international(number, country=None):
    """Human-readable international form (``+420 601 123 456``), or the input as typed."""
    parsed = parse(number, country)
    if parsed is None:
        return number or ""
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def dial_string(e164, country=None, international_prefix="00"):
    """What a phone in ``country`` dials to reach ``e164``: national digits at
    home, the PBX's international access code plus country code abroad."""
    parsed = parse(e164, country)
    if parsed is None:
        return None
    home = country and phonenumbers.country_code_for_region(country.upper())
    national = phonenumbers.national_significant_number(parsed)
    if home and parsed.country_code == home:
        prefix = phonenumbers.PhoneMetadata.metadata_for_region(country.upper()).national_prefix or ""
        return prefix + national
    return f"{international_prefix or '00'}{parsed.country_code}{national}"
