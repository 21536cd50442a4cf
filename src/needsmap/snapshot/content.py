"""Assemble everything one snapshot page shows, from the store.

:func:`build_snapshot` returns a :class:`Snapshot` (plain data, no HTML) for one area:
a locality (a group of wards) or a whole LA. It reads the tables of a complete build
(:data:`TABLES`, columns from :mod:`needsmap.store.schema`); a store without one of them
raises :class:`~needsmap.store.schema.SchemaError` saying which, before anything is drawn.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb
import geopandas as gpd
import pandas as pd
import shapely

from needsmap import CAVEAT
from needsmap.access.early_years import BASES, GROUP, GROUP_TYPES, check_basis
from needsmap.areas import change as CH
from needsmap.areas.weights import POOR_FIT_NOTE
from needsmap.index.domains import DOMAINS
from needsmap.scope import resolve_la as resolve_la_name
from needsmap.settings import BNG
from needsmap.snapshot import figures as F
from needsmap.snapshot.mapimg import MapResult, draw_map
from needsmap.sql import run_sql
from needsmap.store import schema

#: Services within this distance (metres) of the area's boundary count as "near".
NEAR_M = 1000.0
ENGLAND = "__england__"
LA = "__la__"
AREA = "__area__"

#: Notes beside headline rows.
NOTES = {"under5_count": "mid-2020 estimates carried to 2021 LSOAs; for children 0\u201315 "
                         "they exceed Census 2021 by 3.5% in England"}

#: The store tables a snapshot reads.
TABLES = ("lsoa", "lsoa_indicators", "ward", "ward_indicators_england", "lad_indicators",
          "ward_ace", "service", "ward_access", "ward_access_under5", "ward_crime", "lsoa_change",
          "meta", "source")


@dataclass
class HeadlineRow:
    """One line of the headline table."""

    label: str
    value: str
    ci: str
    la_value: str
    la_cmp: F.Comparison
    eng_value: str
    eng_cmp: F.Comparison
    note: str = ""


@dataclass
class WardRow:
    """One ward in the ranked ward table."""

    label: int
    ward_code: str
    ward_name: str
    children: str
    child_poverty: str
    child_poverty_ci: str
    decile: str
    rank: str
    rank_band: str
    stability: str
    stable_css: str
    fit: str = ""  # "share of ward covered / spill", e.g. "92% / 4%"
    fit_poor: bool = False  # figures estimated from areas that only partly match the ward
    domains: str = "\u2014"


@dataclass
class ServiceRow:
    """One service type in the services table."""

    type: str
    inside: int
    near: int
    access: dict[str, str] = field(default_factory=dict)


@dataclass
class Snapshot:
    """All the content of one snapshot page."""

    name: str
    kind: str  # "locality" or "la"
    la_code: str
    la_name: str
    ward_codes: list[str]
    n_lsoa: int
    population: str
    generated: str
    built_at: str
    headline: list[HeadlineRow]
    wards: list[WardRow]
    ward_basis: str
    services: list[ServiceRow]
    access_columns: list[str]
    services_note: str
    map: MapResult | None
    map_note: str
    sources: list[dict[str, str]]
    vintages: list[str]
    notes: list[str]
    caveat: str = CAVEAT
    other_las: list[str] = field(default_factory=list)
    poor_fit_note: str = POOR_FIT_NOTE
    basis: str = "children"  # whose figures weight the index and access: a key of BASES
    change_line: str = ""  # "more / less deprived relative to England than in 2019" (IMD)
    change_note: str = CH.CAVEAT

    @property
    def basis_label(self) -> str:
        """``children aged 0-15`` or ``under-5s``."""
        return BASES[self.basis]["label"]

    @property
    def title(self) -> str:
        """Page title."""
        if self.kind == "la":
            return f"{self.la_name}: local authority snapshot"
        return f"{self.name}: locality snapshot"


# ------------------------------------------------------------------ store helpers


def lad_of(con: duckdb.DuckDBPyConnection, ward_codes: Sequence[str]) -> list[tuple[str, str, float]]:
    """The LAs the wards lie in, largest population first: ``[(code, name, population)]``."""
    return [tuple(r) for r in run_sql(con, "snapshot_lad_of", {"w": list(ward_codes)}).fetchall()]


def la_wards(con: duckdb.DuckDBPyConnection, lad_code: str) -> list[str]:
    """Every ward code of an LA (from the national ``ward_indicators_england``)."""
    return [r[0] for r in run_sql(con, "snapshot_la_wards", {"lad": lad_code}).fetchall()]


def resolve_la(con: duckdb.DuckDBPyConnection, name_or_code: str) -> tuple[str, str]:
    """Map an LA name or LAD24 code (any case and spacing) to ``(code, name)``.

    Raises :class:`~needsmap.scope.UnknownArea` (a ``KeyError``) with close names.
    """
    return resolve_la_name(name_or_code, run_sql(con, "snapshot_lads").fetchall())


# ------------------------------------------------------------------ the snapshot


def build_snapshot(con: duckdb.DuckDBPyConnection, name: str, ward_codes: Sequence[str],
                   kind: str = "locality", la_code: str | None = None,
                   england: pd.Series | None = None, with_map: bool = True,
                   basis: str = "children") -> Snapshot:
    """Collect the content of one snapshot.

    Parameters
    ----------
    con
        An open store.
    name
        Area name (the locality name, or the LA name for ``kind="la"``).
    ward_codes
        The area's WD24 wards.
    kind
        ``"locality"`` or ``"la"``.
    la_code
        The comparator LA (default: the LA holding most of the area's residents).
    england
        A precomputed England aggregate row (saves time over many snapshots).
    with_map
        Draw the map (needs ward geometry in the store).
    basis
        ``"children"`` (aged 0-15) or ``"under5"`` (the early-years lens): who weights the
        index's area figures and the access figures, and whose count the ward table shows
        (:data:`needsmap.access.early_years.BASES`).
    """
    check_basis(basis)
    schema.require_tables(con, TABLES)
    wards = list(dict.fromkeys(ward_codes))
    las = lad_of(con, wards)
    if not las:
        raise ValueError(f"{name}: none of its wards has LSOAs in the store")
    if la_code is None:
        la_code = las[0][0]
    elif kind == "locality" and la_code not in {c for c, _, _ in las}:
        raise ValueError(f"{name}: its wards are in {' and '.join(n for _, n, _ in las)}, not in "
                         f"the LA {la_code} it was to be compared with")
    la_name = run_sql(con, "snapshot_lad_name", {"lad": la_code}).fetchone()[0]
    groups = {AREA: wards}
    if kind != "la":
        groups[LA] = la_wards(con, la_code)
    agg = F.aggregate(con, groups)
    if england is None:
        england = england_row(con)
    area = agg.loc[AREA]
    la = agg.loc[LA] if kind != "la" else area
    h_area, h_la, h_eng = F.headline(area), F.headline(la), F.headline(england)
    ace = _ace(con, wards, la_code, basis)
    notes: list[str] = []
    rows = []
    for key in ("children_count", "under5_count", "children", "child_poverty", "income",
                "crime_score", "density"):
        rows.append(_row(h_area[key], h_la[key], h_eng[key], kind, note=NOTES.get(key, "")))
    crime = _recorded_crime(con, wards, la_code, kind)
    if crime is not None:
        rows.insert(6, _row(*crime, kind, note="police.uk street-level crime; selected types"))
    rows.append(_row(*ace["figs"], kind, note=ace["note"]))
    rows += [_row(*figs, kind, note=note) for figs, note in _domains(con, wards, la_code, basis)]
    ward_rows, ward_basis, ward_deciles = _ward_rows(con, wards, basis)
    services, access_cols, s_note, pts = _services(con, wards, basis)
    m, m_note = None, ""
    if with_map:
        m, m_note = _map(con, wards, la_code, ward_rows, ward_deciles, pts,
                         "ACE index, England decile")
    meta = dict(run_sql(con, "store_meta_read").fetchall())
    srcs = _sources(con, [c for c, _n, _s in las] + [la_code])
    if kind == "locality" and len(las) > 1:
        why = ", which holds most of its residents" if la_code == las[0][0] else ""
        notes.append("This locality spans more than one LA "
                     f"({', '.join(n for _, n, _ in las)}); it is compared with {la_name}{why}.")
    return Snapshot(
        name=name, kind=kind, la_code=la_code, la_name=la_name, ward_codes=wards,
        n_lsoa=int(area["n_lsoa"]), population=F.count_figure("p", "p", area["population"]).text(),
        generated=dt.date.today().isoformat(), built_at=meta.get("built_at", "unknown"),
        headline=rows, wards=ward_rows, ward_basis=ward_basis, services=services,
        access_columns=access_cols, services_note=s_note, map=m, map_note=m_note,
        sources=srcs, vintages=[*_vintages(con, la_code), CH.VINTAGE], notes=notes,
        other_las=[n for c, n, _ in las if c != la_code], basis=basis,
        change_line=change_line(con, wards),
    )


def england_row(con: duckdb.DuckDBPyConnection) -> pd.Series:
    """England aggregated by the same SQL as the localities."""
    wards = [r[0] for r in run_sql(con, "snapshot_england_wards").fetchall()]
    return F.aggregate(con, {ENGLAND: wards}).loc[ENGLAND]


def _row(area: F.Figure, la: F.Figure, eng: F.Figure, kind: str, note: str = "") -> HeadlineRow:
    none = F.Comparison("\u2014", "none")
    note = note or area.note
    return HeadlineRow(
        label=area.label, value=area.text(), ci=area.ci_text(),
        la_value=la.text() if kind != "la" else "\u2014",
        la_cmp=F.compare(area, la) if kind != "la" and area.kind != "count" else none,
        eng_value=eng.text(),
        eng_cmp=F.compare(area, eng) if area.kind != "count" else none,
        note=note,
    )


def _recorded_crime(con: duckdb.DuckDBPyConnection, wards: list[str], la_code: str,
                    kind: str) -> tuple[F.Figure, F.Figure, F.Figure] | None:
    """Recorded crime per 1,000 residents (Byar CI), when ``ward_crime`` fully covers the area."""
    label = "Recorded crime per 1,000 residents (12 months)"
    figs = []
    for scope in ("area", "la", "england"):
        r = F.query_df(con, "snapshot_crime", {"wards": wards, "lad": la_code, "scope": scope}).iloc[0]
        if not bool(r["full"]) or pd.isna(r["crimes"]):
            if scope == "area":
                return None
            figs.append(F.Figure("crime_rate", label, "rate", note="not fully covered"))
            continue
        figs.append(F.rate_figure("crime_rate", label, float(r["crimes"]), float(r["population"])))
    if kind == "la":
        figs[1] = figs[0]
    return figs[0], figs[1], figs[2]


def _ace(con: duckdb.DuckDBPyConnection, wards: list[str], la_code: str,
         basis: str = "children") -> dict:
    """ACE position: share of children (or under-5s) in wards of England's highest-risk fifth
    (deciles 1-2)."""
    out = {}
    for gid, where in ((AREA, "area"), (LA, "la"), (ENGLAND, "england")):
        out[gid] = F.query_df(con, "snapshot_ace", {"wards": wards, "lad": la_code,
                                                    "scope": where, "basis": basis}
                              ).iloc[0].tolist()
    who = "children" if basis == "children" else "under-5s"
    figs = []
    for gid in (AREA, LA, ENGLAND):
        num, den = out[gid][0], out[gid][1]
        f = F.Figure("ace", f"ACE index position: {who} in wards of England's highest "
                     "modelled-risk fifth (deciles 1\u20132)", "share")
        if den and not F.is_small(den) and num is not None:
            if F.is_small(num) and num > 0:
                f.suppressed = True
            else:
                f.value = num / den
        figs.append(f)
    d = out[AREA][2]
    note = "modelled risk proxy; not tested"
    if d is not None:
        note = f"area score sits in England ward decile {int(d)}; " + note
    return {"figs": figs, "note": note}


def _domains(con: duckdb.DuckDBPyConnection, wards: list[str], la_code: str,
             basis: str = "children") -> list[tuple[tuple[F.Figure, F.Figure, F.Figure], str]]:
    """The index's three domains: children- (or under-5-) weighted domain scores of the area,
    LA, England.

    Each domain score is a mean of normal scores (0 = a typical English ward; higher =
    higher modelled risk); the note gives the England ward decile the area's score sits in.
    """
    out = {}
    for where in ("area", "la", "england"):
        df = F.query_df(con, "snapshot_domains", {"wards": wards, "lad": la_code,
                                                  "scope": where, "basis": basis})
        out[where] = df.set_index("domain")
    rows = []
    for d in DOMAINS:
        label = f"ACE index domain: {d.label.lower()} (score)"
        figs = tuple(F.score_figure(d.name, label, out[w]["score"].get(d.name))
                     for w in ("area", "la", "england"))
        dec = out["area"]["decile"].get(d.name)
        note = "modelled risk proxy; not tested"
        if dec is not None and pd.notna(dec):
            note = f"sits in England ward decile {int(dec)}; " + note
        if d.weak:
            note += "; weak proxies (police violence rates for all ages)"
        rows.append((figs, note))
    return rows


def _ward_rows(con: duckdb.DuckDBPyConnection, wards: list[str], basis: str = "children"
               ) -> tuple[list[WardRow], str, dict[str, float | None]]:
    groups = {w: [w] for w in wards}
    agg = F.aggregate(con, groups)
    fit = run_sql(con, "snapshot_ward_fit", {"w": wards}).df().set_index("ward_code")
    names = fit["ward_name"].to_dict()
    ace = run_sql(con, "snapshot_ward_ace", {"w": wards}).df().set_index("ward_code")
    text = ("Ranked by the modelled ACE index (England rank; 1 = highest modelled risk). "
             "Domains: the ward's England decile in each domain of the index: abuse and "
             "neglect \u00b7 household dysfunction \u00b7 wider context. "
             "Rank band: 5\u201395% range of the rank over perturbed weights; stability: "
             "the band, with the share of draws that keep the ward in the same England decile.")
    recs = []
    for w in wards:
        r = agg.loc[w]
        cp = F.proportion_figure("cp", "cp", r["child_poverty_num"], r["child_poverty_den"])
        ch = F.count_figure("ch", "ch", r[BASES[basis]["column"]])
        rec = {"ward_code": w, "ward_name": names.get(w, w), "children": ch.text(),
               "cp": cp.text(), "cp_ci": cp.ci_text(), "cp_value": cp.value or -1}
        rec["fit"], rec["fit_poor"] = _fit_text(fit.loc[w]) if w in fit.index else ("n/a", False)
        if w in ace.index:
            a = ace.loc[w]
            rec["order"] = a["ace_rank_england"]
            rec["decile"] = a["ace_decile_england"]
            rec["rank"] = f"{int(a['ace_rank_england']):,}"
            rec["band"] = (f"{int(a['lo']):,}\u2013{int(a['hi']):,}"
                           if pd.notna(a["lo"]) and pd.notna(a["hi"]) else "n/a")
            if pd.notna(a["share"]):
                s = float(a["share"])
                unstable = bool(a["flag"]) if pd.notna(a["flag"]) else s < 0.5
                word = str(a["band"]) if pd.notna(a["band"]) else (
                    "unstable" if unstable else "stable")
                rec["stab"] = f"{word} ({100 * s:.0f}%)"
                rec["css"] = "unstable" if unstable else "stable"
            else:
                rec["stab"], rec["css"] = "n/a", ""
            rec["dom"] = "\u00b7".join(
                str(int(a[d.decile_column])) if pd.notna(a.get(d.decile_column)) else "\u2013"
                for d in DOMAINS)
        else:  # a ward without a score (no indicator values)
            rec["order"], rec["decile"] = None, None
            rec["rank"], rec["band"], rec["stab"], rec["css"] = "\u2014", "\u2014", "\u2014", ""
        recs.append(rec)
    recs.sort(key=lambda r: (r["order"] is None, r["order"]))
    rows = [WardRow(label=i, ward_code=r["ward_code"], ward_name=r["ward_name"],
                    children=r["children"], child_poverty=r["cp"], child_poverty_ci=r["cp_ci"],
                    decile=str(int(r["decile"])) if r["decile"] is not None and pd.notna(r["decile"]) else "n/a",
                    rank=r["rank"], rank_band=r["band"], stability=r["stab"], stable_css=r["css"],
                    fit=r["fit"], fit_poor=r["fit_poor"], domains=r.get("dom", "\u2014"))
            for i, r in enumerate(recs, start=1)]
    deciles = {r["ward_code"]: (float(r["decile"]) if r["decile"] is not None and pd.notna(r["decile"])
                                else None) for r in recs}
    return rows, text, deciles


def _fit_text(r: pd.Series) -> tuple[str, bool]:
    """``"92% / 4%"`` (share of the ward covered / spill) and whether the fit is poor."""
    if pd.isna(r["fit_share_of_ward"]) or pd.isna(r["fit_spill"]):
        return "n/a", False
    return (f"{100 * r['fit_share_of_ward']:.0f}% / {100 * r['fit_spill']:.0f}%",
            bool(r["fit_poor"]) if pd.notna(r["fit_poor"]) else False)


def _services(con: duckdb.DuckDBPyConnection, wards: list[str],  # noqa: ANN202
              basis: str = "children"):
    """Services in and within 1 km of the area, by type, with access figures."""
    name = "snapshot_group"
    con.register(name, pd.DataFrame({"group_id": AREA, "ward_code": wards}, dtype="string"))
    try:
        df = F.query_df(con, "snapshot_services", {"near_m": NEAR_M})
    finally:
        con.unregister(name)
    pts = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["easting"], df["northing"]), crs=BNG)
    access, acc_cols = _access(con, wards, basis)
    out = []
    left_out = []
    for t in sorted(set(df["type"].dropna().astype(str)) | set(access)):
        g = df[df["type"].isin(GROUP_TYPES)] if t == GROUP else df[df["type"] == t]
        acc = access.get(t, {})
        if acc.get("covered") is False:
            if g.empty:
                left_out.append(t.replace("_", " "))
                continue
            acc = {c: "not covered" for c in acc_cols}
        out.append(ServiceRow(type=t.replace("_", " "), inside=int(g["inside"].sum()),
                              near=int((~g["inside"]).sum()), access=acc))
    note = (f"In: the service's point lies in one of the area's wards. Near: outside, within "
            f"{NEAR_M / 1000:g} km of its boundary.")
    if left_out:
        note += (f" Not shown: {', '.join(left_out)} (the store's lists for these types are local "
                 "and do not cover this area).")
    return out, acc_cols, note, pts


ACCESS_COLUMNS = [("mean_km", "mean km to nearest"), ("share_1km", "children within 1 km"),
                  ("share_2km", "children within 2 km"), ("per_1000_children", "per 1,000 children")]
#: The early-years lens: under-5-weighted (ward_access_under5, with the early-years group).
ACCESS_COLUMNS_UNDER5 = [("mean_km", "mean km to nearest"), ("share_1km", "under-5s within 1 km"),
                         ("share_2km", "under-5s within 2 km"),
                         ("per_service", "under-5s per service")]


def _access(con: duckdb.DuckDBPyConnection, wards: list[str], basis: str = "children"
            ) -> tuple[dict[str, dict[str, str]], list[str]]:
    """Child- (or under-5-) weighted access figures per service type for the area (from
    ``ward_access`` or ``ward_access_under5``)."""
    if basis == "under5":
        df = F.query_df(con, "snapshot_access_under5", {"wards": wards})
        columns = ACCESS_COLUMNS_UNDER5
    else:
        df = F.query_df(con, "snapshot_access", {"wards": wards})
        columns = ACCESS_COLUMNS
    out: dict[str, dict[str, str]] = {}
    for r in df.to_dict("records"):
        d: dict = {"covered": bool(r["in_coverage"])}
        for col, lab in columns:
            v = r[col]
            if v is None or pd.isna(v):
                d[lab] = "n/a"
            elif col.startswith("share"):
                d[lab] = f"{100 * v:.0f}%"
            elif col == "mean_km":
                d[lab] = f"{v:.2f}"
            elif col == "per_service":
                d[lab] = f"{v:,.0f}"
            else:
                d[lab] = f"{v:.1f}"
        out[str(r["service_type"])] = d
    return out, [lab for _, lab in columns]


def _ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``23rd``, ``11th``."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _tenth(p: float) -> int:
    """The tenth of England (1 = most deprived) a 0-1 position falls in.

    >>> [_tenth(p) for p in (0.0, 0.099, 0.1, 0.5, 1.0)]
    [1, 1, 2, 6, 10]
    """
    return min(10, int(p * 10) + 1)


def change_text(pct_2019: float | None, pct_2025: float | None, uncertainty: float | None,
                label: str = "IMD") -> str:
    """The one line on change since IoD2019 (positions 0-1, 0 = most deprived end).

    The rule is the wards' (``direction`` in ``ward_change``), applied to the area's position:
    "more deprived relative to England than in 2019" when the 2025 position is in a more
    deprived tenth of England than every tenth the 2019 position could take within its
    re-mapping uncertainty (``pct_2019 - u`` to ``pct_2019 + u``); "less deprived" the reverse;
    else "about the same position". The IoD's own model and data changes are not in ``u``,
    so a move within a tenth is not read as a change (docs/method.md).

    >>> change_text(0.234, 0.19, 0.001)[:60]
    'More deprived relative to England than in 2019 (IMD): its ne'
    >>> change_text(0.234, 0.19, 0.001).split(": ")[1]
    "its neighbourhoods sat on average at England's 23rd percentile in IoD2019 and the 19th in IoD2025 (1st = most deprived)."
    >>> change_text(0.231, 0.238, 0.0).startswith("About the same")  # 23rd -> 24th
    True
    """
    if pct_2019 is None or pct_2025 is None or pd.isna(pct_2019) or pd.isna(pct_2025):
        return ""
    p19, p25 = max(1, round(100 * pct_2019)), max(1, round(100 * pct_2025))
    u = 0.0 if uncertainty is None or pd.isna(uncertainty) else float(uncertainty)
    lo, hi = _tenth(max(0.0, pct_2019 - u)), _tenth(min(1.0, pct_2019 + u))
    now = _tenth(pct_2025)
    verdict = ("More deprived relative to England than in 2019" if now < lo
               else "Less deprived relative to England than in 2019" if now > hi
               else "About the same position relative to England as in 2019")
    return (f"{verdict} ({label}): its neighbourhoods sat on average at England's "
            f"{_ordinal(p19)} percentile in IoD2019 and the {_ordinal(p25)} in IoD2025 "
            "(1st = most deprived).")


def change_line(con: duckdb.DuckDBPyConnection, wards: Sequence[str]) -> str:
    """:func:`change_text` for an area (its wards' LSOAs, ``queries/snapshot_change.sql``)."""
    name = "snapshot_group"
    con.register(name, pd.DataFrame({"group_id": AREA, "ward_code": list(wards)}, dtype="string"))
    try:
        df = F.query_df(con, "snapshot_change")
    finally:
        con.unregister(name)
    imd = df[df["measure"] == "imd"]
    if imd.empty:
        return ""
    r = imd.iloc[0]
    return change_text(r["pct_2019"], r["pct_2025"], r["uncertainty"])


def _map(con: duckdb.DuckDBPyConnection, wards: list[str], la_code: str, rows: list[WardRow],
         deciles: dict[str, float | None], pts: gpd.GeoDataFrame | None,
         legend: str) -> tuple[MapResult | None, str]:
    df = run_sql(con, "snapshot_map_wards", {"lad": la_code, "w": wards}).df()
    if df.empty:
        return None, "The store has no geometry for these wards (built for another area?)."
    g = gpd.GeoDataFrame(df.drop(columns="wkb"), geometry=shapely.from_wkb(df["wkb"].map(bytes)),
                         crs=BNG)
    area = g[g["ward_code"].isin(wards)].copy()
    if area.empty:
        return None, "The store has no geometry for these wards."
    label = {r.ward_code: r.label for r in rows}
    area["label"] = area["ward_code"].map(label)
    area["decile"] = area["ward_code"].map(deciles)
    ctx = g[~g["ward_code"].isin(wards)]
    m = draw_map(area, ctx, pts, legend)
    methods = sorted(set(area["geom_method"].dropna()))
    note = "Ward boundaries: " + ", ".join(methods) + "." if methods else ""
    return m, note


def _vintages(con: duckdb.DuckDBPyConnection, la_code: str) -> list[str]:
    """The data vintages behind the figures (the indicator tables' ``vintage_*`` columns)."""
    row = run_sql(con, "snapshot_vintages", {"lad": la_code}).fetchone()
    return [str(v) for v in (row or []) if v] + ["services: see sources"]


def _sources(con: duckdb.DuckDBPyConnection, lads: Sequence[str]) -> list[dict[str, str]]:
    """The sources behind a snapshot of ``lads``, one line per dataset (monthly files of one
    series are collapsed): local lists, police files and extracts made for other LAs are
    left out (``queries/snapshot_sources.sql``; an extract names its LA in its title)."""
    lads = list(dict.fromkeys(lads))
    df = run_sql(con, "snapshot_sources", {"lads": lads}).df().fillna("")
    names = {str(n) for (n,) in run_sql(con, "snapshot_lad_names", {"lads": None}).fetchall()}
    mine = {str(n) for (n,) in run_sql(con, "snapshot_lad_names", {"lads": lads}).fetchall()}
    others = sorted(names - mine, key=len, reverse=True)
    if others:
        pat = re.compile(r"(?<![\w-])(" + "|".join(re.escape(n) for n in others) + r")(?![\w-])")
        mine_pat = (re.compile(r"(?<![\w-])(" + "|".join(re.escape(n) for n in mine) + r")(?![\w-])")
                    if mine else None)
        df = df[[not (pat.search(t) and not (mine_pat and mine_pat.search(t)))
                 for t in df["title"].astype(str)]]
    out = []
    for (pub, title, lic), g in df.groupby(["publisher", "title", "licence"], sort=True):
        v = sorted(set(g["vintage"]) - {""})
        if len(v) > 2:
            vintage = f"{v[0]} to {v[-1]}, {len(g)} files"
        else:
            vintage = "; ".join(v)
        out.append({"publisher": pub, "title": title, "licence": lic, "vintage": vintage})
    return out
