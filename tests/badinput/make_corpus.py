"""Derive a bad-input corpus from the REAL mirror files (never committed copies).

Each loader gets a *spec* naming its mirror file and the roles of its columns
(key code, counts, a text column, coordinates). From a sample of the real file
(its header and first ``sample`` data rows) :func:`csv_variants` and
:func:`geojson_variants` write broken variants into a temporary directory:

* truncation mid-row, an unterminated quote, an empty file, a header-only file
* the wrong delimiter (``;``, tab), latin-1 text, a UTF-8 BOM, CRLF line ends
* missing, renamed, extra and reordered columns
* duplicate keys, codes of the wrong vintage (2011 LSOA codes in a 2021 slot and
  vice versa), text that is not a GSS code, blank keys
* suppressed (``c``, ``*``, ``..``, ``:``), non-numeric, NaN, inf and negative cells
* for geometries: null, empty, self-intersecting, wrong type, NaN coordinates,
  British National Grid metres with no CRS declared, an unknown CRS, a declared
  EPSG:27700 file, features in the North Sea and outside England
* for coordinate columns: points in the North Sea, outside England, NaN
* huge files (tens of MB, built by repeating real rows) for streamed loaders
* the encodings and delimiters spreadsheets save: UTF-16 with and without a BOM
  (Excel's "Unicode text"), Windows-1252 with smart quotes and the euro sign, a bar
  delimiter, Excel's European "CSV" (a UTF-8 BOM, semicolons and CRLF), and classic
  Mac line ends (CR only)
* for loaders of users' text (``formula=True``): text that is a formula once trimmed
  (leading spaces, a non-breaking or ideographic space, a tab) or in full-width form
* locality files: wards of another LA or a locality spanning two LAs when the
  snapshots are for one LA, and the TOML layouts (table, nested tables, array of
  tables, a name defined twice, an unknown key)
* :func:`option_variants`: nonsense values of every numeric command-line option

Every variant carries ``rows``: the number of data records it holds, counted
independently here with :mod:`csv` / :mod:`json`, so the runner can tell rows
lost without a record.

Run ``python tests/badinput/make_corpus.py OUT_DIR`` to write the corpus and list it.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

#: Expectation: "notice" = the loader must raise a clear error or reject rows;
#: "any" = benign or ambiguous (accepting is fine).
NOTICE, ANY = "notice", "any"


@dataclass(frozen=True)
class Variant:
    """One corpus file."""

    loader: str
    name: str
    path: Path
    expect: str
    rows: int | None  # data records in the file (None: not well defined, e.g. not CSV at all)
    params: dict[str, object] = field(default_factory=dict)  # e.g. the LA of a locality run


@dataclass(frozen=True)
class CsvSpec:
    """How a loader's CSV is laid out (columns by name, or by 0-based index if headerless)."""

    loader: str
    rel: str  # mirror-relative path of the real file
    key: str | int | None = None
    code: str | None = None  # kind of code in ``key``: lsoa21, lsoa11, ward, or None
    numeric: tuple[str | int, ...] = ()
    text: str | int | None = None
    coords: tuple[str | int, str | int] | None = None
    coord_kind: str = "lonlat"  # or "bng"
    header: bool = True
    sample: int = 400
    start: int = 0  # first data row of the sample (skip e.g. Welsh rows at the top)
    filename: str | None = None  # name of variant files (police.uk needs its pattern)
    huge_mb: int = 0  # >0: also write a huge variant of about this size
    extra: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class GeoSpec:
    loader: str
    rel: str
    code: str
    name: str
    vintage: str = "lsoa21"
    sample: int = 150


# -- real codes of the other vintage ---------------------------------------------------------

@lru_cache(maxsize=2)
def vintage_codes(mirror: str) -> dict[str, list[str]]:
    """LSOA codes that exist only in 2011, and only in 2021 (from the ONS 2011->2021 lookup)."""
    l11: set[str] = set()
    l21: set[str] = set()
    with open(Path(mirror) / "lookups/lsoa11_lsoa21_lad22_ew_lu.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            l11.add(r["LSOA11CD"])
            l21.add(r["LSOA21CD"])
    return {"lsoa11_only": sorted(c for c in l11 - l21 if c.startswith("E"))[:50],
            "lsoa21_only": sorted(c for c in l21 - l11 if c.startswith("E"))[:50]}


def wrong_vintage_codes(mirror: Path, code: str | None) -> list[str]:
    v = vintage_codes(str(mirror))
    if code == "lsoa21":
        return v["lsoa11_only"]
    if code == "lsoa11":
        return v["lsoa21_only"]
    if code == "ward":
        return ["E05000026", "E05001234", "E05004567"]  # pre-2019 ward codes
    return ["E01000001X"]


# -- CSV ---------------------------------------------------------------------------------------

#: Text that a spreadsheet runs as a formula once leading whitespace is trimmed, or that is
#: a formula in full-width form (variant name -> cell).
FORMULA_CELLS: dict[str, str] = {
    "formula_plain": '=HYPERLINK("http://evil.example/x","Open")',
    "formula_after_spaces": '   =HYPERLINK("http://evil.example/x","Open")',
    "formula_after_nbsp": "\u00a0=1+1",
    "formula_after_tab": "\t@SUM(A1:A9)",
    "formula_after_ideographic_space": "\u3000-2+3+cmd|' /C calc'!A0",
    "formula_fullwidth": "\uff1d1+1",
}


def read_sample(path: Path, spec: CsvSpec) -> tuple[list[str] | None, list[list[str]], bytes]:
    """Return header, sample rows and the sample's original bytes (header + rows)."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = next(reader) if spec.header else None
        rows = []
        for i, r in enumerate(reader):
            if i < spec.start:
                continue
            rows.append(r)
            if len(rows) >= spec.sample:
                break
    return header, rows, to_bytes(header, rows)


def to_bytes(header: list[str] | None, rows: list[list[str]], delimiter: str = ",",
             lineterminator: str = "\n", quoting: int = csv.QUOTE_MINIMAL) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator=lineterminator, quoting=quoting)
    if header is not None:
        w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def count_records(data: bytes, header: bool, delimiter: str = ",") -> int:
    """Data records in ``data`` as the :mod:`csv` module sees them (blank lines ignored)."""
    text = data.decode("utf-8-sig", errors="replace")
    n = sum(1 for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if r)
    return max(0, n - (1 if header and n else 0))


def _idx(header: list[str] | None, col: str | int | None) -> int | None:
    if col is None:
        return None
    if isinstance(col, int):
        return col
    assert header is not None
    return header.index(col)


def csv_variants(mirror: Path, spec: CsvSpec, out: Path, source: Path | None = None) -> list[Variant]:
    """Write every CSV variant of ``spec`` under ``out`` and return them.

    ``source`` is the real file to derive from (default ``mirror / spec.rel``).
    """
    source = source or mirror / spec.rel
    header, rows, base = read_sample(source, spec)
    d = out / spec.loader
    d.mkdir(parents=True, exist_ok=True)
    fname = spec.filename or Path(spec.rel).name
    variants: list[Variant] = []
    n = len(rows)

    def emit(name: str, data: bytes, expect: str, rows_: int | None | str = "count",
             filename: str | None = None) -> None:
        sub = d / name
        sub.mkdir(exist_ok=True)
        p = sub / (filename or fname)
        p.write_bytes(data)
        if rows_ == "count":
            rows_ = count_records(data, spec.header)
        variants.append(Variant(spec.loader, name, p, expect, rows_))  # type: ignore[arg-type]

    def mutate(name: str, fn: Callable[[list[list[str]]], None], expect: str) -> None:
        rr = [list(r) for r in rows]
        fn(rr)
        emit(name, to_bytes(header, rr), expect)

    ki, ti = _idx(header, spec.key), _idx(header, spec.text)
    num = [_idx(header, c) for c in spec.numeric]

    emit("baseline", base, ANY)
    emit("empty", b"", NOTICE, 0)
    emit("header_only", to_bytes(header, []) if header else b"\n", ANY, 0)
    # truncation mid-row: cut right after the first delimiter of a row ~60% in
    lines = base.split(b"\n")
    cut_line = max(1 if header else 0, int(len(lines) * 0.6))
    head_bytes = b"\n".join(lines[:cut_line]) + b"\n"
    partial = lines[cut_line]
    comma = partial.find(b",")
    emit("truncated_mid_row", head_bytes + partial[: comma + 1 if comma >= 0 else 3], NOTICE)
    emit("unterminated_quote", base + b'"unterminated,field\n' + base.split(b"\n", 2)[-1][:200],
         NOTICE, None)
    emit("delimiter_semicolon", to_bytes(header, rows, delimiter=";"), NOTICE,
         count_records(to_bytes(header, rows, delimiter=";"), spec.header, ";"))
    emit("delimiter_tab", to_bytes(header, rows, delimiter="\t"), NOTICE,
         count_records(to_bytes(header, rows, delimiter="\t"), spec.header, "\t"))
    # latin-1: put accented text in a text cell, then encode the whole file as latin-1
    rr = [list(r) for r in rows]
    if ti is not None and rr:
        for r in rr[:3]:
            r[ti] = (r[ti] + " Française £5 Môn").strip()
    text = to_bytes(header, rr).decode("utf-8")
    emit("latin1", text.encode("latin-1", errors="replace"), ANY, count_records(text.encode(), spec.header))
    emit("utf8_bom", b"\xef\xbb\xbf" + base, ANY)
    emit("crlf", base.replace(b"\n", b"\r\n"), ANY)
    emit("blank_lines", base.replace(b"\n", b"\n\n", 5), ANY)
    # encodings and delimiters that spreadsheets save
    text = base.decode("utf-8")
    emit("utf16_bom", text.encode("utf-16"), NOTICE, None)  # Excel "Unicode text"
    emit("utf16le_no_bom", text.encode("utf-16-le"), NOTICE, None)
    rr = [list(r) for r in rows]
    if ti is not None:
        for r in rr[:3]:
            r[ti] = (r[ti] + " \u201cSt Anne\u2019s\u201d \u2013 \u20ac5").strip()
    cp = to_bytes(header, rr)
    emit("cp1252_smart_quotes", cp.decode("utf-8").encode("cp1252"), ANY, count_records(cp, spec.header))
    emit("delimiter_pipe", to_bytes(header, rows, delimiter="|"), NOTICE,
         count_records(to_bytes(header, rows, delimiter="|"), spec.header, "|"))
    eu = to_bytes(header, rows, delimiter=";", lineterminator="\r\n")
    emit("excel_eu_bom_semicolon", b"\xef\xbb\xbf" + eu, NOTICE, count_records(eu, spec.header, ";"))
    emit("cr_line_ends", base.replace(b"\n", b"\r"), ANY)
    if spec.extra.get("formula") and ti is not None and n > 20:
        for vname, cell in FORMULA_CELLS.items():
            mutate(vname, lambda rr, cell=cell: [rr[i].__setitem__(ti, cell) for i in (3, 9, 15)],
                   NOTICE)
    if header:
        drop = ki if ki is not None else 0

        def drop_col(i: int) -> bytes:
            return to_bytes([h for j, h in enumerate(header) if j != i],
                            [[v for j, v in enumerate(r) if j != i] for r in rows])

        emit("missing_key_column", drop_col(drop), NOTICE)
        if num and num[0] is not None and num[0] != drop:
            emit("missing_numeric_column", drop_col(num[0]), NOTICE)
        h2 = list(header)
        h2[drop] = h2[drop].upper() + "_2021" if h2[drop] else "renamed"
        emit("renamed_column", to_bytes(h2, rows), NOTICE)
        emit("extra_column", to_bytes([*header, "notes"], [[*r, "extra; text"] for r in rows]), ANY)
        emit("reordered_columns", to_bytes(header[::-1], [r[::-1] for r in rows]), ANY)
        emit("duplicate_header", to_bytes([*header, header[drop]], [[*r, r[drop] if drop < len(r) else ""] for r in rows]), ANY)
    else:
        emit("missing_column", to_bytes(None, [r[:-1] for r in rows]), NOTICE)
        emit("extra_column", to_bytes(None, [[*r, "extra"] for r in rows]), NOTICE)
    emit("short_rows", to_bytes(header, [r[: max(1, len(r) // 2)] if i % 50 == 7 else r
                                         for i, r in enumerate(rows)]), NOTICE)
    emit("long_rows", to_bytes(header, [[*r, "x", "y"] if i % 50 == 7 else r
                                        for i, r in enumerate(rows)]), NOTICE)
    if ki is not None and n > 10:
        mutate("duplicate_keys", lambda rr: rr.extend([list(rr[1]), list(rr[2]), list(rr[3])]), NOTICE)
        wrong = wrong_vintage_codes(mirror, spec.code)

        def wv(rr: list[list[str]]) -> None:
            for j, i in enumerate(range(2, min(n, 40), 7)):
                rr[i][ki] = wrong[j % len(wrong)]

        mutate("wrong_vintage_codes", wv, NOTICE)

        def notgss(rr: list[list[str]]) -> None:
            for i, v in zip((3, 9, 15), ("E01XYZ", "lsoa", "E0100000000"), strict=False):
                if i < n:
                    rr[i][ki] = v

        mutate("not_gss_codes", notgss, NOTICE)
        mutate("blank_keys", lambda rr: [rr[i].__setitem__(ki, "") for i in (4, 11) if i < n], NOTICE)
        mutate("injection_text", lambda rr: rr[5].__setitem__(
            ki, "E01000001'; DROP TABLE lookup_lsoa21_wd24; --"), NOTICE)
    for ni in num[:2]:
        if ni is None or n < 20:
            continue
        label = header[ni] if header else str(ni)

        def cells(values: tuple[str, ...], col: int = ni) -> Callable[[list[list[str]]], None]:
            def f(rr: list[list[str]]) -> None:
                for j, v in enumerate(values):
                    rr[3 + 4 * j][col] = v
            return f

        tag = "" if ni == num[0] else "_2"
        _ = label
        mutate(f"suppressed_cells{tag}", cells(("c", "*", "..", ":")), ANY)
        mutate(f"non_numeric_cells{tag}", cells(("twelve", "12abc", "1,234")), NOTICE)
        mutate(f"nan_cells{tag}", cells(("NaN", "nan")), NOTICE)
        mutate(f"inf_cells{tag}", cells(("inf", "-Infinity")), NOTICE)
        mutate(f"negative_counts{tag}", cells(("-5", "-1")), NOTICE)
    if spec.coords and n > 20:
        xi, yi = _idx(header, spec.coords[0]), _idx(header, spec.coords[1])
        assert xi is not None and yi is not None
        sea = ("2.5", "54.5") if spec.coord_kind == "lonlat" else ("700000", "500000")
        scot = ("-3.19", "55.95") if spec.coord_kind == "lonlat" else ("325900", "673900")
        paris = ("2.35", "48.86") if spec.coord_kind == "lonlat" else ("-9000000", "-9000000")

        def put(vals: tuple[str, str]) -> Callable[[list[list[str]]], None]:
            def f(rr: list[list[str]]) -> None:
                for i in (2, 8, 14):
                    rr[i][xi], rr[i][yi] = vals
            return f

        mutate("coords_in_sea", put(sea), NOTICE)
        mutate("coords_outside_england", put(scot), NOTICE)
        mutate("coords_abroad", put(paris), NOTICE)
        mutate("coords_nan", put(("NaN", "nan")), NOTICE)
        mutate("coords_inf", put(("inf", "-inf")), NOTICE)
        mutate("coords_swapped", lambda rr: [rr[i].__setitem__(slice(None), _swap(rr[i], xi, yi))
                                             for i in (3, 9)], ANY)
    if spec.huge_mb:
        target = spec.huge_mb * 1024 * 1024
        full = source.read_bytes()
        first, body = full.split(b"\n", 1) if spec.header else (b"", full)
        body = body if body.endswith(b"\n") else body + b"\n"
        reps = max(2, math.ceil(target / max(1, len(body))))
        sub = d / "huge"
        sub.mkdir(exist_ok=True)
        p = sub / fname
        with open(p, "wb") as fh:
            if spec.header:
                fh.write(first + b"\n")
            for _ in range(reps):
                fh.write(body)
        per = count_records((first + b"\n" if spec.header else b"") + body, spec.header)
        variants.append(Variant(spec.loader, "huge", p, ANY, per * reps))
    return variants


def _swap(r: list[str], a: int, b: int) -> list[str]:
    r = list(r)
    r[a], r[b] = r[b], r[a]
    return r


# -- GeoJSON -----------------------------------------------------------------------------------

def _map_coords(geom: dict, fn: Callable[[float, float], tuple[float, float]]) -> dict:
    def walk(c):  # noqa: ANN001, ANN202
        if isinstance(c[0], (int, float)):
            return list(fn(c[0], c[1]))
        return [walk(x) for x in c]

    return {"type": geom["type"], "coordinates": walk(geom["coordinates"])}


def geojson_variants(mirror: Path, spec: GeoSpec, out: Path) -> list[Variant]:
    """Write every GeoJSON variant of ``spec`` under ``out`` and return them."""
    src = json.loads((mirror / spec.rel).read_text(encoding="utf-8"))
    feats = [f for f in src["features"] if str(f["properties"].get(spec.code, "")).startswith("E")]
    feats = feats[: spec.sample]
    n = len(feats)
    d = out / spec.loader
    d.mkdir(parents=True, exist_ok=True)
    fname = Path(spec.rel).name
    variants: list[Variant] = []

    def fc(fs: list[dict], **top: object) -> dict:
        return {"type": "FeatureCollection", **top, "features": fs}

    def emit(name: str, data: bytes | dict, expect: str, rows: int | None = None) -> None:
        sub = d / name
        sub.mkdir(exist_ok=True)
        p = sub / fname
        if isinstance(data, dict):
            rows = len(data.get("features", [])) if rows is None else rows
            data = json.dumps(data).encode("utf-8")
        p.write_bytes(data)
        variants.append(Variant(spec.loader, name, p, expect, rows))

    def mutate(name: str, fn: Callable[[list[dict]], None], expect: str, **top: object) -> None:
        fs = json.loads(json.dumps(feats))
        fn(fs)
        emit(name, fc(fs, **top), expect)

    base = json.dumps(fc(feats)).encode("utf-8")
    emit("baseline", fc(feats), ANY)
    emit("empty", b"", NOTICE, 0)
    emit("no_features", fc([]), ANY)
    emit("truncated", base[: len(base) * 6 // 10], NOTICE, None)
    emit("not_json", b"LSOA21CD,LSOA21NM\nE01000001,City of London 001A\n", NOTICE, None)
    emit("json_list", b"[1, 2, 3]", NOTICE, None)
    emit("utf8_bom", b"\xef\xbb\xbf" + base, ANY, n)
    emit("latin1_names", json.dumps(fc([{**f, "properties": {**f["properties"], spec.name: f["properties"][spec.name] + " Môn"}} for f in feats]), ensure_ascii=False).encode("latin-1"), ANY, n)

    def props(fn: Callable[[dict], dict]) -> Callable[[list[dict]], None]:
        return lambda fs: [f.__setitem__("properties", fn(f["properties"])) for f in fs]

    mutate("missing_code_property", props(lambda p: {k: v for k, v in p.items() if k != spec.code}), NOTICE)
    mutate("renamed_code_property", props(lambda p: {(k.lower() + "_x" if k == spec.code else k): v for k, v in p.items()}), NOTICE)
    mutate("extra_property", props(lambda p: {**p, "notes": "extra"}), ANY)
    mutate("duplicate_codes", lambda fs: fs.extend(json.loads(json.dumps(fs[:3]))), NOTICE)
    wrong = wrong_vintage_codes(mirror, spec.vintage)

    def setcode(vals: list[str], at: tuple[int, ...]) -> Callable[[list[dict]], None]:
        def f(fs: list[dict]) -> None:
            for j, i in enumerate(at):
                if i < len(fs):
                    fs[i]["properties"][spec.code] = vals[j % len(vals)]
        return f

    mutate("wrong_vintage_codes", setcode(wrong, (2, 7, 12)), NOTICE)
    mutate("not_gss_codes", setcode(["E01XYZ", "", "lsoa"], (3, 8, 13)), NOTICE)

    def geom_at(at: tuple[int, ...], g: Callable[[dict], dict | None]) -> Callable[[list[dict]], None]:
        def f(fs: list[dict]) -> None:
            for i in at:
                if i < len(fs):
                    fs[i]["geometry"] = g(fs[i]["geometry"])
        return f

    def bowtie(g: dict) -> dict:
        x, y = _first_xy(g)
        e = 0.01
        return {"type": "Polygon", "coordinates": [[[x, y], [x + e, y + e], [x + e, y], [x, y + e], [x, y]]]}

    def shift(dx: float, dy: float) -> Callable[[dict], dict]:
        def f(g: dict) -> dict:
            x0, y0 = _first_xy(g)
            return _map_coords(g, lambda x, y: (x - x0 + dx, y - y0 + dy))
        return f

    mutate("null_geometry", geom_at((1, 5), lambda g: None), NOTICE)
    mutate("empty_geometry", geom_at((2, 6), lambda g: {"type": "Polygon", "coordinates": []}), NOTICE)
    mutate("self_intersecting", geom_at((3, 9), bowtie), ANY)  # repaired (make_valid) and counted
    mutate("point_geometry", geom_at((4,), lambda g: {"type": "Point", "coordinates": list(_first_xy(g))}), NOTICE)
    mutate("linestring_geometry", geom_at((4,), lambda g: {"type": "LineString", "coordinates": [list(_first_xy(g)), [_first_xy(g)[0] + 0.01, _first_xy(g)[1]]]}), NOTICE)
    mutate("nan_coordinates", geom_at((5,), lambda g: _map_coords(g, lambda x, y: (float("nan"), y))), NOTICE)
    mutate("in_the_sea", geom_at((6, 10), shift(2.6, 54.4)), NOTICE)
    mutate("outside_england", geom_at((7, 11), shift(2.35, 48.85)), NOTICE)
    mutate("in_scotland", geom_at((8,), shift(-3.2, 56.5)), NOTICE)
    try:
        from pyproj import Transformer
    except ImportError:  # pragma: no cover
        return variants
    tf = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    mutate("bng_coords_undeclared", lambda fs: [f.__setitem__("geometry", _map_coords(f["geometry"], lambda x, y: tf.transform(x, y))) for f in fs], NOTICE)
    mutate("bng_coords_declared", lambda fs: [f.__setitem__("geometry", _map_coords(f["geometry"], lambda x, y: tf.transform(x, y))) for f in fs], ANY,
           crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}})
    mutate("unknown_crs", lambda fs: None, NOTICE,
           crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::999999"}})
    return variants


def _first_xy(g: dict) -> tuple[float, float]:
    c = g["coordinates"]
    while isinstance(c[0], list):
        c = c[0]
    return float(c[0]), float(c[1])


# -- locality files ----------------------------------------------------------------------------

def locality_variants(mirror: Path, out: Path, lad_name: str = "Blackpool") -> list[Variant]:
    """Locality CSVs grouping a real LAD's wards (from the ONS lookup) into three localities."""
    wards: dict[str, str] = {}
    with open(mirror / "lookups/lsoa21_wd24_lad24_ew_lu.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["LAD24NM"] == lad_name:
                wards.setdefault(r["WD24CD"], r["WD24NM"])
    codes = sorted(wards)
    rows = [[f"Locality {1 + i % 3}", c, wards[c]] for i, c in enumerate(codes)]
    spec_dir = out / "localities"
    spec_dir.mkdir(parents=True, exist_ok=True)
    tmp = spec_dir / "_base.csv"
    tmp.write_bytes(to_bytes(["locality", "ward_code", "ward_name"], rows))
    spec = CsvSpec("localities", "_", key="ward_code", code="ward", text="locality",
                   sample=len(rows), filename="localities.csv")
    return csv_variants(mirror, spec, out, source=tmp)


def police_file_variants(mirror: Path, out: Path, sample: int = 200) -> list[Variant]:
    """Compressed police.uk files and month folders with other files in them (issue 18.4).

    Built from the first ``sample`` rows of real Lancashire months: a month folder holding
    the month gzipped, or zipped; police.uk's archive layout (``YYYY-MM/...`` members, with
    outcomes and stop-and-search files beside the street files, and months older than the
    12 read); a folder with stray files (a README, a ``.DS_Store``, an outcomes file, a
    renamed CSV, a ``.bz2``); and broken forms (a truncated gzip, a file that is not a zip,
    the same month twice, only a ``.bz2``). ``rows`` counts the street-level records that
    must be read; every other file must be listed as not read, with the reason.
    """
    import bz2
    import gzip
    import zipfile

    months = ["2021-11", "2021-12"] + [f"2022-{m:02d}" for m in range(1, 11)]
    base = out / "police_files"
    vs: list[Variant] = []

    def month(m: str) -> tuple[str, bytes, int]:
        rel = f"crime/police_uk/{m}/{m}-lancashire-street.csv"
        with open(mirror / rel, "rb") as fh:
            lines = fh.read().split(b"\n")
        data = b"\n".join(lines[: sample + 1]) + b"\n"
        return f"{m}-lancashire-street.csv", data, sample

    def add(name: str, expect: str, rows: int | None) -> Path:
        d = base / name
        d.mkdir(parents=True, exist_ok=True)
        vs.append(Variant("police_files", name, d, expect, rows))
        return d

    fname, data, n = month("2022-05")
    d = add("gzip_month", ANY, n)
    (d / "2022-05").mkdir()
    (d / "2022-05" / (fname + ".gz")).write_bytes(gzip.compress(data))
    d = add("zip_month", ANY, n)
    (d / "2022-05").mkdir()
    with zipfile.ZipFile(d / "2022-05" / "2022-05.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(fname, data)
    d = add("archive_with_other_types", ANY, n * 12)  # outcomes and old months listed, not read
    with zipfile.ZipFile(d / "2022-10.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for m in ["2021-09", "2021-10", *months]:
            fn, dm, _ = month(m if m in months else "2021-11")
            fn = f"{m}-lancashire-street.csv"
            zf.writestr(f"{m}/{fn}", dm.replace(b"2021-11,", f"{m},".encode()))
            zf.writestr(f"{m}/{m}-lancashire-outcomes.csv", b"Crime ID,Month\n")
        zf.writestr("2022-10/2022-10-lancashire-stop-and-search.csv", b"Type,Date\n")
    d = add("stray_files_in_month_folder", ANY, n)
    (d / "2022-05").mkdir()
    (d / "2022-05" / fname).write_bytes(data)
    (d / "2022-05" / "README.txt").write_text("downloaded from data.police.uk\n")
    (d / "2022-05" / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (d / "2022-05" / "2022-05-lancashire-outcomes.csv").write_bytes(b"Crime ID,Month\n")
    (d / "2022-05" / "lancashire may.csv").write_bytes(data)
    (d / "2022-05" / "2022-04-lancashire-street.csv.bz2").write_bytes(bz2.compress(data))
    d = add("only_bz2", NOTICE, None)
    (d / "2022-05").mkdir()
    (d / "2022-05" / (fname + ".bz2")).write_bytes(bz2.compress(data))
    d = add("truncated_gzip", NOTICE, None)
    (d / (fname + ".gz")).write_bytes(gzip.compress(data)[:-400])
    d = add("not_a_zip", NOTICE, None)
    (d / "2022-05.zip").write_bytes(data)
    d = add("same_month_csv_and_gzip", NOTICE, None)
    (d / fname).write_bytes(data)
    (d / (fname + ".gz")).write_bytes(gzip.compress(data))
    d = add("gzip_of_truncated_file", NOTICE, n)
    (d / (fname + ".gz")).write_bytes(gzip.compress(data[: len(data) - 40]))
    return vs


def _lad_wards(mirror: Path) -> dict[str, list[tuple[str, str]]]:
    """LAD name -> its wards ``[(code, name)]`` (sorted), from the ONS lookup."""
    out: dict[str, dict[str, str]] = {}
    with open(mirror / "lookups/lsoa21_wd24_lad24_ew_lu.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            out.setdefault(r["LAD24NM"], {})[r["WD24CD"]] = r["WD24NM"]
    return {k: sorted(v.items()) for k, v in out.items()}


def locality_scope_variants(mirror: Path, out: Path, lad_name: str = "Blackpool",
                            other: str = "Dudley", neighbour: str = "Fylde") -> list[Variant]:
    """Locality files checked against an LA (``params["la"]``), and the TOML layouts.

    Real wards of ``lad_name``, of a far LA (``other``) and of a neighbouring one.
    """
    by_lad = _lad_wards(mirror)
    own, far, near = by_lad[lad_name], by_lad[other], by_lad[neighbour]
    d = out / "localities"
    variants: list[Variant] = []

    def rows_of(pairs: list[tuple[str, str]]) -> list[list[str]]:
        return [[f"Locality {1 + i % 3}", c, n] for i, (c, n) in enumerate(pairs)]

    def emit(name: str, data: bytes, expect: str, rows: int, fname: str = "localities.csv",
             **params: object) -> None:
        sub = d / name
        sub.mkdir(parents=True, exist_ok=True)
        p = sub / fname
        p.write_bytes(data)
        variants.append(Variant("localities", name, p, expect, rows, dict(params)))

    hdr = ["locality", "ward_code", "ward_name"]
    mixed = rows_of(own)
    for j, i in enumerate((2, 7, 12)):  # three wards swapped for wards of a far LA
        mixed[i][1:] = list(far[j])
    la = {"la": lad_name}
    emit("cross_la_other_la_wards", to_bytes(hdr, mixed), NOTICE, len(mixed), **la)
    emit("cross_la_whole_file_other_la", to_bytes(hdr, rows_of(far)), NOTICE, len(far), **la)
    span = rows_of(own) + [["Locality 1", c, n] for c, n in near[:2]]
    emit("cross_la_spanning_locality", to_bytes(hdr, span), NOTICE, len(span), **la)
    emit("cross_la_spanning_no_la", to_bytes(hdr, span), ANY, len(span))
    emit("cross_la_same_la_by_code", to_bytes(hdr, rows_of(own)), ANY, len(own),
         la=_lad_code(mirror, lad_name).lower())

    groups: dict[str, list[str]] = {}
    for loc, code, _ in rows_of(own):
        groups.setdefault(loc, []).append(code)

    def q(codes: list[str]) -> str:
        return "[" + ", ".join(f'"{c}"' for c in codes) + "]"

    names = list(groups)
    n_all = sum(len(v) for v in groups.values())
    table = "[localities]\n" + "".join(f'"{k}" = {q(v)}\n' for k, v in groups.items())
    nested = "".join(f'[localities."{k}"]\nwards = {q(v)}\n' for k, v in groups.items())
    array = "".join(f'[[locality]]\nname = "{k}"\nwards = {q(v)}\n' for k, v in groups.items())
    emit("toml_table_layout", table.encode(), ANY, n_all, "localities.toml")
    emit("toml_nested_layout", nested.encode(), ANY, n_all, "localities.toml")
    emit("toml_array_layout", array.encode(), ANY, n_all, "localities.toml")
    emit("toml_mixed_layouts", (f'[localities]\n"{names[0]}" = {q(groups[names[0]])}\n'
                                + "".join(f'[[locality]]\nname = "{k}"\nwards = {q(groups[k])}\n'
                                          for k in names[1:])).encode(),
         ANY, n_all, "localities.toml")
    dup = table + f'[[locality]]\nname = "{names[0]}"\nwards = {q(groups[names[0]][:1])}\n'
    emit("toml_duplicate_name_across_layouts", dup.encode(), NOTICE, n_all + 1, "localities.toml")
    emit("toml_duplicate_array_name", (array + f'[[locality]]\nname = "{names[1]}"\n'
                                       f'wards = {q(groups[names[0]][:1])}\n').encode(),
         NOTICE, n_all + 1, "localities.toml")
    emit("toml_nested_unknown_key", nested.replace("wards =", "ward =", 1).encode(), NOTICE,
         n_all, "localities.toml")
    return variants


def _lad_code(mirror: Path, lad_name: str) -> str:
    with open(mirror / "lookups/lsoa21_wd24_lad24_ew_lu.csv", encoding="utf-8") as fh:
        return next(r["LAD24CD"] for r in csv.DictReader(fh) if r["LAD24NM"] == lad_name)


# -- command-line options ----------------------------------------------------------------------

#: Numeric options and nonsense values for them: (subcommand, option, base argv, values).
BAD_OPTION_VALUES: list[tuple[str, str, list[str], tuple[str, ...]]] = [
    ("index", "--concentration", [], ("nan", "inf", "-inf", "0", "-1", "1e400", "2e6", "abc", "")),
    ("index", "--draws", [], ("0", "199", "5001", "2.5", "1e3", "nan", "-200")),
    ("index", "--seed", [], ("-1", "4294967296", "1.5", "nan")),
    ("index", "--top", [], ("-1", "10001", "nan", "2.5")),
    ("index", "--wait", [], ("-1", "nan", "inf", "86401")),
    ("build", "--wait", [], ("-5", "nan")),
    ("crime", "--wait", ["x.csv"], ("-5", "inf")),
    ("app", "--port", [], ("0", "65536", "-1", "nan", "8501.5")),
    ("run", "--port", [], ("0", "70000")),
    ("site", "--n", ["--la", "Blackpool"], ("0", "-3", "501", "2.5", "nan")),
    ("site", "--radius", ["--la", "Blackpool"], ("nan", "inf", "0", "-1.5", "101")),
    ("site", "--curve-to", ["--la", "Blackpool"], ("0", "-1", "1e9")),
    ("site", "--candidate-buffer", ["--la", "Blackpool"], ("-1", "nan", "51")),
    ("site", "--time-limit", ["--la", "Blackpool"], ("0", "-5", "nan", "inf")),
    ("serve", "--replicas", [], ("0", "-2", "257", "nan")),
    ("serve", "--port", [], ("0", "65536")),
    ("serve", "--check-interval", [], ("0", "-1", "nan", "inf")),
    ("fetch", "--retries", [], ("0", "-1", "21", "nan", "2.5")),
]


def option_variants(out: Path) -> list[Variant]:
    """One variant per nonsense value of a numeric option; the file holds the argv (JSON).

    Each is parsed by the ``needsmap`` parser only (nothing runs): it must stop with a
    message naming the option and what it must be.
    """
    d = out / "cli_options"
    variants = []

    def emit(name: str, argv: list[str], expect: str) -> None:
        sub = d / name
        sub.mkdir(parents=True, exist_ok=True)
        p = sub / "argv.json"
        p.write_text(json.dumps(argv), encoding="utf-8")
        variants.append(Variant("cli_options", name, p, expect, None))

    emit("baseline", ["index", "--concentration", "20", "--draws", "300", "--seed", "7",
                      "--top", "5", "--wait", "0"], ANY)
    for cmd, opt, base, values in BAD_OPTION_VALUES:
        for v in values:
            emit(f"{cmd}{opt}={v or 'blank'}", [cmd, *base, f"{opt}={v}"], NOTICE)
    return variants


def iter_files(out: Path) -> Iterator[Path]:
    yield from sorted(p for p in out.rglob("*") if p.is_file())


def main(argv: list[str]) -> int:
    from badinput.corpus import SPECS

    out = Path(argv[1] if len(argv) > 1 else "/tmp/needsmap-badinput")
    mirror = Path(os.environ.get("NEEDSMAP_MIRROR", Path(__file__).resolve().parents[3] / "shared/geodata"))
    total = 0
    for spec in SPECS:
        vs = (geojson_variants(mirror, spec, out) if isinstance(spec, GeoSpec)
              else csv_variants(mirror, spec, out))
        total += len(vs)
        for v in vs:
            print(f"{v.loader:22s} {v.name:26s} {v.expect:6s} rows={v.rows} {v.path}")
    vs = (locality_variants(mirror, out) + locality_scope_variants(mirror, out)
          + option_variants(out) + police_file_variants(mirror, out))
    total += len(vs)
    print(f"{total} variants written under {out}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    raise SystemExit(main(sys.argv))
