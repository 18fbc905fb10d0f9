"""Which pre-aggregated tables (rollups) can answer a grouping query exactly.

A rollup holds the calls summed per UTC time bucket (15 minutes, an hour, a
day, a month or a year) and per a few dimensions. Every time zone in use
today is a whole number of quarter hours away from UTC, so a 15-minute bucket
never straddles a local hour, day, week or month: grouping its rows by local
time gives what grouping the calls gives. Hour buckets do the same, four
times smaller, for the zones that have only ever been whole hours away from
UTC since 1970 (Europe/Prague; not Asia/Kolkata or America/St_Johns). Day,
month and year buckets do straddle local days, so they only answer queries
that do not group or filter by local time.

A date range is cut into the buckets it covers whole and its two ragged
ends. Rollups of the same dimensions in several grains are levels of one
another: the coarsest covers what it can of the range, the next finer one
covers the ragged ends of that, and so on; what the finest leaves is read
from the calls themselves. A year of operators is then eleven month buckets,
a month of days and a few hours of calls, and any range stays exact.

Pure code: the report models turn a plan into SQL.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

QUARTER, HOUR, DAY, MONTH, YEAR = "quarter", "hour", "day", "month", "year"
# Coarsest first: the order levels of one rollup are read in.
GRAINS = (YEAR, MONTH, DAY, HOUR, QUARTER)
LOCAL_GRAINS = (QUARTER, HOUR)
# Groupings by local time that a 15-minute bucket decides exactly (minutes and
# seconds of a call are lost in a bucket).
LOCAL_GRANULARITIES = {
    "hour", "day", "week", "month", "quarter", "year",
    "year_number", "quarter_number", "month_number", "iso_week_number",
    "day_of_year", "day_of_month", "day_of_week", "hour_number",
}
RANGE_OPERATORS = {">=", ">", "<", "<="}
# A range ending this little before the end of a month or year bucket reads
# the whole bucket and takes the calls after its end away (a local year of
# Prague ends at 23:00 UTC): sums and counts only, never a maximum.
OVERHANG = timedelta(days=1)
SUBTRACTED = (MONTH, YEAR)
LOGIC = {"&", "|", "!"}


@dataclass(frozen=True)
class Rollup:
    """A rollup table: ``table`` sums the calls per ``grain`` bucket and per ``dims``."""

    table: str
    grain: str
    dims: tuple


@dataclass(frozen=True)
class Piece:
    """The buckets of ``rollup`` in ``[cover_from, cover_to)`` (None: unbounded)."""

    rollup: Rollup
    cover_from: datetime | None
    cover_to: datetime | None


@dataclass(frozen=True)
class Plan:
    """Read the rollups' ``pieces`` and the calls themselves in ``edges``
    (half-open UTC ranges)."""

    pieces: tuple
    edges: tuple = ()
    # Calls a piece holds past the range's end, taken away: ``((moment,
    # operator) of the end, end of the bucket, bucket start the rows show)``.
    minus: tuple = ()

    @property
    def rollups(self):
        return {piece.rollup for piece in self.pieces}


def floor(grain, moment):
    """Start of the ``grain`` bucket holding ``moment``."""
    if grain == QUARTER:
        return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)
    if grain == HOUR:
        return moment.replace(minute=0, second=0, microsecond=0)
    if grain == DAY:
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if grain == YEAR:
        return moment.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def step(grain, moment):
    """Start of the bucket after the one starting at ``moment``."""
    if grain == QUARTER:
        return moment + timedelta(minutes=15)
    if grain == HOUR:
        return moment + timedelta(hours=1)
    if grain == DAY:
        return moment + timedelta(days=1)
    if grain == YEAR:
        return moment.replace(year=moment.year + 1)
    return moment.replace(year=moment.year + moment.month // 12, month=moment.month % 12 + 1)


def ceil(grain, moment):
    start = floor(grain, moment)
    return start if start == moment else step(grain, start)


def _moment(value):
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else None
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def start_bounds(domain, field="start"):
    """``(lower, upper)`` of the ``field`` leaves of ``domain``, each None or
    ``(moment, operator)`` of the tightest leaf; None when the field appears
    in a way a range cannot express (under ``|`` or ``!``, another operator,
    a value that is not a moment)."""
    lower = upper = None
    logic = any(term in LOGIC - {"&"} for term in domain if isinstance(term, str))
    for term in domain:
        if isinstance(term, str):
            continue
        name, operator, value = term
        if not isinstance(name, str) or name.split(".")[0] != field:
            continue
        moment = _moment(value)
        if logic or name != field or operator not in RANGE_OPERATORS or moment is None:
            return None
        if operator in (">=", ">"):
            if lower is None or moment > lower[0] or (moment == lower[0] and operator == ">"):
                lower = (moment, operator)
        elif upper is None or moment < upper[0] or (moment == upper[0] and operator == "<"):
            upper = (moment, operator)
    return lower, upper


def cover(grain, lower, upper):
    """``(cover_from, cover_to, edges)``: the buckets wholly inside the range
    and the ragged ends left to read from the calls."""
    cover_from = cover_to = None
    if lower:
        moment, operator = lower
        cover_from = ceil(grain, moment) if operator == ">=" else step(grain, floor(grain, moment))
    if upper:
        # A bucket ending at the bound holds only moments before it: fine for < and <=.
        cover_to = floor(grain, upper[0])
    if cover_from and cover_to and cover_from >= cover_to:
        return cover_from, cover_from, ((floor(grain, lower[0]), step(grain, floor(grain, upper[0]))),)
    edges = []
    if lower and floor(grain, lower[0]) < cover_from:
        edges.append((floor(grain, lower[0]), cover_from))
    if upper and (cover_to < upper[0] or upper[1] == "<="):
        edges.append((cover_to, step(grain, cover_to)))
    return cover_from, cover_to, tuple(edges)


@lru_cache(maxsize=64)
def whole_hours(tz_name):
    """Whether ``tz_name`` has been a whole number of hours from UTC since 1970."""
    import pytz  # Odoo's; the rest of services/ runs without it

    tz = pytz.timezone(tz_name)
    times = getattr(tz, "_utc_transition_times", None)
    if not times:
        return tz.utcoffset(datetime(2000, 1, 1)).total_seconds() % 3600 == 0
    since = max([0] + [index for index, moment in enumerate(times) if moment <= datetime(1970, 1, 1)])
    return all(info[0].total_seconds() % 3600 == 0 for info in tz._transition_info[since:])


def tiles(grains, lower, upper, subtract=False):
    """``(pieces, edges, minus)`` of a range cut by ``grains`` (coarsest
    first): pieces ``(index of the grain, cover_from, cover_to)`` in whole
    buckets, each grain covering what the coarser ones left at the ends, and
    the ragged ends the finest leaves, to read from the calls. An edge stops
    at the range's bounds where they are half-open (``>=``, ``<``: every bound
    between two levels); the query's own filter cuts it at the others. With
    ``subtract``, a range that ends just before a month or year bucket ends
    reads that bucket and ``minus`` the calls past its end (see ``Plan``)."""
    grain = grains[0]
    cover_from, cover_to, edges = cover(grain, lower, upper)
    minus = []
    hang = _overhang(grain, cover_from, upper) if subtract else None
    if hang:
        bucket, cover_to = hang
        edges = ((floor(grain, lower[0]), cover_from),) if lower and floor(grain, lower[0]) < cover_from else ()
        minus.append((upper, cover_to, bucket))
    pieces = []
    if cover_from is None or cover_to is None or cover_from < cover_to:
        pieces.append((0, cover_from, cover_to))
    if len(grains) == 1:
        return pieces, tuple(_clip(start, end, lower, upper) for start, end in edges), tuple(minus)
    ends = []
    for start, end in edges:
        inner, inner_edges, inner_minus = tiles(
            grains[1:], lower if lower and lower[0] >= start else (start, ">="),
            upper if upper and upper[0] < end else (end, "<"), subtract)
        pieces += [(index + 1, first, last) for index, first, last in inner]
        ends += inner_edges
        minus += inner_minus
    return pieces, tuple(ends), tuple(minus)


def _overhang(grain, cover_from, upper):
    """``(start, end)`` of the month or year bucket holding the range's end
    when it starts inside the range and ends at most ``OVERHANG`` after it."""
    if grain not in SUBTRACTED or not upper:
        return None
    bucket = floor(grain, upper[0])
    end = step(grain, bucket)
    if upper[0] == bucket or end - upper[0] > OVERHANG or (cover_from is not None and bucket < cover_from):
        return None
    return bucket, end


def _clip(start, end, lower, upper):
    if lower and lower[1] == ">=":
        start = max(start, lower[0])
    if upper and upper[1] == "<":
        end = min(end, upper[0])
    return start, end


def plan(rollups, fields, local_time, domain, tz_name="UTC", subtract=False):
    """How to answer a query that groups or filters by ``fields`` (dimension
    names), by local time of ``tz_name`` when ``local_time``, with
    ``domain``'s range on ``start``: the first of ``rollups`` that fits (the
    cheapest) and the other grains of its dimensions that fit; None when only
    the calls can answer. ``subtract``: the query reads sums and counts only,
    so calls may be taken away (see ``tiles``)."""
    bounds = start_bounds(domain)
    if bounds is None:
        return None

    def fits(rollup):
        if local_time and (rollup.grain not in LOCAL_GRAINS or (rollup.grain == HOUR and not whole_hours(tz_name))):
            return False
        return set(fields) <= set(rollup.dims)

    first = next((rollup for rollup in rollups if fits(rollup)), None)
    if first is None:
        return None
    levels = sorted({rollup.grain: rollup for rollup in reversed(rollups)
                     if rollup.dims == first.dims and fits(rollup)}.values(),
                    key=lambda rollup: GRAINS.index(rollup.grain))
    pieces, edges, minus = tiles([rollup.grain for rollup in levels], *bounds, subtract=subtract)
    return Plan(tuple(Piece(levels[index], cover_from, cover_to) for index, cover_from, cover_to in pieces), edges,
                minus)
