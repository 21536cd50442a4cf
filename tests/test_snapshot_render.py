"""End to end: the CLI on the whole-England store for Dudley's five localities and the LA.

PDFs are printed by real headless chromium (Playwright) and checked with poppler's
``pdfinfo`` (one A4 page each); one is rasterised with ``pdftoppm``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from needsmap import CAVEAT
from needsmap.cli import main
from needsmap.settings import REPO_ROOT
from needsmap.snapshot import content as C
from needsmap.snapshot.render import CHROMIUM, render_html
from needsmap.store.db import open_store

DUDLEY = REPO_ROOT / "geodata" / "localities" / "dudley_localities.csv"
SLUGS = ["north-dudley", "dudley-netherton", "brierley-hill-kingswinford", "stourbridge",
         "halesowen", "la-dudley"]
#: Words that label places or people; the page must speak of "higher modelled risk" instead.
LABELS = ["deprived ward", "deprived area", "problem", "troubled", "worst", "failing",
          "at-risk families", "high-risk families", "dangerous", "sink estate"]


@pytest.mark.england
@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian chromium (scripts/setup --browser)")
def test_cli_writes_one_page_a4_snapshots_for_dudley(england_store, tmp_path, capsys):
    out = tmp_path / "snap"
    rc = main(["snapshot", "--db", str(england_store), "--locality-file", str(DUDLEY),
               "--la", "Dudley", "--out", str(out), "--format", "html,pdf,png"])
    assert rc == 0
    for slug in SLUGS:
        for suffix in (".html", ".pdf", ".png", "-map.png"):
            assert (out / f"{slug}{suffix}").stat().st_size > 1000, slug + suffix
        assert (out / f"{slug}-map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        # --format png is the whole page (taller than wide), not only the map
        head = (out / f"{slug}.png").read_bytes()[:24]
        width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
        assert head[:8] == b"\x89PNG\r\n\x1a\n" and height > width > 1000, (width, height)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{s}.pdf"' in index for s in SLUGS)
    if shutil.which("pdfinfo"):
        for slug in SLUGS:
            info = subprocess.run(["pdfinfo", str(out / f"{slug}.pdf")], capture_output=True,
                                  text=True, check=True).stdout
            assert "Pages:           1" in info, slug
            assert "(A4)" in info, slug
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "40", "-singlefile", str(out / "halesowen.pdf"),
                        str(tmp_path / "page")], check=True)
        assert (tmp_path / "page.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.england
def test_page_content_and_wording(england_store):
    con = open_store(england_store)
    try:
        snap = C.build_snapshot(con, "Halesowen", ["E05015904", "E05015911", "E05015912", "E05015913"])
    finally:
        con.close()
    html = render_html(snap, locality_set="dudley_localities.csv")
    assert "Halesowen: locality snapshot" in html and "Dudley (E08000027)" in html
    assert CAVEAT.replace("'", "&#39;") in html or CAVEAT in html
    assert "OGL-UK-3.0" in html and "Office for National Statistics" in html
    assert "IoD2025" in html and "Census 2021" in html
    assert 'src="data:image/png;base64,' in html
    labels = [r.label for r in snap.headline]
    for want in ("Children aged 0\u201315", "Child poverty rate (IDACI)",
                 "Income deprivation (IoD income domain)", "Crime (IoD crime domain score)",
                 "Population density (residents per km\u00b2)"):
        assert want in labels
    assert any(lab.startswith("ACE index position: children in wards of England's highest modelled-risk") for lab in labels)
    assert [w.ward_name for w in snap.wards][:1] and all(w.rank_band for w in snap.wards)
    low = html.lower()
    assert "higher modelled risk" in low
    for word in LABELS:
        assert word not in low, word
    assert any(s.type == "gp practice" and s.inside > 0 for s in snap.services)


@pytest.mark.england
def test_locality_domain_scores_are_child_weighted_ward_means(england_store):
    """Each domain row: Σ children · D / Σ children over the locality's wards (ward_ace)."""
    wards = ["E05015904", "E05015911", "E05015912", "E05015913"]
    con = open_store(england_store)
    try:
        snap = C.build_snapshot(con, "Halesowen", wards, with_map=False)
        w = con.execute("""SELECT a.*, e.children_0_15 AS kids FROM ward_ace a
                           JOIN ward_indicators_england e USING (ward_code)""").df()
    finally:
        con.close()
    from needsmap.index import DOMAINS

    rows = {r.label: r for r in snap.headline}
    mine = w[w["ward_code"].isin(wards)]
    for d in DOMAINS:
        r = rows[f"ACE index domain: {d.label.lower()} (score)"]
        want = (mine["kids"] * mine[d.score_column]).sum() / mine["kids"].sum()
        assert float(r.value) == pytest.approx(want, abs=5e-4)  # shown with 3 decimals
        above = (w[d.score_column] > want).sum()
        assert f"England ward decile {min(10, 1 + 10 * above // len(w))}" in r.note
        assert r.eng_cmp.label == "not tested"
    assert all(len(x.domains.split("\u00b7")) == 3 for x in snap.wards)


@pytest.mark.england
def test_recorded_crime_row_for_blackpool_and_escaping(england_store):
    """Blackpool (Lancashire police files, 12 months) gets a recorded-crime rate with a Byar CI;
    a locality name is HTML-escaped."""
    con = open_store(england_store)
    try:
        snap = C.build_snapshot(con, "<b>Bispham</b> & Anchorsholme", ["E05015186", "E05015187"],
                                with_map=False)
    finally:
        con.close()
    crime = next(r for r in snap.headline if r.label.startswith("Recorded crime"))
    assert crime.ci and crime.la_cmp.css in ("higher", "lower", "similar")
    assert crime.eng_cmp.label == "no benchmark"  # England is not fully covered by the mirror
    html = render_html(snap)
    assert "<b>Bispham</b>" not in html and "&lt;b&gt;Bispham&lt;/b&gt; &amp; Anchorsholme" in html


@pytest.mark.england
def test_cli_rejects_bad_locality_file(england_store, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text(DUDLEY.read_text(encoding="utf-8").replace("E05015921", "E05099999"), encoding="utf-8")
    rc = main(["snapshot", "--db", str(england_store), "--locality-file", str(bad),
               "--out", str(tmp_path / "o"), "--format", "html"])
    assert rc == 1
    err = capsys.readouterr().err
    assert "bad.csv, row 3, column 'ward_code'" in err and "E05099999" in err
    assert not (tmp_path / "o").exists()
    assert main(["snapshot", "--db", str(england_store), "--la", "Dudley", "--out",
                 str(tmp_path / "o"), "--format", "html,docx"]) == 2


def test_blackpool_store_locality_and_an_area_without_geometry(blackpool_store):
    """On a store built for Blackpool only: a Blackpool locality gets its map and recorded
    crime; a Dudley locality still gets its figures (LSOA tables are national) and the page
    says plainly that the map is not available."""
    con = open_store(blackpool_store)
    try:
        bp = C.build_snapshot(con, "North Blackpool", ["E05015186", "E05015187"])
        du = C.build_snapshot(con, "Halesowen", ["E05015904", "E05015911"])
    finally:
        con.close()
    assert bp.map is not None and bp.map.png[:4] == b"\x89PNG"
    assert any(r.label.startswith("Recorded crime") for r in bp.headline)
    assert bp.la_name == "Blackpool"
    assert du.map is None and "no geometry" in du.map_note
    assert du.la_name == "Dudley" and du.wards and du.headline[0].value != "n/a"
    assert "Map not available" in render_html(du)


def test_incomplete_store_is_a_clear_error(tmp_path, mirror):
    """A store without the later stages' tables is refused with the table's name, not drawn
    half-empty (the store contract is needsmap.store.schema)."""
    from rich.console import Console

    from needsmap.pipeline import build
    from needsmap.settings import Settings
    from needsmap.store.schema import SchemaError

    db = tmp_path / "core.duckdb"
    build(Settings(db_path=db, mirror=mirror, cache_dir=tmp_path / "cache", offline=True),
          las=["Blackpool"], stages=["areas"], console=Console(stderr=True, quiet=True))
    con = open_store(db)
    try:
        with pytest.raises(SchemaError, match="no table 'ward_ace'.*rebuild it"):
            C.build_snapshot(con, "North Blackpool", ["E05015186", "E05015187"])
    finally:
        con.close()
