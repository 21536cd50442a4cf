"""Wales: the Welsh rows of the LSOA21->WD24 lookup, and WIMD 2019 at LSOA 2011.

Two loaders (issue 21; docs/method.md, "Wales"):

``load_lookup_wales``
    The ONS LSOA21->WD24->LAD24 best-fit lookup's Welsh rows into
    ``lookup_lsoa21_wd24_wales`` (same columns as the English ``lookup_lsoa21_wd24``).
    English rows are recorded as out of scope: the English loader keeps them.
``load_wimd``
    WIMD 2019 index and domain scores (full precision, re-serialised from the Welsh
    Government ODS) into the temporary table ``wimd_lsoa11`` (``lsoa11_code`` and one
    DOUBLE per score). Rows are kept or rejected with a reason: a code that is not a
    Welsh LSOA 2011 code, a duplicate, a score that is not a number, a code missing from
    the ONS LSOA11->LSOA21 lookup.
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
from needsmap.ingest.lookup import COLUMNS as LOOKUP_COLUMNS
from needsmap.ingest.report import FileReport

#: WIMD 2019 score columns read (higher = more deprived, as published).
SCORES = ("wimd_score", "income_score", "employment_score", "health_score", "education_score",
          "access_to_services_score", "housing_score", "community_safety_score",
          "physical_environment_score")


def load_lookup_wales(con: duckdb.DuckDBPyConnection, path: Path, fr: FileReport) -> None:
    """Create ``lookup_lsoa21_wd24_wales`` from the Welsh rows of the ONS lookup."""
    raw = read_csv_raw(con, path, fr, LOOKUP_COLUMNS)
    rules = [
        gss_rule("LSOA21CD", r"[EW]0[1-9][0-9]{6}", "LSOA 2021"),
        gss_rule("WD24CD", r"[EW]05[0-9]{6}", "ward"),
        gss_rule("LAD24CD", r"[EW]0[6-9][0-9]{6}", "local authority district"),
        ("missing ward or LAD name", "WD24NM",
         "(coalesce(trim(WD24NM), '') = '' OR coalesce(trim(LAD24NM), '') = '')"),
        duplicate_rule(raw, "LSOA21CD"),
        ("out of scope of the Welsh tables: not in Wales (the English lookup keeps it)",
         "LAD24CD", "(NOT starts_with(trim(LAD24CD), 'W'))"),
        ("LSOA in a Welsh LAD but not a Welsh LSOA code", "LSOA21CD",
         "(NOT starts_with(trim(LSOA21CD), 'W01'))"),
    ]
    kept = apply_rules(con, raw, fr, rules, LOOKUP_COLUMNS)
    con.execute(f"""CREATE OR REPLACE TABLE lookup_lsoa21_wd24_wales AS
        SELECT trim(LSOA21CD) AS lsoa_code, LSOA21NM AS lsoa_name, trim(WD24CD) AS ward_code,
               WD24NM AS ward_name, trim(LAD24CD) AS lad_code, LAD24NM AS lad_name
        FROM {kept} ORDER BY lsoa_code""")
    fr.rows_kept = con.execute("SELECT count(*) FROM lookup_lsoa21_wd24_wales").fetchone()[0]


def load_wimd(con: duckdb.DuckDBPyConnection, path: Path, fr: FileReport) -> None:
    """Create the temporary table ``wimd_lsoa11(lsoa11_code, <SCORES>)``.

    Needs ``lsoa11_lsoa21`` (the ONS LSOA11->LSOA21 lookup) loaded first.
    """
    cols = ["lsoa11_code", *SCORES]
    raw = read_csv_raw(con, path, fr, cols, only=cols)
    rules = [
        gss_rule("lsoa11_code", r"W01[0-9]{6}", "Welsh LSOA 2011"),
        duplicate_rule(raw, "lsoa11_code"),
        *numeric_rule(list(SCORES), allow_negative=False, allow_suppressed=False),
        ("LSOA 2011 missing from the ONS LSOA11->LSOA21 lookup", "lsoa11_code",
         "(trim(lsoa11_code) NOT IN (SELECT lsoa11_code FROM lsoa11_lsoa21))"),
    ]
    kept = apply_rules(con, raw, fr, rules, cols)
    scores = ", ".join(f"{num_expr(c)} AS {c}" for c in SCORES)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE wimd_lsoa11 AS
        SELECT trim(lsoa11_code) AS lsoa11_code, {scores} FROM {kept} ORDER BY 1""")
    fr.rows_kept = con.execute("SELECT count(*) FROM wimd_lsoa11").fetchone()[0]


def empty_wimd(con: duckdb.DuckDBPyConnection) -> None:
    """An empty ``wimd_lsoa11`` (no WIMD file): the Welsh tables are built with NULL scores."""
    cols = ", ".join(f"{c} DOUBLE" for c in SCORES)
    con.execute(f"CREATE OR REPLACE TEMP TABLE wimd_lsoa11 (lsoa11_code VARCHAR, {cols})")
