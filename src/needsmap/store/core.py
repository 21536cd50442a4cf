"""Core build stage: boundaries, lookup, IoD2025, Census 2021 and CiLIF -> indicators.

Tables written (see DEVELOPERS.md for the contract): ``lookup_lsoa21_wd24``,
``lsoa``, ``lsoa_indicators``, ``ward``, ``ward_indicators_england``,
``ward_indicators``, ``lad_indicators``, ``england_indicators``, ``scope_lad``.
LSOA-level tables are always national (ranks, point-in-polygon and nearest
services need all of England); ``--la`` limits the ward tables with geometry.
"""

from __future__ import annotations

import difflib
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from needsmap.ingest import boundaries, census, cilif, iod, lookup
from needsmap.ingest.report import InputError
from needsmap.store.db import run_sql

VINTAGES = {
    "vintage_iod": "IoD2025 (MHCLG)",
    "vintage_census": "Census 2021 (ONS)",
    "vintage_lookup": "LSOA21->WD24 best fit (ONS, May 2024)",
    "vintage_cilif": "CiLIF FYE2022 provisional (DWP), MSOA 2011 apportioned",
}

#: Ward boundary files of the current (May 2024) vintage available as real polygons.
WD24_FILES = ("wd24_boundaries_blackpool", "wd24_boundaries_dudley")


def stage(ctx) -> None:  # noqa: ANN001 - BuildContext
    """Run the core stage."""
    con = ctx.con
    rep = ctx.report

    # 1. lookup
    t = _tick(ctx, None)
    _load(ctx, "lsoa21_wd24_lookup", lookup.load_lookup)
    t = _tick(ctx, "lookup", t)

    # 2. scope
    ctx.las = resolve_las(con, ctx.extra.get("las_requested"))
    if ctx.las:
        con.execute("CREATE OR REPLACE TABLE scope_lad AS SELECT DISTINCT lad_code, lad_name "
                    "FROM lookup_lsoa21_wd24 WHERE lad_code IN (SELECT unnest($l)) ORDER BY 1",
                    {"l": ctx.las})
    else:
        con.execute("CREATE OR REPLACE TABLE scope_lad AS SELECT DISTINCT lad_code, lad_name "
                    "FROM lookup_lsoa21_wd24 ORDER BY 1")

    # 3. LSOA boundaries
    p = ctx.resolve("lsoa21_boundaries")
    fr = rep.file("lsoa21_boundaries", str(p))
    g = boundaries.read_boundaries(p, fr, "LSOA21CD", "LSOA21NM", r"[EW]01[0-9]{6}")
    in_lu = set(con.execute("SELECT lsoa_code FROM lookup_lsoa21_wd24").fetchnumpy()["lsoa_code"])
    g = _drop(fr, g, ~g["code"].str.startswith("E"), "LSOA21CD", "out of scope: not an English LSOA")
    g = _drop(fr, g, ~g["code"].isin(in_lu), "LSOA21CD", "LSOA missing from the LSOA21->WD24 lookup")
    fr.rows_kept = len(g)
    _write_lsoa_geoms(con, g)
    lacking = con.execute("SELECT count(*) FROM lookup_lsoa21_wd24 WHERE lsoa_code NOT IN "
                          "(SELECT lsoa_code FROM lsoa)").fetchone()[0]
    if lacking:
        raise InputError(str(p), f"{lacking} English LSOAs of the lookup have no boundary")

    t = _tick(ctx, "boundaries", t)

    # 4. Census 2021
    _load(ctx, "census2021_age6", census.load_census)

    t = _tick(ctx, "census", t)

    # 5. IoD2025
    _load(ctx, "iod2025_domains", iod.load_domains)
    _load(ctx, "iod2025_indicators", iod.load_indicators)
    p5 = ctx.resolve("iod2025_file5", required=False)
    if p5 is not None:
        iod.load_idaci_official(con, p5, rep.file("iod2025_file5", str(p5)), "LSOA code (2021)",
                                "Income Deprivation Affecting Children Index (IDACI) Score (rate)")
    else:
        pb = ctx.resolve("iod2025_file5_blackpool", required=False)
        iod.load_idaci_official(con, pb, rep.file("iod2025_file5_blackpool", str(pb)) if pb else None,
                                "lsoa21cd", "idaci_score_rate")

    t = _tick(ctx, "iod", t)

    # 6. CiLIF (MSOA 2011) and the lookups/populations needed to apportion it
    _load(ctx, "lsoa11_msoa11_lookup", cilif.load_msoa_lookup)
    _load(ctx, "lsoa11_lsoa21_lookup", cilif.load_lsoa11_lsoa21)
    _load(ctx, "sape_mid2020_lsoa11", cilif.load_sape)
    _load(ctx, "cilif_msoa", cilif.load_cilif_msoa)

    t = _tick(ctx, "cilif", t)

    # 7. LSOA indicators, then aggregation to ward / LAD / England
    run_sql(con, "core_lsoa")
    run_sql(con, "aggregate_indicators")
    run_sql(con, "core_areas", {k: v for k, v in VINTAGES.items()})

    t = _tick(ctx, "aggregate", t)

    # 8. ward geometry: real WD24 polygons where the mirror has them, else LSOA dissolve
    _ward_geometries(ctx)
    run_sql(con, "core_wards")
    _tick(ctx, "ward_geometry", t)

    n_wards = con.execute("SELECT count(*) FROM ward_indicators").fetchone()[0]
    ctx.summary.update({
        "scope": ", ".join(ctx.las) if ctx.las else "England",
        "lsoas": con.execute("SELECT count(*) FROM lsoa").fetchone()[0],
        "wards_england": con.execute("SELECT count(*) FROM ward_indicators_england").fetchone()[0],
        "wards_in_scope": n_wards,
        "lads": con.execute("SELECT count(*) FROM scope_lad").fetchone()[0],
        "population": con.execute("SELECT sum(population) FROM ward_indicators").fetchone()[0],
    })


def _tick(ctx, name: str | None, since: float | None = None) -> float:  # noqa: ANN001
    """Record ``core.<name>`` seconds since ``since`` in the build timings; return now."""
    now = time.perf_counter()
    if name is not None and since is not None:
        ctx.timings[f"core.{name}"] = now - since
    return now


def _load(ctx, source_id: str, loader) -> None:  # noqa: ANN001
    """Resolve a catalogued file and run its loader with a fresh file report."""
    p = ctx.resolve(source_id)
    loader(ctx.con, p, ctx.report.file(source_id, str(p)))


def _drop(fr, g: gpd.GeoDataFrame, mask: pd.Series, column: str, reason: str,  # noqa: ANN001
          with_name: bool = False) -> gpd.GeoDataFrame:
    """Record the features under ``mask`` as rejected (row, code[, name]) and return the rest."""
    bad = g[mask]
    raw = bad["code"] + ("," + bad["name"].astype(str) if with_name else "")
    for r, t in zip(bad["_row"].tolist(), raw.tolist(), strict=True):
        fr.reject(int(r), column, reason, t)
    return g[~mask]


def resolve_las(con, requested: list[str] | None) -> list[str] | None:  # noqa: ANN001
    """Map LA names or LAD24 codes (case-insensitive) to LAD24 codes; unknown names raise."""
    if not requested:
        return None
    lads = con.execute("SELECT DISTINCT lad_code, lad_name FROM lookup_lsoa21_wd24").fetchall()
    by_code = {c.upper(): c for c, _ in lads}
    by_name = {n.lower(): c for c, n in lads}
    out = []
    for item in requested:
        key = item.strip()
        if key.upper() in by_code:
            out.append(by_code[key.upper()])
        elif key.lower() in by_name:
            out.append(by_name[key.lower()])
        else:
            close = difflib.get_close_matches(key, [n for _, n in lads], n=5)
            raise KeyError(f"unknown local authority {item!r} (not an English LAD24 name or code)"
                           + (f"; did you mean: {', '.join(close)}?" if close else ""))
    return sorted(set(out))


def _write_lsoa_geoms(con, g: gpd.GeoDataFrame) -> None:  # noqa: ANN001
    pos = g.geometry.representative_point()
    tbl = pa.table({
        "lsoa_code": g["code"].astype(str).values,
        "lsoa_name": g["name"].astype(str).values,
        "area_km2": (g.geometry.area / 1e6).values,
        "centroid_x": pos.x.values,
        "centroid_y": pos.y.values,
        "wkb": shapely.to_wkb(g.geometry.values),
        "wkb_wgs84": shapely.to_wkb(g["geometry_wgs84"].values),
    })
    con.register("_lsoa_geom_arrow", tbl)
    # the national LSOA table, with its best-fit ward and LAD (every LSOA here is in the lookup)
    con.execute("""CREATE OR REPLACE TABLE lsoa AS SELECT g.lsoa_code, l.lsoa_name, l.ward_code,
        l.ward_name, l.lad_code, l.lad_name, g.area_km2, g.centroid_x, g.centroid_y,
        'point_on_surface' AS centroid_method,
        ST_GeomFromWKB(g.wkb) AS geom, ST_GeomFromWKB(g.wkb_wgs84) AS geom_wgs84
        FROM _lsoa_geom_arrow g JOIN lookup_lsoa21_wd24 l USING (lsoa_code) ORDER BY g.lsoa_code""")
    con.unregister("_lsoa_geom_arrow")


def _ward_geometries(ctx) -> None:  # noqa: ANN001
    con = ctx.con
    frames = []
    lu_wards = set(con.execute("SELECT DISTINCT ward_code FROM lookup_lsoa21_wd24").fetchnumpy()["ward_code"])
    for sid in WD24_FILES:
        p = ctx.resolve(sid, required=False)
        if p is None:
            continue
        fr = ctx.report.file(sid, str(p))
        g = boundaries.read_boundaries(p, fr, "WD24CD", "WD24NM", r"[EW]05[0-9]{6}", ("LAD24CD",))
        g = _drop(fr, g, ~g["code"].isin(lu_wards), "WD24CD",
                  "ward gets no LSOA under the best-fit lookup (known limit of best fit)",
                  with_name=True)
        fr.rows_kept = len(g)
        frames.append(g)
    if frames:
        g = pd.concat(frames, ignore_index=True)
        g = g[~g["code"].duplicated()]
        tbl = pa.table({
            "ward_code": g["code"].astype(str).values,
            "wkb": shapely.to_wkb(g.geometry.values),
            "wkb_wgs84": shapely.to_wkb(gpd.GeoSeries(g["geometry_wgs84"].values).values),
        })
    else:
        tbl = pa.table({"ward_code": pa.array([], pa.string()), "wkb": pa.array([], pa.binary()),
                        "wkb_wgs84": pa.array([], pa.binary())})
    con.register("_wd24_arrow", tbl)
    con.execute("""CREATE OR REPLACE TABLE ward_geom_official AS SELECT ward_code,
        ST_GeomFromWKB(wkb) AS geom, ST_GeomFromWKB(wkb_wgs84) AS geom_wgs84 FROM _wd24_arrow""")
    con.unregister("_wd24_arrow")
    _dissolve_wards(ctx)


def _dissolve_wards(ctx) -> None:  # noqa: ANN001
    """Dissolve LSOA polygons into wards (scope wards without an official WD24 polygon).

    LSOAs tile their ward exactly under the best-fit lookup, so a coverage union
    (fast, no overlay) is used; the few wards whose LSOA edges are not exactly
    noded in the generalised (BSC) boundaries fall back to a full union.
    """
    con = ctx.con
    tb = con.execute("""SELECT ward_code, ST_AsWKB(geom) AS w, ST_AsWKB(geom_wgs84) AS w84 FROM lsoa
        WHERE lad_code IN (SELECT lad_code FROM scope_lad)
          AND ward_code NOT IN (SELECT ward_code FROM ward_geom_official)
        ORDER BY ward_code, lsoa_code""").to_arrow_table()
    codes = tb.column("ward_code").to_numpy(zero_copy_only=False)
    out_codes, g27, g84 = [], [], []
    fallback = 0
    if len(codes):
        geoms = shapely.from_wkb(tb.column("w").combine_chunks().to_numpy(zero_copy_only=False))
        geoms84 = shapely.from_wkb(tb.column("w84").combine_chunks().to_numpy(zero_copy_only=False))
        cuts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1], True])
        for a, b in zip(cuts[:-1], cuts[1:], strict=True):
            out_codes.append(codes[a])
            parts = []
            for arr in (geoms[a:b], geoms84[a:b]):
                try:
                    parts.append(shapely.coverage_union_all(arr))
                except shapely.errors.GEOSException:
                    fallback += 1
                    parts.append(shapely.union_all(arr))
            g27.append(parts[0])
            g84.append(parts[1])
    tbl = pa.table({"ward_code": pa.array(out_codes, pa.string()),
                    "wkb": pa.array(shapely.to_wkb(np.array(g27, dtype=object)) if g27 else [], pa.binary()),
                    "wkb_wgs84": pa.array(shapely.to_wkb(np.array(g84, dtype=object)) if g84 else [], pa.binary())})
    con.register("_wd_diss", tbl)
    con.execute("""CREATE OR REPLACE TABLE ward_geom_dissolved AS SELECT ward_code,
        ST_GeomFromWKB(wkb) AS geom, ST_GeomFromWKB(wkb_wgs84) AS geom_wgs84 FROM _wd_diss""")
    con.unregister("_wd_diss")
    ctx.summary["ward_dissolve_full_union_fallbacks"] = fallback
