"""Strict CSV reading into DuckDB, with row-level rejects.

:func:`read_csv_raw` loads a CSV as all-text columns into a temporary table with a
``_row`` column (1-based data row; the header is line 1, so data row *r* is
line *r + 1*). Structural errors (wrong field count, bad quoting, bad
encoding) are captured with DuckDB's ``store_rejects`` and recorded in the
file's load report with their line. :func:`apply_rules` then moves rows that
break declarative validation rules into the report, first failing rule wins.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np

from needsmap.ingest.report import FileReport, InputError, require_file

#: Markers publishers use for suppressed or unavailable cells.
SUPPRESSED = ("c", "*", "..", ":", "x", "-", "z", "[c]", "[x]", "[z]", "..c")
_SUP_VARIANTS = ("", *SUPPRESSED, *(v.upper() for v in SUPPRESSED if v.upper() != v))

_counter = 0


def _tmpname(prefix: str) -> str:
    global _counter
    _counter += 1
    return f"_{prefix}_{_counter}"


def sniff_header(path: Path, delimiter: str = ",") -> list[str]:
    """Return the header fields of ``path`` (UTF-8, optional BOM) or raise InputError."""
    name = require_file(path)
    with open(path, "rb") as fh:
        head = fh.read(65536)
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8):]
    first = head.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(name, f"header is not valid UTF-8 ({exc.reason}); re-save the file as UTF-8",
                         row=0) from exc
    fields = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    if not any(f.strip() for f in fields):
        raise InputError(name, "no header row", row=0)
    return [f.strip() for f in fields]


def check_columns(path: Path, header: Sequence[str], expected: Sequence[str]) -> None:
    """Raise InputError naming missing columns (and the columns found)."""
    missing = [c for c in expected if c not in header]
    if missing:
        hint = ""
        if len(header) == 1 and (";" in header[0] or "\t" in header[0] or "|" in header[0]):
            hint = " (the file looks like it uses another delimiter; needsmap expects commas)"
        raise InputError(str(path), f"missing column(s) {missing}; found {list(header)}{hint}",
                         row=0, column=missing[0])


def read_csv_raw(con: duckdb.DuckDBPyConnection, path: Path, fr: FileReport,
                 expected: Sequence[str] = (), header: bool = True,
                 names: Sequence[str] | None = None, skip: int = 0,
                 only: Sequence[str] | None = None) -> str:
    """Load ``path`` as text columns into a temp table and return its name.

    Parameters
    ----------
    con
        Open connection.
    path
        CSV file (UTF-8, comma separated, one header row unless ``header`` is false).
    fr
        File report; ``rows_read`` is set to the number of data rows, and every
        structurally bad row is recorded as rejected with its line.
    expected
        Columns that must be present.
    header, names
        For headerless official layouts (epraccur, Code-Point) pass
        ``header=False`` and the column ``names``.
    """
    if header:
        cols = sniff_header(path)
        check_columns(path, cols, expected)
    else:
        require_file(path)
    table = _tmpname("raw")
    rej_t, rej_s = _tmpname("rejt"), _tmpname("rejs")
    opts = dict(
        header=header, all_varchar=True, delim=",", quote='"', escape='"', strict_mode=True,
        store_rejects=True, rejects_table=rej_t, rejects_scan=rej_s, skip=skip,
        null_padding=False, auto_detect=False if names else True,
    )
    params: dict[str, object] = {"p": str(path)}
    extra = ""
    if names:
        extra = ", columns = $cols"
        params["cols"] = {n: "VARCHAR" for n in names}
        opts.pop("all_varchar")
    sel = ", ".join(qi(c) for c in only) if only else "*"
    optsql = ", ".join(f"{k} = {_lit(v)}" for k, v in opts.items())
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS "
            f"SELECT row_number() OVER () AS _row, {sel} FROM read_csv($p, {optsql}{extra})",
            params,
        )
    except duckdb.InvalidInputException as exc:
        msg = str(exc).split("\n")[0]
        if "UTF" in msg or "unicode" in msg.lower():
            raise InputError(str(path), "not valid UTF-8 (latin-1?); re-save the file as UTF-8") from exc
        raise InputError(str(path), f"cannot parse CSV: {msg}") from exc
    kept = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    rej = con.execute(
        f"SELECT line, column_name, error_type, error_message, csv_line FROM {rej_t} ORDER BY line"
    ).fetchall()
    # one rejected row per bad line (DuckDB may report several errors for one line)
    bad_lines: dict[int, tuple] = {}
    for line, col, etype, emsg, raw in rej:
        bad_lines.setdefault(int(line), (col, etype, emsg, raw))
    for line, (col, etype, emsg, raw) in sorted(bad_lines.items()):
        fr.reject(line - 1 if header else line, col, f"malformed CSV row ({etype}): {emsg.splitlines()[0][:200]}",
                  raw or "")
    fr.rows_read = int(kept) + len(bad_lines)
    if bad_lines:
        # re-number kept rows around the rejected lines so _row is the true data row
        first = 2 if header else 1
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


def _lit(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return "'" + str(v).replace("'", "''") + "'"


def qi(name: str) -> str:
    """Quote an identifier (column names come from catalogue/official headers, not users)."""
    return '"' + name.replace('"', '""') + '"'


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
    raw = " || ',' || ".join(f"coalesce({qi(c)}, '')" for c in raw_cols) or "''"
    numcols = sorted({c for r in rules if isinstance(r, NumericRule) for c in r.columns})
    extra = "".join(f", t.{qi(c)}" for c in numcols)
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
        sup = ", ".join(_lit(v) for v in _SUP_VARIANTS)
        parts = []
        for col in self.columns:
            c = qi(col)
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
        return f"TRY_CAST(TRY_CAST({qi(col)} AS DOUBLE) AS {cast})"
    return f"TRY_CAST({qi(col)} AS {cast})"


def suppressed_counts(con: duckdb.DuckDBPyConnection, table: str, cols: Sequence[str]) -> dict[str, int]:
    """Blank or suppressed cells per column of ``table``, counted in one scan.

    ``table`` holds rows kept by :func:`apply_rules` with a :class:`NumericRule` on
    ``cols``, so each of their cells is a number or blank/suppressed: a cell that
    does not cast to a number is a blank or suppressed one.
    """
    counts = ", ".join(f"count(*) FILTER (WHERE TRY_CAST({qi(c)} AS DOUBLE) IS NULL)" for c in cols)
    row = con.execute(f"SELECT {counts} FROM {table}").fetchone()
    return dict(zip(cols, (int(n) for n in row), strict=True))


def duplicate_rule(table: str, key: str) -> tuple[str, str, str]:
    """Rule rejecting second and later occurrences of a key (first occurrence kept)."""
    k = qi(key)
    # a hash aggregate (the first row of each key) is much cheaper than a window sort
    return (f"duplicate {key}", key,
            f"(_row NOT IN (SELECT min(_row) FROM {table} GROUP BY {k}))")


def gss_rule(col: str, pattern: str, what: str) -> tuple[str, str, str]:
    """Rule rejecting a cell that is not, once trimmed, a GSS code matching ``pattern``.

    The cell as read is matched first; only cells that fail are trimmed (``trim``
    copies every string it is given: 40% of the rule's cost on the Census file).
    """
    c, p = qi(col), _lit(pattern)
    return (f"{col} is not a {what} GSS code", col,
            f"(NOT coalesce(regexp_full_match({c}, {p}), false) "
            f"AND NOT regexp_full_match(coalesce(trim({c}), ''), {p}))")
