"""Formula tests of the modelled ACE risk index on small hand-made frames.

Hand computation for the four-ward frame ``FRAME`` (ascending ranks, average ties):

======  =============  ======  =====  =======
ward    child_poverty  income  crime  density
======  =============  ======  =====  =======
a       1              4       1      1
b       2              3       2.5    2
c       3              2       2.5    3
d       4              1       4      4
======  =============  ======  =====  =======

``lewer`` (equal weights): mean ranks a 7/4, b 9.5/4, c 10.5/4, d 13/4 -> ranks d 1, c 2, b 3, a 4.

The default method is ``domains`` (hand computations in test_index_domains.py); the
tests of the four-correlate ``lewer`` method name it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from needsmap.index import IndexSpecError, compute_index, normalise_weights, parse_weights
from needsmap.index.indicators import NAMES

FRAME = pd.DataFrame({
    "ward_code": ["a", "b", "c", "d"],
    "ward_name": ["A", "B", "C", "D"],
    "lad_code": ["L1", "L1", "L2", "L2"],
    "lad_name": ["One", "One", "Two", "Two"],
    "population": [1000.0, 2000.0, 3000.0, 4000.0],
    "children_0_15": [100.0, 200.0, 300.0, 400.0],
    "child_poverty_rate": [0.1, 0.2, 0.3, 0.4],
    "income_rate": [0.4, 0.3, 0.2, 0.1],
    "crime_score": [0.0, 1.0, 1.0, 2.0],
    "density_per_km2": [10.0, 100.0, 1000.0, 10000.0],
    "health_score": [0.5, -0.5, 0.0, 1.0],
})

EXP_C = 1.0 - math.exp(-100.0 / 23.0)


def by_ward(df: pd.DataFrame, col: str) -> dict[str, object]:
    return dict(zip(df["ward_code"], df[col], strict=True))


def test_lewer_hand_computed():
    out = compute_index(FRAME, "lewer")
    assert by_ward(out, "ace_score") == {"a": 1.75, "b": 2.375, "c": 2.625, "d": 3.25}
    assert by_ward(out, "ace_rank_england") == {"a": 4, "b": 3, "c": 2, "d": 1}
    # deciles (r - 1) * 10 // 4 + 1
    assert by_ward(out, "ace_decile_england") == {"a": 8, "b": 6, "c": 3, "d": 1}
    assert by_ward(out, "ace_rank_in_lad") == {"a": 2, "b": 1, "c": 2, "d": 1}
    assert by_ward(out, "ace_quintile_in_lad") == {"a": 3, "b": 1, "c": 3, "d": 1}
    assert (out["n_indicators"] == 4).all()


def test_normal_scores_and_weighted_hand_computed():
    out = compute_index(FRAME, "weighted", {"child_poverty": 3, "crime": 1})
    ns = by_ward(out, "ns_child_poverty")
    for ward, r in zip("abcd", [1, 2, 3, 4], strict=True):
        assert ns[ward] == pytest.approx(norm.ppf(r / 5), abs=1e-15)
    # tie in crime: b and c both get rank 2.5 -> Φ⁻¹(0.5) = 0
    assert by_ward(out, "ns_crime")["b"] == 0.0 == by_ward(out, "ns_crime")["c"]
    expected = {w: 0.75 * norm.ppf(rc / 5) + 0.25 * norm.ppf(rk / 5)
                for w, rc, rk in zip("abcd", [1, 2, 3, 4], [1, 2.5, 2.5, 4], strict=True)}
    got = by_ward(out, "ace_score")
    for w in "abcd":
        assert got[w] == pytest.approx(expected[w], abs=1e-12)
    assert by_ward(out, "ace_rank_england") == {"a": 4, "b": 3, "c": 2, "d": 1}


def test_exponential_hand_computed():
    out = compute_index(FRAME, "exponential", {"income": 1, "density": 1})

    def x(r, n=4):
        return -23.0 * math.log(1.0 - (r / n) * EXP_C)

    # the most adverse rank maps to exactly 100, the IoD convention
    assert x(4) == pytest.approx(100.0, abs=1e-12)
    got = by_ward(out, "ace_score")
    for w, ri, rd in zip("abcd", [4, 3, 2, 1], [1, 2, 3, 4], strict=True):
        assert got[w] == pytest.approx(0.5 * x(ri) + 0.5 * x(rd), abs=1e-12)
    # a and d (100 + X(1)) beat b and c (X(2) + X(3)): the transform stretches the top
    assert got["a"] == got["d"] > got["b"] == got["c"]
    # tied scores share the best rank
    assert by_ward(out, "ace_rank_england") == {"a": 1, "b": 3, "c": 3, "d": 1}


def test_ties_get_average_ranks():
    out = compute_index(FRAME, "lewer", {"crime": 1})
    assert by_ward(out, "ace_score") == {"a": 1.0, "b": 2.5, "c": 2.5, "d": 4.0}
    assert by_ward(out, "ace_rank_england") == {"a": 4, "b": 2, "c": 2, "d": 1}


def random_frame(n: int = 300, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "ward_code": [f"E05{i:06d}" for i in range(n)],
        "lad_code": [f"E06{i % 12:06d}" for i in range(n)],
        "population": rng.integers(1000, 9000, n).astype(float),
        "children_0_15": rng.integers(100, 2000, n).astype(float),
        "child_poverty_rate": rng.beta(2, 8, n).round(2),  # rounding makes ties
        "income_rate": rng.beta(2, 9, n),
        "crime_score": rng.normal(0, 1, n).round(1),
        "density_per_km2": np.exp(rng.normal(6, 2, n)),
        "health_score": rng.normal(0, 1, n),
        # the domains method's proxies: rates (with ties), a signed score, a share
        "violence_without_injury_rate": rng.gamma(2, 4, n).round(1),
        "violence_with_injury_rate": rng.gamma(2, 3, n).round(1),
        "stalking_harassment_rate": rng.gamma(2, 4, n).round(1),
        "mental_health_indicator": rng.normal(0, 0.8, n),
        "public_order_weapons_rate": rng.gamma(1.5, 4, n).round(1),
        "antisocial_behaviour_rate": rng.gamma(1.5, 8, n).round(1),
        "overcrowding_bedrooms_share": rng.beta(1.5, 30, n).round(3),
    })


@pytest.mark.parametrize("method", ["domains", "lewer", "weighted", "exponential"])
def test_monotone_transform_leaves_index_unchanged(method):
    df = random_frame()
    base = compute_index(df, method)
    moved = df.copy()
    moved["child_poverty_rate"] = np.exp(5 * moved["child_poverty_rate"]) + 3
    moved["density_per_km2"] = np.sqrt(moved["density_per_km2"])
    moved["antisocial_behaviour_rate"] = np.log1p(moved["antisocial_behaviour_rate"])
    moved["mental_health_indicator"] = moved["mental_health_indicator"] ** 3
    out = compute_index(moved, method)
    cols = ["ace_score", "ace_rank_england", "ace_decile_england", "ace_rank_in_lad"]
    pd.testing.assert_frame_equal(base[cols], out[cols], check_exact=True)


def test_row_order_does_not_matter():
    df = random_frame()
    base = compute_index(df, "weighted", {"child_poverty": 1, "income": 2, "health": 0.5})
    shuffled = df.sample(frac=1.0, random_state=3)
    out = compute_index(shuffled, "weighted", {"child_poverty": 1, "income": 2, "health": 0.5})
    pd.testing.assert_frame_equal(base, out, check_exact=True)


def test_weights_are_normalised():
    df = random_frame()
    a = compute_index(df, "weighted", {"child_poverty": 1, "income": 1, "crime": 1, "density": 1})
    b = compute_index(df, "weighted", {"child_poverty": 2.5, "income": 2.5, "crime": 2.5,
                                       "density": 2.5})
    c = compute_index(df, "weighted")
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    pd.testing.assert_frame_equal(a, c, check_exact=True)
    w = normalise_weights({"income": 3, "health": 1})
    assert w.sum() == pytest.approx(1.0)
    assert w[NAMES.index("income")] == 0.75


@pytest.mark.parametrize("weights, message", [
    ({"income": -0.1, "crime": 1}, "negative"),
    ({"income": 0, "crime": 0}, "all weights are zero"),
    ({"income": float("nan")}, "finite"),
    ({"income": float("inf")}, "finite"),
    ({"crime": 1, "recorded_crime": 1}, "replaces"),
    ({"nonsense": 1}, "valid indicators: child_poverty, income, crime, density, health"),
])
def test_bad_weights_give_clear_errors(weights, message):
    with pytest.raises(IndexSpecError, match=message):
        compute_index(FRAME, "weighted", weights)


def test_unknown_method_lists_valid_ones():
    with pytest.raises(IndexSpecError, match="valid methods: domains, lewer, weighted, exponential"):
        compute_index(FRAME, "median")
    with pytest.raises(IndexSpecError, match="valid scopes: england, lad"):
        compute_index(FRAME, scope="region")


def test_parse_weights():
    assert parse_weights("child_poverty=0.4, income_rate=0.3,crime=0.2,log_density=0.1") == {
        "child_poverty": 0.4, "income": 0.3, "crime": 0.2, "density": 0.1}
    for bad, msg in [("child_poverty", "name=value"), ("x=1", "unknown indicator"),
                     ("income=abc", "not a number"), ("income=1,income_rate=2", "twice"),
                     ("", "no weights")]:
        with pytest.raises(IndexSpecError, match=msg):
            parse_weights(bad)


def test_missing_indicator_reweights_over_the_rest():
    df = FRAME.copy()
    df.loc[df["ward_code"] == "a", "income_rate"] = np.nan
    out = compute_index(df, "lewer")
    # income ranks among b, c, d only: d 1, c 2, b 3
    score = by_ward(out, "ace_score")
    assert score["a"] == pytest.approx((1 + 1 + 1) / 3)
    assert score["b"] == pytest.approx((2 + 3 + 2.5 + 2) / 4)
    assert by_ward(out, "n_indicators") == {"a": 3, "b": 4, "c": 4, "d": 4}


def test_within_la_rerank():
    out = compute_index(FRAME, "lewer", scope="lad")
    # within L1 (a, b) and L2 (c, d) every indicator except income puts the second ward higher
    assert by_ward(out, "ace_score") == {"a": 1.25, "b": 1.75, "c": 1.25, "d": 1.75}
    assert by_ward(out, "ace_rank_in_lad") == {"a": 2, "b": 1, "c": 2, "d": 1}
    assert out["ace_rank_england"].isna().all()
    assert out["ace_decile_england"].isna().all()
    assert by_ward(out, "ns_child_poverty")["b"] == pytest.approx(norm.ppf(2 / 3))


def test_health_is_offered_but_off_by_default():
    base = compute_index(FRAME, "lewer")
    with_health = compute_index(FRAME, "lewer", weights={"child_poverty": 1, "income": 1, "crime": 1,
                                                "density": 1, "health": 1})
    assert (base["n_indicators"] == 4).all()
    assert (with_health["n_indicators"] == 5).all()
    assert base["ns_health"].notna().all()  # shown for the UI even when unweighted


def test_deciles_hold_a_tenth_even_with_ties():
    df = random_frame(n=97)
    for c in ("child_poverty_rate", "income_rate", "crime_score", "density_per_km2"):
        df[c] = np.repeat([1.0, 2.0, 3.0, 4.0], [40, 30, 20, 7])  # massive ties
    out = compute_index(df, "lewer")
    sizes = out["ace_decile_england"].value_counts()
    assert sizes.index.sort_values().tolist() == list(range(1, 11))
    assert (sizes - len(df) / 10).abs().max() <= 1
    # tied wards share a rank; deciles are cut on position, ties broken by ward code
    assert out["ace_rank_england"].nunique() == 4
    q = out.groupby("lad_code")["ace_quintile_in_lad"].value_counts().unstack(fill_value=0)
    assert ((q.sub(q.sum(axis=1) / 5, axis=0)).abs() <= 1).all().all()
