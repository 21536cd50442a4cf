"""File writers for every export: CSV, XLSX and GeoPackage, escaped against formula injection.

Every text cell goes through :func:`needsmap.escape.escape_frame` first (a
leading ``=``, ``+``, ``-``, ``@``, tab or CR gets a ``'`` prefix, OWASP CSV injection),
so a name such as ``=HYPERLINK(...)`` from a user's list reaches a spreadsheet as text.

A foundation module (pure: frames in, bytes out), so the CLI (``needsmap site``)
and the app's views share the writers; :mod:`needsmap.views.exports` re-exports them.

* :func:`to_csv` -- UTF-8 CSV with BOM, every field quoted.
* :func:`to_xlsx` / :func:`to_xlsx_sheets` -- one or several tables and a ``notes`` sheet.
* :func:`to_gpkg` / :func:`to_gpkg_layers` -- one or several layers.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pandas as pd

from needsmap.escape import escape_frame


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
    return escape_frame(_plain(df)).to_csv(index=False, quoting=csv.QUOTE_ALL).encode("utf-8-sig")


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


def to_xlsx_sheets(sheets: dict[str, pd.DataFrame], notes: list[str] | None = None) -> bytes:
    """An XLSX workbook with one sheet per table (names cut to 31 characters) and ``notes``."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        for name, df in sheets.items():
            _xlsx_text(escape_frame(_plain(df))).to_excel(xw, sheet_name=name[:31], index=False)
        if notes:
            _xlsx_text(escape_frame(pd.DataFrame({"notes": notes}))).to_excel(
                xw, sheet_name="notes", index=False)
    return buf.getvalue()


def to_xlsx(df: pd.DataFrame, sheet: str = "wards", notes: list[str] | None = None) -> bytes:
    """An XLSX workbook: the escaped table, and a ``notes`` sheet (caveat, sources)."""
    return to_xlsx_sheets({sheet: df}, notes)


def to_gpkg_layers(layers: dict[str, tuple[pd.DataFrame, pd.Series]],
                   crs: str = "EPSG:27700") -> bytes:
    """A GeoPackage with one layer per ``name -> (table, wkb)`` (``wkb`` aligned to the table)."""
    import geopandas as gpd
    import shapely

    with tempfile.TemporaryDirectory(prefix="needsmap-export-") as tmp:
        path = Path(tmp) / "export.gpkg"
        for layer, (df, wkb) in layers.items():
            geoms = shapely.from_wkb([bytes(b) if b is not None else None for b in wkb])
            gdf = gpd.GeoDataFrame(escape_frame(_plain(df)).reset_index(drop=True),
                                   geometry=list(geoms), crs=crs)
            gdf.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
        return path.read_bytes()


def to_gpkg(df: pd.DataFrame, wkb: pd.Series, crs: str = "EPSG:27700",
            layer: str = "wards") -> bytes:
    """A GeoPackage of the escaped table with geometries (``wkb`` aligned to ``df``)."""
    return to_gpkg_layers({layer: (df, wkb)}, crs=crs)
