"""DWP Children in Low Income Families (relative, before housing costs), MSOA 2011.

The Stat-Xplore export has a ``Year`` header row, a geography-level row, one row
per area (by *name*), then ``Unknown`` and ``Total``. Areas are matched to
``MSOA11CD`` by name through the ONS LSOA11->MSOA11 lookup.

Apportioning to LSOA 2021 (then wards) uses child populations::

    count(l11)  = count(msoa) * kids20(l11) / sum_{l11' in msoa} kids20(l11')
    w(l11->l21) = kids21(l21) / sum_{l21' in targets(l11)} kids21(l21')
    cilif(l21)  = sum_{l11} count(l11) * w(l11->l21)

with ``kids20`` the mid-2020 population aged 0-15 (ONS sape23dt2) and ``kids21``
Census 2021 residents aged 15 and under. The same weights handle unchanged,
split, merged and irregular (X) LSOA changes.

The loaders make temporary tables (``cilif_msoa``, ``msoa11``, ``lsoa11_lsoa21``,
``sape20``) read by ``queries/areas_lsoa.sql``; the store keeps the result,
``lsoa_indicators.cilif_children``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pandas as pd

from needsmap.ingest.csvio import (
    apply_rules,
    duplicate_rule,
    gss_rule,
    num_expr,
    numeric_rule,
    read_csv_raw,
)
from needsmap.ingest.report import FileReport, InputError, require_file

YEAR = "2021/22 (p)"


def load_cilif_msoa(con: duckdb.DuckDBPyConnection, path: Path, fr: FileReport) -> str:
    """Create ``cilif_msoa`` (msoa_code, children_low_income); return the year label used."""
    name = require_file(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(name, "not valid UTF-8; re-save the file as UTF-8") from exc
    rows = list(csv.reader(text.splitlines()))
    if not rows or not rows[0] or rows[0][0].strip() != "Year":
        raise InputError(name, "not a Stat-Xplore export: first row should start with \"Year\"",
                         row=0, column="Year")
    header = [h.strip() for h in rows[0]]
    year = next((h for h in header if h.startswith("2021/22") and "Annotations" not in h), None)
    if year is None:
        years = [h for h in header[1:] if h and "Annotations" not in h]
        if not years:
            raise InputError(name, "no year columns in the header row", row=0)
        year = years[-1]
    ci = header.index(year)
    recs = []
    for i, r in enumerate(rows[1:], start=1):
        recs.append({"_row": i, "area": r[0].strip() if r else "",
                     "value": r[ci].strip() if len(r) > ci else None, "nfields": len(r)})
    df = pd.DataFrame(recs, columns=["_row", "area", "value", "nfields"]).astype(
        {"_row": "int64", "area": "string", "value": "string", "nfields": "int64"})
    fr.rows_read = len(df)
    con.register("_cilif_df", df)
    con.execute("CREATE OR REPLACE TEMP TABLE _cilif_raw AS SELECT * FROM _cilif_df")
    con.unregister("_cilif_df")
    rules = [
        ("Stat-Xplore geography-level row (not an area)", "Year",
         "(_row = 1 AND value IS NULL)"),
        ("Stat-Xplore 'Unknown' or 'Total' row (not an area)", "Year", "(area IN ('Unknown', 'Total'))"),
        ("row has too few fields for the year column", year, "(value IS NULL)"),
        *numeric_rule("value", allow_negative=False, allow_suppressed=True),
        ("area name not found in the ONS MSOA 2011 lookup", "Year",
         "(area NOT IN (SELECT msoa_name FROM msoa11))"),
        ("out of scope: not an English MSOA", "Year",
         "(area NOT IN (SELECT msoa_name FROM msoa11 WHERE starts_with(msoa_code, 'E')))"),
        ("duplicate area name", "Year", "(row_number() OVER (PARTITION BY area ORDER BY _row) > 1)"),
    ]
    kept = apply_rules(con, "_cilif_raw", fr, rules, ["area", "value"])
    con.execute(f"""CREATE OR REPLACE TEMP TABLE cilif_msoa AS
        SELECT m.msoa_code, k.area AS msoa_name, {num_expr('value')} AS children_low_income
        FROM {kept} k JOIN (SELECT DISTINCT msoa_code, msoa_name FROM msoa11) m ON k.area = m.msoa_name""")
    fr.rows_kept = con.execute("SELECT count(*) FROM cilif_msoa").fetchone()[0]
    fr.note = f"year used: {year} (FYE {int(year[:4]) + 1})"
    return year


def load_msoa_lookup(con: duckdb.DuckDBPyConnection, path: Path, fr: FileReport) -> None:
    cols = ["LSOA11CD", "LSOA11NM", "MSOA11CD", "MSOA11NM"]
    raw = read_csv_raw(con, path, fr, cols)
    rules = [
        gss_rule("LSOA11CD", r"[EWS]01[0-9]{6}", "LSOA 2011 / data zone"),
        gss_rule("MSOA11CD", r"[EWS]02[0-9]{6}", "MSOA 2011 / intermediate zone"),
        duplicate_rule(raw, "LSOA11CD"),
    ]
    kept = apply_rules(con, raw, fr, rules, cols)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE msoa11 AS SELECT LSOA11CD AS lsoa11_code,
        MSOA11CD AS msoa_code, MSOA11NM AS msoa_name FROM {kept}""")
    fr.rows_kept = con.execute("SELECT count(*) FROM msoa11").fetchone()[0]


def load_lsoa11_lsoa21(con: duckdb.DuckDBPyConnection, path: Path, fr: FileReport) -> None:
    cols = ["LSOA11CD", "LSOA21CD", "CHGIND"]
    raw = read_csv_raw(con, path, fr, cols)
    rules = [
        gss_rule("LSOA11CD", r"[EW]01[0-9]{6}", "LSOA 2011"),
        gss_rule("LSOA21CD", r"[EW]01[0-9]{6}", "LSOA 2021"),
        ("unknown change indicator (expected U, S, M or X)", "CHGIND", "(CHGIND NOT IN ('U','S','M','X'))"),
        ("duplicate LSOA11CD-LSOA21CD pair", "LSOA21CD",
         "(row_number() OVER (PARTITION BY LSOA11CD, LSOA21CD ORDER BY _row) > 1)"),
    ]
    kept = apply_rules(con, raw, fr, rules, cols)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE lsoa11_lsoa21 AS SELECT LSOA11CD AS lsoa11_code,
        LSOA21CD AS lsoa21_code, CHGIND AS change FROM {kept}""")
    fr.rows_kept = con.execute("SELECT count(*) FROM lsoa11_lsoa21").fetchone()[0]


def load_sape(con: duckdb.DuckDBPyConnection, path: Path, fr: FileReport) -> None:
    ages = [f"age_{i}" for i in range(16)]
    cols = ["lsoa11_code", "all_ages", *ages]
    raw = read_csv_raw(con, path, fr, cols, only=cols)
    rules = [gss_rule("lsoa11_code", r"[EW]01[0-9]{6}", "LSOA 2011"), duplicate_rule(raw, "lsoa11_code")]
    rules += numeric_rule(["all_ages", *ages], allow_negative=False, allow_suppressed=False)
    kept = apply_rules(con, raw, fr, rules, cols)
    kids = " + ".join(num_expr(c) for c in ages)
    con.execute(f"CREATE OR REPLACE TEMP TABLE sape20 AS SELECT lsoa11_code, {kids} AS children_0_15 FROM {kept}")
    fr.rows_kept = con.execute("SELECT count(*) FROM sape20").fetchone()[0]
