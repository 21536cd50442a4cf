"""Validate a user's service CSV from bytes, for the app's Upload view.

:func:`validate_upload` never writes a file and never uses the uploaded file
name as a path (it only becomes a sanitised display label, see
:func:`needsmap.access.services.safe_label`). It never raises for a bad upload:
file-level problems (too big, not UTF-8 text, malformed quoting, missing
columns) come back as one rejected row with ``row = 0``.

Postcodes are geocoded from the store's ``postcode`` table (Code-Point Open,
written by the services stage) unless a
:class:`~needsmap.ingest.codepoint.PostcodeIndex` is passed. When the store has
the ``lsoa`` table, accepted rows are also placed in their LSOA, ward and LAD
by point-in-polygon, and points outside England are rejected.

Text that reaches the accepted or rejected frames is *not* altered, except the
rejected ``raw`` text, which is already CSV-escaped; any export of either frame
must still go through :func:`needsmap.escape.escape_frame`.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from needsmap.access.services import safe_label
from needsmap.areas.locate import has_wales, locate
from needsmap.escape import escape_cell
from needsmap.ingest.codepoint import ENGLAND, WALES, PostcodeIndex
from needsmap.ingest.report import FileReport, InputError
from needsmap.ingest.services.user_lists import read_service_csv
from needsmap.settings import MAX_UPLOAD_BYTES
from needsmap.store.db import has_table

ACCEPTED_COLUMNS = ["row", "name", "type", "postcode", "easting", "northing", "lon", "lat",
                    "geocode", "lsoa_code", "ward_code", "lad_code"]
REJECTED_COLUMNS = ["row", "column", "reason", "raw"]


def _postcodes_from_store(con: duckdb.DuckDBPyConnection | None) -> PostcodeIndex | None:
    if con is None or not has_table(con, "postcode"):
        return None
    index = PostcodeIndex.from_store(con)
    if has_wales(con):  # issue 21: a Welsh list (say, Newport's schools) is placed in Wales
        index.countries = (ENGLAND, WALES)
    return index


def validate_upload(data: bytes, con: duckdb.DuckDBPyConnection | None = None,
                    postcodes: PostcodeIndex | None = None, filename: str | None = None,
                    max_bytes: int = MAX_UPLOAD_BYTES) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validate an uploaded service list.

    Parameters
    ----------
    data
        The uploaded bytes.
    con
        The store (read-only is fine): gives the ``postcode`` lookup and ``lsoa``
        polygons. ``None``: no point-in-polygon, and postcodes need ``postcodes``.
    postcodes
        Explicit Code-Point lookup (overrides the store's).
    filename
        The browser-supplied name: only a display label, never a path.
    max_bytes
        Size limit (default :data:`needsmap.settings.MAX_UPLOAD_BYTES`).

    Returns
    -------
    (accepted, rejected)
        ``accepted``: :data:`ACCEPTED_COLUMNS` (``lon``/``lat`` WGS84, ``easting``/
        ``northing`` EPSG:27700). ``rejected``: ``row`` (1-based data row; 0 for the
        whole file), ``column``, ``reason``, ``raw``.
    """
    label = safe_label(filename or "upload.csv", "upload") + ".csv"
    fr = FileReport(source_id="upload", file=label)
    empty = pd.DataFrame(columns=ACCEPTED_COLUMNS)

    def file_error(reason: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        return empty, pd.DataFrame([{"row": 0, "column": None, "reason": reason, "raw": ""}],
                                   columns=REJECTED_COLUMNS)

    if not isinstance(data, (bytes, bytearray, memoryview)):
        return file_error("the upload is not a file's bytes")
    data = bytes(data)
    if len(data) > max_bytes:
        return file_error(f"the file is {len(data) / 2**20:.1f} MB; the limit is "
                          f"{max_bytes / 2**20:.0f} MB")
    if not data.strip():
        return file_error("the file is empty")
    pcs = postcodes if postcodes is not None else _postcodes_from_store(con)
    try:
        cand = read_service_csv(data, fr, pcs, label=label)
    except InputError as exc:
        return file_error(str(exc))
    if con is not None and has_table(con, "lsoa") and len(cand):
        located = locate(con, cand)
        miss = located["lsoa_code"].isna()
        where = ("England and Wales (not in an English or Welsh LSOA 2021)" if has_wales(con)
                 else "England (not in an English LSOA 2021)")
        for r, n in zip(located.loc[miss, "row"], located.loc[miss, "name"], strict=True):
            fr.reject(int(r), None, f"point outside {where}", escape_cell(str(n)))
        accepted = located.loc[~miss]
    else:
        from needsmap.crs import lonlat_from_bng

        lon, lat = lonlat_from_bng(cand["easting"].to_numpy(), cand["northing"].to_numpy())
        accepted = cand.assign(lon=lon, lat=lat, lsoa_code=None, ward_code=None, lad_code=None)
    rejected = pd.DataFrame(fr.rejected, columns=["source_id", "file", *REJECTED_COLUMNS])
    rejected = rejected[REJECTED_COLUMNS].sort_values("row", kind="stable").reset_index(drop=True)
    accepted = accepted.reindex(columns=ACCEPTED_COLUMNS).sort_values("row").reset_index(drop=True)
    return accepted, rejected
