"""Which LSOA 2021 a point lies in: one function, one edge rule, for every kind of point.

Services, police.uk records and a user's uploaded list are all placed with
:func:`lsoa_of_points`, against the store's ``lsoa`` polygons (EPSG:27700, every
English LSOA 2021 with its ward and LAD) and, in a store with Welsh tables, the Welsh
``lsoa_wales`` polygons (issue 21). The codes come from the polygon, never
from a code column of the source.

The edge rule
-------------
1. A point takes the LSOA whose polygon **contains** it (its interior). Where the
   generalised (BSC) polygons overlap, the smallest LSOA code wins.
2. A point in no polygon's interior -- on a shared boundary, or just outside the
   generalised, coastline-clipped boundary (a seafront, a pier) -- takes the
   **nearest** LSOA if one lies within :data:`SNAP_M` metres; at equal distance (a
   point on a boundary is at distance 0 from both sides) the smallest code wins.
   ``locate_method`` records ``nearest_lsoa_within_snap``.
3. Any other point is in no English LSOA (outside England).

How
---
shapely (GEOS), not DuckDB's spatial join: an STRtree over the points queried with
the prepared LSOA polygons (``contains``), then ``query_nearest`` with a distance
bound for the rest. Measured at about 1 µs per distinct point for the first step,
against about 3.5 µs for DuckDB's R-tree join (docs/decisions.md). The polygons
are parsed and prepared once per store and kept (:func:`lsoa_polygons`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import shapely

from needsmap.crs import lonlat_from_bng
from needsmap.ingest.report import FileReport
from needsmap.ingest.services.geocode import reject
from needsmap.sql import run_sql

#: Largest distance (m) from the nearest English LSOA polygon at which a point is snapped.
#: The generalised coastline moves shore points by up to ~100 m (the largest seen in the
#: national build is 101 m); 150 m keeps Welsh and Scottish border points out.
SNAP_M = 150.0

INSIDE = "point_in_polygon"
SNAPPED = "nearest_lsoa_within_snap"


@dataclass(frozen=True)
class LsoaPolygons:
    """The store's LSOA polygons, sorted by code, prepared, with an STRtree over them."""

    codes: np.ndarray  # object array of LSOA codes, sorted
    ward_codes: np.ndarray
    lad_codes: np.ndarray
    polygons: np.ndarray  # shapely polygons, EPSG:27700, prepared
    tree: shapely.STRtree


_CACHE: dict[tuple, LsoaPolygons] = {}
_LOCK = threading.Lock()
#: Held while the shared prepared polygons are queried. GEOS builds a prepared polygon's
#: point locator lazily, on its first query, so two app sessions querying one polygon at
#: once could race (a worker crash; seen as a segmentation fault in the areas stage's
#: overlay, which queried shared prepared wards from two threads). Locating is quick.
_QUERY_LOCK = threading.Lock()


def has_wales(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the store has Welsh LSOA polygons (``lsoa_wales``, the wales stage; issue 21)."""
    return bool(run_sql(con, "store_has_table", {"name": "lsoa_wales"}).fetchone()[0])


def lsoa_place(con: duckdb.DuckDBPyConnection) -> None:
    """Temporary view ``_lsoa_place(lsoa_code, ward_code, lad_code)``: English and Welsh LSOAs."""
    run_sql(con, "lsoa_place_ew" if has_wales(con) else "lsoa_place")


def lsoa_polygons(con: duckdb.DuckDBPyConnection) -> LsoaPolygons:
    """The ``lsoa`` polygons of the store on ``con``, parsed once and kept.

    The cache key is the table's size, first and last code and total area, so a
    connection to another (or a rebuilt) store gets its own polygons.
    """
    ew = has_wales(con)
    key = tuple(run_sql(con, "locate_lsoa_key_ew" if ew else "locate_lsoa_key").fetchone())
    with _LOCK:
        hit = _CACHE.get(key)
    if hit is not None:
        return hit
    tb = run_sql(con, "locate_lsoa_polygons_ew" if ew else "locate_lsoa_polygons").to_arrow_table()
    polys = shapely.from_wkb(tb.column("wkb").combine_chunks().to_numpy(zero_copy_only=False))
    shapely.prepare(polys)
    out = LsoaPolygons(
        codes=np.asarray(tb.column("lsoa_code").to_pylist(), dtype=object),
        ward_codes=np.asarray(tb.column("ward_code").to_pylist(), dtype=object),
        lad_codes=np.asarray(tb.column("lad_code").to_pylist(), dtype=object),
        polygons=polys, tree=shapely.STRtree(polys))
    with _LOCK:
        _CACHE.clear()  # one store at a time: a rebuilt store replaces the old polygons
        _CACHE[key] = out
    return out


def lsoa_of_points(con: duckdb.DuckDBPyConnection, x: np.ndarray, y: np.ndarray,
                   snap_m: float = SNAP_M) -> pd.DataFrame:
    """Locate EPSG:27700 points in the store's LSOAs by the module's edge rule.

    Parameters
    ----------
    con
        A store connection (read-only is fine) with the ``lsoa`` table.
    x, y
        Easting and northing (metres); NaN for a point without coordinates.
    snap_m
        The snapping distance of rule 2.

    Returns
    -------
    pandas.DataFrame
        One row per point, in input order: ``lsoa_code``, ``ward_code``, ``lad_code``
        (``None`` outside England), ``locate_method`` (``point_in_polygon``,
        ``nearest_lsoa_within_snap`` or ``None``) and ``snap_m`` (the distance snapped,
        NaN otherwise).
    """
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    n = len(x)
    lp = lsoa_polygons(con)
    idx = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.nan)
    ok = np.isfinite(x) & np.isfinite(y)
    pts = shapely.points(x[ok], y[ok])
    where = np.flatnonzero(ok)
    if len(pts):
        with _QUERY_LOCK:
            ipoly, ipt = shapely.STRtree(pts).query(lp.polygons, predicate="contains")
        if len(ipt):
            # smallest code per point: polygons are in code order
            order = np.lexsort((ipoly, ipt))
            ipt_s, ipoly_s = ipt[order], ipoly[order]
            first = np.r_[True, ipt_s[1:] != ipt_s[:-1]]
            idx[where[ipt_s[first]]] = ipoly_s[first]
        rest = np.flatnonzero(idx[where] < 0)
        if len(rest) and snap_m > 0:
            (ipt2, ipoly2), d = lp.tree.query_nearest(pts[rest], max_distance=snap_m,
                                                      return_distance=True, all_matches=True)
            if len(ipt2):
                order = np.lexsort((ipoly2, d, ipt2))  # nearest, then smallest code
                ipt_s, ipoly_s, d_s = ipt2[order], ipoly2[order], d[order]
                first = np.r_[True, ipt_s[1:] != ipt_s[:-1]]
                tgt = where[rest[ipt_s[first]]]
                idx[tgt] = ipoly_s[first]
                dist[tgt] = d_s[first]
    found = idx >= 0
    method = np.where(found, np.where(np.isnan(dist), INSIDE, SNAPPED), None).astype(object)
    method[~found] = None

    def take(a: np.ndarray) -> np.ndarray:
        out = np.full(n, None, dtype=object)
        out[found] = a[idx[found]]
        return out

    return pd.DataFrame({"lsoa_code": take(lp.codes), "ward_code": take(lp.ward_codes),
                         "lad_code": take(lp.lad_codes), "locate_method": method,
                         "snap_m": dist})


def locate(con: duckdb.DuckDBPyConnection, cand: pd.DataFrame,
           snap_m: float = SNAP_M) -> pd.DataFrame:
    """Return ``cand`` with ``lsoa_code, ward_code, lad_code, locate_method, lon, lat``.

    Works on a read-only connection. Rows outside every English LSOA get NULL codes.
    """
    out = cand.reset_index(drop=True).copy()
    e = out["easting"].to_numpy(dtype="float64")
    nn = out["northing"].to_numpy(dtype="float64")
    where = lsoa_of_points(con, e, nn, snap_m)
    for c in ("lsoa_code", "ward_code", "lad_code", "locate_method"):
        out[c] = where[c].to_numpy()
    lon, lat = lonlat_from_bng(e, nn)
    out["lon"], out["lat"] = lon, lat
    return out


def reject_unlocated(located: pd.DataFrame, reports: dict[str, FileReport],
                     raw_col: str = "name") -> pd.DataFrame:
    """Reject (per file) candidates that fell outside England; return the located ones.

    ``located`` must carry a ``_file`` column keying ``reports``. A source row that
    became two candidates (an all-through school) is rejected once.
    """
    keep = []
    for key, part in located.groupby("_file", sort=False):
        fr = reports[key]
        miss = part["lsoa_code"].isna()
        first = ~part["row"].duplicated()
        raw = (part["name"].astype(str) + "," + part["easting"].round(0).astype(str) + ","
               + part["northing"].round(0).astype(str))
        reject(fr, part, miss & first, "point outside England (not in or within "
               f"{SNAP_M:.0f} m of an English LSOA 2021)", "easting", raw)
        keep.append(part.loc[~miss])
    return pd.concat(keep) if keep else located.iloc[0:0]
