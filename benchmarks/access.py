"""Benchmark: nearest service of every type for all 33,755 English and 1,917 Welsh LSOAs.

Usage::

    .venv/bin/python benchmarks/access.py --db STORE [--repeat 5] [--duckdb]

Prints the time of ``needsmap.access.measures.nearest_frame`` (read LSOA points and
services from the store, one k-d tree per type, the tidy result frame), the time of
the k-d tree queries alone, and the time of a plain geopandas ``sjoin_nearest``
reference doing the same job, then the ratio reference / needsmap (must be >= 1).
Target: <= 0.5 s. ``--duckdb`` also times a DuckDB spatial ``ST_DWithin`` join
(10 km bound) for one dense type, for the record in the measures docstring.
Results are checked to agree (distances within 1e-6 m).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import geopandas as gpd
import numpy as np
import pandas as pd

from needsmap.access.measures import nearest_arrays, nearest_frame
from needsmap.sql import run_sql
from needsmap.store.db import connect

TARGET_S = 0.5


def best(fn, repeat: int) -> tuple[float, object]:  # noqa: ANN001
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def reference(lsoa: pd.DataFrame, svc: pd.DataFrame) -> pd.DataFrame:
    """Plain geopandas: one sjoin_nearest per service type."""
    left = gpd.GeoDataFrame(lsoa[["lsoa_code"]],
                            geometry=gpd.points_from_xy(lsoa["centroid_x"], lsoa["centroid_y"]),
                            crs=27700)
    out = []
    for t, g in svc.groupby("type"):
        right = gpd.GeoDataFrame(g[["service_id"]],
                                 geometry=gpd.points_from_xy(g["easting"], g["northing"]), crs=27700)
        j = gpd.sjoin_nearest(left, right, distance_col="distance_m")
        j = j.drop_duplicates("lsoa_code")  # ties: sjoin_nearest returns every equidistant match
        out.append(pd.DataFrame({"lsoa_code": j["lsoa_code"], "service_type": t,
                                 "distance_m": j["distance_m"]}))
    return pd.concat(out, ignore_index=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", default=os.environ.get("NEEDSMAP_DB"), help="store path")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--duckdb", action="store_true", help="also time a DuckDB ST_DWithin join")
    args = ap.parse_args(argv)
    if not args.db:
        ap.error("--db (or $NEEDSMAP_DB) is required")
    con = connect(args.db, read_only=True)
    run_sql(con, "access_origins")  # English and Welsh LSOA points (temp view _lsoa_origin)
    lsoa = con.execute("SELECT lsoa_code, centroid_x, centroid_y FROM _lsoa_origin "
                       "ORDER BY lsoa_code").df()
    svc = con.execute("SELECT service_id, type, easting, northing FROM service").df()
    n_types = svc["type"].nunique()
    print(f"{len(lsoa):,} LSOAs x {n_types} service types ({len(svc):,} services)")

    t_full, ours = best(lambda: nearest_frame(con), args.repeat)
    ours = ours.to_pandas()
    origins = lsoa[["centroid_x", "centroid_y"]].to_numpy()
    pts = svc[["easting", "northing"]].to_numpy()
    types = svc["type"].to_numpy(dtype=object)
    t_core, _ = best(lambda: nearest_arrays(origins, pts, types), args.repeat)
    t_ref, ref = best(lambda: reference(lsoa, svc), max(1, min(3, args.repeat)))

    m = ours.merge(ref, on=["lsoa_code", "service_type"], suffixes=("", "_ref"))
    assert len(m) == len(ours) == len(lsoa) * n_types, "row counts differ"
    err = float(np.abs(m["distance_m"] - m["distance_m_ref"]).max())
    assert err < 1e-6, f"distances differ from the reference by {err} m"

    print(f"needsmap nearest_frame (store read + k-d trees + tidy frame): {t_full:.3f} s "
          f"(target <= {TARGET_S} s: {'OK' if t_full <= TARGET_S else 'MISSED'})")
    print(f"  k-d tree build + queries only:                              {t_core:.3f} s")
    print(f"geopandas sjoin_nearest reference:                            {t_ref:.3f} s")
    print(f"ratio reference / needsmap:                                   {t_ref / t_full:.1f}x "
          f"({'OK' if t_ref / t_full >= 1 else 'BELOW 1'}); max |difference| {err:.2e} m")

    if args.duckdb:
        q = """
        WITH s AS (SELECT service_id, geom FROM service WHERE type = 'school_primary'),
        o AS (SELECT lsoa_code, ST_Point(centroid_x, centroid_y) AS pt FROM lsoa)
        SELECT o.lsoa_code, min(ST_Distance(o.pt, s.geom)) AS d
        FROM o JOIN s ON ST_DWithin(o.pt, s.geom, 10000) GROUP BY o.lsoa_code"""
        t_db, res = best(lambda: con.execute(q).df(), 1)
        print(f"DuckDB ST_DWithin join (10 km bound), school_primary only:    {t_db:.3f} s "
              f"({len(res):,} LSOAs found within the bound)")
    con.close()
    return 0 if t_ref / t_full >= 1 else 1


if __name__ == "__main__":
    sys.exit(main())
