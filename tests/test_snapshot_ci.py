"""Snapshot intervals and comparisons, against published worked examples.

* Wilson score interval: Newcombe RG (1998) "Two-sided confidence intervals for the single
  proportion: comparison of seven methods", *Statistics in Medicine* 17:857-872, Table I,
  method 3: 81/263 -> 0.2553-0.3662 and 15/148 -> 0.0624-0.1605.
* Byar's interval for a count: the formula as given by PHE's *Technical Guide: Confidence
  Intervals* (after APHO Technical Briefing 3, Eayres 2008; Byar's approximation is from
  Breslow & Day 1987, vol. II). It approximates the exact Poisson limits (Garwood 1936,
  chi2(0.025, 2O)/2 and chi2(0.975, 2O + 2)/2), which for O = 24 are 15.38 and 35.71; the
  test recomputes those exact limits rather than trusting a transcribed table.
* Comparisons: the Fingertips convention -- significantly higher / lower only when the
  area's 95% interval excludes the benchmark's value.
"""

from __future__ import annotations

from scipy.stats import chi2

from needsmap.snapshot import figures as F


def test_proportion_figure_uses_wilson_newcombe_examples():
    f = F.proportion_figure("p", "p", 81, 263)
    assert (round(f.lo, 4), round(f.hi, 4)) == (0.2553, 0.3662)
    assert f.text() == "30.8%" and f.ci_text() == "25.5\u201336.6"
    f = F.proportion_figure("p", "p", 15, 148)
    assert (round(f.lo, 4), round(f.hi, 4)) == (0.0624, 0.1605)


def test_rate_figure_uses_byar_exact_poisson_example():
    # 24 events in 10,000 residents: 2.4 per 1,000, limits 15.38/10 and 35.71/10 per 1,000
    f = F.rate_figure("r", "r", 24, 10_000, multiplier=1000)
    assert round(f.value, 2) == 2.4
    assert (round(f.lo, 3), round(f.hi, 3)) == (1.537, 3.571)
    exact_lo, exact_hi = chi2.ppf(0.025, 48) / 2, chi2.ppf(0.975, 50) / 2
    assert (round(exact_lo, 2), round(exact_hi, 2)) == (15.38, 35.71)
    assert abs(f.lo * 10 - exact_lo) < 0.01 and abs(f.hi * 10 - exact_hi) < 0.01


def test_fingertips_comparison():
    f = F.proportion_figure("p", "p", 81, 263)  # 25.5%-36.6%
    bench = F.Figure("b", "b", "proportion", value=0.20)
    assert F.compare(f, bench).label == "significantly higher"
    bench.value = 0.40
    assert F.compare(f, bench).label == "significantly lower"
    bench.value = 0.36  # inside the interval
    assert F.compare(f, bench).label == "similar"
    bench.value = 0.3662  # on the limit: not excluded
    assert F.compare(f, bench).css == "similar"
    score = F.score_figure("s", "s", 0.5, population=1000)
    assert F.compare(score, bench).label == "not tested"
