"""Siting inputs from the store (one read function) and from users' lists.

:func:`read_inputs` is the only function here that reads the store (the SQL is in
``queries/siting_demand.sql`` and ``queries/siting_services.sql``, every user
value bound as a parameter). The choices it makes, written down:

Scope and demand
    Demand is the LSOAs of the chosen LAs (one or several, by LAD24 name or code),
    each at its representative point (the store's ``lsoa.centroid_x/centroid_y``,
    a point on surface, not population-weighted), counting a column of
    ``lsoa_indicators`` from :data:`DEMAND_COLUMNS` (children aged 0-15 by
    default). Demand outside the chosen LAs is **not** counted: a site near the
    border also serves neighbours, which the result does not credit.
Need weight
    Optional: the demand is multiplied by the LSOA's *ward's* national need on a
    ``ward_need`` measure (``ace`` = the modelled ACE risk index, or an
    indicator such as ``imd_score``), on a scale from
    :data:`needsmap.access.siting.NEED_SCALES`. A ward without a value gets the
    middle of the scale, and the notes say how many.
Existing services
    Every service of the chosen type **in the store** (England and Wales), wherever it lies (one just
    across the border does serve residents), or a user's list (a frame with
    easting/northing or lon/lat). Only those that can matter are kept by the
    model (:func:`needsmap.access.siting.relevant_existing`).
Candidates
    Services of the types of a set in :data:`CANDIDATE_SETS` (or any service
    type), located **in the chosen LAs** (the LA opens sites in its own area),
    optionally also those within ``candidate_buffer_km`` of it; or the LSOA
    points of the area; or a user's list. Candidates at one location are merged
    (an all-through school is one building), and a candidate within 1 m of an
    existing service is dropped (it is already open).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from needsmap.access.nation_tables import (
    ENGLAND,
    WALES,
    check_nation,
    in_nation_words,
    nation_of,
)
from needsmap.access.siting import NEED_SCALES, need_weight
from needsmap.ingest.services.vocab import SERVICE_TYPES
from needsmap.scope import resolve_las
from needsmap.sql import query

#: demand column of ``lsoa_indicators`` -> label.
DEMAND_COLUMNS: dict[str, str] = {
    "children_0_15": "children aged 0-15 (Census 2021)",
    "under5": "children aged 0-4 (ONS mid-2020, carried to LSOA 2021)",
    "population": "all residents (Census 2021)",
}

#: candidate set -> (service types, label). Any single service type key is accepted too.
CANDIDATE_SETS: dict[str, tuple[tuple[str, ...], str]] = {
    "schools": (("school_primary", "school_secondary", "special_school", "nursery"),
                "schools (primary, secondary, special and nursery schools, GIAS)"),
    "primary_schools": (("school_primary",), "primary schools (GIAS)"),
    "secondary_schools": (("school_secondary",), "secondary schools (GIAS)"),
    "early_years": (("family_hub", "childrens_centre", "nursery"),
                    "early-years settings (family hubs, children's centres, nurseries)"),
    "libraries": (("library",), "public libraries"),
    "gp_practices": (("gp_practice",), "GP practices"),
    "lsoa_centroids": ((), "LSOA points (anywhere in the area)"),
}

#: A candidate this close (metres) to an existing service is the same place.
SAME_PLACE_M = 1.0


@dataclass
class SitingInputs:
    """What :func:`read_inputs` returns: frames for :meth:`SitingProblem.from_frames`."""

    demand: pd.DataFrame
    existing: pd.DataFrame
    candidates: pd.DataFrame
    lads: list[tuple[str, str]]  # (code, name)
    settings: dict[str, object] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def candidate_types(name: str) -> tuple[str, ...]:
    """Service types of a candidate set (or of one service type); unknown names rejected.

    >>> candidate_types("libraries")
    ('library',)
    >>> candidate_types("gp_practice")
    ('gp_practice',)
    """
    if name in CANDIDATE_SETS:
        return CANDIDATE_SETS[name][0]
    if name in SERVICE_TYPES:
        return (name,)
    raise ValueError(f"unknown candidate set {name!r}; valid: "
                     + ", ".join([*CANDIDATE_SETS, *SERVICE_TYPES]))


def points_frame(df: pd.DataFrame, label: str) -> pd.DataFrame:
    """A user's list of places as ``site_id, name, x, y`` (EPSG:27700 metres).

    Accepts ``easting``/``northing`` (or ``x``/``y``) in metres, or ``lon``/``lat``
    (or ``longitude``/``latitude``) in degrees; ``name`` (or ``site_name``) and
    ``site_id`` (or ``service_id``) are optional. A row without coordinates is an
    error naming the row (1-based, as in the file) and the columns.
    """
    from needsmap.crs import bng_from_lonlat

    cols = {c.lower().strip(): c for c in df.columns}

    def pick(*names: str) -> str | None:
        return next((cols[n] for n in names if n in cols), None)

    e, n = pick("easting", "x"), pick("northing", "y")
    lon, lat = pick("lon", "longitude"), pick("lat", "latitude")
    if e and n:
        x = pd.to_numeric(df[e], errors="coerce").to_numpy(dtype="float64")
        y = pd.to_numeric(df[n], errors="coerce").to_numpy(dtype="float64")
        what = f"{e}/{n}"
    elif lon and lat:
        lo = pd.to_numeric(df[lon], errors="coerce").to_numpy(dtype="float64")
        la = pd.to_numeric(df[lat], errors="coerce").to_numpy(dtype="float64")
        ok = np.isfinite(lo) & np.isfinite(la)
        x, y = np.full(len(df), np.nan), np.full(len(df), np.nan)
        if ok.any():
            x[ok], y[ok] = bng_from_lonlat(lo[ok], la[ok])
        what = f"{lon}/{lat}"
    else:
        raise ValueError(f"{label}: needs easting/northing or lon/lat columns; has "
                         + ", ".join(map(str, df.columns)))
    bad = ~(np.isfinite(x) & np.isfinite(y))
    if bad.any():
        rows = (np.flatnonzero(bad) + 1).tolist()
        raise ValueError(f"{label}: row(s) {rows[:10]}{' ...' if len(rows) > 10 else ''} "
                         f"have no usable coordinates in columns {what}")
    name_col, id_col = pick("name", "site_name"), pick("site_id", "service_id")
    names = (df[name_col].astype(str).to_numpy(dtype=object) if name_col
             else np.array([f"{label} row {i}" for i in range(1, len(df) + 1)], dtype=object))
    ids = (df[id_col].astype(str).to_numpy(dtype=object) if id_col
           else np.array([f"{label}:{i}" for i in range(1, len(df) + 1)], dtype=object))
    out = pd.DataFrame({"site_id": ids, "name": names, "x": x, "y": y})
    for c in ("type", "source", "lsoa_code", "ward_code", "ward_name", "lad_code", "lad_name"):
        if c in cols:
            out[c] = df[cols[c]].to_numpy(dtype=object)
    return out


def _merge_same_place(cand: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """One row per location (rounded to the metre): first by ``site_id``, with ``n_at_site``."""
    if cand.empty:
        return cand.assign(n_at_site=pd.Series(dtype="int64")), 0
    key = list(zip(cand["x"].round().astype("int64"), cand["y"].round().astype("int64"),
                   strict=True))
    c = cand.assign(_key=key).sort_values("site_id", kind="stable")
    n = c.groupby("_key")["site_id"].transform("size")
    out = c.assign(n_at_site=n).drop_duplicates("_key").drop(columns="_key")
    return out.reset_index(drop=True), int(len(cand) - len(out))


def _drop_already_open(cand: pd.DataFrame, existing: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    if cand.empty or existing.empty:
        return cand, 0
    tree = cKDTree(existing[["x", "y"]].to_numpy(dtype="float64"))
    d, _ = tree.query(cand[["x", "y"]].to_numpy(dtype="float64"), k=1)
    keep = d > SAME_PLACE_M
    return cand[keep].reset_index(drop=True), int((~keep).sum())


def read_inputs(con: duckdb.DuckDBPyConnection, la: str | list[str], *,
                existing: str | pd.DataFrame | None, candidates: str | pd.DataFrame,
                demand: str = "children_0_15", need: str | None = "ace",
                need_scale: str = "decile", candidate_buffer_km: float = 0.0) -> SitingInputs:
    """Read the demand, existing services and candidate sites for one or several LAs.

    Parameters
    ----------
    con
        Open store (read-only is fine; the spatial extension is needed only for
        ``candidate_buffer_km > 0``).
    la
        LAD24 name(s) or code(s), any case and spacing; unknown names raise
        :class:`needsmap.scope.UnknownArea` (a ``KeyError``) with close matches.
    existing
        A service type key (e.g. ``'family_hub'``, ``'library'``), a user's list
        (see :func:`points_frame`), or ``None`` for no existing services.
    candidates
        A key of :data:`CANDIDATE_SETS` or a service type, or a user's list.
    demand
        A key of :data:`DEMAND_COLUMNS`.
    need
        A need measure of the LAs' nation or ``None``: for England a ``ward_need``
        measure (``'ace'``, ``'imd_score'``, ...), for Wales a ``ward_need_wales`` one
        (``'welsh_ace'``, ``'wimd_score'``, ...; ``'ace'`` is read as ``'welsh_ace'``),
        ranked among the nation's wards only. The LAs must all be in one nation: English
        and Welsh wards are never weighted on one scale.
    need_scale
        A key of :data:`needsmap.access.siting.NEED_SCALES`.
    candidate_buffer_km
        Also take service candidates within this distance of the area (0 = inside only).
    """
    las = [la] if isinstance(la, str) else list(la)
    if not las:
        raise ValueError("choose at least one local authority")
    tables = [t.lsoa for t in (check_nation(ENGLAND), check_nation(WALES))
              if query(con, "store_has_table", {"name": t.lsoa}).fetchone()[0]]
    codes = list(resolve_las(las, query(con, "siting_lads", {"lsoa_tables": tables}).fetchall()
                             ).lad_codes)
    nations = sorted({nation_of(c) for c in codes})
    if len(nations) > 1:
        raise ValueError("the chosen LAs are in England and in Wales: their need is ranked on "
                         "different indices, so siting runs for one nation at a time")
    nation = nations[0]
    nt = check_nation(nation)
    if nation == WALES and need == "ace":
        need = nt.default_need
    if demand not in DEMAND_COLUMNS:
        raise ValueError(f"unknown demand {demand!r}; valid: {', '.join(DEMAND_COLUMNS)}")
    if need_scale not in NEED_SCALES:
        raise ValueError(f"unknown need scale {need_scale!r}; valid: {', '.join(NEED_SCALES)}")
    valid_need = [r[0] for r in con.execute(
        "SELECT DISTINCT need_measure FROM query_table($t) ORDER BY 1", {"t": nt.need}).fetchall()]
    if need is not None and need not in valid_need:
        raise ValueError(f"unknown need measure {need!r}; valid: {', '.join(valid_need)} "
                         "(or none)")
    if candidate_buffer_km < 0:
        raise ValueError("candidate_buffer_km must be 0 or more")
    notes: list[str] = []

    # ---- the store reads (all parameters bound)
    dem = query(con, "siting_demand", {"lad_codes": codes, "need": need or "", "lsoa": nt.lsoa,
                                       "lsoa_indicators": nt.lsoa_indicators,
                                       "need_table": nt.need}).df()

    def services(types: tuple[str, ...], scope: list[str] | None, buffer_m: float = 0.0):
        return query(con, "siting_services", {"types": list(types), "lad_codes": scope,
                                              "buffer_m": float(buffer_m), "lsoa": nt.lsoa,
                                              "lsoa_tables": tables}).df()

    if isinstance(existing, str) and existing.lower() != "none":
        if existing not in SERVICE_TYPES:
            raise ValueError(f"unknown service type {existing!r}; valid: "
                             + ", ".join(SERVICE_TYPES))
        ex = services((existing,), None)
        ex_label = SERVICE_TYPES[existing]
        if ex.empty:
            notes.append(f"The store has no {ex_label.lower()} services (no national list); "
                         "'before' counts no existing service. Upload your list to fix them.")
    elif isinstance(existing, pd.DataFrame):
        ex, ex_label = points_frame(existing, "existing services list"), "user list"
    else:
        ex, ex_label = points_frame(pd.DataFrame({"x": [], "y": []}), "none"), "none"
    if isinstance(candidates, pd.DataFrame):
        cand, cand_label = points_frame(candidates, "candidate list"), "user list"
    elif candidates == "lsoa_centroids":
        cand = dem[["lsoa_code", "lsoa_name", "x", "y", "ward_code", "ward_name", "lad_code",
                    "lad_name"]].rename(columns={"lsoa_name": "name"})
        cand.insert(0, "site_id", cand["lsoa_code"])
        cand_label = CANDIDATE_SETS["lsoa_centroids"][1]
    else:
        types = candidate_types(candidates)
        cand = services(types, codes, candidate_buffer_km * 1000.0)
        cand_label = (CANDIDATE_SETS[candidates][1] if candidates in CANDIDATE_SETS
                      else SERVICE_TYPES[candidates])
    # ---- end of store reads

    children = pd.to_numeric(dem[demand], errors="coerce").astype("float64")
    nw = np.ones(len(dem))
    if need is not None:
        n_wards = int(dem["n_wards"].iloc[0]) if len(dem) else 0
        nw = need_weight(dem["need_rank"].to_numpy(dtype="float64"),
                         dem["need_decile"].to_numpy(dtype="float64"), n_wards, need_scale)
        miss = ~np.isfinite(nw)
        if miss.any():
            nw[miss] = 1.5 if need_scale == "decile" else 0.5
            notes.append(f"{int(miss.sum())} LSOA(s) are in wards with no {need} value; "
                         "they get the middle of the need scale.")
    base = ["lsoa_code", "lsoa_name", "ward_code", "ward_name", "lad_code", "lad_name", "x", "y"]
    dem_out = dem[base].assign(children=children.fillna(0.0).to_numpy(),
                               need_value=dem["need_value"], need_decile=dem["need_decile"],
                               need_weight=nw)
    dem_out["weight"] = dem_out["children"] * dem_out["need_weight"]

    n_cand_read = len(cand)
    cand, merged = _merge_same_place(cand)
    cand, already = _drop_already_open(cand, ex)
    if merged:
        notes.append(f"{merged} candidate(s) share a location with another and were merged "
                     "(one building, e.g. an all-through school).")
    if already:
        notes.append(f"{already} candidate(s) are already open as existing services and were "
                     "left out.")
    lad_names = dict(zip(dem["lad_code"], dem["lad_name"], strict=True))
    lads = [(c, lad_names.get(c, c)) for c in codes]
    settings = {
        "area": ", ".join(n for _, n in lads), "lad_codes": ", ".join(codes),
        "demand": DEMAND_COLUMNS[demand],
        "nation": nation,
        "need": need or "none",
        "need_scale": in_nation_words(NEED_SCALES[need_scale], nation) if need else "none",
        "existing services": ex_label, "existing services in England": len(ex),
        "candidates": cand_label, "candidates read": n_cand_read, "candidates kept": len(cand),
        "candidate buffer (km)": candidate_buffer_km,
    }
    return SitingInputs(dem_out, ex, cand, lads, settings, notes)


__all__ = ["CANDIDATE_SETS", "DEMAND_COLUMNS", "SitingInputs", "candidate_types",
           "points_frame", "read_inputs"]
