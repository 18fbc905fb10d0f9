"""Number normalisation: the forms PBXs and people use, and junk that must not raise."""

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from k2_contact_center.services import numbers


@pytest.mark.parametrize(
    "raw",
    [
        "+420601123456",
        "00420601123456",
        "420601123456",
        "601123456",
        "601 123 456",
        "601-123-456",
        "(601) 123 456",
        "+420 (601) 123-456",
        "  +420 601 123 456\t",
        "+420.601.123.456",
    ],
)
def test_czech_forms_meet_in_e164(raw):
    assert numbers.to_e164(raw, "CZ") == "+420601123456"


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("030 1234567", "DE", "+49301234567"),
        ("+49 30 1234567", "CZ", "+49301234567"),
        ("0049301234567", "CZ", "+49301234567"),
        ("0905 123 456", "SK", "+421905123456"),
        ("(650) 253-0000", "US", "+16502530000"),
        ("011 420 601 123 456", None, None),
    ],
)
def test_national_forms_read_in_their_country(raw, country, expected):
    assert numbers.to_e164(raw, country) == expected


def test_pbx_international_prefix_other_than_00():
    assert numbers.to_e164("011420601123456", "US", international_prefix="011") == "+420601123456"
    assert numbers.to_e164("011420601123456", "CZ", international_prefix="011") == "+420601123456"


def test_country_code_without_plus_when_national_reading_fails():
    assert numbers.to_e164("420601123456", "US") == "+420601123456"
    assert numbers.to_e164("420601123456") == "+420601123456"


def test_national_number_of_another_country_is_not_misread():
    """A German 030 1234567 typed on a Czech contact is no German number, nor a valid Czech one."""
    reading = numbers.read("030 1234567", "CZ")
    assert reading.e164 != "+49301234567"
    assert not reading.valid


@pytest.mark.parametrize(
    ("typed", "country", "sent"),
    [
        # ranges phonenumbers' metadata does not know (yet): possible, not valid
        ("989 123 456", "CZ", ["989123456", "+420989123456", "00420989123456", "420989123456"]),
        ("+420 989 123 456", None, ["989123456", "+420 989 123 456"]),
        ("0929 123 456", "SK", ["0929123456", "+421929123456", "00421929123456"]),
    ],
)
def test_possible_number_meets_itself_as_a_valid_one_does(typed, country, sent):
    """Kept in E.164 and flagged; the digits a PBX sends for it read the same."""
    reading = numbers.read(typed, country)
    assert reading is not None and not reading.valid
    for number in sent:
        assert numbers.to_e164(number, country or "CZ") == reading.e164


def test_valid_numbers_say_so():
    assert numbers.read("601 123 456", "CZ") == numbers.Reading("+420601123456", True)
    assert numbers.read("+49 30 1234567") == numbers.Reading("+49301234567", True)


def test_local_only_number_is_no_number():
    """A US number without its area code cannot be written in E.164."""
    assert numbers.to_e164("253-0000", "US") is None


@pytest.mark.parametrize(
    "junk",
    ["", None, 42, "anonymous", "Anonymous ", "unknown", "Restricted", "201", "2", "+", "abc", "0" * 80,
     "+999 123", "😀", "\x00\x01\x02", "1" * 5000],
)
def test_junk_and_extensions_give_none(junk):
    assert numbers.to_e164(junk, "CZ") is None


def test_region_and_formatting():
    assert numbers.region_of("+49301234567") == "DE"
    assert numbers.region_of("0905123456", "SK") == "SK"
    assert numbers.format_international("601123456", "CZ") == "+420 601 123 456"
    assert numbers.format_international("not a number", "CZ") == "not a number"


def test_dial_string_national_at_home_international_abroad():
    assert numbers.dial_string("+420601123456", "CZ") == "601123456"
    assert numbers.dial_string("+49301234567", "CZ") == "0049301234567"
    assert numbers.dial_string("+49301234567", "DE") == "0301234567"
    assert numbers.dial_string("+420601123456", "US", "011") == "011420601123456"
    assert numbers.dial_string("garbage", "CZ") is None


def test_digits_keeps_one_leading_plus():
    assert numbers.digits(" +420 (601) 123-456 ") == "+420601123456"
    assert numbers.digits("42+0") == "420"
    assert numbers.digits(None) == ""


@given(st.text())
def test_arbitrary_text_never_raises(text):
    result = numbers.to_e164(text, "CZ")
    assert result is None or (result.startswith("+") and result[1:].isdigit())


@given(st.text(alphabet="0123456789+-() .", max_size=30), st.sampled_from([None, "CZ", "DE", "US", "xx", ""]))
@example("43001000000", None)  # only "possible": its E.164 form read back lost a 0
def test_arbitrary_dialable_strings_never_raise(text, country):
    result = numbers.to_e164(text, country)
    assert result is None or result == numbers.to_e164(result)


@given(st.binary(max_size=40))
def test_arbitrary_bytes_decoded_never_raise(raw):
    result = numbers.to_e164(raw.decode("utf-8", "replace"), "CZ")
    assert result is None or result[1:].isdigit()


def test_short_national_number_of_another_country_is_not_taken_for_international():
    """A Czech 601184355 typed on a German contact is not Malaysia's +60 118 4355:
    it is read in Germany, where it is possible but not valid."""
    assert numbers.read("601184355", "DE") == numbers.Reading("+49601184355", False)
    assert numbers.to_e164("601184355", "CZ") == "+420601184355"


def test_kept_readings_are_those_of_their_country_and_prefix():
    """Readings are kept for numbers met again; the same digits read in
    another country, or with another international prefix, are read anew."""
    for _round in range(2):
        assert numbers.to_e164("601123456", "CZ") == "+420601123456"
        assert numbers.to_e164("601123456", "DE") == "+49601123456"
        assert numbers.to_e164("011420601123456", "US", "011") == "+420601123456"
        assert numbers.to_e164("011420601123456", "CZ", "00") is None
    kept = numbers._read.cache_info().currsize
    assert numbers.to_e164("9" * 5000, "CZ") is None
    assert numbers._read.cache_info().currsize == kept, "junk takes no place among the kept readings"
