"""Contact-center dashboards at scale: the grouping queries of each dashboard.

Fills a database with N ended calls over three years (50 operators with a line
each, 20,000 partners; received/missed/outgoing/internal, office hours in
Prague, realistic ring and talk times) by bulk SQL, then runs the read_group
calls the dashboards' graph and pivot views issue (same measures, groupbys and
default filters), as a contact-center manager in Europe/Prague, and prints
p50/max of each over several runs. The budget is 1 s a query.

    python3 bench/dashboards.py [--calls 1000000] [--runs 5] [--database NAME] [--keep]

Needs Odoo 18 importable and PostgreSQL running (see README); the database is
created with the addon installed (no demo data) and dropped afterwards unless
--keep is given. A kept database is reused (and topped up) when run again.
"""

import argparse
import statistics
import time
from datetime import datetime

from odoo_db import drop_database, open_database

OPERATORS = 50
PARTNERS = 20_000
TZ = "Europe/Prague"
BUDGET = 1.0


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
    """``count`` ended calls over the last three years, by one INSERT ... SELECT."""
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
    # Random draws per row r1..r6; office hours 07:00-18:00 Prague, a late-morning
    # peak (sum of three uniforms), few calls at weekends.
    cr.execute("""
        WITH draw AS (
            SELECT g, random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5,
                   floor(random() * %(lines)s)::int AS line_n,
                   %(first)s + floor(random() * (%(last)s - %(first)s + 1))::int AS partner,
                   (date_trunc('day', now() - random() * interval '1095 days')
                    + (7 + (random() + random() + random()) / 3 * 11) * interval '1 hour') AS local_start
              FROM generate_series(%(from)s, %(to)s) g
        ), shaped AS (
            SELECT d.*, l.line_id, l.user_id,
                   CASE WHEN r1 < 0.08 THEN 'internal' WHEN r1 < 0.38 THEN 'outbound' ELSE 'inbound' END AS direction,
                   CASE WHEN r2 < 0.78 THEN 'answered' WHEN r2 < 0.89 THEN 'cancelled'
                        WHEN r2 < 0.97 THEN 'no_answer' ELSE 'busy' END AS disposition,
                   (local_start AT TIME ZONE %(tz)s) AT TIME ZONE 'UTC' AS start_utc,
                   2 + floor(r3 * 24)::int AS ring,
                   5 + floor(-ln(1 - r4) * 180)::int AS talk
              FROM draw d JOIN bench_line l ON l.n = d.line_n
             WHERE extract(isodow FROM local_start) < 6 OR r5 < 0.15
        )
        INSERT INTO k2_cc_call (pbx_id, pbx_call_id, line_id, user_id, direction, disposition, call_type,
                                is_internal, state, partner_id, commercial_partner_id, company_id,
                                start, answer_time, "end", ring_duration, talk_duration,
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
               now(), now(), 1, 1
          FROM shaped
    """, {"lines": lines, "first": first_partner, "last": last_partner, "tz": TZ, "pbx": pbx.id,
          "company": pbx.company_id.id, "from": have + 1, "to": have + int((count - have) * 1.4)})
    cr.execute("DROP TABLE bench_line")
    # Weekend thinning drops about a fifth; trim to the exact count.
    cr.execute("""
        DELETE FROM k2_cc_call WHERE id IN (
            SELECT id FROM k2_cc_call WHERE pbx_id = %s ORDER BY id DESC
            OFFSET %s)
    """, (pbx.id, count))
    cr.execute("SELECT count(*) FROM k2_cc_call WHERE pbx_id = %s", (pbx.id,))
    total = cr.fetchone()[0]
    cr.commit()
    cr.execute("ANALYZE k2_cc_call")
    cr.execute("ANALYZE res_partner")
    print(f"  filled {total:,} calls in {time.perf_counter() - started:.0f} s")
    return total


def period(name, now):
    """Default period filters of the search view (year / month of today), as UTC bounds."""
    import pytz

    tz = pytz.timezone(TZ)
    if name == "year":
        start, end = datetime(now.year, 1, 1), datetime(now.year + 1, 1, 1)
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
    year, month = period("year", now), period("month", now)
    external = [("is_internal", "=", False)]
    with_partner = [("commercial_partner_id", "!=", False)]
    count_talk = ["__count", "talk_duration:sum"]
    operator = ["__count", "talk_duration:sum", "answered_talk_duration:avg", "missed_count:sum",
                "answer_rate:avg", "ring_duration:avg"]
    partner = ["talk_duration:sum", "__count", "answered_talk_duration:avg"]
    queries = [
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
        ("Operators, this year [user]", year + external, operator, ["user_id"]),
        ("Partners graph [partner]", year + with_partner, ["__count", "talk_duration:sum"],
         ["partner_group_id"]),
        *pivot_calls("Partners", year + with_partner, ["partner_group_id"], [], partner),
        ("Partners, all 3 years [partner]", with_partner, partner, ["partner_group_id"]),
        ("Partner trend [month] (one partner)", "ONE_PARTNER", ["__count", "talk_duration:sum"], ["start:month"]),
    ]
    return queries


def timed(label, runs, env, work, detail=lambda: ""):
    """Run ``work`` runs + 1 times (the first warms caches and is not counted),
    print p50 and max, return the max in seconds."""
    durations = []
    for _run in range(runs + 1):
        env.invalidate_all()
        started = time.perf_counter()
        work()
        durations.append(time.perf_counter() - started)
    durations = durations[1:]
    p50, top = statistics.median(durations), max(durations)
    flag = "" if top < BUDGET else "   OVER BUDGET"
    print(f"  {label:<58} p50 {p50 * 1000:8.1f} ms   max {top * 1000:8.1f} ms{detail()}{flag}")
    return top


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database", default="k2cc_bench_dashboards")
    parser.add_argument("--keep", action="store_true", help="keep the database for another run")
    args = parser.parse_args()
    database = args.database

    import odoo

    registry = open_database(database)
    worst = 0.0
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        pbx, _users, manager = setup(env)
        cr.commit()
        total = fill(env, pbx, args.calls)
        cr.execute("SELECT commercial_partner_id FROM k2_cc_call WHERE commercial_partner_id IS NOT NULL "
                   "GROUP BY 1 ORDER BY sum(talk_duration) DESC LIMIT 1")
        top_partner = cr.fetchone()[0]
        print(f"Database {database}: {total:,} calls, {OPERATORS} operators, {PARTNERS:,} partners; "
              f"read_group as {manager.login} in {TZ}, {args.runs} runs each (budget {BUDGET:.0f} s)")
        menv = odoo.api.Environment(cr, manager.id, {"tz": TZ, "lang": "en_US"})
        Report = menv["k2.cc.call.report"]
        now = datetime.now()
        for label, domain, measures, groupby in dashboard_queries(now):
            if domain == "ONE_PARTNER":
                domain = [("commercial_partner_id", "=", top_partner)]
            groups = []

            def read(domain=domain, measures=measures, groupby=groupby, groups=groups):
                groups.append(len(Report.read_group(domain, measures, groupby, lazy=False)))

            worst = max(worst, timed(label, args.runs, menv, read, lambda groups=groups: f"   {groups[-1]:>6} groups"))
        # The home screen: one call of cc_home_data (its two grouping queries) per scope and period.
        for scope, period in (("team", "month"), ("team", "year"), ("team", "12months"), ("mine", "year")):
            top = timed(f"Home screen [{scope}, {period}] (2 queries)", args.runs, menv,
                        lambda scope=scope, period=period: Report.cc_home_data(scope, period))
            worst = max(worst, top)
        print(f"  slowest query: {worst * 1000:.1f} ms ({'within' if worst < BUDGET else 'OVER'} the 1 s budget)")
    if not args.keep:
        drop_database(database)


if __name__ == "__main__":
    main()
