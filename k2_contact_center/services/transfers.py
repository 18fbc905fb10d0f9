"""Which of a PBX's live channels a transfer acts on.

``channels`` are what AMI ``CoreShowChannels`` lists (dicts with ``Channel``,
``Uniqueid``, ``Linkedid``, ``BridgeId``). An agent's phone is known by its
interface (``PJSIP/201``): its channels are named ``PJSIP/201-<suffix>``.

Pure Python, no ``odoo`` import.
"""


def _of_interface(channel, interface):
    return (channel.get("Channel") or "").startswith(f"{interface}-")


def _bridges(channels):
    members = {}
    for channel in channels:
        if channel.get("BridgeId"):
            members.setdefault(channel["BridgeId"], []).append(channel)
    return members


def agent_channel(channels, call_id, interface):
    """The agent's channel talking in the call ``call_id`` (its ``Linkedid``),
    or None. A channel bridged with one of the call's counts too: after an
    attended transfer Asterisk gives the target the consultation's id."""
    bridges = _bridges(channels)
    in_call = [channel for channel in channels if channel.get("Linkedid") == call_id]
    talking = {channel["BridgeId"] for channel in in_call if channel.get("BridgeId")}
    for bridge in talking:
        for channel in bridges.get(bridge, ()):
            if _of_interface(channel, interface) and len(bridges[bridge]) > 1:
                return channel
    return None


def consultation(channels, call_id, interface):
    """``(agent's channel, target's channel)`` of the agent's consultation
    during an attended transfer of the call ``call_id``: the agent's channel
    in a bridge without the call's first channel (the caller, whose
    ``Uniqueid`` is the call's id), whether Asterisk moved the agent's own
    channel there (AMI ``Atxfer``) or the phone opened a second one. None
    when there is none."""
    bridges = _bridges(channels)
    for channel in channels:
        if not _of_interface(channel, interface) or not channel.get("BridgeId") \
                or channel.get("Uniqueid") == call_id:
            continue
        members = bridges[channel["BridgeId"]]
        others = [other for other in members if other is not channel]
        if others and not any(member.get("Uniqueid") == call_id for member in members):
            return channel, others[0]
    return None
