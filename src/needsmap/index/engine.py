"""The one scoring engine of the modelled ACE risk index: numpy, driven by the registry.

The build, ``needsmap index`` and the app all call :func:`compute_index`. Its steps:

1. **Inputs** (:func:`load_indicator_frame`): one row per English ward from
   ``ward_indicators_england`` (and ``ward_crime`` for recorded crime), read by
   ``queries/ace_inputs.sql``; each registry indicator's value is its ``column``
   after its ``transform`` (:data:`TRANSFORMS`), oriented so higher = more adversity.
2. **Ranks and components**, per scope (all England, or within each LAD), for every
   indicator across the wards with a finite value, ``n_k`` of them: the average rank
   ``r_k`` (ascending; ``r_k = n_k`` is the most adverse ward), the normal score
   ``y_k = Φ⁻¹(r_k / (n_k + 1))`` and the exponential score
   ``X_k = −23 · ln(1 − (r_k / n_k) · (1 − e^(−100/23)))``. These do not depend on the
   weights, so the app keeps them (:class:`IndicatorFrame`) and a slider change costs
   one weighted sum and one sort.
   For the ``domains`` method, also per scope and weight-independent
   (:func:`domain_parts`): each domain's score ``D_d`` (the mean of its proxies' normal
   scores ``y_k``) and its quantile ``q_d = R_d / (m_d + 1)`` (``R_d`` the average rank of
   ``D_d`` among the ``m_d`` wards that have it).
3. **Score** (:func:`score`): the method's component combined with normalised weights
   ``w_k`` as ``Σ_k w_k c_k / Σ_k w_k`` over the indicators the ward has, summed in
   registry order (for ``domains``: the quantiles ``q_d`` with domain weights ``ω_d``,
   ``Σ_d ω_d q_d / Σ_d ω_d`` over the domains the ward has); then ranked (``RANK()`` semantics: ties share the best rank; 1 =
   highest modelled risk) and cut into national deciles and LA quintiles on
   positions (ties broken by ward code), so each class holds ``n / bins`` wards ± 1.
4. **Stability** (:mod:`needsmap.index.stability`), optional.

Why numpy for all, not SQL: the app recomputes on every slider move (≤ 50 ms for all
England), the rank-stability draws need the same scoring 200 times, and one
implementation cannot disagree with itself (docs/decisions.md).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from scipy.special import ndtri

from needsmap.index.domains import DOMAIN_COLUMNS, DOMAINS
from needsmap.index.indicators import INDICATORS, NAMES, Indicator
from needsmap.index.methods import (
    DEFAULT_METHOD,
    SCOPES,
    IndexSpecError,
    Method,
    check_scope,
    get_method,
    normalise_weights,
)
from needsmap.index.ranking import (
    average_ranks,
    classes,
    group_counts,
    position_desc,
    rank_desc,
    snap_ties,
)
from needsmap.index.stability import CONCENTRATION, DRAWS, SEED, rank_stability
from needsmap.sql import run_sql
from needsmap.store.db import StoreError, has_table, open_store

#: Ward attributes carried beside the scores, in ``ward_ace`` order.
WARD_COLUMNS: tuple[str, ...] = ("ward_code", "ward_name", "lad_code", "lad_name", "population",
                                 "children_0_15")

#: Columns of :func:`compute_index` without stability: the store's ``ward_ace`` up to the
#: stability columns (which follow when ``stability=True``).
SCORE_COLUMNS: tuple[str, ...] = (
    *WARD_COLUMNS, "method", "scope", "ace_score", "ace_rank_england", "ace_decile_england",
    "ace_rank_in_lad", "ace_quintile_in_lad", "n_indicators",
    *(i.ns_column for i in INDICATORS), "crime_source", *DOMAIN_COLUMNS,
)

#: ``crime_source`` of the ``domains`` method: its police measures are File 8 rates.
DOMAINS_CRIME_SOURCE = "iod2025_file8_rates"

#: Columns a hand-made frame must have (the registry's plain columns and the keys).
REQUIRED_COLUMNS: tuple[str, ...] = ("ward_code", "lad_code", *(
    i.column for i in INDICATORS if i.default and i.transform != "quantile-mapped"))

_COMPONENTS = ("rank", "normal", "exponential")
_EXP_C = 1.0 - np.exp(-100.0 / 23.0)


# ------------------------------------------------------------------------------- inputs
def _plain(inputs: pd.DataFrame, ind: Indicator) -> np.ndarray:
    if ind.column not in inputs.columns:
        return np.full(len(inputs), np.nan)
    return pd.to_numeric(inputs[ind.column], errors="coerce").to_numpy(dtype="float64")


def _identity(inputs: pd.DataFrame, ind: Indicator) -> np.ndarray:
    return _plain(inputs, ind)


def _ln(inputs: pd.DataFrame, ind: Indicator) -> np.ndarray:
    v = _plain(inputs, ind)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(v > 0, np.log(np.where(v > 0, v, 1.0)), np.nan)


def _quantile(v: np.ndarray) -> np.ndarray:
    """``r / (n + 1)`` with average ranks ``r`` among the finite values; NaN elsewhere."""
    r, n = average_ranks(v[:, None])
    return r[:, 0] / (n[:, 0] + 1)


def _recorded_crime(inputs: pd.DataFrame, ind: Indicator) -> np.ndarray:
    """Recorded crime where police coverage is full, the IoD crime score elsewhere.

    Each on the same national quantile scale ``r / (n + 1)``: the recorded rate's among
    fully covered wards, the IoD score's among all wards; the merged quantiles are then
    ranked again like any other indicator.
    """
    iod = _quantile(pd.to_numeric(inputs["crime_score"], errors="coerce").to_numpy(float))
    rate = pd.to_numeric(inputs["recorded_crime_rate"], errors="coerce").to_numpy(float)
    full = inputs["recorded_crime_full"].fillna(False).to_numpy(dtype=bool)
    rec = _quantile(np.where(full, rate, np.nan))
    return np.where(np.isfinite(iod), np.where(np.isfinite(rec), rec, iod), np.nan)


#: Registry ``transform`` -> how an indicator's value is made from the inputs.
TRANSFORMS: dict[str, Callable[[pd.DataFrame, Indicator], np.ndarray]] = {
    "identity": _identity,
    "ln": _ln,
    "quantile-mapped": _recorded_crime,
}


def indicator_values(inputs: pd.DataFrame) -> np.ndarray:
    """``(n, K)`` indicator values in registry order (NaN = missing or not finite)."""
    cols = []
    for ind in INDICATORS:
        v = TRANSFORMS[ind.transform](inputs, ind)
        cols.append(np.where(np.isfinite(v), v, np.nan))
    return np.column_stack(cols) if cols else np.empty((len(inputs), 0))


def components(values: np.ndarray, groups: np.ndarray | None) -> dict[str, np.ndarray]:
    """Rank, normal score and exponential score of every indicator (see the module doc)."""
    r, n = average_ranks(values, groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {"rank": r,
                "normal": ndtri(r / (n + 1)),
                "exponential": -23.0 * np.log(1.0 - (r / n) * _EXP_C)}


@dataclass
class DomainParts:
    """Weight-independent domain scores of every ward in one scope (:func:`domain_parts`).

    Attributes
    ----------
    score
        ``(n, 3)`` domain scores ``D_d`` in :data:`~needsmap.index.domains.DOMAINS` order
        (NaN: the ward has no proxy of the domain).
    quantile
        ``(n, 3)`` ``q_d = R_d / (m_d + 1)``, NaN where ``D_d`` is.
    count
        ``(n, 3)`` number of proxies behind each ``D_d``.
    """

    score: np.ndarray
    quantile: np.ndarray
    count: np.ndarray


def domain_parts(normal: np.ndarray, groups: np.ndarray | None,
                 drop: int | None = None) -> DomainParts:
    """Domain scores and their quantiles from the indicators' normal scores.

    ``D_id = (1 / |A_id|) Σ_{k ∈ A_id} y_ik`` with ``A_id`` the proxies of domain *d* the
    ward has (equal weights, as the IoD combines normal scores within a domain), then
    ``q_id = R_id / (m_d + 1)`` with ``R_id`` the ascending average rank of ``D_id`` among
    the ``m_d`` wards with the domain (within ``groups`` if given).

    Parameters
    ----------
    normal
        ``(n, K)`` normal scores in registry order (NaN = missing).
    groups
        Integer LAD id per ward for within-LAD ranks, or ``None`` (national).
    drop
        Registry position of a proxy to leave out (the drop-one stability runs).
    """
    n = normal.shape[0]
    score = np.full((n, len(DOMAINS)), np.nan)
    count = np.zeros((n, len(DOMAINS)), dtype=np.int32)
    for j, dom in enumerate(DOMAINS):
        cols = [k for k in dom.columns if k != drop]
        y = normal[:, cols]
        ok = np.isfinite(y)
        count[:, j] = ok.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            score[:, j] = np.where(count[:, j] > 0,
                                   np.where(ok, y, 0.0).sum(axis=1) / count[:, j], np.nan)
    score = snap_ties(score.T).T  # equal means of permuted normal scores tie exactly
    r, m = average_ranks(score, groups)
    return DomainParts(score, r / (m + 1), count)


@dataclass
class IndicatorFrame:
    """Weight-independent index inputs, kept for fast recomputation.

    Attributes
    ----------
    ward
        Ward attributes in ward-code order (:data:`WARD_COLUMNS` and
        ``recorded_crime_source``).
    lad_ids
        Integer LAD id per ward (codes sorted).
    components
        ``components[scope][component]``: ``(n, K)`` array in registry order, NaN =
        missing; component is ``"rank"``, ``"normal"`` or ``"exponential"``.
    domains
        ``domains[scope]``: the :class:`DomainParts` of the scope.
    domain_ranks
        National rank and decile of every domain score: ``(rank, decile)``, each
        ``(n, 3)`` int64, 0 where the ward has no such domain.
    """

    ward: pd.DataFrame
    lad_ids: np.ndarray
    n_lads: int
    components: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    domains: dict[str, DomainParts] = field(default_factory=dict)
    domain_ranks: tuple[np.ndarray, np.ndarray] | None = None
    _constants: dict[str, pd.Series] = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        """Number of wards."""
        return len(self.ward)

    def constant(self, value: str) -> pd.Series:
        """A cached string column holding ``value`` for every ward."""
        if value not in self._constants:
            self._constants[value] = pd.Series([value] * self.n, dtype="str")
        return self._constants[value]


def _store_inputs(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    if not has_table(con, "ward_indicators_england"):
        raise IndexSpecError(
            "the store has no ward_indicators_england table; build it with `needsmap build`")
    name = "ace_inputs" if has_table(con, "ward_crime") else "ace_inputs_no_crime"
    return run_sql(con, name).df()


def _frame_inputs(df: pd.DataFrame) -> pd.DataFrame:
    """A hand-made frame shaped like ``ward_indicators_england`` (tests, notebooks)."""
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise IndexSpecError(f"indicator frame lacks columns: {', '.join(missing)}")
    if df["ward_code"].duplicated().any():
        dup = df.loc[df["ward_code"].duplicated(), "ward_code"].iloc[0]
        raise IndexSpecError(f"indicator frame has ward_code {dup!r} more than once")
    out = df.sort_values("ward_code", kind="stable").reset_index(drop=True).copy()
    for c in ("ward_name", "lad_name"):
        if c not in out.columns:
            out[c] = None
    for c in ("population", "children_0_15"):
        if c not in out.columns:
            out[c] = np.nan
    if "recorded_crime_rate" not in out.columns:
        out["recorded_crime_rate"] = np.nan
        out["recorded_crime_full"] = False
    return out


def load_indicator_frame(
    source: duckdb.DuckDBPyConnection | pd.DataFrame | str | os.PathLike[str],
) -> IndicatorFrame:
    """Read the inputs and compute every weight-independent component once.

    Parameters
    ----------
    source
        An open store connection (read-only is fine), a store path (opened
        read-only), or a DataFrame shaped like ``ward_indicators_england``.
    """
    if isinstance(source, (str, os.PathLike)):
        con = open_store(source)
        try:
            inputs = _store_inputs(con)
        finally:
            con.close()
    elif isinstance(source, pd.DataFrame):
        inputs = _frame_inputs(source)
    else:
        inputs = _store_inputs(source)
    full = inputs["recorded_crime_full"].fillna(False).to_numpy(dtype=bool)
    rate = pd.to_numeric(inputs["recorded_crime_rate"], errors="coerce").notna().to_numpy()
    ward = inputs[list(WARD_COLUMNS)].copy()
    for c in ("population", "children_0_15"):
        ward[c] = pd.to_numeric(ward[c], errors="coerce").astype("float64")
    ward["recorded_crime_source"] = np.where(full & rate, "police_recorded_12m",
                                             "iod_crime_score")
    lad_codes, lad_ids = np.unique(ward["lad_code"].astype(str).to_numpy(), return_inverse=True)
    frame = IndicatorFrame(ward=ward.reset_index(drop=True), lad_ids=lad_ids.astype(np.int64),
                           n_lads=len(lad_codes))
    values = indicator_values(inputs)
    for scope in SCOPES:
        groups = None if scope == "england" else frame.lad_ids
        frame.components[scope] = components(values, groups)
        frame.domains[scope] = domain_parts(frame.components[scope]["normal"], groups)
    d = frame.domains["england"].score.T  # (3, n), ties already snapped
    ok = ~np.isnan(d)
    frame.domain_ranks = (rank_desc(d).T,
                          classes(position_desc(d), ok.sum(axis=1, keepdims=True), 10).T)
    return frame


def store_frame(path: str | os.PathLike[str]) -> IndicatorFrame:
    """The :class:`IndicatorFrame` of the store at ``path``, cached per file version.

    The cache key is the resolved path and the file's modification time, so a rebuilt
    store is reloaded.
    """
    p = Path(path).expanduser().resolve()
    try:
        mtime = p.stat().st_mtime_ns
    except OSError as exc:
        raise StoreError(f"No needsmap store at {p}. Build it with `needsmap build`.") from exc
    return _store_frame_cached(str(p), mtime)


@functools.lru_cache(maxsize=4)
def _store_frame_cached(path: str, mtime_ns: int) -> IndicatorFrame:
    return load_indicator_frame(path)


# ------------------------------------------------------------------------------- scoring
def _int_array(values: np.ndarray, mask: np.ndarray) -> pd.arrays.IntegerArray:
    """A nullable ``Int64`` array (``mask`` true = missing)."""
    return pd.arrays.IntegerArray(np.asarray(values, dtype=np.int64), np.asarray(mask, bool))


def method_components(frame: IndicatorFrame, m: Method, scope: str) -> np.ndarray:
    """The ``(n, J)`` columns a method combines with its weights: indicator components in
    registry order, or, for ``domains``, the domain quantiles ``q_d``."""
    if m.over == "domains":
        return frame.domains[scope].quantile
    return frame.components[scope][m.component]


def score(frame: IndicatorFrame, method: str, w: np.ndarray,
          scope: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Score, rank and classify every ward; return the frame and each ward's class.

    The class is the national decile (scope england) or LA quintile (scope lad), 0 for
    a ward without a score (the stability bands compare against it).
    """
    m = get_method(method)
    comp = method_components(frame, m, scope)
    parts = frame.domains[scope]
    valid = ~np.isnan(comp)
    n = frame.n
    num = np.zeros(n)
    wsum = np.zeros(n)
    n_ind = np.zeros(n, dtype=np.int64)
    for k in range(comp.shape[1]):  # registry (or domain) order
        wk = float(w[k])
        num = num + np.where(valid[:, k], wk * np.nan_to_num(comp[:, k]), 0.0)
        wsum = wsum + np.where(valid[:, k], wk, 0.0)
        used = valid[:, k] & (wk > 0)
        n_ind += np.where(used, parts.count[:, k], 0) if m.over == "domains" else used
    with np.errstate(invalid="ignore", divide="ignore"):
        s = snap_ties(np.where(wsum > 0, num / wsum, np.nan))
    ok = ~np.isnan(s)
    rank_lad = rank_desc(s, frame.lad_ids)
    n_lad = group_counts(ok[None, :], frame.lad_ids, frame.n_lads)[0]
    quint_lad = classes(position_desc(s, frame.lad_ids), n_lad, 5)
    none = np.ones(n, dtype=bool)
    if scope == "england":
        rank_eng = _int_array(rank_desc(s), ~ok)
        dec = classes(position_desc(s), np.full(n, ok.sum()), 10)
        dec_eng = _int_array(dec, ~ok)
        base_class = dec
    else:
        rank_eng = _int_array(np.zeros(n, dtype=np.int64), none)
        dec_eng = _int_array(np.zeros(n, dtype=np.int64), none)
        base_class = quint_lad
    ward = frame.ward
    cols: dict[str, object] = {c: ward[c] for c in WARD_COLUMNS}
    cols["method"] = frame.constant(method)
    cols["scope"] = frame.constant(scope)
    cols.update({
        "ace_score": s,
        "ace_rank_england": rank_eng,
        "ace_decile_england": dec_eng,
        "ace_rank_in_lad": _int_array(rank_lad, ~ok),
        "ace_quintile_in_lad": _int_array(quint_lad, ~ok),
        "n_indicators": n_ind,
    })
    ns = frame.components[scope]["normal"]
    for k, ind in enumerate(INDICATORS):
        cols[ind.ns_column] = ns[:, k]
    if m.over == "domains":
        cols["crime_source"] = frame.constant(DOMAINS_CRIME_SOURCE)
    elif w[NAMES.index("recorded_crime")] > 0:
        cols["crime_source"] = ward["recorded_crime_source"]
    else:
        cols["crime_source"] = frame.constant("iod_crime_score")
    d_rank, d_dec = frame.domain_ranks
    for j, dom in enumerate(DOMAINS):
        has = ~np.isnan(parts.score[:, j])
        cols[dom.score_column] = parts.score[:, j]
        if scope == "england":
            cols[dom.rank_column] = _int_array(d_rank[:, j], ~has)
            cols[dom.decile_column] = _int_array(d_dec[:, j], ~has)
        else:
            cols[dom.rank_column] = _int_array(np.zeros(n, dtype=np.int64), none)
            cols[dom.decile_column] = _int_array(np.zeros(n, dtype=np.int64), none)
        cols[dom.count_column] = parts.count[:, j]
    cols["n_domains"] = (~np.isnan(parts.score)).sum(axis=1).astype(np.int32)
    return pd.DataFrame(cols, copy=False), base_class


def _drop_indicator_scores(frame: IndicatorFrame, scope: str, w: np.ndarray) -> np.ndarray:
    """``domains`` stability: scores ``(m, n)`` with one proxy left out of its domain.

    One run per proxy of every weighted domain that has two or more: the domain's
    ``D`` is recomputed without it and re-ranked, the other domains are unchanged, and
    the quantiles are combined with the chosen domain weights ``w``.
    """
    groups = None if scope == "england" else frame.lad_ids
    normal = frame.components[scope]["normal"]
    rows = []
    for j, dom in enumerate(DOMAINS):
        if w[j] <= 0 or len(dom.columns) < 2:
            continue
        for k in dom.columns:
            q = domain_parts(normal, groups, drop=k).quantile
            rows.append(_weighted_mean(q, w))
    return np.array(rows).reshape(len(rows), frame.n)


def _weighted_mean(comp: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``Σ_j w_j c_j / Σ_j w_j`` over the columns a ward has (NaN if none)."""
    ok = ~np.isnan(comp)
    num = (np.where(ok, comp, 0.0) * w).sum(axis=1)
    den = (ok * w).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def _check_inputs(frame: IndicatorFrame, m: Method, w: np.ndarray, scope: str) -> None:
    """Raise if no ward has any weighted input of the method (e.g. a frame without them)."""
    comp = method_components(frame, m, scope)
    if not np.isfinite(comp[:, w > 0]).any():
        if m.over == "domains":
            cols = [INDICATORS[k].column for d, wd in zip(DOMAINS, w, strict=True) if wd > 0
                    for k in d.columns]
        else:
            cols = [i.column for i, wk in zip(INDICATORS, w, strict=True) if wk > 0]
        raise IndexSpecError(f"method {m.name!r} has no input values: no ward has any of "
                             f"{', '.join(cols)} (rebuild the store with `needsmap build`)")


def compute_index(source: IndicatorFrame | duckdb.DuckDBPyConnection | pd.DataFrame,
                  method: str = DEFAULT_METHOD, weights: Mapping[str, float] | None = None,
                  scope: str = "england", *, stability: bool = False, draws: int = DRAWS,
                  seed: int = SEED, concentration: float = CONCENTRATION) -> pd.DataFrame:
    """Compute the modelled ACE risk index for every ward (tidy, one row per ward).

    Parameters
    ----------
    source
        An :class:`IndicatorFrame` (what the app keeps), an open store connection, or a
        DataFrame shaped like ``ward_indicators_england``.
    method
        A key of :data:`~needsmap.index.methods.METHODS` (default ``domains``).
    weights
        ``{indicator: weight}``, or ``{domain: weight}`` for the ``domains`` method
        (normalised here; names not given get 0). ``None``: equal weights on the
        default indicators, or on the three domains.
    scope
        ``england``: national ranks and deciles; ``lad``: indicators re-ranked within
        each LAD (``ace_rank_england`` / ``ace_decile_england`` are then empty).
    stability
        Add the rank-stability columns (:mod:`needsmap.index.stability`).
    draws, seed, concentration
        Stability settings.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SCORE_COLUMNS` (+ :data:`~needsmap.index.stability.STABILITY_COLUMNS`),
        sorted by ward code: the shape of the store's ``ward_ace``.
        ``ace_rank_england = 1`` is the highest modelled risk, decile 1 the highest 10%.

    Raises
    ------
    IndexSpecError
        Unknown method, indicator or scope; negative, non-finite or all-zero weights.
    """
    m = get_method(method)
    scope = check_scope(scope)
    w = normalise_weights(weights, m.over)
    frame = source if isinstance(source, IndicatorFrame) else load_indicator_frame(source)
    _check_inputs(frame, m, w, scope)
    out, base_class = score(frame, m.name, w, scope)
    if stability:
        by_domain = m.over == "domains"
        st = rank_stability(method_components(frame, m, scope), w, base_class,
                            frame.lad_ids, frame.n_lads, scope, draws, seed, concentration,
                            extra_drop=_drop_indicator_scores(frame, scope, w) if by_domain
                            else None, by_domain=by_domain)
        out = pd.concat([out.reset_index(drop=True), st], axis=1)
    return out
