"""The wales stage: Welsh LSOAs and wards, their figures, and the Welsh index (issue 21).

Runs after the areas stage, on its connection: the Census 2021, mid-2020, CiLIF and
LSOA11->LSOA21 temporary tables keep their Welsh rows, and ``lsoa11_lsoa21_weight`` (the
one LSOA 2011 -> 2021 method, :mod:`needsmap.areas.lsoa11`) covers Welsh LSOAs too, so
WIMD 2019 is carried to LSOA 2021 by the same macros as IoD2019. Welsh ward weights are
:func:`needsmap.areas.weights.lsoa_ward_weights` (best fit, area shares for the 10 Welsh
wards the lookup leaves empty). Tables written: ``lsoa_indicators_wales``,
``ward_indicators_wales``, ``lad_indicators_wales``, ``wales_indicators``, Welsh rows of
``ward`` (``nation = 'Wales'``) and ``lsoa_ward_weight``. The Welsh index is the
``wales_index`` stage (:mod:`needsmap.index.wales`). Nothing here is ranked with English wards.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from needsmap.areas import weights
from needsmap.context import BuildContext
from needsmap.ingest import boundaries, cilif, wimd
from needsmap.ingest.report import InputError
from needsmap.sql import run_sql

#: ``geom_method`` of the Welsh ward polygons.
GEOM_METHOD = "ons_wd24_bsc"


def stage(ctx: BuildContext) -> None:
    """Run the wales stage (no-op, with a note, when the WIMD file is missing)."""
    con = ctx.con
    n_lookup = con.execute("SELECT count(*) FROM lookup_lsoa21_wd24_wales").fetchone()[0]
    if not n_lookup:
        raise InputError(ctx.catalogue.get("lsoa21_wd24_lookup").path,
                         "the LSOA21->WD24 lookup has no Welsh rows: the Welsh tables cannot be built")
    p = ctx.resolve("wimd2019_scores_ranks", required=False)
    if p is not None and ctx.facts.get("under5_available"):
        wimd.load_wimd(con, p, ctx.report.file("wimd2019_scores_ranks", str(p)))
    else:  # the build goes on: WIMD columns NULL, the Welsh index from CiLIF and density only
        wimd.empty_wimd(con)
        ctx.summary.setdefault("sources_unavailable", {})["wimd"] = (
            "WIMD 2019 not built: missing " + ctx.catalogue.get("wimd2019_scores_ranks").path
            + ("" if ctx.facts.get("under5_available") else
               " (or the LSOA11->LSOA21 lookup or mid-2020 estimates)"))
    lsoas, wards_gdf = _geometry(ctx)
    pos = shapely.point_on_surface(lsoas.geoms)  # the LSOA's point, as for England's lsoa
    con.register("_lsoa_wales", pa.table({
        "lsoa_code": pa.array(lsoas.codes.tolist(), pa.string()),
        "area_km2": lsoas.area / 1e6,
        "centroid_x": shapely.get_x(pos),
        "centroid_y": shapely.get_y(pos),
        "wkb": pa.array(shapely.to_wkb(lsoas.geoms), pa.binary())}))
    n = run_sql(con, "wales_lsoa").fetchone()[0]
    con.unregister("_lsoa_wales")
    lu = con.execute("SELECT lsoa_code, ward_code FROM lookup_lsoa21_wd24_wales").df()
    ward_of = lu.set_index("lsoa_code").loc[lsoas.codes, "ward_code"].to_numpy(dtype=object)
    wareas = weights.Areas(wards_gdf["code"].to_numpy(dtype=object),
                           wards_gdf["lad_code"].to_numpy(dtype=object),
                           np.asarray(wards_gdf.geometry.values, dtype=object))
    w, fit = weights.lsoa_ward_weights(lsoas, wareas, ward_of, "best_fit")
    listing = pd.DataFrame({"ward_code": wareas.codes,
                            "ward_name": wards_gdf["name"].to_numpy(dtype=object),
                            "lad_code": wareas.lads,
                            "lad_name": wards_gdf["lad_name"].to_numpy(dtype=object)}
                           ).merge(fit, on="ward_code", how="left")
    geom = pa.table({
        "ward_code": pa.array(wareas.codes.tolist(), pa.string()),
        "wkb": pa.array(shapely.to_wkb(wareas.geoms), pa.binary()),
        "wkb_wgs84": pa.array(shapely.to_wkb(np.asarray(
            gpd.GeoSeries(wards_gdf["geometry_wgs84"].values).values, dtype=object)), pa.binary())})
    for name, tbl in (("_wales_weight", w), ("_wales_wards", listing), ("_wales_ward_geom", geom)):
        con.register(name, tbl)
    run_sql(con, "wales_aggregate", {"geom_method": GEOM_METHOD})
    for name in ("_wales_weight", "_wales_wards", "_wales_ward_geom"):
        con.unregister(name)
    counts = con.execute("""SELECT (SELECT count(*) FROM ward_indicators_wales),
        (SELECT count(*) FROM ward WHERE nation = 'Wales'),
        (SELECT count(*) FROM lad_indicators_wales), (SELECT population FROM wales_indicators),
        (SELECT count(*) FROM ward_indicators_wales WHERE value_method <> 'best_fit'),
        (SELECT count(*) FROM ward_indicators_wales
         WHERE ward_code NOT IN (SELECT ward_code FROM lookup_lsoa21_wd24_wales))""").fetchone()
    _lad_names(ctx)
    ctx.summary["wales"] = {"lsoas": n, "wards": counts[0], "wards_in_scope": counts[1],
                            "lads": counts[2], "population": counts[3],
                            "wards_without_best_fit_lsoa": counts[5],
                            "wards_with_some_area_shares": counts[4]}


def _lad_names(ctx: BuildContext) -> None:
    """``lad_name_wales``: Welsh LAs with their Welsh-language names, where the DWP LA export
    (catalogue ``cilif_ltla``, optional) has them."""
    p = ctx.resolve("cilif_ltla", required=False)
    names = (cilif.welsh_la_names(p, ctx.report.file("cilif_ltla", str(p))) if p is not None
             else pd.DataFrame({"name_en": [], "name_cy": []}, dtype="string"))
    ctx.con.register("_lad_names_cy", names)
    try:
        run_sql(ctx.con, "wales_lad_names")
    finally:
        ctx.con.unregister("_lad_names_cy")


def _geometry(ctx: BuildContext) -> tuple[weights.Areas, gpd.GeoDataFrame]:
    """Welsh LSOA 2021 polygons (as :class:`weights.Areas`) and Welsh May 2024 wards."""
    p = ctx.resolve("lsoa21_boundaries")
    fr = ctx.report.file("lsoa21_boundaries_wales", str(p))  # the Welsh read of the file
    g = boundaries.read_features(p, ["LSOA21CD", "LSOA21NM"])
    g = boundaries.check_codes(g, p, fr, "LSOA21CD", "LSOA21NM", r"[EW]01[0-9]{6}")
    g = boundaries.reject_features(g, fr, ~g["code"].str.startswith("W"),
                                   "out of scope of the Welsh tables: not a Welsh LSOA", "LSOA21CD")
    known = set(ctx.con.execute("SELECT lsoa_code FROM lookup_lsoa21_wd24_wales").df()["lsoa_code"])
    g = boundaries.reject_features(g, fr, ~g["code"].isin(known),
                                   "LSOA missing from the LSOA21->WD24 lookup", "LSOA21CD")
    g = boundaries.check_geometry(g, p, fr)
    fr.rows_kept = len(g)
    lad = ctx.con.execute("SELECT lsoa_code, lad_code FROM lookup_lsoa21_wd24_wales").df(
        ).set_index("lsoa_code")["lad_code"]
    codes = g["code"].to_numpy(dtype=object)
    lsoas = weights.Areas(codes, lad.loc[codes].to_numpy(dtype=object),
                          np.asarray(g.geometry.values, dtype=object))
    sid = "wd24_boundaries_bsc"
    pw = ctx.resolve(sid)
    frw = ctx.report.file(f"{sid}_wales", str(pw))  # the Welsh read of the file
    wd = boundaries.read_features(pw, ["WD24CD", "WD24NM", "LAD24CD", "LAD24NM"])
    wd = boundaries.check_codes(wd, pw, frw, "WD24CD", "WD24NM", r"(?:[EW]05|S13|N08)[0-9]{6}")
    wd = boundaries.reject_features(wd, frw, ~wd["code"].str.startswith("W05"),
                                    "out of scope of the Welsh tables: not a Welsh ward", "WD24CD")
    wd = wd.rename(columns={"LAD24CD": "lad_code", "LAD24NM": "lad_name"})
    wd["lad_code"] = wd["lad_code"].astype(str).str.strip().astype(object)
    wd["lad_name"] = wd["lad_name"].astype(object)
    wd = boundaries.check_geometry(wd, pw, frw)
    frw.rows_kept = len(wd)
    return lsoas, wd.sort_values("code", ignore_index=True)


