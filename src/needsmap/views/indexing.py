"""The app's bridge to :mod:`needsmap.index`: cached inputs, live recomputation.

The weight-independent inputs (:func:`needsmap.index.load_indicator_frame`) are loaded
once per store file; each slider change then calls :func:`needsmap.index.compute_index`
on them (tens of milliseconds for all England), with the rank-stability bands, cached
per (method, weights). With the default method and weights the store's own ``ward_ace``
table is used as it is. The weights shown are the method's own: domain weights for
``domains`` (the default), indicator weights for the flat methods.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Mapping

import pandas as pd

from needsmap.index import (
    DEFAULT_METHOD,
    DEFAULT_NAMES,
    DOMAINS,
    INDICATORS,
    METHODS,
    IndexSpecError,
    compare_methods,
    compute_index,
    get_method,
    load_indicator_frame,
)
from needsmap.views._memo import memo
from needsmap.views.data import cursor, info_for, table

log = logging.getLogger("needsmap.app")


#: Slider scale: weights are shown as 0-100 and normalised by the index module.
DEFAULT_WEIGHT = 25


def indicator_labels() -> dict[str, str]:
    """``{name: label}`` of the flat methods' indicators (not the domain proxies)."""
    return {i.name: i.label for i in INDICATORS if i.domain is None}


def weight_labels(method: str = DEFAULT_METHOD) -> dict[str, str]:
    """``{name: label}`` for the method's weight sliders: domains, or indicators."""
    if _over(method) == "domains":
        return {d.name: d.label for d in DOMAINS}
    return indicator_labels()


def default_weights(method: str = DEFAULT_METHOD) -> dict[str, int]:
    """The method's default slider weights (as the index stage builds ``ward_ace``)."""
    if _over(method) == "domains":
        return {d.name: DEFAULT_WEIGHT for d in DOMAINS}
    return {n: (DEFAULT_WEIGHT if n in DEFAULT_NAMES else 0) for n in indicator_labels()}


def _over(method: str) -> str:
    try:
        return get_method(method).over
    except IndexSpecError:
        return get_method(DEFAULT_METHOD).over


def method_labels() -> dict[str, str]:
    nice = {"domains": "Domains of adversity (default)",
            "lewer": "Lewer correlates: mean of four indicator ranks",
            "weighted": "Correlates: weighted normal scores",
            "exponential": "Correlates: exponential (IoD transform)"}
    return {k: nice.get(k, k) for k in METHODS}


def method_short(method: str) -> str:
    """A short name of a method for tables."""
    return {"domains": "Domains (default)", "lewer": "Lewer correlates",
            "weighted": "Weighted correlates",
            "exponential": "Exponential correlates"}.get(method, method)


def is_default(method: str, weights: Mapping[str, float]) -> bool:
    return method == DEFAULT_METHOD and dict(weights) == default_weights(method)


def can_recompute(token: str) -> bool:
    """True if the store has the index's inputs (every indicator column of the registry,
    the domain proxies included)."""
    return info_for(token).has("ward_indicators_england",
                               *(i.column for i in INDICATORS if "." not in i.column))


@memo(maxsize=2)
def _frame(token: str):  # noqa: ANN202 - IndicatorFrame
    cur = cursor(token)
    try:
        return load_indicator_frame(cur)
    finally:
        cur.close()


@memo(maxsize=32)
def recompute(token: str, method: str, weights: tuple[tuple[str, float], ...]) -> pd.DataFrame:
    """The index for every English ward with these weights (with stability bands).

    Shared between sessions (never modify it in place).

    Raises
    ------
    IndexSpecError
        Bad weights (all zero, or a measure and its replacement both weighted).
    """
    w = {k: float(v) for k, v in weights if v > 0}
    if not w:
        what = "domain" if _over(method) == "domains" else "indicator"
        raise IndexSpecError(f"all weights are zero: give at least one {what} some weight")
    return compute_index(_frame(token), method=method, weights=w, stability=True)


@memo(maxsize=64)
def recompute_fast(token: str, method: str, weights: tuple[tuple[str, float], ...]) -> pd.DataFrame:
    """:func:`recompute` without the stability bands (milliseconds instead of a few
    tenths of a second of CPU for all England)."""
    w = {k: float(v) for k, v in weights if v > 0}
    if not w:
        what = "domain" if _over(method) == "domains" else "indicator"
        raise IndexSpecError(f"all weights are zero: give at least one {what} some weight")
    return compute_index(_frame(token), method=method, weights=w, stability=False)


class _StabilityQueue:
    """Stability bands computed in one background thread, newest request first.

    A weight change is answered at once with :func:`recompute_fast`; the bands (the
    costly part: ranks under many perturbed weightings) follow from here, and the page
    asks for them again shortly. Only the newest few requests are kept: under load, bands
    for weights that nobody is looking at any more are not computed.
    """

    def __init__(self, keep: int = 4) -> None:
        self._lock = threading.Lock()
        self._todo: list[tuple[str, str, tuple]] = []
        self._wake = threading.Event()
        self._keep = keep
        self._thread: threading.Thread | None = None

    def submit(self, token: str, method: str, key: tuple) -> None:
        item = (token, method, key)
        with self._lock:
            if item in self._todo:
                return
            self._todo.append(item)
            del self._todo[:-self._keep]
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="needsmap-stability",
                                                 daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 5)
        while True:
            with self._lock:
                item = self._todo.pop() if self._todo else None
                if item is None:
                    self._wake.clear()
            if item is None:
                if not self._wake.wait(60):
                    return
                continue
            try:
                recompute(*item)
            except Exception:  # noqa: BLE001 - the page shows the index without bands
                log.exception("stability bands could not be computed")


_STABILITY = _StabilityQueue()


@memo(maxsize=16)
def comparison(token: str, method: str, weights: tuple[tuple[str, int], ...],
               top: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    """How the chosen index compares with every other method at its default weights.

    Returns the pairs involving the chosen configuration (``spearman_ward``,
    ``spearman_lad``, ``share_decile_changed``; :mod:`needsmap.index.compare`) and the
    ``top`` wards whose rank moves most between the chosen index and the default.
    Shared between sessions (never modify them in place).
    """
    w = {k: float(v) for k, v in weights if v > 0} or None
    mine = "your choice"
    same = dict(weights) == default_weights(method)  # only the method changed
    configs = [(mine, method, w)] + [(m, m, None) for m in METHODS
                                      if not (m == method and same)]
    frame = _frame(token)
    pairs = compare_methods(frame, configs, top=0).pairs
    pairs = pairs[pairs["a"] == mine].drop(columns="a").rename(columns={"b": "method"})
    pair = [(mine, method, w), (DEFAULT_METHOD, DEFAULT_METHOD, None)]
    movers = compare_methods(frame, pair, top=top).movers
    return pairs.reset_index(drop=True), movers


def ward_ace(token: str, method: str, weights: Mapping[str, float],
             wait: bool = False) -> tuple[pd.DataFrame, str]:
    """The index to show, and where it came from (a short note for the UI).

    Uses the store's ``ward_ace`` for the defaults; recomputes otherwise: at once without
    the stability bands if they are not ready (unless ``wait``), with the bands queued
    (a frame without ``stability_band`` means "bands to follow"). Returns an empty
    frame with a reason when neither is possible.
    """
    info = info_for(token)
    stored = info.has("ward_ace", "ward_code", "ace_score")
    if stored and is_default(method, weights) and info.has("ward_ace", "n_domains"):
        df = table(token, "ward_ace")
        if "method" in df.columns and df["method"].nunique() > 1:
            df = df[df["method"] == DEFAULT_METHOD]
        return df, "default weights (as built in the store)"
    if can_recompute(token):
        key = tuple(sorted((k, float(v)) for k, v in weights.items()))
        full = recompute.peek(token, method, key)
        if full is not None or wait:
            return (full if full is not None else recompute(token, method, key),
                    "recomputed with your weights")
        fast = recompute_fast(token, method, key)
        _STABILITY.submit(token, method, key)
        return fast, "recomputed with your weights (stability bands follow)"
    if stored:
        return table(token, "ward_ace"), "default weights (recomputation unavailable)"
    return pd.DataFrame(), "the store has no ACE index (run `needsmap index`)"


def scale_text(method: str, n: int | None) -> str:
    """What an index score means on ``method``'s scale, in plain words."""
    if method == "domains":
        return ("the weighted mean of its domain ranks among English wards, each rank as a "
                "share of the wards (0 to 1; higher = higher modelled risk)")
    if method == "lewer":
        return ("the mean of its indicator ranks among English wards"
                + (f" (1 to {int(n):,}; higher = higher modelled risk)" if n else
                   " (higher = higher modelled risk)"))
    if method == "weighted":
        return ("a weighted mean of normal scores (0 = the English middle; +1 is about one "
                "standard deviation towards higher modelled risk)")
    if method == "exponential":
        return ("a weighted mean of exponentially transformed ranks (0 to 100; higher = "
                "higher modelled risk)")
    return "higher = higher modelled risk"


def scale_short(method: str, n: int | None) -> str:
    """A few words on the score's scale, for tooltips."""
    if method == "domains":
        return "mean domain rank as a share, 0 to 1"
    if method == "lewer":
        return f"mean indicator rank, 1 to {int(n):,}" if n else "mean indicator rank"
    if method == "weighted":
        return "weighted normal score, 0 = English middle"
    if method == "exponential":
        return "exponential score, 0 to 100"
    return "higher = higher modelled risk"


def bands_pending(ace: pd.DataFrame) -> bool:
    """True if ``ace`` is a recomputation whose stability bands are still being computed."""
    return not ace.empty and "ace_score" in ace.columns and "stability_band" not in ace.columns
