"""Combination methods and weights of the modelled ACE risk index.

The default method, ``domains``, combines three domains of adversity (Lewer et al.
2020), each measured by its own proxies; its weights are **domain** weights
(:mod:`needsmap.index.domains` has the formulas). The other three are *flat*: one
weighted mean over registry indicators, by default the four correlates Lewer reported
(child poverty, income, crime, log density); their weights are **indicator** weights.

Every indicator *k* is ranked across wards, ascending, so that rank
``r_k = n_k`` is the most adverse ward (average ranks for ties). From the
ranks three components are formed (:func:`needsmap.index.engine.components`):

* rank, ``r_k``;
* normal score, ``y_k = Φ⁻¹(r_k / (n_k + 1))`` (as in the Indices of
  Deprivation);
* exponential score, ``X_k = −23 · ln(1 − R_k · (1 − e^(−100/23)))`` with
  ``R_k = r_k / n_k`` in (0, 1] (the IoD exponential transform; 0 < X ≤ 100).

A flat method picks one component and combines it with normalised weights
``w_k`` (``Σ w_k = 1``) as the weighted mean over the indicators a ward has::

    score = Σ_k w_k c_k / Σ_k w_k          (k with a value for the ward)

========== ============ ======================================================
method     component    meaning
========== ============ ======================================================
domains    ``y_k``      (default) within each domain, the mean of its proxies'
                        normal scores (IoD-style, equal weights); the domain
                        scores are ranked, and the ranks (as quantiles) are
                        averaged with domain weights (Lewer's mean rank), then
                        ranked again. Weights are over domains.
lewer      ``r_k``      mean of the indicator ranks, then ranked again (Lewer
                        et al. 2020's ACE_mean_rank -> ACE_rank) over the four
                        correlates. Equal weights by default; other weights give
                        a weighted mean of ranks.
weighted   ``y_k``      weighted sum of normal scores.
exponential ``X_k``     weighted sum of exponentially transformed ranks; the
                        transform stretches the most adverse end, so one
                        indicator can only partly cancel out another.
========== ============ ======================================================

The ward score is then ranked descending: ``ace_rank_england = 1`` is the
highest modelled risk.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from needsmap.index.domains import DOMAIN_NAMES, resolve_domain
from needsmap.index.indicators import BY_NAME, DEFAULT_NAMES, NAMES, resolve_name


class IndexSpecError(ValueError):
    """A bad method name, weight specification or scope."""


@dataclass(frozen=True)
class Method:
    """A combination method.

    Parameters
    ----------
    name
        Registry key.
    component
        Which per-indicator component is combined: ``"rank"``, ``"normal"``
        or ``"exponential"`` (columns ``r``, ``ns``, ``ex`` of ``ace_ranked``).
    description
        One line for help texts.
    over
        What the weights are over: ``"indicators"`` (registry indicators) or
        ``"domains"`` (:data:`~needsmap.index.domains.DOMAINS`).
    """

    name: str
    component: str
    description: str
    over: str = "indicators"


#: The method registry. The first entry is the default.
METHODS: dict[str, Method] = {
    "domains": Method("domains", "normal",
                      "three domains of adversity (Lewer et al. 2020), each the mean of its "
                      "proxies' normal scores; mean of domain ranks, re-ranked; default",
                      over="domains"),
    "lewer": Method("lewer", "rank",
                    "mean of the ranks of four correlates, re-ranked (Lewer et al. 2020)"),
    "weighted": Method("weighted", "normal", "weighted sum of normal scores"),
    "exponential": Method("exponential", "exponential",
                          "weighted sum of IoD exponentially transformed ranks"),
}

DEFAULT_METHOD = "domains"

#: What weights may be over, and their names in order.
WEIGHT_SPACES: dict[str, tuple[str, ...]] = {"indicators": NAMES, "domains": DOMAIN_NAMES}

#: Scopes: national ranks (default) or a within-LA re-rank for local use.
SCOPES: tuple[str, ...] = ("england", "lad")


def get_method(name: str | None) -> Method:
    """Return the method called ``name`` (default :data:`DEFAULT_METHOD`).

    Raises
    ------
    IndexSpecError
        For an unknown name; the message lists the valid ones.
    """
    key = (name or DEFAULT_METHOD).strip().lower()
    if key not in METHODS:
        raise IndexSpecError(
            f"unknown index method {name!r}; valid methods: {', '.join(METHODS)}"
        )
    return METHODS[key]


def check_scope(scope: str | None) -> str:
    """Return a valid scope name or raise :class:`IndexSpecError` listing the valid ones."""
    key = (scope or "england").strip().lower()
    if key not in SCOPES:
        raise IndexSpecError(f"unknown scope {scope!r}; valid scopes: {', '.join(SCOPES)}")
    return key


def _resolve_domain(key: str) -> str:
    try:
        return resolve_domain(key)
    except ValueError as exc:
        try:
            resolve_name(key)
        except ValueError:
            raise exc from None
        raise ValueError(f"{exc}. {key!r} is an indicator: indicator weights need one of the "
                         "methods lewer, weighted or exponential") from None


def _resolver(over: str):  # noqa: ANN202
    if over not in WEIGHT_SPACES:
        raise IndexSpecError(f"unknown weight space {over!r}; valid: {', '.join(WEIGHT_SPACES)}")
    return _resolve_domain if over == "domains" else resolve_name


def parse_weights(text: str, over: str = "indicators") -> dict[str, float]:
    """Parse ``"child_poverty=0.4,income=0.3,..."`` into a mapping.

    Names may be registry names or aliases: indicators, or domains when ``over`` is
    ``"domains"`` (the ``domains`` method). Values are not normalised here.

    Raises
    ------
    IndexSpecError
        On a malformed item, an unknown name, a repeated name or a non-number.
    """
    resolve = _resolver(over)
    what = "domain" if over == "domains" else "indicator"
    out: dict[str, float] = {}
    for item in (p.strip() for p in text.split(",")):
        if not item:
            continue
        if "=" not in item:
            raise IndexSpecError(f"weight {item!r} is not of the form name=value")
        key, _, val = item.partition("=")
        try:
            name = resolve(key)
        except ValueError as exc:
            raise IndexSpecError(str(exc)) from exc
        if name in out:
            raise IndexSpecError(f"{what} {name!r} is given twice in {text!r}")
        try:
            out[name] = float(val)
        except ValueError as exc:
            raise IndexSpecError(f"weight for {name!r} is not a number: {val!r}") from exc
    if not out:
        raise IndexSpecError(f"no weights in {text!r}")
    return out


def normalise_weights(weights: Mapping[str, float] | None,
                      over: str = "indicators") -> np.ndarray:
    """Return weights as an array over the names of ``over``, summing to 1.

    Parameters
    ----------
    weights
        ``{name: weight}``; names or aliases. Names not given get weight 0 (the
        mapping is the complete set). ``None`` gives equal weights on the default
        set (the four correlates; or all three domains).
    over
        ``"indicators"`` (:data:`~needsmap.index.indicators.NAMES`) or ``"domains"``
        (:data:`~needsmap.index.domains.DOMAIN_NAMES`).

    Raises
    ------
    IndexSpecError
        If a weight is negative, not finite, all weights are zero, a name is
        unknown, or an indicator and the one it replaces both carry weight.
    """
    resolve = _resolver(over)
    names = WEIGHT_SPACES[over]
    w = np.zeros(len(names))
    if weights is None:
        for name in (DEFAULT_NAMES if over == "indicators" else names):
            w[names.index(name)] = 1.0
        return w / w.sum()
    for key, val in weights.items():
        try:
            name = resolve(key)
        except ValueError as exc:
            raise IndexSpecError(str(exc)) from exc
        try:
            v = float(val)
        except (TypeError, ValueError) as exc:
            raise IndexSpecError(f"weight for {name!r} is not a number: {val!r}") from exc
        if not math.isfinite(v):
            raise IndexSpecError(f"weight for {name!r} must be finite, got {v}")
        if v < 0:
            raise IndexSpecError(f"weight for {name!r} is negative ({v}); weights must be >= 0")
        w[names.index(name)] += v
    if w.max() > 0:
        w = w / w.max()  # rescale first: a sum of huge weights would overflow to inf
    total = float(w.sum())
    if total <= 0:
        what = "domain" if over == "domains" else "indicator"
        raise IndexSpecError(
            f"all weights are zero; give at least one {what} a positive weight "
            f"({what}s: {', '.join(names)})"
        )
    if over == "domains":
        return w / total
    for name in NAMES:
        rep = BY_NAME[name].replaces
        if rep and w[NAMES.index(name)] > 0 and w[NAMES.index(rep)] > 0:
            raise IndexSpecError(
                f"{name!r} replaces {rep!r}; give weight to one of them, not both"
            )
    return w / total


def weights_dict(w: np.ndarray, over: str = "indicators") -> dict[str, float]:
    """Return the non-zero entries of a weight array as ``{name: weight}``."""
    return {n: float(v) for n, v in zip(WEIGHT_SPACES[over], w, strict=True) if v > 0}
