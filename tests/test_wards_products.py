"""Issue 14: which ward boundary product a build uses, the areal option, and the fallback.

Each build here runs the areas stage only (on the real mirror files, linked into a
temporary mirror or cache that lacks or adds one file).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from needsmap.pipeline import build
from needsmap.settings import Settings
from needsmap.sources import load_catalogue
from needsmap.store.db import open_store


def _mirror_without(tmp: Path, mirror: Path, drop: set[str]) -> Path:
    part = tmp / "mirror"
    for src in load_catalogue():
        if src.id in drop or not src.path or not (mirror / src.path).is_file():
            continue
        dest = part / src.path
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.symlink_to(mirror / src.path)
    return part


def _areas(tmp: Path, mirror: Path, cache: Path | None = None, **opts) -> tuple[Path, dict]:
    from needsmap.context import BuildOptions

    db = tmp / "x.duckdb"
    s = build(Settings(db_path=db, mirror=mirror, cache_dir=cache or tmp / "cache", offline=True),
              las=["Blackpool"], stages=["areas"], console=Console(quiet=True),
              options=BuildOptions(**opts))
    return db, s


def test_areal_weights_option(tmp_path, mirror):
    db, s = _areas(tmp_path, mirror, ward_weights="areal")
    assert s["ward_weights"] == "areal" and s["ward_boundaries"] == "ons_wd24_bsc"
    con = open_store(db)
    try:
        assert con.execute("SELECT DISTINCT method FROM lsoa_ward_weight").fetchall() == [("areal",)]
        n, vm = con.execute("SELECT count(*), list(DISTINCT value_method) "
                            "FROM ward_indicators_england").fetchone()
        assert n == 6817 and vm == ["areal"]
        s_w = con.execute("SELECT max(abs(s - 1)) FROM (SELECT sum(w) AS s FROM lsoa_ward_weight "
                          "GROUP BY lsoa_code)").fetchone()[0]
        assert s_w < 1e-12
        pops = con.execute("""SELECT (SELECT sum(population) FROM ward_indicators_england),
                                     (SELECT population FROM england_indicators)""").fetchone()
        assert pops[0] == pops[1]
        v = con.execute("SELECT DISTINCT vintage_lookup FROM ward_indicators").fetchone()[0]
        assert "area shares" in v
    finally:
        con.close()


def test_without_a_ward_file_wards_are_lsoa_dissolves_and_areal_is_refused(tmp_path, mirror):
    from needsmap.ingest.report import InputError

    part = _mirror_without(tmp_path, mirror, {"wd24_boundaries_bsc"})
    db, s = _areas(tmp_path, part)
    assert s["ward_boundaries"] == "lsoa21_best_fit_dissolve"
    con = open_store(db)
    try:
        assert con.execute("SELECT count(*) FROM ward_indicators_england").fetchone()[0] == 6784
        assert con.execute("SELECT list(DISTINCT geom_method) FROM ward").fetchone()[0] == [
            "lsoa21_best_fit_dissolve"]
        assert con.execute("SELECT count(*) FROM ward").fetchone()[0] == 21
    finally:
        con.close()
    with pytest.raises(InputError, match="needs May 2024 ward boundaries"):
        _areas(tmp_path / "b", part, ward_weights="areal")


def test_a_cached_product_that_does_not_cover_england_is_not_mixed_in(tmp_path, mirror):
    """A BGC file in the cache holding only Blackpool's wards is read, not used (every row
    rejected with the reason), and the whole map stays on the mirror's BSC product."""
    import geopandas as gpd

    cat = load_catalogue()
    cache = tmp_path / "cache"
    dest = cache / cat.get("wd24_boundaries_bgc").cache_name
    dest.parent.mkdir(parents=True)
    gpd.read_file(mirror / "boundaries/wards_may2024_bgc_blackpool.geojson").to_file(
        dest, driver="GPKG", engine="pyogrio")
    db, s = _areas(tmp_path, mirror, cache=cache)
    assert s["ward_boundaries"] == "ons_wd24_bsc"
    con = open_store(db)
    try:
        rep = con.execute("SELECT source_id, rows_read, rows_kept, rows_rejected FROM load_report "
                          "WHERE source_id LIKE 'wd24_%' ORDER BY 1").fetchall()
        assert rep == [("wd24_boundaries_bgc", 21, 0, 21), ("wd24_boundaries_bsc", 8396, 6817, 1579)]
        reason = con.execute("SELECT DISTINCT reason FROM rejected_rows "
                             "WHERE source_id = 'wd24_boundaries_bgc'").fetchall()
        assert len(reason) == 1 and "ward file not used" in reason[0][0]
        used = [r[0] for r in con.execute("SELECT source_id FROM source").fetchall()]
        assert "wd24_boundaries_bsc" in used and "wd24_boundaries_bgc" not in used
    finally:
        con.close()
