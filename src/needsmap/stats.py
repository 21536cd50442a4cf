"""Confidence intervals used across needsmap (Fingertips / PHE methods).

Two intervals, both as in Public Health England's *Technical Guide: Confidence
Intervals* (Fingertips; after APHO Technical Briefing 3, Eayres 2008):

* :func:`byar_ci` -- Byar's approximation to the exact Poisson interval for a
  count ``O``, used for crude rates (count / population x multiplier)::

      lower = O * (1 - 1/(9 O) - z / (3 sqrt(O)))**3
      upper = (O + 1) * (1 - 1/(9 (O + 1)) + z / (3 sqrt(O + 1)))**3

  The limits of the *rate* are these count limits divided by the denominator
  (and multiplied by the multiplier, e.g. 1,000). For ``O = 0`` the lower limit
  is 0 (the formula's limit) and the upper limit is the formula at ``O + 1 = 1``.

* :func:`wilson_ci` -- Wilson's score interval for a proportion ``p = r/n``::

      (2 r + z**2 -/+ z sqrt(z**2 + 4 r (1 - p))) / (2 (n + z**2))

Both accept scalars or array-likes (NumPy broadcasting) and return floats or
arrays; missing or invalid inputs (negative counts, non-positive denominators,
``r > n``) give ``NaN`` rather than raising, so whole columns can be processed.
``z`` defaults to the two-sided 95% value, 1.959963985 (PHE uses 1.96 rounded in
worked examples; the difference is below 1e-4 relative).
"""

from __future__ import annotations

from typing import overload

import numpy as np
import numpy.typing as npt

#: Two-sided 95% standard normal quantile.
Z95: float = 1.959963984540054

ArrayLike = npt.ArrayLike
FloatOrArray = float | np.ndarray


def z_for(level: float) -> float:
    """Return the two-sided standard normal quantile for a confidence ``level``.

    Parameters
    ----------
    level
        Confidence level in (0, 1), e.g. 0.95 or 0.998.
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"confidence level must be in (0, 1), got {level!r}")
    from scipy.stats import norm

    return float(norm.ppf(0.5 + level / 2.0))


def _out(x: np.ndarray) -> FloatOrArray:
    return float(x) if x.ndim == 0 else x


def byar_count_ci(observed: ArrayLike, z: float = Z95) -> tuple[FloatOrArray, FloatOrArray]:
    """Byar's 95% (by default) confidence limits for a Poisson count.

    Parameters
    ----------
    observed
        Observed count(s) ``O`` (non-negative; fractional values are accepted).
    z
        Standard normal quantile (default :data:`Z95`).

    Returns
    -------
    lower, upper
        Limits for the expected count. ``lower = O (1 - 1/(9O) - z/(3 sqrt O))^3``
        (0 when ``O = 0``) and ``upper = (O+1) (1 - 1/(9(O+1)) + z/(3 sqrt(O+1)))^3``.
        ``NaN`` where ``O`` is missing or negative.
    """
    o = np.asarray(observed, dtype=float)
    bad = ~np.isfinite(o) | (o < 0)
    o_safe = np.where(bad | (o == 0), 1.0, o)
    lower = o_safe * (1.0 - 1.0 / (9.0 * o_safe) - z / (3.0 * np.sqrt(o_safe))) ** 3
    lower = np.where(o == 0, 0.0, np.maximum(lower, 0.0))
    o1 = np.where(bad, 1.0, o) + 1.0
    upper = o1 * (1.0 - 1.0 / (9.0 * o1) + z / (3.0 * np.sqrt(o1))) ** 3
    lower = np.where(bad, np.nan, lower)
    upper = np.where(bad, np.nan, upper)
    return _out(lower), _out(upper)


@overload
def byar_ci(observed: float, denominator: float, multiplier: float = ...,
            z: float = ...) -> tuple[float, float]: ...
@overload
def byar_ci(observed: ArrayLike, denominator: ArrayLike, multiplier: float = ...,
            z: float = ...) -> tuple[FloatOrArray, FloatOrArray]: ...
def byar_ci(observed, denominator, multiplier=1000.0, z=Z95):  # noqa: ANN001, ANN201
    """Byar's confidence limits for a crude rate ``multiplier * O / N``.

    Parameters
    ----------
    observed
        Observed count(s) ``O``.
    denominator
        Population(s) ``N``; ``NaN`` is returned where ``N <= 0`` or missing.
    multiplier
        Rate multiplier (default 1,000: a rate per 1,000 residents).
    z
        Standard normal quantile (default :data:`Z95`).

    Returns
    -------
    lower, upper
        ``multiplier * byar_count_ci(O) / N``.
    """
    lo, hi = byar_count_ci(observed, z=z)
    n = np.asarray(denominator, dtype=float)
    ok = np.isfinite(n) & (n > 0)
    n_safe = np.where(ok, n, 1.0)
    lower = np.where(ok, np.asarray(lo) / n_safe * multiplier, np.nan)
    upper = np.where(ok, np.asarray(hi) / n_safe * multiplier, np.nan)
    return _out(lower), _out(upper)


def wilson_ci(successes: ArrayLike, trials: ArrayLike,
              z: float = Z95) -> tuple[FloatOrArray, FloatOrArray]:
    """Wilson score confidence limits for a proportion ``r / n``.

    Parameters
    ----------
    successes
        Count(s) ``r`` with the attribute (``0 <= r <= n``).
    trials
        Denominator(s) ``n`` (``n > 0``).
    z
        Standard normal quantile (default :data:`Z95`).

    Returns
    -------
    lower, upper
        Proportions (0-1): ``(2r + z^2 -/+ z sqrt(z^2 + 4 r (1 - r/n))) / (2 (n + z^2))``.
        ``NaN`` where the inputs are missing or invalid. Multiply by 100 for a
        percentage.
    """
    r = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    ok = np.isfinite(r) & np.isfinite(n) & (n > 0) & (r >= 0) & (r <= n)
    r_s = np.where(ok, r, 0.0)
    n_s = np.where(ok, n, 1.0)
    p = r_s / n_s
    z2 = z * z
    root = z * np.sqrt(np.maximum(z2 + 4.0 * r_s * (1.0 - p), 0.0))
    den = 2.0 * (n_s + z2)
    lower = np.clip((2.0 * r_s + z2 - root) / den, 0.0, 1.0)
    upper = np.clip((2.0 * r_s + z2 + root) / den, 0.0, 1.0)
    lower = np.where(ok, np.where(r_s == 0, 0.0, lower), np.nan)
    upper = np.where(ok, np.where(r_s == n_s, 1.0, upper), np.nan)
    return _out(lower), _out(upper)


__all__ = ["Z95", "byar_ci", "byar_count_ci", "wilson_ci", "z_for"]
