"""Load police.uk records into the store: place each in its LSOA, keep or reject it.

Reading is :mod:`needsmap.ingest.police`. Files are loaded in batches (every file of
the mirror, or about :data:`BATCH_BYTES` of CSV: a national month or two), each batch
in a fixed number of set-based steps, whatever its number of files:

1. one strict read of every file of the batch (``queries/crime_batch_read.sql``,
   ``crime_batch_prepare.sql``: structural rejects and per-file row numbers);
2. every distinct new coordinate is placed once in its LSOA 2021 with
   :func:`needsmap.areas.locate.lsoa_of_points` (the project's one point-in-LSOA rule)
   and cached in ``crime_snap``: police.uk points are anonymised to a fixed set of snap
   points, so rows join back to the cache in SQL;
3. the row rules, points in no loaded LSOA (English, and Welsh in a store built with the
   wales stage, issue 21), and a
   non-blank Crime ID already kept (earlier in the batch, in file then row order, or in
   an earlier batch) rejected as a duplicate (``queries/crime_batch.sql``); blank IDs are
   normal for anti-social behaviour;
4. per-file counts (``queries/crime_batch_counts.sql``).

Kept rows stay in their batch's classified table and are written to ``crime_point`` once at
the end (one bulk write, no copy before it); every rejected row goes to ``rejected_rows`` by SQL
(``INSERT ... SELECT``), so millions of rejects cost no Python objects. Each file's
:class:`~needsmap.ingest.police.CrimeFileReport` carries its counts, so the load report
balances: ``rows_read == rows_kept + rows_rejected``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import duckdb
import pyarrow as pa

from needsmap.areas.locate import lsoa_of_points, lsoa_place, lsoa_polygons
from needsmap.crs import bng_from_lonlat
from needsmap.ingest.police import (
    CRIME_TYPES,
    LABELS,
    REASONS,
    CrimeFileReport,
    PoliceFile,
    check_header,
    mounted,
    read_batch,
)
from needsmap.sql import ident, run_sql

#: Uncompressed CSV bytes per batch (a national month of street-level files is ~100 MB).
BATCH_BYTES = 256 * 2**20


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``crime_point``, ``crime_file``, ``crime_snap`` and the report tables if absent."""
    run_sql(con, "crime_schema")


def assign_new_points(con: duckdb.DuckDBPyConnection) -> int:
    """Place the coordinates of ``_crime_read`` that are not yet in ``crime_snap``.

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
    con.register("_crime_new_df", pa.table({
        "lon": lon, "lat": lat, "x": x, "y": y,
        "lsoa_code": pa.array(where["lsoa_code"].to_numpy(), pa.string(), from_pandas=True)}))
    try:
        run_sql(con, "crime_assign")
    finally:
        con.unregister("_crime_new_df")
    return len(lon)


def _batches(files: Sequence[PoliceFile], limit: int) -> Iterator[list[PoliceFile]]:
    """Consecutive files (month order) up to ``limit`` uncompressed bytes per batch."""
    batch: list[PoliceFile] = []
    size = 0
    for f in files:
        if batch and size + f.size > limit:
            yield batch
            batch, size = [], 0
        batch.append(f)
        size += f.size
    if batch:
        yield batch


def _params(fr_source: str) -> dict:
    return {"source_id": fr_source, "crime_types": list(CRIME_TYPES),
            "r_malformed": REASONS["malformed"], "r_non_numeric": REASONS["non_numeric"],
            "r_no_coords": REASONS["no_coords"], "r_bad_coords": REASONS["bad_coords"],
            "r_bad_month": REASONS["bad_month"], "r_unknown_type": REASONS["unknown_type"],
            "r_outside": REASONS["outside"], "r_duplicate": REASONS["duplicate"]}


def load_files(con: duckdb.DuckDBPyConnection, files: Sequence[PoliceFile],
               reports: Sequence[CrimeFileReport], batch_bytes: int = BATCH_BYTES) -> None:
    """Load ``files`` (in batches, see the module docstring), appending to the crime tables.

    Every header is checked first, so a structurally wrong file fails before anything is
    loaded. ``reports[i]`` is filled for ``files[i]``.

    Raises
    ------
    needsmap.ingest.report.InputError
        A file whose header is wrong or that cannot be read at all, named.
    """
    variants = [check_header(pf) for pf in files]
    if not files:
        return
    start = int(run_sql(con, "crime_next_file_id").fetchone()[0]) + 1
    by_label = {pf.label: i for i, pf in enumerate(files)}
    # the LSOA polygons are parsed and prepared (GEOS, without the GIL) on a second
    # connection while DuckDB reads the first batch
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="needsmap-crime-polygons")
    warm = pool.submit(_warm_polygons, con.cursor())
    run_sql(con, "crime_kept_start")
    kept_tables: list[str] = []
    with pool, mounted(con, files) as duck:
        for batch in _batches(files, batch_bytes):
            idx = [by_label[pf.label] for pf in batch]
            con.register("_crime_files_df", pa.table({
                "file_idx": pa.array(idx, pa.int64()),
                "file_pos": pa.array(range(len(batch)), pa.int32()),
                "label": [pf.label for pf in batch],
                "duck_path": [duck[pf.label] for pf in batch],
                "file_id": pa.array([start + i for i in idx], pa.int64()),
                "force": [pf.force for pf in batch], "month": [pf.month for pf in batch]}))
            con.execute("CREATE OR REPLACE TEMP TABLE _crime_files AS "
                        "SELECT * FROM _crime_files_df")
            con.unregister("_crime_files_df")
            read_batch(con, batch, duck)
            warm.result()
            assign_new_points(con)
            lsoa_place(con)  # English and (issue 21) Welsh LSOAs with their ward and LAD
            run_sql(con, "crime_batch", _params(reports[idx[0]].source_id))
            rows = run_sql(con, "crime_batch_counts").fetchall()
            _record(con, [files[i] for i in idx], [reports[i] for i in idx],
                    [variants[i] for i in idx], [start + i for i in idx], rows)
            kept_tables.append(f"_crime_cls_{len(kept_tables)}")
            con.execute(f"ALTER TABLE _crime_cls RENAME TO {ident(kept_tables[-1])}")
            con.execute("INSERT INTO _crime_files_all SELECT file_idx, file_id, force "
                        "FROM _crime_files")
    # the union of the batches' classified rows (table names made here, not from input)
    con.execute("CREATE OR REPLACE TEMP VIEW _crime_cls_all AS "
                + " UNION ALL ".join(f"SELECT * FROM {ident(t)}" for t in kept_tables))
    empty = run_sql(con, "crime_point_empty").fetchone()[0]
    run_sql(con, "crime_kept_write", {"empty": bool(empty)})
    con.execute("DROP VIEW _crime_cls_all")
    for tbl in kept_tables:
        con.execute(f"DROP TABLE {ident(tbl)}")
    run_sql(con, "crime_cleanup")


def _warm_polygons(cur: duckdb.DuckDBPyConnection) -> None:
    try:
        lsoa_polygons(cur)
    finally:
        cur.close()


def _record(con: duckdb.DuckDBPyConnection, files: list[PoliceFile],
            reports: list[CrimeFileReport], variants: list[str], ids: list[int],
            rows: list[tuple]) -> None:
    """Fill each file's report from the batch counts and write its ``crime_file`` row."""
    out = []
    for pf, fr, variant, file_id, (_i, read, kept, agree, checked, reasons) in zip(
            files, reports, variants, ids, rows, strict=True):
        reasons = {str(k): int(v) for k, v in (reasons or {}).items()}
        fr.rows_read, fr.rows_kept = int(read), int(kept)
        fr.sql_rejected = int(sum(reasons.values()))
        fr.reasons = reasons
        notes = []
        if pf.compression != "none":
            notes.append("read in the zip" if pf.compression == "zip" else "read gzipped")
        if variant == "snake_case":
            notes.append("snake_case header variant accepted (same 12 police.uk columns)")
        if reasons:
            notes.append("rejected: " + ", ".join(f"{LABELS[k]} {v}" for k, v in reasons.items()))
        if checked:
            notes.append(f"own LSOA code agrees with point-in-polygon LSOA 2021 for "
                         f"{agree}/{checked} kept rows ({100 * agree / checked:.1f}%)")
        fr.note = "; ".join(notes)
        if fr.rows_read != fr.rows_kept + fr.rows_rejected:  # pragma: no cover - invariant
            raise AssertionError(f"{fr.file}: read {fr.rows_read} != kept {fr.rows_kept} + "
                                 f"rejected {fr.rows_rejected}")
        out.append((file_id, fr.file, pf.force, pf.month, variant, fr.rows_read, fr.rows_kept,
                    fr.rows_rejected, int(agree), int(checked), fr.note))
    cols = list(zip(*out, strict=True))
    run_sql(con, "crime_file_insert", {f"c{i}": list(c) for i, c in enumerate(cols)})


def load_file(con: duckdb.DuckDBPyConnection, pf: PoliceFile, fr: CrimeFileReport,
              file_id: int | None = None) -> None:
    """Load one file (a batch of one); ``file_id`` is kept for compatibility (ids follow
    the store's ``crime_file``)."""
    load_files(con, [pf], [fr])


__all__ = ["BATCH_BYTES", "assign_new_points", "ensure_tables", "load_file", "load_files"]
