"""Load police.uk records into the store: place each in its LSOA, keep or reject it.

Reading and the row rules are :mod:`needsmap.ingest.police`. Here:

1. every distinct coordinate is placed once in its LSOA 2021 with
   :func:`needsmap.areas.locate.lsoa_of_points` (the project's one point-in-LSOA rule)
   and cached in ``crime_snap``: police.uk points are anonymised to a fixed set of snap
   points, so the distinct coordinates of all files are collected in one streaming pass
   (:func:`prepass`) and assigned once; rows join back to the cache in SQL;
2. points in no English or Welsh LSOA are rejected (Welsh LSOAs only in a store built
   with the wales stage, issue 21);
3. a non-blank Crime ID already kept (earlier in the file or in an earlier file) is
   rejected as a duplicate. Blank IDs are normal for anti-social behaviour.

Kept rows go to ``crime_point``; every rejected row goes to ``rejected_rows`` by SQL
(``INSERT ... SELECT``), so millions of rejects cost no Python objects. The file's
:class:`~needsmap.ingest.police.CrimeFileReport` carries the counts, so the load
report balances: ``rows_read == rows_kept + rows_rejected``.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd

from needsmap.areas.locate import lsoa_of_points, lsoa_place
from needsmap.crs import bng_from_lonlat
from needsmap.ingest.police import (
    CRIME_TYPES,
    LABELS,
    REASONS,
    CrimeFileReport,
    PoliceFile,
    check_header,
    read_coordinates,
    read_file,
)
from needsmap.sql import run_sql


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``crime_point``, ``crime_file``, ``crime_snap`` and the report tables if absent."""
    run_sql(con, "crime_schema")


def assign_new_points(con: duckdb.DuckDBPyConnection) -> int:
    """Place the coordinates of ``_crime_raw`` that are not yet in ``crime_snap``.

    The distinct new coordinates are found in SQL (``queries/crime_assign_new.sql``),
    transformed to EPSG:27700 with pyproj in one vectorised call and placed by
    :func:`~needsmap.areas.locate.lsoa_of_points`; a point in no English LSOA is kept
    with a NULL code. The rows are cached in ``crime_snap`` (``queries/crime_assign.sql``).
    Returns the number of new coordinates.
    """
    xy = run_sql(con, "crime_assign_new").fetchnumpy()
    lon = xy["lon"].astype("float64")
    lat = xy["lat"].astype("float64")
    if not len(lon):
        return 0  # every coordinate already cached
    x, y = bng_from_lonlat(lon, lat)
    where = lsoa_of_points(con, x, y)
    con.register("_crime_new_df", pd.DataFrame({"lon": lon, "lat": lat, "x": x, "y": y,
                                                "lsoa_code": where["lsoa_code"]}))
    try:
        run_sql(con, "crime_assign")
    finally:
        con.unregister("_crime_new_df")
    return len(lon)


def load_file(con: duckdb.DuckDBPyConnection, pf: PoliceFile, fr: CrimeFileReport,
              file_id: int) -> None:
    """Load one file: read, reject, assign, keep. Fills ``fr`` (counts, reasons, note).

    Parameters
    ----------
    con
        Store connection with ``lsoa`` and the crime tables (:func:`ensure_tables`).
    pf
        The file.
    fr
        Its load-report entry.
    file_id
        Key of the file in ``crime_file`` (and ``crime_point.file_id``).
    """
    variant = check_header(pf.path)
    params = {"source_id": fr.source_id, "file": fr.file, "file_id": file_id,
              "force": pf.force, "file_month": pf.month, "crime_types": list(CRIME_TYPES),
              "r_malformed": REASONS["malformed"], "r_non_numeric": REASONS["non_numeric"],
              "r_no_coords": REASONS["no_coords"], "r_bad_coords": REASONS["bad_coords"],
              "r_bad_month": REASONS["bad_month"], "r_unknown_type": REASONS["unknown_type"],
              "r_outside": REASONS["outside"], "r_duplicate": REASONS["duplicate"]}
    read_file(con, pf, params)
    assign_new_points(con)
    lsoa_place(con)  # English and (issue 21) Welsh LSOAs
    run_sql(con, "crime_file", params)
    read, kept, agree_n_yes, agree_n = run_sql(con, "crime_file_counts").fetchone()
    reasons = dict(run_sql(con, "crime_file_reasons").fetchall())
    agree = (agree_n_yes, agree_n)
    fr.rows_read, fr.rows_kept = int(read), int(kept)
    fr.sql_rejected = int(sum(reasons.values()))
    fr.reasons = {k: int(v) for k, v in reasons.items()}
    notes = []
    if variant == "snake_case":
        notes.append("snake_case header variant accepted (same 12 police.uk columns)")
    if reasons:
        notes.append("rejected: " + ", ".join(f"{LABELS[k]} {v}" for k, v in reasons.items()))
    if agree[1]:
        notes.append(f"own LSOA code agrees with point-in-polygon LSOA 2021 for "
                     f"{agree[0]}/{agree[1]} kept rows ({100 * agree[0] / agree[1]:.1f}%)")
    fr.note = "; ".join(notes)
    run_sql(con, "crime_file_insert", {
        "file_id": file_id, "file": fr.file, "force": pf.force, "month": pf.month,
        "variant": variant, "read": fr.rows_read, "kept": fr.rows_kept,
        "rej": fr.rows_rejected, "agree": int(agree[0]), "agree_n": int(agree[1]),
        "note": fr.note})
    if fr.rows_read != fr.rows_kept + fr.rows_rejected:  # pragma: no cover - invariant
        raise AssertionError(f"{fr.file}: read {fr.rows_read} != kept {fr.rows_kept} + "
                             f"rejected {fr.rows_rejected}")


def prepass(con: duckdb.DuckDBPyConnection, files: Sequence[PoliceFile]) -> int:
    """Assign the distinct coordinates of all ``files`` at once.

    One streaming read of the coordinate columns
    (:func:`~needsmap.ingest.police.read_coordinates`) and one placement, instead of one
    per file. Returns the number of new coordinates, or -1 if some file could not be
    read this way (the per-file pass then reports it with its file and row).
    """
    if not files:
        return 0
    if not read_coordinates(con, files):
        return -1
    n = assign_new_points(con)
    run_sql(con, "crime_prepass_cleanup")
    return n


def load_files(con: duckdb.DuckDBPyConnection, files: Sequence[PoliceFile],
               reports: Sequence[CrimeFileReport]) -> None:
    """Load ``files`` one at a time (streaming by month), appending to the crime tables.

    Every header is checked first (a structurally wrong file fails before anything is
    loaded), then :func:`prepass` assigns all distinct coordinates in one go.
    """
    for pf in files:
        check_header(pf.path)
    prepass(con, files)
    start = run_sql(con, "crime_next_file_id").fetchone()[0]
    for i, (pf, fr) in enumerate(zip(files, reports, strict=True), start=int(start) + 1):
        load_file(con, pf, fr, i)
    run_sql(con, "crime_cleanup")




__all__ = ["assign_new_points", "ensure_tables", "load_file", "load_files", "prepass"]
