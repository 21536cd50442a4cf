"""The app in a real browser (Playwright + Debian chromium), served on 127.0.0.1.

Blackpool store: the map paints ward polygons and service markers with the legend above
it, a weight change restyles the map without rebuilding it, a ward click selects it and
the highlight follows a selection made in the list, wards are named tab stops that Enter
selects, exports download readable files, and everything works with no internet at all.

Whole-England store (issue 17's "done when"): a non-empty default gap list for Blackpool
and Birmingham with the rule stated; hover and click on the all-England map; the highlight
following a selection; ``?la=Dudley`` opening Dudley and a bad parameter saying so; no
legend pixel over a ward polygon in a 1366x768 window; and a replaced store reaching a new
browser session within 5 s (issue 18.1). Screenshots go to ``artifacts/screenshots/``.
"""

from __future__ import annotations

import io
import os
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest
from test_app_support import (
    MAP_ROOT,
    AppServer,
    app_store,
    local_only,
    shot,
    wait_idle,
    wait_painted,
)

pytestmark = pytest.mark.browser

playwright = pytest.importorskip("playwright.sync_api")


def marker(pg, name: str) -> str:
    return pg.locator("#nm-painted").get_attribute(f"data-{name}") or ""


def fills(pg) -> list[str]:
    return pg.locator(f"{MAP_ROOT} path.nm-ward").evaluate_all(
        "els => els.map(e => e.getAttribute('fill'))")


def box(locator) -> dict:
    b = locator.bounding_box()
    assert b is not None
    return b


def point_in(locator, near_top: bool = False) -> tuple[float, float]:
    """A screen point where ``locator``'s element (an SVG ward path) is the topmost one."""
    pt = locator.evaluate("""(el, top) => {
      const b = el.getBoundingClientRect();
      for (let dy = 1; dy < b.height; dy += 2) {
        const y = top ? b.top + dy : b.top + b.height / 2 + (dy % 2 ? dy : -dy) / 2;
        for (let x = b.left + 1; x < b.right; x += 2) {
          if (document.elementFromPoint(x, y) === el) return [x, y];
        }
      }
      return null; }""", near_top)
    assert pt, "no visible point of the element"
    return pt[0], pt[1]


def overlaps(a: dict, b: dict) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


# --- one LA (Blackpool store) ----------------------------------------------------------

def test_map_paints_polygons_with_legend_above(page, server):
    page.goto(f"{server.url}/?basemap=none")
    wait_painted(page, n=21)
    wards = page.locator(f"{MAP_ROOT} path.nm-ward")
    assert wards.count() == 21  # Blackpool's 21 wards, as SVG paths
    legend = page.locator(".nm-legend-wards")
    assert "ACE index" in legend.inner_text()
    assert legend.locator(".bsw").count() == 10  # national deciles
    assert "mean of its domain ranks" in legend.inner_text()  # the default's scale
    assert len(set(fills(page))) > 1
    # the legend is above the map, outside it
    assert box(legend)["y"] + box(legend)["height"] <= box(page.locator(".nm-map-box"))["y"]
    page.get_by_text("About the ACE index").first.wait_for()
    assert page.locator("iframe").count() == 0  # no "streamlit_folium.st_folium" frame
    assert page.locator(".nm-map").get_attribute("aria-label").startswith("Map of ACE index")
    shot(page, "explore_blackpool")


def test_tooltip_is_never_clipped_by_the_map(page, server):
    page.goto(f"{server.url}/?basemap=none")
    wait_painted(page, n=21)
    # the ward nearest the map's top edge: its tooltip must still be whole, on screen
    paths = page.locator(f"{MAP_ROOT} path.nm-ward")
    top = min(range(paths.count()), key=lambda i: box(paths.nth(i))["y"])
    x, y = point_in(paths.nth(top), near_top=True)
    page.mouse.move(x, y - 1)
    page.mouse.move(x, y, steps=2)
    tip = page.locator("#nm-tooltip")
    tip.wait_for(state="visible")
    t = box(tip)
    assert t["y"] >= 0 and t["x"] >= 0
    assert t["x"] + t["width"] <= 1440 and t["y"] + t["height"] <= 1000
    assert "mean domain rank" in tip.inner_text()


def test_service_markers_and_popup(page, server):
    page.goto(f"{server.url}/?basemap=none&services=gp_practice,library")
    wait_painted(page, n=21)
    legend = page.locator(".nm-legend-services")
    legend.wait_for()
    assert "GP practice" in legend.inner_text() and "Public library" in legend.inner_text()
    # GP practices and libraries differ in shape as well as colour (deuteranopia)
    shapes = legend.locator("svg > *").evaluate_all("els => els.map(e => e.tagName)")
    assert len(set(shapes)) == 2, shapes
    icons = page.locator(f"{MAP_ROOT} .nm-svc-icon")
    icons.first.wait_for()
    for _ in range(6):
        if page.locator(f"{MAP_ROOT} .nm-svc").count():
            break
        page.locator(f"{MAP_ROOT} .leaflet-control-zoom-in").click()
        time.sleep(0.6)
    page.locator(f"{MAP_ROOT} .nm-svc").first.dispatch_event("click")
    pop = page.locator(".nm-pop")
    pop.wait_for()
    assert "Source:" in pop.inner_text()
    shot(page, "explore_services")


def test_weight_change_restyles_without_rebuilding(page, server):
    page.goto(f"{server.url}/?basemap=none&classes=quantiles&k=7&method=weighted")
    wait_painted(page, n=21)
    wait_idle(page)
    v0 = int(marker(page, "version"))
    builds = marker(page, "geom-builds")
    before = fills(page)
    slider = page.get_by_role("slider", name="Health deprivation and disability")
    slider.focus()
    t0 = time.perf_counter()
    page.keyboard.press("End")
    wait_painted(page, n=21, version=v0 + 1)
    page.wait_for_function("() => location.search.includes('health%3A100') || "
                           "location.search.includes('health:100')")
    deadline = time.monotonic() + 30
    while fills(page) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    redraw = time.perf_counter() - t0
    assert fills(page) != before, "the colours did not change after the weight change"
    assert marker(page, "geom-builds") == builds  # restyled, polygons not rebuilt
    print(f"weight change -> restyle {redraw:.2f}s")


def test_ward_click_and_list_selection_move_the_highlight(page, server):
    page.goto(f"{server.url}/?basemap=none")
    wait_painted(page, n=21)
    wait_idle(page)
    builds = marker(page, "geom-builds")
    page.locator(f"{MAP_ROOT} path.nm-ward").nth(5).dispatch_event("click")
    page.get_by_text("What drives this ward").wait_for()
    page.wait_for_function("() => location.search.includes('ward=E05')")
    first = page.url.split("ward=")[1][:9]
    assert marker(page, "selected") == first
    # choose another ward in the list: the map's outline follows, the old one is cleared
    combo = page.get_by_role("combobox", name="Ward")
    combo.click()
    page.keyboard.type("Bloomfield")
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => !location.search.includes('{first}')")
    wait_idle(page)
    code = page.url.split("ward=")[1][:9]
    deadline = time.monotonic() + 20
    while marker(page, "selected") != code and time.monotonic() < deadline:
        time.sleep(0.1)
    assert marker(page, "selected") == code
    outlined = page.locator(f"{MAP_ROOT}").evaluate(
        "r => { const m = r.nmMap; const out = []; m.byCode.forEach((l, c) => "
        "{ if (l.options.weight >= 3) out.push(c); }); return out; }")
    assert outlined == [code]
    assert marker(page, "geom-builds") == builds  # a click never rebuilds the polygons
    shot(page, "explore_selected_ward")


def test_wards_are_named_tab_stops_that_enter_selects(page, server):
    page.goto(f"{server.url}/?basemap=none")
    wait_painted(page, n=21)
    wait_idle(page)
    path = page.locator(f"{MAP_ROOT} path.nm-ward").first
    label = path.get_attribute("aria-label")
    assert label and "Blackpool" in label and "ACE index" in label
    assert path.get_attribute("tabindex") == "0"
    path.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.search.includes('ward=E05')")
    page.get_by_text("What drives this ward").wait_for()


def test_controls_and_table_arrive_after_the_map_without_redrawing_it(page, server):
    """The map paints first; its first paint brings the widgets, panel and table."""
    page.goto(f"{server.url}/?basemap=none&layer=income_rate")
    wait_painted(page, n=21)
    grid = page.get_by_test_id("stTabs").get_by_test_id("stDataFrame")
    grid.wait_for()
    assert grid.count() == 1
    page.get_by_role("slider", name="Wider context").wait_for()  # the default's domain weights
    page.get_by_text("What drives a ward").wait_for()
    assert "Abuse and neglect" in page.get_by_test_id("stSidebar").inner_text()
    assert marker(page, "geom-builds") == "1"
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
    raw = _download(page, "CSV")
    csv = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig")
    assert {"Ward code (WD24)", "Ward", "Flagged gap", "Commissioning rank (1 = first)",
            "Children beyond that distance", "Gap rule"} <= set(csv.columns)
    assert csv["Gap rule"].iloc[0].startswith("A ward is flagged when")
    assert len(csv) > 0
    xlsx = _download(page, "Excel (XLSX)")
    wb = openpyxl.load_workbook(io.BytesIO(xlsx))
    assert wb["wards"].max_row == len(csv) + 1
    notes = " ".join(str(c.value) for c in wb["notes"]["A"])
    assert "modelled" in notes and "Gap rule" in notes
    for blob in (raw.decode("utf-8-sig"), notes):
        assert ".duckdb" not in blob and "/tmp/" not in blob  # no server file paths
    gpkg = tmp_path / "x.gpkg"
    gpkg.write_bytes(_download(page, "GeoPackage"))
    gdf = pyogrio.read_dataframe(gpkg)
    assert len(gdf) == len(csv) and gdf.crs.to_epsg() == 27700
    shot(page, "target_blackpool")


def test_works_offline(browser, server):
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
    blocked: list[str] = []
    ctx.on("request", lambda r: blocked.append(r.url) if "127.0.0.1" not in r.url
           and not r.url.startswith(("data:", "blob:")) else None)
    ctx.route("**/*", local_only)
    page = ctx.new_page()
    page.set_default_timeout(90_000)
    try:
        # Default basemap: tiles fail, the polygons and legend still paint, and the map
        # says the basemap is unavailable instead of crediting OpenStreetMap and CARTO.
        page.goto(f"{server.url}/")
        wait_painted(page, n=21)
        page.locator(".nm-legend-wards").wait_for()
        page.locator(".nm-offline-note").wait_for(state="visible")
        attribution = page.locator(f"{MAP_ROOT} .leaflet-control-attribution").inner_text()
        assert "OpenStreetMap" not in attribution and "CARTO" not in attribution
        tiles = [u for u in blocked if "basemaps.cartocdn.com" in u]
        assert set(blocked) == set(tiles), f"non-tile requests left the machine: {blocked}"
        # No basemap: nothing at all is requested from outside 127.0.0.1.
        blocked.clear()
        page.goto(f"{server.url}/?basemap=none&services=gp_practice")
        wait_painted(page, n=21)
        page.locator(f"{MAP_ROOT} .nm-svc-icon").first.wait_for()
        assert blocked == [], blocked
        shot(page, "explore_offline")
    finally:
        ctx.close()


# --- the whole-England store ----------------------------------------------------------

def _laptop(browser):  # noqa: ANN001, ANN202
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    pg = ctx.new_page()
    pg.set_default_timeout(180_000)
    return ctx, pg


@pytest.mark.england
@pytest.mark.parametrize("la", ["Blackpool", "Birmingham"])
def test_target_default_gap_list_is_not_empty_and_states_its_rule(browser, england_server, la):
    ctx, page = _laptop(browser)
    try:
        page.goto(f"{england_server.url}/?view=target&la={la}")
        wait_painted(page)
        wait_idle(page)
        rule = page.locator(".nm-rule")
        assert "A ward is flagged when" in rule.inner_text() and la in rule.inner_text()
        flagged = page.get_by_test_id("stMetric").filter(has_text="Flagged gaps")
        n = int(flagged.get_by_test_id("stMetricValue").inner_text().replace(",", ""))
        assert n > 0, f"no gap flagged in {la} by the default rule"
        # every rule's count is on screen (the radio's captions)
        captions = page.get_by_test_id("stSidebar").inner_text()
        assert captions.count("flagged here") == 4
        # the flagged wards are on the map beside the list
        assert "Flagged gap" in page.locator(".nm-legend-wards").inner_text()
        assert int(marker(page, "n")) > 0
        shot(page, f"target_{la.lower()}_1366")
    finally:
        ctx.close()


@pytest.mark.england
def test_all_wales_is_its_own_view(browser, england_server):
    """``?area=wales`` ("All Wales" in the area list) maps the 762 Welsh wards by Welsh
    deciles; "All England" beside it stays English (issue 21)."""
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = ctx.new_page()
    page.set_default_timeout(180_000)
    try:
        page.goto(f"{england_server.url}/?basemap=none&area=wales")
        wait_painted(page)
        assert int(marker(page, "n")) == 762
        page.get_by_text("All Wales").first.wait_for()
        page.get_by_text("deciles among Welsh wards").first.wait_for()
        assert "area=__wales__" in page.url or "area=wales" in page.url
    finally:
        ctx.close()


@pytest.mark.england
def test_england_map_can_be_hovered_and_clicked(browser, england_server):
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = ctx.new_page()
    page.set_default_timeout(180_000)
    try:
        page.goto(f"{england_server.url}/?basemap=none&area=__all__")
        wait_painted(page)
        # every English ward (6,817 since issue 14), and only English ones: "All England"
        # in a store with Wales is England (Welsh wards are never ranked with English ones)
        assert int(marker(page, "n")) == 6817
        assert marker(page, "renderer") == "canvas"
        wait_idle(page)
        # a point inside a ward near the middle of England (the map's centre)
        mb = box(page.locator(".nm-map-box"))
        x, y = mb["x"] + mb["width"] / 2, mb["y"] + mb["height"] / 2
        page.mouse.move(x - 5, y - 5)
        page.mouse.move(x, y, steps=4)
        tip = page.locator("#nm-tooltip")
        tip.wait_for(state="visible", timeout=10_000)
        assert "England: rank" in tip.inner_text()
        page.mouse.click(x, y)
        page.wait_for_function("() => location.search.includes('ward=E05')")
        code = page.url.split("ward=")[1][:9]
        deadline = time.monotonic() + 30
        while marker(page, "selected") != code and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marker(page, "selected") == code
        shot(page, "explore_england_hover")
    finally:
        ctx.close()


@pytest.mark.england
def test_la_by_name_opens_it_and_a_bad_parameter_says_so(browser, england_server):
    ctx, page = _laptop(browser)
    try:
        page.goto(f"{england_server.url}/?la=Dudley&layer=nonsense&deciles=99&view=explore")
        wait_painted(page)
        page.get_by_role("heading", name="ACE index (modelled risk) · Dudley").wait_for()
        warn = page.get_by_test_id("stAlert").filter(has_text="not understood")
        assert "layer=nonsense" in warn.inner_text()
        page.goto(f"{england_server.url}/?view=target&area=Dudley&deciles=99&colour=red")
        wait_painted(page)
        assert "Dudley" in page.locator(".nm-rule").inner_text()
        warn = page.get_by_test_id("stAlert").filter(has_text="not understood")
        assert "deciles=99" in warn.inner_text() and "colour=red" in warn.inner_text()
        page.goto(f"{england_server.url}/?area=Nowhereshire")
        wait_painted(page)
        warn = page.get_by_test_id("stAlert").filter(has_text="not understood")
        assert "Nowhereshire" in warn.inner_text()
        shot(page, "explore_bad_link")
    finally:
        ctx.close()


@pytest.mark.england
@pytest.mark.parametrize("la", ["Blackpool", "Dudley", "Cornwall"])
def test_legend_covers_no_ward_on_a_laptop_screen(browser, england_server, la):
    ctx, page = _laptop(browser)
    try:
        page.goto(f"{england_server.url}/?la={la}&basemap=none&services=gp_practice")
        wait_painted(page)
        wait_idle(page)
        legends = [box(page.locator(s)) for s in (".nm-legend-wards", ".nm-legend-services")]
        mapbox = box(page.locator(".nm-map-box"))
        assert mapbox["y"] + mapbox["height"] <= 768, "the map's bottom is below the fold"
        for lg in legends:
            assert lg["y"] + lg["height"] <= 768, "a legend is below the fold"
            assert not overlaps(lg, mapbox)
        paths = page.locator(f"{MAP_ROOT} path.nm-ward")
        for i in range(paths.count()):
            b = paths.nth(i).bounding_box()
            if b:
                for lg in legends:
                    assert not overlaps(lg, b), f"legend over ward {i}"
        shot(page, f"explore_{la.lower()}_1366")
    finally:
        ctx.close()


@pytest.fixture(scope="module")
def dudley_store(tmp_path_factory) -> Path:
    """A store built for Dudley only (a different build from the Blackpool one)."""
    from conftest import _build

    return _build(tmp_path_factory.mktemp("dudley"), "dudley", ["Dudley"])


def _deleted_store_fds(pid: int, name: str) -> list[str]:
    out = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if name in target and target.endswith("(deleted)"):
            out.append(target)
    return out


def test_replaced_store_reaches_new_sessions_and_the_old_file_is_closed(
        browser, request, tmp_path, dudley_store):
    """Issue 18.1: replace the store under a running app (as `needsmap build` does)."""
    db = tmp_path / "live.duckdb"
    shutil.copyfile(app_store(request), db)
    srv = AppServer(db)
    ctx = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        old = ctx.new_page()
        old.goto(f"{srv.url}/?basemap=none")
        old.get_by_role("heading", name="ACE index (modelled risk) · Blackpool").wait_for(
            timeout=120_000)
        wait_painted(old)
        wait_idle(old)
        # a different build replaces the file atomically (a new inode, as os.replace does)
        staged = tmp_path / "live.duckdb.building-test"
        shutil.copyfile(dudley_store, staged)
        t0 = time.monotonic()
        os.replace(staged, db)
        new = ctx.new_page()
        new.goto(f"{srv.url}/?basemap=none")
        new.get_by_role("heading", name="ACE index (modelled risk) · Dudley").wait_for(
            timeout=30_000)
        elapsed = time.monotonic() - t0
        assert new.get_by_test_id("stException").count() == 0
        assert new.get_by_test_id("stAlert").filter(has_text="Sorry").count() == 0
        assert elapsed <= 5.0, f"the new store reached a new session after {elapsed:.1f} s"
        wait_painted(new)
        # the old version is closed once no run uses it: no descriptor on the deleted file
        deadline = time.monotonic() + 10
        while _deleted_store_fds(srv.pid, db.name) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _deleted_store_fds(srv.pid, db.name) == []
        shot(new, "store_replaced_dudley")
    finally:
        ctx.close()
        srv.stop()
