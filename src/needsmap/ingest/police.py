"""Load police.uk street-level crime files into the store.

Each official monthly file ``YYYY-MM-<force>-street.csv`` has 12 columns
(:data:`STANDARD_COLUMNS`). Some re-published copies (the Essex files in the
mirror) carry the same 12 columns in snake_case (:data:`SNAKE_COLUMNS`); that
variant is accepted explicitly and recorded in the file's load-report note. Any
other header is a structural error (:class:`~needsmap.ingest.report.InputError`).

A file is read by DuckDB's ``read_csv`` in strict mode with
``store_rejects``: rows with the wrong number of fields (a truncated file),
bad quoting or non-numeric coordinates are captured with their line number and
column, never read row by row in Python. The remaining rows are validated and
assigned in SQL (``queries/crime_file.sql``, ``queries/crime_assign.sql``):

1. no coordinates -> rejected; coordinates outside WGS84 ranges -> rejected;
   ``Month`` not ``YYYY-MM`` -> rejected;
2. a crime type outside the police.uk list (:data:`CRIME_TYPES`) -> rejected;
3. point-in-polygon in EPSG:27700 against the store's ``lsoa`` table (England,
   LSOA 2021). police.uk points are anonymised to a fixed set of snap points, so
   the distinct coordinates of all files are collected in one streaming pass
   (:func:`prepass`) and assigned once (:func:`assign_new_points`), cached in
   ``crime_snap``; rows join back to the cache. Points in no English LSOA are
   rejected (e.g. Gwent's Welsh points);
4. a non-blank Crime ID already kept (earlier in the file or in an earlier
   file) -> rejected as a duplicate. Blank IDs are normal for anti-social
   behaviour and are never duplicates.

Kept rows go to ``crime_point``; every rejected row goes to ``rejected_rows``
by SQL (``INSERT ... SELECT``), so millions of rejects cost no Python objects.
The file's :class:`CrimeFileReport` carries the counts, so the load report
balances: ``rows_read == rows_kept + rows_rejected``.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import shapely

from needsmap.crs import bng_from_lonlat
from needsmap.ingest.report import FileReport, InputError
from needsmap.sources.resolve import sha256_file
from needsmap.sql import run_sql

#: Source id used in the load report for every police.uk file.
SOURCE_ID = "police_uk"

#: The official police.uk street-level header.
STANDARD_COLUMNS: tuple[str, ...] = (
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
)
#: The snake_case variant seen in the Essex files (same columns, same order).
SNAKE_COLUMNS: tuple[str, ...] = tuple(c.lower().replace(" ", "_") for c in STANDARD_COLUMNS)

#: Controlled list of police.uk street-level crime types (data.police.uk "About":
#: the 14 categories used since May 2013, plus the two pre-2013 categories that
#: were later split, so older files also load).
CRIME_TYPES: tuple[str, ...] = (
    "Anti-social behaviour", "Bicycle theft", "Burglary", "Criminal damage and arson",
    "Drugs", "Other crime", "Other theft", "Possession of weapons", "Public order",
    "Robbery", "Shoplifting", "Theft from the person", "Vehicle crime",
    "Violence and sexual offences",
    # pre-May 2013 categories
    "Violent crime", "Public disorder and weapons",
)

#: File name pattern: ``YYYY-MM-<force>-street.csv``.
FILE_RE = re.compile(r"^(\d{4})-(\d{2})-([a-z0-9][a-z0-9-]*?)-street\.csv$")

#: Reject reasons (the ``reason`` column of ``rejected_rows``).
REASONS = {
    "malformed": "malformed row (wrong number of fields or bad quoting; e.g. a truncated file)",
    "non_numeric": "non-numeric coordinate",
    "no_coords": "no coordinates",
    "bad_coords": "coordinates outside the valid longitude/latitude range",
    "bad_month": "Month is not YYYY-MM",
    "unknown_type": "unknown crime type (not a police.uk category)",
    "outside": "point outside the loaded boundaries (not in any English LSOA 2021)",
    "duplicate": "duplicate Crime ID (already kept from an earlier row or file)",
}

#: Short labels for the load-report note.
LABELS = {
    "malformed": "malformed/truncated rows", "non_numeric": "non-numeric coordinates",
    "no_coords": "no coordinates", "bad_coords": "invalid coordinates",
    "bad_month": "bad Month", "unknown_type": "unknown crime type",
    "outside": "outside England (no English LSOA 2021)", "duplicate": "duplicate Crime ID",
}

_TYPES = {c: "VARCHAR" for c in STANDARD_COLUMNS} | {"Longitude": "DOUBLE", "Latitude": "DOUBLE"}


@dataclass(frozen=True)
class PoliceFile:
    """One monthly police.uk file to load."""

    path: Path
    month: str  # YYYY-MM
    force: str  # slug from the file name, e.g. "lancashire"


@dataclass
class CrimeFileReport(FileReport):
    """A :class:`FileReport` whose rejected rows were written to ``rejected_rows`` by SQL.

    ``rows_rejected`` counts both the (usually empty) Python list and
    ``sql_rejected``; ``reasons`` holds the count per reason key (:data:`REASONS`).
    """

    sql_rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def rows_rejected(self) -> int:  # type: ignore[override]
        return len(self.rejected) + self.sql_rejected


# -- finding files --------------------------------------------------------------------------

def parse_name(path: Path) -> tuple[str, str]:
    """Return ``(month, force)`` from a ``YYYY-MM-<force>-street.csv`` name.

    Raises
    ------
    InputError
        If the name does not follow the police.uk pattern or the month is invalid.
    """
    m = FILE_RE.match(path.name)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise InputError(str(path), "file name is not a police.uk street-level file "
                         "(expected YYYY-MM-<force>-street.csv)")
    return f"{m.group(1)}-{m.group(2)}", m.group(3)


def discover(paths: Iterable[str | Path]) -> list[PoliceFile]:
    """Expand files and directories into police.uk files, sorted by month then force.

    Directories are searched recursively for ``*-street.csv``. The same file
    given twice is loaded once; two different files for the same force and
    month are an error (their anti-social behaviour rows, which have no Crime ID,
    would be double counted).
    """
    found: dict[Path, PoliceFile] = {}
    for p in paths:
        p = Path(p).expanduser()
        if p.is_dir():
            members = sorted(q for q in p.rglob("*-street.csv") if q.is_file())
            if not members:
                raise InputError(str(p), "no police.uk *-street.csv files in this directory")
        elif p.is_file():
            members = [p]
        else:
            raise InputError(str(p), "no such file or directory")
        for q in members:
            month, force = parse_name(q)
            found.setdefault(q.resolve(), PoliceFile(q, month, force))
    by_key: dict[tuple[str, str], PoliceFile] = {}
    for pf in found.values():
        other = by_key.get((pf.month, pf.force))
        if other is not None:
            raise InputError(str(pf.path), f"a second file for {pf.force} {pf.month} "
                             f"(also {other.path}); give one file per force and month")
        by_key[(pf.month, pf.force)] = pf
    return [by_key[k] for k in sorted(by_key)]


#: SHA-256 of a file (recorded in the ``source`` table for user-supplied files).
sha256_of = sha256_file


# -- header ---------------------------------------------------------------------------------

def check_header(path: Path) -> str:
    """Check the header line and return the variant: ``"standard"`` or ``"snake_case"``.

    Raises
    ------
    InputError
        Naming the file, row 1 and the first column that differs, if the header is
        neither the official one nor the snake_case variant, or the file is empty.
    """
    name = str(path)
    with open(path, "rb") as fh:
        head = fh.read(65536)
    if not head.strip():
        raise InputError(name, "file is empty (no header row)", row=1)
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8):]
    first = head.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(name, f"header is not valid UTF-8 ({exc.reason})", row=1) from exc
    got = tuple(f.strip() for f in next(csv.reader(io.StringIO(text)), []))
    if got == STANDARD_COLUMNS:
        return "standard"
    if got == SNAKE_COLUMNS:
        return "snake_case"
    expected = SNAKE_COLUMNS if got and got[0] == SNAKE_COLUMNS[0] else STANDARD_COLUMNS
    for i in range(max(len(got), len(expected))):
        g = got[i] if i < len(got) else None
        e = expected[i] if i < len(expected) else None
        if g != e:
            what = (f"found {g!r} where {e!r} was expected" if g is not None and e is not None
                    else f"missing column {e!r}" if g is None else f"unexpected extra column {g!r}")
            raise InputError(
                name, f"header is not the police.uk street-level header: column {i + 1}: {what}. "
                f"Expected: {','.join(STANDARD_COLUMNS)} (or the snake_case variant)",
                row=1, column=g if g is not None else e)
    raise AssertionError("unreachable")  # pragma: no cover


# -- store tables ---------------------------------------------------------------------------

def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``crime_point``, ``crime_file``, ``crime_snap`` and the report tables if absent."""
    run_sql(con, "crime_schema")


def load_lsoa11_lookup(con: duckdb.DuckDBPyConnection, path: Path | None) -> bool:
    """Load the LSOA 2011 -> 2021 lookup (for the agreement check) into ``_crime_lsoa11``."""
    con.execute("CREATE OR REPLACE TEMP TABLE _crime_lsoa11 (lsoa11 VARCHAR, lsoa21 VARCHAR)")
    if path is None:
        return False
    con.execute(
        "INSERT INTO _crime_lsoa11 SELECT DISTINCT LSOA11CD, LSOA21CD FROM read_csv($p, header=true, "
        "columns={'LSOA11CD':'VARCHAR','LSOA11NM':'VARCHAR','LSOA21CD':'VARCHAR','LSOA21NM':'VARCHAR',"
        "'CHGIND':'VARCHAR','LAD22CD':'VARCHAR','LAD22NM':'VARCHAR'}, auto_detect=false, quote='\"')",
        {"p": str(path)})
    return True


# -- point-in-polygon -------------------------------------------------------------------------

def _lsoa_polygons(con: duckdb.DuckDBPyConnection) -> tuple[np.ndarray, np.ndarray]:
    """The store's LSOA 2021 polygons (EPSG:27700, shapely) and their codes, cached per store."""
    key = (id(con), con.execute("SELECT count(*), min(lsoa_code), max(lsoa_code) FROM lsoa").fetchone())
    hit = _TREE_CACHE.get(key[0])
    if hit is not None and hit[0] == key[1]:
        return hit[1], hit[2]
    tb = con.execute("SELECT lsoa_code, ST_AsWKB(geom) AS wkb FROM lsoa ORDER BY lsoa_code").to_arrow_table()
    codes = np.asarray(tb.column("lsoa_code").to_pylist(), dtype=object)
    polys = shapely.from_wkb(tb.column("wkb").combine_chunks().to_numpy(zero_copy_only=False))
    shapely.prepare(polys)
    _TREE_CACHE.clear()
    _TREE_CACHE[key[0]] = (key[1], polys, codes)
    return polys, codes


_TREE_CACHE: dict[int, tuple] = {}


def assign_new_points(con: duckdb.DuckDBPyConnection) -> int:
    """Assign the coordinates of ``_crime_raw`` that are not yet in ``crime_snap``.

    The distinct new coordinates are found in SQL (``queries/crime_assign_new.sql``),
    transformed to EPSG:27700 with pyproj in one vectorised call, and located in the
    ``lsoa`` polygons with shapely: an STRtree over the points, queried with the
    prepared LSOA polygons (``tree.query(polygons, predicate="contains")``, vectorised
    in GEOS). Preparing the 33,755 polygons rather than the points is what makes it
    fast: we measured DuckDB's spatial join at about 3.5 us per distinct point, a
    point-side STRtree ``within`` query at 2.4 us and this at about 1 us, and the
    issue's speed target needs the last (docs/decisions.md). A point on a shared boundary or
    in an overlap of the generalised polygons takes the smallest LSOA code; a point in
    no English LSOA is kept with a NULL code. The rows are cached in ``crime_snap``
    (``queries/crime_assign.sql``) and every later row joins back to the cache in SQL.
    Returns the number of new coordinates.
    """
    run_sql(con, "crime_assign_new")
    xy = con.execute("SELECT lon, lat FROM _crime_new").fetchnumpy()
    lon = np.asarray(xy["lon"], dtype="float64")
    lat = np.asarray(xy["lat"], dtype="float64")
    if not len(lon):
        return 0  # every coordinate already cached
    x, y = bng_from_lonlat(lon, lat)
    polys, codes = _lsoa_polygons(con)
    ipoly, ipt = shapely.STRtree(shapely.points(x, y)).query(polys, predicate="contains")
    idx = np.full(len(lon), -1, dtype=np.int64)
    if len(ipt):
        # smallest code per point: polygons are in code order, so sort by (point, polygon
        # index) and keep each point's first hit
        order = np.lexsort((ipoly, ipt))
        ipt_s, ipoly_s = ipt[order], ipoly[order]
        first = np.r_[True, ipt_s[1:] != ipt_s[:-1]]
        idx[ipt_s[first]] = ipoly_s[first]
    code = pd.Categorical.from_codes(idx, categories=pd.Index(codes, dtype=object))
    con.register("_crime_new_df", pd.DataFrame({"lon": lon, "lat": lat, "x": x, "y": y,
                                                "lsoa_code": code}))
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _crime_new_xy AS SELECT lon, lat, x, y, "
                    "lsoa_code::VARCHAR AS lsoa_code FROM _crime_new_df")
    finally:
        con.unregister("_crime_new_df")
    run_sql(con, "crime_assign")
    return len(lon)


# -- one file -------------------------------------------------------------------------------

def _read(con: duckdb.DuckDBPyConnection, pf: PoliceFile) -> None:
    """Read ``pf`` into ``_crime_read`` (kept by the reader) and ``_crime_rej`` (rejects)."""
    for t in ("_crime_rej", "_crime_scan", "_crime_read"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    try:
        con.execute(
            "CREATE TEMP TABLE _crime_read AS SELECT * FROM read_csv($path, header=true, "
            "columns=$cols, auto_detect=false, delim=',', quote='\"', escape='\"', "
            "strict_mode=true, store_rejects=true, rejects_table='_crime_rej', "
            "rejects_scan='_crime_scan', max_line_size=1048576)",
            {"path": str(pf.path), "cols": _TYPES})
    except duckdb.Error as exc:
        msg = str(exc).splitlines()[0]
        m = re.search(r"[Ll]ine:?\s*(\d+)", str(exc))
        raise InputError(str(pf.path), f"cannot be read as a police.uk CSV: {msg}",
                         row=int(m.group(1)) - 1 if m else None) from exc


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
    _read(con, pf)
    params = {"source_id": fr.source_id, "file": fr.file, "file_id": file_id,
              "force": pf.force, "file_month": pf.month, "crime_types": list(CRIME_TYPES),
              "r_malformed": REASONS["malformed"], "r_non_numeric": REASONS["non_numeric"],
              "r_no_coords": REASONS["no_coords"], "r_bad_coords": REASONS["bad_coords"],
              "r_bad_month": REASONS["bad_month"], "r_unknown_type": REASONS["unknown_type"],
              "r_outside": REASONS["outside"], "r_duplicate": REASONS["duplicate"]}
    run_sql(con, "crime_file_prepare", params)
    assign_new_points(con)
    run_sql(con, "crime_file", params)
    read, kept = con.execute(
        "SELECT (SELECT count(*) FROM _crime_raw) + (SELECT count(*) FROM _crime_bad), "
        "(SELECT count(*) FROM _crime_keep)").fetchone()
    reasons = dict(con.execute(
        "SELECT reason_key, count(*) FROM _crime_rejects GROUP BY reason_key ORDER BY 2 DESC, 1"
    ).fetchall())
    agree = con.execute(
        "SELECT count(*) FILTER (WHERE lsoa_agrees), count(lsoa_agrees) FROM _crime_keep"
    ).fetchone()
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
    con.execute(
        "INSERT INTO crime_file VALUES ($file_id, $file, $force, $month, $variant, $read, $kept, "
        "$rej, $agree, $agree_n, $note)",
        {"file_id": file_id, "file": fr.file, "force": pf.force, "month": pf.month,
         "variant": variant, "read": fr.rows_read, "kept": fr.rows_kept,
         "rej": fr.rows_rejected, "agree": int(agree[0]), "agree_n": int(agree[1]),
         "note": fr.note})
    if fr.rows_read != fr.rows_kept + fr.rows_rejected:  # pragma: no cover - invariant
        raise AssertionError(f"{fr.file}: read {fr.rows_read} != kept {fr.rows_kept} + "
                             f"rejected {fr.rows_rejected}")


def prepass(con: duckdb.DuckDBPyConnection, files: Sequence[PoliceFile]) -> int:
    """Assign the distinct coordinates of all ``files`` at once (``queries/crime_prepass.sql``).

    One streaming read of the coordinate columns and one spatial join, instead of one
    join per file. Returns the number of new coordinates, or -1 if some file could not
    be read this way (the per-file pass then reports it with its file and row).
    """
    if not files:
        return 0
    for t in ("_crime_pre_rej", "_crime_pre_scan"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    try:
        run_sql(con, "crime_prepass", {"paths": [str(f.path) for f in files], "cols": _TYPES})
    except duckdb.Error:
        return -1
    n = assign_new_points(con)
    for t in ("_crime_pre_rej", "_crime_pre_scan", "_crime_raw"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
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
    start = con.execute("SELECT coalesce(max(file_id), 0) FROM crime_file").fetchone()[0]
    for i, (pf, fr) in enumerate(zip(files, reports, strict=True), start=int(start) + 1):
        load_file(con, pf, fr, i)
    for t in ("_crime_rej", "_crime_scan", "_crime_read", "_crime_raw", "_crime_bad",
              "_crime_keep", "_crime_rejects", "_crime_cls", "_crime_new", "_crime_new_xy"):
        con.execute(f"DROP TABLE IF EXISTS {t}")


__all__ = ["CRIME_TYPES", "assign_new_points", "prepass", "CrimeFileReport", "PoliceFile", "REASONS", "SNAKE_COLUMNS",
           "SOURCE_ID", "STANDARD_COLUMNS", "check_header", "discover", "ensure_tables",
           "load_file", "load_files", "load_lsoa11_lookup", "parse_name"]
