"""The one strict CSV reader: every CSV file needsmap reads goes through this module.

* :func:`decode` is the encoding policy: UTF-8 (a BOM is fine); Windows-1252 accepted
  with a note (Excel's and GIAS's "ANSI"); UTF-16 and binary files refused with a
  message that says how to re-save the file.
* :func:`read_csv_raw` loads a CSV as all-text columns into a temporary DuckDB table
  with a ``_row`` column (1-based data row; the header is row 0). DuckDB reads it in
  strict mode with ``store_rejects``: a row with the wrong number of fields, bad
  quoting or a blank line is rejected into the file's load report with its row and
  reason, never read row by row in Python. :func:`apply_rules` then moves rows that
  break declarative validation rules into the report (first failing rule wins).
* :func:`read_csv_table` is the same reader returning a pandas frame of text cells
  (``row`` + the columns), for small files: the service lists and users' uploads.

Rows are counted so that every file balances: ``rows_read == rows_kept + rows_rejected``.
Identifiers are quoted with :func:`needsmap.sql.ident`.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import math
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from needsmap.ingest.report import FileReport, InputError, require_file
from needsmap.sql import ident, literal

#: Markers publishers use for suppressed or unavailable cells.
SUPPRESSED = ("c", "*", "..", ":", "x", "-", "z", "[c]", "[x]", "[z]", "..c")
_SUP_VARIANTS = ("", *SUPPRESSED, *(v.upper() for v in SUPPRESSED if v.upper() != v))

#: How to re-save a spreadsheet as the CSV needsmap reads.
RESAVE = "save it as UTF-8 CSV (Excel: File > Save as > CSV UTF-8 (Comma delimited))"

_counter = 0


def _tmpname(prefix: str) -> str:
    global _counter
    _counter += 1
    return f"_{prefix}_{_counter}"


# ------------------------------------------------------------------------ encoding
def decode(data: bytes, label: str) -> tuple[str, str]:
    """Decode a CSV file's bytes by the project's one encoding policy.

    Returns ``(text, note)``; ``note`` is empty for UTF-8 and says so when the file
    was read as Windows-1252.

    Raises
    ------
    InputError
        For UTF-16 (or UTF-32) text, binary data (NUL bytes), or bytes that are
        neither UTF-8 nor Windows-1252; the message says how to re-save the file.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (
            len(data) >= 4 and data[1:4:2] == b"\x00\x00" and data[0:4:2] != b"\x00\x00") or (
            len(data) >= 4 and data[0:4:2] == b"\x00\x00" and data[1:4:2] != b"\x00\x00"):
        raise InputError(label, f"the file is UTF-16 text (Excel's 'Unicode text'); {RESAVE}")
    if b"\x00" in data:
        raise InputError(label, "not a text CSV file (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError as exc:
        try:
            return data.decode("cp1252"), "decoded as Windows-1252 (not UTF-8)"
        except UnicodeDecodeError:
            line = data[: exc.start].count(b"\n") + 1
            raise InputError(label, f"not UTF-8 text (byte 0x{data[exc.start]:02x} on line "
                             f"{line}); {RESAVE}") from None


def delimiter_hint(header: Sequence[str]) -> str:
    """A hint when a one-column header looks like another delimiter was used."""
    if len(header) == 1:
        for d, name in ((";", "a semicolon (;)"), ("\t", "a tab"), ("|", "a bar (|)")):
            if d in header[0]:
                return (f" (the delimiter looks like {name}, not a comma: {RESAVE})")
    return ""


def _first_record(text: str, label: str = "CSV") -> list[str]:
    """The fields of the first record (the header) of ``text``."""
    try:
        return next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error as exc:
        raise InputError(label, f"malformed CSV in the first row: {exc}", row=0) from None


def sniff_header(path: Path, delimiter: str = ",") -> list[str]:
    """Return the header fields of ``path`` (by :func:`decode`'s policy) or raise InputError."""
    name = require_file(path)
    with open(path, "rb") as fh:
        head = fh.read(65536)
    first = head.split(b"\n", 1)[0]
    text, _ = decode(first, name)
    fields = [f.strip() for f in _first_record(text, name)]
    if not any(fields):
        raise InputError(name, "no header row", row=0)
    return fields


def check_columns(path: Path | str, header: Sequence[str], expected: Sequence[str]) -> None:
    """Raise InputError naming missing columns (and the columns found)."""
    missing = [c for c in expected if c not in header]
    if missing:
        raise InputError(str(path), f"missing column(s) {missing}; found {list(header)}"
                         f"{delimiter_hint(header)}", row=0, column=missing[0])


def _blank_lines(text: str) -> list[int]:
    """1-based line numbers of empty lines (DuckDB skips them; they are rejected as blank)."""
    out = []
    for m in re.finditer(r"\n(?=\r?(\n|$))", text):
        if m.end() < len(text) or text.endswith("\n\n") or text.endswith("\n\r\n"):
            out.append(text.count("\n", 0, m.start()) + 2)
    # a file that ends with one newline has no blank last line
    n_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    return [x for x in out if x <= n_lines]


def _utf8_source(path: Path, label: str, fr: FileReport) -> tuple[Path, str, Path | None]:
    """The file (or a UTF-8 copy of it, for Windows-1252 or gzip), its text, and the copy to delete.

    A gzip-compressed CSV (the IoD2019 File 1 and File 2 exports are ``.csv.gz``) is
    decompressed in memory and read by the same policy, with a note.
    """
    data = Path(path).read_bytes()
    gz = data[:2] == b"\x1f\x8b"
    if gz:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise InputError(label, f"cannot decompress the gzip file: {exc}") from None
    text, note = decode(data, label)
    if gz:
        note = "; ".join(n for n in ("gzip-compressed", note) if n)
    if note:
        fr.note = (fr.note + "; " if fr.note else "") + note
        fd, tmp = tempfile.mkstemp(prefix="needsmap-csv-", suffix=".csv")
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        return Path(tmp), text, Path(tmp)
    return Path(path), text, None


def _reason(etype: str, raw: str, width: int) -> str:
    """The load-report reason for a row DuckDB's strict reader rejected ("" = its own)."""
    if etype in ("TOO MANY COLUMNS", "MISSING COLUMNS"):
        if not raw.strip():
            return "blank row"
        try:
            n = len(next(csv.reader(io.StringIO(raw), strict=True), []))
        except csv.Error:
            return "bad quoting (a quote mark is not closed, or text follows a closing quote)"
        return f"row has {n} fields; the header has {width}"
    if etype == "UNQUOTED VALUE":
        return "bad quoting (a quote mark is not closed, or text follows a closing quote)"
    return ""


def read_csv_raw(con: duckdb.DuckDBPyConnection, path: Path, fr: FileReport,
                 expected: Sequence[str] = (), header: bool = True,
                 names: Sequence[str] | None = None, skip: int = 0,
                 only: Sequence[str] | None = None, label: str | None = None) -> str:
    """Load ``path`` as text columns into a temp table and return its name.

    Parameters
    ----------
    con
        Open connection.
    path
        CSV file (comma separated; encoding by :func:`decode`).
    fr
        File report; ``rows_read`` is set to the number of data rows, and every
        structurally bad row (wrong field count, bad quoting, blank) is recorded as
        rejected with its row and reason.
    expected
        Columns that must be present.
    header, names
        For headerless official layouts (epraccur) pass ``header=False`` and the
        column ``names``.
    only
        Keep only these columns.
    label
        Name used in messages (default: the path).
    """
    label = label or str(path)
    require_file(path)
    src, text, tmp = _utf8_source(Path(path), label, fr)
    try:
        width = len(names) if names else 0
        if header:
            cols = [f.strip() for f in _first_record(text, label)]
            if not any(cols):
                raise InputError(label, "no header row", row=0)
            check_columns(label, cols, expected)
            width = len(cols)
        return _read(con, src, text, fr, header, names, skip, only, width)
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def _read(con: duckdb.DuckDBPyConnection, src: Path, text: str, fr: FileReport, header: bool,
          names: Sequence[str] | None, skip: int, only: Sequence[str] | None,
          width: int) -> str:
    label = fr.file
    table = _tmpname("raw")
    rej_t, rej_s = _tmpname("rejt"), _tmpname("rejs")
    opts = dict(
        header=header, all_varchar=True, delim=",", quote='"', escape='"', strict_mode=True,
        store_rejects=True, rejects_table=rej_t, rejects_scan=rej_s, skip=skip,
        null_padding=False, auto_detect=False if names else True,
    )
    params: dict[str, object] = {"p": str(src)}
    extra = ""
    if names:
        extra = ", columns = $cols"
        params["cols"] = {n: "VARCHAR" for n in names}
        opts.pop("all_varchar")
    sel = ", ".join(ident(c) for c in only) if only else "*"
    optsql = ", ".join(f"{k} = {literal(v)}" for k, v in opts.items())
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS "
            f"SELECT row_number() OVER () AS _row, {sel} FROM read_csv($p, {optsql}{extra})",
            params,
        )
    except (duckdb.InvalidInputException, duckdb.BinderException) as exc:
        msg = str(exc).split("\n")[0]
        raise InputError(label, f"cannot parse CSV: {msg}") from exc
    kept = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    rej = con.execute(
        f"SELECT line, column_name, error_type, error_message, csv_line FROM {rej_t} ORDER BY line"
    ).fetchall()
    # one rejected row per bad line (DuckDB may report several errors for one line)
    bad_lines: dict[int, tuple] = {}
    for line, col, etype, emsg, raw in rej:
        bad_lines.setdefault(int(line), (col, etype, emsg, raw))
    first = (2 if header else 1) + skip  # file line of data row 1
    blanks = [b for b in _blank_lines(text) if b >= first]
    for line in blanks:
        bad_lines.setdefault(line, (None, "BLANK", "", ""))
    for line, (col, etype, emsg, raw) in sorted(bad_lines.items()):
        why = "blank row" if etype == "BLANK" else _reason(etype, raw or "", width)
        if why:
            col = None
        else:
            why = f"malformed CSV row ({etype}): {emsg.splitlines()[0][:200]}"
        fr.reject(line - first + 1, col, why, raw or "")
    fr.rows_read = int(kept) + len(bad_lines)
    if bad_lines:
        # re-number kept rows around the rejected and blank lines so _row is the true data row
        total = fr.rows_read
        lines = np.setdiff1d(np.arange(first, first + total), np.array(sorted(bad_lines)))
        rows = lines - (first - 1)
        con.register("_rowmap", {"_rn": np.arange(1, kept + 1), "_true": rows[:kept]})
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT m._true AS _row, t.* EXCLUDE (_row) "
            f"FROM {table} t JOIN _rowmap m ON t._row = m._rn ORDER BY 1"
        )
        con.unregister("_rowmap")
    con.execute(f"DROP TABLE IF EXISTS {rej_t}")
    con.execute(f"DROP TABLE IF EXISTS {rej_s}")
    return table


def finite_number(s: pd.Series) -> pd.Series:
    """Numbers from text; blanks, words, ``inf`` and ``nan`` become NaN."""
    v = pd.to_numeric(s, errors="coerce").astype("float64")
    return v.where(np.isfinite(v))


def read_csv_table(source: str | os.PathLike[str] | bytes, fr: FileReport, *,
                   header: bool = True, names: Sequence[str] | None = None,
                   required: Sequence[str] = (), what: str = "CSV", label: str | None = None,
                   header_key: Callable[[str], str] | None = None) -> pd.DataFrame:
    """Read a small CSV (a path, or an upload's bytes) into text columns plus ``row``.

    The same strict reader as :func:`read_csv_raw` (on a private in-memory DuckDB):
    file-level faults (empty, not text, UTF-16, missing or repeated columns, a first
    record of the wrong width for a headerless layout) raise
    :class:`~needsmap.ingest.report.InputError` naming the file (and row); a data row
    with the wrong number of fields, bad quoting or a blank row is rejected with a
    reason. Cells are trimmed (Unicode whitespace, so a non-breaking space too) and
    empty cells become ``None``. Sets ``fr.rows_read``.

    Parameters
    ----------
    header_key
        Maps each header cell to the column name used (e.g. case-insensitive aliases
        for users' lists); repeated names after mapping are a file error.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        label = label or "upload.csv"
        data = bytes(source)
    else:
        label = label or str(source)
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise InputError(label, f"cannot read the file: {exc}") from None
    if not data.strip():
        raise InputError(label, "the file is empty")
    text, note = decode(data, label)
    first = _first_record(text, label)
    if header:
        raw_cols = [c.strip() for c in first]
        if not any(raw_cols):
            raise InputError(label, "no header row (the first line is empty)", row=0)
        cols = [header_key(c) if header_key else c for c in raw_cols]
        dupes = sorted({c for c in cols if c and cols.count(c) > 1})
        if dupes:
            raise InputError(label, f"column {dupes[0]!r} appears twice in the header", row=0)
        missing = [c for c in required if c not in cols]
        if missing:
            raise InputError(label, f"missing {what} column(s) {missing}; found {raw_cols}"
                             f"{delimiter_hint(raw_cols)}", row=0)
        # unique placeholder names for DuckDB; the real names are put back below
        names_in = [f"c{i}" for i in range(len(cols))]
    else:
        cols = list(names or [])
        names_in = cols
        if len(first) != len(cols):
            raise InputError(label, f"expected the {len(cols)}-column headerless {what} layout, "
                             f"found {len(first)} columns{delimiter_hint(first)}", row=1)
    fd, tmp = tempfile.mkstemp(prefix="needsmap-csv-", suffix=".csv")
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
    sub = FileReport(fr.source_id, label)
    con = duckdb.connect()
    try:
        t = _read(con, Path(tmp), text, sub, header=False, names=names_in, skip=1 if header else 0,
                  only=None, width=len(cols))
        df = con.execute(f"SELECT * FROM {t} ORDER BY _row").df()
    finally:
        con.close()
        Path(tmp).unlink(missing_ok=True)
    fr.rows_read += sub.rows_read
    real = dict(zip(names_in, cols, strict=True))
    for r in sub.rejected:
        r["column"] = real.get(r["column"], r["column"])
    fr.rejected.extend(sub.rejected)
    if note:
        fr.note = (fr.note + "; " if fr.note else "") + note
    if not sub.rows_read:
        fr.note = (fr.note + "; " if fr.note else "") + "the file has a header but no data rows"
    df.columns = ["row", *cols]
    body = df[cols].apply(lambda c: c.str.strip()).replace("", None) if len(df) else df[cols]
    out = pd.concat([df[["row"]].astype("int64"), body.astype(object)], axis=1)
    return out.reset_index(drop=True)


def apply_rules(con: duckdb.DuckDBPyConnection, table: str, fr: FileReport,
                rules: Sequence[tuple[str, str | None, str] | NumericRule],
                raw_cols: Sequence[str]) -> str:
    """Move rows failing any rule into the report; return a table of the rows kept.

    Parameters
    ----------
    rules
        ``(reason, column, bad_predicate_sql)``; a row is rejected by the first
        rule whose predicate is true. Predicates are fixed SQL written in the
        loaders (never user text).
    raw_cols
        Columns joined (comma separated) into the ``raw`` text of a rejected row.
    """
    if not rules:
        return table
    flagged = _tmpname("flag")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {flagged} (_row BIGINT, _rule INTEGER)")
    for i, rule in enumerate(rules):
        pred = rule.predicate() if isinstance(rule, NumericRule) else rule[2]
        # one filter per rule (a single CASE with many branches is slow in DuckDB);
        # window predicates (duplicates) go through QUALIFY
        clause = "QUALIFY" if " OVER " in pred else "WHERE"
        con.execute(f"INSERT INTO {flagged} SELECT _row, {i} FROM {table} {clause} {pred}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {flagged} AS SELECT _row, min(_rule) AS _rule "
                f"FROM {flagged} GROUP BY _row")
    raw = " || ',' || ".join(f"coalesce({ident(c)}, '')" for c in raw_cols) or "''"
    numcols = sorted({c for r in rules if isinstance(r, NumericRule) for c in r.columns})
    extra = "".join(f", t.{ident(c)}" for c in numcols)
    bad = con.execute(
        f"SELECT f._row, f._rule, {raw}{extra} FROM {flagged} f JOIN {table} t USING (_row) ORDER BY f._row"
    ).fetchall()
    for row, rule_i, rawtext, *vals in bad:
        rule = rules[rule_i]
        if isinstance(rule, NumericRule):
            byname = dict(zip(numcols, vals, strict=True))
            col, reason = rule.classify([byname[c] for c in rule.columns])
        else:
            reason, col, _ = rule
        fr.reject(int(row), col, reason, (rawtext or "")[:500])
    kept = _tmpname("kept")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {kept} AS SELECT * FROM {table} "
                f"WHERE _row NOT IN (SELECT _row FROM {flagged})")
    return kept


@dataclass(frozen=True)
class NumericRule:
    """Numeric validity of one or more text columns, checked in one pass.

    A cell is bad if it is not blank/suppressed and does not parse as a number,
    or is NaN or infinite, or (unless ``allow_negative``) negative; blank and
    suppressed cells are bad only when ``allow_suppressed`` is false. The reason
    recorded names the first bad column of the row and what is wrong with it.
    """

    columns: tuple[str, ...]
    allow_negative: bool = True
    allow_suppressed: bool = True
    integer: bool = False

    def predicate(self) -> str:
        """SQL true for a row with a bad cell in any of ``columns``.

        Per column, with ``d = TRY_CAST(c AS DOUBLE)``: a number is good when it is
        finite (and non-negative, and whole, if asked); a cell that is not a number
        (``d`` NULL) is good only if blank/suppressed cells are allowed and it is one.
        Written as ``NOT coalesce(<number checks>, <blank allowed>)``: every number
        check is NULL when ``d`` is, so the blank test runs only on non-numbers.
        This is 6x cheaper in DuckDB than spelling each failure out, since the cast
        is not evaluated once per failure kind.
        """
        sup = ", ".join(literal(v) for v in _SUP_VARIANTS)
        parts = []
        for col in self.columns:
            c = ident(col)
            d = f"TRY_CAST({c} AS DOUBLE)"
            ok = f"isfinite({d})"
            if not self.allow_negative:
                ok += f" AND {d} >= 0"
            if self.integer:
                ok += f" AND {d} = floor({d})"
            blank_ok = f"({c} IS NULL OR trim({c}) IN ({sup}))" if self.allow_suppressed else "false"
            parts.append(f"(NOT coalesce({ok}, {blank_ok}))")
        return "(" + " OR ".join(parts) + ")"

    def classify(self, values: Sequence[str | None]) -> tuple[str, str]:
        """Return ``(column, reason)`` for a flagged row's values of ``columns``."""
        for col, v in zip(self.columns, values, strict=True):
            t = (v or "").strip()
            if t in _SUP_VARIANTS or v is None:
                if not self.allow_suppressed:
                    return col, f"missing or suppressed value in {col}"
                continue
            try:
                x = float(t)
            except ValueError:
                return col, f"non-numeric value in {col}: {t[:40]!r}"
            if math.isnan(x) or math.isinf(x):
                return col, f"NaN or infinite value in {col}"
            if not self.allow_negative and x < 0:
                return col, f"negative value in {col}"
            if self.integer and x != math.floor(x):
                return col, f"non-integer count in {col}"
        return self.columns[0], f"invalid value in {', '.join(self.columns)}"


def numeric_rule(col: str | Sequence[str], allow_negative: bool = True,
                 allow_suppressed: bool = True, integer: bool = False) -> list[NumericRule]:
    """Rules for numeric text column(s); blank and suppressed cells become NULL via :func:`num_expr`."""
    cols = (col,) if isinstance(col, str) else tuple(col)
    return [NumericRule(cols, allow_negative, allow_suppressed, integer)]


def num_expr(col: str, cast: str = "DOUBLE") -> str:
    """SQL turning a validated numeric text column into a number (suppressed/blank -> NULL).

    Only valid after :class:`NumericRule` has rejected every cell that is neither
    a number nor blank/suppressed, so a plain ``TRY_CAST`` is exact here.
    """
    if cast in ("BIGINT", "INTEGER"):
        return f"TRY_CAST(TRY_CAST({ident(col)} AS DOUBLE) AS {cast})"
    return f"TRY_CAST({ident(col)} AS {cast})"


def suppressed_counts(con: duckdb.DuckDBPyConnection, table: str, cols: Sequence[str]) -> dict[str, int]:
    """Blank or suppressed cells per column of ``table``, counted in one scan.

    ``table`` holds rows kept by :func:`apply_rules` with a :class:`NumericRule` on
    ``cols``, so each of their cells is a number or blank/suppressed: a cell that
    does not cast to a number is a blank or suppressed one.
    """
    counts = ", ".join(f"count(*) FILTER (WHERE TRY_CAST({ident(c)} AS DOUBLE) IS NULL)" for c in cols)
    row = con.execute(f"SELECT {counts} FROM {table}").fetchone()
    return dict(zip(cols, (int(n) for n in row), strict=True))


def duplicate_rule(table: str, key: str) -> tuple[str, str, str]:
    """Rule rejecting second and later occurrences of a key (first occurrence kept)."""
    k = ident(key)
    # a hash aggregate (the first row of each key) is much cheaper than a window sort
    return (f"duplicate {key}", key,
            f"(_row NOT IN (SELECT min(_row) FROM {table} GROUP BY {k}))")


def gss_rule(col: str, pattern: str, what: str) -> tuple[str, str, str]:
    """Rule rejecting a cell that is not, once trimmed, a GSS code matching ``pattern``.

    The cell as read is matched first; only cells that fail are trimmed (``trim``
    copies every string it is given: 40% of the rule's cost on the Census file).
    """
    c, p = ident(col), literal(pattern)
    return (f"{col} is not a {what} GSS code", col,
            f"(NOT coalesce(regexp_full_match({c}, {p}), false) "
            f"AND NOT regexp_full_match(coalesce(trim({c}), ''), {p}))")
