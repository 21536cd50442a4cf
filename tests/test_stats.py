"""Tests for the shared confidence-interval functions in :mod:`needsmap.stats`."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import chi2

from needsmap.stats import Z95, byar_ci, byar_count_ci, wilson_ci, z_for


def test_wilson_matches_newcombe_1998_table():
    """Wilson score limits for Newcombe's four worked examples.

    Newcombe RG (1998) "Two-sided confidence intervals for the single proportion:
    comparison of seven methods", *Statistics in Medicine* 17:857-872, Table I,
    method 3 (Wilson score, no continuity correction): 81/263 -> 0.2553-0.3662,
    15/148 -> 0.0624-0.1605, 0/20 -> 0.0000-0.1611, 1/29 -> 0.0061-0.1718.
    This is the method PHE's *Technical Guide: Confidence Intervals* prescribes
    for proportions (Fingertips).
    """
    cases = {(81, 263): (0.2553, 0.3662), (15, 148): (0.0624, 0.1605),
             (0, 20): (0.0, 0.1611), (1, 29): (0.0061, 0.1718)}
    for (r, n), (lo, hi) in cases.items():
        got = wilson_ci(r, n)
        assert round(got[0], 4) == lo and round(got[1], 4) == hi, (r, n, got)


def test_wilson_vectorised_and_edges():
    lo, hi = wilson_ci(np.array([0, 5, 10, 3]), np.array([10, 10, 10, 0]))
    assert lo[0] == 0.0 and hi[2] == 1.0
    assert lo[1] < 0.5 < hi[1]
    assert math.isclose(lo[1], 1 - hi[1])  # symmetric about 0.5
    assert np.isnan(lo[3]) and np.isnan(hi[3])
    assert np.isnan(wilson_ci(11, 10)[0])


def test_byar_formula_by_hand():
    """Byar's limits as written in PHE's *Technical Guide: Confidence Intervals*.

    lower = O (1 - 1/(9O) - z/(3 sqrt O))^3, upper = (O+1)(1 - 1/(9(O+1)) + z/(3 sqrt(O+1)))^3,
    evaluated here by hand for O = 10 with z = 1.96 (the guide's rounded z):
    lower = 10 * (1 - 0.011111 - 0.206593)^3 = 4.7874,
    upper = 11 * (1 - 0.010101 + 0.196988)^3 = 18.3916.
    """
    lo, hi = byar_count_ci(10, z=1.96)
    assert round(lo, 4) == 4.7874
    assert round(hi, 4) == 18.3916


@pytest.mark.parametrize("o", [1, 2, 5, 10, 20, 50, 75, 100, 500, 1000, 10_000])
def test_byar_close_to_exact_poisson(o):
    """Byar approximates the exact (Garwood 1936) Poisson limits.

    Exact limits: chi2(0.025, 2O)/2 and chi2(0.975, 2O+2)/2. Byar's approximation is
    given in Breslow & Day (1987), *Statistical Methods in Cancer Research* vol. II;
    PHE uses it for all counts. We require < 2%
    relative error of the upper limit for every O >= 1, and of the lower limit from
    O >= 5 (at O = 1 the lower limit is tiny: 0.0131 vs the exact 0.0253), and < 0.1%
    for O >= 100.
    """
    lo, hi = byar_count_ci(o)
    ex_lo, ex_hi = chi2.ppf(0.025, 2 * o) / 2, chi2.ppf(0.975, 2 * o + 2) / 2
    tol = 1e-3 if o >= 100 else 2e-2
    assert abs(hi - ex_hi) / ex_hi < tol
    if o >= 5:
        assert abs(lo - ex_lo) / ex_lo < tol


def test_byar_rate_per_1000():
    """75 events in 10,000 residents: rate 7.5 per 1,000, 95% CI 5.899 to 9.401."""
    lo, hi = byar_ci(75, 10_000)
    assert round(lo, 3) == 5.899 and round(hi, 3) == 9.401
    lo0, hi0 = byar_ci(0, 1000)
    assert lo0 == 0.0 and round(hi0, 3) == 3.668  # upper count limit 3.668 for O = 0


def test_byar_vectorised_and_invalid():
    lo, hi = byar_ci([0, 10, -1, 5, np.nan], [100, 1000, 100, 0, 100])
    assert lo.shape == (5,)
    assert lo[0] == 0.0 and hi[0] > 0
    assert np.isnan(lo[2]) and np.isnan(lo[3]) and np.isnan(hi[4])
    assert lo[1] < 10 < hi[1]


def test_z_for():
    assert math.isclose(z_for(0.95), Z95, rel_tol=1e-9)
    assert z_for(0.998) > 3.0
    with pytest.raises(ValueError):
        z_for(1.5)
