"""The simulator's traffic at an agent's pace: an extension takes one call at a
time (with a wrap-up after it), a queue call rings only free members who are
not paused, and the calls still give the records the tracker derives."""

import asyncio
import itertools
import re
from collections import defaultdict

from sim_common import mismatches, records_from

from k2_contact_center.services.ami.simulator import CALL_KINDS, AmiSimulator, TrafficGenerator

EXTENSIONS = ("200", "201", "202", "203", "204")
EVERY_KIND = dict.fromkeys(CALL_KINDS, 1)
_CHANNEL = re.compile(r"(?:PJSIP|Local)/(\d+)[-@]")


def spans(offset, script):
    """``{extension: (first, last)}``: when each extension has channels in the call."""
    out = {}
    for t, event in script.events:
        for key in ("Channel", "DestChannel"):
            match = _CHANNEL.match(event.get(key) or "")
            if match and match.group(1) in EXTENSIONS:
                first, _ = out.get(match.group(1), (offset + t, None))
                out[match.group(1)] = (first, offset + t)
    return out


def calls_of(generator, count):
    per_extension = defaultdict(list)
    for _ in range(count):
        offset, script = generator.next_call()
        for ext, span in spans(offset, script).items():
            per_extension[ext].append((*span, script.kind))
    return per_extension


def gaps(per_extension):
    """The shortest pause between two calls of one extension (negative: they overlap)."""
    shortest = float("inf")
    for calls in per_extension.values():
        calls.sort()
        for before, after in itertools.pairwise(calls):
            shortest = min(shortest, after[0] - before[1])
    return shortest


def test_an_extension_takes_one_call_at_a_time_with_its_wrap_up():
    busy = TrafficGenerator(seed=3, extensions=EXTENSIONS, calls_per_minute=20, weights=EVERY_KIND)
    assert gaps(calls_of(busy, 150)) < 0  # free traffic overlaps calls on one extension

    paced = TrafficGenerator(seed=3, extensions=EXTENSIONS, calls_per_minute=20, weights=EVERY_KIND,
                             one_call_each=True, wrapup=25.0)
    per_extension = calls_of(paced, 150)
    assert gaps(per_extension) >= 25.0 - 1e-6
    assert set(per_extension) == set(EXTENSIONS)
    kinds = {kind for calls in per_extension.values() for *_, kind in calls}
    assert {"queue", "attended_transfer", "blind_transfer", "inbound_answered"} <= kinds  # two-line kinds too


def test_paced_traffic_still_gives_the_intended_records():
    generator = TrafficGenerator(seed=11, extensions=EXTENSIONS, calls_per_minute=12, weights=EVERY_KIND,
                                 one_call_each=True)
    events, expected = generator.generate(120)
    records = records_from(events)
    assert mismatches(expected, records) == []
    assert len(records) == len(expected)


def test_a_human_pace_at_the_demo_rate():
    """The demo's 3 calls a minute over five agents: each a call every minute or two."""
    generator = TrafficGenerator(seed=5, extensions=EXTENSIONS, calls_per_minute=3, one_call_each=True)
    per_extension = calls_of(generator, 200)
    minutes = max(last for calls in per_extension.values() for _, last, _ in calls) / 60
    for ext, calls in per_extension.items():
        assert 0.4 <= len(calls) / minutes <= 1.0, (ext, len(calls), minutes)
    assert gaps(per_extension) >= 30.0 - 1e-6


def test_queue_calls_ring_only_members_not_away():
    generator = TrafficGenerator(seed=2, extensions=EXTENSIONS, calls_per_minute=30,
                                 weights={"queue": 1}, one_call_each=True)
    rung = set()
    for _ in range(30):
        generator.advance()
        script = generator.build(away={"200", "201"})
        while script is None:
            generator.defer()
            script = generator.build(away={"200", "201"})
        rung |= {e["Interface"] for _, e in script.events if e.get("Event") == "AgentCalled"}
    assert rung == {"PJSIP/202", "PJSIP/203", "PJSIP/204"}


def test_a_queue_with_every_member_away_loses_its_callers():
    generator = TrafficGenerator(seed=4, extensions=EXTENSIONS, calls_per_minute=6, weights={"queue": 1},
                                 one_call_each=True)
    events = []
    expected = []
    for _ in range(12):
        offset, script = generator.advance(), generator.build(away=set(EXTENSIONS))
        assert not [e for _, e in script.events if e.get("Event") == "AgentCalled"]
        events.extend(script.stamped(generator.start + offset))
        expected.extend(script.expected)
    assert {spec["queue_outcome"] for spec in expected} <= {"abandoned", "timeout"}
    assert mismatches(expected, records_from(events)) == []


def test_live_traffic_leaves_a_busy_extension_and_a_paused_member_alone():
    """Over TCP in scaled time: an extension held in a call is not rung by the
    traffic until it hangs up; a paused member gets no queue call."""

    async def main():
        sim = await AmiSimulator(extensions=["201", "202", "203"], seed=1, states=True).start()
        sim.states.members[("support", "PJSIP/203")]["paused"] = True
        held = sim.play_call("inbound_answered", time_scale=0, hold=True, extension="201")
        while not any(c["Channel"].startswith("PJSIP/201-") and c.get("ChannelState") == "6"
                      for c in sim.live_channels()):
            await asyncio.sleep(0.01)
        sent = []
        original = sim.send_event

        def spy(event):
            sent.append(dict(event))
            original(event)

        sim.send_event = spy
        await sim.traffic(calls_per_minute=60, duration=900, seed=9, time_scale=0.002)
        while len(sim._tasks) > 1:  # the traffic's calls still going on (the held one stays)
            await asyncio.sleep(0.02)
        held_id = held.expected[0]["call_id"]
        during = [e for e in sent if e.get("Event") == "Newchannel" and e["Channel"].startswith("PJSIP/201-")]
        assert during == []
        assert not [e for e in sent if e.get("Event") == "AgentCalled" and e["Interface"] == "PJSIP/203"]
        assert [e for e in sent if e.get("Event") == "AgentCalled" and e["Interface"] == "PJSIP/202"]
        assert {e["Linkedid"] for e in sent if e.get("Event") == "Newchannel"} - {held_id}
        held.release()
        await held.done
        await sim.stop()

    asyncio.run(asyncio.wait_for(main(), 30))
