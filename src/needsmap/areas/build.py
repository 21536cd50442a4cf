"""The areas stage: LSOA and ward geography, and the indicators of every area.

Inputs: LSOA 2021 boundaries, May 2024 ward boundaries where available, IoD2025,
Census 2021 and CiLIF (with the LSOA21->WD24 lookup the pipeline has already
loaded). Tables written (columns in :mod:`needsmap.store.schema`): ``lsoa``,
``lsoa_indicators``, ``ward``, ``ward_indicators_england``, ``ward_indicators``,
``lad_indicators``, ``england_indicators``. LSOA-level tables are always national
(ranks, point-in-polygon and nearest services need all of England); the scope
limits the ward tables with geometry.
"""

from __future__ import annotations

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

from needsmap import _threads
from needsmap.context import BuildContext
from needsmap.crs import reproject
from needsmap.ingest import boundaries, census, cilif, iod
from needsmap.ingest.report import InputError
from needsmap.settings import BNG, WGS84
from needsmap.sql import run_sql

VINTAGES = {
    "vintage_iod": "IoD2025 (MHCLG)",
    "vintage_census": "Census 2021 (ONS)",
    "vintage_lookup": "LSOA21->WD24 best fit (ONS, May 2024)",
    "vintage_cilif": "CiLIF FYE2022 provisional (DWP), MSOA 2011 apportioned",
}

#: Ward boundary files of the current (May 2024) vintage available as real polygons.
WD24_FILES = ("wd24_boundaries_blackpool", "wd24_boundaries_dudley")


def stage(ctx: BuildContext) -> None:
    """Run the areas stage.

    Two threads: the boundary files (GeoJSON parse, validation, reprojection, ward
    dissolve: pyarrow, GDAL, GEOS and PROJ release the GIL) are prepared in a worker while
    DuckDB loads the tables on this thread, with one thread fewer than cores. The stage
    needs no spatial extension: DuckDB's core ``ST_GeomFromWKB`` writes the ``GEOMETRY``
    columns (loading the extension costs 0.2-0.5 s in a new process; later stages load it).
    """
    con = ctx.con
    rep = ctx.report
    t = _tick(ctx, None)
    p = ctx.resolve("lsoa21_boundaries")
    lsoa_src = (p, rep.file("lsoa21_boundaries", str(p)))
    wd24_src = [(wp, rep.file(sid, str(wp))) for sid in WD24_FILES
                if (wp := ctx.resolve(sid, required=False)) is not None]
    lu = _lookup_for_geometry(con)
    # one core for the worker, the others for DuckDB: on 2 cores, DuckDB's default of 2
    # threads beside a busy worker costs 0.6 CPU-s of oversubscription (measured)
    threads = int(con.execute("SELECT current_setting('threads')").fetchone()[0])
    con.execute(f"SET threads = {max(1, (os.cpu_count() or 2) - 1)}")
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="needsmap-geometry") as pool:
        lsoa_ready: Future[pa.Table] = Future()
        fut = pool.submit(_prepare_geometry, ctx, lsoa_src, wd24_src, lu, lsoa_ready)
        _load_tables(ctx)
        t = _tick(ctx, None)
        if not lsoa_ready.done():
            _checkpoint_while_waiting(con)
        lsoa_tbl = lsoa_ready.result()  # or the worker's error, if it failed before the table
        t = _tick(ctx, "geometry_wait", t)

        # the national LSOA table (every LSOA of the lookup must have a boundary), then
        # LSOA indicators and their aggregation, while the worker dissolves wards
        con.register("_lsoa_geom", lsoa_tbl)
        run_sql(con, "areas_lsoa_geom")
        con.unregister("_lsoa_geom")
        lacking = run_sql(con, "areas_lsoa_lacking").fetchone()[0]
        if lacking:
            raise InputError(str(p), f"{lacking} English LSOAs of the lookup have no boundary")
        t = _tick(ctx, "boundaries", t)
        cilif_ok = bool(ctx.facts["cilif_available"])
        run_sql(con, "areas_lsoa", {"cilif_available": cilif_ok})
        run_sql(con, "aggregate_indicators")
        vintages = dict(VINTAGES)
        if not cilif_ok:
            vintages["vintage_cilif"] = "not available (source files missing)"
        run_sql(con, "areas_aggregate", vintages)
        run_sql(con, "areas_domain_proxies")  # the domains index's File 8 proxies
        t = _tick(ctx, "aggregate", t)
        if not fut.done():
            _checkpoint_while_waiting(con)  # the LSOA and indicator tables, beside the dissolve
        geo = fut.result()
    con.execute(f"SET threads = {threads}")
    t = _tick(ctx, "dissolve_wait", t)

    # ward geometry, written once: real WD24 polygons where the mirror has them, else the dissolve
    con.register("_ward_geom", geo.ward)
    run_sql(con, "areas_wards")
    con.unregister("_ward_geom")
    ctx.summary["ward_dissolve_full_union_fallbacks"] = geo.fallbacks
    _tick(ctx, "ward_geometry", t)

    counts = run_sql(con, "areas_summary").fetchone()
    ctx.summary.update({
        "scope": ctx.scope.label,
        "lsoas": counts[0],
        "wards_england": counts[1],
        "wards_in_scope": counts[2],
        "lads": counts[3],
        "population": counts[4],
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
        run_sql(con, "areas_cilif_absent")
        ctx.summary.setdefault("sources_unavailable", {})["cilif"] = (
            "Children in Low Income Families not built: missing " + ", ".join(
                ctx.catalogue.get(sid).path for sid in missing))
    else:
        for sid, loader in loaders.items():
            loader(con, paths[sid], rep.file(sid, str(paths[sid])))
    ctx.facts["cilif_available"] = not missing
    _tick(ctx, "cilif", t)


def _tick(ctx, name: str | None, since: float | None = None) -> float:  # noqa: ANN001
    """Record ``core.<name>`` seconds since ``since`` in the build timings; return now."""
    now = time.perf_counter()
    if name is not None and since is not None:
        ctx.timings[f"areas.{name}"] = now - since
    return now


def _load(ctx, source_id: str, loader) -> None:  # noqa: ANN001
    """Resolve a catalogued file and run its loader with a fresh file report."""
    p = ctx.resolve(source_id)
    loader(ctx.con, p, ctx.report.file(source_id, str(p)))


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
                      wd24_src: list[tuple[Path, object]], lu: _Lookup,
                      lsoa_ready: Future[pa.Table]) -> _Geometry:
    """Worker: read and validate the boundary files, then build LSOA and ward geometry.

    Touches no DuckDB connection; each file report it is given is written by it
    alone. The LSOA table (code, land area, point on surface, EPSG:27700 WKB) is
    handed over through ``lsoa_ready`` as soon as it exists, so the main thread
    aggregates indicators while this thread dissolves wards (in two halves, on
    two threads).
    """
    try:
        return _geometry(ctx, lsoa_src, wd24_src, lu, lsoa_ready)
    except BaseException as exc:
        if not lsoa_ready.done():
            lsoa_ready.set_exception(exc)  # the main thread waits on it: hand it the error
        raise


def _geometry(ctx, lsoa_src: tuple[Path, object], wd24_src: list[tuple[Path, object]],  # noqa: ANN001
              lu: _Lookup, lsoa_ready: Future[pa.Table]) -> _Geometry:
    t = time.perf_counter()
    p, fr = lsoa_src
    raw = boundaries.read_features(p, ["LSOA21CD", "LSOA21NM"])
    g = boundaries.check_codes(raw, p, fr, "LSOA21CD", "LSOA21NM", r"[EW]01[0-9]{6}")
    ctx.timings["areas.worker_read"] = time.perf_counter() - t
    t = time.perf_counter()
    # scope first, so that validation and reprojection are spent only on LSOAs kept
    g = boundaries.reject_features(g, fr, ~g["code"].str.startswith("E"), "out of scope: not an English LSOA",
                                   "LSOA21CD")
    g = boundaries.reject_features(g, fr, ~g["code"].isin(lu.ward_of.keys()),
                                   "LSOA missing from the LSOA21->WD24 lookup", "LSOA21CD")
    g = boundaries.check_geometry(g, p, fr)
    fr.rows_kept = len(g)
    lsoa_ready.set_result(_lsoa_table(g))
    ctx.timings["areas.worker_validate"] = time.perf_counter() - t
    t = time.perf_counter()
    official = [(wfr, boundaries.validate(
        boundaries.read_features(wp, ["WD24CD", "WD24NM", "LAD24CD"]), wp, wfr, "WD24CD", "WD24NM",
        r"[EW]05[0-9]{6}")) for wp, wfr in wd24_src]
    off_codes, off27, off84 = _official_wards(official, lu)
    rows, starts = _dissolve_groups(g, lu, set(off_codes))
    mid = len(starts) // 2  # split at a ward boundary
    split = int(starts[mid]) if len(starts) else 0
    parts = [_threads.submit(_dissolve, rows[:split], starts[:mid]),
             _threads.submit(_dissolve, rows[split:], starts[mid:] - split)]
    (c1, d27_1, d84_1, f1), (c2, d27_2, d84_2, f2) = (f.result() for f in parts)
    methods = ["ons_wd24_bgc"] * len(off_codes) + ["lsoa21_best_fit_dissolve"] * (len(c1) + len(c2))
    ward_tbl = pa.table({
        "ward_code": pa.array(off_codes + c1 + c2, pa.string()),
        "geom_method": pa.array(methods, pa.string()),
        "wkb": pa.array(shapely.to_wkb(np.concatenate([off27, d27_1, d27_2])), pa.binary()),
        "wkb_wgs84": pa.array(shapely.to_wkb(np.concatenate([off84, d84_1, d84_2])), pa.binary()),
    })
    ctx.timings["areas.worker_geometry"] = time.perf_counter() - t
    return _Geometry(ward_tbl, f1 + f2)


def _lsoa_parts(geoms: np.ndarray) -> tuple[np.ndarray, ...]:
    """Land area (km²), point on surface (x, y) and WKB of EPSG:27700 polygons."""
    pos = shapely.point_on_surface(geoms)
    return shapely.area(geoms) / 1e6, shapely.get_x(pos), shapely.get_y(pos), shapely.to_wkb(geoms)


def _lsoa_table(g: gpd.GeoDataFrame) -> pa.Table:
    """Kept LSOAs as Arrow: code, land area, a point on surface, EPSG:27700 WKB (two threads)."""
    parts = _threads.halves(_lsoa_parts, np.asarray(g.geometry.values, dtype=object))
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
