"""Ingest speed and memory of the PBX event pipeline (prints figures).

    python3 bench/ingest.py [--calls 5000] [--db-calls 2000] [--latency-seconds 20] [--memory-calls 100000]
                            [--memory-db-calls 100000] [--skip-db] [--database NAME]
                            [--simulator-in-process] [--no-states] [--states-seconds 300]
                            [--faults [--faults-args ARGS]]

1. Parsing and tracking alone, on simulator-generated traffic: panoramisk's own
   parser (the ceiling of a panoramisk-based reader), the addon's AMI framing,
   the call tracker alone, and framing plus tracker; then the same traffic as
   a web PBX sends it (ARI JSON frames): translation to the AMI-shaped events
   the tracker reads, and translation plus tracker.
2. The bridge into PostgreSQL: the simulator sends ``--db-calls`` calls over
   TCP as fast as it can (rendered before the clock starts, as a PBX is a
   machine of its own); the bridge (AMI connector, tracker, sink, ORM writes
   as the recorder user, bus notifications) writes them. Events/s until the
   last call is in the history, twice side by side: the writes in a thread
   of the bridge's process (the baseline, how the bridge inside the Odoo
   server writes) and in a writer process of their own (how the
   ``k2cc-bridge`` command writes, on two cores).
3. Ringing -> bus notification latency at 20 calls/s for ``--latency-seconds``:
   from the moment the simulator sends a call's first DialBegin to the moment
   the bus notification of that call ringing is committed (PostgreSQL NOTIFY
   received), p50/p95.
4. Memory: the tracker after ``--memory-calls`` calls (it must forget finished
   calls), and with ``--memory-db-calls N`` the resident memory of the bridge
   process and of its writer process while N more calls go through them into
   PostgreSQL.
5. Queue and device-state events on (``--states``, the default): a simulator
   that keeps device states and queue members (``DeviceStateChange`` and
   ``QueueMemberStatus`` for every phone that rings, answers and hangs up)
   feeds a second PBX: events/s of the bridge into PostgreSQL at full speed
   (both writers, as in part 2), then 40 calls/s in real time for
   ``--states-seconds`` (default ``--latency-seconds``), writer process on:
   the bridge's lag
   (items waiting in its sink, sampled every second: its maximum, its value
   when the last call started, the mean of the first and of the second half
   of the run, and per 30 s, so a lag that grows shows), the wallboard's bus
   messages per second (coalesced, at most 2 per company), the call cards'
   messages per second, and ringing -> wallboard latency (the simulator's
   first DialBegin of a call to the first committed wallboard message that
   shows it), p50/p95.

6. Faults (``--faults``, off by default: some minutes): ``bench/faults.py
   --each``, the ``k2cc-bridge`` command under seeded mixed traffic once
   without faults, once with dropped connections, a half-open link and a
   restart mixed, and once per kind of fault alone: for each run, calls
   recorded / calls made, calls recovered from CDR, the time from each fault
   to the link back, and the calls that differ from the run without faults.
   ``--faults-args="--duration 60 --cancel-disposition"`` passes options on
   (written with ``=``: the value starts with ``--``).

In parts 2-5 the simulator runs in a process of its own, as a real PBX is a
machine of its own: rendering and sending its events does not take the
interpreter lock from the bridge (the AMI connector, the tracker and the
writer, which stay in this process). With ``--simulator-in-process`` it runs
in the bridge's process, as this bench did before: the figures of earlier
runs are comparable with those.

Parts 2-6 need Odoo 18 importable and PostgreSQL running (see README); they
create a database of their own and drop it afterwards.
"""

import argparse
import bisect
import gc
import json
import resource
import select
import shlex
import statistics
import sys
import threading
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from odoo_db import drop_database, open_database  # noqa: E402
from panoramisk.message import Message  # noqa: E402

from k2_contact_center.services.ami.frames import AmiFrameParser  # noqa: E402
from k2_contact_center.services.ami.simulator import TrafficGenerator, render  # noqa: E402
from k2_contact_center.services.ari.events import AriTranslator  # noqa: E402
from k2_contact_center.services.ari.simulator import AriRenderer  # noqa: E402
from k2_contact_center.services.number_plan import NumberPlan  # noqa: E402
from k2_contact_center.services.tracking.calls import CallTracker  # noqa: E402

CHUNK = 65536
EXTENSIONS = ("201", "202", "203", "204")
PLAN = {"extension_pattern": ["2XX", "6XX"], "trunks": ["k2-trunk"], "country": "CZ"}


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def rss_mb():
    """Peak resident memory of this process, MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb(pid="self"):
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 1e6


# -- the PBX ------------------------------------------------------------------------------

class Pbx:
    """The AMI simulator the bridge links to, and what it sent: ``play()``
    sends generated calls at full speed, ``traffic()`` scripted calls in real
    time; both return how many events went out and when each call's first
    DialBegin did (``time.time()``, comparable across processes)."""

    def __init__(self, **kwargs):
        from k2_contact_center.services.ami.simulator import SimulatorThread

        self.sim = SimulatorThread(username="odoo", secret="bench", extensions=EXTENSIONS, **kwargs)
        self.generators = {}
        self.prepared = None
        self.sent, self.dialled = 0, {}

    def start(self):
        port = self.sim.start()
        original = self.sim.simulator.send_event

        def spy(event):
            self.sent += 1
            if event.get("Event") == "DialBegin":
                self.dialled.setdefault(event.get("Linkedid"), time.time())
            original(event)

        self.sim.simulator.send_event = spy
        return port

    def prepare(self, calls, key=None, **generator):
        """Generate ``calls`` calls (``TrafficGenerator(**generator)``; with
        ``key``, the generator of that key goes on where it stopped) and
        render their events for the next :meth:`play`, off its clock: a
        PBX's own work is not the bridge's."""
        if key is None or key not in self.generators:
            self.generators[key] = TrafficGenerator(**generator)
        events, expected = self.generators[key].generate(calls)
        self.sent, self.dialled = 0, {}
        rendered = self.sim.run(lambda simulator: simulator.render_events(events), timeout=900)
        self.prepared = (rendered, self.sent, len(expected))

    def play(self, calls=None, key=None, **generator):
        """Send the calls :meth:`prepare` rendered (or prepare ``calls`` such
        calls first) at full speed: ``(events sent, calls expected)``."""
        if calls is not None:
            self.prepare(calls, key, **generator)
        (rendered, sent, expected), self.prepared = self.prepared, None
        self.sim.run(lambda simulator: simulator.send_rendered(rendered), timeout=900)
        return sent, expected

    def traffic(self, seconds, **traffic):
        """``simulator.traffic(**traffic)``, until the last call started; the
        calls still going on go on (see :meth:`counts`)."""
        self.sent, self.dialled = 0, {}
        self.sim.run(lambda simulator: simulator.traffic(**traffic), timeout=seconds + 60)

    def counts(self):
        """``(events sent, first DialBegin per call)`` since the last ``traffic()``."""
        return self.sent, dict(self.dialled)

    def stop(self):
        self.sim.stop()


def _serve_pbx(connection, kwargs):
    """The child process of :class:`PbxProcess`: a :class:`Pbx` run by the
    parent's commands."""
    pbx = Pbx(**kwargs)
    connection.send(pbx.start())
    while True:
        command, args, kw = connection.recv()
        if command == "stop":
            break
        connection.send(getattr(pbx, command)(*args, **kw))
    pbx.stop()


class PbxProcess:
    """:class:`Pbx` in a process of its own, as a PBX is a machine of its
    own: the simulator's work (rendering and sending events) does not share
    the bridge's interpreter lock. Same methods."""

    def __init__(self, **kwargs):
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_serve_pbx, args=(child, kwargs), daemon=True)

    def start(self):
        self.process.start()
        return self.connection.recv()

    def _call(self, command, *args, **kw):
        self.connection.send((command, args, kw))
        return self.connection.recv()

    def prepare(self, calls, key=None, **generator):
        return self._call("prepare", calls, key=key, **generator)

    def play(self, calls=None, key=None, **generator):
        return self._call("play", calls, key=key, **generator)

    def traffic(self, seconds, **traffic):
        return self._call("traffic", seconds, **traffic)

    def counts(self):
        return self._call("counts")

    def stop(self):
        if self.process.is_alive():
            self.connection.send(("stop", (), {}))
            self.process.join(10)


# -- 1. parsing and tracking ---------------------------------------------------------------

def pure(calls):
    plan = NumberPlan.from_dict(PLAN)
    events, expected = TrafficGenerator(seed=1, calls_per_minute=60).generate(calls)
    data = b"".join(render(event) for event in events)
    chunks = [data[i:i + CHUNK] for i in range(0, len(data), CHUNK)]
    count = len(events)
    print(f"Traffic: {calls:,} calls, {count:,} events ({count / calls:.0f}/call), {len(data) / 1e6:.1f} MB")

    def panoramisk_parse():
        # what panoramisk's AMIProtocol.data_received does per chunk
        leftover, blocks = "", 0
        for chunk in chunks:
            parts = (leftover + chunk.decode("utf8", "ignore")).split("\r\n\r\n")
            leftover = parts.pop(-1)
            blocks += sum(Message.from_line(part.strip()) is not None for part in parts)
        return blocks

    def frame():
        parser = AmiFrameParser()
        return sum(len(parser.feed(chunk)) for chunk in chunks) + len(parser.flush())

    def track():
        tracker = CallTracker(plan)
        return sum(item.kind == "record" for event in events for item in tracker.feed(event))

    def frame_and_track():
        parser, tracker = AmiFrameParser(), CallTracker(plan)
        return sum(item.kind == "record" for chunk in chunks for event in parser.feed(chunk)
                   for item in tracker.feed(event))

    for label, fn in (("panoramisk parser (ceiling)", panoramisk_parse), ("AMI framing", frame),
                      ("call tracker alone", track), ("framing + tracker", frame_and_track)):
        seconds, result = timed(fn)
        unit = "records" if "track" in label else "events"
        print(f"  {label:<30} {count / seconds:>10,.0f} events/s   ({result:,} {unit})")
    print(f"  (records expected: {len(expected):,})")

    # The same traffic as a web PBX sends it: ARI JSON frames over the WebSocket.
    renderer = AriRenderer()
    frames = [json.dumps(dict(ari, application="k2cc")) for event in events for ari in renderer.render(event)]
    print(f"The same traffic over ARI: {len(frames):,} JSON frames, {sum(map(len, frames)) / 1e6:.1f} MB")

    def ari_translate():
        translator = AriTranslator()
        return sum(len(translator.feed(frame)) for frame in frames)

    def ari_translate_and_track():
        translator, tracker = AriTranslator(), CallTracker(plan)
        return sum(item.kind == "record" for frame in frames for event in translator.feed(frame)
                   for item in tracker.feed(event))

    for label, fn in (("ARI JSON + translation", ari_translate), ("ARI JSON + translation + tracker",
                                                                  ari_translate_and_track)):
        seconds, result = timed(fn)
        unit = "records" if "tracker" in label else "AMI-shaped events"
        print(f"  {label:<34} {len(frames) / seconds:>10,.0f} frames/s   ({result:,} {unit})")


def tracker_memory(calls):
    plan = NumberPlan.from_dict(PLAN)
    generator = TrafficGenerator(seed=2, calls_per_minute=600)
    tracker = CallTracker(plan)
    tracemalloc.start()
    done, batch = 0, 2000
    while done < calls:
        events, _expected = generator.generate(min(batch, calls - done))
        for event in events:
            tracker.feed(event)
        done += batch
    del events
    gc.collect()
    held = sum(stat.size for stat in tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(True, "*tracking/calls.py")]).statistics("filename"))
    tracemalloc.stop()
    print(f"Tracker after {calls:,} calls: {held / 1e6:.2f} MB held by the tracker "
          f"({len(tracker.open_calls())} calls open; finished ids remembered: {len(tracker._dead):,})")


# -- 2./3. the bridge into PostgreSQL -----------------------------------------------------

class BridgeBench:
    def __init__(self, database):
        import odoo

        self.odoo = odoo
        self.database = database
        self.registry = open_database(database, fresh=True)

    def env(self, cr):
        return self.odoo.api.Environment(cr, self.odoo.SUPERUSER_ID, {})

    def setup_pbx(self, port, code="BENCH"):
        with self.registry.cursor() as cr:
            env = self.env(cr)
            pbx = env["k2.cc.pbx"].create({
                "code": code, "name": code.title(), "host": "127.0.0.1", "port": port, "username": "odoo",
                "password": "bench", "country_id": env.ref("base.cz").id, "extension_prefix": "221122",
                "extension_patterns": "2XX, 6XX", "trunk_names": "k2-trunk",
            })
            for extension in EXTENSIONS:
                user = env["res.users"].create({"name": f"Agent {extension}", "login": f"{code}{extension}",
                                                "cc_presence_wanted": True})
                env["k2.cc.line"].create({"pbx_id": pbx.id, "extension": extension, "user_id": user.id})
            if not env["res.partner"].search_count([("name", "=", "Customer 0")]):
                env["res.partner"].create([{"name": f"Customer {i}", "phone": f"+420601{i:06d}"}
                                           for i in range(2000)])
            return pbx.id

    def count_done(self, pbx_id):
        with self.registry.cursor() as cr:
            cr.execute("SELECT count(*) FROM k2_cc_call WHERE pbx_id = %s AND state = 'done'", [pbx_id])
            return cr.fetchone()[0]

    def close(self):
        drop_database(self.database)


def bridge_throughput(bench, sim, pbx_id, link_cls, calls, label, writer):
    """Events/s (those the simulator sent: its device states and queue
    members included) until the last call is in the history, from a link
    up and with its first items written (a writer process ready)."""
    link = link_cls(bench.database, pbx_id, writer=writer)
    assert link.start(), "advisory lock taken"
    while link.connector.state != "connected" or len(link.sink):
        time.sleep(0.05)
    sim.prepare(calls, seed=3, calls_per_minute=600, start=time.time() - 86400)
    started = time.perf_counter()
    count, expected = sim.play()
    while bench.count_done(pbx_id) < expected:
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    while len(link.sink):  # the last batch is committed before its writer says so
        time.sleep(0.05)
    print(f"{label}: {count:,} events, {expected:,} calls in {seconds:.1f} s: "
          f"{count / seconds:,.0f} events/s ({expected / seconds:,.1f} calls/s; "
          f"{link.sink.written:,} updates written, {link.sink.failures} retried)")
    return link


def writers_throughput(bench, sim, port, link_cls, calls, code, label):
    """:func:`bridge_throughput` with the writer in the bridge's thread (the
    baseline, on a PBX of its own), then in a process of its own, as the
    ``k2cc-bridge`` command runs it: ``(pbx id, link)`` of the latter, still up."""
    baseline = bench.setup_pbx(port, code=f"{code}THREAD")
    bridge_throughput(bench, sim, baseline, link_cls, calls, f"{label}, writer in the bridge's thread",
                      "thread").stop()
    with bench.registry.cursor() as cr:  # one PBX per part: the company's wallboard pulse as before
        env = bench.env(cr)  # held: a cursor's commit flushes the environments still alive
        env["k2.cc.pbx"].browse(baseline).active = False
    pbx_id = bench.setup_pbx(port, code=code)
    return pbx_id, bridge_throughput(bench, sim, pbx_id, link_cls, calls,
                                     f"{label}, writer in a process of its own", "process")


def bridge_memory(bench, sim, pbx_id, link, calls, batch=5000):
    """Resident memory of this process (the bridge, with the simulator beside
    it unless it runs in a process of its own) and of the link's writer
    process as ``calls`` more calls go through, sent in batches that are freed."""
    start = time.time() - 3 * 86400
    target = bench.count_done(pbx_id)
    done = 0

    def rss():
        writer = getattr(link.writer, "process", None)
        return f"{current_rss_mb():.0f} MB" + (f", writer process {current_rss_mb(writer.pid):.0f} MB"
                                               if writer else "")

    print(f"Bridge memory: {rss()} before")
    while done < calls:
        _sent, expected = sim.play(min(batch, calls - done), key="memory", seed=6, calls_per_minute=600,
                                   start=start)
        target += expected
        while bench.count_done(pbx_id) < target:
            time.sleep(0.2)
        done += min(batch, calls - done)
        gc.collect()
        print(f"  after {done:,} calls: {rss()}")


def ringing_latency(bench, sim, pbx_id, seconds):
    """Per call: first DialBegin sent by the simulator -> NOTIFY of its 'ringing' bus row."""
    seen = {}

    def on_row(arrived, kind, payload):
        for card in payload["cards"] if kind == "k2_cc_call" else ():
            if card["state"] == "ringing":
                seen.setdefault(card["pbx_call_id"], arrived)

    watch = BusWatch(bench, on_row)
    sim.traffic(seconds, calls_per_minute=1200, duration=seconds, seed=5, time_scale=1.0,
                one_call_each=False)
    time.sleep(3)
    watch.stop()
    _count, sent = sim.counts()
    latencies = sorted((seen[call_id] - sent[call_id]) * 1000 for call_id in seen if call_id in sent)
    if not latencies:
        print("Ringing -> bus: no ringing notification seen")
        return
    p95 = latencies[min(int(len(latencies) * 0.95), len(latencies) - 1)]
    print(f"Ringing -> bus notification at 20 calls/s for {seconds} s: {len(latencies):,} calls, "
          f"p50 {statistics.median(latencies):.0f} ms, p95 {p95:.0f} ms, max {latencies[-1]:.0f} ms")


class BusWatch:
    """Every bus row committed from now on, as PostgreSQL's NOTIFY announces
    them: ``on_row(arrived, type, payload)``."""

    def __init__(self, bench, on_row):
        import psycopg2

        self.bench, self.on_row = bench, on_row
        self.listener = psycopg2.connect(dbname="postgres")
        self.listener.autocommit = True
        self.listener.cursor().execute("LISTEN imbus")
        with bench.registry.cursor() as cr:
            cr.execute("SELECT coalesce(max(id), 0) FROM bus_bus")
            self.last_id = cr.fetchone()[0]
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._listen, daemon=True)
        self.thread.start()

    def _listen(self):
        while not self.stop_event.is_set():
            if select.select([self.listener], [], [], 0.2) == ([], [], []):
                continue
            self.listener.poll()
            arrived = time.time()
            self.listener.notifies.clear()
            with self.bench.registry.cursor() as cr:
                cr.execute("SELECT id, message FROM bus_bus WHERE id > %s ORDER BY id", [self.last_id])
                for row_id, message in cr.fetchall():
                    self.last_id = row_id
                    body = json.loads(message)
                    self.on_row(arrived, body.get("type"), body.get("payload"))

    def stop(self):
        self.stop_event.set()
        self.thread.join(2)
        self.listener.close()


def percentiles(values):
    values = sorted(values)
    p95 = values[min(int(len(values) * 0.95), len(values) - 1)]
    return f"p50 {statistics.median(values):.0f} ms, p95 {p95:.0f} ms, max {values[-1]:.0f} ms"


def states_load(bench, sim, link, seconds, calls_per_second=40):
    """40 calls/s in real time with device-state and queue-member events on:
    the bridge's lag, the bus messages per second, ringing -> wallboard."""
    rung, rows = {}, {"k2_cc_wallboard": [], "k2_cc_call": []}

    def on_row(arrived, kind, payload):
        if kind in rows:
            rows[kind].append(arrived)
        for card in payload["cards"] if kind == "k2_cc_call" else ():
            if card["state"] == "ringing":
                # the ringing call is in the database from this commit on: the
                # next wallboard message counts it (its list shows the 60 oldest)
                rung.setdefault(card["pbx_call_id"], arrived)

    watch = BusWatch(bench, on_row)
    backlog = []
    stop = threading.Event()

    def sample():
        while not stop.wait(1.0):
            backlog.append(len(link.sink))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.time()
    # Calls ten times shorter than real ones (the simulator's time scale 0.1;
    # its call rate is scaled to stay 40 a second): the floor stays small
    # enough for the wallboard's list of calls (the 60 oldest) to show new ones.
    scale = 0.1
    sim.traffic(seconds, calls_per_minute=calls_per_second * 60 * scale, duration=seconds / scale, seed=8,
                time_scale=scale, one_call_each=False)
    played = time.time() - started
    during = list(backlog)  # the lag while calls kept coming
    drained = time.monotonic() + 120
    while len(link.sink) and time.monotonic() < drained:
        time.sleep(0.2)
    caught_up = time.time() - started - played
    time.sleep(2)
    stop.set()
    watch.stop()
    # what was sent while the calls came and as the last ones ended (as this bench counted before)
    events, sent = sim.counts()
    span = played + caught_up
    window = [t for t in rows["k2_cc_wallboard"] if started <= t <= started + span]
    card_rows = [t for t in rows["k2_cc_call"] if started <= t <= started + span]
    print(f"With queue and device-state events, {calls_per_second} calls/s for {played:.0f} s: "
          f"{events / played:,.0f} events/s sent ({len(sent):,} calls); bridge lag (items waiting in its "
          f"sink, sampled each second): max {max(during, default=0):,}, at the end {during[-1] if during else 0:,}; "
          f"caught up {caught_up:.1f} s after the last call started")
    if len(during) >= 4:
        # a lag that grows shows as a second half above the first, and as each 30 s above the last
        half = len(during) // 2
        print(f"  lag trend: mean {statistics.mean(during[:half]):,.0f} items in the first half, "
              f"{statistics.mean(during[half:]):,.0f} in the second; per 30 s (max / at its end): "
              + ", ".join(f"{max(during[i:i + 30]):,}/{during[i:i + 30][-1]:,}" for i in range(0, len(during), 30)))
    print(f"  bus messages/s over {span:.0f} s: wallboard {len(window) / span:.2f} (one company, one channel), "
          f"call cards {len(card_rows) / span:,.1f}")
    boards = sorted(rows["k2_cc_wallboard"])
    latencies, cards = [], []
    for call_id, at in rung.items():
        if call_id not in sent:
            continue
        cards.append((at - sent[call_id]) * 1000)
        index = bisect.bisect_left(boards, at)
        if index < len(boards):
            latencies.append((boards[index] - sent[call_id]) * 1000)
    if latencies:
        print(f"  ringing -> call card bus message: {len(cards):,} calls, {percentiles(cards)}")
        print(f"  ringing -> wallboard (the first wallboard message committed with the ringing call in it): "
              f"{len(latencies):,} calls, {percentiles(latencies)}")
    else:
        print("  ringing -> wallboard: no ringing call seen")


def database_part(args):
    bench = BridgeBench(args.database)
    from odoo.addons.k2_contact_center.bridge.runner import PbxLink  # noqa: PLC0415 - once the addons path is set

    pbx_class = Pbx if args.simulator_in_process else PbxProcess
    print("The simulator runs " + ("in the bridge's process (--simulator-in-process)" if args.simulator_in_process
                                   else "in a process of its own, as a PBX is a machine of its own"))
    sim = pbx_class(seed=4)
    port = sim.start()
    link = None
    try:
        pbx_id, link = writers_throughput(bench, sim, port, PbxLink, args.db_calls, "BENCH", "Bridge into PostgreSQL")
        ringing_latency(bench, sim, pbx_id, args.latency_seconds)
        if args.memory_db_calls:
            bridge_memory(bench, sim, pbx_id, link, args.memory_db_calls)
        if args.states:
            link.stop()
            link = None
            states_part(bench, PbxLink, pbx_class, args)
        print(f"Bench process (the bridge) peak RSS: {rss_mb():.0f} MB")
    finally:
        if link:
            link.stop()
        sim.stop()
        bench.close()


def states_part(bench, link_cls, pbx_class, args):
    sim = pbx_class(seed=9, states=True)
    port = sim.start()
    link = None
    try:
        _pbx_id, link = writers_throughput(bench, sim, port, link_cls, args.db_calls, "STATES",
                                           "Bridge into PostgreSQL, queue and device-state events on")
        states_load(bench, sim, link, args.states_seconds or args.latency_seconds)
    finally:
        if link:
            link.stop()
        sim.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--db-calls", type=int, default=2000)
    parser.add_argument("--latency-seconds", type=int, default=20)
    parser.add_argument("--memory-calls", type=int, default=100_000)
    parser.add_argument("--memory-db-calls", type=int, default=0,
                        help="then send this many more calls through the bridge, printing its memory")
    parser.add_argument("--skip-db", action="store_true")
    parser.add_argument("--database", default="k2cc_bench_ingest",
                        help="the database to create (and drop afterwards): one per bench running at a time")
    parser.add_argument("--states-seconds", type=int, default=0,
                        help="seconds of the 40 calls/s run of part 5 (default: --latency-seconds)")
    parser.add_argument("--simulator-in-process", action="store_true",
                        help="run the PBX simulator in the bridge's process (sharing its interpreter lock), as "
                        "before: figures comparable with earlier runs")
    parser.add_argument("--no-states", dest="states", action="store_false",
                        help="skip part 5 (queue and device-state events on, the wallboard's bus load)")
    parser.add_argument("--faults", action="store_true",
                        help="then part 6: the fault runs of bench/faults.py --each (some minutes)")
    parser.add_argument("--faults-args", default="", metavar="ARGS",
                        help="options for bench/faults.py, as --faults-args=\"--duration 60 --cancel-disposition\"")
    args = parser.parse_args()
    pure(args.calls)
    tracker_memory(args.memory_calls)
    if not args.skip_db:
        database_part(args)
    if args.faults:
        import faults  # noqa: PLC0415 - bench/faults.py, beside this file

        print("\nFaults (bench/faults.py --each):", flush=True)
        return faults.main(["--each", *shlex.split(args.faults_args)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
