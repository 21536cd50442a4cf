"""Table exports for the app: CSV, XLSX and GeoPackage, escaped against formula injection.

Every text cell goes through :func:`needsmap.escape.escape_frame` first (a
leading ``=``, ``+``, ``-``, ``@``, tab or CR gets a ``'`` prefix, OWASP CSV injection),
so a name such as ``=HYPERLINK(...)`` from a user's list reaches a spreadsheet as text.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pandas as pd

from needsmap.areas.weights import POOR_FIT_NOTE
from needsmap.escape import escape_frame

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


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Nullable extension dtypes -> plain numpy/object, for writers that dislike them."""
    out = df.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.api.extensions.ExtensionDtype):
            if pd.api.types.is_bool_dtype(out[c].dtype):
                out[c] = out[c].astype(object).where(out[c].notna(), None)
            elif pd.api.types.is_numeric_dtype(out[c].dtype):
                out[c] = out[c].astype("float64")
            else:
                out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out


def to_csv(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with BOM, so Excel reads accents) of the escaped frame."""
    # QUOTE_ALL: a text cell holding a bare CR would otherwise go out unquoted, a
    # spreadsheet would split the row there, and the next "line" could start with "="
    return escape_frame(_plain(with_fit_note(df))).to_csv(index=False, quoting=csv.QUOTE_ALL).encode("utf-8-sig")


def _xlsx_text(df: pd.DataFrame) -> pd.DataFrame:
    """Replace the control characters XLSX cannot hold (openpyxl refuses them) with U+FFFD."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    out = df.copy()
    out.columns = [ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(c)) for c in out.columns]
    for c in out.columns:
        if pd.api.types.is_object_dtype(out[c]) or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(lambda v: ILLEGAL_CHARACTERS_RE.sub("\ufffd", v)
                                if isinstance(v, str) else v)
    return out


def to_xlsx(df: pd.DataFrame, sheet: str = "wards", notes: list[str] | None = None) -> bytes:
    """An XLSX workbook: the escaped table, and a ``notes`` sheet (caveat, sources)."""
    buf = io.BytesIO()
    if "fit_poor" in df.columns:
        notes = [*(notes or []), FIT_NOTE]
    df = with_fit_note(df)
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        _xlsx_text(escape_frame(_plain(df))).to_excel(xw, sheet_name=sheet[:31], index=False)
        if notes:
            _xlsx_text(escape_frame(pd.DataFrame({"notes": notes}))).to_excel(
                xw, sheet_name="notes", index=False)
    return buf.getvalue()


def to_gpkg(df: pd.DataFrame, wkb: pd.Series, crs: str = "EPSG:27700",
            layer: str = "wards") -> bytes:
    """A GeoPackage of the escaped table with ward polygons (``wkb`` aligned to ``df``)."""
    import geopandas as gpd
    import shapely

    geoms = shapely.from_wkb([bytes(b) if b is not None else None for b in wkb])
    gdf = gpd.GeoDataFrame(escape_frame(_plain(with_fit_note(df))).reset_index(drop=True),
                           geometry=list(geoms), crs=crs)
    with tempfile.TemporaryDirectory(prefix="needsmap-export-") as tmp:
        path = Path(tmp) / "export.gpkg"
        gdf.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
        return path.read_bytes()
