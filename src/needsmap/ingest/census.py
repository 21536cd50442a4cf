"""Census 2021 usual residents by six age bands, LSOA 2021 (long format).

Produces the temporary table ``census_lsoa`` (lsoa_code, population, children_0_15),
read by ``queries/areas_lsoa.sql``: population is
the sum of the six bands; children are the band ``Aged 15 years and under``.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from needsmap.ingest.csvio import apply_rules, gss_rule, numeric_rule, read_csv_raw
from needsmap.ingest.report import FileReport
from needsmap.sql import literal, run_sql

COLUMNS = ["lsoa21_code", "lsoa21_name", "age_group", "usual_residents"]
AGE_BANDS = ("Aged 15 years and under", "Aged 16 to 24 years", "Aged 25 to 34 years",
             "Aged 35 to 49 years", "Aged 50 to 64 years", "Aged 65 years and over")
CHILD_BAND = "Aged 15 years and under"


def load_census(con: duckdb.DuckDBPyConnection, path: Path, fr: FileReport) -> None:
    raw = read_csv_raw(con, path, fr, COLUMNS)
    bands = ", ".join(literal(b) for b in AGE_BANDS)
    # the Welsh rows of the lookup (issue 21), where the pipeline has loaded them
    wales = con.execute("SELECT count(*) FROM duckdb_tables() "
                        "WHERE table_name = 'lookup_lsoa21_wd24_wales'").fetchone()[0]
    lookups = ("SELECT lsoa_code FROM lookup_lsoa21_wd24"
               + (" UNION ALL SELECT lsoa_code FROM lookup_lsoa21_wd24_wales" if wales else ""))
    rules = [
        gss_rule("lsoa21_code", r"[EW]01[0-9]{6}", "LSOA 2021"),
        # the cell as read first; only a cell that is not a band is trimmed and checked again
        ("unknown age_group (expected one of the six Census 2021 bands)", "age_group",
         f"(coalesce(age_group NOT IN ({bands}), true) AND coalesce(trim(age_group), '') NOT IN ({bands}))"),
        *numeric_rule("usual_residents", allow_negative=False, allow_suppressed=False, integer=True),
        ("duplicate lsoa21_code and age_group", "age_group",
         f"(_row NOT IN (SELECT min(_row) FROM {raw} GROUP BY lsoa21_code, age_group))"),
        ("out of scope: not an English or Welsh LSOA", "lsoa21_code",
         "(NOT (starts_with(lsoa21_code, 'E') OR starts_with(lsoa21_code, 'W')))"),
        ("LSOA missing from the LSOA21->WD24 lookup", "lsoa21_code",
         f"(lsoa21_code NOT IN ({lookups}))"),
    ]
    kept = apply_rules(con, raw, fr, rules, COLUMNS)
    con.execute(f"CREATE OR REPLACE TEMP VIEW _census_kept AS SELECT * FROM {kept}")
    short = run_sql(con, "census_lsoa", {"child_band": CHILD_BAND,
                                         "other_bands": [b for b in AGE_BANDS if b != CHILD_BAND]}
                    ).fetchone()[0]
    fr.rows_kept = con.execute(f"SELECT count(*) FROM {kept}").fetchone()[0]
    if short:
        fr.note = f"{short} LSOAs lack one or more of the six age bands"
