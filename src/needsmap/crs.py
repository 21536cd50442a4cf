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
