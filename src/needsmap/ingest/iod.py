"""English Indices of Deprivation 2025 at LSOA 2021.

Temporary tables read by ``queries/areas_lsoa.sql`` (whose ``lsoa_indicators`` keeps every
value; the connection's temporary tables are not written to the store):

``iod_domains``: scores of the IMD and domains (File 7 columns).
``iod_indicators``: income and IDACI numerators, and the proxies of the ``domains`` index
(:data:`DOMAIN_PROXIES`) (File 8).
``iod_idaci_official``: the official IDACI score (File 5) where present.
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
from needsmap.ingest.report import FileReport
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
                        key: str, col: str) -> None:
    """Official IDACI score (rate) from File 5, or from an exact extract of it."""
    if path is None or fr is None:
        con.execute("CREATE OR REPLACE TEMP TABLE iod_idaci_official (lsoa_code VARCHAR, idaci_score DOUBLE)")
        return
    raw = read_csv_raw(con, path, fr, [key, col])
    rules = _common_rules(key)
    rules.insert(1, duplicate_rule(raw, key))
    rules += numeric_rule(col, allow_negative=False, allow_suppressed=False)
    rules.append((f"{col} outside 0-1", col, f"(TRY_CAST({ident(col)} AS DOUBLE) > 1)"))
    kept = apply_rules(con, raw, fr, rules, [key, col])
    con.execute(f"CREATE OR REPLACE TEMP TABLE iod_idaci_official AS SELECT {ident(key)} AS "
                f"lsoa_code, TRY_CAST({ident(col)} AS DOUBLE) AS idaci_score FROM {kept}")
    fr.rows_kept = con.execute("SELECT count(*) FROM iod_idaci_official").fetchone()[0]
