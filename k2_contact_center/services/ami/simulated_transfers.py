"""What the AMI simulator does when asked to act on a call in progress.

``BlindTransfer`` and ``Atxfer`` of an agent's channel, and ``Hangup``,
answered and carried out as Asterisk 13+ does: the call's scripted rest is
dropped and a continuation, built from the channels as they stand (the
simulator's live channel list), is played in its place. An attended
transfer's consultation stays up until one side hangs up: the transferer
(its phone's channel, or the consultation's) completes the transfer, the
target cancels it and the transferer is back with the caller.

The expected records of the call change with it: a transfer is added to
the call's, the consultation is a call of its own.

Pure Python, no ``odoo`` import.
"""

from dataclasses import dataclass

# Asterisk's manager answers (main/manager.c) for what it refuses
NO_CHANNEL = "No such channel"
NOT_BRIDGED = "Transfer invalid"
FAILED = "Transfer failed"


@dataclass
class _Consultation:
    played: object
    phone: object  # the transferer's channel bridged with the caller (on hold)
    transferee: object
    consult: object  # the transferer's channel of the consultation
    target: object


class LiveTransfers:
    """Transfers and hang-ups of the calls an :class:`~.simulator.AmiSimulator` plays."""

    def __init__(self, simulator, chan_factory):
        self.sim = simulator
        self._chan = chan_factory  # live channel headers -> a script channel (_Chan)
        self._consultations = {}  # channel name (phone, consult or target) -> _Consultation

    # -- the actions ------------------------------------------------------------
    def blind(self, action):
        """``BlindTransfer``: the reply's fields (Response, Message)."""
        found = self._bridged(action.get("Channel"))
        if isinstance(found, str):
            return _error(found)
        played, transferer, transferee = found
        exten = (action.get("Exten") or "").strip()
        if not exten:
            return _error("No extension specified")
        script = self.sim.factory.script("blind_transfer")
        self.sim.factory.blind_handover(script, transferer, transferee, exten,
                                        (action.get("Context") or "from-internal").strip())
        self._expect_transfer(played, transferee.linkedid, "blind")
        played.take_over(script)
        return {"Response": "Success", "Message": "Transfer succeeded"}

    def attended(self, action):
        """``Atxfer``: the transferer's phone calls the target, the caller on hold."""
        found = self._bridged(action.get("Channel"))
        if isinstance(found, str):
            return _error("Channel specified does not exist" if found == NO_CHANNEL else found)
        played, phone, transferee = found
        exten = (action.get("Exten") or "").strip()
        if not exten:
            return _error("No extension specified")
        if exten not in self.sim.extensions:
            return _error(FAILED)  # the simulator consults its own extensions only
        first = phone.cid_num or phone.name.split("/", 1)[-1].rsplit("-", 1)[0]
        answers = exten not in self.sim.failing
        script = self.sim.factory.script("attended_transfer")
        consult, target = self.sim.factory.consult(script, phone, transferee, first, exten, answers=answers)
        script.expect(consult.linkedid, "internal", "answered" if answers else "no_answer", first,
                      self.sim.factory.name_of(first), exten, exten if answers else None)
        played.expected.append(script.expected[-1])  # the consultation: a call of its own
        self.sim.expected_calls.append(script.expected[-1])
        if answers:
            script.wait_at_end = True  # until one side of the consultation hangs up
            consultation = _Consultation(played, phone, transferee, consult, target)
            for chan in (phone, consult, target):
                self._consultations[chan.name] = consultation
        else:
            self.sim.factory.end_call(script, transferee, phone)
        played.take_over(script)
        return {"Response": "Success", "Message": "Atxfer successfully queued"}

    def hangup(self, action):
        """``Hangup``: of a consultation's side (completes or cancels the
        transfer), or of any live channel of a played call (the call ends)."""
        name = (action.get("Channel") or "").strip()
        consultation = self._consultations.get(name)
        if consultation is not None:
            for chan in (consultation.phone, consultation.consult, consultation.target):
                self._consultations.pop(chan.name, None)
            played = consultation.played
            script = self.sim.factory.script("attended_transfer")
            phone, consult = self._now(consultation.phone), self._now(consultation.consult)
            transferee, target = self._now(consultation.transferee), self._now(consultation.target)
            if name == consultation.target.name:  # the target said no: back to the caller
                script.hangup(target)
                script.hangup(consult)
                self.sim.factory.back_from_consult(script, phone, transferee)
                self.sim.factory.end_call(script, transferee, phone)
            else:
                self.sim.factory.complete_attended(script, phone, consult, transferee, target)
                self._expect_transfer(played, transferee.linkedid, "attended")
            played.take_over(script)
            return {"Response": "Success", "Message": "Channel Hungup"}
        live = self._live_by_name(name)
        if live is None:
            return _error(NO_CHANNEL)
        played = self.sim.played_of(live.get("Linkedid"))
        if played is None:
            return _error(NO_CHANNEL)
        script = self.sim.factory.script("hangup")
        chan = self._chan(live)
        peers = [self._chan(other) for other in self._bridge_peers(live)]
        script.hangup(chan)
        for peer in peers:
            script.hangup(peer)
        played.take_over(script)
        return {"Response": "Success", "Message": "Channel Hungup"}

    # -- helpers ----------------------------------------------------------------
    def _bridged(self, name):
        """``(played, channel, the channel bridged with it)``, or why not."""
        live = self._live_by_name((name or "").strip())
        if live is None:
            return NO_CHANNEL
        peers = self._bridge_peers(live)
        if not peers:
            return NOT_BRIDGED
        played = self.sim.played_of(live.get("Linkedid")) or self.sim.played_of(peers[0].get("Linkedid"))
        if played is None:
            return FAILED  # a replayed stream's channel: nothing to carry on with
        return played, self._chan(live), self._chan(peers[0])

    def _live_by_name(self, name):
        return next((chan for chan in self.sim.live_channels() if chan.get("Channel") == name), None) \
            if name else None

    def _bridge_peers(self, live):
        bridge = live.get("BridgeId")
        if not bridge:
            return []
        return [chan for chan in self.sim.live_channels()
                if chan.get("BridgeId") == bridge and chan.get("Uniqueid") != live.get("Uniqueid")]

    def _now(self, chan):
        """``chan`` as the PBX has it now (its bridge may have changed)."""
        live = self._live_by_name(chan.name)
        return self._chan(live) if live is not None else chan

    def _expect_transfer(self, played, call_id, kind):
        for want in played.expected:
            if want["call_id"] == call_id:
                want["transfers"].append(kind)


def _error(message):
    return {"Response": "Error", "Message": message}
