"""Locality files: named groups of wards, read from CSV or TOML and checked.

A *locality* is a named group of electoral wards (WD24 codes). A *locality set* is the
file that defines several of them, for example the five family-centre areas a council
plans through. Two layouts are accepted.

CSV (comma separated, one ward per row; extra columns such as ``ward_name`` are allowed
and ignored), read by the one strict CSV reader :mod:`needsmap.ingest.csvio` with its
encoding policy (UTF-8; Windows-1252 read with a note; UTF-16 refused with how to
re-save)::

    locality,ward_code
    Dudley North,E05015908
    Dudley North,E05015910

TOML (UTF-8; an optional ``name`` titles the set), in any of three forms, which may be
mixed as long as each locality is defined once::

    name = "Dudley localities"
    [localities]
    "Dudley North" = ["E05015908", "E05015910"]

    [localities."Dudley South"]
    wards = ["E05015903"]

    [[locality]]
    name = "Halesowen"
    wards = ["E05015904"]

A name defined twice (in ``[localities]`` and ``[[locality]]``, or in two
``[[locality]]`` entries) is refused, not merged: the two lists may well be two
versions of the same locality.

Every problem in a file is collected and reported together in one
:class:`LocalityFileError`; each names the file, the row (1-based data row, the header
not counted, as in the load report; for TOML the line) and the column or key:
bad encoding, missing headers, malformed rows (wrong number of fields, bad quoting),
blank cells, text that is not a ward code, a ward code that is not in the store, a ward
listed twice, a ward in two localities of the same set, an empty locality, a locality
defined twice, and, when the snapshots are for one LA (``la``), a locality with wards
outside that LA. Blank lines are skipped.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from needsmap.ingest.csvio import delimiter_hint, read_csv_table
from needsmap.ingest.report import FileReport, InputError
from needsmap.scope import resolve_la
from needsmap.settings import MAX_UPLOAD_BYTES

WARD_CODE = re.compile(r"^E05[0-9]{6}$")
REQUIRED_COLUMNS = ("locality", "ward_code")
#: Most problems listed in one error message (all are kept on the exception).
MAX_LISTED = 25


@dataclass(frozen=True)
class WardInfo:
    """What the store knows about one ward."""

    ward_code: str
    ward_name: str
    lad_code: str
    lad_name: str


@dataclass
class Locality:
    """A named group of wards.

    Parameters
    ----------
    name
        The locality's display name, as written in the file.
    ward_codes
        WD24 ward codes, in file order, without repeats.
    """

    name: str
    ward_codes: list[str] = field(default_factory=list)

    @property
    def slug(self) -> str:
        """A file-name-safe version of the name (``Dudley North`` -> ``dudley-north``)."""
        return slugify(self.name)


@dataclass
class LocalitySet:
    """The localities defined by one file."""

    name: str
    source: str
    localities: list[Locality]
    #: Notes on how the file was read (e.g. "decoded as Windows-1252 (not UTF-8)").
    notes: list[str] = field(default_factory=list)

    def __iter__(self):
        return iter(self.localities)

    def __len__(self) -> int:
        return len(self.localities)

    def groups(self) -> dict[str, list[str]]:
        """Return ``{locality name: [ward codes]}``."""
        return {loc.name: list(loc.ward_codes) for loc in self.localities}


class LocalityFileError(InputError):
    """A locality file has one or more problems; ``problems`` lists them all."""

    def __init__(self, file: str, problems: list[InputError]) -> None:
        self.problems = problems
        n = len(problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the locality file"
        lines = [str(p) for p in problems[:MAX_LISTED]]
        if n > MAX_LISTED:
            lines.append(f"... and {n - MAX_LISTED} more")
        super().__init__(file, head + ":\n  " + "\n  ".join(lines))
        self.args = (f"{file}: {head}:\n  " + "\n  ".join(lines),)

    def __str__(self) -> str:
        return self.args[0]


def slugify(name: str) -> str:
    """Lower-case ASCII slug for file names; never empty."""
    s = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return s or "locality"


def known_wards(con: duckdb.DuckDBPyConnection) -> dict[str, WardInfo]:
    """Every English WD24 ward the store knows (``ward_indicators_england``, all of England).

    Parameters
    ----------
    con
        An open store.
    """
    rows = con.execute(
        "SELECT ward_code, ward_name, lad_code, lad_name FROM ward_indicators_england "
        "ORDER BY ward_code"
    ).fetchall()
    return {r[0]: WardInfo(*r) for r in rows}


# --------------------------------------------------------------------------- reading


def read_localities(path: str | Path, wards: Mapping[str, WardInfo] | None = None,
                    la: str | None = None) -> LocalitySet:
    """Read and check a locality file (``.csv`` or ``.toml``).

    Parameters
    ----------
    path
        The file. Its suffix chooses the layout.
    wards
        The store's wards (see :func:`known_wards`). If ``None``, codes are only checked
        for their form (``E05`` and six digits), not for existence.
    la
        An LA name or LAD24 code (any case and spacing; :func:`needsmap.scope.resolve_la`)
        when the localities are to be compared with that LA: every ward of every
        locality must lie in it. Needs ``wards``.

    Raises
    ------
    LocalityFileError
        Listing every problem found, each with file, row and column.
    needsmap.scope.UnknownArea
        ``la`` is not an LA of ``wards``.
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise LocalityFileError(str(p), [InputError(str(p), f"cannot read the file: {exc.strerror}")]) from exc
    return parse_localities(data, p.name, wards=wards, fmt=p.suffix.lstrip(".").lower(), la=la)


def parse_localities(data: bytes | str, filename: str, wards: Mapping[str, WardInfo] | None = None,
                     fmt: str | None = None, la: str | None = None) -> LocalitySet:
    """Parse and check locality definitions given as bytes or text (e.g. an upload).

    Parameters
    ----------
    data
        File content.
    filename
        Name used in messages (and to guess the layout when ``fmt`` is ``None``).
    wards
        Known wards, as for :func:`read_localities`.
    fmt
        ``"csv"`` or ``"toml"``.
    la
        The LA the localities are compared with, as for :func:`read_localities`.
    """
    fmt = (fmt or Path(filename).suffix.lstrip(".")).lower()
    if fmt not in ("csv", "toml"):
        raise LocalityFileError(filename, [InputError(
            filename, f"unsupported locality file type {fmt!r}; use .csv (locality,ward_code) or .toml")])
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_UPLOAD_BYTES:
        raise LocalityFileError(filename, [InputError(
            filename, f"file is {len(raw):,} bytes; the limit is {MAX_UPLOAD_BYTES:,}")])
    target = None
    if la is not None:
        if not wards:
            raise ValueError("checking localities against an LA needs the store's wards")
        target = resolve_la(la, {(w.lad_code, w.lad_name) for w in wards.values()})
    notes: list[str] = []
    if fmt == "csv":
        entries, title, problems = _csv_entries(raw, filename, notes)
    else:
        entries, title, problems = _toml_entries(_decode(raw, filename), filename)
    out = _check(entries, title or Path(filename).stem, filename, wards, problems, target)
    out.notes = notes
    return out


def _decode(raw: bytes, filename: str) -> str:
    """TOML text: UTF-8 only (the TOML specification's encoding)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LocalityFileError(filename, [InputError(
            filename, "the file is UTF-16 encoded; save it as UTF-8 (CSV UTF-8 in Excel)")])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise LocalityFileError(filename, [InputError(
            filename, f"not valid UTF-8 text (byte 0x{raw[exc.start]:02x} on line {line}); "
            "save the file as UTF-8 (CSV UTF-8 in Excel)")]) from exc


@dataclass
class _Entry:
    locality: str
    ward: str
    row: int | None  # data row (CSV) or line (TOML)
    column: str
    where: str  # "row" or "line"


def _err(file: str, e: _Entry | None, msg: str, column: str | None = None) -> InputError:
    if e is None:
        return InputError(file, msg, column=column)
    if e.where == "line":
        col = f"{column or e.column}" + (f" (line {e.row})" if e.row else "")
        return InputError(file, msg, column=col)
    return InputError(file, msg, row=e.row, column=column or e.column)


def _header_key(h: str) -> str:
    return re.sub(r"\s+", "_", h.strip().lower())


def _csv_entries(raw: bytes, filename: str,
                 notes: list[str]) -> tuple[list[_Entry], str | None, list[InputError]]:
    """Entries of a CSV locality file, read by :func:`needsmap.ingest.csvio.read_csv_table`."""
    fr = FileReport("localities", filename)
    try:
        table = read_csv_table(raw, fr, what="locality file", label=filename,
                               header_key=_header_key)
    except InputError as exc:
        raise LocalityFileError(filename, [exc]) from None
    header = [c for c in table.columns if c != "row"]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise LocalityFileError(filename, [InputError(
            filename, f"missing column(s) {', '.join(missing)}; the header must include "
            f"'locality,ward_code' but has {', '.join(repr(h) for h in header)}"
            f"{delimiter_hint(header)}", row=0)])
    if fr.note:
        notes.extend(n for n in fr.note.split("; ") if n and "no data rows" not in n)
    problems = [InputError(filename, r["reason"], row=r["row"], column=r["column"])
                for r in fr.rejected if r["reason"] != "blank row"]  # blank lines: skipped
    entries: list[_Entry] = []
    for row, loc, ward in zip(table["row"], table["locality"].where(table["locality"].notna()),
                              table["ward_code"].where(table["ward_code"].notna()), strict=True):
        loc = loc if isinstance(loc, str) else None
        ward = ward if isinstance(ward, str) else None
        if loc is None and ward is None:
            continue  # an empty row (e.g. ",,")
        if loc is None:
            problems.append(InputError(filename, "blank locality name", row=row, column="locality"))
            continue
        if ward is None:
            problems.append(InputError(
                filename, f"blank ward code for locality {loc!r}", row=row, column="ward_code"))
            continue
        entries.append(_Entry(loc, ward, int(row), "ward_code", "row"))
    if not entries and not problems:
        problems.append(InputError(filename, "the file has a header but no localities"))
    return entries, None, problems


def _toml_entries(text: str, filename: str) -> tuple[list[_Entry], str | None, list[InputError]]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LocalityFileError(filename, [InputError(filename, f"not valid TOML: {exc}")]) from exc
    lines = text.splitlines()
    problems: list[InputError] = []
    title = doc.get("name") if isinstance(doc.get("name"), str) else None
    pairs: list[tuple[str, object, str]] = []  # (name, wards, key path)
    if "localities" in doc:
        tbl = doc["localities"]
        if not isinstance(tbl, dict):
            raise LocalityFileError(filename, [InputError(
                filename, "'localities' must be a table of name = [ward codes]", column="localities")])
        for k, v in tbl.items():
            key = f"localities.{_toml_key(k)}"
            if isinstance(v, dict):  # [localities.North] wards = [...]
                extra = sorted(set(v) - {"wards"})
                if extra or "wards" not in v:
                    problems.append(_err(filename, _Entry(k, "", _toml_line(lines, k), key, "line"),
                                         f"locality {k!r}: "
                                         + (f"unknown key(s) {', '.join(map(repr, extra))}; "
                                            if extra else "no 'wards' key; ")
                                         + "expected wards = [ward codes]"))
                    continue
                pairs.append((str(k), v["wards"], f"{key}.wards"))
            else:
                pairs.append((str(k), v, key))
    if "locality" in doc:
        arr = doc["locality"]
        if not isinstance(arr, list):
            raise LocalityFileError(filename, [InputError(
                filename, "'locality' must be an array of tables ([[locality]])", column="locality")])
        for i, t in enumerate(arr, start=1):
            if not isinstance(t, dict) or not isinstance(t.get("name"), str) or not t["name"].strip():
                problems.append(InputError(filename, "each [[locality]] needs a non-blank name",
                                           column=f"locality[{i}].name"))
                continue
            pairs.append((t["name"], t.get("wards"), f"locality[{i}].wards"))
    if not pairs and not problems:
        raise LocalityFileError(filename, [InputError(
            filename, "no localities found; expected a [localities] table or [[locality]] entries")])
    first_key: dict[str, tuple[str, int | None]] = {}
    entries: list[_Entry] = []
    for name, wards, key in pairs:
        line = _toml_line(lines, name)
        if name in first_key:
            k1, l1 = first_key[name]
            line = _toml_line(lines, name, after=l1 + 1) if l1 else line
            problems.append(_err(filename, _Entry(name, "", line, key, "line"),
                                 f"locality {name!r} is defined twice ({k1} and "
                                 f"{key.removesuffix('.wards')}); define each locality once "
                                 "(the lists are not merged)"))
            continue
        first_key[name] = (key.removesuffix(".wards"), line)
        if not name.strip():
            problems.append(InputError(filename, "blank locality name", column=key))
            continue
        if not isinstance(wards, list):
            problems.append(_err(filename, _Entry(name, "", line, key, "line"),
                                 f"locality {name!r}: wards must be a list of ward codes"))
            continue
        if not wards:
            problems.append(_err(filename, _Entry(name, "", line, key, "line"),
                                 f"locality {name!r} is empty: it lists no wards"))
            continue
        for j, w in enumerate(wards):
            if not isinstance(w, str) or not w.strip():
                problems.append(_err(filename, _Entry(name, "", line, f"{key}[{j}]", "line"),
                                     f"locality {name!r}: item {j + 1} is not a ward code ({w!r})"))
                continue
            entries.append(_Entry(name, w.strip(), _toml_line(lines, w.strip(), after=line) or line,
                                  f"{key}[{j}]", "line"))
    return entries, title, problems


def _toml_key(k: str) -> str:
    """A TOML key as written in a key path (quoted unless bare)."""
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else '"' + k.replace('"', '\\"') + '"'


def _toml_line(lines: list[str], needle: str, after: int | None = None) -> int | None:
    start = (after or 1) - 1
    for i in range(start, len(lines)):
        if needle in lines[i]:
            return i + 1
    return None


def _check(entries: list[_Entry], title: str, filename: str, wards: Mapping[str, WardInfo] | None,
           problems: list[InputError], la: tuple[str, str] | None = None) -> LocalitySet:
    by_name: dict[str, Locality] = {}
    seen: dict[str, _Entry] = {}
    names_lower: dict[str, list[str]] = {}
    if wards:
        for w in wards.values():
            names_lower.setdefault(w.ward_name.lower(), []).append(w.ward_code)
    for e in entries:
        code = e.ward.upper().replace(" ", "")
        loc = by_name.setdefault(e.locality, Locality(e.locality))
        if not WARD_CODE.match(code):
            hint = ""
            if wards and e.ward.lower() in names_lower:
                opts = [f"{c} ({wards[c].ward_name}, {wards[c].lad_name})"
                        for c in names_lower[e.ward.lower()][:5]]
                hint = f"; did you mean {' or '.join(opts)}?"
            problems.append(_err(filename, e, f"{e.ward!r} is not a ward code (expected E05 and six "
                                 f"digits, a May 2024 electoral ward){hint}"))
            continue
        if wards is not None and code not in wards:
            problems.append(_err(filename, e, f"unknown ward code {code}: not an English May 2024 "
                                 "ward in this store"))
            continue
        label = f"{code} ({wards[code].ward_name})" if wards else code
        if code in seen:
            first = seen[code]
            at = f"{first.where} {first.row}" if first.row else "earlier"
            if first.locality == e.locality:
                problems.append(_err(filename, e, f"ward {label} is listed twice in locality "
                                     f"{e.locality!r} (first at {at})"))
            else:
                problems.append(_err(filename, e, f"ward {label} is in two localities: "
                                     f"{first.locality!r} ({at}) and {e.locality!r}; a ward can "
                                     "belong to only one locality in a set"))
            continue
        seen[code] = e
        loc.ward_codes.append(code)
    for loc in by_name.values():
        if not loc.ward_codes and not any(loc.name in str(p) for p in problems):
            problems.append(InputError(filename, f"locality {loc.name!r} has no valid wards"))
    if la is not None and wards:
        problems += _outside_la(filename, by_name.values(), seen, wards, la)
    slugs: dict[str, str] = {}
    for loc in by_name.values():
        other = slugs.setdefault(loc.slug, loc.name)
        if other != loc.name:
            problems.append(InputError(filename, f"locality names {other!r} and {loc.name!r} are "
                                       "too alike (they would write the same file); rename one",
                                       column="locality"))
    if problems:
        raise LocalityFileError(filename, problems)
    return LocalitySet(name=title, source=filename, localities=list(by_name.values()))


def _outside_la(filename: str, localities, seen: dict[str, _Entry],  # noqa: ANN001
                wards: Mapping[str, WardInfo], la: tuple[str, str]) -> list[InputError]:
    """One problem per locality with wards outside the LA ``la`` = ``(code, name)``.

    A locality is compared with one LA and labelled "Locality in <LA>"; a locality
    with wards elsewhere would be labelled with an LA it is not (wholly) in.
    """
    code, name = la
    out = []
    for loc in localities:
        away = [c for c in loc.ward_codes if wards[c].lad_code != code]
        if not away:
            continue
        first = seen[away[0]]
        las = sorted({wards[c].lad_name for c in away})
        where = f"{len(away)} of its {len(loc.ward_codes)} wards are"
        if len(away) == len(loc.ward_codes):
            where = "its wards are" if len(away) > 1 else "its ward is"
        w = wards[away[0]]
        choose = (f"Choose {las[0]} as the LA, or leave" if len(las) == 1
                  and len(away) == len(loc.ward_codes) else "Leave")
        out.append(_err(filename, first, f"locality {loc.name!r}: {where} in {' and '.join(las)}, "
                        f"not in {name} (first: {w.ward_code} {w.ward_name}). A locality is "
                        f"compared with the LA chosen ({name}), so all its wards must lie in it. "
                        f"{choose} out --la (needsmap snapshot) to compare each locality with "
                        "the LA holding most of its residents"))
    return out
