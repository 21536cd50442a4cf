"""The publishers' file layouts: one registry, and the check a publisher's file must pass.

A file from the mirror is checked by its SHA-256 (the catalogue knows the mirror's
bytes). A publisher's file cannot be: it changes with every release. It is checked
by its **layout** instead: the columns (or fields, sheets, zip members) the reader
needs, and, for a download, a plausible number of rows, so that an error page, a
truncated transfer or a file whose columns were renamed is refused with a message
that says what did not match. Layout names are catalogue values (``layout = ...``);
an unknown name is rejected with the valid list.

=========================  ===========  ==============================================
layout                     kind         read by
=========================  ===========  ==============================================
``ons_lsoa21_boundaries``  vector       :mod:`needsmap.ingest.boundaries` (GeoJSON in
                                        EPSG:4326, GeoPackage or zipped Shapefile in
                                        EPSG:27700; the CRS is read from the file)
``ons_wd24_boundaries``    vector       the same
``ons_lookup_lsoa21_wd24`` csv          :mod:`needsmap.ingest.lookup` (hub CSV names)
``iod2025_file7``          csv          :func:`needsmap.ingest.iod.load_file7`
``iod2025_file8``          xlsx         :func:`needsmap.ingest.iod.file8_to_csv`
``gias_edubasealldata``    csv cp1252   :mod:`needsmap.ingest.services.gias`
``gias_childrens_centres`` csv          :mod:`needsmap.ingest.services.national` (the
                                        CSV taken from GIAS's extract zip by
                                        :mod:`needsmap.sources.gias_extract`)
``epraccur``               csv          :mod:`needsmap.ingest.services.epraccur` (the
                                        legacy zip's CSV and the ODS report)
``police_archive``         zip          :mod:`needsmap.ingest.police` (read in the zip)
...                        ...          (see :data:`LAYOUTS`)
=========================  ===========  ==============================================
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


class LayoutMismatch(ValueError):
    """A file does not have the layout the catalogue says it has."""


@dataclass(frozen=True)
class Layout:
    """One publisher file layout.

    Attributes
    ----------
    name
        Registry key (the catalogue's ``layout``).
    kind
        ``csv``, ``vector`` (GeoJSON / GeoPackage / Shapefile), ``xlsx`` or ``zip``.
    reader
        What reads it (for ``needsmap sources`` and the docs).
    columns
        Required columns; each entry is a tuple of accepted spellings (hub and
        feature-service names differ for some lookups). A name ending in ``*`` matches
        by prefix (File 7 has a header cut short by the publisher).
    min_rows
        Fewest data rows (features, members) a complete download has.
    header
        False for headerless CSVs (epraccur), whose width is ``width``.
    sheets
        For ``xlsx``: sheets that must exist.
    members
        For ``zip``: regular expressions at least one member must match (each).
    """

    name: str
    kind: str
    reader: str
    columns: tuple[tuple[str, ...], ...] = ()
    min_rows: int = 1
    header: bool = True
    width: int | None = None
    sheets: tuple[str, ...] = ()
    members: tuple[str, ...] = ()

    def check(self, path: Path, full: bool = False) -> str:
        """Check ``path``; return a one-line description of what was checked.

        With ``full`` (a fresh download) the rows are counted too.

        Raises
        ------
        LayoutMismatch
            Naming the file, the layout and what did not match.
        """
        try:
            return _CHECKS[self.kind](self, Path(path), full)
        except LayoutMismatch:
            raise
        except Exception as exc:  # noqa: BLE001 - any unreadable file is a mismatch
            raise LayoutMismatch(f"{path}: cannot be read as layout {self.name!r} "
                                 f"({type(exc).__name__}: {exc})") from exc


def _c(*names: str) -> tuple[str, ...]:
    return tuple(names)


_LSOA21 = (_c("LSOA21CD", "lsoa21cd"), _c("LSOA21NM", "lsoa21nm"))
_WD24 = (_c("WD24CD", "wd24cd"), _c("WD24NM", "wd24nm"))

#: Every layout, by name.
LAYOUTS: dict[str, Layout] = {lay.name: lay for lay in (
    Layout("ons_lsoa21_boundaries", "vector", "needsmap.ingest.boundaries.read_features",
           _LSOA21, min_rows=35_000),
    Layout("ons_wd24_boundaries", "vector", "needsmap.ingest.boundaries.read_features", _WD24),
    # no row floor: a ward file that does not cover England is read and every row rejected
    # with the reason by the areas stage (never mixed with another product)
    Layout("ons_wd24_uk_boundaries", "vector", "needsmap.ingest.boundaries.read_wards",
           (*_WD24, _c("LAD24CD"), _c("LAD24NM"))),
    Layout("ons_wd22_boundaries", "vector", "(not read by the build)",
           (_c("WD22CD"), _c("WD22NM")), min_rows=8_000),
    Layout("ons_lad24_boundaries", "vector", "(not read by the build)",
           (_c("LAD24CD"), _c("LAD24NM")), min_rows=300),
    Layout("ons_lookup_lsoa21_wd24", "csv", "needsmap.ingest.lookup.load_lookup",
           (_c("LSOA21CD"), _c("LSOA21NM"), _c("WD24CD"), _c("WD24NM"), _c("LAD24CD"),
            _c("LAD24NM")), min_rows=35_000),
    Layout("ons_lookup_lsoa11_lsoa21", "csv", "needsmap.ingest.cilif.load_lsoa11_lsoa21",
           (_c("LSOA11CD", "F_LSOA11CD"), _c("LSOA21CD"), _c("CHGIND")), min_rows=35_000),
    Layout("ons_lookup_oa11_msoa11", "csv", "needsmap.ingest.cilif.load_msoa_lookup",
           (_c("LSOA11CD"), _c("LSOA11NM"), _c("MSOA11CD"), _c("MSOA11NM")), min_rows=34_000),
    Layout("iod2025_file7", "csv", "needsmap.ingest.iod.load_file7",
           (_c("LSOA code (2021)"), _c("Index of Multiple Deprivation (IMD) Score"),
            _c("Income Score (rate)"),
            _c("Income Deprivation Affecting Children Index (IDACI) Score (rate)"),
            _c("Total population: mid 2022"), _c("Dependent Children aged 0-15: mid 2022")),
           min_rows=33_000),
    Layout("iod2025_file8", "xlsx", "needsmap.ingest.iod.file8_to_csv",
           sheets=("IoD25 Income Domain",), min_rows=33_000,
           columns=(_c("LSOA code (2021)"),
                    _c("Income Deprivation Affecting Children Index (IDACI) numerator"))),
    Layout("iod2025_file5", "csv", "needsmap.ingest.iod.load_idaci_official",
           (_c("LSOA code (2021)"),
            _c("Income Deprivation Affecting Children Index (IDACI) Score (rate)")),
           min_rows=33_000),
    Layout("iod2025_file10", "xlsx", "(not read by the build)", sheets=("IMD",)),
    Layout("statxplore_cilif_msoa", "csv", "needsmap.ingest.cilif.load_cilif_msoa",
           (_c("Year"),)),
    Layout("gias_edubasealldata", "csv", "needsmap.ingest.services.gias.read_gias",
           (_c("URN"), _c("EstablishmentName"), _c("EstablishmentStatus (name)"),
            _c("TypeOfEstablishment (name)"), _c("EstablishmentTypeGroup (name)"),
            _c("PhaseOfEducation (name)"), _c("Easting"), _c("Northing")), min_rows=20_000),
    Layout("gias_childrens_centres", "csv",
           "needsmap.ingest.services.national.read_gias_childrens_centres",
           (_c("EstablishmentName"), _c("EstablishmentStatus (name)"),
            _c("TypeOfEstablishment (name)"), _c("Postcode")), min_rows=50),
    Layout("dfe_family_hubs", "csv", "needsmap.ingest.services.national.read_family_hubs",
           (_c("Family_Hub", "Family hub", "Family Hub"), _c("Postcode")), min_rows=50),
    Layout("epraccur", "csv", "needsmap.ingest.services.epraccur.read_epraccur",
           header=False, width=27, min_rows=5_000),
    Layout("libraries_hacked", "csv", "needsmap.ingest.services.libraries.read_libraries",
           (_c("Local authority"), _c("Library name"), _c("Postcode"), _c("Type of library"),
            _c("Year closed")), min_rows=1_000),
    Layout("codepoint_open", "zip", "needsmap.ingest.codepoint.load_codepoint",
           members=(r"Data/CSV/[a-z]+\.csv", r"Doc/Code-Point_Open_Column_Headers\.csv"),
           min_rows=100),
    Layout("police_archive", "zip", "needsmap.ingest.police (read in the zip)",
           members=(r"(?:.*/)?\d{4}-\d{2}/\d{4}-\d{2}-[a-z0-9-]+-street\.csv",), min_rows=1),
    Layout("police_street_csv", "csv", "needsmap.ingest.police.read_files",
           (_c("Crime ID", "crime_id"), _c("Longitude", "longitude"), _c("Latitude", "latitude"),
            _c("Crime type", "crime_type"))),
)}


def get_layout(name: str) -> Layout:
    """The layout ``name``; unknown names are rejected with the valid list."""
    try:
        return LAYOUTS[name]
    except KeyError:
        raise KeyError(f"unknown layout {name!r}; valid layouts: {', '.join(LAYOUTS)}") from None


# ------------------------------------------------------------------------------ checks
def _match(found: Sequence[str], wanted: tuple[tuple[str, ...], ...]) -> list[str]:
    """Required columns not found (by any accepted spelling; ``*`` = prefix)."""
    have = [f.strip().lstrip("\ufeff") for f in found]
    missing = []
    for alts in wanted:
        ok = False
        for a in alts:
            if a.endswith("*"):
                ok = any(h.startswith(a[:-1]) for h in have)
            else:
                ok = a in have
            if ok:
                break
        if not ok:
            missing.append(alts[0])
    return missing


def _count_lines(path: Path) -> int:
    n = 0
    last = b"\n"
    with open(path, "rb") as fh:
        while block := fh.read(1 << 22):
            n += block.count(b"\n")
            last = block[-1:]
    return n + (0 if last == b"\n" else 1)


def _decode_header(first: bytes) -> tuple[str, str]:
    """The header line as text: UTF-8 (a BOM is fine), else Windows-1252 (noted)."""
    try:
        return first.decode("utf-8-sig"), ""
    except UnicodeDecodeError:
        return first.decode("cp1252", errors="replace"), "Windows-1252"


def _check_csv(lay: Layout, path: Path, full: bool) -> str:
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    if not head.strip():
        raise LayoutMismatch(f"{path}: empty file (layout {lay.name!r})")
    if head.lstrip()[:1] == b"<" or head.lstrip()[:1] == b"{":
        raise LayoutMismatch(f"{path}: an HTML/JSON page, not a CSV (layout {lay.name!r}); "
                             f"starts {head[:60]!r}")
    first = head.split(b"\n", 1)[0]
    if b"\x00" in first:
        raise LayoutMismatch(f"{path}: not a text CSV (NUL bytes; UTF-16?) (layout {lay.name!r})")
    text, note = _decode_header(first)
    row = next(csv.reader(io.StringIO(text)), [])
    desc = f"layout {lay.name}"
    if lay.header:
        missing = _match(row, lay.columns)
        if missing:
            raise LayoutMismatch(
                f"{path}: not the {lay.name} layout: missing column(s) {missing}; the header "
                f"has {len(row)} columns, starting {[c.strip() for c in row[:6]]}")
        desc += f": {len(row)} columns, the {len(lay.columns)} needed present"
    else:
        if lay.width and len(row) != lay.width:
            raise LayoutMismatch(f"{path}: not the {lay.name} layout: {len(row)} fields in the "
                                 f"first row, {lay.width} expected (no header row)")
        desc += f": {len(row)} fields, no header row"
    if note:
        desc += f"; {note}"
    if full:
        rows = _count_lines(path) - (1 if lay.header else 0)
        if rows < lay.min_rows:
            raise LayoutMismatch(f"{path}: only {rows:,} data rows; a complete {lay.name} file "
                                 f"has at least {lay.min_rows:,} (truncated or partial?)")
        desc += f"; {rows:,} rows"
    return desc


def vector_dataset(path: Path) -> str:
    """The GDAL name of a vector file: a zipped Shapefile is read inside its zip."""
    p = str(path)
    return f"/vsizip/{p}" if p.lower().endswith(".zip") else p


def _check_vector(lay: Layout, path: Path, full: bool) -> str:
    import pyogrio

    info = pyogrio.read_info(vector_dataset(path))
    fields = [str(f) for f in info["fields"]]
    missing = _match(fields, lay.columns)
    if missing:
        raise LayoutMismatch(f"{path}: not the {lay.name} layout: missing field(s) {missing}; "
                             f"found {fields}")
    n = int(info["features"])
    if full and n < lay.min_rows:
        raise LayoutMismatch(f"{path}: only {n:,} features; a complete {lay.name} file has at "
                             f"least {lay.min_rows:,}")
    crs = info.get("crs") or "no CRS (GeoJSON: EPSG:4326)"
    return f"layout {lay.name}: fields present, {n:,} features, {crs}"


def _check_zip(lay: Layout, path: Path, full: bool) -> str:
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
    counts = []
    for pat in lay.members:
        rx = re.compile(pat)
        n = sum(1 for m in names if rx.fullmatch(m))
        if not n:
            raise LayoutMismatch(f"{path}: not the {lay.name} layout: no member matches {pat}; "
                                 f"{len(names)} members, e.g. {names[:3]}")
        counts.append(n)
    if full and counts[0] < lay.min_rows:
        raise LayoutMismatch(f"{path}: only {counts[0]} data members; a complete {lay.name} "
                             f"archive has at least {lay.min_rows}")
    return f"layout {lay.name}: {len(names):,} members, {counts[0]:,} data files"


def _check_xlsx(lay: Layout, path: Path, full: bool) -> str:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    missing = [s for s in lay.sheets if s not in wb.sheet_names]
    if missing:
        raise LayoutMismatch(f"{path}: not the {lay.name} layout: missing sheet(s) {missing}; "
                             f"sheets {wb.sheet_names}")
    if lay.columns and lay.sheets:
        rows = wb.get_sheet_by_name(lay.sheets[0]).to_python(nrows=1 if not full else None)
        header = [str(h).strip() for h in (rows[0] if rows else []) if h not in (None, "")]
        miss = _match(header, lay.columns)
        if miss:
            raise LayoutMismatch(f"{path}: sheet {lay.sheets[0]!r} lacks column(s) {miss}; found "
                                 f"{header[:6]}")
        if full and len(rows) - 1 < lay.min_rows:
            raise LayoutMismatch(f"{path}: sheet {lay.sheets[0]!r} has only {len(rows) - 1:,} "
                                 f"rows; at least {lay.min_rows:,} expected")
    return f"layout {lay.name}: {len(wb.sheet_names)} sheets, the needed ones present"


_CHECKS = {"csv": _check_csv, "vector": _check_vector, "zip": _check_zip, "xlsx": _check_xlsx}
