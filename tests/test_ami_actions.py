"""Whatever people type, an AMI action stays exactly one action with each
header once: the guarded builder (services.ami.actions), property-based, and
the bytes panoramisk really writes."""

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k2_contact_center.services.ami import actions as ami_actions
from k2_contact_center.services.ami.actions import AmiAction, UnsafeActionError

# Any text, with the characters that matter to AMI's framing drawn often.
DANGEROUS = st.sampled_from(["\r", "\n", "\r\n", "\x00", ":", '"', "<", ">", "\\", ",", "=", " ", "\u2028", "\x85"])
TEXT = st.lists(st.one_of(st.text(max_size=12), DANGEROUS), max_size=12).map("".join)
NUMBER = st.from_regex(r"\+?[0-9]{3,15}", fullmatch=True)
WORD = st.from_regex(r"[A-Za-z0-9/@._-]{1,20}", fullmatch=True)


def wire(action):
    """The bytes panoramisk writes for ``action`` (its Action needs a loop)."""
    async def render():
        return str(action.to_panoramisk()).encode("utf-8")
    return asyncio.run(render())


def parse_one(data):
    """The headers of the single action in ``data``; fails unless ``data`` is
    exactly one action (one blank-line end, nothing after it) whose lines are
    all ``Name: value``."""
    text = data.decode("utf-8")
    assert text.endswith("\r\n\r\n")
    body = text[:-4]
    assert "\r\n\r\n" not in body and "\n\n" not in body.replace("\r\n", "\n")
    assert "\r" not in body.replace("\r\n", "") and "\n" not in body.replace("\r\n", "")
    headers = []
    for line in body.split("\r\n"):
        name, sep, value = line.partition(": ")
        assert sep, line
        headers.append((name, value))
    return headers


def single(headers):
    names = [name.lower() for name, _ in headers if name.lower() != "variable"]
    assert len(names) == len(set(names)), headers
    return dict(headers)


@settings(max_examples=300, deadline=None)
@given(name=TEXT, number=NUMBER, extension=st.sampled_from(["201", "PJSIP/201", "Local/201@from-internal"]),
       user=st.integers(min_value=1, max_value=10**9))
def test_click_to_call_originate_is_one_action_whatever_the_contact_is_called(name, number, extension, user):
    action = ami_actions.originate(extension, number, "from-internal",
                                   caller_id=ami_actions.caller_id(name, number), variables={"K2CC_USER": user})
    headers = parse_one(wire(action))
    values = single(headers)
    assert values["Action"] == "Originate"
    assert values["Channel"] == extension
    assert values["Exten"] == number
    assert values["Context"] == "from-internal"
    assert [v for k, v in headers if k == "Variable"] == [f"K2CC_USER={user}"]
    shown = values["CallerID"]
    assert shown.endswith(f"<{number}>")
    quoted = shown[: -len(f"<{number}>")].strip()
    if quoted:  # one quoted name holding no quote, bracket or backslash
        assert quoted[0] == quoted[-1] == '"'
        assert not set(quoted[1:-1]) & set('"<>\\\r\n\x00')


@settings(max_examples=200, deadline=None)
@given(reason=TEXT, member=TEXT, queue=WORD, interface=WORD, paused=st.booleans())
def test_queue_and_pause_actions_carry_any_reason_as_one_header(reason, member, queue, interface, paused):
    pause = single(parse_one(wire(ami_actions.queue_pause(interface, paused, queue, reason))))
    assert pause["Action"] == "QueuePause" and pause["Interface"] == interface and pause["Queue"] == queue
    assert pause["Paused"] == ("true" if paused else "false")
    assert pause.get("Reason", "") == ami_actions.clean_text(reason)
    add = single(parse_one(wire(ami_actions.queue_add(queue, interface, member_name=member, paused=paused))))
    assert add["Action"] == "QueueAdd" and add["Queue"] == queue and add["Interface"] == interface
    assert add.get("MemberName", "") == ami_actions.clean_text(member, ami_actions.NAME_LIMIT)
    remove = single(parse_one(wire(ami_actions.queue_remove(queue, interface))))
    assert (remove["Action"], remove["Queue"], remove["Interface"]) == ("QueueRemove", queue, interface)


@settings(max_examples=200, deadline=None)
@given(target=TEXT, channel=WORD)
def test_transfer_targets_are_one_word_or_refused(target, channel):
    for build in (lambda: ami_actions.blind_transfer(channel, target, "from-internal"),
                  lambda: ami_actions.attended_transfer(channel, target, "from-internal"),
                  lambda: ami_actions.redirect(channel, target, "from-internal")):
        try:
            action = build()
        except UnsafeActionError:
            assert not target or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in target) \
                or len(target) > 200
            continue
        values = single(parse_one(wire(action)))
        assert values["Exten"] == target and values["Channel"] == channel


@settings(max_examples=300, deadline=None)
@given(key=st.sampled_from(["Channel", "Exten", "CallerID", "Reason", "Secret"]), value=TEXT)
def test_the_builder_refuses_any_value_that_would_break_the_frame(key, value):
    if any(c in value for c in "\r\n\x00"):
        with pytest.raises(UnsafeActionError, match="line break or NUL"):
            AmiAction("Originate", **{key: value})
    else:
        assert single(parse_one(wire(AmiAction("Originate", **{key: value}))))[key] == value


@pytest.mark.parametrize("name", ["", "Bad Name", "Exten:", "Caller\nID", "Ä", "Channel\r"])
def test_header_and_action_names_must_be_tokens(name):
    with pytest.raises(UnsafeActionError, match="not an AMI header name"):
        AmiAction("Originate", **{name: "x"})
    with pytest.raises(UnsafeActionError, match="not an AMI header name"):
        AmiAction(name)


def test_a_header_given_twice_or_an_action_id_is_refused():
    with pytest.raises(UnsafeActionError, match="given twice"):
        AmiAction("Originate", Channel="PJSIP/201", channel="PJSIP/666")
    with pytest.raises(UnsafeActionError, match="given twice"):
        AmiAction("Originate", ActionID="forged")
    with pytest.raises(UnsafeActionError, match="cannot be repeated"):
        AmiAction("Originate", Exten=["1", "2"])


def test_people_text_is_folded_bounded_and_quoted():
    assert ami_actions.clean_text("Eve\r\nExten: 009\x00  x") == "Eve Exten: 009 x"
    assert len(ami_actions.clean_text("a" * 1000)) == ami_actions.TEXT_LIMIT
    assert ami_actions.caller_id('Eve "the boss" <x>\r\nExten: 1', "+420601123456") == \
        '"Eve the boss x Exten: 1" <+420601123456>'
    assert ami_actions.caller_id("\r\n", "201") == "<201>"
    for bad in ("", "601 123", "601\r\nExten: 1", "abc", "1" * 41):
        with pytest.raises(UnsafeActionError):
            ami_actions.dial_number(bad)
    with pytest.raises(UnsafeActionError, match="comma"):
        ami_actions.variable("K2CC_USER", "1,EVIL=2")


def test_the_connector_sends_nothing_but_guarded_actions():
    from k2_contact_center.services.ami.connector import AmiConnector  # noqa: PLC0415

    connector = AmiConnector()
    with pytest.raises(TypeError, match="AmiAction"):
        asyncio.run(connector._send(object(), {"Action": "Originate", "Channel": "x\r\nExten: 1"}, 1))


def test_the_simulator_receives_exactly_the_originate_intended_for_a_crafted_name():
    from k2_contact_center.services.ami.connector import run_once  # noqa: PLC0415
    from k2_contact_center.services.ami.simulator import SimulatorThread  # noqa: PLC0415

    crafted = ("Eve\r\nExten: 0090012345678\r\nChannel: Local/0090012345678@from-internal\r\n\r\n"
               "Action: Originate\r\nChannel: Local/0090012345678@from-internal\r\nExten: 0090012345678")
    sim = SimulatorThread(username="odoo", secret="s3cret", extensions=("201", "202"))
    port = sim.start()
    try:
        action = ami_actions.originate("Local/201@from-internal", "0603555777", "from-internal",
                                       caller_id=ami_actions.caller_id(crafted, "0603555777"),
                                       variables={"K2CC_USER": 7})
        answer = run_once("127.0.0.1", port, "odoo", "s3cret",
                          lambda connector: connector.send_action(action, first_response=True), timeout=5)
        assert answer["Response"] == "Success"
        seen = sim.run(lambda s: [dict(a) for a in s.actions_seen if a.get("Action") not in ("Login", "Logoff")])
    finally:
        sim.stop()
    assert [a["Action"] for a in seen] == ["Originate"]
    assert (seen[0]["Channel"], seen[0]["Exten"]) == ("Local/201@from-internal", "0603555777")
    assert seen[0]["CallerID"].endswith('" <0603555777>') and "\n" not in seen[0]["CallerID"]
