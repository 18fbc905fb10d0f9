"""Transfers asked of the AMI simulator on a call in progress (BlindTransfer,
Atxfer, then Hangup of a consultation's side): the events it plays are what
the call tracker reads as the transfer, and it refuses what Asterisk refuses."""

import asyncio

import pytest
from sim_common import PLAN, mismatches, records_from
from test_simulator import Client, events_of, run

from k2_contact_center.services import transfers
from k2_contact_center.services.ami.simulator import AmiSimulator
from k2_contact_center.services.tracking.calls import CallTracker


async def _talking(sim, kind="inbound_answered", **params):
    """A call held up after it was answered; the agent's channel (201) and the client."""
    client = await Client.open(sim.port)
    await client.login()
    played = sim.play_call(kind, hold=True, **params)
    for _attempt in range(200):
        agent = [chan for chan in sim.live_channels()
                 if chan["Channel"].startswith("PJSIP/201-") and chan.get("BridgeId")]
        if agent:
            return client, played, agent[0]["Channel"]
        await asyncio.sleep(0.01)
    raise AssertionError("the call was never answered")


async def _act(client, action_id, **fields):
    client.send(ActionID=action_id, **fields)
    return await client.until(lambda block: block.get("ActionID") == action_id)


async def _finish(sim, client, played):
    played.release()
    await asyncio.wait_for(played.done, 10)
    await _act(client, "end", Action="Ping")
    return records_from(events_of(client.blocks))


def test_blind_transfer_of_a_live_call_to_a_colleague():
    async def main():
        sim = await AmiSimulator(extensions=["201", "202"], seed=4).start()
        client, played, channel = await _talking(sim, extension="201")
        reply = await _act(client, "x1", Action="BlindTransfer", Channel=channel, Exten="202",
                           Context="from-internal")
        assert (reply["Response"], reply["Message"]) == ("Success", "Transfer succeeded")
        records = await _finish(sim, client, played)
        assert mismatches(sim.expected_calls, records) == []
        (record,) = records.values()
        assert [(t["kind"], t["by"], t["to"]) for t in record["transfers"]] == [("blind", "201", "202")]
        assert "202" in record["rang"] and record["answered_by"] == "201"
        await sim.stop()
    run(main())


def test_blind_transfer_to_an_outside_number_and_to_the_queue():
    async def main():
        sim = await AmiSimulator(extensions=["201", "202", "203"], seed=5).start()
        client, played, channel = await _talking(sim, extension="201")
        await _act(client, "x1", Action="BlindTransfer", Channel=channel, Exten="777123456",
                   Context="from-internal")
        records = await _finish(sim, client, played)
        (record,) = records.values()
        assert record["transfers"][0]["to"] == "+420777123456" and record["disposition"] == "answered"
        client2, played2, channel2 = await _talking(sim, extension="201")
        await _act(client2, "x2", Action="BlindTransfer", Channel=channel2, Exten="600", Context="from-internal")
        records = await _finish(sim, client2, played2)
        queued = records[played2.expected[0]["call_id"]]
        assert queued["queue"] == "support" and queued["transfers"][0]["kind"] == "blind"
        await sim.stop()
    run(main())


@pytest.mark.parametrize("who_hangs_up", ["transferer", "target"])
def test_attended_transfer_completed_or_cancelled(who_hangs_up):
    async def main():
        sim = await AmiSimulator(extensions=["201", "202"], seed=6).start()
        client, played, channel = await _talking(sim, extension="201")
        reply = await _act(client, "x1", Action="Atxfer", Channel=channel, Exten="202", Context="from-internal")
        assert (reply["Response"], reply["Message"]) == ("Success", "Atxfer successfully queued")
        for _attempt in range(200):  # the consultation: 201's second channel talks with 202
            consult = [chan for chan in sim.live_channels() if chan["Channel"].startswith("PJSIP/202-")
                       and chan.get("BridgeId")]
            if consult:
                break
            await asyncio.sleep(0.01)
        target = consult[0]["Channel"]
        await _act(client, "h1", Action="Hangup", Channel=channel if who_hangs_up == "transferer" else target)
        records = await _finish(sim, client, played)
        assert mismatches(sim.expected_calls, records) == []
        assert len(records) == 2  # the consultation is a call of its own
        caller = records[played.expected[0]["call_id"]]
        kinds = [t["kind"] for t in caller["transfers"]]
        assert kinds == (["attended"] if who_hangs_up == "transferer" else [])
        await sim.stop()
    run(main())


def test_live_updates_tell_of_the_transfer_before_the_call_ends():
    async def main():
        sim = await AmiSimulator(extensions=["201", "202"], seed=8).start()
        client, played, channel = await _talking(sim, extension="201")
        await _act(client, "x1", Action="BlindTransfer", Channel=channel, Exten="202", Context="from-internal")
        for _attempt in range(200):
            if any(chan["Channel"].startswith("PJSIP/202-") and chan.get("BridgeId") for chan in sim.live_channels()):
                break
            await asyncio.sleep(0.01)
        await _act(client, "p", Action="Ping")
        tracker = CallTracker(PLAN)
        live = [item.data for event in events_of(client.blocks) for item in tracker.feed(event)
                if item.kind == "live"]
        assert live[-1]["state"] == "talking" and [t["to"] for t in live[-1]["transfers"]] == ["202"]
        await _finish(sim, client, played)
        await sim.stop()
    run(main())


@pytest.mark.parametrize(("action", "fields", "message"), [
    ("BlindTransfer", {"Channel": "PJSIP/209-00000099", "Exten": "202"}, "No such channel"),
    ("Atxfer", {"Channel": "PJSIP/209-00000099", "Exten": "202"}, "Channel specified does not exist"),
    ("BlindTransfer", {"Exten": "202"}, "No such channel"),
    ("Hangup", {"Channel": "PJSIP/209-00000099"}, "No such channel"),
])
def test_what_the_pbx_refuses(action, fields, message):
    async def main():
        sim = await AmiSimulator(extensions=["201", "202"], seed=9).start()
        client, played, _channel = await _talking(sim, extension="201")
        reply = await _act(client, "bad", Action=action, **fields)
        assert (reply["Response"], reply["Message"]) == ("Error", message)
        records = await _finish(sim, client, played)
        assert mismatches(sim.expected_calls, records) == []  # the call went on untouched
        await sim.stop()
    run(main())


def _chan(name, uid, linkedid, bridge=""):
    return {"Channel": name, "Uniqueid": uid, "Linkedid": linkedid, "BridgeId": bridge}


def test_the_agents_channel_in_a_call_and_in_its_consultation():
    caller = _chan("PJSIP/k2-trunk-00000001", "1.1", "1.1", "b1")
    agent = _chan("PJSIP/201-00000002", "1.2", "1.1", "b1")
    other = _chan("PJSIP/2010-00000009", "1.9", "1.1", "b1")  # another phone whose name starts alike
    assert transfers.agent_channel([caller, other, agent], "1.1", "PJSIP/201") is agent
    assert transfers.agent_channel([caller, agent], "1.7", "PJSIP/201") is None
    ringing = dict(agent, BridgeId="")
    assert transfers.agent_channel([caller, ringing], "1.1", "PJSIP/201") is None  # not talking yet
    # after an attended transfer to 201 the agent's channel has the consultation's id
    moved = _chan("PJSIP/201-00000005", "1.5", "1.4", "b1")
    assert transfers.agent_channel([caller, moved], "1.1", "PJSIP/201") is moved
    # the phone's second channel talks with the target (a SIP phone's own consultation)
    consult = _chan("PJSIP/201-00000003", "1.3", "1.3", "b2")
    target = _chan("PJSIP/202-00000004", "1.4", "1.3", "b2")
    assert transfers.consultation([caller, agent, consult, target], "1.1", "PJSIP/201") == (consult, target)
    # AMI Atxfer: Asterisk moves the agent's own channel to the consultation, the target has the call's id
    moved_agent = dict(agent, BridgeId="b3")
    dialled = _chan("PJSIP/202-00000006", "1.6", "1.1", "b3")
    held = dict(caller, BridgeId="b1")
    assert transfers.consultation([held, moved_agent, dialled], "1.1", "PJSIP/201") == (moved_agent, dialled)
    assert transfers.consultation([caller, agent], "1.1", "PJSIP/201") is None
