"""Choropleth classes (mapclassify) and colour-blind-safe sequential palettes.

Methods
-------
``quantiles``         equal counts of wards in view per class (:class:`mapclassify.Quantiles`).
``natural_breaks``    Jenks-style breaks (:class:`mapclassify.NaturalBreaks`, k-means in one
                      dimension, seeded so the same data always give the same classes).
``equal_interval``    equal-width classes (:class:`mapclassify.EqualInterval`).
``national_deciles``  the ten deciles of *all English wards*
                      (:class:`mapclassify.Quantiles` on the national distribution), so a
                      colour means the same thing in every LA.

Class 0 is the lowest values; the palettes run light (low) to dark (high), so darker
always means more of the mapped measure (for the index: higher modelled risk).
"""

from __future__ import annotations

from dataclasses import dataclass

import mapclassify
import numpy as np
import pandas as pd

METHODS: dict[str, str] = {
    "quantiles": "Quantiles",
    "natural_breaks": "Natural breaks (Jenks)",
    "equal_interval": "Equal interval",
    "national_deciles": "National deciles",
}
DEFAULT_METHOD = "national_deciles"
DEFAULT_K = 5

#: Sequential palettes, light to dark. viridis/cividis (matplotlib, designed for colour
#: vision deficiency) are reversed so dark = high; the ColorBrewer sequential schemes are
#: marked colour-blind safe by ColorBrewer.
_ANCHORS: dict[str, list[str]] = {
    "viridis": ["#fde725", "#b5de2b", "#6ece58", "#35b779", "#1f9e89", "#26828e",
                "#31688e", "#3e4989", "#482878", "#440154"],
    "cividis": ["#fee838", "#e1cc55", "#c3b369", "#a59c74", "#8a8678", "#707173",
                "#575d6d", "#3b496c", "#123570", "#00224e"],
    "purples": ["#fcfbfd", "#efedf5", "#dadaeb", "#bcbddc", "#9e9ac8", "#807dba",
                "#6a51a3", "#54278f", "#3f007d", "#2d004b"],
    "ylgnbu": ["#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0",
               "#225ea8", "#253494", "#081d58", "#040e2c"],
}
PALETTES: dict[str, str] = {
    "viridis": "Viridis",
    "cividis": "Cividis",
    "purples": "Purples (ColorBrewer)",
    "ylgnbu": "Yellow-green-blue (ColorBrewer)",
}
DEFAULT_PALETTE = "viridis"
NO_DATA_COLOUR = "#cfcfcf"


def _hex_to_rgb(h: str) -> np.ndarray:
    return np.array([int(h[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)


def palette(name: str, k: int) -> list[str]:
    """``k`` colours, light to dark, sampled evenly from the named palette."""
    anchors = np.array([_hex_to_rgb(h) for h in _ANCHORS.get(name, _ANCHORS[DEFAULT_PALETTE])])
    if k == 1:
        return [_rgb_hex(anchors[len(anchors) // 2])]
    pos = np.linspace(0, len(anchors) - 1, k)
    out = []
    for p in pos:
        i = int(np.floor(p))
        j = min(i + 1, len(anchors) - 1)
        t = p - i
        out.append(_rgb_hex(anchors[i] * (1 - t) + anchors[j] * t))
    return out


def _rgb_hex(rgb: np.ndarray) -> str:
    r, g, b = (int(round(v)) for v in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


@dataclass(frozen=True)
class Classes:
    """A classification of the wards in view.

    Attributes
    ----------
    index
        Class per ward (0 = lowest), -1 for no data; aligned to the input values.
    edges
        ``k + 1`` class boundaries, low to high (``edges[0]`` is the lowest value).
    counts
        Wards in view per class.
    labels
        Legend label per class.
    colours
        Fill colour per class.
    method
        The method key used (``national_deciles`` falls back to ``quantiles`` with a
        note when no national distribution is available).
    note
        A line for the legend (e.g. "10 classes of all English wards").
    """

    index: np.ndarray
    edges: tuple[float, ...]
    counts: tuple[int, ...]
    labels: tuple[str, ...]
    colours: tuple[str, ...]
    method: str
    note: str

    @property
    def k(self) -> int:
        return len(self.colours)


def _natural_breaks(y: np.ndarray, k: int) -> np.ndarray:
    state = np.random.get_state()
    try:
        np.random.seed(20240501)
        return np.asarray(mapclassify.NaturalBreaks(y, k=k, initial=3).bins, dtype=float)
    finally:
        np.random.set_state(state)


def classify(values: pd.Series | np.ndarray, method: str = DEFAULT_METHOD, k: int = DEFAULT_K,
             palette_name: str = DEFAULT_PALETTE, national: np.ndarray | None = None,
             fmt=lambda v: f"{v:.2f}", ranges: bool = True) -> Classes:  # noqa: ANN001
    """Classify ``values`` for a choropleth.

    Parameters
    ----------
    values
        The mapped measure, one per ward in view (NaN = no data).
    method
        A key of :data:`METHODS`.
    k
        Number of classes (ignored for ``national_deciles``, which has 10).
    national
        All English wards' values, for ``national_deciles``.
    fmt
        Formats a class boundary for the legend.
    ranges
        Show value ranges in national-decile labels (off for the index, whose scores
        only order wards).
    """
    y = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=float)
    ok = np.isfinite(y)
    yv = y[ok]
    note = ""
    if method == "national_deciles":
        nat = None if national is None else np.asarray(national, dtype=float)
        nat = None if nat is None else nat[np.isfinite(nat)]
        if nat is None or len(nat) < 10:
            method, note = "quantiles", "National deciles unavailable; showing quantiles."
        elif len(np.unique(np.asarray(mapclassify.Quantiles(nat, k=10).bins))) < 10:
            # many wards share one value (say 0% within 1 km): no ten distinct tenths
            method, note = "quantiles", ("Many English wards share the same value, so there "
                                         "are no ten national deciles; showing quantiles.")
        else:
            k = 10
            bins = np.asarray(mapclassify.Quantiles(nat, k=10).bins, dtype=float)
            lo = float(min(nat.min(), yv.min() if len(yv) else nat.min()))
            bins[-1] = max(bins[-1], float(yv.max()) if len(yv) else bins[-1])
            note = ("Deciles of all English wards; decile 1 is the highest tenth nationally "
                    "(the IoD convention).")
    if len(yv) == 0:
        return Classes(np.full(len(y), -1), (), (), (), (), method, "No ward has a value.")
    if method != "national_deciles":
        n_unique = len(np.unique(yv))
        k = max(1, min(k, n_unique))
        if k == 1:
            bins = np.array([yv.max()])
        elif method == "natural_breaks":
            bins = _natural_breaks(yv, k)
        elif method == "equal_interval":
            bins = np.asarray(mapclassify.EqualInterval(yv, k=k).bins, dtype=float)
        else:
            method = "quantiles"
            bins = np.asarray(mapclassify.Quantiles(yv, k=k).bins, dtype=float)
        bins = np.unique(bins)
        lo = float(yv.min())
        k = len(bins)
    idx = np.full(len(y), -1)
    # Upper-inclusive classes, as mapclassify: class i holds edges[i] < y <= edges[i + 1].
    idx[ok] = np.minimum(np.searchsorted(bins, yv, side="left"), len(bins) - 1)
    edges = (lo, *map(float, bins))
    counts = tuple(int((idx == i).sum()) for i in range(k))
    if method == "national_deciles":
        labels = tuple(
            f"Decile {10 - i}" + (" (highest tenth)" if i == 9 else " (lowest tenth)" if i == 0 else "")
            + ("" if ranges is False else f" · {fmt(edges[i])}–{fmt(edges[i + 1])}")
            for i in range(k))
    else:
        labels = tuple(f"{fmt(edges[i])} – {fmt(edges[i + 1])}" for i in range(k))
    return Classes(idx, edges, counts, labels, tuple(palette(palette_name, k)), method, note)
