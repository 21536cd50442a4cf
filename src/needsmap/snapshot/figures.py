"""Locality figures: aggregation from LSOAs, confidence intervals, comparisons, suppression.

Aggregation
    :func:`aggregate` runs ``queries/snapshot_aggregate.sql`` over a grouping relation
    ``snapshot_group(group_id, ward_code)``; that SQL calls the store's
    ``aggregate_indicators`` macro, which also builds the ward, LAD and England tables. So a
    locality, a whole LA and England are computed by the same rules (counts summed; proportions
    ``sum(numerator) / sum(denominator)`` with LSOA numerators ``rate x denominator`` --
    children 0-15 for child measures, residents otherwise; scores resident-weighted;
    density ``sum(population) / sum(area_km2)``). They are never means of ward means.

Confidence intervals (95%, :mod:`needsmap.stats`)
    proportions (children as a share of residents, IDACI child poverty, income
    deprivation): Wilson score interval; crude rates (recorded crime per 1,000 residents):
    Byar. IoD scores and density have no interval ("not tested").

Comparisons (the Fingertips convention)
    an area is *significantly higher* than a benchmark when the lower 95% limit of its
    value is above the benchmark's value, *significantly lower* when the upper limit is
    below it, and *similar* otherwise.

Suppression
    any count below :data:`SUPPRESS_BELOW` (10) is shown as suppressed, and so is any rate
    or proportion whose numerator or denominator is below it; a suppressed figure is not
    compared.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

from needsmap.sql import read_query
from needsmap.stats import byar_ci, wilson_ci

#: Counts below this are suppressed (and rates built on them).
SUPPRESS_BELOW = 10
SUPPRESSED = "suppressed"


@dataclass
class Figure:
    """One headline figure for one area.

    Parameters
    ----------
    key, label
        Measure id and display label.
    kind
        ``proportion`` (0-1, shown as %), ``rate`` (per ``multiplier``), ``count``,
        ``share`` (a %, no interval), ``score`` or ``density`` (no interval).
    value, lo, hi
        Point value and 95% limits (``None`` when unavailable or suppressed).
    num, den
        Numerator and denominator the value is built on.
    suppressed
        True when a count < 10 is involved; nothing numeric is shown.
    """

    key: str
    label: str
    kind: str
    value: float | None = None
    lo: float | None = None
    hi: float | None = None
    num: float | None = None
    den: float | None = None
    suppressed: bool = False
    multiplier: float = 1.0
    note: str = ""

    @property
    def tested(self) -> bool:
        """Whether the figure carries a confidence interval."""
        return self.kind in ("proportion", "rate")

    def text(self) -> str:
        """The value as display text (``suppressed`` never shows a number)."""
        if self.suppressed:
            return SUPPRESSED
        return fmt(self.value, self.kind)

    def ci_text(self) -> str:
        """The 95% interval as display text (empty when not applicable)."""
        if self.suppressed or not self.tested or self.lo is None or self.hi is None:
            return ""
        return f"{fmt(self.lo, self.kind, unit=False)}\u2013{fmt(self.hi, self.kind, unit=False)}"


@dataclass
class Comparison:
    """The result of comparing a figure with a benchmark."""

    label: str  # e.g. "significantly higher"
    css: str  # higher | lower | similar | untested | none

    def __str__(self) -> str:
        return self.label


def _isnum(x: object) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def fmt(x: float | None, kind: str, unit: bool = True) -> str:
    """Format a value for display by its kind."""
    if not _isnum(x):
        return "n/a"
    if kind in ("proportion", "share"):
        return f"{100 * x:.1f}" + ("%" if unit else "")
    if kind == "count":
        return f"{round(x):,}"
    if kind == "density":
        return f"{x:,.0f}"
    if kind == "rate":
        return f"{x:.1f}"
    return f"{x:.3f}" if abs(x) < 10 else f"{x:.1f}"


def is_small(x: float | None) -> bool:
    """True for a count that must be suppressed (below 10; fractional counts too)."""
    return _isnum(x) and float(x) < SUPPRESS_BELOW


def count_figure(key: str, label: str, n: float | None) -> Figure:
    """A count, suppressed when below 10."""
    if is_small(n):
        return Figure(key, label, "count", suppressed=True, num=None)
    return Figure(key, label, "count", value=n, num=n)


def proportion_figure(key: str, label: str, num: float | None, den: float | None) -> Figure:
    """A proportion ``num / den`` with its Wilson 95% interval (or suppressed)."""
    if not (_isnum(num) and _isnum(den)) or den <= 0:
        return Figure(key, label, "proportion")
    if is_small(num) or is_small(den):
        return Figure(key, label, "proportion", suppressed=True)
    lo, hi = wilson_ci(num, den)
    return Figure(key, label, "proportion", value=num / den, lo=float(lo), hi=float(hi),
                  num=num, den=den)


def rate_figure(key: str, label: str, count: float | None, den: float | None,
                multiplier: float = 1000.0) -> Figure:
    """A crude rate ``multiplier * count / den`` with Byar's 95% interval (or suppressed)."""
    if not (_isnum(count) and _isnum(den)) or den <= 0:
        return Figure(key, label, "rate", multiplier=multiplier)
    if is_small(count) or is_small(den):
        return Figure(key, label, "rate", suppressed=True, multiplier=multiplier)
    lo, hi = byar_ci(count, den, multiplier=multiplier)
    return Figure(key, label, "rate", value=multiplier * count / den, lo=float(lo), hi=float(hi),
                  num=count, den=den, multiplier=multiplier)


def score_figure(key: str, label: str, value: float | None, kind: str = "score",
                 population: float | None = None, note: str = "") -> Figure:
    """A figure without an interval (IoD score, density, index); suppressed on < 10 residents."""
    if is_small(population):
        return Figure(key, label, kind, suppressed=True, note=note)
    return Figure(key, label, kind, value=value if _isnum(value) else None, note=note)


def compare(fig: Figure, bench: Figure | None) -> Comparison:
    """Compare ``fig`` with a benchmark by the Fingertips convention.

    The benchmark's point value is tested against ``fig``'s 95% interval:
    ``lo > benchmark`` -> significantly higher, ``hi < benchmark`` -> significantly lower,
    otherwise similar. Scores without an interval are "not tested".
    """
    if bench is None or bench.value is None or bench.suppressed:
        return Comparison("no benchmark", "none")
    if fig.suppressed:
        return Comparison("not compared (suppressed)", "none")
    if fig.value is None:
        return Comparison("no data", "none")
    if not fig.tested or fig.lo is None or fig.hi is None:
        return Comparison("not tested", "untested")
    if fig.lo > bench.value:
        return Comparison("significantly higher", "higher")
    if fig.hi < bench.value:
        return Comparison("significantly lower", "lower")
    return Comparison("similar", "similar")


def aggregate(con: duckdb.DuckDBPyConnection,
              groups: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Aggregate LSOA indicators to groups of wards.

    Parameters
    ----------
    con
        An open store (read-only is fine).
    groups
        ``{group id: [ward codes]}``.

    Returns
    -------
    pandas.DataFrame
        One row per group (index ``group_id``) with counts, numerators, denominators
        and recomputed rates; see ``queries/snapshot_aggregate.sql``.
    """
    rows = [(g, w) for g, wards in groups.items() for w in wards]
    frame = pd.DataFrame(rows, columns=["group_id", "ward_code"], dtype="string")
    name = "snapshot_group"
    con.register(name, frame)
    try:
        out = query_df(con, "snapshot_aggregate")
    finally:
        con.unregister(name)
    return out.set_index("group_id")


def query_df(con: duckdb.DuckDBPyConnection, name: str,
             params: Mapping[str, object] | None = None) -> pd.DataFrame:
    """Run ``queries/<name>.sql``: every statement, returning the last one's result.

    Parameters are bound (``$name``), never pasted into the SQL text.
    """
    text = read_query(name)
    stmts = []
    for s in re.split(r";\s*\n", text):
        body = "\n".join(ln for ln in s.splitlines() if not ln.strip().startswith("--")).strip()
        if body:
            stmts.append(body.rstrip(";"))
    for i, body in enumerate(stmts):
        used = set(re.findall(r"\$(\w+)", body))
        p = {k: v for k, v in (params or {}).items() if k in used}
        rel = con.execute(body, p) if p else con.execute(body)
        if i == len(stmts) - 1:
            return rel.df()
    raise ValueError(f"queries/{name}.sql has no statements")


def headline(row: Mapping[str, float]) -> dict[str, Figure]:
    """Build the headline figures (without ACE and recorded crime) from one aggregate row."""
    pop = row.get("population")
    return {
        "children": proportion_figure("children", "Children aged 0\u201315 (share of residents)",
                                      row.get("children_0_15"), pop),
        "children_count": count_figure("children_count", "Children aged 0\u201315",
                                       row.get("children_0_15")),
        "under5_count": count_figure("under5_count", "Under-5s (aged 0\u20134; ONS mid-2020)",
                                     row.get("under5")),
        "child_poverty": proportion_figure(
            "child_poverty", "Child poverty rate (IDACI)", row.get("child_poverty_num"),
            row.get("child_poverty_den")),
        "income": proportion_figure("income", "Income deprivation (IoD income domain)",
                                    row.get("income_num"), row.get("income_den")),
        "crime_score": score_figure("crime_score", "Crime (IoD crime domain score)",
                                    row.get("crime_score"), population=pop),
        "density": score_figure("density", "Population density (residents per km\u00b2)",
                                row.get("density_per_km2"), kind="density", population=pop),
    }
