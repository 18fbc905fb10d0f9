"""The number plan: extension patterns, DIDs, trunks, dialling out."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from k2_contact_center.services.number_plan import NumberPlan, PatternError, parse_patterns

PLAN = NumberPlan(
    country="CZ",
    country_prefix="+420",
    extension_prefix="221122",
    extension_patterns="2XX, 3XXX",
    trunks="PJSIP/o2-trunk, voip-out",
    outside_prefix="0",
)


def test_patterns_match_whole_extensions_only():
    assert PLAN.is_extension("201")
    assert PLAN.is_extension("3999")
    assert not PLAN.is_extension("401")
    assert not PLAN.is_extension("20")
    assert not PLAN.is_extension("2011")
    assert not PLAN.is_extension("+420221122201")
    assert not PLAN.is_extension(None)


def test_public_number_leads_to_extension():
    assert PLAN.extension_of("+420 221 122 201") == "201"
    assert PLAN.extension_of("00420221122201") == "201"
    assert PLAN.extension_of("221122201") == "201"
    assert PLAN.extension_of("201") == "201"
    assert PLAN.extension_of("+420 601 123 456") is None
    assert PLAN.extension_of("junk") is None


def test_trunks_by_endpoint_or_channel():
    assert PLAN.is_trunk("PJSIP/o2-trunk")
    assert PLAN.is_trunk("PJSIP/o2-trunk-0000002a")
    assert PLAN.is_trunk("SIP/voip-out-00000001")
    assert not PLAN.is_trunk("PJSIP/201-00000001")
    assert not PLAN.is_trunk("")
    assert not NumberPlan().is_trunk("PJSIP/o2-trunk")


def test_normalise_drops_outside_prefix():
    assert PLAN.normalise("0601123456") == "+420601123456"
    assert PLAN.normalise("00049301234567") == "+49301234567"
    assert PLAN.normalise("+420601123456") == "+420601123456"
    assert PLAN.normalise("201") is None


def test_normalise_prefers_a_valid_reading_over_a_possible_one():
    """0049... is the German number, not a Czech 049... with the outside line taken off;
    a number of a range the metadata does not know reads the same with the prefix or without."""
    assert PLAN.normalise("0049307654321") == "+49307654321"
    assert PLAN.normalise("0989123456") == PLAN.normalise("989123456") == "+420989123456"


def test_dial_string_for_click_to_call():
    assert PLAN.dial_string("+420 601 123 456") == "0601123456"
    assert PLAN.dial_string("+49 30 1234567") == "00049301234567"
    assert PLAN.dial_string("202") == "202"
    assert PLAN.dial_string("hello") is None


def test_plan_from_trace_expectations():
    plan = NumberPlan.from_dict({"extension_pattern": ["2XX", "401"], "trunks": ["voipgrid"], "country": "NL"})
    assert plan.is_extension("401") and plan.is_extension("203") and not plan.is_extension("402")
    assert plan.is_trunk("SIP/voipgrid-000001")


@pytest.mark.parametrize("bad", ["2YY", "2X-X", "ext"])
def test_bad_patterns_refused(bad):
    with pytest.raises(PatternError):
        parse_patterns(bad)


def test_pattern_list_separators():
    assert parse_patterns("2XX,3xxx\n4XX ;5XX") == ("2XX", "3XXX", "4XX", "5XX")
    assert parse_patterns("") == ()


@given(st.text(max_size=40))
def test_plan_never_raises_on_arbitrary_input(text):
    PLAN.is_extension(text)
    PLAN.extension_of(text)
    PLAN.is_trunk(text)
    normalised = PLAN.normalise(text)
    assert normalised is None or normalised.startswith("+")
    dialled = PLAN.dial_string(text)
    assert dialled is None or dialled.isdigit() or PLAN.is_extension(text)
