"""scripts/same_tests: the test command fails when Odoo's runner and pytest-odoo ran different tests."""

import importlib.machinery
import importlib.util
import pathlib

SCRIPT = pathlib.Path(__file__).resolve().parent.parent / "scripts" / "same_tests"
_loader = importlib.machinery.SourceFileLoader("same_tests", str(SCRIPT))
same_tests = importlib.util.module_from_spec(importlib.util.spec_from_loader("same_tests", _loader))
_loader.exec_module(same_tests)

ODOO_LOG = """\
2026-12-01 20:29:48,149 1041 INFO db odoo.addons.k2_contact_center.tests.test_ui: Starting TestCallCardUi.test_card ...
2026-12-01 20:29:49,149 1 INFO db odoo.addons.k2_contact_center.tests.test_ui.T.t.browser: Starting A.test_b ...
2026-12-01 20:29:50,149 1041 INFO db odoo.addons.k2_contact_center.tests.test_call: Starting TestCall.test_type ...
2026-12-01 20:29:51,149 1041 INFO db odoo.addons.k2_contact_center.tests.test_ui: Starting TestLiveCallUi.test_live ...
2026-12-01 20:29:51,150 1 INFO db odoo.addons.k2_contact_center.tests.test_ui: skipped TestLiveCallUi.test_live : CRM
2026-12-01 20:29:52,149 1041 INFO db odoo.addons.crm.tests.test_lead: Starting TestLead.test_other_addon ...
"""

JUNIT = b"""<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">
<testcase classname="odoo.addons.k2_contact_center.tests.test_ui.TestCallCardUi" name="test_card" time="1"/>
<testcase classname="odoo.addons.k2_contact_center.tests.test_call.TestCall" name="test_type" time="1">
<failure message="boom">boom</failure></testcase>
<testcase classname="odoo.addons.k2_contact_center.tests.test_ui.TestLiveCallUi" name="test_live" time="0">
<skipped message="needs CRM"/></testcase>
</testsuite></testsuites>"""


def test_both_sides_name_tests_alike_and_skips_do_not_count():
    odoo_ran, odoo_skipped = same_tests.odoo_tests(ODOO_LOG)
    pytest_ran, pytest_skipped = same_tests.pytest_tests(JUNIT)
    assert odoo_ran == pytest_ran == {"test_ui.TestCallCardUi.test_card", "test_call.TestCall.test_type"}
    assert odoo_skipped == pytest_skipped == {"test_ui.TestLiveCallUi.test_live"}
    lines, same = same_tests.compare(odoo_ran, pytest_ran)
    assert same
    assert lines == ["Odoo's runner and pytest-odoo ran the same 2 tests"]


def test_a_test_module_one_runner_misses_fails_the_check():
    odoo_ran, _skipped = same_tests.odoo_tests(ODOO_LOG)
    pytest_ran = odoo_ran | {"test_recording.TestRecording.test_ssrf"}
    lines, same = same_tests.compare(odoo_ran, pytest_ran)
    assert not same
    assert "only pytest-odoo ran test_recording.TestRecording.test_ssrf" in lines


def test_nothing_run_is_no_success():
    assert same_tests.compare(set(), set()) == (["neither runner ran any test"], False)
