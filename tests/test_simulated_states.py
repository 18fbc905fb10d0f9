"""The AMI simulator's device states and queue members over real TCP: the
state actions the bridge sends after a (re)connect, queue membership and
pauses obeyed or refused as Asterisk does, and the tracker's AgentStates
following it, a resync included."""

import asyncio

from k2_contact_center.services.ami import actions
from k2_contact_center.services.ami.connector import AmiConnector
from k2_contact_center.services.ami.simulator import AmiSimulator
from k2_contact_center.services.tracking.states import AgentStates

FAST = {"ping_interval": 5.0, "ping_timeout": 2.0, "login_timeout": 2.0, "connect_timeout": 2.0,
        "backoff_initial": 0.01, "backoff_max": 0.05, "action_timeout": 5.0}


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


async def linked(sim, on_event=None):
    connector = AmiConnector("127.0.0.1", sim.port, "odoo", "s3cret", on_event=on_event, **FAST)
    await connector.start()
    await connector.wait_connected(5)
    return connector


async def resync(connector, states):
    states.begin_resync()
    for action in actions.status_actions()[1:]:
        for item in await connector.send_action(action):
            states.feed(item)
    return states.end_resync()


def test_state_actions_list_members_and_devices_and_a_resync_fills_agent_states():
    async def main():
        sim = await AmiSimulator(username="odoo", secret="s3cret", extensions=("201", "202"), states=True).start()
        connector = await linked(sim)
        try:
            states = AgentStates()
            await resync(connector, states)
            assert set(states.members) == {("support", "PJSIP/201"), ("support", "PJSIP/202")}
            assert states.agent_state("PJSIP/201") == "free"
            assert states.devices["201@from-internal"] == "free"
        finally:
            await connector.stop()
            await sim.stop()
    run(main())


def test_queue_add_pause_remove_are_obeyed_confirmed_by_events_or_refused():
    async def main():
        sim = await AmiSimulator(username="odoo", secret="s3cret", extensions=("201", "202"), states=True).start()
        states = AgentStates()
        seen = asyncio.Event()

        def on_event(event):
            if states.feed(event):
                seen.set()
        connector = await linked(sim, on_event)
        try:
            async def send(action):
                seen.clear()
                answer = await connector.send_action(action, first_response=True)
                if answer.get("Response") == "Success":
                    await asyncio.wait_for(seen.wait(), 5)
                return answer
            assert (await send(actions.queue_add("sales", "PJSIP/201", "Alice")))["Response"] == "Success"
            assert ("sales", "PJSIP/201") in states.members
            refused = await send(actions.queue_add("sales", "PJSIP/201", "Alice"))
            assert (refused["Response"], refused["Message"]) == ("Error", "Unable to add interface: Already there")
            assert (await send(actions.queue_pause("PJSIP/201", True, reason="Lunch\r\nAction: Hangup")))[
                "Response"] == "Success"
            assert all(m["paused"] and m["reason"] == "Lunch Action: Hangup"
                       for (q, i), m in states.members.items() if i == "PJSIP/201")
            assert states.agent_state("PJSIP/201") == "paused"
            missing = await send(actions.queue_pause("PJSIP/999", True))
            assert (missing["Response"], missing["Message"]) == ("Error", "Interface not found")
            assert (await send(actions.queue_remove("sales", "PJSIP/201")))["Response"] == "Success"
            assert ("sales", "PJSIP/201") not in states.members
            gone = await send(actions.queue_remove("sales", "PJSIP/201"))
            assert gone["Message"] == "Unable to remove interface: Not there"
        finally:
            await connector.stop()
            await sim.stop()
    run(main())


def test_phones_in_calls_change_device_state_and_a_reconnect_resyncs_what_changed_meanwhile():
    async def main():
        sim = await AmiSimulator(username="odoo", secret="s3cret", extensions=("201", "202"), states=True).start()
        states = AgentStates()
        changes = []
        connector = await linked(sim, lambda event: changes.extend(states.feed(event)))
        try:
            await resync(connector, states)
            script = sim.factory.build("inbound_answered", extension="202", ring=0.0, talk=0.0)
            await sim.play_events(script.stamped(0.0))
            await asyncio.sleep(0.2)
            assert [c[2] for c in changes if c[:2] == ("device", "PJSIP/202")] == ["ringing", "in_call", "free"]
            # the link drops; meanwhile 202 is paused and 201 leaves the queue
            states.link_lost()
            assert states.agent_state("PJSIP/202") == "unknown"
            sim.states.action("queuepause", {"Interface": "PJSIP/202", "Paused": "true", "Reason": "Break"})
            sim.states.action("queueremove", {"Queue": "support", "Interface": "PJSIP/201"})
            await resync(connector, states)
            assert states.agent_state("PJSIP/202") == "paused"
            assert ("support", "PJSIP/201") not in states.members
        finally:
            await connector.stop()
            await sim.stop()
    run(main())
