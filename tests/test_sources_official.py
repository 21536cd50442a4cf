"""A fresh cache built from the publishers' own layouts, over a real loopback HTTP server.

The server (``tests/badinput/loopback.py``) serves, at the catalogue's direct-link paths
(``NEEDSMAP_URL_PREFIX`` rewrites ``https://host/path`` to ``<server>/host/path``), files
in the publishers' layouts made from the mirror (``tests/official_layouts.py``): the
ONS feature services (paged), the ONS hub CSV, IoD2025 File 7 (CSV) and File 8 (XLSX),
GIAS (Windows-1252, yesterday's date-stamped name), GIAS's Downloads form for the
children's centres extract (``tests/gias_site.py``), the epraccur ODS report, the
police.uk archive zip, Code-Point Open behind a redirect, and byte copies. Nothing is
mocked in the network layer.

``needsmap sources`` with no mirror and an empty cache lists every source as missing with
its link; ``needsmap fetch`` fills the cache (the family hub list and the children's centres
extract served hold the mirror's only two real sites, below the layout's floor for a
national list: refused with a message naming the row count; the rest downloaded); after the three by-hand files (Census 2021, CiLIF and the
mid-2020 estimates) are put in the cache, ``build --la Blackpool`` with no mirror gives
the ward figures, recorded crime and services of the build from the mirror.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import gias_site
import official_layouts as ol
import pytest
from badinput.loopback import Loopback, serve
from rich.console import Console

from needsmap.cli import main
from needsmap.pipeline import build
from needsmap.settings import Settings
from needsmap.sources import gias_extract, load_catalogue
from needsmap.store.db import open_store

BY_HAND = ("census2021_age6", "cilif_msoa", "sape_mid2020_lsoa11")


@pytest.fixture(scope="module")
def official(mirror: Path, tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("official")
    return root, ol.build(mirror, root, dt.date.today())


@pytest.fixture(scope="module")
def server(official, mirror) -> Iterator[Loopback]:
    root, info = official
    with serve(root) as srv:
        for path, layer in info["layers"].items():
            srv.feature_layer(path, layer)
        for path, to in info["redirects"].items():
            srv.redirect(path, to)
        srv.app(f"/{gias_site.HOST}/", gias_site.GIASSite(mirror, polls=1))
        yield srv


@pytest.fixture(scope="module")
def fetched(server, tmp_path_factory, mirror) -> dict:
    """Run ``needsmap sources`` then ``needsmap fetch`` with no mirror into an empty cache."""
    cache = tmp_path_factory.mktemp("fresh_cache")
    mp = pytest.MonkeyPatch()
    mp.delenv("NEEDSMAP_MIRROR", raising=False)
    mp.delenv("NEEDSMAP_BASE_URL", raising=False)
    mp.setenv("NEEDSMAP_CACHE", str(cache))
    mp.setenv("NEEDSMAP_URL_PREFIX", server.url)
    mp.setattr(gias_extract, "POLL_SECONDS", 0.01)
    out = {"cache": cache}
    try:
        import contextlib
        import io

        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            assert main(["sources", "--json"]) == 0
        out["before"] = json.loads(buf.getvalue())
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            out["rc"] = main(["fetch", "--no-progress"])
        out["fetch_text"] = buf.getvalue()
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            main(["sources", "--json"])
        out["after"] = json.loads(buf.getvalue())
        n = len(server.requests)
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            out["rc2"] = main(["fetch", "--no-progress"])
        out["second_fetch_requests"] = server.requests[n:]
    finally:
        mp.undo()
    return out


def test_sources_lists_every_source_missing_with_its_link(fetched):
    before = fetched["before"]
    cat = load_catalogue()
    ids = {r["id"] for r in before}
    assert ids == {s.id for s in cat} | {"police_uk"}
    assert all(r["where"] == "missing" for r in before)
    for r in before:
        assert r["landing"].startswith("https://"), r["id"]
        assert r["save_as"].startswith(str(fetched["cache"])), r["id"]
        assert r["need"] and r["without"], r["id"]
        src = cat.sources.get(r["id"])
        if src is not None and src.download:
            assert r["download"] == src.download
    assert next(r for r in before if r["id"] == "police_uk")["download"].endswith("latest.zip")


def test_fetch_fills_the_cache_from_the_publishers_layouts(fetched, server):
    after = {r["id"]: r for r in fetched["after"]}
    cat = load_catalogue()
    downloadable = [s.id for s in cat if s.download and not s.unused]
    got = [sid for sid in downloadable if after[sid]["where"] == "cache"]
    # the two national lists served hold the mirror's 2 real Trafford sites: implausible
    # for England, refused (tests/test_sources_gias_extract.py shows them read)
    assert set(downloadable) - set(got) == {"family_hubs", "gias_childrens_centres"}
    assert after["police_uk"]["where"] == "cache"
    assert fetched["rc"] == 1  # the refused downloads
    assert "family_hubs" in fetched["fetch_text"] and "failed" in fetched["fetch_text"]
    assert "gias_childrens_centres" in fetched["fetch_text"]
    from needsmap.sources import Resolver, SourceUnavailable

    for sid in ("family_hubs", "gias_childrens_centres"):
        with pytest.raises(SourceUnavailable, match=r"only 2 data rows.*at least 50"):
            Resolver(fetched["cache"] / "fh", url_prefix=server.url, progress=False
                     ).download_found(cat.get(sid))
    assert "To get by hand" in fetched["fetch_text"]
    for sid in BY_HAND:
        assert sid in fetched["fetch_text"]  # its manual steps are printed
    # the LSOA feature service was read page by page (2,000 per page) to the last feature
    lsoa = ol.rel(cat.get("lsoa21_boundaries").download)
    pages = [p for p in server.pages if p[0] == "/" + lsoa]
    assert len(pages) == 18 and sum(p[2] for p in pages) == 35_672
    assert [p[1] for p in pages] == list(range(0, 36_000, 2000))
    lu11 = ol.rel(cat.get("lsoa11_lsoa21_lookup").download)
    assert max(p[2] for p in server.pages if p[0] == "/" + lu11) == 1000
    # GIAS: today's file does not exist yet, yesterday's does
    gias = [r for r in server.requests if "edubasealldata" in r]
    assert len(gias) == 2 and gias[0] != gias[1]
    # a second fetch finds everything present and asks for nothing but what failed
    assert all("List_of_family_hub_sites" in r or r.startswith(f"/{gias_site.HOST}/Downloads")
               for r in fetched["second_fetch_requests"])


@pytest.fixture(scope="module")
def official_store(fetched, mirror, tmp_path_factory) -> Path:
    cache = fetched["cache"]
    cat = load_catalogue()
    for sid in BY_HAND:  # the by-hand steps
        s = cat.get(sid)
        dest = cache / s.cache_name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(mirror / s.path, dest)
    db = tmp_path_factory.mktemp("official_store") / "official.duckdb"
    build(Settings(db_path=db, mirror=None, cache_dir=cache, offline=True), las=["Blackpool"],
          console=Console(stderr=True, quiet=True))
    return db


def _q(db: Path, sql: str) -> list[tuple]:
    con = open_store(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_the_build_from_the_publishers_files_equals_the_mirrors(official_store, blackpool_store):
    wards = ("SELECT ward_code, ward_name, population, children_0_15, round(area_km2, 6), "
             "round(child_poverty_rate, 9), round(income_rate, 9), round(imd_score, 9), "
             "round(cilif_rate, 9), geom_method FROM ward_indicators ORDER BY ward_code")
    assert _q(official_store, wards) == _q(blackpool_store, wards)
    crime = "SELECT * FROM ward_crime ORDER BY ward_code"
    assert _q(official_store, crime) == _q(blackpool_store, crime)
    svc = "SELECT type, count(*) FROM service GROUP BY type ORDER BY type"
    assert _q(official_store, svc) == _q(blackpool_store, svc)
    lsoa = ("SELECT count(*), round(sum(child_poverty_children), 3), round(sum(area_km2), 3) "
            "FROM lsoa_indicators")
    a, b = _q(official_store, lsoa), _q(blackpool_store, lsoa)
    assert a[0][0] == b[0][0] == 33_755 and a[0][2] == b[0][2]


def test_the_source_table_records_layouts_and_checksums(official_store):
    rows = {r[0]: r for r in _q(official_store, "SELECT source_id, origin, form, layout, "
                                                 "checked, sha256, download FROM source")}
    for sid in ("iod2025_file7", "iod2025_indicators", "gias_open", "epraccur",
                "lsoa21_boundaries", "lsoa21_wd24_lookup", "police_uk:archive"):
        origin, form, layout, checked, sha, url = rows[sid][1:]
        assert origin == "cache" and form == "publisher's file", sid
        assert layout and checked.startswith(f"layout {layout}"), (sid, checked)
        assert len(sha) == 64 and url.startswith("http"), sid
    assert "rows" in rows["gias_open"][4] or "columns" in rows["gias_open"][4]
    assert rows["trafford_childrens_centres"][4].startswith("sha256 = catalogue")
    ep = _q(official_store, "SELECT note FROM load_report WHERE source_id = 'epraccur'")[0][0]
    assert "current ODS report layout" in ep
    gi = _q(official_store, "SELECT note FROM load_report WHERE source_id = 'gias_open'")[0][0]
    assert "Windows-1252" in gi and "publisher's layout" in gi
    arch = _q(official_store, "SELECT file, note FROM load_report WHERE source_id = 'police_uk' "
                              "AND note LIKE 'not read:%'")
    assert len(arch) == 1 and arch[0][0].endswith("2025-06-gwent-outcomes.csv")


def test_run_without_a_mirror_says_what_is_missing_without_a_traceback(tmp_path, server):
    """``needsmap run`` (what scripts/run calls) with nothing reachable: fetch fails, the
    required sources are listed with their steps, exit 1, no traceback."""
    import subprocess
    import sys

    empty = tmp_path / "empty_root"
    empty.mkdir()
    with serve(empty) as srv:  # every link answers 404
        env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "NEEDSMAP_CACHE": str(tmp_path / "c"),
               "NEEDSMAP_URL_PREFIX": srv.url}
        p = subprocess.run([sys.executable, "-m", "needsmap.cli", "run", "--db",
                            str(tmp_path / "x.duckdb")], env=env, capture_output=True, text=True,
                           timeout=600)
    assert p.returncode == 1
    assert "Traceback" not in p.stderr + p.stdout
    assert "Cannot build: required sources are missing" in p.stderr
    assert "lsoa21_boundaries" in p.stderr and "save it as" in p.stderr
    assert not (tmp_path / "x.duckdb").exists()


def test_run_with_a_mirror_downloads_the_family_hub_list_and_the_build_has_its_sites(
        official, server, mirror, tmp_path, monkeypatch):
    """The mirror has no family hub list: ``needsmap run`` (``prepare_sources``) online
    downloads it (and the other publisher-only file, IoD2025 File 7) into a fresh cache
    before building, and the build's services then hold its sites as ``family_hub``s,
    located by postcode, with the file recorded as the publisher's in the ``source`` table.

    The list served has the mirror's two real Trafford sites (tests/official_layouts.py),
    under the 50-row floor a national list must pass; the floor is lowered here only, so
    that the download, the reader and the build are shown on those real sites."""
    import dataclasses

    from needsmap.cli import make_parser, prepare_sources
    from needsmap.sources import layouts

    _, info = official
    lay = layouts.LAYOUTS["dfe_family_hubs"]
    monkeypatch.setitem(layouts.LAYOUTS, "dfe_family_hubs", dataclasses.replace(lay, min_rows=1))
    monkeypatch.setattr(gias_extract, "POLL_SECONDS", 0.01)
    cache = tmp_path / "cache"
    monkeypatch.setenv("NEEDSMAP_MIRROR", str(mirror))
    monkeypatch.setenv("NEEDSMAP_CACHE", str(cache))
    monkeypatch.setenv("NEEDSMAP_URL_PREFIX", server.url)
    monkeypatch.delenv("NEEDSMAP_BASE_URL", raising=False)
    db = tmp_path / "trafford.duckdb"
    n = len(server.requests)
    assert prepare_sources(make_parser().parse_args(["run", "--db", str(db)]))
    asked = server.requests[n:]
    assert any("List_of_family_hub_sites" in r for r in asked)
    assert not any("FeatureServer" in r or "edubasealldata" in r for r in asked)  # mirror's
    cat = load_catalogue()
    assert (cache / cat.get("family_hubs").cache_name).is_file()

    build(Settings(db_path=db, mirror=mirror, cache_dir=cache, offline=True), las=["Trafford"],
          stages=["areas", "services"], console=Console(stderr=True, quiet=True))
    hubs = _q(db, "SELECT s.name, s.postcode, w.lad_name FROM service s JOIN ward_indicators w "
                  "USING (ward_code) WHERE s.type = 'family_hub' ORDER BY 1")
    assert len(hubs) == info["family_hubs"] == 2
    assert {h[2] for h in hubs} == {"Trafford"}
    assert [h[0] for h in hubs] == ["Partington Children's Centre", "Stretford Children's Centre"]
    src = _q(db, "SELECT origin, form, layout, download FROM source WHERE source_id = 'family_hubs'")
    assert src[0][:3] == ("cache", "publisher's file", "dfe_family_hubs")
    assert src[0][3].endswith("/media/6980dbf0ec71a16669612e3d/List_of_family_hub_sites.csv")
