"""Faults: the ``k2cc-bridge`` command against the AMI simulator under seeded
mixed traffic (queues, transfers, pickups of the simulator's mix), once
without faults and once with two dropped connections, a half-open link longer
than a ping cycle, the bridge's writer process killed (SIGKILL: the link
stays up, the batch it held is written by the next) and a bridge restart
(SIGTERM, start again), with the
simulator writing its CDRs into a PostgreSQL table the PBX's CDR source
points at. Prints figures:

    python3 bench/faults.py [--calls-per-minute 150] [--duration 80] [--time-scale 1] [--seed 7] [--no-cdr]
                            [--cancel-disposition] [--each] [--check] [--strict [N]]
                            [--faults SHARE:KIND,...]

With ``--faults`` the faulted run has these faults instead of the mixed five:
``0.2:half-open,0.25:restart,0.8:kill`` is a half-open link at a fifth of the
traffic's span, a restart soon after (while the bridge still resyncs) and the
bridge killed (SIGKILL: nothing it held is written, the next one must find
it) at four fifths. A bridge still running 30 s after its SIGTERM is killed
(its threads' stacks written to its log first) and counted as a problem.

With ``--each``, the same traffic is also played once per kind of fault
alone (two dropped connections, two half-open links, two restarts, two
kills, two writer processes killed), and a table at the end gives each run's figures side by side. For
each run:

- calls recorded / calls made, and how many were recovered from CDR;
- for each fault, the time from the fault to the link back (the simulator
  sees the bridge logged in again; for a writer process killed, to the next
  writer process started) and, for the half-open link, the time
  until the bridge found out;
- calls left open, duplicates, and the calls whose disposition or talk time
  (more than 1 s off) differ from the same call of the run without faults;
  apart, the calls nobody answered that ended while the bridge saw nothing,
  told as cancelled or not answered the other way round: who gave up, the
  caller or the ringing, no record says then (a CDR reads both *NO ANSWER*).

With ``--cancel-disposition`` the simulator writes its CDRs as a PBX whose
``cdr.conf`` says ``canceldispositionenabled = yes`` (what the guide
recommends): *CANCEL* for a caller who hung up while ringing, so those calls
are compared like any other.

With ``--check`` it exits 1 when a call is missing, left open or doubled
(how ``tests/test_fault_run.py`` uses it); with ``--strict [N]`` too when more
than N (0) calls the bridge saw (not recovered from CDR) differ from the run
without faults. Needs Odoo 18
importable and PostgreSQL running; makes a database of its own (and one for
the CDR table) and drops them afterwards.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from odoo_db import addons_path, drop_database, open_database  # noqa: E402

from k2_contact_center.services import cdr  # noqa: E402
from k2_contact_center.services.ami.simulator import SimulatorThread  # noqa: E402

EXTENSIONS = ("201", "202", "203", "204")
# what a call's CDR cannot tell (services/cdr.py): the disposition it gives instead
CDR_READS = {"cancelled": "no_answer"}
UNANSWERED = {"cancelled", "no_answer"}
# the faulted run: when (share of the traffic's span) which fault comes
KINDS = ("drop", "half-open", "restart", "kill", "writer-kill")
MIXED = ((0.1, "drop"), (0.25, "half-open"), (0.4, "writer-kill"), (0.55, "restart"), (0.8, "drop"))


def wait_until(found, timeout, failure):
    """``time.monotonic()`` once ``found()`` holds (asked every 10 ms);
    ``TimeoutError(failure)`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found():
            return time.monotonic()
        time.sleep(0.01)
    raise TimeoutError(failure)


class Bridge:
    """The ``k2cc-bridge`` command for one PBX, as a process of its own."""

    def __init__(self, database, code, log):
        self.database = database
        self.code = code
        self.log = log
        self.process = None
        self.hung = []  # when a SIGTERM did not stop it

    def start(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "odoo", f"--addons-path={addons_path()}", "k2cc-bridge", "-d", self.database,
             "--pbx", self.code, "--interval", "2", "--log-level=info", f"--logfile={self.log}"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def kill(self):
        """The bridge dies (SIGKILL, an out-of-memory kill, a power cut): nothing it held is written."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def writers(self):
        """The pids of the bridge's writer processes (``--writer-of``, its children)."""
        found = set()
        for entry in Path("/proc").iterdir():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                if parent == self.process.pid and b"--writer-of" in (entry / "cmdline").read_bytes():
                    found.add(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
        return found

    def kill_writer(self, timeout=120):
        """The bridge's writer process dies (SIGKILL) while the link stays up:
        the batch it held is written again by the next one. When that one runs."""
        before = self.writers()
        for pid in before:
            os.kill(pid, signal.SIGKILL)
        return wait_until(lambda: self.writers() - before, timeout, f"{self.code}: no writer process came back")

    def stop(self, timeout=30):
        """SIGTERM, as systemd stops it; killed when still there after ``timeout``
        (its threads' stacks first written to its log, SIGQUIT as Odoo's server)."""
        if self.process and self.process.poll() is None:
            sent = time.time()
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.hung.append(sent)
                self.process.send_signal(signal.SIGQUIT)
                time.sleep(2)
                self.process.kill()
                self.process.wait()


class Run:
    def __init__(self, registry, database, code, args, source, faults, label=None):
        self.registry = registry
        self.database = database
        self.code = code
        self.args = args
        self.source = source
        self.faults = faults  # (share of the traffic's span, kind of fault)
        self.label = label or code
        self.timings = []  # (kind, seconds to link back, seconds to detection or None)
        self.fault_times = []  # (kind, epoch of the fault, seconds to link back)
        self.sim = SimulatorThread(username="odoo", secret="faults", extensions=EXTENSIONS, seed=args.seed,
                                   cdr=source, cancel_disposition=args.cancel_disposition)
        self.log = tempfile.NamedTemporaryFile(prefix=f"k2cc-bridge-{code}-", suffix=".log", delete=False).name
        self.bridge = Bridge(database, code, self.log)

    # -- what the simulator sees --
    def clients(self):
        # the client objects themselves: held here, a new one never takes an old one's id()
        return {client for client in list(self.sim.simulator.clients) if client.logged_in}

    def wait_new_client(self, before, timeout=120):
        return wait_until(lambda: self.clients() - before, timeout, f"{self.code}: the bridge did not log in again")

    def wait_gone(self, clients, timeout=60):
        return wait_until(lambda: not clients & set(self.sim.simulator.clients), timeout,
                          f"{self.code}: the silent link was never given up")

    # -- the run --
    def setup(self):
        port = self.sim.start()
        with self.registry.cursor() as cr:
            from odoo import SUPERUSER_ID, api  # noqa: PLC0415 - Odoo is imported by open_database

            env = api.Environment(cr, SUPERUSER_ID, {})
            vals = {"code": self.code, "name": f"Faults {self.code}", "host": "127.0.0.1", "port": port,
                    "username": "odoo", "password": "faults", "country_id": env.ref("base.cz").id,
                    "extension_prefix": "221122", "extension_patterns": "2XX, 6XX", "trunk_names": "k2-trunk",
                    "tz": "UTC"}
            if self.source is not None:
                vals.update(cdr_kind="pgsql", cdr_host=self.source.host, cdr_database=self.source.database,
                            cdr_user=self.source.user, cdr_table=self.source.table,
                            cdr_cancel_disposition=self.args.cancel_disposition)
            self.pbx_id = env["k2.cc.pbx"].create(vals).id

    def play(self):
        args = self.args
        self.bridge.start()
        self.wait_new_client(set())
        scale = args.time_scale
        # handed back in a tuple: the runner would wait for a bare task, and the faults must come meanwhile
        (traffic,) = self.sim.run(lambda sim: (sim._spawn(sim.traffic(args.calls_per_minute, args.duration,
                                                                      args.seed, scale, one_call_each=False)),))
        started = time.monotonic()
        span = args.duration * scale
        for offset, kind in self.faults:
            wait = started + offset * span - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self.fault(kind)
        while not traffic.done() or self.sim.simulator._tasks:
            time.sleep(0.2)
        self.made = list(self.sim.simulator.expected_calls)

    def fault(self, kind):
        before = self.clients()
        at = time.monotonic()
        detected = None
        if kind == "drop":
            self.sim.run(lambda sim: sim.drop_connections())
        elif kind == "half-open":
            self.sim.run(lambda sim: sim.stop_answering_pings(True))
            detected = self.wait_gone(before) - at
            self.sim.run(lambda sim: sim.stop_answering_pings(False))
        elif kind == "kill":
            self.bridge.kill()
            self.bridge.start()
        elif kind == "writer-kill":
            back = self.bridge.kill_writer() - at
        else:
            self.bridge.stop()
            self.bridge.start()
        if kind != "writer-kill":  # the link stayed up: back is when a writer was
            back = self.wait_new_client(before) - at
        self.timings.append((kind, back, detected))
        self.fault_times.append((kind, time.time() - (time.monotonic() - at), back))

    def settle(self, timeout=90):
        """Wait for the history to hold every call made, ended, and for the
        bridge to have read the CDRs of the calls it took up in progress."""
        deadline = time.monotonic() + timeout
        wanted = {want["call_id"] for want in self.made}
        while time.monotonic() < deadline:
            calls = self.history()
            if wanted <= set(calls) and all(call["state"] == "done" for call in calls.values()):
                break
            time.sleep(0.5)
        time.sleep(5)  # the bridge reads a call's CDR 2 s after it ended (bridge.runner.CDR_DELAY)
        self.bridge.stop()
        self.sim.stop()

    def ended_blind(self, call):
        """Did ``call`` (a history row) end while the bridge saw nothing (a fault, until the link was back)?"""
        end = datetime.fromisoformat(call["end"]).replace(tzinfo=UTC).timestamp()
        return any(at - 1 <= end <= at + back + 1 for _kind, at, back in self.fault_times)

    def history(self):
        with self.registry.cursor() as cr:
            cr.execute("SELECT pbx_call_id, state, disposition, talk_duration, cdr_recovered, start::text, "
                       "answer_time::text AS answer, \"end\"::text FROM k2_cc_call WHERE pbx_id = %s", [self.pbx_id])
            rows = cr.dictfetchall()
        self.duplicates = len(rows) - len({row["pbx_call_id"] for row in rows})
        return {row["pbx_call_id"]: row for row in rows}


def timeline(call):
    """A history row's answer and end, seconds after its start: what to look at when it differs."""
    start = datetime.fromisoformat(call["start"])
    moments = [f"{name} +{(datetime.fromisoformat(call[name]) - start).total_seconds():.0f} s"
               for name in ("answer", "end") if call[name]]
    return ", ".join([f"start {start:%H:%M:%S}", *moments])


def compare(calm, hit, strict=None):
    """Figures and the problems ``--check`` fails on."""
    base = calm.history()
    calls = hit.history()
    problems = []
    made = len(hit.made)
    missing = [want for want in hit.made if want["call_id"] not in calls]
    left_open = [call_id for call_id, call in calls.items() if call["state"] != "done"]
    recovered = [call for call in calls.values() if call["cdr_recovered"]]
    differ_seen, differ_recovered, unknowable = [], [], []
    for index, want in enumerate(hit.made):
        call = calls.get(want["call_id"])
        twin = base.get(calm.made[index]["call_id"]) if index < len(calm.made) else None
        if call is None or twin is None:
            continue
        disposition = twin["disposition"]
        knowable = hit.args.cancel_disposition  # a CDR then tells who gave up
        if call["cdr_recovered"] and not knowable:
            disposition = CDR_READS.get(disposition, disposition)
        if call["disposition"] != disposition or abs((call["talk_duration"] or 0) - (twin["talk_duration"] or 0)) > 1:
            facts = (want["kind"], twin["disposition"], call["disposition"], twin["talk_duration"],
                     call["talk_duration"],
                     f"{want['call_id']}: {timeline(twin)} without faults, {timeline(call)} with")
            if {call["disposition"], twin["disposition"]} == UNANSWERED and hit.ended_blind(call) and not knowable:
                unknowable.append(facts)  # its end was not seen: who hung up, no CDR tells (see CDR_READS)
            else:
                (differ_recovered if call["cdr_recovered"] else differ_seen).append(facts)
    print(f"\n{hit.label}: {len(calls)} calls recorded / {made} made; {len(recovered)} recovered from CDR; "
          f"{len(left_open)} left open; {hit.duplicates} duplicates; {len(missing)} missing")
    for want in missing:
        print(f"  missing: {want['kind']} {want['call_id']} ({want['caller']} -> {want['callee']})")
    for at in hit.bridge.hung:
        print(f"  the bridge was still running 30 s after its SIGTERM at {datetime.fromtimestamp(at, UTC):%H:%M:%S}"
              f" UTC and was killed (its threads' stacks are in {hit.log})")
    for (kind, back, detected), (_kind, at, _back) in zip(hit.timings, hit.fault_times, strict=True):
        found = f", found out after {detected:.1f} s" if detected is not None else ""
        what = "a new writer process" if kind == "writer-kill" else "link back"
        print(f"  {kind} at {datetime.fromtimestamp(at, UTC):%H:%M:%S}: {what} {back:.1f} s after the fault{found}")
    print(f"Calls the bridge saw that differ from the run without faults: {len(differ_seen)}")
    for item in differ_seen:
        kind, before, after, talk_before, talk_after, moments = item
        print(f"  {kind}: {before} {talk_before}s without faults, {after} {talk_after}s with ({moments})")
    print(f"Calls not answered whose end the bridge could not see, told as cancelled or not answered the other "
          f"way round (the caller or the ringing gave up: a CDR does not say which): {len(unknowable)}")
    for kind, before, after, _talk_before, _talk_after, _moments in unknowable:
        print(f"  {kind}: {before} without faults, {after} with")
    print(f"Calls recovered from CDR that differ (beyond what a CDR cannot tell): {len(differ_recovered)}")
    for item in differ_recovered:
        kind, before, after, talk_before, talk_after, moments = item
        print(f"  {kind}: {before} {talk_before}s without faults, {after} {talk_after}s from CDR ({moments})")
    hit.figures = {"recorded": len(calls), "made": made, "recovered": len(recovered), "open": len(left_open),
                   "duplicates": hit.duplicates, "differ": len(differ_seen), "unknowable": len(unknowable),
                   "differ_recovered": len(differ_recovered)}
    if len(base) != len(calm.made):
        problems.append(f"the run without faults recorded {len(base)} of {len(calm.made)} calls")
    if missing:
        problems.append(f"{len(missing)} calls missing: {sorted({want['kind'] for want in missing})}")
    if left_open:
        problems.append(f"{len(left_open)} calls left open")
    if hit.bridge.hung:
        problems.append(f"the bridge did not stop on SIGTERM {len(hit.bridge.hung)} time(s)")
    if hit.duplicates:
        problems.append(f"{hit.duplicates} duplicates")
    if strict is not None and len(differ_seen) > strict:
        problems.append(f"{hit.label}: {len(differ_seen)} calls differ from the run without faults "
                        f"(at most {strict} allowed)")
    return [problem if problem.startswith(hit.label) else f"{hit.label}: {problem}" for problem in problems]


def table(runs):
    """The fault runs' figures side by side."""
    print("\nFault run                    recorded/made  from CDR  open  doubled  differ  unknowable  link back (s)")
    for run in runs:
        fig = run.figures
        back = ", ".join(f"{seconds:.1f}" + (f" (found {found:.1f})" if found is not None else "")
                         for _kind, seconds, found in run.timings)
        print(f"{run.label:<28} {fig['recorded']:>5}/{fig['made']:<7}  {fig['recovered']:>8}  {fig['open']:>4}  "
              f"{fig['duplicates']:>7}  {fig['differ'] + fig['differ_recovered']:>6}  {fig['unknowable']:>10}  {back}")


def fault_plan(text):
    """``0.3:kill,0.7:drop`` as ((0.3, "kill"), (0.7, "drop"))."""
    plan = []
    for part in text.split(","):
        share, _sep, kind = part.partition(":")
        if kind not in KINDS or not 0 <= float(share) < 1:
            raise argparse.ArgumentTypeError(f"{part!r}: want SHARE:KIND, SHARE in [0, 1), KIND one of {KINDS}")
        plan.append((float(share), kind))
    return tuple(sorted(plan))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls-per-minute", type=float, default=150.0)
    parser.add_argument("--duration", type=float, default=80.0, help="seconds of traffic (simulated time)")
    parser.add_argument("--time-scale", type=float, default=1.0, help="real seconds per simulated second")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-cdr", action="store_true", help="no CDR source: what an outage costs without one")
    parser.add_argument("--check", action="store_true", help="exit 1 when a call is lost, left open or doubled")
    parser.add_argument("--strict", nargs="?", type=int, const=0, default=None, metavar="N",
                        help="with --check, also fail when more than N (0) calls the bridge saw differ from the run "
                        "without faults")
    parser.add_argument("--cancel-disposition", action="store_true",
                        help="the PBX's cdr.conf says canceldispositionenabled = yes (as the guide recommends): "
                        "a CDR tells a caller who hung up while ringing from a phone nobody answered")
    parser.add_argument("--each", action="store_true",
                        help="also one run per kind of fault alone, and a table of every run's figures")
    parser.add_argument("--faults", metavar="SHARE:KIND,...", type=fault_plan, default=MIXED,
                        help="the faulted run's faults instead of the mixed five: when (share of the traffic's "
                        "span) which (drop, half-open, restart, kill, writer-kill), e.g. 0.3:kill,0.7:drop")
    parser.add_argument("--dump", metavar="FILE", help="write both runs' calls and faults as JSON")
    args = parser.parse_args(argv)
    database = f"k2cc_faults_{os.getpid()}"
    cdr_database = f"{database}_cdr"
    registry = open_database(database, fresh=True)
    import psycopg2  # noqa: PLC0415 - Odoo's driver, there once Odoo is

    admin = psycopg2.connect(dbname="postgres")
    admin.autocommit = True
    user = admin.get_dsn_parameters().get("user") or ""
    with admin.cursor() as cr:
        cr.execute(f'CREATE DATABASE "{cdr_database}"')
    runs = []
    try:
        label = "All five (mixed)" if args.faults == MIXED else ", ".join(kind for _share, kind in args.faults)
        plans = [("FAULTS", label, args.faults)]
        if args.each:
            plans += [(kind.upper().replace("-", ""), f"{kind.capitalize()} twice", ((0.2, kind), (0.6, kind)))
                      for kind in KINDS]
        sources = []
        for table_name in ["cdr_calm"] + [f"cdr_{code.lower()}" for code, _label, _schedule in plans]:
            source = None if args.no_cdr else cdr.CdrSource("pgsql", "", 0, cdr_database, user, "", table_name,
                                                             "UTC")
            if source is not None:
                cdr.create_table(source)
            sources.append(source)
        calm = Run(registry, database, "CALM", args, sources[0], faults=())
        runs = [calm] + [Run(registry, database, code, args, source, schedule, label)
                         for (code, label, schedule), source in zip(plans, sources[1:], strict=True)]
        for run in runs:
            run.setup()
            run.play()
            run.settle()
        print(f"Run without faults: {len(calm.history())} calls recorded / {len(calm.made)} made")
        problems = [problem for hit in runs[1:] for problem in compare(calm, hit, args.strict)]
        if args.each:
            table(runs[1:])
        if args.dump:
            Path(args.dump).write_text(json.dumps({
                run.code: {"made": run.made, "history": run.history(), "faults": run.fault_times} for run in runs
            }, indent=1, default=str))
    finally:
        for run in runs:
            run.bridge.stop()
        drop_database(database)
        with admin.cursor() as cr:
            cr.execute(f'DROP DATABASE IF EXISTS "{cdr_database}" WITH (FORCE)')
        admin.close()
    print("Bridge logs: " + ", ".join(run.log for run in runs))
    if problems:
        print("PROBLEMS: " + "; ".join(problems))
    return 1 if args.check and problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
