"""What a siting run says beside its figures, and its files (CSV, XLSX, GeoPackage).

Shared by the CLI (``needsmap site``) and the app's Target view (``needsmap.views.siting``):

* :func:`assumptions` -- the honesty text: the result is a model, not a decision,
  and the assumptions that drive it, in plain words.
* :func:`settings_rows` -- every setting that produced the result (no file paths).
* :func:`export_files` -- ``{file name: bytes}``: one CSV per table, one XLSX with a
  sheet per table plus ``settings`` and ``notes``, one GeoPackage with the sites,
  their straight-line catchments and the demand points. CSV and XLSX use the
  column labels people read (with units); the GeoPackage keeps short field names
  for GIS tools. Every text cell is escaped against formula injection.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from needsmap import CAVEAT
from needsmap.access.siting import MODELS, SitingResult
from needsmap.access.siting_inputs import SitingInputs
from needsmap.exports import to_csv, to_gpkg_layers, to_xlsx_sheets
from needsmap.index.wales import CAVEAT_WALES

#: column -> label with units, for CSV and XLSX.
LABELS: dict[str, str] = {
    "status": "Status", "order": "Order (greedy, within the chosen set)", "site_id": "Site id",
    "name": "Name", "x": "Easting (m, EPSG:27700)", "y": "Northing (m, EPSG:27700)",
    "lon": "Longitude", "lat": "Latitude",
    "children_within_radius": "Children within the radius",
    "weighted_within_radius": "Need-weighted children within the radius",
    "children_only_this_site": "Children within the radius of this site only",
    "weighted_only_this_site": "Need-weighted children within the radius of this site only",
    "children_nearest": "Children for whom this is the nearest open site",
    "mean_km_nearest": "Mean distance of those children (km)",
    "children_newly_covered": "Children newly within the radius",
    "weighted_newly_covered": "Need-weighted children newly within the radius",
    "gain_in_order": "Gain when added in this order (model objective)",
    "type": "Service type", "source": "Source", "postcode": "Postcode", "lsoa_code": "LSOA code",
    "lsoa_name": "LSOA name", "ward_code": "Ward code", "ward_name": "Ward", "lad_code": "LA code",
    "lad_name": "Local authority", "n_at_site": "Services at this location",
    "scenario": "Scenario", "new_sites": "New sites", "children": "Children",
    "children_covered": "Children within the radius", "share_children_covered":
    "Share of children within the radius", "weighted_demand": "Need-weighted children",
    "weighted_covered": "Need-weighted children within the radius",
    "share_weighted_covered": "Share of need-weighted children within the radius",
    "mean_km_children": "Mean distance to the nearest open site, children (km)",
    "mean_km_weighted": "Mean distance to the nearest open site, need-weighted (km)",
    "children_beyond_radius": "Children beyond the radius",
    "objective": "Model objective", "sites": "Sites chosen", "solve_s": "Solve time (s)",
    "gain_children_covered": "Gain: children within the radius",
    "gain_weighted_covered": "Gain: need-weighted children within the radius",
    "gain_mean_km_weighted": "Gain: reduction of need-weighted mean distance (km)",
    "need_decile": "Need decile in its nation (1 = highest; England or Wales)", "need_value": "Need value",
    "need_weight": "Need weight", "weight": "Need-weighted children",
    "children_uncovered": "Children beyond the radius",
    "weighted_uncovered": "Need-weighted children beyond the radius",
    "share_uncovered": "Share of children beyond the radius",
    "km_before": "Distance to the nearest existing service (km)",
    "nearest_before": "Nearest existing service",
    "km_after": "Distance to the nearest open site after (km)",
    "nearest_after": "Nearest open site after", "nearest_after_is_new": "Nearest is a new site",
    "covered_before": "Within the radius before", "covered_after": "Within the radius after",
}

#: table name -> SitingResult attribute, in file order.
TABLES = {"sites": "sites", "coverage": "coverage", "gains": "gains",
          "uncovered_wards": "uncovered_wards", "demand": "demand"}


def labelled(df: pd.DataFrame) -> pd.DataFrame:
    """The frame with :data:`LABELS` as column names (unknown columns kept as they are)."""
    return df.rename(columns=LABELS)


def assumptions(result: SitingResult, inputs: SitingInputs) -> list[str]:
    """The honesty text shown beside every siting result."""
    p, s = result.params, inputs.settings
    r = p["radius_km"]
    lines = [
        "This is a model, not a decision. It ranks places by distance alone; it knows nothing "
        "about buildings, rents, staff, opening hours, public transport, safety or what families "
        "want. Use it to ask better questions, then check on the ground.",
        f"Model: {MODELS[p['model']]}. Each count of new sites is solved to proven optimality "
        f"({p['solver']}); status of the chosen solution: {p['status']}.",
        f"Distance is straight-line ({p['measure']}, EPSG:27700) from each LSOA's representative "
        "point (a point inside the LSOA, not population-weighted). Rivers, railways, main roads "
        "and hills are ignored; real walking distances are longer.",
        f"A child counts as reached when their LSOA's point is within {r:g} km of an open site: "
        "all the children of an LSOA are treated as living at that point, all in or all out. "
        "Another radius can give other sites.",
        f"Demand: {s.get('demand')} in {s.get('area')}. Children outside the area are not "
        "counted, so a site near the border also serves neighbours the result does not credit.",
    ]
    if s.get("need") not in (None, "none"):
        lines.append(f"Need weight ({s['need']}): {s['need_scale']}. The weight drives which "
                     "places win; 'children' figures are unweighted head counts.")
        if s.get("need") == "ace":
            lines.append(CAVEAT)
        elif s.get("need") == "welsh_ace":
            lines.append(CAVEAT_WALES)
    else:
        lines.append("No need weight: every child counts the same.")
    lines.append(f"Existing services fixed open: {s.get('existing services')} "
                 f"({s.get('existing services in England')} in the store, England and Wales, "
                 "of which "
                 f"{p.get('existing_that_matter')} are near enough to matter here, including any "
                 "just across the border, since they serve residents too).")
    lines.append(f"Candidate sites: {s.get('candidates')} ({s.get('candidates kept')} places).")
    return lines + inputs.notes + result.notes


def settings_rows(result: SitingResult, inputs: SitingInputs) -> pd.DataFrame:
    """Every setting that produced the result, as ``setting, value`` rows (no file paths)."""
    items = {**inputs.settings, **{k: v for k, v in result.params.items()}}
    return pd.DataFrame({"setting": list(items), "value": [str(v) for v in items.values()]})


def _with_lonlat(df: pd.DataFrame) -> pd.DataFrame:
    from needsmap.crs import lonlat_from_bng

    if df.empty or "x" not in df.columns:
        return df
    lon, lat = lonlat_from_bng(df["x"].to_numpy(dtype="float64"), df["y"].to_numpy(dtype="float64"))
    out = df.copy()
    i = list(out.columns).index("y") + 1
    out.insert(i, "lon", np.round(lon, 6))
    out.insert(i + 1, "lat", np.round(lat, 6))
    return out


def tables(result: SitingResult) -> dict[str, pd.DataFrame]:
    """The result's tables, with lon/lat beside easting/northing."""
    return {name: _with_lonlat(getattr(result, attr)) for name, attr in TABLES.items()}


def export_files(result: SitingResult, inputs: SitingInputs, stem: str = "siting"
                 ) -> dict[str, bytes]:
    """``{file name: bytes}`` for every export of a siting run (see the module docstring)."""
    import shapely

    tabs = tables(result)
    notes = assumptions(result, inputs)
    setting = settings_rows(result, inputs)
    files = {f"{stem}_{name}.csv": to_csv(labelled(df)) for name, df in tabs.items()}
    files[f"{stem}_settings.csv"] = to_csv(setting)
    files[f"{stem}.xlsx"] = to_xlsx_sheets(
        {**{name: labelled(df) for name, df in tabs.items()}, "settings": setting}, notes)
    sites, demand = tabs["sites"], tabs["demand"]
    layers = {}
    if not sites.empty:
        pts = shapely.points(sites["x"].to_numpy(dtype="float64"), sites["y"].to_numpy(dtype="float64"))
        layers["sites"] = (sites, pd.Series(shapely.to_wkb(pts)))
        circles = shapely.buffer(pts, result.params["radius_km"] * 1000.0, quad_segs=16)
        layers["catchments"] = (sites[["status", "site_id", "name"]].assign(
            radius_km=result.params["radius_km"]), pd.Series(shapely.to_wkb(circles)))
    if not demand.empty:
        pts = shapely.points(demand["x"].to_numpy(dtype="float64"),
                             demand["y"].to_numpy(dtype="float64"))
        layers["demand"] = (demand, pd.Series(shapely.to_wkb(pts)))
    if layers:
        files[f"{stem}.gpkg"] = to_gpkg_layers(layers)
    return files


__all__ = ["LABELS", "assumptions", "export_files", "labelled", "settings_rows", "tables"]
