"""Issue 2: the ward needs store, checked on the real files of the mirror."""

from __future__ import annotations

import subprocess
import sys

import geopandas as gpd
import pandas as pd
import pytest

from needsmap.store.db import connect, open_store


def q(db, sql, params=None):
    con = open_store(db)
    try:
        return con.execute(sql, params or {}).df()
    finally:
        con.close()


def test_england_ward_count_is_every_english_ward(england_store, mirror):
    """Issue 14: all 6,817 English May 2024 wards, including the 33 the lookup gives no LSOA."""
    import pyogrio

    lu = pd.read_csv(mirror / "lookups/lsoa21_wd24_lad24_ew_lu.csv", dtype=str)
    english = lu[lu.LAD24CD.str.startswith("E")]
    assert english.WD24CD.nunique() == 6784
    wards = pyogrio.read_dataframe(mirror / "boundaries/wards_may2024_uk_bsc.gpkg",
                                   read_geometry=False)
    wards = wards[wards.CTRY24CD == "E92000001"]
    assert len(wards) == 6817 and set(english.WD24CD) <= set(wards.WD24CD)
    for table in ("ward_indicators", "ward_indicators_england", "ward", "ward_ace", "ward_crime"):
        # ward and ward_crime hold the Welsh wards too (issue 21): their English rows here
        got = q(england_store, f"SELECT ward_code FROM {table} WHERE ward_code LIKE 'E%'").ward_code
        assert len(got) == 6817 and set(got) == set(wards.WD24CD), table
    assert q(england_store, "SELECT count(*) AS n FROM ward WHERE nation = 'Wales'").n.iloc[0] == 762
    assert q(england_store, "SELECT count(DISTINCT ward_code) AS n FROM ward_access").n[0] == 6817


def test_population_sums_equal_census_for_england_and_each_lad(england_store, mirror):
    c = pd.read_csv(mirror / "population/census2021_lsoa21_usual_residents_age6.csv", dtype={"usual_residents": int})
    c = c[c.lsoa21_code.str.startswith("E")]
    lu = pd.read_csv(mirror / "lookups/lsoa21_wd24_lad24_ew_lu.csv", dtype=str)
    by_lad = c.merge(lu, left_on="lsoa21_code", right_on="LSOA21CD").groupby("LAD24CD").usual_residents.sum()
    wards = q(england_store, "SELECT lad_code, population, children_0_15 FROM ward_indicators")
    assert wards.population.sum() == c.usual_residents.sum()
    got = wards.groupby("lad_code").population.sum()
    pd.testing.assert_series_equal(got.sort_index(), by_lad.sort_index(), check_names=False)
    eng = q(england_store, "SELECT population FROM england_indicators").population[0]
    assert eng == c.usual_residents.sum()
    # children too: summed over wards (whole numbers given by the weights) = the LSOA sums, exactly
    kids = c[c.age_group == "Aged 15 years and under"].merge(
        lu, left_on="lsoa21_code", right_on="LSOA21CD").groupby("LAD24CD").usual_residents.sum()
    got = wards.groupby("lad_code").children_0_15.sum()
    pd.testing.assert_series_equal(got.sort_index(), kids.sort_index(), check_names=False)
    assert wards.children_0_15.sum() == kids.sum()
    lad = q(england_store, "SELECT lad_code, population, children_0_15 FROM lad_indicators")
    assert (lad.set_index("lad_code").population.sort_index() == by_lad.sort_index()).all()


def test_load_report_accounts_for_every_row(england_store, mirror):
    rep = q(england_store, "SELECT * FROM load_report")
    assert (rep.rows_read == rep.rows_kept + rep.rows_rejected).all()
    # one report per read: a file read twice (English rows, then Welsh rows: issue 21) has two
    rej = q(england_store, "SELECT source_id, file, count(*) AS n FROM rejected_rows GROUP BY ALL")
    merged = rep.merge(rej, on=["source_id", "file"], how="left").fillna({"n": 0})
    assert (merged.rows_rejected == merged.n).all(), "every rejected row is kept in rejected_rows"
    # rows read equal the data rows actually in each CSV (header excluded)
    core = {"lsoa21_wd24_lookup", "census2021_age6", "iod2025_domains", "iod2025_indicators",
            "iod2025_file5_blackpool", "lsoa11_msoa11_lookup", "lsoa11_lsoa21_lookup",
            "sape_mid2020_lsoa11", "cilif_msoa"}
    checked = 0
    for _, r in rep[rep.source_id.isin(core)].iterrows():
        with open(r.file, "rb") as fh:
            lines = fh.read().rstrip(b"\n").count(b"\n")  # = data rows (one line per row, one header)
        assert r.rows_read == lines, r.file
        checked += 1
    assert checked == len(core)


def test_every_english_lsoa_and_ward_has_indicators(england_store):
    d = q(england_store, """SELECT count(*) AS n,
            count(child_poverty_rate) AS cp, count(income_rate) AS inc, count(crime_score) AS cr,
            count(health_score) AS h, count(density_per_km2) AS dens, count(cilif_rate) AS cil
        FROM ward_indicators_england""")
    assert (d.iloc[0] == 6817).all()
    lsoa = q(england_store, "SELECT count(*) AS n FROM lsoa_indicators").n[0]
    assert lsoa == 33755


def test_lad_scores_match_the_official_iod_lad_summaries(england_store, mirror):
    """Our population-weighted LAD IMD score tracks IoD2025 File 10's average score.

    The IoD weights by its mid-2022 denominators, we by Census 2021 residents,
    so the two agree closely but not exactly.
    """
    off = pd.read_csv(mirror / "deprivation/iod2025/iod2025_lad24_summaries.csv")
    ours = q(england_store, "SELECT lad_code, imd_score FROM lad_indicators")
    m = ours.merge(off, left_on="lad_code", right_on="ltla24_code")
    assert len(m) == 296
    assert m.imd_score.corr(m.imd_average_score) > 0.999
    assert (m.imd_score - m.imd_average_score).abs().max() < 1.0


def test_blackpool_build_has_21_wards(blackpool_store):
    d = q(blackpool_store, "SELECT * FROM ward_indicators")
    assert len(d) == 21
    assert set(d.lad_name) == {"Blackpool"}
    assert set(d.geom_method) == {"ons_wd24_bsc"}  # one ONS product for the whole map
    assert q(blackpool_store, "SELECT count(*) AS n FROM ward_indicators_england").n[0] == 6817


def test_blackpool_ward_recomputed_by_hand_from_its_lsoas(blackpool_store, mirror):
    """Child poverty rate and density of one Blackpool ward, from the source files directly."""
    ward = "Bloomfield"
    lu = pd.read_csv(mirror / "lookups/lsoa21_wd24_lad24_ew_lu.csv", dtype=str)
    lsoas = lu[(lu.LAD24NM == "Blackpool") & (lu.WD24NM == ward)].LSOA21CD.tolist()
    assert lsoas
    census = pd.read_csv(mirror / "population/census2021_lsoa21_usual_residents_age6.csv")
    census = census[census.lsoa21_code.isin(lsoas)]
    pop = census.groupby("lsoa21_code").usual_residents.sum()
    kids = census[census.age_group == "Aged 15 years and under"].set_index("lsoa21_code").usual_residents
    idaci = pd.read_csv(mirror / "deprivation/iod2025/iod2025_file5_extract_blackpool.csv").set_index("lsoa21cd")
    # official IDACI rate is children-weighted: sum(rate * children) / sum(children)
    rate = (idaci.loc[lsoas, "idaci_score_rate"] * kids.loc[lsoas]).sum() / kids.loc[lsoas].sum()
    g = gpd.read_file(mirror / "boundaries/lsoa21_ew_bsc_dec2021.geojson")
    g = g[g.LSOA21CD.isin(lsoas)].to_crs(27700)
    density = pop.sum() / (g.area.sum() / 1e6)
    got = q(blackpool_store, "SELECT * FROM ward_indicators WHERE ward_name = $w", {"w": ward}).iloc[0]
    assert got.population == pop.sum()
    assert got.children_0_15 == kids.sum()
    assert got.child_poverty_rate == pytest.approx(rate, rel=1e-9)
    assert got.density_per_km2 == pytest.approx(density, rel=1e-6)
    assert got.n_lsoa_cp_official == len(lsoas)


def test_idaci_fallback_is_numerator_over_children(england_store, mirror):
    ind = pd.read_csv(mirror / "deprivation/iod2025/iod2025_lsoa21_underlying_indicators.csv")
    code = "E01000003"  # City of London, not in the File 5 extract
    num = ind.set_index("lsoa21_code").loc[code, "income_deprivation_affecting_children_index_idaci_numerator"]
    c = pd.read_csv(mirror / "population/census2021_lsoa21_usual_residents_age6.csv")
    kids = c[(c.lsoa21_code == code) & (c.age_group == "Aged 15 years and under")].usual_residents.iloc[0]
    got = q(england_store, "SELECT * FROM lsoa_indicators WHERE lsoa_code = $c", {"c": code}).iloc[0]
    assert got.child_poverty_rate == pytest.approx(num / kids)
    assert got.child_poverty_method.startswith("IDACI numerator /")


def test_ward_geometry_method_recorded(england_store):
    """One boundary product for the whole map (the mirror's UK BSC), never mixed."""
    d = q(england_store, "SELECT geom_method, count(*) AS n FROM ward WHERE nation = 'England' "
                         "GROUP BY 1")
    assert dict(zip(d.geom_method, d.n, strict=True)) == {"ons_wd24_bsc": 6817}
    con = open_store(england_store)
    area = con.execute("SELECT sum(ST_Area(geom)) / 1e6 FROM ward WHERE nation = 'England'"
                       ).fetchone()[0]
    lsoa = con.execute("SELECT sum(area_km2) FROM lsoa").fetchone()[0]
    con.close()
    # the mirror README: 130,516.94 km² of English wards, 130,518.07 km² of English LSOAs
    assert area == pytest.approx(130516.94, abs=0.1)
    assert area == pytest.approx(lsoa, rel=1e-4)


def test_sources_and_vintages_recorded(england_store):
    src = q(england_store, "SELECT * FROM source")
    assert {"lsoa21_wd24_lookup", "iod2025_domains", "census2021_age6", "cilif_msoa"} <= set(src.source_id)
    assert src.licence.notna().all() and src.url.str.startswith("http").all()
    w = q(england_store, "SELECT DISTINCT vintage_iod, vintage_census, vintage_cilif FROM ward_indicators")
    assert len(w) == 1 and "IoD2025" in w.vintage_iod[0]


def test_cli_build_unknown_la_is_a_clear_error(tmp_path, mirror):
    r = subprocess.run([sys.executable, "-m", "needsmap.cli", "build", "--la", "Blackpol",
                        "--db", str(tmp_path / "x.duckdb"), "--mirror", str(mirror), "--offline",
                        "--cache", str(tmp_path / "c")], capture_output=True, text=True)
    assert r.returncode == 1
    assert "unknown local authority 'Blackpol'" in r.stderr and "Blackpool" in r.stderr
    assert not (tmp_path / "x.duckdb").exists()


def test_failed_build_leaves_previous_store_untouched(tmp_path, mirror, monkeypatch, blackpool_store):
    import shutil

    from needsmap import pipeline as build_mod
    from needsmap.settings import Settings

    db = tmp_path / "store.duckdb"
    shutil.copy(blackpool_store, db)
    before = db.read_bytes()

    def boom(ctx):
        ctx.con.execute("CREATE TABLE half_written AS SELECT 1")
        raise RuntimeError("injected failure")

    monkeypatch.setattr(build_mod, "STAGES", {"areas": build_mod.STAGES["areas"], "boom": boom})
    with pytest.raises(RuntimeError, match="injected"):
        build_mod.build(Settings(db_path=db, mirror=mirror, cache_dir=tmp_path / "c", offline=True),
                        las=["Blackpool"])
    assert db.read_bytes() == before
    assert not list(tmp_path.glob("store.duckdb.building*"))
    con = connect(db, read_only=True)
    assert con.execute("SELECT count(*) FROM ward_indicators").fetchone()[0] == 21
    con.close()


def test_ward_polygons_in_both_crs_agree(england_store):
    """The EPSG:4326 ward polygon is the EPSG:27700 polygon reprojected (within 2 m)."""
    con = open_store(england_store)
    d = con.execute("""SELECT ward_code, ST_Area(geom) AS a27,
        ST_Area(ST_Transform(geom_wgs84, 'EPSG:4326', 'EPSG:27700', always_xy := true)) AS a84,
        ST_Distance(ST_Centroid(geom), ST_Centroid(ST_Transform(geom_wgs84, 'EPSG:4326',
                    'EPSG:27700', always_xy := true))) AS shift_m
        FROM ward WHERE nation = 'England'""").df()
    con.close()
    assert len(d) == 6817
    assert ((d.a84 - d.a27).abs() / d.a27).max() < 1e-3
    assert d.shift_m.max() < 2.0


def test_build_without_cilif_files_goes_on_and_says_so(tmp_path, mirror):
    """A mirror lacking a CiLIF file still builds; cilif_* is NULL and the summary names the file."""
    from rich.console import Console

    from needsmap.pipeline import build
    from needsmap.settings import Settings
    from needsmap.sources import load_catalogue

    cat = load_catalogue()
    part = tmp_path / "mirror"
    for src in cat:
        if src.id == "cilif_msoa" or not src.path or not (mirror / src.path).is_file():
            continue
        dest = part / src.path
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.symlink_to(mirror / src.path)
    db = tmp_path / "bp.duckdb"
    s = build(Settings(db_path=db, mirror=part, cache_dir=tmp_path / "cache", offline=True),
              las=["Blackpool"], stages=["areas"], console=Console(quiet=True))
    assert cat.get("cilif_msoa").path in s["sources_unavailable"]["cilif"]
    w = q(db, "SELECT count(*) AS n, count(cilif_rate) AS with_cilif, count(child_poverty_rate) AS cp, "
              "any_value(vintage_cilif) AS v FROM ward_indicators")
    assert w.n[0] == 21 and w.with_cilif[0] == 0 and w.cp[0] == 21
    assert w.v[0].startswith("not available")
    li = q(db, "SELECT count(cilif_children) AS n FROM lsoa_indicators")
    assert li.n[0] == 0


def test_boundary_error_on_the_worker_thread_fails_the_build_cleanly(tmp_path, mirror, monkeypatch,
                                                                     blackpool_store):
    """An error while the worker thread reads the boundaries reaches the build as itself
    (no hang waiting for the LSOA table), and the previous store stays as it was."""
    import shutil
    import threading

    from rich.console import Console

    from needsmap.ingest import boundaries
    from needsmap.ingest.report import InputError
    from needsmap.pipeline import build
    from needsmap.settings import Settings

    def broken(path, props):  # noqa: ANN001, ANN202
        if "lsoa21" in str(path):
            raise InputError(str(path), "cannot read as GeoJSON/vector data: truncated", row=35000)
        return real(path, props)

    real = boundaries.read_features
    monkeypatch.setattr(boundaries, "read_features", broken)
    db = tmp_path / "bp.duckdb"
    shutil.copy(blackpool_store, db)
    before = db.read_bytes()
    out: list[BaseException] = []

    def run() -> None:
        try:
            build(Settings(db_path=db, mirror=mirror, cache_dir=tmp_path / "c", offline=True),
                  las=["Blackpool"], console=Console(quiet=True))
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            out.append(exc)

    th = threading.Thread(target=run, daemon=True)
    th.start()
    th.join(timeout=180)
    assert not th.is_alive(), "the build hung after the worker failed"
    assert out and isinstance(out[0], InputError) and "lsoa21_ew_bsc_dec2021.geojson" in str(out[0])
    assert db.read_bytes() == before
    assert not list(tmp_path.glob("bp.duckdb.building-*"))
