"""Small-number suppression: counts below 10, and rates built on them, never show a number."""

from __future__ import annotations

import re

import pytest

from needsmap.snapshot import content as C
from needsmap.snapshot import figures as F
from needsmap.snapshot.render import render_html
from needsmap.store.db import open_store


def test_counts_below_ten_are_suppressed():
    for n in (0, 1, 9, 9.5):
        f = F.count_figure("c", "c", n)
        assert f.suppressed and f.text() == "suppressed" and f.value is None
    assert F.count_figure("c", "c", 10).text() == "10"


@pytest.mark.parametrize(("num", "den"), [(9, 1000), (9.9, 1000), (5, 9), (0, 50)])
def test_rates_built_on_small_counts_are_suppressed(num, den):
    for f in (F.proportion_figure("p", "p", num, den), F.rate_figure("r", "r", num, den)):
        assert f.suppressed and f.text() == "suppressed"
        assert f.value is None and f.lo is None and f.ci_text() == ""
        bench = F.Figure("b", "b", f.kind, value=0.1)
        assert F.compare(f, bench).label == "not compared (suppressed)"


def test_rates_on_ten_or_more_are_shown():
    assert not F.proportion_figure("p", "p", 10, 10_000).suppressed
    assert not F.rate_figure("r", "r", 10, 10_000).suppressed


@pytest.mark.england
def test_real_city_of_london_wards_are_suppressed_in_the_page(england_store):
    """Farringdon Without and Aldersgate rest on area shares of City LSOAs whose IDACI numerator
    is suppressed at source (0-9; the store imputes 4.5; the lookup gives neither ward a whole
    LSOA): their child poverty rates, and the pair's, are suppressed on the page; their counts
    of children (30 and 58: shares of the LSOAs' 50 and 125) are shown."""
    con = open_store(england_store)
    try:
        snap = C.build_snapshot(con, "City test locality", ["E05009305", "E05009288"], with_map=False)
    finally:
        con.close()
    cp = next(r for r in snap.headline if r.label.startswith("Child poverty"))
    assert cp.value == "suppressed" and cp.ci == ""
    assert cp.la_cmp.label == "not compared (suppressed)"
    rows = {w.ward_name: w for w in snap.wards}
    assert rows["Farringdon Without"].child_poverty == "suppressed"
    assert rows["Aldersgate"].child_poverty == "suppressed"
    assert rows["Farringdon Without"].children == "30"
    assert rows["Aldersgate"].children == "58"
    html = render_html(snap)
    for name in ("Farringdon Without", "Aldersgate"):
        row = re.search(rf"<td>{name}(?:&nbsp;&dagger;)?</td>(.*?)</tr>", html, re.S).group(1)
        assert "suppressed" in row
        assert not re.search(r"\d+\.\d%", row)  # no rate printed anywhere in the row
    head = re.search(r"Child poverty rate \(IDACI\)</td>(.*?)</tr>", html, re.S).group(1)
    area_cell = re.search(r"<td[^>]*>(.*?)</td>", head, re.S).group(1)  # the area's own value
    assert "suppressed" in area_cell and not re.search(r"\d+\.\d%", area_cell)
