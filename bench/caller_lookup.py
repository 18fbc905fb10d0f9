"""Caller identification at scale: ``cc_find_by_number`` against an ILIKE scan.

Fills a database with N partners whose numbers are typed in mixed formats,
then looks callers up by the numbers as PBXs send them, in the same run: the
addon's indexed E.164 lookup on a cold cache (the ORM cache invalidated and
the kept number readings forgotten before each lookup: the bridge identifies
each caller in a fresh transaction, as the web client does, and most callers
are not those of the last minutes), the same as the bridge's recorder user
(record rules applied), a plain ORM ``search_fetch`` beside it, the bridge's
whole identification of a caller, the lookup on warm caches, and a
last-8-digits ``ILIKE`` over phone/mobile (what OCA's base_phone does).
Prints p50/p99 of each.

    python3 bench/caller_lookup.py [--partners 100000] [--lookups 2000] [--scan-lookups 300]
                                   [--database NAME] [--keep]

Needs Odoo 18 importable and PostgreSQL running (see README); the database is
created with the addon installed (no demo data) and dropped afterwards unless
--keep is given. A kept database is reused when run again with the same N.
"""

import argparse
import os
import random
import statistics
import sys
import time

from odoo_db import drop_database, open_database


def czech_number(rng):
    national = f"{rng.choice([601, 602, 603, 604, 605, 702, 731, 737, 774, 775, 777])}{rng.randrange(10**6):06d}"
    form = rng.randrange(5)
    if form == 0:
        return f"+420 {national[:3]} {national[3:6]} {national[6:]}"
    if form == 1:
        return f"00420{national}"
    if form == 2:
        return f"{national[:3]}-{national[3:6]}-{national[6:]}"
    if form == 3:
        return f"({national[:3]}) {national[3:]}"
    return national


def german_number(rng):
    return f"030 {rng.randrange(10**7):07d}"


def as_pbx_sends(e164, rng):
    """The same number the way a PBX reports it."""
    digits = e164[1:]
    form = rng.randrange(4)
    if form == 0:
        return e164
    if form == 1:
        return "00" + digits
    if form == 2:
        return digits
    return digits[3:] if digits.startswith("420") else e164


def fill(env, count, rng):
    cz, de = env.ref("base.cz"), env.ref("base.de")
    env.company.country_id = cz
    Partner = env["res.partner"].with_context(tracking_disable=True, mail_create_nolog=True)
    batch = 2000
    started = time.perf_counter()
    for start in range(0, count, batch):
        vals = []
        for index in range(start, min(start + batch, count)):
            german = rng.random() < 0.1
            vals.append({
                "name": f"Bench Partner {index}",
                "country_id": (de if german else cz).id,
                "phone": german_number(rng) if german else czech_number(rng),
                "mobile": czech_number(rng) if rng.random() < 0.5 else False,
            })
        Partner.create(vals)
        env.cr.commit()
        env.invalidate_all()
        sys.stdout.write(f"\r  filled {min(start + batch, count):,} partners")
        sys.stdout.flush()
    print(f"\r  filled {count:,} partners in {time.perf_counter() - started:.0f} s")
    env.cr.execute("ANALYZE res_partner")
    env.cr.execute("ANALYZE k2_cc_partner_number")


def percentile(samples, share):
    ordered = sorted(samples)
    return ordered[min(int(len(ordered) * share), len(ordered) - 1)]


def measure(label, lookups, fn, before_each=None):
    durations = []
    found = 0
    for number in lookups:
        if before_each:
            before_each()
        started = time.perf_counter()
        found += bool(fn(number))
        durations.append((time.perf_counter() - started) * 1000)
    p50, p99 = statistics.median(durations), percentile(durations, 0.99)
    print(f"  {label:<44} p50 {p50:8.3f} ms   p99 {p99:8.3f} ms   found {found}/{len(lookups)}")
    return p50, p99


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partners", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--scan-lookups", type=int, default=300, help="lookups for the (slow) ILIKE scan")
    parser.add_argument("--database", default=None)
    parser.add_argument("--keep", action="store_true", help="keep the database for another run")
    args = parser.parse_args()
    database = args.database or f"k2cc_bench_lookup_{args.partners}"

    import odoo

    registry = open_database(database)
    from odoo.addons.k2_contact_center.services import numbers

    rng = random.Random(7)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        have = env["res.partner"].search_count([("name", "=like", "Bench Partner %")])
        if have < args.partners:
            fill(env, args.partners - have, rng)
        rows = env["k2.cc.partner.number"].search_read(
            [("is_valid", "=", True)], ["number_e164"], limit=args.lookups * 20
        )
        lookups = [as_pbx_sends(row["number_e164"], rng) for row in rng.sample(rows, args.lookups)]
        total = env["k2.cc.partner.number"].search_count([])
        print(f"Database {database}: {have if have >= args.partners else args.partners:,} bench partners, "
              f"{total:,} contact-center numbers; {len(lookups):,} lookups of numbers as PBXs send them")
        # As the bridge and the web client ask: with the companies in the context.
        Partner = env["res.partner"].with_context(allowed_company_ids=env.company.ids)

        def ilike_last8(number):
            last8 = "".join(ch for ch in number if ch.isdigit())[-8:]
            return Partner.search(["|", ("phone", "ilike", f"%{last8}"), ("mobile", "ilike", f"%{last8}")])

        for number in lookups[:50]:  # warm caches of both paths alike
            Partner.cc_find_by_number(number)
            ilike_last8(number)
        # Cold: what a fresh transaction finds, nothing of the company, the
        # PBX or the partners in the ORM cache, and a caller not met before.
        def cold():
            env.invalidate_all()
            numbers._read.cache_clear()

        print(f"  load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
        measure("cc_find_by_number, cold cache", lookups, Partner.cc_find_by_number, before_each=cold)
        recorder = env.ref("k2_contact_center.user_k2_cc_recorder")
        as_bridge = env(user=recorder.id, context={"allowed_company_ids": env.company.ids})["res.partner"]
        as_bridge.cc_find_by_number(lookups[0])
        measure("cc_find_by_number, cold, as the bridge", lookups, as_bridge.cc_find_by_number, before_each=cold)

        def orm_search(number):
            """The same probe of the index through a plain ORM search, as the lookup once was."""
            e164 = as_bridge._cc_e164(number)
            return e164 and as_bridge.env["k2.cc.partner.number"].search_fetch(
                [("number_e164", "=", e164), ("partner_active", "=", True)],
                ["partner_id", "kind", "partner_is_company"]).partner_id

        measure("ORM search_fetch, cold, as the bridge", lookups, orm_search, before_each=cold)
        # What the bridge asks for each call: the contact's name, colleagues
        # (and employees, leads where their modules are installed) as well.
        measure("_cc_identify, cold, as the bridge", lookups[:args.scan_lookups],
                as_bridge.env["k2.cc.identification"]._cc_identify, before_each=cold)
        env.invalidate_all()
        for number in lookups:  # callers met again: their readings kept
            Partner.cc_find_by_number(number)
        _p50, indexed_p99 = measure("cc_find_by_number, warm caches", lookups, Partner.cc_find_by_number)
        env.invalidate_all()
        _p50, scan_p99 = measure("ILIKE '%<last 8 digits>' on phone/mobile", lookups[:args.scan_lookups],
                                 ilike_last8)
        print(f"  p99 ratio ILIKE / index: {scan_p99 / indexed_p99:.1f}x")
    if not args.keep:
        drop_database(database)


if __name__ == "__main__":
    main()
