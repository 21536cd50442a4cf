"""English Indices of Deprivation 2025 at LSOA 2021.

Temporary tables read by ``queries/areas_lsoa.sql`` (whose ``lsoa_indicators`` keeps every
value; the connection's temporary tables are not written to the store):

``iod_domains``: scores of the IMD and domains (File 7 columns).
``iod_indicators``: income and IDACI numerators, and the proxies of the ``domains`` index
(:data:`DOMAIN_PROXIES`) (File 8).
``iod_idaci_official``: the official IDACI score where present (File 7, File 5 or the
mirror's File 5 extract, merged by ``queries/iod_merge.sql``).
``iod_file7``: the official File 7 (:func:`load_file7`): every domain score, the official
IDACI score and the mid-2022 population denominators. When present it is the IoD input
for the LSOAs it has; the mirror's tables fill only the LSOAs it lacks (a partial File 7
never empties another source's rows).

File 8 is read from the mirror's re-serialised CSV, or from the publisher's XLSX
(:func:`file8_to_csv` writes its sheets, joined on the LSOA, as that CSV: the official
headers in snake_case, as the IMD package names them).
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
    suppressed_counts,
)
from needsmap.ingest.report import FileReport, InputError
from needsmap.sql import ident

DOMAIN_SCORES = {
    "imd_score": "imd_score",
    "income_score_rate": "income_rate",
    "employment_score_rate": "employment_rate",
    "education_skills_training_score": "education_score",
    "health_deprivation_disability_score": "health_score",
    "crime_score": "crime_score",
    "barriers_to_housing_services_score": "barriers_score",
    "living_environment_score": "living_environment_score",
}
#: Published ranks (1 = most deprived LSOA in England): the IMD's, and the income and crime
#: domains' (the positions compared with IoD2019 by needsmap.areas.change).
DOMAIN_RANKS = {"imd_rank": "imd_rank", "imd_decile": "imd_decile", "income_rank": "income_rank",
                "crime_rank": "crime_rank"}
NUMERATORS = {
    "income_domain_numerator": "income_numerator",
    "income_deprivation_affecting_children_index_idaci_numerator": "idaci_numerator",
}
#: File 8 indicators the ``domains`` index uses (the index package's indicator list; docs/method.md
#: "Domains"): File 8 column -> store column. Police rates per 1,000 at-risk population and
#: the Census overcrowding share are >= 0; the mental health indicator is a signed score.
DOMAIN_PROXIES = {
    "violence_without_injury_rate_per_1_000_at_risk_population": "violence_without_injury_rate",
    "violence_with_injury_rate_per_1_000_at_risk_population": "violence_with_injury_rate",
    "stalking_and_harassment_rate_per_1_000_at_risk_population": "stalking_harassment_rate",
    "mental_health_indicator": "mental_health_indicator",
    "public_order_and_possession_of_weapons_rate_per_1_000_at_risk_population":
        "public_order_weapons_rate",
    "anti_social_behaviour_rate_per_1_000_at_risk_population": "antisocial_behaviour_rate",
    "household_overcrowding_indicator_bedrooms": "overcrowding_bedrooms_share",
}
LSOA_RE = r"E01[0-9]{6}"


def _common_rules(key: str) -> list:
    k = ident(key)
    return [
        gss_rule(key, r"[EW]01[0-9]{6}", "LSOA 2021"),
        ("out of scope: not an English LSOA", key, f"(NOT starts_with({k}, 'E'))"),
        ("LSOA code not in the LSOA21->WD24 lookup (wrong vintage?)", key,
         f"({k} NOT IN (SELECT lsoa_code FROM lookup_lsoa21_wd24))"),
    ]


def load_domains(con: duckdb.DuckDBPyConnection, path: Path, fr: FileReport) -> None:
    cols = ["lsoa21_code", *DOMAIN_SCORES, *DOMAIN_RANKS]
    raw = read_csv_raw(con, path, fr, cols, only=cols)
    rules = _common_rules("lsoa21_code")
    rules.insert(1, duplicate_rule(raw, "lsoa21_code"))
    # health and crime scores are z-like and may be negative; the others are rates or
    # non-negative scores
    signed = ["health_deprivation_disability_score", "crime_score"]
    rules += numeric_rule(signed, allow_suppressed=True)
    rules += numeric_rule([c for c in DOMAIN_SCORES if c not in signed], allow_negative=False,
                          allow_suppressed=True)
    rules += numeric_rule(list(DOMAIN_RANKS), allow_negative=False, integer=True)
    kept = apply_rules(con, raw, fr, rules, cols)
    sel = ", ".join(f"{num_expr(c)} AS {ident(a)}" for c, a in DOMAIN_SCORES.items())
    sel += ", " + ", ".join(f"{num_expr(c, 'INTEGER')} AS {ident(a)}" for c, a in DOMAIN_RANKS.items())
    con.execute(f"CREATE OR REPLACE TEMP TABLE iod_domains AS SELECT lsoa21_code AS lsoa_code, {sel} FROM {kept}")
    fr.rows_kept = con.execute("SELECT count(*) FROM iod_domains").fetchone()[0]
    sup = suppressed_counts(con, kept, list(DOMAIN_SCORES))
    sup = {k: v for k, v in sup.items() if v}
    if sup:
        fr.note = "suppressed/blank cells kept as NULL: " + ", ".join(f"{k} {v}" for k, v in sup.items())


def load_indicators(con: duckdb.DuckDBPyConnection, path: Path, fr: FileReport) -> None:
    cols = ["lsoa21_code", *NUMERATORS, *DOMAIN_PROXIES]
    raw = read_csv_raw(con, path, fr, cols, only=cols)
    rules = _common_rules("lsoa21_code")
    rules.insert(1, duplicate_rule(raw, "lsoa21_code"))
    rules += numeric_rule(list(NUMERATORS), allow_negative=False, allow_suppressed=True)
    rules += numeric_rule("mental_health_indicator", allow_suppressed=True)
    rules += numeric_rule([c for c in DOMAIN_PROXIES if c != "mental_health_indicator"],
                          allow_negative=False, allow_suppressed=True)
    kept = apply_rules(con, raw, fr, rules, cols)
    sel = ", ".join(f"{num_expr(c)} AS {ident(a)}" for c, a in (NUMERATORS | DOMAIN_PROXIES).items())
    con.execute(f"CREATE OR REPLACE TEMP TABLE iod_indicators AS SELECT lsoa21_code AS lsoa_code, {sel} FROM {kept}")
    fr.rows_kept = con.execute("SELECT count(*) FROM iod_indicators").fetchone()[0]
    sup = suppressed_counts(con, kept, list(NUMERATORS))
    fr.note = "suppressed (blank) numerators, true count 0-9: " + ", ".join(
        f"{NUMERATORS[k]} {v}" for k, v in sup.items())
    sup = {k: v for k, v in suppressed_counts(con, kept, list(DOMAIN_PROXIES)).items() if v}
    if sup:
        fr.note += "; blank indicators kept as NULL: " + ", ".join(
            f"{DOMAIN_PROXIES[k]} {v}" for k, v in sup.items())


def load_idaci_official(con: duckdb.DuckDBPyConnection, path: Path | None, fr: FileReport | None,
                        key: str, col: str, table: str = "iod_idaci_official") -> None:
    """Official IDACI score (rate) from File 5, or from an exact extract of it, into ``table``."""
    if path is None or fr is None:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {ident(table)} "
                    "(lsoa_code VARCHAR, idaci_score DOUBLE)")
        return
    raw = read_csv_raw(con, path, fr, [key, col])
    rules = _common_rules(key)
    rules.insert(1, duplicate_rule(raw, key))
    rules += numeric_rule(col, allow_negative=False, allow_suppressed=False)
    rules.append((f"{col} outside 0-1", col, f"(TRY_CAST({ident(col)} AS DOUBLE) > 1)"))
    kept = apply_rules(con, raw, fr, rules, [key, col])
    con.execute(f"CREATE OR REPLACE TEMP TABLE {ident(table)} AS SELECT {ident(key)} AS "
                f"lsoa_code, TRY_CAST({ident(col)} AS DOUBLE) AS idaci_score FROM {kept}")
    fr.rows_kept = con.execute(f"SELECT count(*) FROM {ident(table)}").fetchone()[0]


# ------------------------------------------------------------------------------ File 7
#: File 7 (official headers, matched by prefix: the publisher cut column 37 short) ->
#: column of ``iod_file7``. Scores, then ranks and deciles, then the mid-2022 denominators.
FILE7_SCORES = {
    "Index of Multiple Deprivation (IMD) Score": "imd_score",
    "Income Score (rate)": "income_rate",
    "Employment Score (rate)": "employment_rate",
    "Education, Skills and Training Score": "education_score",
    "Health Deprivation and Disability Score": "health_score",
    "Crime Score": "crime_score",
    "Barriers to Housing and Services Score": "barriers_score",
    "Living Environment Score": "living_environment_score",
    "Income Deprivation Affecting Children Index (IDACI) Score (rate)": "idaci_score",
}
FILE7_RANKS = {
    "Index of Multiple Deprivation (IMD) Rank": "imd_rank",
    "Index of Multiple Deprivation (IMD) Decile": "imd_decile",
    "Income Rank": "income_rank",
    "Crime Rank": "crime_rank",
}
FILE7_DENOMINATORS = {
    "Total population: mid 2022": "population_mid2022",
    "Dependent Children aged 0-15: mid 2022": "children_0_15_mid2022",
}
FILE7_KEY = "LSOA code (2021)"
#: File 7 scores that are signed (z-like); the others are rates or non-negative scores.
_SIGNED = ("health_score", "crime_score")
_RATES = ("income_rate", "employment_rate", "idaci_score")


def file7_columns(header: list[str], path: Path | str) -> dict[str, str]:
    """Map File 7's official headers to ``iod_file7`` columns (by prefix).

    Raises
    ------
    InputError
        Naming every wanted column that no header starts with, and the header found.
    """
    wanted = {FILE7_KEY: "lsoa_code", **FILE7_SCORES, **FILE7_RANKS, **FILE7_DENOMINATORS}
    out: dict[str, str] = {}
    missing = []
    for prefix, name in wanted.items():
        hits = [h for h in header if h == prefix or h.startswith(prefix + " ")]
        if not hits:
            missing.append(prefix)
        else:
            out[hits[0]] = name
    if missing:
        raise InputError(str(path), f"not the IoD2025 File 7 layout: no column starts with "
                         f"{missing}; found {len(header)} columns: {header[:8]}...", row=0,
                         column=missing[0])
    return out


def load_file7(con: duckdb.DuckDBPyConnection, path: Path, fr: FileReport) -> int:
    """Read the official IoD2025 File 7 CSV into ``iod_file7``; return the rows kept.

    Checked per row: the LSOA code (English, in the lookup, not repeated), every score a
    number (health and crime may be negative; the rates and the IDACI score in 0-1),
    ranks and deciles whole numbers, the denominators whole and non-negative. Blank or
    suppressed cells are kept as NULL. A file covering fewer LSOAs than the lookup is
    read all the same (the note says how many); the other LSOAs keep their fallback.
    """
    from needsmap.ingest.csvio import sniff_header

    header = sniff_header(path)
    cols = file7_columns(header, path)
    raw = read_csv_raw(con, path, fr, list(cols), only=list(cols))
    key = FILE7_KEY
    rules = _common_rules(key)
    rules.insert(1, duplicate_rule(raw, key))
    by = {v: k for k, v in cols.items()}
    rules += numeric_rule([by[c] for c in _SIGNED], allow_suppressed=True)
    rules += numeric_rule([by[c] for c in FILE7_SCORES.values() if c not in _SIGNED],
                          allow_negative=False, allow_suppressed=True)
    rules += [(f"{by[c]} outside 0-1", by[c], f"(TRY_CAST({ident(by[c])} AS DOUBLE) > 1)")
              for c in _RATES]
    rules += numeric_rule([by[c] for c in (*FILE7_RANKS.values(), *FILE7_DENOMINATORS.values())],
                          allow_negative=False, integer=True, allow_suppressed=True)
    kept = apply_rules(con, raw, fr, rules, list(cols))
    sel = ", ".join(f"{num_expr(by[c])} AS {ident(c)}" for c in FILE7_SCORES.values())
    sel += ", " + ", ".join(f"{num_expr(by[c], 'INTEGER')} AS {ident(c)}"
                            for c in (*FILE7_RANKS.values(), *FILE7_DENOMINATORS.values()))
    con.execute(f"CREATE OR REPLACE TEMP TABLE iod_file7 AS SELECT {ident(key)} AS lsoa_code, "
                f"{sel} FROM {kept}")
    n = con.execute("SELECT count(*), (SELECT count(*) FROM lookup_lsoa21_wd24 "
                    "WHERE starts_with(lsoa_code, 'E')) FROM iod_file7").fetchone()
    fr.rows_kept = int(n[0])
    notes = []
    if n[0] < n[1]:
        notes.append(f"covers {n[0]:,} of the {n[1]:,} English LSOAs of the lookup; the others "
                     "keep their fallback (the mirror's tables)")
    sup = {k: v for k, v in suppressed_counts(
        con, kept, [by[c] for c in ("idaci_score", "children_0_15_mid2022")]).items() if v}
    if sup:
        notes.append("blank cells kept as NULL: " + ", ".join(f"{k} {v}" for k, v in sup.items()))
    if notes:
        fr.note = "; ".join(([fr.note] if fr.note else []) + notes)
    return fr.rows_kept


def empty_file7(con: duckdb.DuckDBPyConnection) -> None:
    """An empty ``iod_file7`` (no File 7 at hand)."""
    sel = ", ".join(f"NULL::DOUBLE AS {ident(c)}" for c in FILE7_SCORES.values())
    sel += ", " + ", ".join(f"NULL::INTEGER AS {ident(c)}"
                            for c in (*FILE7_RANKS.values(), *FILE7_DENOMINATORS.values()))
    con.execute(f"CREATE OR REPLACE TEMP TABLE iod_file7 AS SELECT NULL::VARCHAR AS lsoa_code, "
                f"{sel} LIMIT 0")


# ------------------------------------------------------------------------------ File 8
#: Id columns at the head of every File 8 sheet (dropped but the LSOA code).
FILE8_IDS = ("LSOA code (2021)", "LSOA name (2021)", "Local Authority District code (2024)",
             "Local Authority District name (2024)")


def clean_name(header: str) -> str:
    """An official header in snake_case, as R's ``janitor::make_clean_names`` (the IMD
    package's names, hence the mirror's): lower case, every run of other characters
    ``_``. ``"Violence with injury, rate per 1,000 'at-risk population'"`` ->
    ``violence_with_injury_rate_per_1_000_at_risk_population``.
    """
    import re

    s = str(header).replace("%", "percent").replace("'", "").replace("\u2019", "")
    return re.sub(r"[^0-9a-z]+", "_", s.strip().lower()).strip("_")


def file8_to_csv(xlsx: Path, dest: Path) -> tuple[int, list[str]]:
    """Write File 8's indicator sheets, joined on the LSOA, as the mirror's CSV layout.

    Every sheet but ``Notes`` is read (header on row 1); its first 4 id columns are
    dropped except the LSOA code (``lsoa21_code``), and the other headers go through
    :func:`clean_name`. Returns ``(rows, sheets read)``.

    Raises
    ------
    InputError
        If a sheet has no ``LSOA code (2021)`` column, or no sheet has the IDACI numerator.
    """
    import pandas as pd

    name = str(xlsx)
    try:
        sheets = pd.read_excel(xlsx, sheet_name=None, dtype=str, engine="calamine")
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook
        raise InputError(name, f"cannot be read as an XLSX workbook: {exc}") from exc
    joined = None
    read = []
    for sheet, df in sheets.items():
        if sheet.strip().lower() == "notes":
            continue
        df.columns = [str(c).strip() for c in df.columns]
        if FILE8_IDS[0] not in df.columns:
            raise InputError(name, f"sheet {sheet!r} has no {FILE8_IDS[0]!r} column; found "
                             f"{list(df.columns)[:6]}", row=0, column=FILE8_IDS[0])
        keep = [c for c in df.columns if c not in FILE8_IDS[1:]]
        df = df[keep].rename(columns={c: ("lsoa21_code" if c == FILE8_IDS[0] else clean_name(c))
                                      for c in keep})
        df = df.loc[:, ~df.columns.duplicated()]
        if joined is None:
            joined = df
        else:
            new = [c for c in df.columns if c not in joined.columns or c == "lsoa21_code"]
            joined = joined.merge(df[new], on="lsoa21_code", how="outer", sort=False)
        read.append(sheet)
    if joined is None or "income_deprivation_affecting_children_index_idaci_numerator" not in joined:
        raise InputError(name, "no sheet has the IDACI numerator (the Income sheet of File 8)")
    joined.to_csv(dest, index=False)
    return len(joined), read
