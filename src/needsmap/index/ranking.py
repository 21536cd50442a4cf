"""Vectorised ranks for the index engine and its rank-stability draws.

* :func:`average_ranks`: ascending average ranks of indicator values (ties share the
  mean of their positions), per group, as the IoD ranks indicators.
* :func:`rank_desc`: descending ranks of scores with SQL ``RANK()`` semantics: rank 1 is
  the highest score, tied scores share the best (smallest) rank, missing scores are
  not ranked.
* :func:`position_desc`: ``ROW_NUMBER()`` positions (ties broken by input order), on
  which deciles and quintiles are cut.
* :func:`snap_ties`: scores equal but for rounding made exactly equal, so they tie.
"""

from __future__ import annotations

import numpy as np


def average_ranks(values: np.ndarray,
                  groups: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Ascending average ranks of each column of ``values``, optionally within groups.

    Parameters
    ----------
    values
        ``(n, K)``: ``K`` indicators of ``n`` wards; NaN (or inf) = missing.
    groups
        Optional integer group id per ward ``(n,)``; ranks then restart in each group.

    Returns
    -------
    (ranks, counts)
        Both ``(n, K)`` float arrays: the rank ``r`` (1 = smallest value; tied values
        share the mean of their positions, i.e. ``min rank + (ties - 1) / 2``) and the
        number ``n`` of ranked wards in the ward's group; NaN where the value is missing.
    """
    v = np.asarray(values, dtype=float)
    n, k = v.shape
    g = np.zeros(n, dtype=np.int64) if groups is None else np.asarray(groups, dtype=np.int64)
    ranks = np.full((n, k), np.nan)
    counts = np.full((n, k), np.nan)
    for j in range(k):
        ok = np.flatnonzero(np.isfinite(v[:, j]))
        if not len(ok):
            continue
        x, gg = v[ok, j], g[ok]
        order = np.lexsort((x, gg))
        xs, gs = x[order], gg[order]
        pos = np.arange(len(ok))
        new_grp = np.r_[True, gs[1:] != gs[:-1]]
        grp_start = np.maximum.accumulate(np.where(new_grp, pos, 0))
        new_run = new_grp | np.r_[True, xs[1:] != xs[:-1]]
        run_id = np.cumsum(new_run) - 1
        run_first = pos[new_run]
        run_last = np.r_[run_first[1:], len(ok)] - 1
        avg = (run_first[run_id] + run_last[run_id]) / 2.0 - grp_start + 1.0
        grp_id = np.cumsum(new_grp) - 1
        grp_n = np.diff(np.r_[pos[new_grp], len(ok)])
        ranks[ok[order], j] = avg
        counts[ok[order], j] = grp_n[grp_id]
    return ranks, counts


#: Relative tolerance under which two scores are the same score (:func:`snap_ties`).
TIE_RTOL = 1e-12


def snap_ties(scores: np.ndarray, rtol: float = TIE_RTOL) -> np.ndarray:
    """Make scores that differ only by rounding exactly equal, so that they tie.

    A weighted mean of quantiles such as ``(q1 + q2 + q3) / 3`` gives two wards with the
    same true score values that differ in the last bits, depending on which terms were
    summed. Along each row, values are sorted and every run in which neighbours differ
    by at most ``rtol · max(1, max |s|)`` takes the run's smallest value. Distinct
    scores of the index are many orders of magnitude further apart than that.

    Parameters
    ----------
    scores
        ``(n,)`` or ``(d, n)``; NaN = no score (left as it is).
    """
    s = np.asarray(scores, dtype=float)
    one_d = s.ndim == 1
    s = np.atleast_2d(s)
    d, n = s.shape
    if n < 2:
        return s[0].copy() if one_d else s.copy()
    order = np.argsort(s, axis=1)  # NaN last
    ss = np.take_along_axis(s, order, axis=1)
    with np.errstate(invalid="ignore"):
        scale = np.maximum(1.0, np.nanmax(np.abs(np.where(np.isnan(ss), 0.0, ss)), axis=1))
        new_run = np.ones((d, n), dtype=bool)
        new_run[:, 1:] = ~(ss[:, 1:] - ss[:, :-1] <= rtol * scale[:, None])
    start = np.maximum.accumulate(np.where(new_run, np.arange(n), 0), axis=1)
    snapped = np.take_along_axis(ss, start, axis=1)
    out = np.empty_like(s)
    np.put_along_axis(out, order, snapped, axis=1)
    return out[0] if one_d else out


def rank_desc(scores: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """Rank each row of ``scores`` descending, optionally within groups.

    Parameters
    ----------
    scores
        Array of shape ``(n,)`` or ``(d, n)``: ``d`` independent rankings of ``n``
        wards. ``NaN`` marks a ward with no score.
    groups
        Optional integer group id per ward, shape ``(n,)`` (e.g. the LAD); ranks
        then restart at 1 in every group.

    Returns
    -------
    numpy.ndarray
        ``int64`` ranks of the same shape as ``scores``; 1 = highest score, ties
        share the smallest rank (``RANK()``), 0 where the score is ``NaN``.
    """
    s = np.asarray(scores, dtype=float)
    one_d = s.ndim == 1
    s = np.atleast_2d(s)
    missing = np.isnan(s)
    ranks = _runs_rank(np.where(missing, np.inf, -s), None)
    if groups is not None:
        # within a group: order by (group, national rank); equal national ranks are ties
        g = np.asarray(groups, dtype=np.int64)
        ranks = _runs_rank(g[None, :] * (s.shape[1] + 1) + ranks, g)
    ranks[missing] = 0
    return ranks[0] if one_d else ranks


def _runs_rank(key: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
    """Ascending min-ranks of ``key`` rows (ties share the smallest rank), restarting per group.

    ``key`` must already sort groups apart (group-major) when ``groups`` is given.
    The sort need not be stable: every member of a run of equal keys gets the
    run's first position.
    """
    d, n = key.shape
    order = np.argsort(key, axis=1)
    ks = np.take_along_axis(key, order, axis=1)
    pos = np.arange(n)
    new_run = np.ones((d, n), dtype=bool)
    new_run[:, 1:] = ks[:, 1:] != ks[:, :-1]
    start = np.maximum.accumulate(np.where(new_run, pos, 0), axis=1)
    if groups is not None:
        gs = groups[order]
        new_grp = np.ones((d, n), dtype=bool)
        new_grp[:, 1:] = gs[:, 1:] != gs[:, :-1]
        start = start - np.maximum.accumulate(np.where(new_grp, pos, 0), axis=1)
    ranks = np.empty((d, n), dtype=np.int64)
    np.put_along_axis(ranks, order, start + 1, axis=1)
    return ranks


def group_counts(valid: np.ndarray, groups: np.ndarray | None, n_groups: int) -> np.ndarray:
    """Return, per row and ward, the number of valid wards in the ward's group.

    Parameters
    ----------
    valid
        Boolean ``(d, n)``: ward has a score in that ranking.
    groups
        Integer group id per ward ``(n,)`` in ``0 .. n_groups-1``, or ``None`` for one group.
    n_groups
        Number of groups.
    """
    v = np.atleast_2d(valid)
    d, n = v.shape
    if groups is None:
        return np.broadcast_to(v.sum(axis=1, keepdims=True), (d, n))
    idx = (np.asarray(groups)[None, :] + n_groups * np.arange(d)[:, None]).ravel()
    counts = np.bincount(idx, weights=v.ravel(), minlength=d * n_groups).reshape(d, n_groups)
    return counts[:, groups].astype(np.int64)


def classes(ranks: np.ndarray, counts: np.ndarray, bins: int) -> np.ndarray:
    """Return ``(rank − 1) · bins // n + 1`` (1 = highest class), 0 where unranked."""
    r = np.asarray(ranks)
    n = np.maximum(np.asarray(counts), 1)
    out = (r - 1) * bins // n + 1
    return np.where(r > 0, out, 0)


def position_desc(scores: np.ndarray, groups: np.ndarray | None = None,
                  rtol: float = 0.0) -> np.ndarray:
    """Ordinal positions, descending, ties broken by input order (``ROW_NUMBER()``).

    The twin of ``row_number() OVER (PARTITION BY g ORDER BY s DESC, ward_code)``
    when the input is sorted by ward code. Deciles and quintiles are cut on
    positions, so each class holds ``n / bins`` wards ± 1 even when scores tie.

    Parameters
    ----------
    scores
        ``(n,)`` or ``(d, n)``; ``NaN`` = no score.
    groups
        Optional integer group id per ward; positions restart at 1 per group.
    rtol
        Scores within ``rtol · max(1, max |s|)`` of their neighbour in the order count
        as tied (broken by input order): the same positions as
        ``position_desc(snap_ties(scores, rtol))``, with one sort fewer.

    Returns
    -------
    numpy.ndarray
        ``int64`` positions (1 = highest score), 0 where the score is ``NaN``.
    """
    s = np.asarray(scores, dtype=float)
    one_d = s.ndim == 1
    s = np.atleast_2d(s)
    d, n = s.shape
    missing = np.isnan(s)
    key = np.where(missing, np.inf, -s)
    order = np.argsort(key, axis=1)  # quicksort (SIMD); ties are re-ordered below
    ks = np.take_along_axis(key, order, axis=1)
    if rtol > 0:
        with np.errstate(invalid="ignore"):
            fin = np.where(np.isfinite(ks), np.abs(ks), 0.0)
            tol = rtol * np.maximum(1.0, fin.max(axis=1, keepdims=True))
            tie = (ks[:, 1:] - ks[:, :-1] <= tol) & np.isfinite(ks[:, 1:])
    else:
        tie = ks[:, 1:] == ks[:, :-1]
    if tie.any():  # order each run of equal scores by input position (stable result)
        run = np.zeros((d, n), dtype=np.int64)
        np.cumsum(~tie, axis=1, out=run[:, 1:])
        order = np.take_along_axis(order, np.argsort(run * n + order, axis=1), axis=1)
    pos = np.empty((d, n), dtype=np.int64)
    np.put_along_axis(pos, order, np.broadcast_to(np.arange(1, n + 1), (d, n)), axis=1)
    if groups is not None:
        g = np.asarray(groups, dtype=np.int64)
        key = g[None, :] * (n + 1) + pos  # unique: no stable sort needed
        order = np.argsort(key, axis=1)
        gs = g[order]
        idx = np.arange(n)
        new_grp = np.ones((d, n), dtype=bool)
        new_grp[:, 1:] = gs[:, 1:] != gs[:, :-1]
        start = np.maximum.accumulate(np.where(new_grp, idx, 0), axis=1)
        np.put_along_axis(pos, order, idx - start + 1, axis=1)
    pos[missing] = 0
    return pos[0] if one_d else pos
