"""needsmap.crs and needsmap._threads on real LSOA 2021 boundaries from the mirror."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pyogrio
import pytest
import shapely
from pyproj import Transformer

from needsmap import _threads, crs
from needsmap.settings import BNG, WGS84


@pytest.fixture(scope="module")
def lsoas(mirror) -> np.ndarray:
    """The first 3,000 LSOA 2021 polygons of the official BSC file (EPSG:4326)."""
    g = pyogrio.read_dataframe(mirror / "boundaries/lsoa21_ew_bsc_dec2021.geojson", max_features=3000)
    return np.asarray(g.geometry.values, dtype=object)


def _from_crs(src: str, dst: str) -> Transformer:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return Transformer.from_crs(src, dst, always_xy=True)


def test_pipeline_transformer_matches_pyproj_from_crs(lsoas):
    xy = shapely.get_coordinates(lsoas)
    x, y = crs.bng_from_lonlat(xy[:, 0], xy[:, 1])
    xr, yr = _from_crs(WGS84, BNG).transform(xy[:, 0], xy[:, 1])
    assert np.max(np.hypot(x - xr, y - yr)) < 1e-6  # metres: the same operation
    lon, lat = crs.lonlat_from_bng(x, y)
    lonr, latr = _from_crs(BNG, WGS84).transform(x, y)
    assert np.max(np.abs(lon - lonr)) < 1e-9 and np.max(np.abs(lat - latr)) < 1e-9
    # and the round trip comes back to the official coordinates
    assert np.max(np.abs(lon - xy[:, 0])) < 1e-7 and np.max(np.abs(lat - xy[:, 1])) < 1e-7


def test_pipeline_is_the_offline_osgb36_helmert():
    p = crs.pipeline(WGS84, BNG)
    assert "helmert" in p and "tmerc" in p and "ellps=airy" in p
    assert crs.pipeline(WGS84, BNG) is p  # found once per process


def test_each_thread_gets_its_own_transformer():
    seen = []
    t = threading.Thread(target=lambda: seen.append(crs.transformer(WGS84, BNG)))
    t.start()
    t.join()
    assert seen[0] is not crs.transformer(WGS84, BNG)
    assert crs.transformer(WGS84, BNG) is crs.transformer(WGS84, BNG)


def test_in_halves_equals_the_whole_array(lsoas):
    whole = crs.reproject(lsoas, WGS84, BNG)
    halves = _threads.in_halves(lambda g: crs.reproject(g, WGS84, BNG), lsoas)
    assert len(halves) == len(lsoas)
    assert shapely.equals_exact(whole, halves, tolerance=0).all()
    assert (_threads.in_halves(shapely.is_valid, lsoas) == shapely.is_valid(lsoas)).all()
    small = lsoas[:10]  # below the split size: computed on the calling thread
    assert (_threads.in_halves(shapely.area, small) == shapely.area(small)).all()


def test_in_halves_from_a_pool_thread_runs_inline(lsoas):
    # a pool task that asks for halves must not wait on the pool it occupies
    got = _threads._get_pool().submit(_threads.in_halves, shapely.area, lsoas).result(timeout=30)
    assert (got == shapely.area(lsoas)).all()
