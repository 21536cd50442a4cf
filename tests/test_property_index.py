"""Property-based tests (hypothesis) for the index maths: rank invariants.

``needsmap.index.ranking`` must rank exactly like SQL ``RANK()`` / ``ROW_NUMBER()``
(``queries/ace_score.sql``); DuckDB itself is the oracle here.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ranking = pytest.importorskip("needsmap.index.ranking")

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# few distinct values so ties are common; NaN = no score
score = st.sampled_from([0.0, 0.5, 1.0, 2.0, -1.0, 3.25, float("nan")]) | st.floats(-1e6, 1e6)


@st.composite
def scored(draw):
    n = draw(st.integers(1, 40))
    s = np.array(draw(st.lists(score, min_size=n, max_size=n)), dtype=float)
    g = np.array(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), dtype=np.int64)
    return s, g


def _sql(s: np.ndarray, g: np.ndarray | None, fn: str) -> np.ndarray:
    """``fn() OVER (PARTITION BY g ORDER BY s DESC[, i])`` in DuckDB (no NaN in ``s``)."""
    con = duckdb.connect()
    con.register("t", pd.DataFrame({"i": np.arange(len(s)), "s": s,
                                    "g": g if g is not None else 0}))
    part = "PARTITION BY g" if g is not None else ""
    order = "s DESC, i" if fn == "row_number" else "s DESC"
    rows = con.execute(f"SELECT {fn}() OVER ({part} ORDER BY {order}) FROM t ORDER BY i"  # noqa: S608 - fixed text
                       ).fetchall()
    con.close()
    return np.array([r[0] for r in rows], dtype=np.int64)


def _sql_valid(s: np.ndarray, g: np.ndarray | None, fn: str) -> np.ndarray:
    valid = ~np.isnan(s)
    out = np.zeros(len(s), dtype=np.int64)
    if valid.any():
        out[valid] = _sql(s[valid], None if g is None else g[valid], fn)
    return out


@SETTINGS
@given(scored())
def test_rank_desc_equals_sql_rank(sg):
    s, g = sg
    assert ranking.rank_desc(s).tolist() == _sql_valid(s, None, "rank").tolist()
    assert ranking.rank_desc(s, g).tolist() == _sql_valid(s, g, "rank").tolist()


@SETTINGS
@given(scored())
def test_rank_invariants(sg):
    s, g = sg
    r = ranking.rank_desc(s)
    valid = ~np.isnan(s)
    assert (r[~valid] == 0).all()
    for i in np.flatnonzero(valid):
        assert r[i] == 1 + int((s[valid] > s[i]).sum())  # RANK(): 1 + number strictly higher
    # monotone: a higher score never gets a worse rank
    for i in np.flatnonzero(valid):
        for j in np.flatnonzero(valid):
            if s[i] > s[j]:
                assert r[i] < r[j]


@SETTINGS
@given(scored())
def test_positions_are_a_permutation_and_equal_sql_row_number(sg):
    s, g = sg
    p = ranking.position_desc(s)
    valid = ~np.isnan(s)
    assert sorted(p[valid].tolist()) == list(range(1, int(valid.sum()) + 1))
    assert (p[~valid] == 0).all()
    assert p.tolist() == _sql_valid(s, None, "row_number").tolist()
    pg = ranking.position_desc(s, g)
    assert pg.tolist() == _sql_valid(s, g, "row_number").tolist()


@SETTINGS
@given(scored(), st.integers(1, 10))
def test_classes_are_balanced_and_monotone(sg, bins):
    s, _ = sg
    p = ranking.position_desc(s)
    valid = ~np.isnan(s)
    n = int(valid.sum())
    c = ranking.classes(p, np.full(len(s), n), bins)
    assert (c[~valid] == 0).all()
    if n == 0:
        return
    assert c[valid].min() >= 1 and c[valid].max() <= bins
    order = np.argsort(p[valid])
    assert (np.diff(c[valid][order]) >= 0).all()  # class never improves as position worsens
    sizes = np.bincount(c[valid], minlength=bins + 1)[1:]
    assert sizes.max() - sizes.min() <= 1 or n < bins  # n/bins ± 1 wards per class


@SETTINGS
@given(scored(), st.randoms(use_true_random=False))
def test_ranks_do_not_depend_on_row_order(sg, rnd):
    s, g = sg
    perm = np.arange(len(s))
    rnd.shuffle(perm)
    r = ranking.rank_desc(s, g)
    rp = ranking.rank_desc(s[perm], g[perm])
    assert (rp == r[perm]).all()


@SETTINGS
@given(st.integers(1, 5), scored())
def test_batched_rankings_equal_row_by_row(d, sg):
    s, g = sg
    rng = np.random.default_rng(len(s))
    m = np.vstack([s] + [rng.permutation(s) for _ in range(d - 1)])
    batched = ranking.rank_desc(m, g)
    for k in range(d):
        assert (batched[k] == ranking.rank_desc(m[k], g)).all()
