"""Contact-center dashboards at scale: every dashboard figure, from the rollups and from the calls.

Fills a database with N ended calls over three years (50 operators with a line
each, 20,000 partners, three queues; received/missed/outgoing/internal, office
hours in Prague, realistic ring, talk and wait times, queue outcomes and the
lines each queue call rang) by bulk SQL, in batches whose INSERTs go through
the rollups' triggers as the bridge's writes do. Then it runs the read_group
calls the dashboards' graph and pivot views issue (same measures, groupbys and
default filters) and the home screen's figures, as a contact-center manager in
Europe/Prague, twice in the same run: as the dashboards read them (from the
rollups where one holds the fields) and by the plain query over the call table
(context ``k2_cc_plain``), and prints p50 and p95 of each and their ratio.
Grouped by partner, both answer the ranking the dashboard shows (the 50
partners with the most talk time and one group of the others); a long
period reads the rollups' coarse levels (months, years) and their ends the
finer ones. The budget is 500 ms at p95.

    python3 bench/dashboards.py [--calls 1000000] [--runs 10] [--plain-runs 3] [--database NAME] [--keep]

Needs Odoo 18 importable and PostgreSQL running (see README); the database is
created with the addon installed (no demo data) and dropped afterwards unless
--keep is given. A kept database is reused (and topped up) when run again.
"""

import argparse
import statistics
import subprocess
import time
from datetime import datetime

from odoo_db import drop_database, open_database

OPERATORS = 50
PARTNERS = 20_000
TZ = "Europe/Prague"
BUDGET = 0.5
QUEUES = ("sales", "support", "billing")
BATCH = 500_000


def setup(env):
    """PBX, 50 operators with a line each, a manager, 20,000 partners (idempotent)."""
    pbx = env["k2.cc.pbx"].search([("code", "=", "BENCH")])
    if not pbx:
        pbx = env["k2.cc.pbx"].create({"code": "BENCH", "name": "Bench PBX", "host": "127.0.0.1"})
    users = env["res.users"].search([("login", "=like", "bench_op_%")], order="id")
    if len(users) < OPERATORS:
        agent_group = env.ref("k2_contact_center.group_k2_cc_user")
        Users = env["res.users"].with_context(no_reset_password=True, tracking_disable=True)
        for index in range(len(users), OPERATORS):
            user = Users.create({
                "name": f"Bench Operator {index:02d}", "login": f"bench_op_{index:02d}", "tz": TZ,
                "groups_id": [(6, 0, [agent_group.id])],
            })
            env["k2.cc.line"].create({"pbx_id": pbx.id, "extension": f"{100 + index}", "user_id": user.id})
        users = env["res.users"].search([("login", "=like", "bench_op_%")], order="id")
    manager = env["res.users"].search([("login", "=", "bench_manager")])
    if not manager:
        manager = env["res.users"].with_context(no_reset_password=True).create({
            "name": "Bench Manager", "login": "bench_manager", "tz": TZ,
            "groups_id": [(6, 0, [env.ref("k2_contact_center.group_k2_cc_manager").id])],
        })
    for name in QUEUES:
        if not env["k2.cc.queue"].search([("pbx_id", "=", pbx.id), ("name", "=", name)]):
            env["k2.cc.queue"].create({"pbx_id": pbx.id, "name": name})
    cr = env.cr
    cr.execute("SELECT count(*) FROM res_partner WHERE name LIKE 'Bench Customer %'")
    have = cr.fetchone()[0]
    if have < PARTNERS:
        cr.execute("""
            INSERT INTO res_partner (name, complete_name, active, is_company, type,
                                     company_id, create_date, write_date, create_uid, write_uid)
            SELECT 'Bench Customer ' || g, 'Bench Customer ' || g, true, true, 'contact',
                   NULL, now(), now(), 1, 1
              FROM generate_series(%s, %s) g
        """, (have + 1, PARTNERS))
        cr.execute("UPDATE res_partner SET commercial_partner_id = id "
                   "WHERE commercial_partner_id IS NULL AND name LIKE 'Bench Customer %'")
    env.invalidate_all()
    return pbx, users, manager


def fill(env, pbx, count):
    """``count`` ended calls over the last three years, by INSERT ... SELECT in batches."""
    cr = env.cr
    cr.execute("SELECT count(*) FROM k2_cc_call WHERE pbx_id = %s", (pbx.id,))
    have = cr.fetchone()[0]
    if have >= count:
        return have
    started = time.perf_counter()
    cr.execute("SELECT min(id), max(id) FROM res_partner WHERE name LIKE 'Bench Customer %'")
    first_partner, last_partner = cr.fetchone()
    cr.execute("""
        CREATE TEMP TABLE bench_line AS
        SELECT row_number() OVER (ORDER BY id) - 1 AS n, id AS line_id, user_id
          FROM k2_cc_line WHERE pbx_id = %s
    """, (pbx.id,))
    cr.execute("SELECT count(*) FROM bench_line")
    lines = cr.fetchone()[0]
    cr.execute("""
        CREATE TEMP TABLE bench_queue AS
        SELECT row_number() OVER (ORDER BY id) - 1 AS n, id AS queue_id, service_level_seconds AS sl,
               short_abandon_seconds AS short
          FROM k2_cc_queue WHERE pbx_id = %s
    """, (pbx.id,))
    for first in range(have + 1, count + 1, BATCH):
        last = min(first + BATCH - 1, count)
        _fill_batch(cr, {"lines": lines, "first": first_partner, "last": last_partner, "tz": TZ, "pbx": pbx.id,
                         "company": pbx.company_id.id, "from": first, "to": last, "queues": len(QUEUES)})
        cr.commit()
        print(f"  {last:,} calls ({time.perf_counter() - started:.0f} s)", flush=True)
    cr.execute("DROP TABLE bench_line")
    cr.execute("DROP TABLE bench_queue")
    # The batches draw their calls anywhere in three years; a real call table
    # is written as calls end, in time order, so a month's calls sit together.
    cr.execute("CLUSTER k2_cc_call USING k2_cc_call__start_index")
    cr.execute("SELECT count(*) FROM k2_cc_call WHERE pbx_id = %s", (pbx.id,))
    total = cr.fetchone()[0]
    cr.commit()
    print(f"  filled {total:,} calls in {time.perf_counter() - started:.0f} s (rollups by their triggers)")
    return total


def vacuum(cr):
    """VACUUM ANALYZE the calls and rollups, as after a night of autovacuum on a
    real server (outside a transaction: by psql)."""
    cr.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'k2_cc_rollup_%' ORDER BY 1")
    tables = ["k2_cc_call", "k2_cc_call_k2_cc_line_rel", "res_partner", *(name for (name,) in cr.fetchall())]
    subprocess.run(["psql", "-q", "-d", cr.dbname, "-c", f"VACUUM ANALYZE {', '.join(tables)}"], check=True)


def _fill_batch(cr, params):
    """One INSERT of calls (its statement triggers update the rollups), then the lines that rang."""
    cr.execute("SELECT COALESCE(max(id), 0) FROM k2_cc_call")
    params = {**params, "before": cr.fetchone()[0]}
    # Random draws per row r1..r7; office hours 07:00-18:00 Prague, a late-morning
    # peak (sum of three uniforms), few calls at weekends (the others moved to Friday).
    # Inbound calls: 70 % through a queue, waits exponential around 25 s, the
    # quality flags as k2.cc.call computes them.
    cr.execute("""
        WITH draw AS (
            SELECT g, random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5,
                   random() AS r6, random() AS r7,
                   floor(random() * %(lines)s)::int AS line_n,
                   floor(random() * %(queues)s)::int AS queue_n,
                   %(first)s + floor(random() * (%(last)s - %(first)s + 1))::int AS partner,
                   date_trunc('day', (now() AT TIME ZONE 'UTC') - random() * interval '1095 days') AS day,
                   (7 + (random() + random() + random()) / 3 * 11) * interval '1 hour' AS hour
              FROM generate_series(%(from)s, %(to)s) g
        ), dated AS (
            SELECT d.*, CASE WHEN extract(isodow FROM day) >= 6 AND r5 >= 0.15
                             THEN day - (extract(isodow FROM day)::int - 5) * interval '1 day'
                             ELSE day END + hour AS local_start
              FROM draw d
        ), shaped AS (
            SELECT d.*, l.line_id, l.user_id,
                   CASE WHEN r1 < 0.08 THEN 'internal' WHEN r1 < 0.38 THEN 'outbound' ELSE 'inbound' END AS direction,
                   CASE WHEN r2 < 0.78 THEN 'answered' WHEN r2 < 0.89 THEN 'cancelled'
                        WHEN r2 < 0.97 THEN 'no_answer' ELSE 'busy' END AS disposition,
                   (local_start AT TIME ZONE %(tz)s) AT TIME ZONE 'UTC' AS start_utc,
                   2 + floor(r3 * 24)::int AS ring,
                   5 + floor(-ln(1 - r4) * 180)::int AS talk,
                   floor(-ln(1 - r6) * 25)::int AS wait
              FROM dated d JOIN bench_line l ON l.n = d.line_n
        ), queued AS (
            SELECT s.*, CASE WHEN direction = 'inbound' AND r7 < 0.7 THEN q.queue_id END AS queue_id,
                   COALESCE(CASE WHEN direction = 'inbound' AND r7 < 0.7 THEN q.sl END, 20) AS sl,
                   COALESCE(CASE WHEN direction = 'inbound' AND r7 < 0.7 THEN q.short END, 5) AS short
              FROM shaped s JOIN bench_queue q ON q.n = s.queue_n
        ), rated AS (
            SELECT q.*, CASE WHEN queue_id IS NOT NULL THEN wait ELSE ring END AS wait_time,
                   direction = 'inbound' AND disposition = 'cancelled'
                       AND CASE WHEN queue_id IS NOT NULL THEN wait ELSE ring END < short AS short_abandon
              FROM queued q
        )
        INSERT INTO k2_cc_call (pbx_id, pbx_call_id, line_id, user_id, direction, disposition, call_type,
                                is_internal, state, partner_id, commercial_partner_id, company_id,
                                start, answer_time, "end", ring_duration, talk_duration,
                                queue_id, queue_outcome, wait_time, wait_known,
                                short_abandon, offered, abandoned, answered_in_sl,
                                create_date, write_date, create_uid, write_uid)
        SELECT %(pbx)s, 'bench-' || g, line_id, user_id, direction, disposition,
               CASE WHEN direction = 'outbound' THEN 'outgoing'
                    WHEN disposition = 'answered' THEN 'received' ELSE 'missed' END,
               direction = 'internal', 'done',
               CASE WHEN direction <> 'internal' AND r5 < 0.85 THEN partner END,
               CASE WHEN direction <> 'internal' AND r5 < 0.85 THEN partner END,
               %(company)s,
               start_utc,
               CASE WHEN disposition = 'answered' THEN start_utc + ring * interval '1 second' END,
               start_utc + (ring + CASE WHEN disposition = 'answered' THEN talk ELSE 0 END) * interval '1 second',
               CASE WHEN disposition = 'busy' THEN 0 ELSE ring END,
               CASE WHEN disposition = 'answered' THEN talk ELSE 0 END,
               queue_id,
               CASE WHEN queue_id IS NULL THEN NULL WHEN disposition = 'answered' THEN 'answered'
                    WHEN disposition = 'cancelled' THEN 'abandoned' ELSE 'timeout' END,
               wait_time, true,
               short_abandon,
               direction = 'inbound' AND NOT short_abandon,
               direction = 'inbound' AND disposition = 'cancelled' AND NOT short_abandon,
               direction = 'inbound' AND disposition = 'answered' AND wait_time <= sl,
               now(), now(), 1, 1
          FROM rated
    """, params)
    # Queue calls rang the line that took them, and a third of them another line too.
    cr.execute("""
        INSERT INTO k2_cc_call_k2_cc_line_rel (k2_cc_call_id, k2_cc_line_id)
        SELECT c.id, c.line_id FROM k2_cc_call c
         WHERE c.pbx_id = %(pbx)s AND c.queue_id IS NOT NULL AND c.id > %(before)s
        UNION
        SELECT c.id, l.line_id FROM k2_cc_call c JOIN bench_line l ON l.n = c.id %% %(lines)s
         WHERE c.pbx_id = %(pbx)s AND c.queue_id IS NOT NULL AND c.id %% 3 = 0 AND c.id > %(before)s
        ON CONFLICT DO NOTHING
    """, params)


def period(name, now):
    """Period filters of the search view (this year, this month, last month), as UTC bounds."""
    import pytz

    tz = pytz.timezone(TZ)
    if name == "year":
        start, end = datetime(now.year, 1, 1), datetime(now.year + 1, 1, 1)
    elif name == "last_month":
        end = datetime(now.year, now.month, 1)
        start = datetime(end.year - (end.month == 1), (end.month - 2) % 12 + 1, 1)
    else:
        start = datetime(now.year, now.month, 1)
        end = datetime(now.year + (now.month == 12), now.month % 12 + 1, 1)

    def utc(moment):
        return tz.localize(moment).astimezone(pytz.utc).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S")

    return [("start", ">=", utc(start)), ("start", "<", utc(end))]


def pivot_calls(label, domain, rows, cols, measures):
    """The read_groups of a pivot view: every prefix of the row groupbys by every prefix of the columns'."""
    calls = []
    for i in range(len(rows) + 1):
        for j in range(len(cols) + 1):
            groupby = rows[:i] + cols[:j]
            name = "+".join(groupby) or "total"
            calls.append((f"{label} pivot [{name}]", domain, measures, groupby))
    return calls


def dashboard_queries(now):
    """``(label, model, domain, measures, groupby)`` of every dashboard graph and pivot."""
    # This month is the views' default; on the first days of a month it is
    # nearly empty, so last month (a full one) is timed too.
    year, month, last_month = period("year", now), period("month", now), period("last_month", now)
    external = [("is_internal", "=", False)]
    with_partner = [("commercial_partner_id", "!=", False)]
    count_talk = ["__count", "talk_duration:sum"]
    operator = ["__count", "talk_duration:sum", "answered_talk_duration:avg", "missed_count:sum",
                "answer_rate:avg", "ring_duration:avg"]
    partner = ["talk_duration:sum", "__count", "answered_talk_duration:avg"]
    calls = [
        ("Line utilisation graph [month x type]", year, ["__count"], ["start:month", "call_type"]),
        *pivot_calls("Line utilisation", year, ["start:month"], ["call_type"], count_talk),
        ("Line utilisation, all 3 years [month x type]", [], ["__count"], ["start:month", "call_type"]),
        ("Busiest hours graph [hour x type]", year, ["__count"], ["hour", "call_type"]),
        *pivot_calls("Busiest hours", year, ["hour"], ["call_type"], count_talk),
        ("Busiest hours, all 3 years [hour x type]", [], ["__count"], ["hour", "call_type"]),
        ("Busiest weekdays graph [weekday x type]", year, ["__count"], ["weekday", "call_type"]),
        *pivot_calls("Busiest weekdays", year, ["weekday"], ["call_type"], count_talk),
        ("Operators graph [user]", month + external, ["__count"], ["user_id"]),
        *pivot_calls("Operators", month + external, ["user_id"], [], operator),
        ("Operators, last month [user]", last_month + external, operator, ["user_id"]),
        ("Operators, this year [user]", year + external, operator, ["user_id"]),
        ("Partners graph [partner]", year + with_partner, ["__count", "talk_duration:sum"],
         ["partner_group_id"]),
        *pivot_calls("Partners", year + with_partner, ["partner_group_id"], [], partner),
        ("Partners, all 3 years [partner]", with_partner, partner, ["partner_group_id"]),
        ("Partner trend [month] (one partner)", "ONE_PARTNER", ["__count", "talk_duration:sum"], ["start:month"]),
    ]
    quality = ["service_level:avg", "offered_count:sum", "answered_count:sum", "abandoned_count:sum",
               "abandon_rate:avg", "wait_time:avg", "longest_wait:max"]
    queues = ["offered_count:sum", "answered_count:sum", "abandoned_count:sum", "short_abandon_count:sum",
              "service_level:avg", "abandon_rate:avg", "wait_time:avg", "longest_wait:max"]
    agents = ["answered:sum", "rang_no_answer:sum", "handle_time:avg"]
    quality_queries = [
        ("Service level graph [day x queue]", month, ["service_level:avg"], ["start:day", "queue_id"]),
        *pivot_calls("Service level", month, ["start:day"], ["queue_id"], quality),
        ("Service level by hour graph [hour x queue]", month, ["service_level:avg"], ["hour", "queue_id"]),
        *pivot_calls("Service level by hour", month, ["hour"], ["queue_id"], quality[:2] + quality[4:6]),
        *pivot_calls("Service level, last month", last_month, ["start:day"], ["queue_id"], quality),
        ("Service level by hour, last month [hour x queue]", last_month, ["service_level:avg"],
         ["hour", "queue_id"]),
        ("Service level by day, this year [day x queue]", year, ["service_level:avg"], ["start:day", "queue_id"]),
        ("Queues graph [queue]", month, ["answered_count:sum", "abandoned_count:sum"], ["queue_id"]),
        *pivot_calls("Queues", month, ["queue_id"], [], queues),
        ("Queues, last month [queue]", last_month, queues, ["queue_id"]),
        ("Queues, this year [queue]", year, queues, ["queue_id"]),
    ]
    agent_queries = [
        ("Queue agents graph [agent]", month, ["answered:sum", "rang_no_answer:sum"], ["user_id"]),
        *pivot_calls("Queue agents", month, ["user_id"], ["queue_id"], agents),
        ("Queue agents, last month [agent x queue]", last_month, agents, ["user_id", "queue_id"]),
        ("Queue agents, this year [agent x queue]", year, agents, ["user_id", "queue_id"]),
    ]
    return ([(label, "k2.cc.call.report", *rest) for label, *rest in calls]
            + [(label, "k2.cc.quality.report", *rest) for label, *rest in quality_queries]
            + [(label, "k2.cc.queue.agent.report", *rest) for label, *rest in agent_queries])


def percentile(durations, share):
    """Nearest-rank percentile."""
    ranked = sorted(durations)
    return ranked[max(0, min(len(ranked) - 1, -(-len(ranked) * share // 100) - 1))]


def timed(runs, env, work):
    """Durations in seconds of ``runs`` runs of ``work``, after one that warms caches."""
    durations = []
    for _run in range(runs + 1):
        env.invalidate_all()
        started = time.perf_counter()
        work()
        durations.append(time.perf_counter() - started)
    return durations[1:]


def compare(label, args, env, work, detail=lambda: ""):
    """Print p50/p95 of ``work`` from the rollups and by the plain query, return both p95."""
    fast = timed(args.runs, env, lambda: work(False))
    plain = timed(args.plain_runs, env, lambda: work(True))
    p50, p95 = statistics.median(fast), percentile(fast, 95)
    plain_p50, plain_p95 = statistics.median(plain), percentile(plain, 95)
    flag = "" if p95 <= BUDGET else "   OVER BUDGET"
    print(f"  {label:<56} rollups p50 {p50 * 1000:7.1f} p95 {p95 * 1000:7.1f} ms | plain p50 {plain_p50 * 1000:8.1f}"
          f" p95 {plain_p95 * 1000:8.1f} ms | x{plain_p50 / p50:6.1f}{detail()}{flag}", flush=True)
    return p95, plain_p95


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=10, help="timed runs of each figure from the rollups")
    parser.add_argument("--plain-runs", type=int, default=3, help="timed runs of each figure by the plain query")
    parser.add_argument("--database", default="k2cc_bench_dashboards")
    parser.add_argument("--keep", action="store_true", help="keep the database for another run")
    args = parser.parse_args()
    database = args.database

    import odoo

    registry = open_database(database)
    worst = worst_plain = 0.0
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        pbx, _users, manager = setup(env)
        cr.commit()
        total = fill(env, pbx, args.calls)
        vacuum(cr)
        cr.execute("SELECT commercial_partner_id FROM k2_cc_call WHERE commercial_partner_id IS NOT NULL "
                   "GROUP BY 1 ORDER BY sum(talk_duration) DESC LIMIT 1")
        top_partner = cr.fetchone()[0]
        print(f"Database {database}: {total:,} calls, {OPERATORS} operators, {PARTNERS:,} partners, "
              f"{len(QUEUES)} queues; read_group as {manager.login} in {TZ}; rollups {args.runs} runs, "
              f"plain query {args.plain_runs} runs each; ratio = plain p50 / rollups p50; "
              f"budget {BUDGET * 1000:.0f} ms at p95")
        menv = odoo.api.Environment(cr, manager.id, {"tz": TZ, "lang": "en_US"})
        now = datetime.now()
        for label, model, domain, measures, groupby in dashboard_queries(now):
            if domain == "ONE_PARTNER":
                domain = [("commercial_partner_id", "=", top_partner)]
            groups = []

            def read(plain, model=model, domain=domain, measures=measures, groupby=groupby, groups=groups):
                groups.append(len(menv[model].with_context(k2_cc_plain=plain).read_group(
                    domain, measures, groupby, lazy=False)))

            top, top_plain = compare(label, args, menv, read, lambda groups=groups: f" {groups[-1]:>6} groups")
            worst, worst_plain = max(worst, top), max(worst_plain, top_plain)
        # The home screen: one call of cc_home_data (its figures: calls by type, totals, top partners,
        # service level, callbacks) per scope and period.
        Report = menv["k2.cc.call.report"]
        for scope, period_name in (("team", "today"), ("team", "week"), ("team", "month"), ("team", "quarter"),
                                   ("team", "year"), ("team", "12months"), ("mine", "year")):
            top, top_plain = compare(
                f"Home screen [{scope}, {period_name}]", args, menv,
                lambda plain, scope=scope, period_name=period_name:
                Report.with_context(k2_cc_plain=plain).cc_home_data(scope, period_name))
            worst, worst_plain = max(worst, top), max(worst_plain, top_plain)
        print(f"  slowest p95: rollups {worst * 1000:.1f} ms ({'within' if worst <= BUDGET else 'OVER'} the "
              f"{BUDGET * 1000:.0f} ms budget), plain query {worst_plain * 1000:.1f} ms")
    if not args.keep:
        drop_database(database)


if __name__ == "__main__":
    main()
