"""Read police.uk street-level crime files: find them, check them, read and validate rows.

Each official monthly file ``YYYY-MM-<force>-street.csv`` has 12 columns
(:data:`STANDARD_COLUMNS`). Some re-published copies (the Essex files in the
mirror) carry the same 12 columns in snake_case (:data:`SNAKE_COLUMNS`); that
variant is accepted explicitly and recorded in the file's load-report note. Any
other header is a structural error (:class:`~needsmap.ingest.report.InputError`).

:func:`read_file` reads a file with DuckDB's ``read_csv`` in strict mode with
``store_rejects``: rows with the wrong number of fields (a truncated file), bad
quoting or non-numeric coordinates are captured with their line number and column,
never read row by row in Python. ``queries/crime_file_prepare.sql`` then numbers
the rows and applies the row rules: no coordinates, coordinates outside WGS84
ranges, ``Month`` not ``YYYY-MM``, a crime type outside the police.uk list
(:data:`CRIME_TYPES`). Placing each record in its LSOA, the duplicate Crime ID
rule and the store tables are the crime stage's (``crime/load.py``).
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

from needsmap.ingest.report import FileReport, InputError
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
    "outside": "point outside the loaded boundaries (not in any English or Welsh LSOA 2021 of the store)",
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
    first = re.split(rb"\r\n|\n|\r", head, maxsplit=1)[0]  # CR alone: classic Mac line ends
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(name, f"header is not valid UTF-8 ({exc.reason})", row=1) from exc
    try:
        got = tuple(f.strip() for f in next(csv.reader(io.StringIO(text, newline="")), []))
    except csv.Error as exc:
        raise InputError(name, f"header is not readable CSV ({exc})", row=1) from None
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


# -- reading ------------------------------------------------------------------------------

def read_file(con: duckdb.DuckDBPyConnection, pf: PoliceFile, params: dict) -> None:
    """Read ``pf`` into ``_crime_raw`` (numbered rows) and ``_crime_bad`` (structural rejects).

    Then ``queries/crime_file_prepare.sql`` applies the row rules with ``params`` (the
    reasons, the crime types, the file's month and force).
    """
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
    run_sql(con, "crime_file_prepare", params)


def read_coordinates(con: duckdb.DuckDBPyConnection, files: Sequence[PoliceFile]) -> bool:
    """The distinct coordinates of all ``files`` into ``_crime_raw``, in one streaming read.

    Returns false if some file could not be read this way (the per-file pass then
    reports it with its file and row).
    """
    for t in ("_crime_pre_rej", "_crime_pre_scan"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    try:
        run_sql(con, "crime_prepass", {"paths": [str(f.path) for f in files], "cols": _TYPES})
    except duckdb.Error:
        return False
    return True


def read_lsoa11_lookup(con: duckdb.DuckDBPyConnection, path: Path | None) -> bool:
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


__all__ = ["CRIME_TYPES", "CrimeFileReport", "LABELS", "PoliceFile", "REASONS", "SNAKE_COLUMNS",
           "SOURCE_ID", "STANDARD_COLUMNS", "check_header", "discover", "parse_name",
           "read_coordinates", "read_file", "read_lsoa11_lookup"]
