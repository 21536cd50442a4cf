"""Core build stage: boundaries, lookup, IoD2025, Census 2021 and CiLIF -> indicators.

Tables written (see DEVELOPERS.md for the contract): ``lookup_lsoa21_wd24``,
``lsoa``, ``lsoa_indicators``, ``ward``, ``ward_indicators_england``,
``ward_indicators``, ``lad_indicators``, ``england_indicators``, ``scope_lad``.
LSOA-level tables are always national (ranks, point-in-polygon and nearest
services need all of England); ``--la`` limits the ward tables with geometry.
"""

from __future__ import annotations

import difflib
import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from needsmap import geomthreads
from needsmap.crs import reproject
from needsmap.ingest import boundaries, census, cilif, iod, lookup
from needsmap.ingest.report import InputError
from needsmap.settings import BNG, WGS84
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
    """Run the core stage.

    Two threads: the boundary files (GeoJSON parse, validation, reprojection, ward
    dissolve: pyarrow, GDAL, GEOS and PROJ release the GIL) are prepared in a worker while
    DuckDB loads the tables on this thread, with one thread fewer than cores. The
    worker needs the lookup only to drop LSOAs outside it and to dissolve wards; it
    waits for that one input. The stage needs no spatial extension: DuckDB's core
    ``ST_GeomFromWKB`` writes the ``GEOMETRY`` columns (loading the extension costs
    0.2-0.5 s in a new process; the later stages load it).
    """
    con = ctx.con
    rep = ctx.report
    t = _tick(ctx, None)
    p = ctx.resolve("lsoa21_boundaries")
    lsoa_src = (p, rep.file("lsoa21_boundaries", str(p)))
    wd24_src = [(wp, rep.file(sid, str(wp))) for sid in WD24_FILES
                if (wp := ctx.resolve(sid, required=False)) is not None]
    lookup_ready: Future[_Lookup] = Future()
    lsoa_ready: Future[pa.Table] = Future()
    # one core for the worker, the others for DuckDB: on 2 cores, DuckDB's default of 2
    # threads beside a busy worker costs 0.6 CPU-s of oversubscription (measured)
    threads = int(con.execute("SELECT current_setting('threads')").fetchone()[0])
    con.execute(f"SET threads = {max(1, (os.cpu_count() or 2) - 1)}")
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="needsmap-geometry") as pool:
        fut = pool.submit(_prepare_geometry, ctx, lsoa_src, wd24_src, lookup_ready, lsoa_ready)
        try:
            _load_lookup(ctx)
            lookup_ready.set_result(_lookup_for_geometry(con))
            t = _tick(ctx, "lookup", t)
            _load_tables(ctx)
        except BaseException as exc:
            if not lookup_ready.done():
                lookup_ready.set_exception(exc)  # release the worker; this error wins
            raise
        t = _tick(ctx, None)
        if not lsoa_ready.done():
            _checkpoint_while_waiting(con)
        lsoa_tbl = lsoa_ready.result()  # or the worker's error, if it failed before the table
        t = _tick(ctx, "geometry_wait", t)

        # the national LSOA table (every LSOA of the lookup must have a boundary), then
        # LSOA indicators and their aggregation, while the worker dissolves wards
        con.register("_lsoa_geom", lsoa_tbl)
        run_sql(con, "core_lsoa_geom")
        con.unregister("_lsoa_geom")
        lacking = con.execute("SELECT count(*) FROM lookup_lsoa21_wd24 WHERE lsoa_code NOT IN "
                              "(SELECT lsoa_code FROM lsoa)").fetchone()[0]
        if lacking:
            raise InputError(str(p), f"{lacking} English LSOAs of the lookup have no boundary")
        t = _tick(ctx, "boundaries", t)
        run_sql(con, "core_lsoa", {"cilif_available": ctx.extra["cilif_available"]})
        run_sql(con, "aggregate_indicators")
        vintages = dict(VINTAGES)
        if not ctx.extra["cilif_available"]:
            vintages["vintage_cilif"] = "not available (source files missing)"
        run_sql(con, "core_areas", vintages)
        t = _tick(ctx, "aggregate", t)
        if not fut.done():
            _checkpoint_while_waiting(con)  # the LSOA and indicator tables, beside the dissolve
        geo = fut.result()
    con.execute(f"SET threads = {threads}")
    t = _tick(ctx, "dissolve_wait", t)

    # ward geometry, written once: real WD24 polygons where the mirror has them, else the dissolve
    con.register("_ward_geom", geo.ward)
    run_sql(con, "core_wards")
    con.unregister("_ward_geom")
    ctx.summary["ward_dissolve_full_union_fallbacks"] = geo.fallbacks
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


def _checkpoint_while_waiting(con) -> None:  # noqa: ANN001
    """Write the tables made so far to disk while the geometry worker is still busy.

    The build's checkpoint is otherwise serial at the end (0.3 s for the core
    tables); the stage calls this twice, in time the main thread would spend
    waiting: for the LSOA table, then for the ward dissolve. If DuckDB refuses,
    the final checkpoint covers it.
    """
    try:
        con.execute("CHECKPOINT")
    except duckdb.Error:
        pass


def _load_lookup(ctx) -> None:  # noqa: ANN001
    """Load the LSOA21->WD24 lookup and fix the build scope (``scope_lad``)."""
    con = ctx.con
    _load(ctx, "lsoa21_wd24_lookup", lookup.load_lookup)
    ctx.las = resolve_las(con, ctx.extra.get("las_requested"))
    if ctx.las:
        con.execute("CREATE OR REPLACE TABLE scope_lad AS SELECT DISTINCT lad_code, lad_name "
                    "FROM lookup_lsoa21_wd24 WHERE lad_code IN (SELECT unnest($l)) ORDER BY 1",
                    {"l": ctx.las})
    else:
        con.execute("CREATE OR REPLACE TABLE scope_lad AS SELECT DISTINCT lad_code, lad_name "
                    "FROM lookup_lsoa21_wd24 ORDER BY 1")


def _load_tables(ctx) -> None:  # noqa: ANN001
    """Load the tabular inputs after the lookup: Census 2021, IoD2025 and CiLIF."""
    con, rep = ctx.con, ctx.report
    t = _tick(ctx, None)
    _load(ctx, "census2021_age6", census.load_census)
    t = _tick(ctx, "census", t)

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

    # CiLIF (MSOA 2011) and the lookups/populations needed to apportion it. CiLIF is a
    # second, independent child-poverty measure: without one of its four files the build
    # goes on, `cilif_*` columns are NULL and the summary says which file was missing.
    loaders = {"lsoa11_msoa11_lookup": cilif.load_msoa_lookup,
               "lsoa11_lsoa21_lookup": cilif.load_lsoa11_lsoa21,
               "sape_mid2020_lsoa11": cilif.load_sape,
               "cilif_msoa": cilif.load_cilif_msoa}
    paths = {sid: ctx.resolve(sid, required=False) for sid in loaders}
    missing = [sid for sid, path in paths.items() if path is None]
    if missing:
        run_sql(con, "core_cilif_absent")
        ctx.summary.setdefault("sources_unavailable", {})["cilif"] = (
            "Children in Low Income Families not built: missing " + ", ".join(
                ctx.catalogue.get(sid).path for sid in missing))
    else:
        for sid, loader in loaders.items():
            loader(con, paths[sid], rep.file(sid, str(paths[sid])))
    ctx.extra["cilif_available"] = not missing
    _tick(ctx, "cilif", t)


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


@dataclass(frozen=True)
class _Lookup:
    """What the geometry worker needs from the lookup (plain Python, no connection)."""

    ward_of: dict[str, str]  # every lookup LSOA -> its best-fit WD24 ward
    scope_wards: frozenset[str]  # wards of the LADs in scope


@dataclass(frozen=True)
class _Geometry:
    """Ward geometry handed from the worker to the main thread (the LSOA table goes first)."""

    ward: pa.Table  # ward_code, geom_method, wkb (EPSG:27700), wkb_wgs84 (EPSG:4326)
    fallbacks: int  # wards dissolved with a full union instead of a coverage union


def _lookup_for_geometry(con) -> _Lookup:  # noqa: ANN001
    m = con.execute("SELECT lsoa_code, ward_code, lad_code IN (SELECT lad_code FROM scope_lad) "
                    "AS in_scope FROM lookup_lsoa21_wd24").fetchnumpy()
    codes, wards = m["lsoa_code"].tolist(), m["ward_code"].tolist()
    scope = frozenset(w for w, s in zip(wards, m["in_scope"].tolist(), strict=True) if s)
    return _Lookup(dict(zip(codes, wards, strict=True)), scope)


def _prepare_geometry(ctx, lsoa_src: tuple[Path, object],  # noqa: ANN001
                      wd24_src: list[tuple[Path, object]], lookup_ready: Future[_Lookup],
                      lsoa_ready: Future[pa.Table]) -> _Geometry:
    """Worker: read and validate the boundary files, then build LSOA and ward geometry.

    Touches no DuckDB connection; each file report it is given is written by it
    alone. The LSOA table (code, land area, point on surface, EPSG:27700 WKB) is
    handed over through ``lsoa_ready`` as soon as it exists, so the main thread
    aggregates indicators while this thread dissolves wards (in two halves, on
    two threads).
    """
    try:
        return _geometry(ctx, lsoa_src, wd24_src, lookup_ready, lsoa_ready)
    except BaseException as exc:
        if not lsoa_ready.done():
            lsoa_ready.set_exception(exc)  # the main thread waits on it: hand it the error
        raise


def _geometry(ctx, lsoa_src: tuple[Path, object], wd24_src: list[tuple[Path, object]],  # noqa: ANN001
              lookup_ready: Future[_Lookup], lsoa_ready: Future[pa.Table]) -> _Geometry:
    t = time.perf_counter()
    p, fr = lsoa_src
    raw = boundaries.read_features(p, ["LSOA21CD", "LSOA21NM"])
    g = boundaries.check_codes(raw, p, fr, "LSOA21CD", "LSOA21NM", r"[EW]01[0-9]{6}")
    ctx.timings["core.worker_read"] = time.perf_counter() - t
    lu = lookup_ready.result()
    t = time.perf_counter()
    # scope first, so that validation and reprojection are spent only on LSOAs kept
    g = boundaries.reject_features(g, fr, ~g["code"].str.startswith("E"), "out of scope: not an English LSOA",
                                   "LSOA21CD")
    g = boundaries.reject_features(g, fr, ~g["code"].isin(lu.ward_of.keys()),
                                   "LSOA missing from the LSOA21->WD24 lookup", "LSOA21CD")
    g = boundaries.check_geometry(g, p, fr)
    fr.rows_kept = len(g)
    lsoa_ready.set_result(_lsoa_table(g))
    ctx.timings["core.worker_validate"] = time.perf_counter() - t
    t = time.perf_counter()
    official = [(wfr, boundaries.validate(
        boundaries.read_features(wp, ["WD24CD", "WD24NM", "LAD24CD"]), wp, wfr, "WD24CD", "WD24NM",
        r"[EW]05[0-9]{6}")) for wp, wfr in wd24_src]
    off_codes, off27, off84 = _official_wards(official, lu)
    rows, starts = _dissolve_groups(g, lu, set(off_codes))
    mid = len(starts) // 2  # split at a ward boundary
    split = int(starts[mid]) if len(starts) else 0
    parts = [geomthreads.submit(_dissolve, rows[:split], starts[:mid]),
             geomthreads.submit(_dissolve, rows[split:], starts[mid:] - split)]
    (c1, d27_1, d84_1, f1), (c2, d27_2, d84_2, f2) = (f.result() for f in parts)
    methods = ["ons_wd24_bgc"] * len(off_codes) + ["lsoa21_best_fit_dissolve"] * (len(c1) + len(c2))
    ward_tbl = pa.table({
        "ward_code": pa.array(off_codes + c1 + c2, pa.string()),
        "geom_method": pa.array(methods, pa.string()),
        "wkb": pa.array(shapely.to_wkb(np.concatenate([off27, d27_1, d27_2])), pa.binary()),
        "wkb_wgs84": pa.array(shapely.to_wkb(np.concatenate([off84, d84_1, d84_2])), pa.binary()),
    })
    ctx.timings["core.worker_geometry"] = time.perf_counter() - t
    return _Geometry(ward_tbl, f1 + f2)


def _lsoa_parts(geoms: np.ndarray) -> tuple[np.ndarray, ...]:
    """Land area (km²), point on surface (x, y) and WKB of EPSG:27700 polygons."""
    pos = shapely.point_on_surface(geoms)
    return shapely.area(geoms) / 1e6, shapely.get_x(pos), shapely.get_y(pos), shapely.to_wkb(geoms)


def _lsoa_table(g: gpd.GeoDataFrame) -> pa.Table:
    """Kept LSOAs as Arrow: code, land area, a point on surface, EPSG:27700 WKB (two threads)."""
    parts = geomthreads.halves(_lsoa_parts, np.asarray(g.geometry.values, dtype=object))
    area, x, y, wkb = (np.concatenate(p) for p in zip(*parts, strict=True))
    return pa.table({
        "lsoa_code": pa.array(g["code"].tolist(), pa.string()),
        "area_km2": area,
        "centroid_x": x,
        "centroid_y": y,
        "wkb": pa.array(wkb, pa.binary()),
    })


def _official_wards(official: list, lu: _Lookup) -> tuple[list[str], np.ndarray, np.ndarray]:  # noqa: ANN001
    """Validated WD24 polygons of wards in scope: codes, EPSG:27700 and EPSG:4326 arrays.

    A WD24 ward that gets no LSOA under the best-fit lookup is recorded as rejected
    (by code and name) in its file's report: a known limit of best fit.
    """
    lu_wards = set(lu.ward_of.values())
    frames = []
    for fr, g in official:
        g = boundaries.reject_features(
            g, fr, ~g["code"].isin(lu_wards),
            "ward gets no LSOA under the best-fit lookup (known limit of best fit)", "WD24CD",
            with_name=True)
        fr.rows_kept = len(g)
        frames.append(g)
    if not frames:
        return [], np.array([], dtype=object), np.array([], dtype=object)
    g = pd.concat(frames, ignore_index=True)
    g = g[~g["code"].duplicated() & g["code"].isin(lu.scope_wards)]
    return (g["code"].tolist(), np.asarray(g.geometry.values, dtype=object),
            np.asarray(gpd.GeoSeries(g["geometry_wgs84"].values).values, dtype=object))


def _dissolve_groups(lsoas: gpd.GeoDataFrame, lu: _Lookup, official: set[str]
                     ) -> tuple[np.ndarray, np.ndarray]:
    """LSOA polygons of the scope wards to dissolve, sorted by (ward, LSOA), with group starts.

    Returns the rows as a 2-column object array ``(ward_code, polygon)`` and the
    start index of each ward's run of rows.
    """
    ward = np.array([lu.ward_of[c] for c in lsoas["code"].tolist()], dtype=object)
    take = np.fromiter((w in lu.scope_wards and w not in official for w in ward), bool, len(ward))
    ward, code = ward[take].astype(str), lsoas["code"].to_numpy(dtype=object)[take].astype(str)
    geoms = np.asarray(lsoas.geometry.values, dtype=object)[take]
    order = np.lexsort((code, ward))
    ward, geoms = ward[order], geoms[order]
    starts = np.flatnonzero(np.r_[True, ward[1:] != ward[:-1]]) if len(ward) else np.array([], int)
    return np.column_stack([ward.astype(object), geoms]) if len(ward) else np.empty((0, 2), object), starts


def _dissolve(rows: np.ndarray, starts: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray, int]:
    """Dissolve sorted ``(ward_code, polygon)`` rows into one polygon per ward.

    LSOAs tile their ward exactly under the best-fit lookup, so a coverage union
    (fast, no overlay) is used, in EPSG:27700; the few wards whose LSOA edges are
    not exactly noded in the generalised (BSC) boundaries fall back to a full
    union. A dissolved ward's EPSG:4326 polygon is its EPSG:27700 polygon
    reprojected. Returns codes, EPSG:27700 and EPSG:4326 arrays and the number of
    full-union fallbacks.
    """
    codes, out = [], []
    fallbacks = 0
    ends = np.r_[starts[1:], len(rows)] if len(starts) else starts
    for a, b in zip(starts, ends, strict=True):
        codes.append(str(rows[a, 0]))
        geoms = rows[a:b, 1]
        try:
            out.append(shapely.coverage_union_all(geoms))
        except shapely.errors.GEOSException:
            fallbacks += 1
            out.append(shapely.union_all(geoms))
    d27 = np.array(out, dtype=object)
    d84 = reproject(d27, BNG, WGS84)
    return codes, d27, d84, fallbacks
