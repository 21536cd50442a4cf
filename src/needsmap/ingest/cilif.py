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

from pathlib import Path

import duckdb
import pandas as pd

from needsmap.ingest.csvio import (
    apply_rules,
    duplicate_rule,
    gss_rule,
    numeric_rule,
    read_csv_raw,
    read_csv_table,
)
from needsmap.ingest.report import FileReport, InputError, require_file
from needsmap.sql import ident, run_sql

YEAR = "2021/22 (p)"


def _read_stat_xplore(path: Path, fr: FileReport) -> tuple[str, pd.DataFrame, list[str]]:
    """A Stat-Xplore CSV export read by the project's strict reader: ``(name, table, header)``.

    The geography-level row (one field) is rejected by the reader as a short row and
    relabelled here; a file whose header does not start with ``Year`` is refused.
    """
    name = require_file(path)
    table = read_csv_table(path, fr, what="Stat-Xplore")
    header = [c for c in table.columns if c != "row"]
    if not header or header[0] != "Year":
        raise InputError(name, "not a Stat-Xplore export: first row should start with \"Year\"",
                         row=0, column="Year")
    for r in fr.rejected:
        if r["row"] == 1 and r["reason"].startswith("row has 2 fields"):
            r["reason"], r["column"] = "Stat-Xplore geography-level row (not an area)", "Year"
    return name, table, header


def load_cilif_msoa(con: duckdb.DuckDBPyConnection, path: Path, fr: FileReport) -> str:
    """Create ``cilif_msoa`` (msoa_code, msoa_name, children_low_income); return the year used.

    Read by the project's one strict CSV reader (:func:`~needsmap.ingest.csvio.read_csv_table`):
    the Stat-Xplore geography-level row (one field) is rejected by it as a short row and
    relabelled here; the other rules run in DuckDB.
    """
    name, table, header = _read_stat_xplore(path, fr)
    year = next((h for h in header if h.startswith("2021/22") and "Annotations" not in h), None)
    if year is None:
        years = [h for h in header[1:] if h and "Annotations" not in h]
        if not years:
            raise InputError(name, "no year columns in the header row", row=0)
        year = years[-1]
    df = pd.DataFrame({"_row": table["row"].astype("int64"),
                       "area": table["Year"].astype("string"),
                       "value": table[year].astype("string")})
    con.register("_cilif_df", df)
    con.execute("CREATE OR REPLACE TEMP TABLE _cilif_raw AS SELECT * FROM _cilif_df")
    con.unregister("_cilif_df")
    rules = [
        ("blank area name", "Year", "(area IS NULL)"),
        ("Stat-Xplore 'Unknown' or 'Total' row (not an area)", "Year", "(area IN ('Unknown', 'Total'))"),
        *numeric_rule("value", allow_negative=False, allow_suppressed=True),
        ("area name not found in the ONS MSOA 2011 lookup", "Year",
         "(area NOT IN (SELECT msoa_name FROM msoa11))"),
        ("out of scope: not an English or Welsh MSOA", "Year",
         "(area NOT IN (SELECT msoa_name FROM msoa11 WHERE starts_with(msoa_code, 'E') "
         "OR starts_with(msoa_code, 'W')))"),
        ("duplicate area name", "Year", "(row_number() OVER (PARTITION BY area ORDER BY _row) > 1)"),
    ]
    _kept_as(con, apply_rules(con, "_cilif_raw", fr, rules, ["area", "value"]), "_cilif_kept")
    fr.rows_kept = run_sql(con, "cilif_msoa").fetchone()[0]
    fr.note = f"year used: {year} (FYE {int(year[:4]) + 1})"
    return year


def _kept_as(con: duckdb.DuckDBPyConnection, kept: str, view: str) -> None:
    """Name the reader's kept rows ``view``, so the loader's SQL file can read them."""
    con.execute(f"CREATE OR REPLACE TEMP VIEW {ident(view)} AS SELECT * FROM {ident(kept)}")


def load_msoa_lookup(con: duckdb.DuckDBPyConnection, path: Path, fr: FileReport) -> None:
    cols = ["LSOA11CD", "LSOA11NM", "MSOA11CD", "MSOA11NM"]
    raw = read_csv_raw(con, path, fr, cols)
    rules = [
        gss_rule("LSOA11CD", r"[EWS]01[0-9]{6}", "LSOA 2011 / data zone"),
        gss_rule("MSOA11CD", r"[EWS]02[0-9]{6}", "MSOA 2011 / intermediate zone"),
        duplicate_rule(raw, "LSOA11CD"),
    ]
    _kept_as(con, apply_rules(con, raw, fr, rules, cols), "_msoa11_kept")
    fr.rows_kept = run_sql(con, "cilif_msoa11").fetchone()[0]


def load_lsoa11_lsoa21(con: duckdb.DuckDBPyConnection, path: Path, fr: FileReport) -> None:
    """The ONS LSOA 2011 -> 2021 lookup: the mirror's CSV, or the hub's / feature service's
    (extra columns such as ``ObjectId`` ignored; the older service names the 2011 code
    ``F_LSOA11CD``)."""
    from needsmap.ingest.csvio import sniff_header

    header = sniff_header(path)
    alias = "F_LSOA11CD" if "LSOA11CD" not in header and "F_LSOA11CD" in header else None
    cols = ["LSOA11CD", "LSOA21CD", "CHGIND"]
    raw = read_csv_raw(con, path, fr, [alias or "LSOA11CD", "LSOA21CD", "CHGIND"])
    if alias:
        run_sql(con, "cilif_lsoa11_alias", {"tbl": raw})
        raw = "_lsoa11_lsoa21_alias"
        fr.note = (fr.note + "; " if fr.note else "") + "F_LSOA11CD read as LSOA11CD"
    rules = [
        gss_rule("LSOA11CD", r"[EW]01[0-9]{6}", "LSOA 2011"),
        gss_rule("LSOA21CD", r"[EW]01[0-9]{6}", "LSOA 2021"),
        ("unknown change indicator (expected U, S, M or X)", "CHGIND", "(CHGIND NOT IN ('U','S','M','X'))"),
        ("duplicate LSOA11CD-LSOA21CD pair", "LSOA21CD",
         "(row_number() OVER (PARTITION BY LSOA11CD, LSOA21CD ORDER BY _row) > 1)"),
    ]
    _kept_as(con, apply_rules(con, raw, fr, rules, cols), "_lsoa11_lsoa21_kept")
    fr.rows_kept = run_sql(con, "cilif_lsoa11_lsoa21").fetchone()[0]


def load_sape(con: duckdb.DuckDBPyConnection, path: Path, fr: FileReport) -> None:
    ages = [f"age_{i}" for i in range(16)]
    cols = ["lsoa11_code", "all_ages", *ages]
    raw = read_csv_raw(con, path, fr, cols, only=cols)
    rules = [gss_rule("lsoa11_code", r"[EW]01[0-9]{6}", "LSOA 2011"), duplicate_rule(raw, "lsoa11_code")]
    rules += numeric_rule(["all_ages", *ages], allow_negative=False, allow_suppressed=False)
    _kept_as(con, apply_rules(con, raw, fr, rules, cols), "_sape_kept")
    fr.rows_kept = run_sql(con, "cilif_sape").fetchone()[0]


def welsh_la_names(path: Path, fr: FileReport) -> pd.DataFrame:
    """The bilingual Welsh local authority names of the Stat-Xplore LA export.

    Stat-Xplore names each Welsh LA in both languages, ``"Newport / Casnewydd"`` (the
    English name first); LAs whose name is the same in Welsh (Gwynedd, Powys, ...) and
    English LAs have one name. Only the names are read (this file is keyed by name, not
    code); every row is kept in ``fr``.

    Returns
    -------
    pandas.DataFrame
        ``name_en, name_cy``: one row per bilingual name.
    """
    table = _read_stat_xplore(path, fr)[1]
    fr.rows_kept = len(table)  # every area row is kept as a name; the reader rejected the rest
    areas = table["Year"].astype("string").dropna()
    both = areas[areas.str.contains(" / ", regex=False)].str.split(" / ", n=1)
    return pd.DataFrame({"name_en": [p[0].strip() for p in both],
                         "name_cy": [p[1].strip() for p in both]}, dtype="string")
