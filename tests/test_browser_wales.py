"""Wales in a real browser (issue 21's "done when"), on the border store (Newport and the
Forest of Dean): open Newport, show Bettws with its Welsh decile and the Welsh caveat, and
produce a Newport snapshot compared with Wales; a view of both nations says each nation's
deciles are its own; Target of Newport lists its wards ranked among Welsh wards (the CSV says
so) and maps them. Screenshots go to ``artifacts/screenshots/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_app_support import (
    MAP_ROOT,
    AppServer,
    local_only,
    shot,
    wait_idle,
    wait_painted,
)

from needsmap.index.wales import NAME_WALES
from needsmap.views.nations import SPLIT

pytestmark = pytest.mark.browser

playwright = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(border_store):
    srv = AppServer(border_store)
    yield srv
    srv.stop()


@pytest.fixture
def page(page):  # noqa: ANN001, ANN201 - conftest's page, offline but for 127.0.0.1
    page.route("**/*", local_only)
    return page


def test_newport_shows_bettws_with_its_welsh_decile_and_caveat(page, server):
    page.goto(f"{server.url}/?la=Newport&basemap=none")
    wait_painted(page, n=21)
    wait_idle(page)
    page.get_by_role("heading", name=f"{NAME_WALES} · Newport").wait_for()
    assert "deciles among Welsh wards" in page.locator(MAP_ROOT).inner_text()
    bettws = page.locator(f'{MAP_ROOT} path.nm-ward[aria-label*="Bettws"]')
    bettws.focus()
    page.keyboard.press("Enter")
    page.get_by_text("What drives this ward (Welsh index)").wait_for()
    page.wait_for_function("() => location.search.includes('ward=W05001630')")
    wait_idle(page)
    body = page.locator('[data-testid="stMain"]').inner_text()
    assert "Wales decile" in body and "Rank in Wales" in body
    assert "England rank" not in body
    assert page.locator('[data-testid="nm-caveat-wales"]').count() == 1
    assert "ranked among Welsh wards only" in page.get_by_role("note").first.inner_text()
    shot(page, "wales_explore_bettws")


def test_both_nations_in_view_keep_their_own_deciles(page, server):
    page.goto(f"{server.url}/?area=E07000080,W06000022&basemap=none")
    wait_painted(page, n=42)
    wait_idle(page)
    assert SPLIT in page.locator(MAP_ROOT).inner_text()
    label = page.locator(f'{MAP_ROOT} path.nm-ward[aria-label*="Bettws"]').get_attribute(
        "aria-label")
    assert "Welsh" in label or "Wales" in label
    shot(page, "wales_explore_border")


def test_newport_snapshot_is_compared_with_wales(page, server):
    page.goto(f"{server.url}/?view=snapshot&la=Newport")
    page.get_by_text("is compared with Wales").wait_for()
    frame = page.frame_locator("iframe").first
    frame.get_by_text("Headline figures compared with Wales").wait_for()
    frame.get_by_text("Newport: local authority snapshot (Wales)").wait_for()
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download page (HTML)").click()
    html = Path(dl.value.path()).read_text(encoding="utf-8")
    assert "compared with Wales" in html and NAME_WALES in html
    shot(page, "wales_snapshot_newport", full=True)


def test_newport_target_list_is_ranked_among_welsh_wards(page, server):
    import io

    import pandas as pd

    page.goto(f"{server.url}/?view=target&la=Newport&basemap=none")
    wait_painted(page, n=21)
    wait_idle(page)
    rule = page.locator(".nm-rule").inner_text()
    assert "Newport" in rule and "Welsh wards" in rule and "English" not in rule
    assert page.locator('[data-testid="nm-caveat-wales"]').count() == 1
    assert "Flagged gap" in page.locator(".nm-legend-wards").inner_text()
    with page.expect_download() as dl:
        page.get_by_role("button", name="CSV", exact=True).click()
    csv = pd.read_csv(io.BytesIO(Path(dl.value.path()).read_bytes()), encoding="utf-8-sig")
    assert len(csv) > 0 and csv["Ward code (WD24)"].str.startswith("W").all()
    assert "Need decile in Wales (1 = highest need)" in csv.columns
    assert not [c for c in csv.columns if "England" in c]
    assert csv["Ranked among"].iloc[0].startswith("Welsh wards only")
    shot(page, "wales_target_newport")


def test_a_bettws_postcode_link_opens_newport_with_its_postcode_panel(page, server,
                                                                     border_store):
    from needsmap.store.db import open_store

    con = open_store(border_store)
    try:  # a real Bettws postcode: its Code-Point point lies in a Bettws LSOA
        pc = con.execute("SELECT p.postcode FROM postcode p JOIN lsoa_wales l ON ST_Contains("
                         "l.geom, ST_Point(p.easting, p.northing)) WHERE l.ward_code = "
                         "'W05001630' AND p.postcode LIKE 'NP20 7%' ORDER BY 1 LIMIT 1"
                         ).fetchone()[0]
    finally:
        con.close()
    page.goto(f"{server.url}/?q={pc.replace(' ', '%20')}&basemap=none")
    wait_painted(page, n=21)
    wait_idle(page)
    page.get_by_role("heading", name=f"{NAME_WALES} · Newport").wait_for()
    page.get_by_text(f"{pc} is in Bettws ward, Newport").wait_for()
    page.wait_for_function(
        "() => (document.querySelector('#nm-painted')?.getAttribute('data-selected') || '')"
        " === 'W05001630'")
    page.wait_for_function(
        "() => (document.querySelector('#nm-painted')?.getAttribute('data-overlay') || '')"
        ".startsWith('Postcode ')")
    assert page.locator('[data-testid="nm-caveat-wales"]').count() == 1
    details = page.locator(".st-key-nm_search_details_ex")
    details.get_by_role("cell", name="Public library", exact=True).or_(
        details.get_by_role("rowheader", name="Public library", exact=True)).first.wait_for()
    text = details.inner_text()
    assert f"Postcode {pc}" in text and "Welsh index decile" in text
    assert "deciles in Wales" in text and "ACE index decile" not in text
    assert "deciles in England" not in text
    page.get_by_text("What drives this ward (Welsh index)").wait_for()
    assert "ward=W05001630" in page.url
    shot(page, "wales_search_bettws_postcode")
