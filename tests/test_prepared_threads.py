"""Prepared geometries are never queried from two threads at once.

GEOS builds a prepared geometry's indexes lazily, on its first queries, so two threads
querying one prepared polygon at once can race. A full test run crashed with a
segmentation fault in ``shapely.contains_properly`` on both of the geometry pool's threads
(the areas stage's LSOA x ward overlay, which shared the prepared wards between its two
halves). The race is rare, so these tests check the rule rather than wait for a crash:
the overlay's prepared test runs on the calling thread, and the app's shared LSOA polygons
are queried under a lock.
"""

from __future__ import annotations

import threading

import numpy as np
import shapely

from needsmap import _threads
from needsmap.areas import locate, weights


def test_overlay_queries_prepared_wards_on_the_calling_thread(monkeypatch):
    # a formula-sized case: 3,000 unit squares against 3 prepared "wards" shared by all
    n = 3000
    x = np.arange(n, dtype=float) % 100 * 2
    y = np.arange(n, dtype=float) // 100 * 2
    a = shapely.box(x, y, x + 1, y + 1)
    wards = np.array([shapely.box(-1, -1, 301, 31), shapely.box(0.5, 0, 100, 100),
                      shapely.box(1000, 1000, 1001, 1001)])
    shapely.prepare(wards)
    b = wards[np.arange(n) % 3]
    assert n >= _threads.MIN_SPLIT  # big enough for the pool to be used

    seen: list[str] = []
    real = shapely.contains_properly

    def spy(*args, **kwargs):
        seen.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(weights.shapely, "contains_properly", spy)
    out = weights._overlap_areas(a, b)
    assert seen and not any(s.startswith("needsmap-geom") for s in seen), seen
    expected = shapely.area(shapely.intersection(a, b))
    np.testing.assert_allclose(out, expected)


def test_shared_lsoa_polygons_are_queried_under_the_lock(monkeypatch):
    polys = np.array([shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)])
    shapely.prepare(polys)
    lp = locate.LsoaPolygons(codes=np.array(["E01000001", "E01000002"], dtype=object),
                             ward_codes=np.array(["E05000001", "E05000002"], dtype=object),
                             lad_codes=np.array(["E06000001", "E06000001"], dtype=object),
                             polygons=polys, tree=shapely.STRtree(polys))
    monkeypatch.setattr(locate, "lsoa_polygons", lambda con: lp)
    held: list[bool] = []

    class Tree(shapely.STRtree):
        def query(self, geometry, predicate=None, distance=None):
            if geometry is polys:
                held.append(locate._QUERY_LOCK.locked())
            return super().query(geometry, predicate=predicate, distance=distance)

    monkeypatch.setattr(locate.shapely, "STRtree", Tree)
    got = locate.lsoa_of_points(None, np.array([5.0, 15.0]), np.array([5.0, 5.0]))
    assert held == [True]
    assert list(got["lsoa_code"]) == ["E01000001", "E01000002"]
