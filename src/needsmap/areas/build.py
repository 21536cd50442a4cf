"""The areas stage: LSOA and ward geography, and the indicators of every area.

Inputs: LSOA 2021 boundaries, the May 2024 ward boundaries (one ONS product for
the whole map: :data:`WARD_PRODUCTS`), IoD2025, Census 2021 and CiLIF (with the
LSOA21->WD24 lookup the pipeline has already loaded). Tables written (columns in
:mod:`needsmap.store.schema`): ``lsoa``, ``lsoa_indicators``, ``lsoa_ward_weight``,
``ward``, ``ward_indicators_england``, ``ward_indicators``, ``lsoa_ward_share``,
``lad_indicators``, ``england_indicators``. LSOA-level tables and the weights are
always national (ranks, point-in-polygon and nearest services need all of
England); the scope limits the ward tables with geometry.

Ward figures are LSOA figures carried to wards with the weights of
:mod:`needsmap.areas.weights` (``best_fit`` by default, ``areal`` on request).
Without any ward boundary file the wards are drawn as unions of their best-fit
LSOAs (``geom_method = 'lsoa21_best_fit_dissolve'``) and only ``best_fit``
weights are possible; the wards the lookup leaves empty are then missing.
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
from needsmap.areas import change, lsoa11, weights
from needsmap.context import BuildContext
from needsmap.crs import reproject
from needsmap.ingest import boundaries, census, cilif, iod, iod2019
from needsmap.ingest.report import FileReport, InputError
from needsmap.settings import BNG, WGS84
from needsmap.sql import run_sql

VINTAGES = {
    "vintage_iod": "IoD2025 (MHCLG)",
    "vintage_census": "Census 2021 (ONS)",
    "vintage_lookup": "LSOA21->WD24 best fit (ONS, May 2024)",
    "vintage_cilif": "CiLIF FYE2022 provisional (DWP), MSOA 2011 apportioned",
}

#: ``vintage_lookup`` of each weighting method when ward polygons are available.
LOOKUP_VINTAGE = {
    "best_fit": "LSOA21->WD24 best fit (ONS, May 2024), with LSOA area shares for wards the "
                "lookup leaves empty",
    "areal": "LSOA21 area shares in WD24 (ONS May 2024 boundaries)",
}

#: May 2024 ward boundary products, most detailed first: catalogue id -> ``geom_method``.
#: The map uses the first that covers every English ward of the lookup, and only that one
#: (never two generalisations on one map); the full-resolution and BGC products only when
#: a user's cache holds them.
WARD_PRODUCTS = {
    "wd24_boundaries_bfc": "ons_wd24_bfc",
    "wd24_boundaries_bgc": "ons_wd24_bgc",
    "wd24_boundaries_bsc": "ons_wd24_bsc",
}
DISSOLVE = "lsoa21_best_fit_dissolve"


def stage(ctx: BuildContext) -> None:
    """Run the areas stage.

    Two threads: the boundary files (parse, validation, reprojection, the LSOA x ward
    overlay: pyarrow, GDAL, GEOS and PROJ release the GIL) are prepared in a worker while
    DuckDB loads the tables on this thread, with one thread fewer than cores. The stage
    needs no spatial extension: DuckDB's core ``ST_GeomFromWKB`` writes the ``GEOMETRY``
    columns (loading the extension costs 0.2-0.5 s in a new process; later stages load it).
    """
    con = ctx.con
    rep = ctx.report
    method = weights.check_method(ctx.options.ward_weights)
    t = _tick(ctx, None)
    p = ctx.resolve("lsoa21_boundaries")
    lsoa_src = (p, rep.file("lsoa21_boundaries", str(p)))
    ward_src = _ward_products(ctx)
    if not ward_src and method != "best_fit":
        raise InputError(ctx.catalogue.get("wd24_boundaries_bsc").path,
                         f"--ward-weights {method} needs May 2024 ward boundaries, and no ward "
                         "boundary file was found (cache, mirror or download)")
    lu = _lookup_for_geometry(con)
    # one core for the worker, the others for DuckDB: on 2 cores, DuckDB's default of 2
    # threads beside a busy worker costs 0.6 CPU-s of oversubscription (measured)
    threads = run_sql(con, "areas_threads", {"threads": max(1, (os.cpu_count() or 2) - 1)}
                      ).fetchone()[0]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="needsmap-geometry") as pool:
        lsoa_ready: Future[pa.Table] = Future()
        fut = pool.submit(_prepare_geometry, ctx, lsoa_src, ward_src, lu, method, lsoa_ready)
        _load_tables(ctx)
        t = _tick(ctx, None)
        if not lsoa_ready.done():
            _checkpoint_while_waiting(con)
        lsoa_tbl = lsoa_ready.result()  # or the worker's error, if it failed before the table
        t = _tick(ctx, "geometry_wait", t)

        # the national LSOA table (every LSOA of the lookup must have a boundary), then
        # LSOA indicators and the LAD and England figures, while the worker does the overlay
        con.register("_lsoa_geom", lsoa_tbl)
        run_sql(con, "areas_lsoa_geom")
        con.unregister("_lsoa_geom")
        lacking = run_sql(con, "areas_lsoa_lacking").fetchone()[0]
        if lacking:
            raise InputError(str(p), f"{lacking} English LSOAs of the lookup have no boundary")
        t = _tick(ctx, "boundaries", t)
        cilif_ok = bool(ctx.facts["cilif_available"])
        run_sql(con, "areas_lsoa", {"cilif_available": cilif_ok,
                                    "under5_available": bool(ctx.facts["under5_available"])})
        run_sql(con, "aggregate_indicators")
        vintages = dict(VINTAGES)
        if not cilif_ok:
            vintages["vintage_cilif"] = "not available (source files missing)"
        run_sql(con, "areas_aggregate", vintages)
        t = _tick(ctx, "aggregate", t)
        if not fut.done():
            _checkpoint_while_waiting(con)  # the LSOA and indicator tables, beside the overlay
        geo = fut.result()
    run_sql(con, "areas_threads", {"threads": threads})
    t = _tick(ctx, "overlay_wait", t)

    # the product used goes into the source table and the load report; one not used (it does
    # not cover England) has every row rejected with the reason
    for sid, path, origin, fr, used in geo.products:
        rep.files.append(fr)
        if used:
            ctx.record_source(ctx.catalogue.get(sid), path, origin)
    if geo.geom_method != DISSOLVE:
        vintages["vintage_lookup"] = LOOKUP_VINTAGE[method]
    for name, tbl in (("_lsoa_ward_weight", geo.weights), ("_ward_list", geo.wards),
                      ("_ward_geom", geo.ward)):
        con.register(name, tbl)
    run_sql(con, "areas_wards", vintages)
    for name in ("_lsoa_ward_weight", "_ward_list", "_ward_geom"):
        con.unregister(name)
    t = _tick(ctx, "wards", t)
    ctx.summary.update(change.build(con))
    t = _tick(ctx, "change", t)
    ctx.facts["ward_weights"] = method if geo.geom_method != DISSOLVE else "best_fit"
    ctx.facts["ward_geom_method"] = geo.geom_method
    ctx.summary["ward_boundaries"] = geo.geom_method
    ctx.summary["ward_weights"] = ctx.facts["ward_weights"]
    if geo.fallbacks:
        ctx.summary["ward_dissolve_full_union_fallbacks"] = geo.fallbacks

    counts = run_sql(con, "areas_summary").fetchone()
    ctx.summary.update({
        "scope": ctx.scope.label,
        "lsoas": counts[0],
        "wards_england": counts[1],
        "wards_in_scope": counts[2],
        "lads": counts[3],
        "population": counts[4],
        "wards_poor_fit": counts[5],
        "wards_by_value_method": counts[6],
    })


def _ward_products(ctx: BuildContext) -> list[tuple[str, Path, str]]:
    """The ward boundary products found (cache, mirror, or a download for the checksummed
    BSC file), most detailed first: ``[(source id, path, origin)]``."""
    found = []
    for sid in WARD_PRODUCTS:
        got = ctx.resolver.resolve_optional(ctx.catalogue.get(sid))
        if got is not None:
            found.append((sid, *got))
    return found


def _checkpoint_while_waiting(con) -> None:  # noqa: ANN001
    """Write the tables made so far to disk while the geometry worker is still busy.

    The build's checkpoint is otherwise serial at the end (0.3 s for the core
    tables); the stage calls this twice, in time the main thread would spend
    waiting: for the LSOA table, then for the ward dissolve. If DuckDB refuses,
    the final checkpoint covers it.
    """
    try:
        run_sql(con, "areas_checkpoint")
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

    # Figures on LSOAs 2011 (needsmap.areas.lsoa11): the ONS LSOA11->LSOA21 lookup and the
    # mid-2020 populations carry the under-5s, CiLIF and IoD2019 to LSOA 2021. Each file is
    # optional: without it the build goes on, what needs it is NULL, and the summary says so.
    run_sql(con, "areas_lsoa11_absent")
    run_sql(con, "areas_cilif_absent")
    loaders = {"lsoa11_lsoa21_lookup": cilif.load_lsoa11_lsoa21,
               "sape_mid2020_lsoa11": cilif.load_sape,
               "lsoa11_msoa11_lookup": cilif.load_msoa_lookup,
               "cilif_msoa": cilif.load_cilif_msoa,
               "iod2019_domains": iod2019.load_file2,
               "iod2019_supplementary": iod2019.load_file3}
    paths = {sid: ctx.resolve(sid, required=False) for sid in loaders}
    have = {sid for sid, path in paths.items() if path is not None}
    needs = {  # what each optional figure needs, in load order
        "under5": ["lsoa11_lsoa21_lookup", "sape_mid2020_lsoa11"],
        "cilif": ["lsoa11_lsoa21_lookup", "sape_mid2020_lsoa11", "lsoa11_msoa11_lookup",
                  "cilif_msoa"],
        "iod2019": ["lsoa11_lsoa21_lookup", "sape_mid2020_lsoa11", "iod2019_domains"],
    }
    wanted = {sid for ids in needs.values() if set(ids) <= have for sid in ids}
    if "iod2019_domains" in wanted and "iod2019_supplementary" in have:
        wanted.add("iod2019_supplementary")
    for sid, loader in loaders.items():
        if sid in wanted:
            loader(con, paths[sid], rep.file(sid, str(paths[sid])))
    labels = {"under5": "Under-5s", "cilif": "Children in Low Income Families",
              "iod2019": "IoD2019 (change since 2019)"}
    for what, ids in needs.items():
        ctx.facts[f"{what}_available"] = set(ids) <= have
        missing = [sid for sid in ids if sid not in have]
        if missing:
            ctx.summary.setdefault("sources_unavailable", {})[what] = (
                f"{labels[what]} not built: missing " + ", ".join(
                    ctx.catalogue.get(sid).path for sid in missing))
    ctx.facts["iod2019_idaci_available"] = "iod2019_supplementary" in wanted
    lsoa11.build_weights(con)
    lsoa11.under5(con)
    _tick(ctx, "lsoa11", t)


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
    lad_of: dict[str, str]  # every lookup LSOA -> its LAD
    ward_names: dict[str, tuple[str, str, str]]  # lookup ward -> (ward name, LAD code, LAD name)
    scope_lads: frozenset[str]  # LADs in scope


@dataclass(frozen=True)
class _Geometry:
    """What the worker hands to the main thread once the overlay is done."""

    ward: pa.Table  # wards in scope: ward_code, geom_method, wkb (EPSG:27700), wkb_wgs84
    wards: pa.Table  # every English ward: names, LAD, geom_method, value_method, fit figures
    weights: pa.Table  # lsoa_code, ward_code, w, method
    geom_method: str
    products: list  # (source id, path, origin, FileReport, used) of each ward file read
    fallbacks: int  # dissolved wards that needed a full union instead of a coverage union


def _lookup_for_geometry(con) -> _Lookup:  # noqa: ANN001
    m = run_sql(con, "areas_lookup_geometry").fetchnumpy()
    codes, wards, lads = m["lsoa_code"].tolist(), m["ward_code"].tolist(), m["lad_code"].tolist()
    names = dict(zip(wards, zip(m["ward_name"].tolist(), lads, m["lad_name"].tolist(), strict=True),
                     strict=True))
    scope = frozenset(c for c, s in zip(lads, m["in_scope"].tolist(), strict=True) if s)
    return _Lookup(dict(zip(codes, wards, strict=True)), dict(zip(codes, lads, strict=True)),
                   names, scope)


def _prepare_geometry(ctx, lsoa_src: tuple[Path, object],  # noqa: ANN001
                      ward_src: list[tuple[str, Path, str]], lu: _Lookup, method: str,
                      lsoa_ready: Future[pa.Table]) -> _Geometry:
    """Worker: read and validate the boundary files, then weights, fit and ward geometry.

    Touches no DuckDB connection; each file report it is given is written by it
    alone. The LSOA table (code, land area, point on surface, EPSG:27700 WKB) is
    handed over through ``lsoa_ready`` as soon as it exists, so the main thread
    aggregates indicators while this thread reads the wards and overlays them.
    """
    try:
        return _geometry(ctx, lsoa_src, ward_src, lu, method, lsoa_ready)
    except BaseException as exc:
        if not lsoa_ready.done():
            lsoa_ready.set_exception(exc)  # the main thread waits on it: hand it the error
        raise


def _geometry(ctx, lsoa_src: tuple[Path, object], ward_src: list[tuple[str, Path, str]],  # noqa: ANN001
              lu: _Lookup, method: str, lsoa_ready: Future[pa.Table]) -> _Geometry:
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
    codes = g["code"].to_numpy(dtype=object)
    lsoas = weights.Areas(codes, np.array([lu.lad_of[c] for c in codes], dtype=object),
                          np.asarray(g.geometry.values, dtype=object))
    ward_of = np.array([lu.ward_of[c] for c in codes], dtype=object)
    wards, products, geom_method = _read_ward_product(ward_src, lu)
    ctx.timings["areas.worker_wards_read"] = time.perf_counter() - t
    t = time.perf_counter()
    if wards is None:
        out = _dissolved_wards(g, lsoas, ward_of, lu)
    else:
        areas = weights.Areas(wards["code"].to_numpy(dtype=object),
                              wards["lad_code"].to_numpy(dtype=object),
                              np.asarray(wards.geometry.values, dtype=object))
        w, fit = weights.lsoa_ward_weights(lsoas, areas, ward_of, method)
        scope = wards["lad_code"].isin(lu.scope_lads).to_numpy()
        ward_tbl = pa.table({
            "ward_code": pa.array(wards["code"][scope].tolist(), pa.string()),
            "geom_method": pa.array([geom_method] * int(scope.sum()), pa.string()),
            "wkb": pa.array(shapely.to_wkb(areas.geoms[scope]), pa.binary()),
            "wkb_wgs84": pa.array(shapely.to_wkb(
                np.asarray(gpd.GeoSeries(wards["geometry_wgs84"].values).values, dtype=object)[scope]),
                pa.binary()),
        })
        listing = pd.DataFrame({"ward_code": wards["code"].to_numpy(dtype=object),
                                "ward_name": wards["name"].to_numpy(dtype=object),
                                "lad_code": wards["lad_code"].to_numpy(dtype=object),
                                "lad_name": wards["lad_name"].to_numpy(dtype=object),
                                "geom_method": geom_method}).merge(fit, on="ward_code", how="left")
        out = (ward_tbl, listing, w, 0)
    ward_tbl, listing, w, fallbacks = out
    ctx.timings["areas.worker_overlay"] = time.perf_counter() - t
    return _Geometry(ward_tbl, pa.Table.from_pandas(listing, preserve_index=False),
                     pa.Table.from_pandas(w, preserve_index=False),
                     geom_method if wards is not None else DISSOLVE, products, fallbacks)


def _read_ward_product(ward_src: list[tuple[str, Path, str]], lu: _Lookup
                       ) -> tuple[gpd.GeoDataFrame | None, list, str]:
    """The first ward product that covers every English ward of the lookup.

    Returns its validated English wards (or ``None``: no product, the LSOA dissolve
    is the fallback), the file reports of every product read, and its ``geom_method``.
    A product read but not used has all its English wards rejected with the reason.
    """
    products = []
    lookup_wards = set(lu.ward_of.values())
    for sid, path, origin in ward_src:
        fr = FileReport(source_id=sid, file=str(path))
        g = boundaries.read_wards(path, fr)
        missing = lookup_wards - set(g["code"])
        if not missing:
            products.append((sid, path, origin, fr, True))
            return g, products, WARD_PRODUCTS[sid]
        boundaries.reject_features(
            g, fr, pd.Series(True, index=g.index),
            f"ward file not used: it lacks {len(missing)} of the {len(lookup_wards)} English "
            "wards of the lookup (one boundary product for the whole map)", "WD24CD")
        fr.rows_kept = 0
        products.append((sid, path, origin, fr, False))
    return None, products, DISSOLVE


def _dissolved_wards(g: gpd.GeoDataFrame, lsoas: weights.Areas, ward_of: np.ndarray, lu: _Lookup
                     ) -> tuple[pa.Table, pd.DataFrame, pd.DataFrame, int]:
    """The fallback without ward boundaries: wards as unions of their best-fit LSOAs, w = 1.

    Only without a ward file; on this worker thread, in one pass (it no longer runs in two
    halves on the pool: docs/decisions.md)."""
    rows, starts = _dissolve_groups(g, lu)
    codes_d, d27, d84, fallbacks = _dissolve(rows, starts)
    ward_tbl = pa.table({
        "ward_code": pa.array(codes_d, pa.string()),
        "geom_method": pa.array([DISSOLVE] * len(codes_d), pa.string()),
        "wkb": pa.array(shapely.to_wkb(d27), pa.binary()),
        "wkb_wgs84": pa.array(shapely.to_wkb(d84), pa.binary()),
    })
    codes = sorted(lu.ward_names)
    listing = pd.DataFrame({
        "ward_code": codes,
        "ward_name": [lu.ward_names[c][0] for c in codes],
        "lad_code": [lu.ward_names[c][1] for c in codes],
        "lad_name": [lu.ward_names[c][2] for c in codes],
        "geom_method": DISSOLVE, "value_method": "best_fit",
        "fit_share_of_ward": 1.0, "fit_spill": 0.0, "fit_poor": False})
    return ward_tbl, listing, weights.best_fit_only(lsoas, ward_of), fallbacks


def _lsoa_parts(geoms: np.ndarray) -> tuple[np.ndarray, ...]:
    """Land area (km²), point on surface (x, y) and WKB of EPSG:27700 polygons."""
    pos = shapely.point_on_surface(geoms)
    return shapely.area(geoms) / 1e6, shapely.get_x(pos), shapely.get_y(pos), shapely.to_wkb(geoms)


def _lsoa_table(g: gpd.GeoDataFrame) -> pa.Table:
    """Kept LSOAs as Arrow: code, land area, a point on surface, EPSG:27700 WKB (two threads)."""
    area, x, y, wkb = _threads.in_halves(
        _lsoa_parts, np.asarray(g.geometry.values, dtype=object),
        combine=lambda parts: [np.concatenate(p) for p in zip(*parts, strict=True)])
    return pa.table({
        "lsoa_code": pa.array(g["code"].tolist(), pa.string()),
        "area_km2": area,
        "centroid_x": x,
        "centroid_y": y,
        "wkb": pa.array(wkb, pa.binary()),
    })


def _dissolve_groups(lsoas: gpd.GeoDataFrame, lu: _Lookup) -> tuple[np.ndarray, np.ndarray]:
    """LSOA polygons of the scope wards to dissolve, sorted by (ward, LSOA), with group starts.

    Returns the rows as a 2-column object array ``(ward_code, polygon)`` and the
    start index of each ward's run of rows.
    """
    ward = np.array([lu.ward_of[c] for c in lsoas["code"].tolist()], dtype=object)
    take = np.fromiter((lu.ward_names[w][1] in lu.scope_lads for w in ward), bool, len(ward))
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
