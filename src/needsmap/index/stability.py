"""Rank stability of the modelled ACE risk index under other reasonable weights.

Two perturbations of the chosen weights ``w`` (over the indicators with
``w_k > 0``):

* **Dirichlet draws**: ``D`` weight vectors ``w' ~ Dirichlet(c · w)`` (mean
  ``w``, precision ``c``; default ``c = 20``, so an equal weight of 0.25 varies
  with standard deviation ``sqrt(0.25 · 0.75 / 21) ≈ 0.09``), seeded.
* **Drop one**: each used indicator in turn gets weight 0, the rest are
  renormalised. For the ``domains`` method the weights are over domains, so this
  drops each **domain** in turn (a two-domain index); the engine adds one run per
  proxy (``extra_drop``): the proxy is left out of its domain, the domain is
  re-scored and re-ranked, and the domains are combined with the chosen weights.

For every weight vector the wards are scored with the chosen method and ranked
again (all wards at once: one matrix product and one sort per draw). Per ward:

* ``stab_rank_p05``, ``stab_rank_p95``: 5th and 95th percentiles of the rank
  over the Dirichlet draws (rank 1 = highest modelled risk);
* ``stab_share_same_class``: share of Dirichlet draws in which the ward stays
  in the class it has at the chosen weights. The class is the national decile
  (scope ``england``) or the quintile within its LAD (scope ``lad``);
* ``stab_dropone_rank_min`` / ``_max`` and ``stab_dropone_share_same_class``:
  the same over all the drop-one configurations;
* ``stab_dropdomain_rank_min`` / ``_max``: best and worst rank over the
  drop-one-domain runs alone (``domains`` method; empty for the flat methods);
* ``stability_band``: ``stable`` if the share is ≥ 0.9, ``moderate`` if it is
  ≥ 0.5, else ``unstable``; ``unstable`` is the boolean flag.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from needsmap.index.ranking import TIE_RTOL, classes, group_counts, position_desc, snap_ties

#: Default number of Dirichlet draws (the issue asks for at least 200).
DRAWS = 200
#: Default seed, so bands are reproducible.
SEED = 20200487
#: Default Dirichlet precision ``c`` (``alpha = c · w``).
CONCENTRATION = 20.0
#: Band thresholds on the share of draws keeping the class.
STABLE_SHARE = 0.9
UNSTABLE_SHARE = 0.5

STABILITY_COLUMNS = (
    "stab_rank_p05", "stab_rank_p95", "stab_share_same_class",
    "stab_dropone_rank_min", "stab_dropone_rank_max", "stab_dropone_share_same_class",
    "stab_dropdomain_rank_min", "stab_dropdomain_rank_max", "stability_band", "unstable",
)


def weight_draws(w: np.ndarray, draws: int = DRAWS, seed: int = SEED,
                 concentration: float = CONCENTRATION) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(dirichlet, drop_one)`` weight matrices, one weight vector per row.

    Parameters
    ----------
    w
        Normalised weights over all registry indicators (zeros allowed).
    draws
        Number of Dirichlet draws (``>= 1``).
    seed
        Seed for :func:`numpy.random.default_rng`.
    concentration
        Dirichlet precision ``c``; ``alpha_k = c · w_k`` for the used indicators.

    Returns
    -------
    tuple of numpy.ndarray
        ``(draws, K)`` Dirichlet weights and ``(m, K)`` drop-one weights
        (``m`` = number of used indicators if at least two are used, else 0).
    """
    if draws < 1:
        raise ValueError("draws must be >= 1")
    if not np.isfinite(concentration) or concentration <= 0:
        raise ValueError(f"concentration must be a finite number > 0, not {concentration!r}")
    w = np.asarray(w, dtype=float)
    active = np.flatnonzero(w > 0)
    rng = np.random.default_rng(seed)
    dir_w = np.zeros((draws, w.size))
    if active.size >= 2:
        dir_w[:, active] = rng.dirichlet(concentration * w[active], size=draws)
    else:
        dir_w[:, active] = 1.0
    drop = []
    if active.size >= 2:
        for k in active:
            v = w.copy()
            v[k] = 0.0
            drop.append(v / v.sum())
    return dir_w, np.array(drop).reshape(len(drop), w.size)


def _scores(comp: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Scores ``(d, n)`` for weight rows ``(d, K)`` on components ``(n, K)`` (NaN = missing)."""
    valid = ~np.isnan(comp)
    used = weights.any(axis=0)
    if valid[:, used].all():  # nothing missing among the used indicators (the usual case)
        c = comp[:, used]
        return (weights[:, used] @ c.T) / weights[:, used].sum(axis=1, keepdims=True)
    x0 = np.where(valid, comp, 0.0)
    num = weights @ x0.T
    den = weights @ valid.T.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def _percentiles(r: np.ndarray, qs: tuple[float, ...]) -> list[np.ndarray]:
    """Linear-interpolated percentiles over axis 0 of integer ranks ``(d, n)`` (as numpy's)."""
    s = np.sort(np.ascontiguousarray(r.T), axis=1).astype(float)  # (n, d)
    d = s.shape[1]
    out = []
    for q in qs:
        h = (d - 1) * q / 100.0
        lo = int(np.floor(h))
        hi = min(lo + 1, d - 1)
        out.append(s[:, lo] + (h - lo) * (s[:, hi] - s[:, lo]))
    return out


def rank_stability(comp: np.ndarray, w: np.ndarray, base_class: np.ndarray,
                   lad_ids: np.ndarray, n_lads: int, scope: str = "england",
                   draws: int = DRAWS, seed: int = SEED,
                   concentration: float = CONCENTRATION, *,
                   extra_drop: np.ndarray | None = None,
                   by_domain: bool = False) -> pd.DataFrame:
    """Compute the stability columns for every ward.

    Parameters
    ----------
    comp
        Components ``(n, K)`` of the chosen method, registry order, NaN = missing;
        rows sorted by ward code (ties in a draw are broken by ward code).
    w
        Chosen normalised weights ``(K,)``.
    base_class
        Each ward's class at the chosen weights (national decile for scope
        ``england``, LA quintile for ``lad``; 0 = no score), from the scoring step.
    lad_ids
        Integer LAD id per ward ``(n,)``.
    n_lads
        Number of LAD ids.
    scope
        ``"england"`` (class = national decile) or ``"lad"`` (class = LA quintile).
    draws, seed, concentration
        See :func:`weight_draws`.
    extra_drop
        Scores ``(m, n)`` of further drop-one runs, counted with the weight drop-one
        runs (the ``domains`` method's drop-one-proxy runs).
    by_domain
        The columns of ``comp`` are domains: report the weight drop-one runs also as
        ``stab_dropdomain_rank_min`` / ``_max`` (else those are empty).

    Returns
    -------
    pandas.DataFrame
        One row per ward in input order with :data:`STABILITY_COLUMNS`. Ranks
        in a draw are positions (1 = highest score, ties broken by ward code).
    """
    groups = None if scope == "england" else lad_ids
    n_groups = 1 if groups is None else n_lads
    bins = 10 if scope == "england" else 5
    base_cls = np.asarray(base_class)
    base_valid = base_cls > 0

    dir_w, drop_w = weight_draws(w, draws, seed, concentration)

    def summarise(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r = position_desc(s, groups, rtol=TIE_RTOL)  # ties as in the scoring (snap_ties)
        cnt = group_counts(r > 0, groups, n_groups)
        same = (classes(r, cnt, bins) == base_cls[None, :]).mean(axis=0)
        return r, same

    r_dir, share = summarise(_scores(comp, dir_w))
    p05, p95 = _percentiles(r_dir, (5, 95))
    gaps = np.flatnonzero((r_dir == 0).any(axis=0))
    if gaps.size:  # wards unranked in some draw (no score): percentiles of the ranked draws
        rf = np.where(r_dir[:, gaps] > 0, r_dir[:, gaps], np.nan).astype(float)
        with warnings.catch_warnings():  # all-NaN columns: wards with no score at all
            warnings.simplefilter("ignore", RuntimeWarning)
            p05[gaps], p95[gaps] = np.nanpercentile(rf, [5, 95], axis=0)
    n_wdrop = drop_w.shape[0]
    drop_s = [_scores(comp, drop_w)] if n_wdrop else []
    if extra_drop is not None and len(extra_drop):
        drop_s.append(np.asarray(extra_drop, dtype=float))
    ddmin = ddmax = np.full(base_cls.size, np.nan)
    if drop_s:
        r_drop, share_drop = summarise(np.vstack(drop_s))
        rd = np.where(r_drop > 0, r_drop, np.nan).astype(float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            dmin, dmax = np.nanmin(rd, axis=0), np.nanmax(rd, axis=0)
            if by_domain and n_wdrop:
                ddmin, ddmax = np.nanmin(rd[:n_wdrop], axis=0), np.nanmax(rd[:n_wdrop], axis=0)
    else:  # one indicator: nothing to drop
        share_drop = np.ones(base_cls.size)
        base_pos = position_desc(snap_ties(_scores(comp, np.asarray(w, float)[None, :])),
                                 groups)[0]
        dmin = dmax = np.where(base_pos > 0, base_pos, np.nan).astype(float)

    band = np.where(share >= STABLE_SHARE, "stable",
                    np.where(share >= UNSTABLE_SHARE, "moderate", "unstable"))
    out = pd.DataFrame({
        "stab_rank_p05": pd.array(np.rint(p05), dtype="Int64"),
        "stab_rank_p95": pd.array(np.rint(p95), dtype="Int64"),
        "stab_share_same_class": share,
        "stab_dropone_rank_min": pd.array(dmin, dtype="Int64"),
        "stab_dropone_rank_max": pd.array(dmax, dtype="Int64"),
        "stab_dropone_share_same_class": share_drop,
        "stab_dropdomain_rank_min": pd.array(ddmin, dtype="Int64"),
        "stab_dropdomain_rank_max": pd.array(ddmax, dtype="Int64"),
        "stability_band": band,
        "unstable": pd.array(share < UNSTABLE_SHARE, dtype="boolean"),
    })
    if not base_valid.all():  # wards without a score have no band
        for col in STABILITY_COLUMNS:
            out[col] = out[col].astype(object if col == "stability_band" else out[col].dtype)
            out.loc[~base_valid, col] = None if col == "stability_band" else pd.NA
    return out
