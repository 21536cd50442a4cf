"""The ``crime`` build stage: police.uk files -> ``ward_crime`` and friends.

Tables written (see ``queries/crime_*.sql``):

``crime_point``
    One row per kept street-level record, with its LSOA 2021, ward and LAD.
``crime_file`` / ``crime_coverage``
    One row per file loaded: force, month, rows read/kept/rejected, LSOA agreement.
``ward_crime_monthly``
    Tidy counts by ward x month x crime type.
``ward_crime``
    One row per English ward: its force, the 12-month window (the 12 calendar months
    ending with the force's latest loaded month), ``full_coverage`` (all 12 months
    loaded), ``crimes_12m`` (selected types, :data:`SELECTED_TYPES`), the rate per
    1,000 residents ``rate_12m_per_1000 = 1000 * crimes_12m / population`` (Census 2021
    residents from ``ward_indicators_england.population``) and its Byar 95%
    confidence interval (:func:`needsmap.stats.byar_ci`). Rates are NULL unless
    ``full_coverage``. The index reads ``ward_code, rate_12m_per_1000, full_coverage``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from needsmap.areas.locate import has_wales
from needsmap.context import BuildContext
from needsmap.crime.load import ensure_tables, load_files
from needsmap.ingest.police import (
    SOURCE_ID,
    CrimeFileReport,
    PoliceFile,
    discover,
    parse_name,
    read_lsoa11_lookup,
)
from needsmap.sources.resolve import sha256_file
from needsmap.sql import run_sql

#: Crime types in the rolling 12-month total (issue 7: violence, burglary, criminal
#: damage and anti-social behaviour).
SELECTED_TYPES: tuple[str, ...] = (
    "Violence and sexual offences", "Burglary", "Criminal damage and arson",
    "Anti-social behaviour",
)

#: A LAD is in a force's area when the force's points there reach this many per 1,000
#: residents per loaded month. On the mirror, in-area LADs have 4.7-19.3 and the highest
#: out-of-area LAD 0.06 (Lancashire, Essex, Gwent files).
MIN_AREA_RATE = 1.0

#: Columns of ``ward_crime`` in order.
WARD_CRIME_COLUMNS = (
    "ward_code", "ward_name", "lad_code", "lad_name", "police_force", "window_start",
    "window_end", "months_in_window", "full_coverage", "population", "crimes_12m",
    "rate_12m_per_1000", "rate_12m_lower95", "rate_12m_upper95", "all_crimes_12m",
    "violence_12m", "burglary_12m", "criminal_damage_12m", "asb_12m", "selected_types",
)

_CRIME_TABLES = ("crime_point", "crime_file", "crime_snap", "crime_coverage",
                 "ward_crime_monthly", "ward_crime")


def catalogue_files(ctx: BuildContext) -> tuple[list[PoliceFile], list[str]]:
    """The catalogue collection ``police_uk`` files found in the user cache or the mirror.

    police.uk publishes street-level files as archives assembled on request
    (https://data.police.uk/data/), not at stable per-file URLs, so members missing from
    the cache and mirror are not downloaded: they are returned as missing and noted in
    the load report. Found files are checked against the catalogue SHA-256 and recorded
    in ``ctx.sources_used``.
    """
    coll = ctx.catalogue.collection("police_uk")
    files: list[PoliceFile] = []
    missing: list[str] = []
    for rel in sorted(coll.sha256):
        src = coll.member(rel)
        path, origin = ctx.resolver.where(src)
        if path is None:
            missing.append(rel)
            continue
        path = ctx.resolver.resolve(src)  # verifies the SHA-256 (cache or mirror, no download)
        ctx.record_source(src, path, origin)
        month, force = parse_name(path)
        files.append(PoliceFile(path, month, force))
    return files, missing


def user_files(ctx: BuildContext, paths: Sequence[str | Path]) -> list[PoliceFile]:
    """Files and directories given by the user; each is recorded as a source with its SHA-256."""
    coll = ctx.catalogue.collection("police_uk")
    files = discover(paths)
    for pf in files:
        src = dataclasses.replace(coll.member(f"{pf.month}/{pf.path.name}"),
                                  path=str(pf.path), sha256=sha256_file(pf.path))
        ctx.record_source(src, pf.path, "user")
    return files


def drop_crime_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Drop every crime table and the police.uk rows of the load report (for a reload)."""
    for t in _CRIME_TABLES:
        con.execute(f"DROP TABLE IF EXISTS {t}")
    for t in ("load_report", "rejected_rows"):
        if con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                       [t]).fetchone()[0]:
            con.execute(f"DELETE FROM {t} WHERE source_id = ?", [SOURCE_ID])


def load(con: duckdb.DuckDBPyConnection, files: Sequence[PoliceFile],
         lookup_path: Path | None) -> list[CrimeFileReport]:
    """Load ``files`` into the crime tables (streaming one file at a time)."""
    ensure_tables(con)
    read_lsoa11_lookup(con, lookup_path)
    reports = [CrimeFileReport(SOURCE_ID, str(pf.path)) for pf in files]
    load_files(con, files, reports)
    return reports


def build_outputs(con: duckdb.DuckDBPyConnection,
                  selected_types: Sequence[str] = SELECTED_TYPES,
                  min_area_rate: float = MIN_AREA_RATE) -> None:
    """Write ``ward_crime_monthly``, ``crime_coverage`` and ``ward_crime``.

    The Byar interval is computed with :func:`needsmap.stats.byar_ci` on the ward
    counts: ``lower = O (1 - 1/(9O) - z/(3 sqrt O))^3``, ``upper = (O+1) (1 - 1/(9(O+1))
    + z/(3 sqrt(O+1)))^3``, each divided by the population and multiplied by 1,000.
    """
    from needsmap.stats import byar_ci

    ensure_tables(con)
    run_sql(con, "crime_wards_ew" if has_wales(con) else "crime_wards")
    run_sql(con, "crime_outputs", {"selected_types": list(selected_types),
                                   "min_area_rate": float(min_area_rate)})
    df = con.execute("SELECT * FROM _ward_crime").df()
    full = df["full_coverage"].fillna(False).astype(bool)
    obs = df["crimes_12m"].astype("float64").where(full)
    pop = df["population"].astype("float64").where(full)
    lo, hi = byar_ci(obs.to_numpy(), pop.to_numpy(), multiplier=1000.0)
    df["rate_12m_per_1000"] = (obs * 1000.0 / pop).where(full)
    df["rate_12m_lower95"] = pd.Series(lo, index=df.index).where(full)
    df["rate_12m_upper95"] = pd.Series(hi, index=df.index).where(full)
    df["selected_types"] = "; ".join(selected_types)
    for c in ("crimes_12m", "all_crimes_12m", "violence_12m", "burglary_12m",
              "criminal_damage_12m", "asb_12m"):
        df[c] = df[c].astype("float64")  # apportioned with lsoa_ward_weight: whole numbers but
        # in wards with an LSOA shared by area
    df["months_in_window"] = df["months_in_window"].astype("Int64")
    df = df[list(WARD_CRIME_COLUMNS)]
    con.register("_wc_df", df)
    try:
        con.execute("CREATE OR REPLACE TABLE ward_crime AS SELECT * FROM _wc_df ORDER BY ward_code")
    finally:
        con.unregister("_wc_df")
    con.execute("DROP TABLE IF EXISTS _ward_crime")


def crime_score_comparison(con: duckdb.DuckDBPyConnection,
                           lad_codes: Sequence[str] | None = None) -> dict[str, float]:
    """Correlate ward recorded-crime rates with the IoD2025 crime score (docs/method.md).

    Uses wards with ``full_coverage`` (optionally only in ``lad_codes``):
    ``rate_12m_per_1000`` against ``ward_indicators_england.crime_score``.

    Returns
    -------
    dict
        ``n`` wards, ``pearson``, ``spearman`` and ``pearson_log`` (Pearson on the log rate).
    """
    from scipy.stats import pearsonr, spearmanr

    df = con.execute(
        "SELECT w.rate_12m_per_1000 AS rate, e.crime_score FROM ward_crime w "
        "JOIN ward_indicators_england e USING (ward_code) "
        "WHERE w.full_coverage AND w.rate_12m_per_1000 > 0 AND e.crime_score IS NOT NULL "
        "AND (CAST($lads AS VARCHAR[]) IS NULL OR list_contains($lads, w.lad_code))",
        {"lads": list(lad_codes) if lad_codes else None}).df()
    if len(df) < 3:
        return {"n": float(len(df)), "pearson": float("nan"), "spearman": float("nan"),
                "pearson_log": float("nan")}
    return {"n": float(len(df)), "pearson": float(pearsonr(df.rate, df.crime_score)[0]),
            "spearman": float(spearmanr(df.rate, df.crime_score)[0]),
            "pearson_log": float(pearsonr(np.log(df.rate), df.crime_score)[0])}


def stage(ctx: BuildContext) -> None:
    """Build stage ``crime``.

    Uses ``ctx.options.police_paths`` (files or directories) if given, else the
    catalogue collection ``police_uk``. With no files the crime tables are still
    created (every ward with ``full_coverage = false``) and the load report says so.
    """
    con = ctx.con
    paths = ctx.options.police_paths
    missing: list[str] = []
    if paths:
        files = user_files(ctx, list(paths))
    else:
        files, missing = catalogue_files(ctx)
    lookup = ctx.resolve("lsoa11_lsoa21_lookup", required=False)
    reports = load(con, files, lookup)
    ctx.report.files.extend(reports)
    if not files:
        fr = ctx.report.file(SOURCE_ID, "(no police.uk files)")
        fr.note = ("no police.uk street-level files found"
                   + (f" ({len(missing)} catalogued files are not in the cache or mirror; "
                      "pass them with --police)" if missing else "")
                   + "; crime tables are empty and every ward has full_coverage = false")
    elif missing:
        reports[-1].note += (f"; {len(missing)} catalogued police.uk files are not in the "
                             "cache or mirror")
    build_outputs(con)
    s = con.execute("SELECT count(*), count(*) FILTER (WHERE full_coverage) FROM ward_crime"
                    ).fetchone()
    ctx.summary["crime_files"] = len(files)
    ctx.summary["crime_points_kept"] = int(sum(r.rows_kept for r in reports))
    ctx.summary["crime_wards_full_coverage"] = int(s[1])


__all__ = ["MIN_AREA_RATE", "SELECTED_TYPES", "WARD_CRIME_COLUMNS", "build_outputs",
           "crime_score_comparison",
           "catalogue_files", "drop_crime_tables", "load", "stage", "user_files"]
