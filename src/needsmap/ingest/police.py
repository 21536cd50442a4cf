"""Read police.uk street-level crime files: find them, check them, read and validate rows.

Each official monthly file ``YYYY-MM-<force>-street.csv`` has 12 columns
(:data:`STANDARD_COLUMNS`). Some re-published copies (the Essex files in the
mirror) carry the same 12 columns in snake_case (:data:`SNAKE_COLUMNS`); that
variant is accepted explicitly and recorded in the file's load-report note. Any
other header is a structural error (:class:`~needsmap.ingest.report.InputError`).

**Where files come from** (:func:`scan`): a file; a month folder or a tree of them;
a gzipped file (``YYYY-MM-<force>-street.csv.gz``); or a zip, such as police.uk's
monthly archive (``YYYY-MM.zip`` / ``latest.zip``, members
``YYYY-MM/YYYY-MM-<force>-street.csv``), read straight from the zip without unpacking
it. An archive holds 36 months of every force: the :data:`ARCHIVE_MONTHS` latest
months of each force are read (the crime figures use 12). Every other file met in a
folder or zip (outcomes and stop-and-search files, older archive months, files of
another kind or compression) is **listed, not read, with the reason**
(:class:`Skipped`), and the build writes each to the load report.

**Reading** (:func:`read_batch`): DuckDB's ``read_csv`` in strict mode with
``store_rejects``, over many files at once (zip members through an fsspec zip
filesystem registered on the connection, gzip natively): rows with the wrong number
of fields (a truncated file), bad quoting or non-numeric coordinates are captured
with their file, line and column, never read row by row in Python.
``queries/crime_batch_prepare.sql`` numbers every kept row by its data row in its
file. The row rules, placing each record in its LSOA, the duplicate Crime ID rule
and the store tables are the crime stage's (``crime/load.py``).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import itertools
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import duckdb

from needsmap.ingest.report import FileReport, InputError
from needsmap.sql import run_sql

#: Source id used in the load report for every police.uk file.
SOURCE_ID = "police_uk"

#: Months of each force read from an archive (the crime figures use a 12-month window).
ARCHIVE_MONTHS = 12

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
#: The other police.uk file types (not read: street-level crime only).
OTHER_RE = re.compile(r"^\d{4}-\d{2}-[a-z0-9-]+-(outcomes|stop-and-search)\.csv(\.gz)?$")

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
    """One monthly police.uk street-level file to load.

    ``path`` is the file on disk: the CSV, the ``.csv.gz``, or the zip that holds it
    (then ``member`` is its name inside the zip).
    """

    path: Path
    month: str  # YYYY-MM
    force: str  # slug from the file name, e.g. "lancashire"
    member: str | None = None
    size: int = 0  # uncompressed bytes, where known (for batching)

    @property
    def label(self) -> str:
        """How the file is named in the load report: the path, or ``<zip>:<member>``."""
        return f"{self.path}:{self.member}" if self.member else str(self.path)

    @property
    def name(self) -> str:
        """The street-level file name (``YYYY-MM-<force>-street.csv``)."""
        base = Path(self.member).name if self.member else self.path.name
        return base[:-3] if base.endswith(".gz") else base

    @property
    def compression(self) -> str:
        """``none``, ``gzip`` or ``zip``."""
        if self.member:
            return "zip"
        return "gzip" if self.path.name.lower().endswith(".gz") else "none"

    def open(self) -> IO[bytes]:
        """The file's bytes, uncompressed (for the header check)."""
        if self.member:
            zf = zipfile.ZipFile(self.path)
            return zf.open(self.member)
        if self.compression == "gzip":
            return gzip.open(self.path, "rb")
        return open(self.path, "rb")


@dataclass(frozen=True)
class Skipped:
    """A file met in a folder or zip that is not read, and why."""

    file: str
    reason: str


@dataclass
class Discovery:
    """What :func:`scan` found: the files to read, and every other file with its reason."""

    files: list[PoliceFile] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


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

def parse_name(path: Path | str) -> tuple[str, str]:
    """Return ``(month, force)`` from a ``YYYY-MM-<force>-street.csv`` name.

    Raises
    ------
    InputError
        If the name does not follow the police.uk pattern or the month is invalid.
    """
    name = Path(path).name
    if name.lower().endswith(".gz"):
        name = name[:-3]
    m = FILE_RE.match(name)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise InputError(str(path), "file name is not a police.uk street-level file "
                         "(expected YYYY-MM-<force>-street.csv)")
    return f"{m.group(1)}-{m.group(2)}", m.group(3)


def _street(name: str) -> tuple[str, str] | None:
    """``(month, force)`` if ``name`` is a street-level file name (``.csv`` or ``.csv.gz``)."""
    base = name[:-3] if name.lower().endswith(".gz") else name
    m = FILE_RE.match(base)
    if m and 1 <= int(m.group(2)) <= 12:
        return f"{m.group(1)}-{m.group(2)}", m.group(3)
    return None


def why_not(name: str) -> str:
    """The reason a file met in a police.uk folder or zip is not read."""
    low = name.lower()
    m = OTHER_RE.match(Path(name).name)
    if m:
        return (f"police.uk {m.group(1)} file: only street-level crime files "
                "(YYYY-MM-<force>-street.csv) are read")
    for ext, what in ((".bz2", "bzip2"), (".xz", "xz"), (".7z", "7-Zip"), (".rar", "RAR"),
                      (".zst", "zstd"), (".tar", "tar"), (".tgz", "tar.gz")):
        if low.endswith(ext):
            return (f"compressed as {what}, which is not read: unpack it, or compress it as "
                    ".csv.gz or .zip")
    if low.endswith((".csv", ".csv.gz")):
        return ("name is not YYYY-MM-<force>-street.csv (police.uk's street-level name): "
                "rename it if it is one")
    return ("not a police.uk street-level file (expected YYYY-MM-<force>-street.csv, "
            "a .csv.gz of one, or a .zip of them)")


def _zip_members(path: Path, out: Discovery, months: int | None) -> list[PoliceFile]:
    """Street-level members of a zip; every other member goes to ``out.skipped``."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(str(path), f"not a readable zip archive ({exc})") from exc
    found: list[PoliceFile] = []
    with zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            label = f"{path}:{info.filename}"
            mf = _street(Path(info.filename).name)
            if mf is None:
                out.skipped.append(Skipped(label, why_not(info.filename)))
            elif info.filename.lower().endswith(".gz"):
                out.skipped.append(Skipped(label, "a .gz inside a zip is not read: put the "
                                                  ".csv itself in the zip"))
            elif info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                out.skipped.append(Skipped(label, f"zip compression method {info.compress_type}"
                                                  " is not read (only stored and deflate)"))
            else:
                found.append(PoliceFile(path, mf[0], mf[1], info.filename, info.file_size))
    if months and found:
        last: dict[str, str] = {}
        for pf in found:
            last[pf.force] = max(last.get(pf.force, ""), pf.month)
        keep = []
        for pf in found:
            y, m = map(int, last[pf.force].split("-"))
            first_i = y * 12 + m - 1 - (months - 1)
            first = f"{first_i // 12:04d}-{first_i % 12 + 1:02d}"
            if pf.month >= first:
                keep.append(pf)
            else:
                out.skipped.append(Skipped(pf.label, f"older than the {months} latest months of "
                                           f"{pf.force} in this archive ({first} to "
                                           f"{last[pf.force]} are read)"))
        found = keep
    return found


def _classify(q: Path, out: Discovery, months: int | None) -> list[PoliceFile]:
    if q.suffix.lower() == ".zip":
        return _zip_members(q, out, months)
    mf = _street(q.name)
    if mf is None:
        out.skipped.append(Skipped(str(q), why_not(q.name)))
        return []
    size = q.stat().st_size * (6 if q.name.lower().endswith(".gz") else 1)
    return [PoliceFile(q, mf[0], mf[1], None, size)]


def scan(paths: Iterable[str | Path], archive_months: int | None = ARCHIVE_MONTHS) -> Discovery:
    """Find police.uk street-level files in files, folders and zips (see the module docstring).

    Folders are searched recursively; every file in them is either read or listed in
    ``skipped`` with the reason. A file named explicitly must be a street-level file
    (``.csv`` or ``.csv.gz``) or a zip of them. The same file given twice is loaded
    once; two different files for the same force and month are an error (their
    anti-social behaviour rows, which have no Crime ID, would be double counted).
    Files are returned sorted by month, then force.
    """
    out = Discovery()
    found: dict[str, PoliceFile] = {}
    for p in paths:
        p = Path(p).expanduser()
        if p.is_dir():
            members: list[PoliceFile] = []
            n_skip = len(out.skipped)
            for q in sorted(x for x in p.rglob("*") if x.is_file()):
                members += _classify(q, out, archive_months)
            if not members:
                other = [s.file for s in out.skipped[n_skip:]][:5]
                raise InputError(str(p), "no police.uk street-level files in this directory"
                                 + (f" (found {len(out.skipped) - n_skip} other files, e.g. "
                                    f"{other})" if other else ""))
        elif p.is_file():
            if p.suffix.lower() == ".zip":
                members = _zip_members(p, out, archive_months)
                if not members:
                    raise InputError(str(p), "no police.uk street-level files in this zip")
            else:
                month, force = parse_name(p)
                members = [PoliceFile(p, month, force, None, p.stat().st_size)]
        else:
            raise InputError(str(p), "no such file or directory")
        for pf in members:
            key = f"{pf.path.resolve()}:{pf.member or ''}"
            found.setdefault(key, pf)
    by_key: dict[tuple[str, str], PoliceFile] = {}
    for pf in found.values():
        other = by_key.get((pf.month, pf.force))
        if other is not None:
            raise InputError(pf.label, f"a second file for {pf.force} {pf.month} "
                             f"(also {other.label}); give one file per force and month")
        by_key[(pf.month, pf.force)] = pf
    out.files = [by_key[k] for k in sorted(by_key)]
    return out


def discover(paths: Iterable[str | Path]) -> list[PoliceFile]:
    """The street-level files of :func:`scan` (without the list of files not read)."""
    return scan(paths).files


# -- header ---------------------------------------------------------------------------------

def check_header(path: Path | PoliceFile) -> str:
    """Check the header line and return the variant: ``"standard"`` or ``"snake_case"``.

    ``path`` is a plain file or a :class:`PoliceFile` (gzip or zip member: read
    uncompressed).

    Raises
    ------
    InputError
        Naming the file, row 1 and the first column that differs, if the header is
        neither the official one nor the snake_case variant, or the file is empty.
    """
    pf = path if isinstance(path, PoliceFile) else None
    name = pf.label if pf else str(path)
    try:
        with (pf.open() if pf else open(path, "rb")) as fh:
            head = fh.read(65536)
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise InputError(name, f"cannot be read ({type(exc).__name__}: {exc})") from exc
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

_mount_ids = itertools.count()


@contextmanager
def mounted(con: duckdb.DuckDBPyConnection, files: Sequence[PoliceFile]) -> Iterator[dict[str, str]]:
    """Make every file readable by DuckDB; yield ``label -> path DuckDB reads``.

    Plain and gzipped files are read as they are (DuckDB decompresses ``.gz``). Each zip
    is registered on ``con`` as an fsspec zip filesystem under its own protocol
    (``policezipN://<member>``), so its members are read in the zip, never unpacked to
    disk; the filesystems are unregistered on exit.
    """
    protos: dict[Path, str] = {}
    zips = sorted({f.path for f in files if f.member})
    if zips:
        from fsspec.implementations.zip import ZipFileSystem  # only when there is a zip
    for zp in zips:
        proto = f"policezip{next(_mount_ids)}"
        cls = type(f"_PoliceZip_{proto}", (ZipFileSystem,), {"protocol": proto,
                                                              "cachable": False})
        con.register_filesystem(cls(fo=str(zp)))
        protos[zp] = proto
    try:
        yield {f.label: (f"{protos[f.path]}://{f.member}" if f.member else str(f.path))
               for f in files}
    finally:
        for proto in protos.values():
            try:
                con.unregister_filesystem(proto)
            except duckdb.Error:  # pragma: no cover - already gone
                pass


def read_batch(con: duckdb.DuckDBPyConnection, files: Sequence[PoliceFile],
               duck_paths: dict[str, str]) -> None:
    """Read ``files`` in one pass into ``_crime_read`` and ``_crime_bad``.

    ``_crime_files`` (file_idx, label, duck_path) must list the batch. A file DuckDB
    cannot read at all (a broken quote that runs to the end, a corrupt gzip) fails the
    batch; each file is then read alone to name the one at fault.
    """
    for t in ("_crime_rej", "_crime_scan", "_crime_read"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    paths = [duck_paths[f.label] for f in files]
    try:
        run_sql(con, "crime_batch_read", {"paths": paths, "cols": _TYPES})
    except duckdb.Error as exc:
        for f in files:
            _read_alone(con, f, duck_paths[f.label])
        raise InputError(files[0].label, f"cannot be read as police.uk CSV files: "
                         f"{str(exc).splitlines()[0]}") from exc
    run_sql(con, "crime_batch_prepare")


def _read_alone(con: duckdb.DuckDBPyConnection, f: PoliceFile, duck_path: str) -> None:
    for t in ("_crime_rej1", "_crime_scan1"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    try:
        con.execute("SELECT count(*) FROM read_csv($path, header=true, columns=$cols, "
                    "auto_detect=false, delim=',', quote='\"', escape='\"', strict_mode=true, "
                    "store_rejects=true, rejects_table='_crime_rej1', rejects_scan='_crime_scan1', "
                    "max_line_size=1048576)", {"path": duck_path, "cols": _TYPES})
    except duckdb.Error as exc:
        msg = str(exc).splitlines()[0]
        m = re.search(r"[Ll]ine:?\s*(\d+)", str(exc))
        raise InputError(f.label, f"cannot be read as a police.uk CSV: {msg}",
                         row=int(m.group(1)) - 1 if m else None) from exc


def read_lsoa11_lookup(con: duckdb.DuckDBPyConnection, path: Path | None) -> bool:
    """Load the LSOA 2011 -> 2021 lookup (for the agreement check) into ``_crime_lsoa11``.

    Reads the mirror's CSV or the ONS hub / feature-service CSV (``LSOA11CD``, or
    ``F_LSOA11CD`` in the older service, and ``LSOA21CD``; other columns ignored).
    """
    con.execute("CREATE OR REPLACE TEMP TABLE _crime_lsoa11 (lsoa11 VARCHAR, lsoa21 VARCHAR)")
    if path is None:
        return False
    from needsmap.ingest.csvio import sniff_header
    from needsmap.sql import ident

    header = sniff_header(path)
    l11 = next((c for c in ("LSOA11CD", "F_LSOA11CD") if c in header), None)
    if l11 is None or "LSOA21CD" not in header:
        raise InputError(str(path), f"not an LSOA 2011 -> 2021 lookup: needs LSOA11CD (or "
                         f"F_LSOA11CD) and LSOA21CD; found {header}", row=0)
    con.execute(
        f"INSERT INTO _crime_lsoa11 SELECT DISTINCT {ident(l11)}, LSOA21CD FROM read_csv($p, "
        "header=true, columns=$cols, auto_detect=false, delim=',', quote='\"', escape='\"')",
        {"p": str(path), "cols": {c: "VARCHAR" for c in header}})
    return True


__all__ = ["ARCHIVE_MONTHS", "CRIME_TYPES", "CrimeFileReport", "Discovery", "LABELS",
           "PoliceFile", "REASONS", "SNAKE_COLUMNS", "SOURCE_ID", "STANDARD_COLUMNS", "Skipped",
           "check_header", "discover", "mounted", "parse_name", "read_batch",
           "read_lsoa11_lookup", "scan", "why_not"]
