"""Snapshots of a Welsh local authority, compared with the LA and Wales (issue 21).

A Welsh LA's snapshot is built from the Welsh tables only (``*_wales``, ``wales_indicators``)
and shows the **Welsh** index (:data:`needsmap.index.wales.NAME_WALES`), ranked among Welsh
wards only: nothing on the page puts a Welsh ward on the English ranking or compares it with
England. Headline figures use the English snapshots' rules (:mod:`needsmap.snapshot.figures`):
Wilson intervals for proportions, Byar for rates, counts under 10 suppressed, scores "not
tested". GIAS is England only, so Welsh schools are missing: the page says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from needsmap import __version__
from needsmap.index.wales import CAVEAT_WALES, NAME_WALES
from needsmap.scope import resolve_la
from needsmap.snapshot import figures as F
from needsmap.snapshot.mapimg import MapResult, draw_map
from needsmap.snapshot.render import PdfPrinter, environment
from needsmap.sql import run_sql

#: What the page says about schools.
SCHOOLS_NOTE = ("Schools are missing: Get Information about Schools (GIAS) covers England only. "
                "Upload your own school list in the app to add Welsh schools.")
SERVICE_LABELS = {"gp_practice": "GP practices (NHS ODS epraccur)",
                  "library": "Public libraries (Libraries Hacked)"}


@dataclass
class Row:
    """One headline row: the LA and Wales."""

    label: str
    value: str
    ci: str
    wales_value: str
    cmp: F.Comparison
    note: str = ""


@dataclass
class WalesSnapshot:
    """Content of one Welsh LA snapshot."""

    la_code: str
    la_name: str
    n_lsoa: int
    population: str
    generated: str
    built_at: str
    headline: list[Row]
    wards: list[dict]
    services: list[tuple[str, int]]
    map: MapResult | None
    index_line: str
    n_welsh_wards: int
    notes: list[str] = field(default_factory=list)
    index_name: str = NAME_WALES
    caveat: str = CAVEAT_WALES
    schools_note: str = SCHOOLS_NOTE

    @property
    def title(self) -> str:
        return f"{self.la_name}: local authority snapshot (Wales)"

    @property
    def ward_codes(self) -> list[str]:
        return [w["ward_code"] for w in self.wards]


def welsh_la(con: duckdb.DuckDBPyConnection, name_or_code: str) -> tuple[str, str] | None:
    """``(code, name)`` if ``name_or_code`` is a Welsh LA of the store, else ``None``."""
    if not run_sql(con, "store_has_table", {"name": "lad_indicators_wales"}).fetchone()[0]:
        return None
    pairs = con.execute("SELECT lad_code, lad_name FROM lad_indicators_wales").fetchall()
    try:
        return resolve_la(name_or_code, pairs)
    except KeyError:
        return None


def _decile_of(score: float, ward_scores: np.ndarray) -> int | None:
    """The Welsh ward decile in which ``score`` would sit (1 = highest modelled risk)."""
    s = ward_scores[~np.isnan(ward_scores)]
    if not len(s) or score is None or score != score:
        return None
    above = int((s > score).sum())
    return above * 10 // len(s) + 1


def build(con: duckdb.DuckDBPyConnection, lad_code: str, with_map: bool = True) -> WalesSnapshot:
    """Collect the snapshot of the Welsh LA ``lad_code`` (compared with Wales)."""
    areas = run_sql(con, "wales_snapshot_areas", {"lad": lad_code}).df().set_index("area")
    la, wa = areas.loc["la"], areas.loc["wales"]
    wards = run_sql(con, "wales_snapshot_wards", {"lad": lad_code}).df()
    scores = con.execute("SELECT welsh_ace_score FROM ward_ace_wales").df()["welsh_ace_score"
                                                                           ].to_numpy(float)

    def pair(fn, *cols, **kw) -> tuple[F.Figure, F.Figure]:  # noqa: ANN001
        return fn(*[la[c] for c in cols], **kw), fn(*[wa[c] for c in cols], **kw)

    rows: list[Row] = []

    def add(a: F.Figure, w: F.Figure, note: str = "") -> None:
        rows.append(Row(a.label, a.text(), a.ci_text(), w.text(),
                        F.compare(a, w) if a.kind != "count" else F.Comparison("\u2014", "none"),
                        note or a.note))

    add(F.count_figure("children", "Children aged 0\u201315", la["children_0_15"]),
        F.count_figure("children", "Children aged 0\u201315", wa["children_0_15"]), "Census 2021")
    add(F.count_figure("under5", "Under-5s", la["under5"]),
        F.count_figure("under5", "Under-5s", wa["under5"]), "ONS mid-2020, carried to LSOA 2021")
    add(F.proportion_figure("cilif", "Child poverty (CiLIF)", la["cilif_children"], la["children_0_15"]),
        F.proportion_figure("cilif", "Child poverty (CiLIF)", wa["cilif_children"], wa["children_0_15"]),
        "DWP children in relative low income families FYE2022 / Census children 0\u201315")
    crime_la = F.rate_figure("crime", "Recorded crime per 1,000", la["crimes_12m"], la["crime_pop"])
    if crime_la.value is not None:
        add(crime_la, F.Figure("crime", "", "rate"),
            "police.uk, 12 months; Gwent only in the data, so no Wales figure")
    add(F.score_figure("density", "Residents per km\u00b2", la["density_per_km2"], "density",
                       la["population"]),
        F.score_figure("density", "", wa["density_per_km2"], "density", wa["population"]))
    for col, label in (("wimd_score", "WIMD 2019 score"),
                       ("community_safety_score", "WIMD community safety score"),
                       ("health_score", "WIMD health score"),
                       ("housing_score", "WIMD housing score")):
        add(F.score_figure(col, label, la[col], population=la["population"]),
            F.score_figure(col, label, wa[col], population=wa["population"]),
            "resident-weighted mean of LSOA scores (higher = more deprived)")
    d = _decile_of(la["welsh_ace_score"], scores)
    add(F.score_figure("welsh_ace", "Welsh ACE index (children-weighted)", la["welsh_ace_score"],
                       population=la["population"]),
        F.score_figure("welsh_ace", "", wa["welsh_ace_score"], population=wa["population"]),
        f"sits in Welsh ward decile {d}; ranked among Welsh wards only" if d else "")
    ward_rows = []
    for i, r in enumerate(wards.itertuples(index=False), start=1):
        cp = F.proportion_figure("cilif", "", r.cilif_children, r.children_0_15)
        ward_rows.append({
            "label": i, "ward_code": r.ward_code, "ward_name": r.ward_name,
            "children": F.count_figure("c", "", r.children_0_15).text(),
            "cilif": cp.text(), "cilif_ci": cp.ci_text(),
            "decile": "" if pd.isna(r.welsh_ace_decile) else int(r.welsh_ace_decile),
            "rank": "" if pd.isna(r.welsh_ace_rank) else f"{int(r.welsh_ace_rank)} of {int(r.n_welsh_wards)}",
            "domains": "/".join("\u2013" if pd.isna(x) else str(int(x)) for x in
                                (r.abuse_neglect_decile, r.household_dysfunction_decile, r.context_decile)),
            "crime": "" if pd.isna(r.rate_12m_per_1000) else f"{r.rate_12m_per_1000:.1f}",
            "fit_poor": bool(r.fit_poor), "value_method": r.value_method})
    services = [(SERVICE_LABELS.get(t, t), int(n)) for t, n in
                run_sql(con, "wales_snapshot_services", {"lad": lad_code}).fetchall()]
    m = _map(con, lad_code, ward_rows) if with_map else None
    meta = dict(run_sql(con, "store_meta_read").fetchall())
    n_wales = int(wards["n_welsh_wards"].iloc[0]) if len(wards) else 0
    line = (f"{NAME_WALES}: decile 1 = the highest-risk tenth of the {n_wales} Welsh wards. "
            "It is built from Welsh sources (WIMD 2019, CiLIF, Census 2021) and is never ranked "
            "with English wards; an English decile and a Welsh decile cannot be compared.")
    return WalesSnapshot(
        la_code=lad_code, la_name=str(la["area_name"]), n_lsoa=int(la["n_lsoa"]),
        population=F.count_figure("p", "p", la["population"]).text(),
        generated=dt.date.today().isoformat(), built_at=meta.get("built_at", "unknown"),
        headline=rows, wards=ward_rows, services=services, map=m, index_line=line,
        n_welsh_wards=n_wales)


def _map(con: duckdb.DuckDBPyConnection, lad_code: str, ward_rows: Sequence[dict]) -> MapResult:
    g = con.execute("SELECT ward_code, ST_AsWKB(geom) AS wkb, lad_code FROM ward "
                    "WHERE nation = 'Wales'").df()
    geo = gpd.GeoDataFrame(g[["ward_code", "lad_code"]],
                           geometry=shapely.from_wkb(g["wkb"].map(bytes).to_numpy()), crs=27700)
    info = pd.DataFrame(ward_rows)[["ward_code", "decile", "label"]]
    inside = geo[geo["lad_code"] == lad_code].merge(info, on="ward_code")
    inside["decile"] = pd.to_numeric(inside["decile"], errors="coerce")
    ctx = geo[geo["lad_code"] != lad_code]
    svc = con.execute("SELECT type, ST_AsWKB(geom) AS wkb FROM service WHERE lad_code = ?",
                      [lad_code]).df()
    pts = None
    if len(svc):
        pts = gpd.GeoDataFrame(svc[["type"]], geometry=shapely.from_wkb(
            svc["wkb"].map(bytes).to_numpy()), crs=27700)
        pts["inside"] = True
    return draw_map(inside, ctx if len(ctx) else None, pts, "Welsh ACE index, Welsh ward decile")


def render_html(snap: WalesSnapshot, zoom: float = 1.0) -> str:
    """The snapshot as a self-contained HTML page."""
    return environment().get_template("snapshot_wales.html.j2").render(
        s=snap, zoom=f"{zoom:.3f}", version=__version__)


def write(con: duckdb.DuckDBPyConnection, lad_code: str, out: Path,
          formats: Sequence[str] = ("html", "pdf", "png")) -> list[Path]:
    """Write the Welsh LA snapshot (HTML, PDF, map PNG) into ``out``; return the files."""
    from needsmap.snapshot.localities import slugify

    out.mkdir(parents=True, exist_ok=True)
    snap = build(con, lad_code)
    slug = "la-" + slugify(snap.la_name)
    files = []
    html = render_html(snap)
    if "html" in formats:
        p = out / f"{slug}.html"
        p.write_text(html, encoding="utf-8")
        files.append(p)
    if "pdf" in formats:
        with PdfPrinter() as pr:
            zoom = pr.fit_zoom(html)
            p = out / f"{slug}.pdf"
            pr.pdf(render_html(snap, zoom) if zoom < 1 else html, p)
        files.append(p)
    if "png" in formats and snap.map is not None:
        p = out / f"{slug}-map.png"
        p.write_bytes(snap.map.png)
        files.append(p)
    return files
