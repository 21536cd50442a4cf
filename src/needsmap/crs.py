"""Coordinate reference systems: cached pyproj transformers and geometry reprojection.

``geopandas.GeoSeries.to_crs`` builds a new PROJ transformation (an SQLite lookup in
``proj.db``) on every call; the build reprojects in several threads and chunks, so
transformers are built once per thread here. pyproj works offline to about 2 m for
EPSG:4326 <-> EPSG:27700 (no grid files; ``PROJ_NETWORK`` must stay off).
"""

from __future__ import annotations

import threading

import numpy as np
import shapely
from pyproj import Transformer

from needsmap.settings import BNG, WGS84

_local = threading.local()


def transformer(src: str, dst: str) -> Transformer:
    """An ``always_xy`` transformer from ``src`` to ``dst``, built once per thread."""
    cache = getattr(_local, "cache", None)
    if cache is None:
        cache = _local.cache = {}
    key = (src, dst)
    if key not in cache:
        cache[key] = Transformer.from_crs(src, dst, always_xy=True)
    return cache[key]


def reproject(geoms: np.ndarray, src: str, dst: str) -> np.ndarray:
    """Reproject an array of shapely geometries from ``src`` to ``dst`` (None stays None)."""
    t = transformer(src, dst)
    return shapely.transform(np.asarray(geoms, dtype=object), t.transform, interleaved=False)


def bng_from_lonlat(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Transform longitude/latitude (EPSG:4326) to easting/northing (EPSG:27700)."""
    x, y = transformer(WGS84, BNG).transform(np.asarray(lon, dtype="float64"),
                                             np.asarray(lat, dtype="float64"))
    return np.asarray(x), np.asarray(y)


def lonlat_from_bng(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Transform easting/northing (EPSG:27700) to longitude/latitude (EPSG:4326)."""
    lon, lat = transformer(BNG, WGS84).transform(np.asarray(x, dtype="float64"),
                                                 np.asarray(y, dtype="float64"))
    return np.asarray(lon), np.asarray(lat)
