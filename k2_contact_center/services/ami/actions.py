"""The one place where AMI actions are written: checked headers, cleaned people's text.

Every action the addon sends to an Asterisk manager is an :class:`AmiAction`
made here; the connector sends nothing else. A header name must be an AMI
token and no value may hold CR, LF or NUL, so text can never become a header
or an action of its own (AMI header injection). What people type (a contact's
name, a reason, a number) goes through :func:`clean_text`,
:func:`caller_id` and :func:`dial_number` first: folded, bounded, quoted.

Pure Python, no ``odoo`` import.
"""

import re

from panoramisk import actions as pk_actions

# RFC 9110 token characters: what Asterisk's manager accepts as a header name
# (it splits at the first ':' and compares names case-insensitively).
_TOKEN = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+\Z")
_FORBIDDEN = re.compile(r"[\r\n\x00]")
# Control characters (C0, DEL, C1) and the Unicode line and paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# Headers an action may carry several times (Asterisk reads each one).
_REPEATABLE = frozenset({"variable"})
# What Asterisk's ast_callerid_parse reads as the end of a quoted name or the
# start of the number; a name keeps none of them.
_NAME_BREAKERS = re.compile(r'["<>\\]+')
# A number Asterisk may dial: digits, the keypad's * and #, a leading +.
_DIAL_NUMBER = re.compile(r"\+?[0-9*#]{1,40}\Z")
NAME_LIMIT = 80
TEXT_LIMIT = 200


class UnsafeActionError(ValueError):
    """An AMI action would not be exactly one action with the headers given."""


def clean_text(value, limit=TEXT_LIMIT):
    """Text a person typed, fit for one header value: control characters and
    line breaks folded to one space, runs of blanks shrunk, at most ``limit``
    characters."""
    text = _CONTROL.sub(" ", str(value or ""))
    return " ".join(text.split())[:limit].strip()


def caller_id(name, number):
    """``"name" <number>`` as Asterisk parses a caller ID: the name cleaned of
    line breaks, quotes and angle brackets (which would end it early), the
    number as :func:`dial_number` allows it."""
    number = dial_number(number)
    name = clean_text(_NAME_BREAKERS.sub(" ", clean_text(name, NAME_LIMIT * 2)), NAME_LIMIT)
    return f'"{name}" <{number}>' if name else f"<{number}>"


def dial_number(value):
    """``value`` if it is a number the PBX may dial (digits, ``*``, ``#``, a
    leading ``+``), else :class:`UnsafeActionError`."""
    text = str(value or "")
    if not _DIAL_NUMBER.match(text):
        raise UnsafeActionError(f"{text[:40]!r} is not a number the PBX can dial")
    return text


def variable(name, value):
    """One ``Variable`` header value ``name=value``: Asterisk splits a
    Variable header at commas too, so neither part may hold one."""
    name = str(name)
    if not _TOKEN.match(name) or "=" in name:
        raise UnsafeActionError(f"{name[:40]!r} is not a channel variable name")
    text = clean_text(value)
    if "," in text:
        raise UnsafeActionError(f"the value of channel variable {name} holds a comma")
    return f"{name}={text}"


class AmiAction:
    """One AMI action whose headers were checked (see the module docstring).

    ``AmiAction("Originate", Channel="PJSIP/201", Exten="0601123456", ...)``;
    a value may be a list for a repeatable header (``Variable``). Values are
    written with ``str()``; ``None`` leaves the header out."""

    __slots__ = ("headers", "name")

    def __init__(self, name, **headers):
        _check_name(name)
        self.name = name
        self.headers = {}
        seen = {"action", "actionid"}
        for key, value in headers.items():
            if value is None:
                continue
            _check_name(key)
            if key.lower() in seen:
                raise UnsafeActionError(f"AMI header {key} is given twice")
            seen.add(key.lower())
            values = value if isinstance(value, (list, tuple)) else [value]
            if len(values) != 1 and key.lower() not in _REPEATABLE:
                raise UnsafeActionError(f"AMI header {key} cannot be repeated")
            for item in values:
                _check_value(key, item)
            self.headers[key] = [str(item) for item in values] if isinstance(value, (list, tuple)) else str(value)

    def __getitem__(self, key):
        return self.name if key.lower() == "action" else self.headers[key]

    def get(self, key, default=None):
        return self.name if key.lower() == "action" else self.headers.get(key, default)

    def __repr__(self):
        shown = {k: ("***" if k.lower() == "secret" else v) for k, v in self.headers.items()}
        return f"AmiAction({self.name!r}, {shown!r})"

    def to_panoramisk(self, as_list=None):
        """The panoramisk action that serialises and tracks this one; create
        it inside the connector's event loop (it makes an asyncio future)."""
        return pk_actions.Action({"Action": self.name, **self.headers}, as_list=as_list)

    def wire(self, action_id="1"):
        """The bytes of this action on the wire, as panoramisk writes them."""
        action = dict(self.headers, Action=self.name, ActionID=action_id)
        lines = []
        for key, value in sorted(action.items()):
            lines.extend(f"{key}: {item}" for item in (value if isinstance(value, list) else [value]))
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


def _check_name(name):
    if not isinstance(name, str) or not _TOKEN.match(name):
        raise UnsafeActionError(f"{str(name)[:40]!r} is not an AMI header name")


def _check_value(key, value):
    if isinstance(value, (list, tuple, dict, set)):
        raise UnsafeActionError(f"AMI header {key} holds a nested value")
    if _FORBIDDEN.search(str(value)):
        raise UnsafeActionError(f"AMI header {key} holds a line break or NUL: refused")


# -- the actions the addon sends ----------------------------------------------
# Dialplan places and interfaces come from the administrator's configuration
# or the PBX; they are single words in Asterisk, so a blank in one is refused
# rather than silently sent somewhere else.
_PLACE = re.compile(r"[^\s\x00-\x1f\x7f]{1,200}\Z")


def place(kind, value):
    """A channel, interface, context, extension or queue name: one word."""
    text = str(value or "")
    if not _PLACE.match(text):
        raise UnsafeActionError(f"{text[:40]!r} is not a valid {kind}")
    return text


def originate(channel, exten, context, priority=1, caller_id=None, variables=None, timeout=60.0, account=None):
    """The asynchronous ``Originate`` of ``channel`` to ``exten``@``context``
    (``timeout`` in seconds; ``variables`` a dict of channel variables;
    ``caller_id`` made by :func:`caller_id`)."""
    return AmiAction("Originate", Channel=place("channel", channel), Exten=place("extension", exten),
                     Context=place("context", context), Priority=int(priority), Async="true",
                     Timeout=int(timeout * 1000), CallerID=caller_id or None,
                     Account=clean_text(account) or None,
                     Variable=[variable(k, v) for k, v in (variables or {}).items()] or None)


def queue_add(queue, interface, member_name=None, paused=False, penalty=None, state_interface=None):
    """``QueueAdd``: ``interface`` (``PJSIP/201``) joins ``queue``."""
    return AmiAction("QueueAdd", Queue=place("queue", queue), Interface=place("interface", interface),
                     MemberName=clean_text(member_name, NAME_LIMIT) or None, Paused="true" if paused else "false",
                     Penalty=None if penalty is None else int(penalty),
                     StateInterface=place("interface", state_interface) if state_interface else None)


def queue_remove(queue, interface):
    """``QueueRemove``: ``interface`` leaves ``queue``."""
    return AmiAction("QueueRemove", Queue=place("queue", queue), Interface=place("interface", interface))


def queue_pause(interface, paused, queue=None, reason=None):
    """``QueuePause``: pause (or resume) ``interface`` in ``queue``, or in all
    its queues without one; ``reason`` is what the agent chose."""
    return AmiAction("QueuePause", Interface=place("interface", interface), Paused="true" if paused else "false",
                     Queue=place("queue", queue) if queue else None, Reason=clean_text(reason) or None)


def blind_transfer(channel, exten, context):
    """``BlindTransfer``: send the party bridged with ``channel`` to ``exten``@``context``."""
    return AmiAction("BlindTransfer", Channel=place("channel", channel), Exten=place("extension", exten),
                     Context=place("context", context))


def attended_transfer(channel, exten, context=None):
    """``Atxfer``: ``channel`` consults ``exten`` before handing its party over."""
    return AmiAction("Atxfer", Channel=place("channel", channel), Exten=place("extension", exten),
                     Context=place("context", context) if context else None)


def hangup(channel):
    """``Hangup``: end ``channel`` (an attended transfer's transferer completes it, its target cancels it)."""
    return AmiAction("Hangup", Channel=place("channel", channel))


def redirect(channel, exten, context, priority=1):
    """``Redirect``: move ``channel`` itself to ``exten``@``context``."""
    return AmiAction("Redirect", Channel=place("channel", channel), Exten=place("extension", exten),
                     Context=place("context", context), Priority=int(priority))


def status_actions():
    """What the bridge asks after every (re)connect to know the PBX's present:
    its live channels, queues with members and callers, device and hint states."""
    return [AmiAction("CoreShowChannels"), AmiAction("QueueStatus"), AmiAction("DeviceStateList"),
            AmiAction("ExtensionStateList")]
