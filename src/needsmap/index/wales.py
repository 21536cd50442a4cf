"""The Welsh modelled ACE risk index: WIMD 2019 domains, CiLIF and density, Welsh wards only.

The English default's three domains of adversity (:mod:`needsmap.index.domains`), measured
in Wales by the nearest Welsh open figures (docs/method.md, "Wales"; chosen before any
result was computed, never tuned to a published figure)::

    abuse_neglect          WIMD community safety score
    household_dysfunction  WIMD health score (includes GP-recorded mental health)
    context                WIMD housing score, CiLIF rate, log density

Formulas (Welsh wards *i*, proxies *k* of domain *d*)::

    y_ik = Φ⁻¹(r_ik / (n_k + 1))          r = ascending average rank among Welsh wards
    D_id = mean of y_ik over the proxies the ward has
    q_id = R_id / (m_d + 1)               R = ascending average rank of D_id
    M_i  = mean of q_id over the domains the ward has
    welsh_ace_rank = rank of M_i, descending, among Welsh wards (1 = highest modelled risk)
    welsh_ace_decile = (p - 1) * 10 // n + 1, p the position (ties by ward code)

The index is ranked among Welsh wards only and is never put on one scale with the English
index: its columns are named ``welsh_*`` and live in ``ward_ace_wales``, apart from
``ward_ace``.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
from scipy.stats import norm, rankdata

from needsmap.index import ranking

#: What the Welsh index is called wherever it is shown.
NAME_WALES = "Welsh modelled ACE risk index (WIMD 2019)"

#: The caveat shown with it (the English needsmap.CAVEAT, with its own sources and scale).
CAVEAT_WALES = (
    "The Welsh ACE index is a modelled, area-level risk proxy built from WIMD 2019 domains, "
    "child poverty (CiLIF) and population density, ranked among Welsh wards only. It is not a "
    "count of adverse childhood experiences, says nothing about any individual or family, is "
    "not a screening tool, and is not comparable with the English index."
)


@dataclass(frozen=True)
class Proxy:
    """One input of the Welsh index: ward column, domain, transform (ranks ignore monotone ones)."""

    name: str
    column: str
    domain: str
    label: str
    log: bool = False


#: The proxies, in domain order (docs/method.md, "Wales").
PROXIES: tuple[Proxy, ...] = (
    Proxy("community_safety", "community_safety_score", "abuse_neglect",
          "WIMD community safety score"),
    Proxy("health", "health_score", "household_dysfunction", "WIMD health score"),
    Proxy("housing", "housing_score", "context", "WIMD housing score"),
    Proxy("child_poverty", "cilif_rate", "context", "children in low income families (CiLIF)"),
    Proxy("density", "density_per_km2", "context", "log population density", log=True),
)
DOMAINS: tuple[str, ...] = ("abuse_neglect", "household_dysfunction", "context")
DOMAIN_LABELS = {"abuse_neglect": "Abuse and neglect (weak proxy: area crime)",
                 "household_dysfunction": "Household dysfunction (weak proxy: health)",
                 "context": "Wider context"}


def normal_scores(x: np.ndarray) -> np.ndarray:
    """``Φ⁻¹(r / (n + 1))`` with ``r`` the ascending average rank among non-missing values."""
    x = np.asarray(x, dtype=float)
    out = np.full(x.shape, np.nan)
    ok = ~np.isnan(x)
    n = int(ok.sum())
    if n:
        out[ok] = norm.ppf(rankdata(x[ok], method="average") / (n + 1))
    return out


def _q(d: np.ndarray) -> np.ndarray:
    """``R / (m + 1)``, ``R`` the ascending average rank among the ``m`` wards with a value."""
    out = np.full(d.shape, np.nan)
    ok = ~np.isnan(d)
    out[ok] = rankdata(d[ok], method="average") / (ok.sum() + 1)
    return out


def _classes(scores: np.ndarray, bins: int, groups: np.ndarray | None = None) -> np.ndarray:
    """Classes (1 = highest) cut on positions descending, ties by input order (ward code)."""
    pos = ranking.position_desc(scores, groups)
    valid = ~np.isnan(scores)
    if groups is None:
        counts = np.full(scores.shape, int(valid.sum()))
    else:
        counts = ranking.group_counts(valid, groups, int(groups.max()) + 1)[0]
    return ranking.classes(pos, counts, bins)


def compute(wards: pd.DataFrame) -> pd.DataFrame:
    """The Welsh index of ``wards`` (one row per Welsh ward, sorted by ward code).

    ``wards`` needs ``ward_code``, ``lad_code`` and the proxy columns of :data:`PROXIES`.
    Returns per ward the normal scores ``ns_<proxy>``, per domain ``<domain>_score``,
    ``_rank``, ``_decile``, ``n_<domain>_indicators``, then ``n_domains``,
    ``welsh_ace_score`` (M), ``welsh_ace_rank``, ``welsh_ace_decile``,
    ``welsh_ace_rank_in_lad``, ``welsh_ace_quintile_in_lad``.
    """
    w = wards.sort_values("ward_code", ignore_index=True)
    if not w["ward_code"].str.startswith("W05").all():
        raise ValueError("the Welsh index ranks Welsh wards (W05...) only")
    out = pd.DataFrame({"ward_code": w["ward_code"]})
    for p in PROXIES:
        x = w[p.column].to_numpy(dtype=float)
        if p.log:
            x = np.where(x > 0, np.log(np.where(x > 0, x, 1.0)), np.nan)
        out[f"ns_{p.name}"] = normal_scores(x)
    qs = []
    for d in DOMAINS:
        cols = [f"ns_{p.name}" for p in PROXIES if p.domain == d]
        ys = out[cols].to_numpy(dtype=float)
        have = (~np.isnan(ys)).sum(axis=1)
        dscore = np.where(have > 0, np.nansum(ys, axis=1) / np.maximum(have, 1), np.nan)
        out[f"{d}_score"] = dscore
        rk = ranking.rank_desc(dscore)
        out[f"{d}_rank"] = np.where(rk > 0, rk, np.nan)
        out[f"{d}_decile"] = np.where(rk > 0, _classes(dscore, 10), np.nan)
        out[f"n_{d}_indicators"] = have
        qs.append(_q(dscore))
    q = np.column_stack(qs)
    nd = (~np.isnan(q)).sum(axis=1)
    m = np.where(nd > 0, np.nansum(q, axis=1) / np.maximum(nd, 1), np.nan)
    m = ranking.snap_ties(m)
    out["n_domains"] = nd
    out["welsh_ace_score"] = m
    rk = ranking.rank_desc(m)
    out["welsh_ace_rank"] = np.where(rk > 0, rk, np.nan)
    out["welsh_ace_decile"] = np.where(rk > 0, _classes(m, 10), np.nan)
    lad_ids = pd.factorize(w["lad_code"])[0].astype(np.int64)
    rl = ranking.rank_desc(m, lad_ids)
    out["welsh_ace_rank_in_lad"] = np.where(rl > 0, rl, np.nan)
    out["welsh_ace_quintile_in_lad"] = np.where(rl > 0, _classes(m, 5, lad_ids), np.nan)
    return out


def build(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """Write ``ward_ace_wales`` and ``lad_ace_wales`` from ``ward_indicators_wales``."""
    wards = con.execute("SELECT * FROM ward_indicators_wales ORDER BY ward_code").df()
    idx = compute(wards)
    con.register("_welsh_idx", idx)
    con.execute("""CREATE OR REPLACE TABLE ward_ace_wales AS
        SELECT w.ward_code, w.ward_name, w.lad_code, w.lad_name, 'Wales' AS nation,
               w.population, w.children_0_15, 'wales_domains' AS method,
               x.welsh_ace_score, x.welsh_ace_rank::INTEGER AS welsh_ace_rank,
               x.welsh_ace_decile::INTEGER AS welsh_ace_decile,
               x.welsh_ace_rank_in_lad::INTEGER AS welsh_ace_rank_in_lad,
               x.welsh_ace_quintile_in_lad::INTEGER AS welsh_ace_quintile_in_lad,
               x.ns_community_safety, x.ns_health, x.ns_housing, x.ns_child_poverty, x.ns_density,
               x.abuse_neglect_score, x.abuse_neglect_rank::INTEGER AS abuse_neglect_rank,
               x.abuse_neglect_decile::INTEGER AS abuse_neglect_decile,
               x.n_abuse_neglect_indicators::INTEGER AS n_abuse_neglect_indicators,
               x.household_dysfunction_score,
               x.household_dysfunction_rank::INTEGER AS household_dysfunction_rank,
               x.household_dysfunction_decile::INTEGER AS household_dysfunction_decile,
               x.n_household_dysfunction_indicators::INTEGER AS n_household_dysfunction_indicators,
               x.context_score, x.context_rank::INTEGER AS context_rank,
               x.context_decile::INTEGER AS context_decile,
               x.n_context_indicators::INTEGER AS n_context_indicators,
               x.n_domains::INTEGER AS n_domains
        FROM ward_indicators_wales w JOIN _welsh_idx x USING (ward_code)
        ORDER BY w.ward_code""")
    con.unregister("_welsh_idx")
    # LADs: children-weighted mean of their wards' scores (residents where no children),
    # ranked among the 22 Welsh LADs
    con.execute("""CREATE OR REPLACE TABLE lad_ace_wales AS
        WITH a AS (
            SELECT lad_code, lad_name, 'Wales' AS nation, sum(children_0_15)::BIGINT AS children_0_15,
                   sum(coalesce(children_0_15, population) * welsh_ace_score)
                       / nullif(sum(coalesce(children_0_15, population)) FILTER (WHERE welsh_ace_score IS NOT NULL), 0)
                       AS welsh_ace_score,
                   count(*)::INTEGER AS n_ward
            FROM ward_ace_wales GROUP BY ALL)
        SELECT *, rank() OVER (ORDER BY welsh_ace_score DESC NULLS LAST)::INTEGER AS welsh_ace_rank
        FROM a ORDER BY lad_code""")
    n, scored = con.execute("SELECT count(*), count(welsh_ace_score) FROM ward_ace_wales").fetchone()
    return {"welsh_index_wards": n, "welsh_index_scored": scored}



def stage(ctx) -> None:  # noqa: ANN001 - a BuildContext
    """The ``wales_index`` build stage: :func:`build` on the store, its figures in the summary."""
    ctx.summary.setdefault("wales", {}).update(build(ctx.con))
