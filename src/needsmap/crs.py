"""Coordinate reference systems: cached pyproj transformers and geometry reprojection.

``geopandas.GeoSeries.to_crs`` builds a new PROJ transformation on every call: a search
of ``proj.db`` for candidate operations (about 40 ms), and then PROJ picks among them point
by point. Here the search is done once per process and pair of CRS, and its most accurate
operation available offline is kept as a PROJ pipeline string; each thread builds its
transformer from that string (0.1 ms). For EPSG:4326 <-> EPSG:27700 that operation is the
OSGB36 Helmert transformation (EPSG "OSGB36 to WGS 84 (6)"), good to about 2 m: the OSTN15
grid is not on these machines and ``PROJ_NETWORK`` must stay off.
"""

from __future__ import annotations

import threading
import warnings

import numpy as np
import shapely
from pyproj import Transformer
from pyproj.transformer import TransformerGroup

from needsmap.settings import BNG, WGS84

_local = threading.local()
_pipelines: dict[tuple[str, str], str | None] = {}
_pipelines_lock = threading.Lock()


def pipeline(src: str, dst: str) -> str | None:
    """The PROJ pipeline of the most accurate ``src`` -> ``dst`` operation available here.

    Found once per process (``None`` if PROJ offers no usable operation). The
    warning that a more accurate, grid-based operation exists but its grid is
    missing is expected on machines without the OSTN15 grid, and silenced.
    """
    key = (src, dst)
    with _pipelines_lock:
        if key not in _pipelines:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                group = TransformerGroup(src, dst, always_xy=True)
            _pipelines[key] = group.transformers[0].definition if group.transformers else None
        return _pipelines[key]


def transformer(src: str, dst: str) -> Transformer:
    """An ``always_xy`` transformer from ``src`` to ``dst``, built once per thread."""
    cache = getattr(_local, "cache", None)
    if cache is None:
        cache = _local.cache = {}
    key = (src, dst)
    if key not in cache:
        defn = pipeline(src, dst)
        cache[key] = (Transformer.from_pipeline(defn) if defn is not None
                      else Transformer.from_crs(src, dst, always_xy=True))
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
