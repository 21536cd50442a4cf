"""Boundary files (LSOA 2021, wards May 2024) -> validated GeoDataFrames in EPSG:27700.

GeoJSON (EPSG:4326) and GeoPackage (any CRS the file declares, e.g. the ONS ward
product in EPSG:27700) are read alike; the CRS always comes from the file.

Checks, in order, for every feature (row = 1-based feature number):

* code present and a GSS code of the expected kind, not duplicated;
* geometry present, not empty, and a Polygon or MultiPolygon;
* geometry valid, else repaired with :func:`shapely.make_valid` (counted in the note);
* inside England's bounding box.

A file whose coordinates are not longitude/latitude (e.g. British National Grid
metres written into GeoJSON) or whose CRS cannot be identified raises
:class:`InputError`.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from needsmap import _threads
from needsmap.crs import reproject
from needsmap.ingest._geojson_lines import read_feature_lines
from needsmap.ingest.report import FileReport, InputError, require_file
from needsmap.settings import BNG, WGS84
from needsmap.sources.layouts import vector_dataset

#: Generous lon/lat envelope of England (with its islands) used to spot wrong coordinates.
ENGLAND_LONLAT = (-6.5, 49.8, 2.0, 55.9)


def read_boundaries(path: Path, fr: FileReport, code_col: str, name_col: str,
                    code_pattern: str, extra_cols: tuple[str, ...] = ()) -> gpd.GeoDataFrame:
    """Read and validate a boundary file; return kept features in EPSG:27700.

    :func:`read_features` then :func:`validate`; see both for the parameters.
    Returns a GeoDataFrame with ``code``, ``name``, ``_row``, any ``extra_cols``,
    ``geometry`` (EPSG:27700) and ``geometry_wgs84`` (a GeoSeries in EPSG:4326).
    """
    gdf = read_features(path, [code_col, name_col, *extra_cols])
    return validate(gdf, path, fr, code_col, name_col, code_pattern)


def read_features(path: Path, props: list[str]) -> gpd.GeoDataFrame:
    """Read the features of a boundary file, unvalidated.

    A file in the ONS layout (one feature per line) is parsed by
    :mod:`needsmap.ingest._geojson_lines`; any other with GDAL, through pyogrio.
    Both release the GIL, as do GEOS and PROJ, so this and :func:`validate` can run on a
    worker thread beside DuckDB (``needsmap.areas.build``). Raises
    :class:`InputError` for an unreadable file, a missing property in ``props``
    or an unknown CRS.
    """
    name = require_file(path)
    gdf = read_feature_lines(path, props)  # the ONS layout, 3-4x faster; None for any other
    if gdf is None:
        try:
            gdf = pyogrio.read_dataframe(vector_dataset(path), use_arrow=True)  # .zip: Shapefile
        except Exception as exc:  # pyogrio raises several DataSourceError subclasses
            raise InputError(name, f"cannot read as GeoJSON/vector data: {exc}") from exc
    for col in props:
        if col not in gdf.columns:
            raise InputError(name, f"missing property {col!r}; found {list(gdf.columns)}", row=0,
                             column=col)
    if path.suffix.lower() in (".geojson", ".json"):
        _check_declared_crs(path)
    if gdf.crs is None:
        raise InputError(name, "unknown CRS: the file declares none and is not GeoJSON")
    return gdf


def validate(gdf: gpd.GeoDataFrame, path: Path, fr: FileReport, code_col: str, name_col: str,
             code_pattern: str) -> gpd.GeoDataFrame:
    """Validate features from :func:`read_features`; record rejects in ``fr``; reproject.

    :func:`check_codes` then :func:`check_geometry`. Returns the kept features in
    EPSG:27700 with ``code``, ``name``, ``_row`` (the 1-based feature number) and
    ``geometry_wgs84``.
    """
    gdf = check_codes(gdf, path, fr, code_col, name_col, code_pattern)
    return check_geometry(gdf, path, fr)


def check_codes(gdf: gpd.GeoDataFrame, path: Path, fr: FileReport, code_col: str, name_col: str,
                code_pattern: str) -> gpd.GeoDataFrame:
    """The code checks: present, a GSS code matching ``code_pattern``, not duplicated.

    Sets ``fr.rows_read``; renames ``code_col``/``name_col`` to ``code``/``name``
    (plain object strings) and adds ``_row``. A caller may drop features that are
    out of its scope between this and :func:`check_geometry`, so that geometry
    work is spent only on features it keeps.
    """
    fr.rows_read = len(gdf)
    gdf["_row"] = np.arange(1, len(gdf) + 1)
    gdf = gdf.rename(columns={code_col: "code", name_col: "name"})
    # plain object strings: Arrow-backed strings make later ``isin`` lookups slow
    code = gdf["code"].astype("string").str.strip().astype(object)
    gdf["code"] = code
    gdf = reject_features(gdf, fr, ~code.fillna("").str.fullmatch(code_pattern).astype(bool),
                          f"{code_col} is not a valid GSS code", code_col)
    return reject_features(gdf, fr, gdf["code"].duplicated(keep="first"), f"duplicate {code_col}", code_col)


def check_geometry(gdf: gpd.GeoDataFrame, path: Path, fr: FileReport) -> gpd.GeoDataFrame:
    """The geometry checks on features that passed :func:`check_codes`; reproject.

    Missing, empty or non-areal geometry is rejected; coordinates that are not
    longitude/latitude raise :class:`InputError`; invalid geometry is repaired with
    :func:`shapely.make_valid` (counted in ``fr.note``); features whose point on
    surface lies outside England are rejected. Returns the kept features in
    EPSG:27700 with ``geometry_wgs84``.
    """
    name = str(path)
    geom = gdf.geometry
    gdf = reject_features(gdf, fr, geom.isna() | geom.is_empty, "missing or empty geometry", "geometry")
    kind = gdf.geometry.geom_type
    gdf = reject_features(gdf, fr, ~kind.isin(["Polygon", "MultiPolygon"]),
                          "not an areal geometry (a boundary must be a Polygon or MultiPolygon)", "geometry")
    lonlat = gdf.crs.equals(WGS84)
    if len(gdf):
        to_ll = gdf if lonlat else _to_lonlat(gdf)
        minx, miny, maxx, maxy = to_ll.total_bounds
        if not (-180 <= minx <= 180 and -90 <= miny <= 90 and -180 <= maxx <= 180 and -90 <= maxy <= 90):
            raise InputError(name, f"coordinates are not longitude/latitude (bounds {to_ll.total_bounds.round(1).tolist()}); "
                             f"the file declares {gdf.crs.to_string()} but looks like another CRS "
                             "(British National Grid metres?)", column="geometry")
    invalid = ~pd.Series(_threads.in_halves(shapely.is_valid, gdf.geometry.values), index=gdf.index)
    n_invalid = int(invalid.sum())
    if n_invalid:
        gdf.loc[invalid, "geometry"] = shapely.make_valid(gdf.loc[invalid, "geometry"].values)
        # keep only areal parts of repaired geometries
        gdf.loc[invalid, "geometry"] = [
            _polygonal(g) for g in gdf.loc[invalid, "geometry"].values
        ]
        gdf = reject_features(gdf, fr, gdf.geometry.isna() | gdf.geometry.is_empty,
                              "geometry has no area after make_valid", "geometry")
    if len(gdf):
        ll = gdf if lonlat else _to_lonlat(gdf)
        c = ll.geometry.representative_point()
        x0, y0, x1, y1 = ENGLAND_LONLAT
        outside = ~((c.x >= x0) & (c.x <= x1) & (c.y >= y0) & (c.y <= y1))
        gdf = reject_features(gdf, fr, pd.Series(outside.values, index=gdf.index),
                              "geometry lies outside England", "geometry")
        wgs = gdf.geometry if lonlat else ll.geometry.loc[gdf.index]
    else:
        wgs = gdf.geometry
    if gdf.crs.equals(BNG):
        out = gdf.set_geometry(gpd.GeoSeries(gdf.geometry.values, index=gdf.index, crs=BNG))
    else:
        out = gdf.set_geometry(gpd.GeoSeries(_threads.in_halves(_to_bng_from(gdf.crs), gdf.geometry.values),
                                             index=gdf.index, crs=BNG))
    out["geometry_wgs84"] = wgs.values
    if n_invalid:
        fr.note = (fr.note + "; " if fr.note else "") + f"{n_invalid} invalid geometries repaired with make_valid"
    return out


def reject_features(gdf: gpd.GeoDataFrame, fr: FileReport, mask: pd.Series, reason: str,
                    column: str, with_name: bool = False) -> gpd.GeoDataFrame:
    """Record the features under ``mask`` as rejected in ``fr``; return the rest.

    The raw text recorded is the feature's code (``code,name`` if ``with_name``).
    """
    if not mask.any():
        return gdf
    bad = gdf[mask]
    raw = bad["code"].astype(str) + ("," + bad["name"].astype(str) if with_name else "")
    for r, c in zip(bad["_row"].tolist(), raw.tolist(), strict=True):
        fr.reject(int(r), column, reason, c)
    return gdf[~mask]


def read_wards(path: Path, fr: FileReport) -> gpd.GeoDataFrame:
    """Read and validate a May 2024 ward boundary file; keep the English wards.

    The file (GeoPackage or GeoJSON, in the CRS it declares) must have ``WD24CD``,
    ``WD24NM``, ``LAD24CD`` and ``LAD24NM``. Codes are checked as UK GSS ward codes
    (``[EWSN]05`` and Scotland's ``S13``, Northern Ireland's ``N08``); features of
    Wales, Scotland and Northern Ireland are recorded as out of scope before any
    geometry work. Returns ``code``, ``name``, ``lad_code``, ``lad_name``, ``_row``,
    ``geometry`` (EPSG:27700) and ``geometry_wgs84``, as :func:`validate`.
    """
    g = read_features(path, ["WD24CD", "WD24NM", "LAD24CD", "LAD24NM"])
    g = check_codes(g, path, fr, "WD24CD", "WD24NM", r"(?:[EW]05|S13|N08)[0-9]{6}")
    g = reject_features(g, fr, ~g["code"].str.startswith("E05"), "out of scope: not an English ward",
                        "WD24CD")
    bad_lad = ~g["LAD24CD"].astype("string").str.fullmatch(r"E0[6-9][0-9]{6}").fillna(False).astype(bool)
    g = reject_features(g, fr, bad_lad, "LAD24CD is not an English LAD code", "LAD24CD")
    g = g.rename(columns={"LAD24CD": "lad_code", "LAD24NM": "lad_name"})
    g["lad_code"] = g["lad_code"].astype(str).str.strip().astype(object)
    g["lad_name"] = g["lad_name"].astype(object)
    g = check_geometry(g, path, fr)
    fr.rows_kept = len(g)
    return g


def _to_lonlat(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``gdf`` reprojected to EPSG:4326 with the process's cached transformer (two threads)."""
    src = gdf.crs.to_string()
    geoms = _threads.in_halves(lambda g: reproject(g, src, WGS84), gdf.geometry.values)
    return gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=WGS84))


def _to_bng_from(crs):  # noqa: ANN001, ANN202
    """A function reprojecting an array of geometries from ``crs`` to EPSG:27700."""
    src = crs.to_string()
    return lambda geoms: reproject(geoms, src, BNG)


def _check_declared_crs(path: Path) -> None:
    """Raise if a GeoJSON declares a ``crs`` member that PROJ does not know.

    GDAL silently falls back to EPSG:4326 for an unknown CRS name, which would
    place every polygon wrongly; a declared but unknown CRS is an error.
    """
    import json
    import re

    import pyproj

    with open(path, "rb") as fh:
        head = fh.read(65536).decode("utf-8", errors="replace")
    m = re.search(r'"crs"\s*:\s*(\{.*?\}\s*\})', head, flags=re.S)
    if not m:
        return
    try:
        name = json.loads(m.group(1))["properties"]["name"]
    except (ValueError, KeyError, TypeError):
        raise InputError(str(path), "unreadable 'crs' member", column="crs") from None
    try:
        pyproj.CRS.from_user_input(name)
    except pyproj.exceptions.CRSError:
        raise InputError(str(path), f"unknown CRS {name!r} declared in the 'crs' member",
                         column="crs") from None


def _polygonal(g):  # noqa: ANN001, ANN202 - shapely geometry
    if g is None or g.is_empty:
        return None
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    if g.geom_type == "GeometryCollection":
        polys = [p for p in g.geoms if p.geom_type in ("Polygon", "MultiPolygon")]
        return shapely.union_all(polys) if polys else None
    return None
