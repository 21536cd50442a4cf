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

from needsmap.areas.locate import has_wales
from needsmap.context import BuildContext
from needsmap.crime.load import ensure_tables, load_files
from needsmap.ingest.police import (
    SOURCE_ID,
    CrimeFileReport,
    PoliceFile,
    Skipped,
    parse_name,
    read_lsoa11_lookup,
    scan,
)
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


def catalogue_files(ctx: BuildContext) -> tuple[list[PoliceFile], list[str], list[Skipped]]:
    """The catalogue's police.uk files: the publisher's archive if at hand, else the mirror's.

    The archive (``collection.police_uk`` ``save_as``, e.g. ``latest.zip`` fetched by
    ``needsmap fetch``) is checked by its layout and read in the zip: the latest 12 months
    of each force (:func:`needsmap.ingest.police.scan`). Without it, the collection's
    monthly files found in the cache or the mirror are read, each checked against its
    catalogue SHA-256. Returns the files, the catalogued monthly files found nowhere,
    and the archive members not read (with their reasons).
    """
    coll = ctx.catalogue.collection("police_uk")
    arch = coll.archive()
    if arch is not None:
        found = ctx.resolver.find(arch)
        if found is not None:
            ctx.sources_used.append((arch, found))
            d = scan([found.path])
            return d.files, [], d.skipped
    files: list[PoliceFile] = []
    missing: list[str] = []
    for rel in sorted(coll.sha256):
        src = coll.member(rel)
        found = ctx.resolver.find(src)  # verifies the SHA-256 (cache or mirror, no download)
        if found is None:
            missing.append(rel)
            continue
        ctx.sources_used.append((src, found))
        month, force = parse_name(found.path)
        files.append(PoliceFile(found.path, month, force, None, found.path.stat().st_size))
    return files, missing, []


def user_files(ctx: BuildContext, paths: Sequence[str | Path]) -> tuple[list[PoliceFile],
                                                                        list[Skipped]]:
    """Files, folders and zips given by the user; each file read is recorded as a source."""
    coll = ctx.catalogue.collection("police_uk")
    d = scan(paths)
    for pf in d.files:
        src = dataclasses.replace(coll.member(f"{pf.month}/{pf.name}"), path=pf.label,
                                  sha256=None)
        ctx.record_source(src, pf.path, "user")
    return d.files, d.skipped


def skipped_reports(skipped: Sequence[Skipped]) -> list[CrimeFileReport]:
    """One load-report line per file not read (0 rows read), with the reason."""
    out = []
    for s in skipped:
        fr = CrimeFileReport(SOURCE_ID, s.file)
        fr.note = f"not read: {s.reason}"
        out.append(fr)
    return out


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
    reports = [CrimeFileReport(SOURCE_ID, pf.label) for pf in files]
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
    import pyarrow as pa

    from needsmap.stats import byar_ci

    ensure_tables(con)
    run_sql(con, "crime_wards_ew" if has_wales(con) else "crime_wards")
    run_sql(con, "crime_outputs", {"selected_types": list(selected_types),
                                   "min_area_rate": float(min_area_rate)})
    tb = con.execute("SELECT * FROM _ward_crime").to_arrow_table()
    full = np.asarray(tb.column("full_coverage").fill_null(False).to_numpy(zero_copy_only=False),
                      dtype=bool)
    obs = np.where(full, tb.column("crimes_12m").cast(pa.float64()).fill_null(np.nan).to_numpy(),
                   np.nan)
    pop = np.where(full, tb.column("population").cast(pa.float64()).fill_null(np.nan).to_numpy(),
                   np.nan)
    lo, hi = byar_ci(obs, pop, multiplier=1000.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = obs * 1000.0 / pop
    cols = {c: tb.column(c) for c in tb.column_names}
    cols["rate_12m_per_1000"] = pa.array(rate, from_pandas=True)
    cols["rate_12m_lower95"] = pa.array(np.asarray(lo, dtype=float), from_pandas=True)
    cols["rate_12m_upper95"] = pa.array(np.asarray(hi, dtype=float), from_pandas=True)
    cols["selected_types"] = pa.array(["; ".join(selected_types)] * tb.num_rows, pa.string())
    for c in ("crimes_12m", "all_crimes_12m", "violence_12m", "burglary_12m",
              "criminal_damage_12m", "asb_12m"):
        # apportioned with lsoa_ward_weight: whole numbers but in wards with an LSOA shared
        # by area
        cols[c] = cols[c].cast(pa.float64())
    cols["months_in_window"] = cols["months_in_window"].cast(pa.int64())
    out = pa.table({c: cols[c] for c in WARD_CRIME_COLUMNS})
    con.register("_wc_df", out)
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
        files, skipped = user_files(ctx, list(paths))
    else:
        files, missing, skipped = catalogue_files(ctx)
    lookup = ctx.resolve("lsoa11_lsoa21_lookup", required=False)
    reports = load(con, files, lookup)
    ctx.report.files.extend(reports)
    ctx.report.files.extend(skipped_reports(skipped))
    if not files:
        coll = ctx.catalogue.collection("police_uk")
        fr = ctx.report.file(SOURCE_ID, "(no police.uk files)")
        fr.note = ("no police.uk street-level files found"
                   + (f" ({len(missing)} catalogued files are not in the cache or mirror; "
                      "pass them with --police)" if missing else "")
                   + f"; get the archive with `needsmap fetch police_uk` ({coll.download})"
                   + "; crime tables are empty and every ward has full_coverage = false")
    elif missing:
        reports[-1].note += (f"; {len(missing)} catalogued police.uk files are not in the "
                             "cache or mirror")
    build_outputs(con)
    s = con.execute("SELECT count(*), count(*) FILTER (WHERE full_coverage) FROM ward_crime"
                    ).fetchone()
    ctx.summary["crime_files"] = len(files)
    if skipped:
        ctx.summary["crime_files_not_read"] = len(skipped)
    ctx.summary["crime_points_kept"] = int(sum(r.rows_kept for r in reports))
    ctx.summary["crime_wards_full_coverage"] = int(s[1])


__all__ = ["MIN_AREA_RATE", "SELECTED_TYPES", "WARD_CRIME_COLUMNS", "build_outputs",
           "crime_score_comparison",
           "catalogue_files", "drop_crime_tables", "load", "skipped_reports", "stage",
           "user_files"]
