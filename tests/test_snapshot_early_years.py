"""Issue 20: the five Dudley locality snapshots, early-years lens, on the whole-England store.

Each shows its under-5s (the sum of its wards' under-5s), the ward table counts under-5s,
access is weighted by under-5s, and the change line ("more / less deprived relative to
England than in 2019") with its caveat is on the page.
"""

from __future__ import annotations

import pytest

from needsmap.settings import REPO_ROOT
from needsmap.snapshot import content as C
from needsmap.snapshot.localities import known_wards, read_localities
from needsmap.snapshot.render import render_html
from needsmap.store.db import open_store

DUDLEY = REPO_ROOT / "geodata" / "localities" / "dudley_localities.csv"


@pytest.fixture(scope="module")
def con(england_store):
    c = open_store(england_store)
    yield c
    c.close()


@pytest.fixture(scope="module")
def snaps(con):
    locs = read_localities(DUDLEY, known_wards(con))
    assert len(locs) == 5
    eng = C.england_row(con)
    return [(loc, C.build_snapshot(con, loc.name, loc.ward_codes, england=eng, with_map=False,
                                   basis="under5")) for loc in locs]


def test_five_dudley_localities_show_under5s_and_the_change_line(con, snaps, report_figure):
    total = 0
    for loc, s in snaps:
        u5 = con.execute("SELECT sum(under5) FROM ward_indicators_england WHERE ward_code IN "
                         "(SELECT unnest($w))", {"w": list(loc.ward_codes)}).fetchone()[0]
        total += u5
        row = next(r for r in s.headline if r.label.startswith("Under-5s"))
        assert row.value == f"{u5:,}"
        ward_u5 = con.execute("SELECT ward_code, under5 FROM ward_indicators_england WHERE "
                              "ward_code IN (SELECT unnest($w))", {"w": list(loc.ward_codes)}
                              ).fetchall()
        assert {w.ward_code: w.children for w in s.wards} == {c: f"{n:,}" for c, n in ward_u5}
        assert s.basis == "under5" and "under-5s" in s.access_columns[1]
        assert s.change_line.split(" (IMD)")[0] in {
            "More deprived relative to England than in 2019",
            "Less deprived relative to England than in 2019",
            "About the same position relative to England as in 2019"}
        html = render_html(s)
        assert "Change since 2019" in html and "not levels" in html
        assert "Under-5s" in html and "Early-years lens" in html
        report_figure(f"{loc.name}: under-5s {u5:,}; {s.change_line.split(':')[0]}")
    dudley = con.execute("SELECT sum(under5) FROM ward_indicators_england WHERE lad_name = "
                         "'Dudley'").fetchone()[0]
    assert total == dudley  # the five localities cover Dudley once


def test_children_lens_is_the_default_and_differs(con, snaps):
    loc, ey = snaps[0]
    ch = C.build_snapshot(con, loc.name, loc.ward_codes, with_map=False)
    assert ch.basis == "children" and ch.change_line == ey.change_line
    assert [w.children for w in ch.wards] != [w.children for w in ey.wards]
    with pytest.raises(ValueError, match="valid: children, under5"):
        C.build_snapshot(con, loc.name, loc.ward_codes, with_map=False, basis="infants")
