"""English Indices of Deprivation 2019 at LSOA 2011: the published national ranks.

Only ranks are read, because only positions are compared across IoD vintages (the
IoD2025 levels, IDACI above all, are not comparable with IoD2019's; docs/method.md,
"Change since IoD2019"). Two files, in MHCLG's own headers (CSV exports of the official
XLSX, as in the mirror; File 2 is gzip-compressed there):

``iod2019_domains`` (File 2)
    IMD, income and crime ranks (1 = most deprived of the 32,844 English LSOAs 2011).
``iod2019_supplementary`` (File 3)
    IDACI rank. Its values carry two decimals (``29199.00``); they must be whole.

Each loader makes a temporary table (``iod2019_ranks_f2``, ``iod2019_ranks_f3``), read by
``queries/change_lsoa.sql``. Rows are kept or rejected with a reason: a code that is not
an LSOA 2011 code, a Welsh code (out of scope), a duplicate, a code missing from the ONS
LSOA11->LSOA21 lookup, a rank that is not a whole number from 1 to the number of rows.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from needsmap.ingest.csvio import (
    apply_rules,
    duplicate_rule,
    gss_rule,
    num_expr,
    numeric_rule,
    read_csv_raw,
)
from needsmap.ingest.report import FileReport
from needsmap.sql import ident, literal

KEY = "LSOA code (2011)"

#: File 2 column -> measure (see needsmap.areas.change.MEASURES).
FILE2_RANKS = {
    "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)": "imd",
    "Income Rank (where 1 is most deprived)": "income",
    "Crime Rank (where 1 is most deprived)": "crime",
}
#: File 3 column -> measure.
FILE3_RANKS = {
    "Income Deprivation Affecting Children Index (IDACI) Rank (where 1 is most deprived)": "idaci",
}


def load_file2(con: duckdb.DuckDBPyConnection, path: Path, fr: FileReport) -> None:
    """IoD2019 File 2 ranks -> temporary table ``iod2019_ranks_f2(lsoa11_code, measure, rank)``."""
    _load(con, path, fr, FILE2_RANKS, "iod2019_ranks_f2")


def load_file3(con: duckdb.DuckDBPyConnection, path: Path, fr: FileReport) -> None:
    """IoD2019 File 3 IDACI rank -> temporary table ``iod2019_ranks_f3(lsoa11_code, measure, rank)``."""
    _load(con, path, fr, FILE3_RANKS, "iod2019_ranks_f3")


def _load(con: duckdb.DuckDBPyConnection, path: Path, fr: FileReport, ranks: dict[str, str],
          table: str) -> None:
    cols = [KEY, *ranks]
    raw = read_csv_raw(con, path, fr, cols, only=cols)
    k = ident(KEY)
    n = con.execute(f"SELECT count(*) FROM {raw}").fetchone()[0]
    rules = [
        gss_rule(KEY, r"[EW]01[0-9]{6}", "LSOA 2011"),
        duplicate_rule(raw, KEY),
        ("out of scope: not an English LSOA", KEY, f"(NOT starts_with(trim({k}), 'E'))"),
        *numeric_rule(list(ranks), allow_negative=False, allow_suppressed=False, integer=True),
        *[(f"rank outside 1-{n} in {c}", c,
           f"(TRY_CAST({ident(c)} AS DOUBLE) < 1 OR TRY_CAST({ident(c)} AS DOUBLE) > {int(n)})")
          for c in ranks],
        ("LSOA 2011 code not in the ONS LSOA11->LSOA21 lookup", KEY,
         f"(trim({k}) NOT IN (SELECT lsoa11_code FROM lsoa11_lsoa21))"),
    ]
    kept = apply_rules(con, raw, fr, rules, cols)
    parts = " UNION ALL ".join(
        f"SELECT trim({k}) AS lsoa11_code, {literal(m)} AS measure, {num_expr(c, 'INTEGER')} AS rank "
        f"FROM {kept}" for c, m in ranks.items())
    con.execute(f"CREATE OR REPLACE TEMP TABLE {ident(table)} AS {parts}")
    fr.rows_kept = con.execute(f"SELECT count(*) FROM {kept}").fetchone()[0]
    note = f"ranks of {fr.rows_kept} English LSOAs 2011: " + ", ".join(sorted(set(ranks.values())))
    fr.note = "; ".join(x for x in (fr.note, note) if x)
