"""Rollups: the dashboards' sums kept per UTC bucket, exact by triggers.

A report model that inherits ``k2.cc.rollup.mixin`` describes its rows as
expressions over the call table (``_cc_dims``, ``_cc_measures``) and names
its rollups (``_cc_rollups``). ``init()`` creates each rollup table, keeps it
exact with statement-level triggers on ``k2_cc_call`` (insert, update and
delete, the sums moved by deltas, a maximum recomputed from the calls of the
buckets that lost a call) and fills it from the calls, at install and at
every upgrade.

``_read_group`` of a contact-center manager (who sees every call of their
companies, so the per-call record rules of agents do not apply) reads a
rollup when one holds every field the query groups or filters by; anything
else, every ``search`` (lists) and agents' queries read the calls. Counts
are ``SUM`` of a hidden call count and averages ``SUM(value) / SUM(count)``
in both cases, so both answer the same figures.
"""

from odoo import api, models
from odoo.osv import expression
from odoo.tools import SQL

from ..services import rollups

TIME_FIELDS = ("start", "hour", "weekday")
NULL_TYPES = {"int": "integer", "str": "varchar", "bool": "boolean"}
EMPTY = {"int": "0", "str": "''", "bool": "false"}
INTERVALS = {rollups.QUARTER: "15 minutes", rollups.HOUR: "1 hour", rollups.DAY: "1 day", rollups.MONTH: "1 month",
             rollups.YEAR: "1 year"}
BUCKETS = {
    # date_bin needs PostgreSQL 14; this reads the same on 12.
    rollups.QUARTER: "date_trunc('hour', c.start) + (extract(minute FROM c.start)::int / 15) * interval '15 minutes'",
    rollups.HOUR: "date_trunc('hour', c.start)",
    rollups.DAY: "date_trunc('day', c.start)",
    rollups.MONTH: "date_trunc('month', c.start)",
    rollups.YEAR: "date_trunc('year', c.start)",
}
COUNT = "k2_call_count"


class K2CcRollupMixin(models.AbstractModel):
    _name = "k2.cc.rollup.mixin"
    _description = "Call analysis read from rollups"

    # Set by each report: the calls it counts, its dimensions {field: (SQL over
    # the call ``c``, kind)}, measures [(column, SQL, "sum" | "max")], averages
    # {field: column of its count}, rollups, and the call columns it reads.
    _cc_filter = "TRUE"
    _cc_from = "k2_cc_call c"
    _cc_row_id = "c.id"
    # Dimensions a rollup does not keep but derives from one it keeps:
    # {field: (kept dimension, SQL over the rollup row ``r``)}.
    _cc_derived = {}
    _cc_dims = {}
    _cc_aliases = {}
    _cc_measures = []
    _cc_averages = {}
    _cc_rollups = ()
    _cc_columns = ()

    # -- rows ------------------------------------------------------------------

    @api.model
    def _cc_tz(self):
        return self.env["k2.cc.call.report"]._cc_report_tz()

    @api.model
    def _cc_time_columns(self, moment):
        local = SQL("(%s AT TIME ZONE 'UTC' AT TIME ZONE %s)", moment, self._cc_tz())
        return SQL("""%(moment)s AS start,
                   to_char(%(local)s, 'HH24') AS hour,
                   extract(isodow FROM %(local)s)::int::varchar AS weekday""", moment=moment, local=local)

    @api.model
    def _cc_dim(self, expr, kind):
        """A dimension of a call as the rollups show it. Ids are never 0 and
        selections never '', so those columns are read as they are (their
        indexes serve filters such as one partner's calls); a NULL boolean
        would be a group apart from false."""
        if kind == "bool":
            return SQL("COALESCE(%s, false)", SQL(expr))
        return SQL(expr)

    @api.model
    def _cc_calls_query(self, where=None, taken_from=None):
        """One row per call: the plain query over the call table. With
        ``taken_from`` (a bucket start), the calls taken away from that
        bucket: measures negated, shown at the bucket's start."""
        return SQL(
            "SELECT %s AS id, c.id AS call_id, %s, %s, %s FROM %s WHERE %s AND %s",
            SQL(self._cc_row_id),
            self._cc_time_columns(SQL("c.start") if taken_from is None else SQL("%s::timestamp", taken_from)),
            SQL(", ").join(SQL("%s AS %s", self._cc_dim(expr, kind), SQL.identifier(name))
                           for name, (expr, kind) in self._cc_all_dims()),
            SQL(", ").join(SQL("%s AS %s", SQL(expr) if taken_from is None else SQL("-(%s)", SQL(expr)),
                               SQL.identifier(column))
                           for column, expr, _agg in self._cc_all_measures()),
            SQL(self._cc_from), SQL(self._cc_filter), where or SQL("TRUE"),
        )

    @api.model
    def _cc_rollup_query(self, plan):
        """Rows of ``plan``'s rollups in their covered buckets, and the calls of its ragged ends."""
        branches = [self._cc_rollup_rows(piece) for piece in plan.pieces]
        branches += [self._cc_calls_query(SQL("c.start >= %s AND c.start < %s", start, end))
                     for start, end in plan.edges]
        branches += [self._cc_calls_query(SQL("c.start %s %s AND c.start < %s", SQL(">" if operator == "<=" else ">="),
                                              moment, end), taken_from=bucket)
                     for (moment, operator), end, bucket in plan.minus]
        return SQL(" UNION ALL ").join(branches)

    @api.model
    def _cc_rollup_rows(self, piece):
        """Rows of ``piece.rollup`` in its covered buckets, shaped as the calls' rows."""
        rollup = piece.rollup
        window = [SQL("TRUE")]
        if piece.cover_from:
            window.append(SQL("r.bucket >= %s", piece.cover_from))
        if piece.cover_to:
            window.append(SQL("r.bucket < %s", piece.cover_to))
        dims = []
        for name, (_expr, kind) in self._cc_all_dims():
            column = self._cc_aliases.get(name, name)
            if column in rollup.dims:
                dims.append(SQL("NULLIF(r.%s, %s) AS %s", SQL.identifier(column), SQL(EMPTY[kind]),
                                SQL.identifier(name)) if kind != "bool" else
                            SQL("r.%s AS %s", SQL.identifier(column), SQL.identifier(name)))
            elif name in self._cc_derived:
                dims.append(SQL("%s AS %s", SQL(self._cc_derived[name][1]), SQL.identifier(name)))
            else:
                dims.append(SQL("NULL::%s AS %s", SQL(NULL_TYPES[kind]), SQL.identifier(name)))
        return SQL(
            "SELECT -r.id AS id, NULL::integer AS call_id, %s, %s, %s FROM %s r WHERE %s",
            self._cc_time_columns(SQL("r.bucket")),
            SQL(", ").join(dims),
            SQL(", ").join(SQL("r.%s", SQL.identifier(column)) for column, _expr, _agg in self._cc_all_measures()),
            SQL.identifier(rollup.table),
            SQL(" AND ").join(window),
        )

    @property
    def _table_query(self):
        plan = self.env.context.get("k2_cc_rollup_plan")
        if plan and plan.rollups <= set(self._cc_rollups):
            return self._cc_rollup_query(plan)
        return self._cc_calls_query()

    @api.model
    def _cc_all_dims(self):
        return list(self._cc_dims.items())

    @api.model
    def _cc_all_measures(self):
        return [(COUNT, "1", "sum"), *self._cc_measures]

    # -- reading ---------------------------------------------------------------

    def _read_group(self, domain, groupby=(), aggregates=(), having=(), offset=0, limit=None, order=None):
        plan = self._cc_plan(domain, groupby, aggregates, having, order)
        if plan and plan.minus and groupby:
            # A group whose every call was taken away again is no group.
            having = expression.AND([having or [], [("__count", ">", 0)]])
        reader = self.with_context(k2_cc_rollup_plan=plan) if plan else self.with_context(k2_cc_rollup_plan=None)
        return super(K2CcRollupMixin, reader)._read_group(domain, groupby, aggregates, having, offset, limit, order)

    @api.model
    def _cc_plan(self, domain, groupby, aggregates, having, order):
        """The rollup plan answering this ``_read_group``, or None for the calls."""
        if self.env.context.get("k2_cc_plain") or not (
                self.env.su or self.env.user.has_group("k2_contact_center.group_k2_cc_manager")):
            return None
        sums = {column for column, _expr, agg in self._cc_measures if agg == "sum"} - set(self._cc_averages.values())
        maxima = {column for column, _expr, agg in self._cc_measures if agg == "max"}
        allowed = {"__count"} | {f"{f}:sum" for f in sums} | {f"{f}:avg" for f in self._cc_averages} | {
            f"{f}:max" for f in maxima}
        terms = [*aggregates, *(term[0] for term in having if isinstance(term, (list, tuple)))]
        if order:
            terms += [part.split()[0] for part in order.split(",") if part.split() and part.split()[0] not in groupby]
        if not set(terms) <= allowed:
            return None
        fields, local_time = set(), False
        for spec in groupby:
            name, _dot, granularity = spec.partition(":")
            if name in TIME_FIELDS:
                if name == "start" and granularity not in rollups.LOCAL_GRANULARITIES:
                    return None
                local_time = True
            else:
                fields.add(self._cc_dim_of(name))
        for term in domain:
            if isinstance(term, (list, tuple)) and isinstance(term[0], str):
                name = term[0].split(".")[0]
                if name in ("hour", "weekday"):
                    local_time = True
                elif name != "start":
                    fields.add(self._cc_dim_of(name))
        if not fields <= {self._cc_dim_of(name) for name in self._cc_dims}:
            return None
        return rollups.plan(self._cc_rollups, fields, local_time, list(domain), self._cc_tz(),
                            subtract=not any(term.endswith(":max") for term in terms))

    @api.model
    def _cc_dim_of(self, name):
        """The rollup column a field is read from."""
        if name in self._cc_derived:
            return self._cc_derived[name][0]
        return self._cc_aliases.get(name, name)

    def _read_group_select(self, aggregate_spec, query):
        if aggregate_spec == "__count":
            if self.env.context.get("k2_cc_rollup_plan"):
                return SQL("COALESCE(SUM(%s), 0)", SQL.identifier(self._table, COUNT))
            return super()._read_group_select(aggregate_spec, query)
        fname, _dot, func = aggregate_spec.partition(":")
        if func == "avg" and fname in self._cc_averages:
            return SQL("SUM(%s)::numeric / NULLIF(SUM(%s), 0)", self._field_to_sql(self._table, fname, query),
                       SQL.identifier(self._table, self._cc_averages[fname]))
        return super()._read_group_select(aggregate_spec, query)

    @api.model
    def _read_group_format_result(self, rows_dict, lazy_groupby):
        """Odoo labels a date group in Python (time zone, babel) for every
        row; a day by queue over a year is 1,344 rows of 336 days: each date
        is labelled once and its label, range and domain given to its rows."""
        for spec in lazy_groupby:
            field = self._fields[spec.split(":")[0].split(".")[0]]
            if field.type not in ("date", "datetime"):
                super()._read_group_format_result(rows_dict, [spec])
                continue
            labelled = {}
            for row in rows_dict:
                labelled.setdefault(row[spec], {spec: row[spec], "__domain": []})
            super()._read_group_format_result(list(labelled.values()), [spec])
            for row in rows_dict:
                group = labelled[row[spec]]
                row[spec] = group[spec]
                if "__range" in group:
                    row.setdefault("__range", {})[spec] = group["__range"][spec]
                row["__domain"] = expression.AND([row["__domain"], group["__domain"]])
        return None

    # -- keeping the rollups -----------------------------------------------------

    def init(self):
        for rollup in self._cc_rollups:
            self._cc_create_rollup(rollup)
        return super().init()

    @api.model
    def _cc_rollup_parts(self, rollup):
        """Column names, key expressions and measure expressions of ``rollup``."""
        kinds = {self._cc_dim_of(name): spec for name, spec in self._cc_dims.items() if name not in self._cc_derived}
        keys = [SQL("COALESCE(%s, %s)", SQL(kinds[dim][0]), SQL(EMPTY[kinds[dim][1]])) for dim in rollup.dims]
        return kinds, keys

    @api.model
    def _cc_delta(self, rollup, source, sign):
        """Add (``sign`` 1) or take away (-1) the rows of ``source`` (a FROM
        clause naming its calls ``c``) to ``rollup``."""
        _kinds, keys = self._cc_rollup_parts(rollup)
        table = SQL.identifier(rollup.table)
        columns = [SQL("bucket"), *(SQL.identifier(dim) for dim in rollup.dims)]
        measures = self._cc_all_measures()
        values = []
        updates = []
        for column, expr, agg in measures:
            ident = SQL.identifier(column)
            if agg == "max":
                values.append(SQL("MAX(%s)", SQL(expr)) if sign > 0 else SQL("NULL::integer"))
                updates.append(SQL("%s = GREATEST(r.%s, EXCLUDED.%s)", ident, ident, ident))
            else:
                values.append(SQL("%s * COALESCE(SUM(%s), 0)::integer", SQL(str(sign)), SQL(expr)))
                updates.append(SQL("%s = r.%s + EXCLUDED.%s", ident, ident, ident))
        return SQL(
            """INSERT INTO %(table)s AS r (%(columns)s, %(measures)s)
               SELECT %(bucket)s, %(keys)s, %(values)s FROM %(source)s WHERE %(filter)s GROUP BY %(group)s
               ON CONFLICT (%(columns)s) DO UPDATE SET %(updates)s""",
            table=table,
            columns=SQL(", ").join(columns),
            measures=SQL(", ").join(SQL.identifier(column) for column, _expr, _agg in measures),
            bucket=SQL(BUCKETS[rollup.grain]),
            keys=SQL(", ").join(keys),
            values=SQL(", ").join(values),
            source=source,
            filter=SQL(self._cc_filter),
            group=SQL(", ").join(SQL(str(position)) for position in range(1, len(columns) + 1)),
            updates=SQL(", ").join(updates),
        )

    @api.model
    def _cc_recompute_maxima(self, rollup, source):
        """Maxima of the buckets ``source``'s calls left, read again from the calls."""
        maxima = [(column, expr) for column, expr, agg in self._cc_measures if agg == "max"]
        if not maxima:
            return SQL()
        _kinds, keys = self._cc_rollup_parts(rollup)
        match = [SQL("r.bucket = k.bucket")] + [SQL("r.%s = k.%s", SQL.identifier(dim), SQL.identifier(dim))
                                                 for dim in rollup.dims]
        inside = [SQL("c.start >= r.bucket"), SQL("c.start < r.bucket + interval %s", INTERVALS[rollup.grain])]
        inside += [SQL("%s = r.%s", key, SQL.identifier(dim)) for key, dim in zip(keys, rollup.dims, strict=True)]
        return SQL(
            """UPDATE %(table)s r SET %(sets)s
                 FROM (SELECT DISTINCT %(bucket)s AS bucket, %(keys)s FROM %(source)s WHERE %(filter)s) k
                WHERE %(match)s""",
            table=SQL.identifier(rollup.table),
            sets=SQL(", ").join(
                SQL("%s = (SELECT MAX(%s) FROM k2_cc_call c WHERE %s AND %s)", SQL.identifier(column), SQL(expr),
                    SQL(self._cc_filter), SQL(" AND ").join(inside))
                for column, expr in maxima),
            bucket=SQL(BUCKETS[rollup.grain]),
            keys=SQL(", ").join(SQL("%s AS %s", key, SQL.identifier(dim))
                                for key, dim in zip(keys, rollup.dims, strict=True)),
            source=source,
            filter=SQL(self._cc_filter),
            match=SQL(" AND ").join(match),
        )

    @api.model
    def _cc_create_rollup(self, rollup):
        cr = self.env.cr
        kinds, _keys = self._cc_rollup_parts(rollup)
        table = SQL.identifier(rollup.table)
        # Triggers of an earlier shape of this rollup, whatever their names.
        cr.execute(SQL("""SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                           WHERE NOT t.tgisinternal AND t.tgname LIKE %s""", f"{rollup.table}_%"))
        for trigger, relation in cr.fetchall():
            cr.execute(SQL("DROP TRIGGER %s ON %s", SQL.identifier(trigger), SQL.identifier(relation)))
        cr.execute(SQL("DROP TABLE IF EXISTS %s CASCADE", table))
        cr.execute(SQL(
            "CREATE TABLE %s (id serial PRIMARY KEY, bucket timestamp NOT NULL, %s, %s)",
            table,
            SQL(", ").join(SQL("%s %s NOT NULL", SQL.identifier(dim), SQL(NULL_TYPES[kinds[dim][1]]))
                           for dim in rollup.dims),
            SQL(", ").join(SQL("%s integer NOT NULL DEFAULT 0", SQL.identifier(column)) if agg == "sum" else
                           SQL("%s integer", SQL.identifier(column))
                           for column, _expr, agg in self._cc_all_measures()),
        ))
        cr.execute(SQL("CREATE UNIQUE INDEX %s ON %s (bucket, %s)", SQL.identifier(f"{rollup.table}_key"), table,
                       SQL(", ").join(SQL.identifier(dim) for dim in rollup.dims)))
        # The dashboards filter on the dimensions as they read them (NULLIF of
        # the column): statistics of those expressions keep PostgreSQL's row
        # counts right, so it aggregates in memory (PostgreSQL 14 and later).
        expressions = [SQL("(NULLIF(%s, %s))", SQL.identifier(dim), SQL(EMPTY[kinds[dim][1]]))
                       for dim in rollup.dims if kinds[dim][1] != "bool"]
        if expressions and cr.connection.server_version >= 140000:
            cr.execute(SQL("CREATE STATISTICS %s ON %s FROM %s", SQL.identifier(f"{rollup.table}_dims"),
                           SQL(", ").join(expressions), table))
        # Rows whose last call went: found at once to drop them.
        cr.execute(SQL("CREATE INDEX %s ON %s (id) WHERE %s = 0", SQL.identifier(f"{rollup.table}_empty"), table,
                       SQL.identifier(COUNT)))
        self._cc_install_triggers(rollup)
        self._cc_rebuild(rollup)

    @api.model
    def _cc_changed(self):
        """Calls an UPDATE changed in a column the rollups read: before and after."""
        changed = SQL("ROW(%s) IS DISTINCT FROM ROW(%s)",
                      SQL(", ").join(SQL.identifier("o", column) for column in self._cc_columns),
                      SQL(", ").join(SQL.identifier("n", column) for column in self._cc_columns))
        before = SQL("(SELECT o.* FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE %s)", changed)
        after = SQL("(SELECT n.* FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE %s)", changed)
        return before, after

    @api.model
    def _cc_drop_empty(self, rollup):
        return SQL("DELETE FROM %s WHERE %s = 0", SQL.identifier(rollup.table), SQL.identifier(COUNT))

    @api.model
    def _cc_trigger(self, rollup, table, name, body, events):
        """A statement trigger on ``table`` for ``events`` running the plpgsql ``body``."""
        cr = self.env.cr
        function = SQL.identifier(f"{rollup.table}_{name}")
        cr.execute(SQL("CREATE OR REPLACE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS $body$ %s $body$",
                       function, body))
        transitions = {"INSERT": "NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows",
                       "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}
        for event in events:
            trigger = SQL.identifier(f"{rollup.table}_{name}_{event.lower()}")
            cr.execute(SQL("DROP TRIGGER IF EXISTS %s ON %s", trigger, SQL.identifier(table)))
            cr.execute(SQL("CREATE TRIGGER %s AFTER %s ON %s REFERENCING %s FOR EACH STATEMENT "
                           "EXECUTE FUNCTION %s()", trigger, SQL(event), SQL.identifier(table),
                           SQL(transitions[event]), function))

    @api.model
    def _cc_install_triggers(self, rollup):
        before, after = self._cc_changed()
        drop_empty = self._cc_drop_empty(rollup)
        body = SQL(
            """BEGIN
                 IF TG_OP = 'INSERT' THEN
                   %(insert)s;
                 ELSIF TG_OP = 'DELETE' THEN
                   %(delete)s;
                   %(drop_empty)s;
                   %(delete_maxima)s
                 ELSE
                   %(update_minus)s;
                   %(update_plus)s;
                   %(drop_empty)s;
                   %(update_maxima)s
                 END IF;
                 RETURN NULL;
               END""",
            insert=self._cc_delta(rollup, SQL("new_rows c"), 1),
            delete=self._cc_delta(rollup, SQL("old_rows c"), -1),
            delete_maxima=self._cc_statement(self._cc_recompute_maxima(rollup, SQL("old_rows c"))),
            update_minus=self._cc_delta(rollup, SQL("%s c", before), -1),
            update_plus=self._cc_delta(rollup, SQL("%s c", after), 1),
            update_maxima=self._cc_statement(self._cc_recompute_maxima(rollup, SQL("%s c", before))),
            drop_empty=drop_empty,
        )
        self._cc_trigger(rollup, "k2_cc_call", "sync", body, ("INSERT", "DELETE", "UPDATE"))

    @api.model
    def _cc_drop_rollups(self):
        for rollup in self._cc_rollups:
            self.env.cr.execute(SQL("SELECT proname FROM pg_proc WHERE proname LIKE %s", f"{rollup.table}_%"))
            for (function,) in self.env.cr.fetchall():
                self.env.cr.execute(SQL("DROP FUNCTION %s() CASCADE", SQL.identifier(function)))
            self.env.cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(rollup.table)))

    @api.model
    def _cc_statement(self, sql):
        return SQL("%s;", sql) if sql.code else SQL()

    @api.model
    def _cc_rebuild(self, rollup):
        """Fill ``rollup`` from the calls (install, upgrade, or after loading calls with triggers off)."""
        self.env.cr.execute(SQL("TRUNCATE %s", SQL.identifier(rollup.table)))
        self.env.cr.execute(self._cc_delta(rollup, SQL(self._cc_from), 1))
        self.env.cr.execute(SQL("ANALYZE %s", SQL.identifier(rollup.table)))
