"""The crime stage with user paths, with no files at all, and the IoD comparison."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from needsmap.context import BuildContext, BuildOptions
from needsmap.crime.build import crime_score_comparison, stage
from needsmap.ingest.report import LoadReport
from needsmap.settings import Settings
from needsmap.sources import Resolver, load_catalogue
from needsmap.store.db import connect, open_store


@pytest.fixture()
def ctx(blackpool_store: Path, tmp_path: Path):
    """A BuildContext on an in-memory store holding the core tables the stage needs."""
    con = connect()
    con.execute(f"ATTACH '{blackpool_store}' AS s (READ_ONLY)")
    con.execute("CREATE TABLE lsoa AS SELECT lsoa_code, ward_code, lad_code, geom FROM s.lsoa")
    con.execute("CREATE TABLE ward_indicators_england AS SELECT * FROM s.ward_indicators_england")
    con.execute("CREATE TABLE lsoa_ward_weight AS SELECT * FROM s.lsoa_ward_weight")
    con.execute("DETACH s")
    empty = tmp_path / "empty_mirror"
    empty.mkdir()
    settings = Settings(db_path=tmp_path / "x.duckdb", mirror=empty, cache_dir=tmp_path / "cache",
                        offline=True)
    c = BuildContext(con=con, settings=settings,
                     resolver=Resolver(settings.cache_dir, empty, offline=True),
                     catalogue=load_catalogue(), report=LoadReport(),
                     console=Console(quiet=True))
    yield c
    con.close()


def test_stage_without_files_skips_gracefully(ctx):
    stage(ctx)
    ctx.report.check()
    (fr,) = ctx.report.files
    assert fr.rows_read == 0 and "no police.uk street-level files" in fr.note
    n, full = ctx.con.execute("SELECT count(*), count(*) FILTER (WHERE full_coverage) "
                              "FROM ward_crime").fetchone()
    assert n > 6000 and full == 0
    ctx.report.write(ctx.con)
    assert ctx.con.execute("SELECT count(*) FROM load_report").fetchone()[0] == 1


def test_stage_with_user_paths_records_sources(ctx, mirror: Path):
    ctx.options = BuildOptions(police_paths=(
        str(mirror / "crime/police_uk/2022-05"),
        str(mirror / "crime/police_uk/2024-07/2024-07-gwent-street.csv")))
    stage(ctx)
    ctx.report.check()
    assert [Path(f.file).name for f in ctx.report.files] == [
        "2022-05-lancashire-street.csv", "2024-07-gwent-street.csv"]
    srcs = {s.id: (ctx.sha256(s, found), found.origin) for s, found in ctx.sources_used}
    lancs = srcs["police_uk:2022-05/2022-05-lancashire-street.csv"]
    cat = load_catalogue().collection("police_uk").sha256["2022-05/2022-05-lancashire-street.csv"]
    assert lancs == (cat, "user")  # the real file: its SHA-256 equals the catalogue's
    ctx.report.write(ctx.con)
    a, b = ctx.con.execute("SELECT (SELECT count(*) FROM rejected_rows), "
                           "(SELECT sum(rows_rejected) FROM load_report)").fetchone()
    assert a == b


def test_recorded_rate_tracks_iod_crime_score(blackpool_store: Path):
    con = open_store(blackpool_store)
    try:
        bp = crime_score_comparison(con, ["E06000009"])
        lancs = crime_score_comparison(con)
    finally:
        con.close()
    assert bp["n"] == 21 and bp["spearman"] > 0.7 and bp["pearson"] > 0.7
    assert lancs["n"] > 200 and lancs["spearman"] > 0.7
