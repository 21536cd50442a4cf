"""Issue 19 in a real browser (Playwright + Debian chromium) on the Blackpool store.

* A siting run in Target (libraries kept open, schools as candidates, 3 new sites within
  1 km) draws the existing and proposed sites with their catchment circles and the gain
  curve, with the assumptions beside them.
* A search for a real Blackpool postcode (from the store's Code-Point Open table) in
  Explore selects its ward, marks the point and lists the nearest services; a postcode
  that does not exist says so clearly.

Screenshots go to ``artifacts/screenshots/`` (``target_siting_blackpool``,
``explore_search_postcode``, ``explore_search_bad``).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from test_app_support import (
    MAP_ROOT,
    AppServer,
    app_store,
    shot,
    wait_idle,
    wait_painted,
)

pytestmark = pytest.mark.browser

playwright = pytest.importorskip("playwright.sync_api")

SITE_MAP = f'.st-key-nm_site_result {MAP_ROOT}'


@pytest.fixture(scope="module")
def store(request) -> Path:
    return app_store(request)


@pytest.fixture(scope="module")
def server(store):
    srv = AppServer(store)
    yield srv
    srv.stop()


def _blackpool_postcode(store: Path) -> tuple[str, str]:
    """A live Blackpool postcode from the store's Code-Point table and its ward's name."""
    from needsmap.access.search import search
    from needsmap.store.db import open_store

    con = open_store(store)
    try:
        pc = con.execute("SELECT postcode FROM postcode WHERE postcode LIKE 'FY1 %' "
                         "AND easting IS NOT NULL ORDER BY postcode LIMIT 1").fetchone()[0]
        res = search(con, pc)
    except duckdb.Error as exc:  # pragma: no cover - a store without Code-Point
        pytest.fail(f"the store has no postcode table: {exc}")
    finally:
        con.close()
    assert res.kind == "postcode" and res.lad_name == "Blackpool", res.message
    return pc, res.ward_name


def test_siting_run_in_target_shows_sites_and_gain_curve(page, server):
    page.goto(f"{server.url}/?view=target&basemap=none&site=1&site_type=library"
              "&site_cand=schools&site_n=3&site_km=1")
    res = page.locator(".st-key-nm_site_result")
    res.wait_for(timeout=180_000)
    wait_idle(page)
    site_map = page.locator(SITE_MAP)
    site_map.scroll_into_view_if_needed()
    marker = site_map.locator("#nm-painted[data-overlay]")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.st-key-nm_site_result #nm-painted')]"
        ".some(m => (m.getAttribute('data-overlay') || '').includes('Proposed site:3'))")
    assert "Existing: Public library" in marker.get_attribute("data-overlay")
    assert site_map.locator(".nm-ov-circle").count() >= 3  # catchment circles
    assert site_map.locator(".nm-ov").count() >= 3
    assert "Proposed site" in site_map.locator(".nm-legend-overlay").inner_text()
    # the gain curve (a Vega chart) and the assumptions beside the figures
    assert res.locator('[data-testid="stVegaLiteChart"]').count() >= 1
    text = res.inner_text()
    assert "Gain curve" in text and "A model, not a decision" in text
    assert "straight-line" in text
    page.get_by_text("Gain curve").first.scroll_into_view_if_needed()
    site_map.scroll_into_view_if_needed()
    page.mouse.wheel(0, -150)
    shot(page, "target_siting_blackpool")
    assert "site=1" in page.url and "site_km=1" in page.url


def test_postcode_search_opens_its_ward_with_nearby_services(page, server, store):
    pc, ward = _blackpool_postcode(store)
    page.goto(f"{server.url}/?basemap=none")
    wait_painted(page, n=21)
    wait_idle(page)
    box = page.get_by_role("textbox", name="Search a postcode, ward or local authority")
    box.fill(pc.lower().replace(" ", ""))  # any case and spacing
    box.press("Enter")
    page.get_by_text(f"{pc} is in {ward} ward, Blackpool").wait_for()
    wait_idle(page)
    page.wait_for_function(
        "() => (document.querySelector('#nm-painted')?.getAttribute('data-selected') || '') !== ''")
    page.wait_for_function(
        "() => (document.querySelector('#nm-painted')?.getAttribute('data-overlay') || '')"
        ".startsWith('Postcode ')")
    assert page.locator(f"{MAP_ROOT} .nm-ov").count() == 1  # the point is marked
    details = page.locator(".st-key-nm_search_details_ex")
    details.wait_for()
    # the table of nearest services is drawn after the ward's figures: wait for its row
    details.get_by_role("cell", name="GP practice", exact=True).or_(
        details.get_by_role("rowheader", name="GP practice", exact=True)).first.wait_for()
    assert "Nearest services" in details.inner_text()
    page.get_by_text("What drives this ward").wait_for()  # the ward panel opened
    assert "q=" in page.url and "ward=" in page.url
    shot(page, "explore_search_postcode")


def test_bad_postcode_says_so(page, server):
    page.goto(f"{server.url}/?basemap=none&q=ZZ99%209ZZ")
    wait_painted(page, n=21)
    wait_idle(page)
    msg = page.locator(".st-key-nm_search_msg_ex")
    msg.wait_for()
    assert "ZZ99 9ZZ not found in Code-Point Open" in msg.inner_text()
    assert "terminated postcodes are not included" in msg.inner_text()
    assert page.locator(f"{MAP_ROOT} .nm-ov").count() == 0
    page.get_by_text("Services on the map").wait_for()  # the full run (sidebar) has landed
    wait_idle(page)
    shot(page, "explore_search_bad")
