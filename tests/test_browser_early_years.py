"""Issue 20 in a real browser: the early-years switch and the change-since-2019 layer.

Blackpool store: the switch turns the children layer into under-5s on the map, the Target
list into under-5s and the early-years services, and the snapshot into the early-years
lens; the change layer paints its three diverging colours with the legend, the caveat,
the two-point chart of the selected ward and the table of the wards that moved most.
Whole-England store: the change layer draws every ward. Screenshots go to
``artifacts/screenshots/`` (issue20_*).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_app_support import (
    MAP_ROOT,
    wait_idle,
    wait_painted,
)
from test_app_support import (
    shot as save_shot,
)

from needsmap.views.change import COLOURS

pytestmark = pytest.mark.browser

playwright = pytest.importorskip("playwright.sync_api")


def shot(pg, name: str, full: bool = False) -> Path:  # noqa: ANN001
    return save_shot(pg, f"issue20_{name}", full)


def fills(pg) -> list[str]:
    return pg.locator(f"{MAP_ROOT} path.nm-ward").evaluate_all(
        "els => els.map(e => e.getAttribute('fill'))")


def legend_text(pg) -> str:
    return pg.locator(".nm-legend-wards").inner_text()


def under5_button(pg, where: str = "stSidebar"):
    return pg.get_by_test_id(where).get_by_role("radio", name="Under-5s", exact=True)


def test_switch_turns_the_children_map_into_under5s(page, server):
    page.goto(f"{server.url}/?basemap=none&layer=children_0_15")
    wait_painted(page, n=21)
    assert "Children aged 0-15" in legend_text(page)
    before = fills(page)
    under5_button(page).click()
    page.locator(".nm-legend-wards").filter(has_text="Under-5s").wait_for()
    wait_idle(page)
    assert "basis=under5" in page.url and "layer=under5" in page.url
    page.get_by_role("heading", name="Under-5s · Blackpool").wait_for()
    assert fills(page) != before  # the wards are recoloured by their under-5s
    shot(page, "explore_under5_blackpool")


def test_change_layer_draws_for_blackpool_with_chart_and_movers(page, server):
    page.goto(f"{server.url}/?basemap=none&layer=change_imd&ward=E05015201")
    wait_painted(page, n=21)
    colours = set(fills(page))
    assert colours <= set(COLOURS.values()), colours  # every ward has a direction
    assert len(colours) >= 2
    text = legend_text(page)
    for label in ("More deprived", "No clear change", "Less deprived"):
        assert label in text
    wait_idle(page)
    page.get_by_text("About change since 2019").wait_for()
    page.get_by_text("Wards in Blackpool that moved most (IMD)").wait_for()
    # the selected ward's two-point chart (2019 -> 2025) in the side panel
    page.get_by_text("Change since 2019 (IMD)").wait_for()
    chart = page.get_by_test_id("stVegaLiteChart").first
    chart.locator("canvas, svg").first.wait_for()
    shot(page, "explore_change_blackpool")
    page.mouse.wheel(0, 450)
    page.wait_for_timeout(300)
    shot(page, "ward_panel_change_chart")


def test_switch_changes_the_target_list(page, server):
    page.goto(f"{server.url}/?view=target&la=Blackpool")
    wait_painted(page)
    wait_idle(page)
    table = page.get_by_test_id("stDataFrame").last
    assert "Children 0-15" in page.get_by_test_id("stMetric").filter(
        has_text="in flagged wards").inner_text()
    under5_button(page).click()
    page.get_by_test_id("stMetric").filter(has_text="Under-5s in flagged wards").wait_for()
    wait_idle(page)
    assert "basis=under5" in page.url and "service=early_years" in page.url
    rule = page.locator(".nm-rule").inner_text()
    assert "under-5s' mean straight-line distance" in rule and "family hub" in rule
    assert table.count() == 1
    shot(page, "target_under5_blackpool", full=True)


def test_switch_changes_the_snapshot(page, server):
    page.goto(f"{server.url}/?view=snapshot&la=Blackpool")
    frame = page.frame_locator("iframe").first
    frame.get_by_text("Blackpool").first.wait_for()
    assert frame.get_by_text("Early-years lens").count() == 0
    under5_button(page, "stMain").click()
    frame = page.frame_locator("iframe").first
    frame.get_by_text("Early-years lens").first.wait_for()
    wait_idle(page)
    assert "basis=under5" in page.url
    shot(page, "snapshot_under5_blackpool", full=True)


# --- the whole-England store ----------------------------------------------------------

@pytest.mark.england
def test_change_layer_draws_for_england(browser, england_server):
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = ctx.new_page()
    page.set_default_timeout(180_000)
    try:
        page.goto(f"{england_server.url}/?basemap=none&area=__all__&layer=change_imd")
        wait_painted(page)
        marker = page.locator("#nm-painted")
        assert int(marker.get_attribute("data-n")) >= 6000
        text = legend_text(page)
        assert "More deprived" in text and "No clear change" in text
        wait_idle(page)
        page.get_by_text("Wards in All England that moved most (IMD)").wait_for()
        shot(page, "explore_change_england")
    finally:
        ctx.close()
