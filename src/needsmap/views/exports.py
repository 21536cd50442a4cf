"""Table exports for the app: CSV, XLSX and GeoPackage, escaped against formula injection.

The writers live in :mod:`needsmap.exports` (a foundation module, so the CLI uses
them too); this module keeps the names the views import.
"""

from needsmap.exports import (
    _plain,
    _xlsx_text,
    to_csv,
    to_gpkg,
    to_gpkg_layers,
    to_xlsx,
    to_xlsx_sheets,
)

__all__ = ["_plain", "_xlsx_text", "to_csv", "to_gpkg", "to_gpkg_layers", "to_xlsx",
           "to_xlsx_sheets"]
