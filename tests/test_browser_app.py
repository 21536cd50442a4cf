"""The app in a real browser (Playwright + Debian chromium), served on 127.0.0.1.

Checks that the map paints ward polygons and service markers, that the legend shows,
that a weight change redraws the map, that a ward click selects it, that exports
download readable files, and that everything works with no internet at all.
Screenshots go to ``artifacts/screenshots/``.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import pandas as pd
import pytest
from test_app_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    MAP_IFRAME,
    SCREENSHOTS,
    AppServer,
    app_store,
    england_app_store,
    local_only,
)

pytestmark = pytest.mark.browser

playwright = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: run `scripts/setup --browser`")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def server(request):
    srv = AppServer(app_store(request))
    yield srv
    srv.stop()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    pg = ctx.new_page()
    pg.set_default_timeout(90_000)
    yield pg
    ctx.close()


def shot(pg, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    pg.screenshot(path=str(path))
    return path


def wait_painted(pg, n: int | None = None, version: int = 1):
    """Wait until the choropleth has drawn (the hidden #nm-painted marker) and return the frame."""
    fr = pg.frame_locator(MAP_IFRAME)
    marker = fr.locator("#nm-painted")
    marker.wait_for(state="attached")
    deadline = time.monotonic() + 90
    while int(marker.get_attribute("data-version") or 0) < version:
        assert time.monotonic() < deadline, "map was not redrawn"
        time.sleep(0.1)
    if n is not None:
        assert int(marker.get_attribute("data-n")) == n
    return fr


def fills(fr) -> list[str]:
    return fr.locator("path.nm-ward").evaluate_all("els => els.map(e => e.getAttribute('fill'))")


def test_map_paints_polygons_and_legend(page, server):
    page.goto(f"{server.url}/?basemap=none")
    fr = wait_painted(page, n=21)
    assert fr.locator("path.nm-ward").count() == 21  # Blackpool's 21 wards, as SVG paths
    legend = fr.locator(".nm-legend-wards")
    legend.wait_for()
    assert "ACE index" in legend.inner_text()
    assert legend.locator(".bsw").count() == 10  # national deciles
    assert len(set(fills(fr))) > 1
    page.get_by_text("About the ACE index").first.wait_for()
    shot(page, "explore_blackpool")


def test_service_markers_and_popup(page, server):
    page.goto(f"{server.url}/?basemap=none&services=gp_practice,library")
    fr = wait_painted(page, n=21)
    fr.locator(".nm-legend-services").wait_for()
    markers = fr.locator("path.nm-svc, .nm-svc-cluster")
    markers.first.wait_for()
    assert markers.count() > 0
    # Zoom in until single markers show, then open one's popup.
    for _ in range(4):
        if fr.locator("path.nm-svc").count():
            break
        fr.locator(".leaflet-control-zoom-in").click()
        time.sleep(0.6)
    if not fr.locator("path.nm-svc").count():
        fr.locator(".nm-svc-cluster").first.click()
        time.sleep(0.8)
    fr.locator("path.nm-svc").first.dispatch_event("click")
    pop = fr.locator(".nm-pop")
    pop.wait_for()
    assert "Source:" in pop.inner_text()
    shot(page, "explore_services")


def test_weight_change_redraws_map(page, server):
    page.goto(f"{server.url}/?basemap=none&classes=quantiles&k=7&method=weighted")
    fr = wait_painted(page, n=21)
    marker = fr.locator("#nm-painted")
    v0 = int(marker.get_attribute("data-version"))
    before = fills(fr)
    slider = page.get_by_role("slider", name="Health deprivation and disability")
    slider.focus()
    t0 = time.perf_counter()
    page.keyboard.press("End")
    fr = wait_painted(page, n=21, version=v0 + 1)
    redraw = time.perf_counter() - t0
    after = fills(fr)
    assert after != before, "the colours did not change after the weight change"
    page.wait_for_function("() => location.search.includes('health%3A100') || "
                           "location.search.includes('health:100')")
    print(f"weight change -> redraw {redraw:.2f}s")


def test_ward_click_selects_it(page, server):
    page.goto(f"{server.url}/?basemap=none")
    fr = wait_painted(page, n=21)
    fr.locator("path.nm-ward").nth(5).dispatch_event("click")
    page.get_by_text("What drives this ward").wait_for()
    page.wait_for_function("() => location.search.includes('ward=E05')")
    # The click must not rebuild the map: same iframe, same drawing.
    assert int(fr.locator("#nm-painted").get_attribute("data-version")) == 1
    shot(page, "explore_selected_ward")


def test_controls_and_table_arrive_after_the_map_without_redrawing_it(page, server):
    """The map paints first; its first report brings the widgets, panel and table, map untouched."""
    page.goto(f"{server.url}/?basemap=none&layer=income_rate")
    fr = wait_painted(page, n=21)
    grid = page.get_by_test_id("stTabs").get_by_test_id("stDataFrame")
    grid.wait_for()
    assert grid.count() == 1
    page.get_by_role("slider", name="Wider context").wait_for()  # the default's domain weights
    page.get_by_text("What drives a ward").wait_for()
    assert "Abuse and neglect" in page.get_by_test_id("stSidebar").inner_text()
    assert int(fr.locator("#nm-painted").get_attribute("data-version")) == 1
    assert "layer=income_rate" in page.url
    shot(page, "explore_controls_after_map")


def _download(page, label: str) -> bytes:
    with page.expect_download() as info:
        page.get_by_role("button", name=label, exact=True).click()
    return Path(info.value.path()).read_bytes()


def test_exports_download_readable_files(page, server, tmp_path):
    import openpyxl
    import pyogrio

    page.goto(f"{server.url}/?view=target")
    page.get_by_text("Need versus access").wait_for()
    csv = pd.read_csv(io.BytesIO(_download(page, "CSV")), encoding="utf-8-sig")
    assert {"ward_code", "ward_name", "gap_flag", "commissioning_rank"} <= set(csv.columns)
    assert len(csv) > 0
    wb = openpyxl.load_workbook(io.BytesIO(_download(page, "Excel (XLSX)")))
    assert wb["wards"].max_row == len(csv) + 1
    assert "modelled" in " ".join(str(c.value) for c in wb["notes"]["A"])
    gpkg = tmp_path / "x.gpkg"
    gpkg.write_bytes(_download(page, "GeoPackage"))
    gdf = pyogrio.read_dataframe(gpkg)
    assert len(gdf) == len(csv) and gdf.crs.to_epsg() == 27700
    shot(page, "target_blackpool")


def test_works_offline(browser, server):
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000}, offline=False)
    blocked: list[str] = []
    ctx.on("request", lambda r: blocked.append(r.url) if "127.0.0.1" not in r.url
           and not r.url.startswith(("data:", "blob:")) else None)
    ctx.route("**/*", local_only)
    page = ctx.new_page()
    page.set_default_timeout(90_000)
    try:
        # Default basemap: tiles fail, the polygons and legend still paint.
        page.goto(f"{server.url}/")
        fr = wait_painted(page, n=21)
        assert fr.locator("path.nm-ward").count() == 21
        fr.locator(".nm-legend-wards").wait_for()
        tiles = [u for u in blocked if "basemaps.cartocdn.com" in u]
        assert set(blocked) == set(tiles), f"non-tile requests left the machine: {blocked}"
        # No basemap: nothing at all is requested from outside 127.0.0.1.
        blocked.clear()
        page.goto(f"{server.url}/?basemap=none&services=gp_practice")
        fr = wait_painted(page, n=21)
        fr.locator("path.nm-svc, .nm-svc-cluster").first.wait_for()
        assert blocked == [], blocked
        shot(page, "explore_offline")
    finally:
        ctx.close()


@pytest.mark.england
def test_england_map_paints_every_ward(browser, request):
    srv = AppServer(england_app_store(request))
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = ctx.new_page()
    page.set_default_timeout(180_000)
    try:
        page.goto(f"{srv.url}/?basemap=none&area=__all__")
        fr = wait_painted(page, n=6817)
        assert fr.locator("#nm-painted").get_attribute("data-renderer") == "canvas"
        fr.locator(".nm-legend-wards").wait_for()
        time.sleep(0.5)
        shot(page, "explore_england")
    finally:
        ctx.close()
        srv.stop()
