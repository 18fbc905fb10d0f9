"""Calls run by Stasis applications, as the call tracker must see them.

Pure Python: no ``odoo`` import, no I/O. :class:`StasisCalls` is a part of
:class:`..events.AriTranslator` (a mixin): it holds what the translator must
know of the applications on the PBX to give one caller's call the shape an
``app_queue`` call has over AMI.

A real web PBX is an application (ARI's ``Stasis``): it answers the caller,
plays prompts, keeps the caller in a *holding* bridge, creates the agent's
channel itself (``POST /channels``: a ``Dial`` with a ``peer`` and no
``caller``) and moves both into a *mixing* bridge. Read as plain events,
that is two calls (the agent's leg "internal, cancelled", the caller's never
answered). Here:

- **Helper channels** (``UnicastRTP/`` of ExternalMedia, ``Snoop/``,
  ``Announcer/``, ``Recorder/``, ``AudioSocket/``, ``WebSocket/``) carry media
  for recording, speech or playback: nothing of theirs is translated, they
  are never calls nor parties.
- **The waiting place.** A caller entering a holding bridge joins a queue
  named after the bridge (its ``name``; a bridge without a name gives the
  application's name): ``QueueCallerJoin``. Leaving it gives
  ``QueueCallerLeave``, preceded by ``QueueCallerAbandon`` when the caller's
  hang-up was requested (the caller gave up).
- **The agent's leg.** A ``Dial`` without a ``caller`` whose channel is new
  (an application's or an originate's) belongs, while callers are held by an
  application (in a holding bridge, or in ``Stasis`` and bridged with nobody),
  to the caller who has waited longest among those no agent rings for yet
  (else the longest waiting): Asterisk does not tell which caller an
  application dials for, and a queue serves the first in line. It is
  translated as the caller's ``DialBegin`` (with ``AgentCalled`` in the
  queue). Channels the addon originates itself (their id starts with
  :data:`OWN_PREFIX`) are never taken for an agent's leg.
- **Answered when bridged.** The agent's answer to the application is not
  the caller's: the ``Dial`` ``ANSWER`` of such a leg is not passed on; the
  leg is answered when it enters a mixing bridge, and when the caller is in
  that bridge too ``AgentConnect`` ends the caller's wait. A leg that ends
  otherwise gives its ``DialEnd`` and ``AgentRingNoAnswer``.
- **Gone from the application.** An application that did not subscribe to
  everything receives ``StasisEnd`` and no ``ChannelDestroyed`` for a
  channel that leaves it after a hang-up request: ``StasisEnd`` after
  ``ChannelHangupRequest`` is the channel's ``Hangup`` (a later
  ``ChannelDestroyed`` adds nothing). A channel first seen on its
  ``StasisStart`` (an application's own event stream has nothing of it
  before) starts there, at its ``creationtime``.
"""

HELPER_PREFIXES = ("UnicastRTP/", "Snoop/", "Announcer/", "Recorder/", "AudioSocket/", "WebSocket/")
# Channels the addon's own ARI originate creates (``channelId``): never an application's agent leg.
OWN_PREFIX = "k2cc-"
_MEMORY = 5000


def _bounded(mapping):
    """Forget the oldest entries of ``mapping`` (insertion order) beyond :data:`_MEMORY`."""
    while len(mapping) > _MEMORY:
        mapping.pop(next(iter(mapping)))


def is_helper(channel):
    """Whether an ARI ``Channel`` carries media for an application (no party of a call)."""
    name = channel.get("name") if isinstance(channel, dict) else None
    return isinstance(name, str) and name.startswith(HELPER_PREFIXES)


class _Held:
    """A caller an application holds, and in which queue (holding bridge)."""

    __slots__ = ("uid", "channel", "queue", "joined", "bridge", "ringing", "connected")

    def __init__(self, uid, channel):
        self.uid = uid
        self.channel = channel  # its latest ARI Channel object
        self.queue = None  # the holding bridge's queue name, once it entered one
        self.joined = None
        self.bridge = None  # the holding bridge it is in now
        self.ringing = set()  # agent legs dialled for it, still ringing
        self.connected = False


class StasisCalls:
    """The Stasis part of the ARI translator; see the module docstring."""

    def _init_stasis(self):
        self._held = {}  # caller uid -> _Held, first held first
        self._agent_legs = {}  # agent leg uid -> (caller uid, the caller's ARI Channel)
        self._bridges = {}  # bridge id -> (is holding, queue name)
        self._members = {}  # bridge id -> set of channel uids in it
        self._hangup_asked = {}  # uid -> cause of its hang-up request
        self._ended = {}  # uids whose StasisEnd was their end
        self._waiting_legs = {}  # agent leg uid -> its BridgeEnter, until its caller joins the bridge
        self.helpers = 0  # events of helper channels left out

    # -------------------------------------------------------------- helpers

    def _helper_event(self, event):
        """Whether ``event`` is about a helper channel only (left out)."""
        for key in ("channel", "peer"):
            if is_helper(event.get(key)):
                self.helpers += 1
                return True
        return False

    @staticmethod
    def _queue_name(bridge, event):
        return (bridge.get("name") or "").strip() or (event.get("application") or "").strip() or "stasis"

    def _remember_bridge(self, bridge, event):
        holding = bridge.get("bridge_type") == "holding" or bridge.get("technology") == "holding_bridge"
        self._bridges[bridge["id"]] = (holding, self._queue_name(bridge, event))
        _bounded(self._bridges)
        return self._bridges[bridge["id"]]

    def _queue_event(self, name, ts, held, **extra):
        return self._ami(name, ts, held.channel, self._chans.get(held.uid), Queue=held.queue, **extra)

    def _member(self, leg_uid):
        """The queue-member headers of an agent's leg."""
        leg = self._chans.get(leg_uid)
        name = leg.name if leg else ""
        return {"DestUniqueid": leg_uid, "Interface": name, "MemberName": name}

    def _hold_time(self, held, ts):
        if held.joined is None or ts is None:
            return "0"
        return str(max(0, round(ts - held.joined)))

    # --------------------------------------------------------------- events

    def _on_stasis_start(self, event, ts, out):
        channel = event["channel"]
        uid = channel.get("id")
        fresh = uid not in self._chans and uid not in self._gone
        chan = self._known(channel)
        if self._waiting(chan):
            self._hold(chan, event, ts, True)
            return
        if fresh:  # the application's own stream: nothing of the channel came before
            out.append(self._ami("Newchannel", self._timestamp(channel.get("creationtime")) or ts, channel, chan))
        if uid not in self._agent_legs and uid not in self._held and channel.get("state") != "Down":
            self._held[uid] = _Held(uid, channel)
        out.append(self._ami("StasisStart", ts, channel, chan))

    def _on_stasis_end(self, event, ts, out):
        channel = event["channel"]
        uid = channel.get("id")
        chan = self._known(channel)
        if self._waiting(chan):
            self._hold(chan, event, ts, True)
            return
        out.append(self._ami("StasisEnd", ts, channel, chan))
        if uid in self._hangup_asked and chan is not None:
            cause = self._hangup_asked.pop(uid)
            self._forget_held(uid, ts, out)
            out.append(self._ami("Hangup", ts, channel, chan, Cause=cause or "16", **{"Cause-txt": ""}))
            self._drop_channel(chan, self._linkedid(chan, channel))
            self._ended[uid] = True
            _bounded(self._ended)

    def _stasis_hangup_request(self, event):
        channel = event.get("channel") or {}
        if channel.get("id"):
            self._hangup_asked[channel["id"]] = str(event.get("cause") or "")
            _bounded(self._hangup_asked)

    def _stasis_destroyed(self, event, ts, out):
        """True when the channel already ended (its StasisEnd): nothing more to say."""
        uid = (event.get("channel") or {}).get("id")
        if self._ended.pop(uid, None):
            return True
        self._hangup_asked.pop(uid, None)
        self._forget_held(uid, ts, out)
        return False

    def _forget_held(self, uid, ts, out):
        held = self._held.pop(uid, None)
        if held is not None and held.bridge is not None:  # hung up in the holding bridge: gave up
            out.append(self._queue_event("QueueCallerAbandon", ts, held, HoldTime=self._hold_time(held, ts)))
            out.append(self._queue_event("QueueCallerLeave", ts, held))
        self._waiting_legs.pop(uid, None)
        caller_uid, _caller = self._agent_legs.get(uid, (None, None))
        if caller_uid in self._held:
            self._held[caller_uid].ringing.discard(uid)

    def _stasis_entered(self, event, ts, channel, entered, out):
        """``entered``, the ``BridgeEnter`` of ``channel``, with the queue events
        it means. An agent's leg entering a mixing bridge its caller is not in
        yet is answered only when the caller joins it: its ``BridgeEnter`` waits."""
        bridge = event["bridge"]
        holding, queue = self._bridges.get(bridge["id"]) or self._remember_bridge(bridge, event)
        uid = channel["id"]
        members = self._members.setdefault(bridge["id"], set())
        members.add(uid)
        held = self._held.get(uid)
        if holding:
            out.append(entered)
            if held is None:
                if uid in self._agent_legs:
                    return
                held = self._held[uid] = _Held(uid, channel)
            held.channel, held.bridge = channel, bridge["id"]
            if held.queue != queue or held.joined is None:
                held.queue, held.joined = queue, ts
                waiting = sum(1 for other in self._held.values() if other.bridge == bridge["id"])
                out.append(self._queue_event("QueueCallerJoin", ts, held, Position=str(waiting), Count=str(waiting)))
            return
        # a mixing bridge: an agent's leg meets the caller it was dialled for
        if uid in self._agent_legs:
            caller_uid = self._agent_legs[uid][0]
            if caller_uid not in members:
                self._waiting_legs[uid] = entered
                return
            out.append(entered)
            self._connect(caller_uid, uid, ts, out)
            return
        out.append(entered)
        for member in members:
            if self._agent_legs.get(member, (None,))[0] == uid:
                leg_entered = self._waiting_legs.pop(member, None)
                if leg_entered is not None:  # answered now, with its caller
                    out.append(dict(leg_entered, Timestamp=entered.get("Timestamp", leg_entered.get("Timestamp"))))
                self._connect(uid, member, ts, out)
                return

    def _connect(self, caller_uid, leg_uid, ts, out):
        held = self._held.pop(caller_uid, None)
        if held is None or held.connected:
            return
        held.connected = True
        if held.queue:
            out.append(self._queue_event("AgentConnect", ts, held, HoldTime=self._hold_time(held, ts), RingTime="0",
                                         **self._member(leg_uid)))

    def _stasis_left(self, event, ts, channel, out):
        bridge = event["bridge"]
        uid = channel["id"]
        self._members.get(bridge["id"], set()).discard(uid)
        self._waiting_legs.pop(uid, None)
        held = self._held.get(uid)
        if held is None or held.bridge != bridge["id"]:
            return
        held.bridge = None
        if uid in self._hangup_asked:
            out.append(self._queue_event("QueueCallerAbandon", ts, held, HoldTime=self._hold_time(held, ts)))
            self._held.pop(uid, None)
        out.append(self._queue_event("QueueCallerLeave", ts, held))

    def _stasis_bridge_destroyed(self, event):
        bridge_id = (event.get("bridge") or {}).get("id")
        self._bridges.pop(bridge_id, None)
        self._members.pop(bridge_id, None)

    def _caller_for_dial(self, peer_uid):
        """The held caller an application's ``Dial`` without caller is for, or None."""
        if peer_uid.startswith(OWN_PREFIX):
            return None
        candidates = [held for held in self._held.values() if not held.connected and held.uid in self._chans]
        if not candidates:
            return None
        free = [held for held in candidates if not held.ringing]
        held = (free or candidates)[0]
        held.ringing.add(peer_uid)
        self._agent_legs[peer_uid] = (held.uid, held.channel)
        return held

    def _stasis_dial(self, event, ts, out):
        """Translate a ``Dial`` of an application's agent leg; True when done here."""
        peer = event["peer"]
        uid = peer.get("id")
        if uid not in self._agent_legs:
            chan = self._chans.get(uid)
            if event.get("caller") is not None or not self._waiting(chan) or event.get("dialstatus"):
                return False
            held = self._caller_for_dial(uid)
            if held is None:
                return False
            self._resolve(chan.group, self._linkedid(self._chans.get(held.uid), held.channel), out)
        caller_uid, caller = self._agent_legs[uid]
        held = self._held.get(caller_uid)
        status = (event.get("dialstatus") or "").upper()
        if status == "ANSWER":
            return True  # answered to the application: the caller's answer is the bridge
        self._on_dial_plain(dict(event, caller=caller), ts, out)
        member = self._member(uid)
        final = status not in ("", "RINGING", "PROGRESS", "PROCEEDING")
        if final and held is not None:
            held.ringing.discard(uid)
        if held is None or not held.queue or held.connected:
            return True
        if not status:
            out.append(self._queue_event("AgentCalled", ts, held, **member))
        elif final:
            out.append(self._queue_event("AgentRingNoAnswer", ts, held, RingTime="0", **member))
        return True
