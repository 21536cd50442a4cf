"""Sensitivity of the index to the method: how far the methods agree, and who moves.

For two configurations *a* and *b* (a method with its weights) on the same wards:

* ``spearman_ward``: Spearman's ρ between the two ward scores, over the wards both
  score (``scipy.stats.spearmanr``: Pearson's r of the average ranks);
* ``spearman_lad``: the same between the LAD scores. A LAD's score is the
  children-weighted mean of its wards' scores, ``Σ c_i s_i / Σ c_i`` with ``c_i`` the
  children aged 0-15 (residents where missing), as in ``lad_ace``;
* ``share_decile_changed``: the share of those wards whose national decile differs.

The *movers* are the wards whose national rank differs most between the
configurations: ``rank_range = max − min`` of the ward's rank over all of them (ties
broken by ward code). Scores are on each method's own scale; only ranks compare.

Used by ``needsmap index --compare`` and by the app's Explore view.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from needsmap.index.engine import IndicatorFrame, compute_index
from needsmap.index.methods import METHODS

#: A configuration: (label, method, weights or None for the method's defaults).
Config = tuple[str, str, Mapping[str, float] | None]


@dataclass
class Comparison:
    """What :func:`compare_methods` returns.

    Attributes
    ----------
    pairs
        One row per pair of configurations: ``a, b, spearman_ward, spearman_lad,
        share_decile_changed, n_wards, n_lads``.
    movers
        The wards that move most: ``ward_code, ward_name, lad_name``, then
        ``rank_<label>`` and ``decile_<label>`` per configuration, ``rank_range``.
    """

    pairs: pd.DataFrame
    movers: pd.DataFrame


def default_configs() -> list[Config]:
    """Every registered method at its default weights."""
    return [(name, name, None) for name in METHODS]


def lad_scores(ward: pd.DataFrame) -> pd.Series:
    """Children-weighted mean ward score per LAD (``lad_ace``'s rule), indexed by LAD code."""
    w = ward["children_0_15"].astype(float).fillna(ward["population"].astype(float))
    s = ward["ace_score"].astype(float)
    ok = s.notna() & w.notna()
    g = pd.DataFrame({"lad": ward["lad_code"][ok], "ws": (w * s)[ok], "w": w[ok]})
    agg = g.groupby("lad", sort=True)[["ws", "w"]].sum()
    return agg["ws"] / agg["w"].replace(0.0, np.nan)


def _spearman(x: pd.Series, y: pd.Series) -> tuple[float, int]:
    ok = x.notna() & y.notna()
    n = int(ok.sum())
    if n < 3:
        return float("nan"), n
    return float(spearmanr(x[ok], y[ok]).statistic), n


def compare_methods(frame: IndicatorFrame, configs: Sequence[Config] | None = None,
                    top: int = 20) -> Comparison:
    """Compare index configurations pairwise at ward and LA level (see the module doc).

    Parameters
    ----------
    frame
        The store's :class:`~needsmap.index.engine.IndicatorFrame`.
    configs
        ``(label, method, weights)`` triples; default: every method at its defaults.
    top
        Number of movers to return.
    """
    configs = list(configs or default_configs())
    labels = [c[0] for c in configs]
    if len(set(labels)) != len(labels):
        raise ValueError(f"configuration labels must be unique: {labels}")
    out = {lab: compute_index(frame, m, w) for lab, m, w in configs}
    base = next(iter(out.values()))
    lads = {lab: lad_scores(df) for lab, df in out.items()}
    rows = []
    for a, b in combinations(labels, 2):
        sa, sb = out[a], out[b]
        rho_w, n_w = _spearman(sa["ace_score"], sb["ace_score"])
        la, lb = lads[a].align(lads[b])
        rho_l, n_l = _spearman(la, lb)
        da = sa["ace_decile_england"].astype("Float64")
        db = sb["ace_decile_england"].astype("Float64")
        both = (da.notna() & db.notna()).to_numpy(dtype=bool)
        changed = float((da[both] != db[both]).mean()) if both.any() else float("nan")
        rows.append({"a": a, "b": b, "spearman_ward": rho_w, "spearman_lad": rho_l,
                     "share_decile_changed": changed, "n_wards": n_w, "n_lads": n_l})
    pairs = pd.DataFrame(rows, columns=["a", "b", "spearman_ward", "spearman_lad",
                                        "share_decile_changed", "n_wards", "n_lads"])
    movers = base[["ward_code", "ward_name", "lad_name"]].copy()
    ranks = []
    for lab in labels:
        r = out[lab]["ace_rank_england"].astype("Float64")
        movers[f"rank_{lab}"] = out[lab]["ace_rank_england"]
        movers[f"decile_{lab}"] = out[lab]["ace_decile_england"]
        ranks.append(r.to_numpy(dtype=float, na_value=np.nan))
    r = np.vstack(ranks)
    with warnings.catch_warnings():  # all-NaN columns: wards no configuration scores
        warnings.simplefilter("ignore", RuntimeWarning)
        rng = np.nanmax(r, axis=0) - np.nanmin(r, axis=0)
    movers["rank_range"] = pd.array(np.where(np.isnan(r).all(axis=0), np.nan, rng),
                                    dtype="Float64").astype("Int64")
    movers = (movers.dropna(subset=["rank_range"])
              .sort_values(["rank_range", "ward_code"], ascending=[False, True], kind="stable")
              .head(top).reset_index(drop=True))
    return Comparison(pairs, movers)
