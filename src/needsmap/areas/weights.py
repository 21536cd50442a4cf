"""LSOA -> ward weights ``w(lsoa, ward)`` and how well the LSOAs behind each ward fit it.

Every ward figure is a weighted sum over LSOA 2021 values (after tobler's
``area_interpolate`` with ``allocate_total=True``)::

    count(W) = sum_l w(l, W) * count(l)                       counts are apportioned
    rate(W)  = sum_l w(l, W) * num(l) / sum_l w(l, W) * den(l)  rates are recomputed

with ``sum_W w(l, W) = 1`` for every LSOA ``l``, so every count summed over the
wards of a LAD (or of England) equals its sum over the LAD's LSOAs. ``w`` is
non-zero only between an LSOA and wards of the LSOA's own LAD: LSOAs 2021 nest in
local authorities, so an overlap across a LAD border is an artefact of the two
products' generalisation, not of the geography.

Two methods (:data:`METHODS`), chosen at build time (``needsmap build --ward-weights``):

``best_fit`` (default)
    ``w = 1`` for the ward the ONS best-fit lookup gives the LSOA, except for an
    LSOA that overlaps a ward the lookup gives no LSOA at all (33 English wards:
    most of the City of London's, Holywell in Oxford, Waterfront North in
    Liverpool...). Such an LSOA is split among all the wards of its LAD it
    overlaps, by area share::

        w(l, W) = area(l ∩ W) / sum_W' area(l ∩ W')

``areal``
    The area share above for every LSOA.

Each row of the result keeps the method that gave it (``method``), and each ward's
``value_method`` says which methods its figures rest on (``best_fit``, ``areal`` or
``mixed``).

Fit figures per ward ``W`` over the LSOAs with ``w(l, W) > 0`` (areas of the
EPSG:27700 polygons; see docs/method.md for a worked example)::

    fit_share_of_ward = sum_l area(l ∩ W) / area(W)
    fit_spill         = sum_l w(l, W) * area(l \\ W) / sum_l w(l, W) * area(l)
    fit_poor          = fit_share_of_ward < POOR_FIT_CUTOFF or fit_spill > 1 - POOR_FIT_CUTOFF

``fit_share_of_ward`` is the share of the ward covered by the LSOAs its figures
come from; ``fit_spill`` the share of those LSOAs' area (as apportioned to the
ward) that lies outside it. Under best fit the spill is exactly the share of the
assigned LSOAs' area outside the ward.

The overlay (LSOA polygons against ward polygons) is done on whole arrays with
shapely: an STRtree query gives the candidate pairs, and GEOS computes the
intersections of all pairs in one vectorised call (never a Python loop over
pairs), on the geometry pool's two threads. ``areal`` needs every overlapping
pair of the same LAD (about 78,500 in England). ``best_fit`` needs far fewer: the
pairs of the split LSOAs (about 280), and for the fit figures one intersection
per ward of the ward with the union of its whole LSOAs (the formulas are sums
over LSOAs, and LSOAs do not overlap), which costs about half as much as
intersecting its 33,700 lookup pairs one by one (measured, docs/decisions.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from needsmap import _threads

#: Weighting methods: name -> what it does (unknown names are rejected with this list).
METHODS: dict[str, str] = {
    "best_fit": "the ONS best-fit lookup (w = 1), with area shares for LSOAs that overlap "
                "a ward the lookup leaves empty",
    "areal": "area shares of every LSOA among the wards of its LAD it overlaps",
}

#: Below this share of the ward covered, or above 1 - this share of spill, a ward's fit is poor.
#: (Chosen and justified in docs/method.md, "Fit of the LSOAs to a ward".)
POOR_FIT_CUTOFF = 0.8

#: What a lay reader is told beside a ward whose fit is poor.
POOR_FIT_NOTE = "Figures for this ward are estimated from areas that only partly match it."


class WeightsError(ValueError):
    """An unknown method, or weights that cannot be made from the inputs given."""


def check_method(method: str) -> str:
    """Return ``method`` if it is in :data:`METHODS`, else raise with the valid list."""
    if method not in METHODS:
        raise WeightsError(f"unknown ward weighting {method!r}; valid: {', '.join(METHODS)}")
    return method


@dataclass(frozen=True)
class Areas:
    """Polygons (EPSG:27700) with their codes and LADs, as aligned arrays."""

    codes: np.ndarray  # object array of str
    lads: np.ndarray  # object array of str
    geoms: np.ndarray  # object array of shapely polygons

    @property
    def area(self) -> np.ndarray:
        return shapely.area(self.geoms)


def lsoa_ward_weights(lsoas: Areas, wards: Areas, ward_of: Sequence[str], method: str = "best_fit"
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Weights and fit figures of every ward.

    Parameters
    ----------
    lsoas
        Every LSOA (code, LAD, polygon).
    wards
        Every ward of the map (code, LAD, polygon), from one boundary product.
    ward_of
        The best-fit lookup's ward of each LSOA, aligned with ``lsoas``.
    method
        A key of :data:`METHODS`.

    Returns
    -------
    weights
        ``lsoa_code, ward_code, w, method``: one row per pair with ``w > 0``; ``w``
        sums to 1 over each LSOA's rows.
    fit
        ``ward_code, value_method, fit_share_of_ward, fit_spill, fit_poor``: one row
        per ward of ``wards`` (NULL figures for a ward no LSOA reaches).
    """
    check_method(method)
    ward_of = np.asarray(ward_of, dtype=object)
    wpos = pd.Index(wards.codes)
    lookup_j = wpos.get_indexer(ward_of)
    if (lookup_j < 0).any():
        missing = sorted(set(ward_of[lookup_j < 0]))
        raise WeightsError(f"{len(missing)} wards of the best-fit lookup have no polygon "
                           f"(e.g. {', '.join(missing[:5])})")
    shapely.prepare(wards.geoms)  # once; queried on this thread only (_overlap_areas)
    tree = shapely.STRtree(wards.geoms)
    if method == "areal":
        li, wj = _same_lad(tree.query(lsoas.geoms, predicate="intersects"), lsoas, wards)
        split = np.ones(len(lsoas.codes), bool)
    else:
        # LSOAs that overlap (with area, not only touch) a ward the lookup leaves empty are
        # split; every other LSOA keeps w = 1 for its lookup ward
        empty = np.setdiff1d(np.arange(len(wards.codes)), lookup_j)
        ej, oi = shapely.STRtree(lsoas.geoms).query(wards.geoms[empty], predicate="intersects")
        oi, oj = _same_lad((oi, empty[ej]), lsoas, wards)
        oi = oi[_overlap_areas(lsoas.geoms[oi], wards.geoms[oj]) > 0]
        split = np.zeros(len(lsoas.codes), bool)
        split[oi] = True
        si = np.flatnonzero(split)
        pi, pj = _same_lad(tree.query(lsoas.geoms[si], predicate="intersects"), lsoas, wards,
                           lsoa_index=si)
        whole = np.flatnonzero(~split)
        li = np.concatenate([whole, pi])
        wj = np.concatenate([lookup_j[whole], pj])
    pairs = pd.DataFrame({"li": li, "wj": wj})
    pairs["areal"] = split[li]
    # area shares among the overlapping wards of the LSOA's LAD (allocate_total)
    ar = pairs[pairs["areal"]].copy()
    ar["overlap"] = _overlap_areas(lsoas.geoms[ar["li"].to_numpy()], wards.geoms[ar["wj"].to_numpy()])
    ar = ar[ar["overlap"] > 0]
    ar["w"] = ar["overlap"] / ar.groupby("li")["overlap"].transform("sum")
    # an LSOA to split that overlaps no ward of its LAD at all keeps its lookup ward
    lost = np.setdiff1d(np.flatnonzero(split), ar["li"].to_numpy())
    whole = pd.concat([pairs[~pairs["areal"]],
                       pd.DataFrame({"li": lost, "wj": lookup_j[lost], "areal": False})],
                      ignore_index=True).assign(w=1.0)
    out = pd.concat([whole, ar], ignore_index=True)
    weights = pd.DataFrame({
        "lsoa_code": lsoas.codes[out["li"].to_numpy()],
        "ward_code": wards.codes[out["wj"].to_numpy()],
        "w": out["w"].to_numpy(float),
        "method": np.where(out["areal"].to_numpy(bool), "areal", "best_fit"),
    }).sort_values(["lsoa_code", "ward_code"], ignore_index=True)
    # fit: the whole LSOAs of a ward count as one piece (their union, w = 1), each area share
    # as a piece of its own (w < 1)
    wl, wa, wo = _whole_pieces(lsoas, wards, whole["li"].to_numpy(), whole["wj"].to_numpy())
    lsoa_area = lsoas.area
    pieces = pd.concat([
        pd.DataFrame({"ward_code": wards.codes[wl], "w": 1.0, "area": wa, "overlap": wo,
                      "method": "best_fit"}),
        pd.DataFrame({"ward_code": wards.codes[ar["wj"].to_numpy()], "w": ar["w"].to_numpy(),
                      "area": lsoa_area[ar["li"].to_numpy()], "overlap": ar["overlap"].to_numpy(),
                      "method": "areal"}),
    ], ignore_index=True)
    return weights, fit_quality(pieces, pd.Series(wards.area, index=wpos))


def best_fit_only(lsoas: Areas, ward_of: Sequence[str]) -> pd.DataFrame:
    """Weights of the best-fit lookup alone (``w = 1``): for a map of LSOA-dissolved wards."""
    return pd.DataFrame({"lsoa_code": lsoas.codes, "ward_code": np.asarray(ward_of, dtype=object),
                         "w": 1.0, "method": "best_fit"}
                        ).sort_values(["lsoa_code", "ward_code"], ignore_index=True)


def fit_quality(pieces: pd.DataFrame, ward_area: pd.Series) -> pd.DataFrame:
    """Fit figures and ``value_method`` of every ward of ``ward_area`` (formulas above).

    Parameters
    ----------
    pieces
        ``ward_code, w, area, overlap, method``: the LSOAs behind each ward, as pieces
        with their weight, area and area inside the ward (any unit, as ``ward_area``).
        Whole LSOAs (``w = 1``) of one ward may come as one piece, their union: both
        formulas are sums over LSOAs, and LSOAs do not overlap.
    ward_area
        Area of each ward polygon, indexed by ward code.

    Returns
    -------
    pandas.DataFrame
        ``ward_code, value_method, fit_share_of_ward, fit_spill, fit_poor``; a ward
        with no piece gets NULLs.
    """
    d = pieces[pieces["w"] > 0].copy()
    d["wa"] = d["w"] * d["area"]
    d["wout"] = d["w"] * (d["area"] - d["overlap"]).clip(lower=0)
    d["is_areal"] = (d["method"] == "areal").astype(int)
    g = d.groupby("ward_code").agg(inside=("overlap", "sum"), wa=("wa", "sum"),
                                   wout=("wout", "sum"), n_areal=("is_areal", "sum"),
                                   n=("is_areal", "size"))
    g = g.reindex(ward_area.index)
    share = (g["inside"] / ward_area).clip(upper=1.0)
    spill = (g["wout"] / g["wa"].where(g["wa"] > 0)).clip(lower=0.0, upper=1.0)
    reached = g["n"].notna().to_numpy()
    method = np.select([~reached, g["n_areal"].to_numpy() == 0,
                        g["n_areal"].to_numpy() == g["n"].to_numpy()],
                       ["", "best_fit", "areal"], "mixed").astype(object)
    method[~reached] = None
    poor = ((share < POOR_FIT_CUTOFF) | (spill > 1 - POOR_FIT_CUTOFF)).to_numpy(bool)
    return pd.DataFrame({
        "ward_code": ward_area.index.to_numpy(dtype=object),
        "value_method": method,
        "fit_share_of_ward": share.to_numpy(float),
        "fit_spill": spill.to_numpy(float),
        "fit_poor": pd.array(np.where(reached, poor, pd.NA), dtype="boolean"),
    })


def _whole_pieces(lsoas: Areas, wards: Areas, li: np.ndarray, wj: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each ward with whole LSOAs: (ward index, their total area, area of their union in
    the ward). One union and one intersection per ward, not one intersection per LSOA: the
    LSOAs of a ward are adjacent, and a ward's union costs less than its LSOAs' overlays."""
    if len(li) == 0:
        return np.zeros(0, int), np.zeros(0), np.zeros(0)
    order = np.lexsort((li, wj))
    li, wj = li[order], wj[order]
    starts = np.flatnonzero(np.r_[True, wj[1:] != wj[:-1]])
    ends = np.r_[starts[1:], len(wj)]
    geoms = lsoas.geoms[li]
    area = np.add.reduceat(shapely.area(geoms), starts)
    rows = np.empty(len(starts), dtype=object)
    for k, (a, b) in enumerate(zip(starts, ends, strict=True)):
        rows[k] = geoms[a:b]
    unions = _threads.in_halves(_unions, rows)
    return wj[starts], area, _overlap_areas(unions, wards.geoms[wj[starts]])


def _unions(groups: np.ndarray) -> np.ndarray:
    """The union of each group of adjacent polygons: a coverage union (fast, no overlay),
    or a full union where the generalised edges are not exactly noded."""
    out = np.empty(len(groups), dtype=object)
    for k, g in enumerate(groups):
        if len(g) == 1:
            out[k] = g[0]
            continue
        try:
            out[k] = shapely.coverage_union_all(g)
        except shapely.errors.GEOSException:
            out[k] = shapely.union_all(g)
    return out


def _same_lad(pairs: tuple[np.ndarray, np.ndarray], lsoas: Areas, wards: Areas,
              lsoa_index: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The (LSOA, ward) index pairs whose LSOA and ward are in the same LAD."""
    i, j = pairs
    if lsoa_index is not None:
        i = lsoa_index[i]
    keep = lsoas.lads[i] == wards.lads[j]
    return i[keep], j[keep]


def _overlap_areas(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``area(a[k] ∩ b[k])`` for every k (m²); the overlays on the geometry pool's two threads.

    A pair whose ward properly contains the LSOA needs no overlay: its overlap is
    the LSOA's area (a prepared-geometry test, cheap beside an intersection). That test
    runs on the calling thread: GEOS builds a prepared geometry's indexes lazily, on its
    first queries, so two threads querying the same prepared ward at once can crash the
    process (a segmentation fault in ``contains_properly``, seen in a full test run). The
    intersections do not use the prepared geometries and are split over the threads.
    """
    if len(a) == 0:
        return np.zeros(0)
    inside = shapely.contains_properly(b, a)
    out = shapely.area(a)
    rest = np.flatnonzero(~inside)
    if len(rest):
        out[rest] = _threads.in_halves(_intersection_areas, np.column_stack([a[rest], b[rest]]))
    return out


def _intersection_areas(ab: np.ndarray) -> np.ndarray:
    return shapely.area(shapely.intersection(ab[:, 0], ab[:, 1]))
