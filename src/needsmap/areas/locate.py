"""Point-in-polygon location of service candidates (``queries/services_locate.sql``).

Each candidate's easting/northing is joined to the ``lsoa`` table (EPSG:27700,
every English LSOA 2021 with its best-fit ward and LAD) with ``ST_Contains``
through DuckDB's R-tree spatial join. The codes come from the polygon, never
from a code column of the source. Because the LSOA polygons are the
generalised, coastline-clipped BSC product, a point on the shore may fall
just outside every polygon; it takes the nearest LSOA if one is within
:data:`SNAP_M` metres (``locate_method = 'nearest_lsoa_within_snap'``), else it
is rejected as "point outside England".
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from needsmap.crs import lonlat_from_bng
from needsmap.ingest.report import FileReport
from needsmap.ingest.services.geocode import reject
from needsmap.sql import read_query

#: Largest distance (m) from the nearest English LSOA polygon at which a point is snapped.
#: The generalised coastline moves shore points by up to ~100 m (the largest seen in the
#: national build is 101 m); 150 m keeps Welsh and Scottish border points out.
SNAP_M = 150.0


def locate(con: duckdb.DuckDBPyConnection, cand: pd.DataFrame,
           snap_m: float = SNAP_M) -> pd.DataFrame:
    """Return ``cand`` with ``lsoa_code, ward_code, lad_code, locate_method, lon, lat``.

    Works on a read-only connection (the candidates are registered, not written).
    Rows outside every English LSOA get NULL codes.
    """
    out = cand.reset_index(drop=True).copy()
    out["cand_id"] = np.arange(len(out), dtype=np.int64)
    pts = out[["cand_id", "easting", "northing"]].astype(
        {"easting": "float64", "northing": "float64"})
    con.register("_svc_candidates", pts)
    try:
        res = con.execute(read_query("services_locate"), {"snap_m": float(snap_m)}).df()
    finally:
        con.unregister("_svc_candidates")
    out = out.merge(res, on="cand_id", how="left").drop(columns=["cand_id", "snap_m"])
    lon, lat = lonlat_from_bng(out["easting"].to_numpy(), out["northing"].to_numpy())
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
