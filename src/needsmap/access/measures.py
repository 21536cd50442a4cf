"""Access measures: nearest service of each type for every LSOA, and ward summaries.

Nearest neighbour -- why a k-d tree
-----------------------------------
For every one of the 33,755 English LSOAs and every service type we need the
straight-line (EPSG:27700) distance from the LSOA's representative point to the
nearest service of that type. All geometries here are *points*, and the metric
is plain Euclidean distance on the National Grid, so the fastest honest tool is
a spatial index over the points: :class:`scipy.spatial.cKDTree`, built once per
service type (a few thousand points, milliseconds) and queried with all LSOA
points in one vectorised call (``k=1``). It is exact (not approximate; the tree
is pruned by bounding boxes, like an R-tree) and there is no Python loop over
points -- the only loop is over the ~15 service types.

The alternatives measured in ``benchmarks/access.py`` are slower for this
points-to-points problem:

* DuckDB spatial: there is no k-nearest-neighbour join operator; the nearest
  has to be found with an ``ST_DWithin`` R-tree join under a distance bound,
  then a ``QUALIFY row_number()``. The bound must be large enough for the
  sparsest type (tens of km for colleges in rural areas) or the query must be
  iterated with growing bounds, and the join materialises every pair inside the
  bound -- millions of rows for dense types such as primary schools.
* geopandas ``sjoin_nearest`` (the reference asked for by the issue): the same
  STRtree nearest query, plus GeoDataFrame construction and an attribute join.

The set logic that follows -- the tidy ``lsoa_access`` table, the
child-weighted ward measures and the gaps -- is SQL in ``queries/access_*.sql``.

Design for a network measure: ``lsoa_access`` is tidy (``measure``, ``value``,
``unit``); a travel-time engine (e.g. r5py) can add rows with ``measure =
'walk_minutes'`` beside ``'straight_line_km'`` and every ward query is already
partitioned by ``measure``.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
from scipy.spatial import cKDTree

from needsmap.access import early_years, gaprules
from needsmap.access.nation_tables import (
    ENGLAND,
    WALES,
    check_nation,
    nation_of,
    weighted_params,
)
from needsmap.context import BuildContext
from needsmap.sql import read_query, run_sql
from needsmap.store.db import has_table

MEASURE = "straight_line_km"


def nearest_arrays(origins: np.ndarray, services: np.ndarray, types: np.ndarray,
                   workers: int = -1) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Nearest service of each type for every origin point.

    Parameters
    ----------
    origins
        ``(n, 2)`` array of origin easting/northing (metres).
    services
        ``(m, 2)`` array of service easting/northing (metres).
    types
        ``(m,)`` array of service type keys.
    workers
        Threads for the k-d tree queries (``-1``: all cores).

    Returns
    -------
    dict
        type -> ``(distance_m, index into services)``, each of length ``n``.
    """
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for t in np.unique(types):
        idx = np.flatnonzero(types == t)
        tree = cKDTree(services[idx])
        d, j = tree.query(origins, k=1, workers=workers)
        out[str(t)] = (d, idx[j])
    return out


def nearest_frame(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """Tidy Arrow table ``lsoa_code, service_type, distance_m, nearest_service_id``.

    One row per LSOA of ``_lsoa_origin`` (English and Welsh LSOAs,
    ``queries/access_origins.sql``) and service type: the nearest service of the type
    anywhere in the store (England and Wales), straight line in EPSG:27700.
    """
    lsoa = con.execute("SELECT lsoa_code, centroid_x, centroid_y FROM _lsoa_origin "
                       "ORDER BY lsoa_code").to_arrow_table()
    svc = con.execute("SELECT service_id, type, easting, northing FROM service "
                      "ORDER BY service_id").to_arrow_table()
    schema = pa.schema([("lsoa_code", pa.string()), ("service_type", pa.string()),
                        ("distance_m", pa.float64()), ("nearest_service_id", pa.string())])
    if svc.num_rows == 0:
        return schema.empty_table()
    origins = np.column_stack([lsoa.column("centroid_x").to_numpy(),
                               lsoa.column("centroid_y").to_numpy()])
    pts = np.column_stack([svc.column("easting").to_numpy(), svc.column("northing").to_numpy()])
    res = nearest_arrays(origins, pts, svc.column("type").to_numpy(zero_copy_only=False))
    codes, ids = lsoa.column("lsoa_code"), svc.column("service_id")
    n = lsoa.num_rows
    order = list(res)
    dist = np.concatenate([res[t][0] for t in order])
    near = np.concatenate([res[t][1] for t in order])
    types = pa.DictionaryArray.from_arrays(
        pa.array(np.repeat(np.arange(len(order), dtype=np.int32), n)), pa.array(order))
    return pa.table([codes.take(pa.array(np.tile(np.arange(n), len(order)))),
                     types.cast(pa.string()), pa.array(dist), ids.take(pa.array(near))],
                    schema=schema)


def build_access(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """Write ``lsoa_access`` (English and Welsh LSOAs), ``ward_access`` and ``ward_need``
    (English wards), ``ward_access_wales`` and ``ward_need_wales`` (Welsh wards, ranked among
    Welsh wards only) and the ``ward_gaps`` view (English)."""
    run_sql(con, "access_origins")
    near = nearest_frame(con)
    con.register("_nearest", near)
    try:
        run_sql(con, "access_lsoa")
    finally:
        con.unregister("_nearest")
    plain = {"basis": "children", "group": "", "group_types": []}
    # Wales first: the same two queries, then ward_access is renamed ward_access_wales
    run_sql(con, "access_ward_weighted", plain | weighted_params(WALES))
    run_sql(con, "access_ward")
    run_sql(con, "access_ward_wales")
    run_sql(con, "access_need_ranks")
    run_sql(con, "access_need_wales")
    welsh_ace = has_table(con, "ward_ace_wales")
    if welsh_ace:
        run_sql(con, "access_need_wales_ace")
    run_sql(con, "access_ward_weighted", plain | weighted_params(ENGLAND))
    run_sql(con, "access_ward")
    run_sql(con, "access_need")
    ace = has_table(con, "ward_ace")
    if ace:
        run_sql(con, "access_need_ace")
    run_sql(con, "access_gaps_view")
    return {"lsoa_access rows": near.num_rows, "gaps need": "ace" if ace else "indicators only",
            "gaps need (Wales)": "welsh_ace" if welsh_ace else "indicators only"}


def stage(ctx: BuildContext) -> None:
    """Build stage ``access``: nearest-service distances and ward summaries (children aged
    0-15, and under-5s: :mod:`needsmap.access.early_years`)."""
    ctx.summary.update(build_access(ctx.con))
    ctx.summary.update(early_years.build(ctx.con))


def default_need(con: duckdb.DuckDBPyConnection, nation: str = ENGLAND) -> str:
    """The nation's modelled ACE index when the store has it (``'ace'`` for England,
    ``'welsh_ace'`` for Wales), else its overall deprivation score (``'imd_score'``,
    ``'wimd_score'``)."""
    t = check_nation(nation)
    row = con.execute("SELECT count(*) FROM query_table($t) WHERE need_measure = $m",
                      {"t": t.need, "m": t.default_need}).fetchone()
    if row and row[0]:
        return t.default_need
    return "imd_score" if nation == ENGLAND else "wimd_score"


def gaps(con: duckdb.DuckDBPyConnection, service_type: str, need: str | None = "ace",
         top_deciles: int = gaprules.DEFAULT_TOP_DECILES,
         furthest_share: float = gaprules.DEFAULT_FURTHEST_SHARE, lad_code: str | None = None,
         measure: str = MEASURE, limit: int | None = None, *,
         rule: str = gaprules.DEFAULT_RULE, la_share: float = gaprules.DEFAULT_LA_SHARE,
         km: float = gaprules.DEFAULT_KM, min_share: float = gaprules.DEFAULT_MIN_SHARE,
         custom: tuple[pd.DataFrame, pd.DataFrame] | None = None,
         basis: str = "children", nation: str | None = None) -> pd.DataFrame:
    """High-need wards and how far their children live from ``service_type``, with gap flags.

    Parameters
    ----------
    con
        Open store (read-only is fine).
    service_type
        A type present in ``ward_access`` (see
        :data:`needsmap.ingest.services.vocab.SERVICE_TYPES`), or a label for ``custom``.
    need
        England: ``'ace'`` (the modelled ACE risk index, when built) or a ward indicator:
        ``imd_score``, ``income_rate``, ``employment_rate``, ``education_score``,
        ``health_score``, ``crime_score``, ``child_poverty_rate``. Wales:
        ``'welsh_ace'`` (the Welsh index) or a WIMD 2019 score or ``cilif_rate``
        (:data:`needsmap.access.nation_tables.WALES_NEEDS`). ``None``: the nation's
        index if present, else its overall deprivation score. If the index is asked
        for but absent, falls back to that score and says so in ``need_measure``.
    top_deciles
        Need deciles counted as high need (1 = the highest-need tenth of the nation's
        wards).
    furthest_share
        Share of the nation's in-coverage wards counted as far by the ``local`` and
        ``national`` rules (0.2 = the furthest fifth).
    lad_code
        Restrict to one local authority (ranks are then within it); ``None`` = every
        ward of the nation.
    measure
        Access measure (``'straight_line_km'``).
    limit
        Return at most this many rows (high-need wards first, in commissioning order).
    rule
        Which rule sets ``gap_flag`` (:data:`needsmap.access.gaprules.RULES`); every
        rule's flag is returned as ``flag_<rule>`` too, so callers can say how many
        wards each would flag.
    la_share
        ``local``: the furthest share of the LA's own wards (0.25 = a quarter).
    km, min_share
        ``distance``: far = children's mean distance at least ``km``;
        ``children_beyond``: at least ``min_share`` of the children live beyond ``km``.
    custom
        ``(ward_frame, lsoa_frame)`` for a service list that is not in the store (an
        upload): ``ward_frame`` has the ``ward_access`` columns (see
        :func:`access_for_points`), ``lsoa_frame`` ``lsoa_code, distance_km``.
    basis
        Whose distances and counts: ``"children"`` (aged 0-15, ``ward_access``) or
        ``"under5"`` (the early-years lens: ``ward_access_under5``, which also has the
        early-years group :data:`needsmap.access.early_years.GROUP`); see
        :data:`needsmap.access.early_years.BASES`. The columns keep the children basis's
        names (``children_0_15``, ``mean_km_child_weighted``, ``children_beyond``...) so
        every reader of the list works with both; ``basis`` says whose figures they are.
        An uploaded list (``custom``) has children's distances only.
    nation
        ``'England'`` or ``'Wales'`` (:data:`needsmap.access.nation_tables.NATIONS`): the
        wards listed, and the wards every percentile and "national" threshold is
        computed among. ``None``: the nation of ``lad_code`` (England without one). The
        two nations are never ranked together; a ``lad_code`` of the other nation raises.
        Wales has children's distances only (``basis="children"``).

    Returns
    -------
    pandas.DataFrame
        One row per in-coverage ward: need and access figures, ``far_km`` (the distance
        the rule calls far for that ward), ``children_beyond`` (children further than
        it), ``gap_flag``, ``flag_<rule>``, ``commissioning_rank``. The index is a
        *modelled risk proxy*: wording should say "higher modelled risk".
    """
    from needsmap.access.early_years import BASES, GROUP, GROUP_TYPES, check_basis

    gaprules.check_rule(rule)
    check_basis(basis)
    if nation is None:
        nation = nation_of(lad_code) if lad_code else ENGLAND
    t = check_nation(nation)
    if lad_code is not None and nation_of(lad_code) != nation:
        raise ValueError(f"{lad_code} is not in {nation}: English and Welsh wards are never "
                         "ranked together; run one nation at a time")
    if custom is not None and basis != "children":
        raise ValueError("an uploaded service list has children's distances only: use "
                         "basis='children'")
    if nation != ENGLAND and basis != "children":
        raise ValueError(f"{nation} has children's distances only: use basis='children'")
    valid = set(con.execute("SELECT DISTINCT need_measure FROM query_table($t)",
                            {"t": t.need}).df()["need_measure"])
    if custom is None:
        table = t.access if basis == "children" else BASES[basis]["access_table"]
        types = set(con.execute("SELECT DISTINCT service_type FROM query_table($t)",
                                {"t": table}).df()["service_type"])
        if service_type not in types:
            raise ValueError(f"unknown service type {service_type!r}; valid: {', '.join(sorted(types))}")
    if need is None or (need in ("ace", "welsh_ace") and need not in valid):
        need = default_need(con, nation)
    if need not in valid:
        raise ValueError(f"unknown need measure {need!r}; valid: {', '.join(sorted(valid))}")
    if not 1 <= int(top_deciles) <= 10:
        raise ValueError("top_deciles must be between 1 and 10")
    for name, v in (("furthest_share", furthest_share), ("la_share", la_share),
                    ("min_share", min_share)):
        if not (np.isfinite(float(v)) and 0 < float(v) <= 1):
            raise ValueError(f"{name} must be in (0, 1]")
    if not (np.isfinite(float(km)) and 0 <= float(km) <= 500):
        raise ValueError("km must be between 0 and 500")
    params = {"service_type": service_type, "need": need, "measure": measure,
              "top_deciles": int(top_deciles), "furthest_share": float(furthest_share),
              "lad_code": lad_code, "rule": rule, "la_share": float(la_share),
              "km": float(km), "min_share": float(min_share), "custom": custom is not None,
              "basis": basis, "group": GROUP, "group_types": list(GROUP_TYPES),
              "access_table": t.access, "need_table": t.need,
              "lsoa_indicators": t.lsoa_indicators, "wards": t.wards}
    ward_f, lsoa_f = custom if custom is not None else (_EMPTY_WARD, _EMPTY_LSOA)
    con.register("_gap_ward", ward_f)
    con.register("_gap_lsoa", lsoa_f)
    try:
        df = con.execute(read_query("access_gaps"), params).df()
    finally:
        con.unregister("_gap_ward")
        con.unregister("_gap_lsoa")
    return df.head(limit) if limit else df


_EMPTY_WARD = pd.DataFrame({
    "ward_code": pd.Series(dtype="str"), "ward_name": pd.Series(dtype="str"),
    "lad_code": pd.Series(dtype="str"), "lad_name": pd.Series(dtype="str"),
    "children_0_15": pd.Series(dtype="int64"), "mean_km_child_weighted": pd.Series(dtype="float64"),
    "share_children_within_1km": pd.Series(dtype="float64"),
    "share_children_within_2km": pd.Series(dtype="float64"),
    "n_services": pd.Series(dtype="float64"),
    "services_per_1000_children": pd.Series(dtype="float64"),
    "in_coverage": pd.Series(dtype="bool")})
_EMPTY_LSOA = pd.DataFrame({"lsoa_code": pd.Series(dtype="str"),
                            "distance_km": pd.Series(dtype="float64")})


def access_for_points(con: duckdb.DuckDBPyConnection, easting: np.ndarray, northing: np.ndarray,
                      lsoa_codes: np.ndarray | None = None,
                      lad_codes: np.ndarray | None = None,
                      nation: str = ENGLAND) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ward and LSOA access to a list of points that is not in the store (an upload).

    The same measures as ``ward_access`` (``queries/access_ward.sql``): the nearest point
    to every LSOA's representative point (k-d tree, straight line in EPSG:27700), then the
    ward figures with each LSOA's children times its weight in the ward
    (``lsoa_ward_share``), and services counted by the LSOA they lie in, times its weight.
    Like a local list in the store, the list covers only the LADs holding at least one of
    its points (``in_coverage``).

    Parameters
    ----------
    easting, northing
        The points (EPSG:27700).
    lsoa_codes, lad_codes
        Each point's LSOA and LAD, as located by the upload check (optional: without
        them, the LAD of the nearest LSOA point is used for coverage and no services are
        counted in wards).
    nation
        Whose LSOAs and wards are measured (``'England'`` or ``'Wales'``); pass the same
        nation to :func:`gaps`.

    Returns
    -------
    (ward_frame, lsoa_frame)
        For :func:`gaps` ``custom=``.
    """
    t = check_nation(nation)
    lsoa = run_sql(con, "access_points_lsoa",
                   {"lsoa": t.lsoa, "lsoa_indicators": t.lsoa_indicators}).df()
    pts = np.column_stack([np.asarray(easting, dtype=float), np.asarray(northing, dtype=float)])
    pts = pts[np.isfinite(pts).all(axis=1)]
    if len(pts) == 0:
        return _EMPTY_WARD.copy(), _EMPTY_LSOA.copy()
    xy = lsoa[["centroid_x", "centroid_y"]].to_numpy(dtype=float)
    d, _ = cKDTree(pts).query(xy, k=1)
    lsoa["distance_km"] = d / 1000.0
    if lad_codes is not None:
        covered = {str(c) for c in lad_codes if isinstance(c, str) and c}
    else:
        _d, idx = cKDTree(xy).query(pts, k=1)
        covered = set(lsoa["lad_code"].iloc[idx])
    lsoa["in_coverage"] = lsoa["lad_code"].isin(covered)
    k = run_sql(con, "access_points_weights", {"shares": t.shares, "wards": t.wards}).df().merge(
        lsoa[["lsoa_code", "distance_km", "in_coverage", "children_0_15"]], on="lsoa_code")
    c = k["w"] * k["children_0_15"].fillna(0).astype(float)
    k = k.assign(_c=c, _cd=c * k["distance_km"], _c1=c * (k["distance_km"] <= 1.0),
                 _c2=c * (k["distance_km"] <= 2.0))
    svc = (pd.Series(lsoa_codes).dropna().value_counts() if lsoa_codes is not None
           else pd.Series(dtype="float64"))
    k["_n"] = k["w"] * k["lsoa_code"].map(svc).fillna(0)
    ward = k.groupby("ward_code", sort=True).agg(
        ward_name=("ward_name", "first"), lad_code=("lad_code", "first"),
        lad_name=("lad_name", "first"), kids=("kids", "sum"), c=("_c", "sum"),
        cd=("_cd", "sum"), c1=("_c1", "sum"), c2=("_c2", "sum"), n=("_n", "sum"),
        in_coverage=("in_coverage", "all")).reset_index()
    nz = ward["c"].where(ward["c"] > 0)
    out = pd.DataFrame({
        "ward_code": ward["ward_code"], "ward_name": ward["ward_name"],
        "lad_code": ward["lad_code"], "lad_name": ward["lad_name"],
        "children_0_15": ward["kids"].round().astype("int64"),
        "mean_km_child_weighted": ward["cd"] / nz,
        "share_children_within_1km": ward["c1"] / nz,
        "share_children_within_2km": ward["c2"] / nz,
        "n_services": ward["n"].astype("float64"),
        "services_per_1000_children": 1000.0 * ward["n"] / nz,
        "in_coverage": ward["in_coverage"].astype(bool)})
    return out[list(_EMPTY_WARD.columns)], lsoa[["lsoa_code", "distance_km"]]
