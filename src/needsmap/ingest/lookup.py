"""ONS LSOA (2021) -> Electoral Ward (May 2024) -> LAD (May 2024) best-fit lookup.

Kept: English rows (``LAD24CD`` starting ``E``) with valid GSS codes and a unique
``LSOA21CD``. Welsh rows are recorded as out of scope.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from needsmap.ingest.csvio import apply_rules, duplicate_rule, gss_rule, read_csv_raw
from needsmap.ingest.report import FileReport

COLUMNS = ["LSOA21CD", "LSOA21NM", "WD24CD", "WD24NM", "LAD24CD", "LAD24NM"]


def load_lookup(con: duckdb.DuckDBPyConnection, path: Path, fr: FileReport) -> None:
    """Create table ``lookup_lsoa21_wd24`` (lsoa_code, lsoa_name, ward_code, ward_name, lad_code, lad_name)."""
    raw = read_csv_raw(con, path, fr, COLUMNS)
    rules = [
        gss_rule("LSOA21CD", r"[EW]0[1-9][0-9]{6}", "LSOA 2021"),
        gss_rule("WD24CD", r"[EW]05[0-9]{6}", "ward"),
        gss_rule("LAD24CD", r"[EW]0[6-9][0-9]{6}", "local authority district"),
        ("missing ward or LAD name", "WD24NM", "(coalesce(trim(WD24NM), '') = '' OR coalesce(trim(LAD24NM), '') = '')"),
        duplicate_rule(raw, "LSOA21CD"),
        ("out of scope: not in England", "LAD24CD", "(NOT starts_with(LAD24CD, 'E'))"),
        ("LSOA in an English LAD but not an English LSOA code", "LSOA21CD", "(NOT starts_with(LSOA21CD, 'E01'))"),
    ]
    kept = apply_rules(con, raw, fr, rules, COLUMNS)
    con.execute(f"""CREATE OR REPLACE TABLE lookup_lsoa21_wd24 AS
        SELECT trim(LSOA21CD) AS lsoa_code, LSOA21NM AS lsoa_name, trim(WD24CD) AS ward_code,
               WD24NM AS ward_name, trim(LAD24CD) AS lad_code, LAD24NM AS lad_name
        FROM {kept} ORDER BY lsoa_code""")
    fr.rows_kept = con.execute("SELECT count(*) FROM lookup_lsoa21_wd24").fetchone()[0]
