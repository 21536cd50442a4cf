"""Table exports for the app: CSV, XLSX and GeoPackage, escaped against formula injection.

The writers live in :mod:`needsmap.exports` (a foundation module, so the CLI uses them
too). This module adds what the app's ward tables carry: for a frame with the LSOA fit
columns (``fit_poor``), a ``fit_note`` column with the lay sentence for poorly fitting
wards, and the fit explanation in the XLSX notes.
"""

from __future__ import annotations

import pandas as pd

from needsmap.areas.weights import POOR_FIT_NOTE
from needsmap.exports import _plain, _xlsx_text, to_gpkg_layers, to_xlsx_sheets
from needsmap.exports import to_csv as _to_csv
from needsmap.exports import to_gpkg as _to_gpkg
from needsmap.exports import to_xlsx as _to_xlsx

#: Explanation added to exports whose rows carry the LSOA fit figures.
FIT_NOTE = ("LSOA fit: fit_share_of_ward is the share of the ward covered by the LSOAs its "
            "figures come from; fit_spill is the share of those LSOAs' area lying outside the "
            "ward; fit_poor marks a share under 80% or a spill over 20%, and fit_note then "
            f"says: \"{POOR_FIT_NOTE}\"")


def with_fit_note(df: pd.DataFrame) -> pd.DataFrame:
    """Add ``fit_note`` (the lay sentence for poor-fit wards) to a frame with ``fit_poor``."""
    if "fit_poor" not in df.columns or "fit_note" in df.columns:
        return df
    poor = df["fit_poor"].fillna(False).astype(bool)
    return df.assign(fit_note=[POOR_FIT_NOTE if p else "" for p in poor])


def to_csv(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with BOM, so Excel reads accents) of the escaped frame."""
    return _to_csv(with_fit_note(df))


def to_xlsx(df: pd.DataFrame, sheet: str = "wards", notes: list[str] | None = None) -> bytes:
    """An XLSX workbook: the escaped table, and a ``notes`` sheet (caveat, sources, fit)."""
    if "fit_poor" in df.columns:
        notes = [*(notes or []), FIT_NOTE]
    return _to_xlsx(with_fit_note(df), sheet, notes)


def to_gpkg(df: pd.DataFrame, wkb: pd.Series, crs: str = "EPSG:27700",
            layer: str = "wards") -> bytes:
    """A GeoPackage of the escaped table with ward polygons (``wkb`` aligned to ``df``)."""
    return _to_gpkg(with_fit_note(df), wkb, crs, layer)


__all__ = ["FIT_NOTE", "_plain", "_xlsx_text", "to_csv", "to_gpkg", "to_gpkg_layers", "to_xlsx",
           "to_xlsx_sheets", "with_fit_note"]
