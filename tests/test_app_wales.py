"""The app with Welsh wards (issue 21), on a real store of Newport and the Forest of Dean.

Explore of Newport shows the Welsh index (its name, its caveat, deciles among Welsh wards)
and Bettws with its Welsh decile; a view of both nations colours each ward by its own
nation's decile, and its table export has one rank column per nation; Target of Newport lists
its wards ranked among Welsh wards only (and says so when a link names both nations), and its
siting section runs for Newport; Snapshot of Newport is compared with Wales. Nothing ranks both
nations together.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from test_app_support import APP, page_text

from needsmap.index.wales import CAVEAT_WALES, NAME_WALES
from needsmap.store.db import open_store
from needsmap.views import data, nations
from needsmap.views import nation_data as nd

BETTWS = "W05001630"
NEWPORT = "W06000022"
DEAN = "E07000080"


@pytest.fixture
def app(border_store, monkeypatch):
    monkeypatch.setenv("NEEDSMAP_DB", str(border_store))
    return AppTest.from_file(APP, default_timeout=240)


def _store(db, sql: str) -> pd.DataFrame:
    con = open_store(db)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def _run(at: AppTest, **params: str) -> AppTest:
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_newport_explore_shows_the_welsh_index_and_bettws_decile(app, border_store):
    at = _run(app, la="Newport", ward=BETTWS)
    text = page_text(at)
    assert f"{NAME_WALES} · Newport" in text
    assert CAVEAT_WALES in text
    assert "deciles among Welsh wards" in text
    assert "England rank" not in text and "English wards" not in text
    want = _store(border_store, f"SELECT welsh_ace_decile, welsh_ace_rank FROM ward_ace_wales "
                                f"WHERE ward_code = '{BETTWS}'").iloc[0]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Wales decile"] == str(int(want["welsh_ace_decile"]))
    assert metrics["Rank in Wales"] == f"{int(want['welsh_ace_rank'])} of 762"
    assert "What drives this ward (Welsh index)" in text


def _bettws_postcode(db) -> str:  # noqa: ANN001
    """A real Bettws postcode: the first NP20 7 one whose point lies in a Bettws LSOA."""
    return _store(db, "SELECT p.postcode FROM postcode p JOIN lsoa_wales l ON ST_Contains("
                      "l.geom, ST_Point(p.easting, p.northing)) WHERE l.ward_code = "
                      f"'{BETTWS}' AND p.postcode LIKE 'NP20 7%' ORDER BY 1 LIMIT 1").iloc[0, 0]


@pytest.mark.parametrize("view", ["explore", "target"])
def test_a_bettws_postcode_shows_its_welsh_decile_never_an_english_one(app, border_store, view):
    pc = _bettws_postcode(border_store)
    at = _run(app, view=view, q=pc)
    assert at.session_state["ward" if view == "explore" else "tg_ward"] == BETTWS
    if view == "explore":
        assert at.session_state["ex_area"] == [NEWPORT]
    else:
        assert at.selectbox(key="tg_lad").value == NEWPORT
    assert [s for s in at.success if f"{pc} is in Bettws ward, Newport" in s.value]
    want = _store(border_store, "SELECT need_measure, need_decile FROM ward_need_wales "
                                f"WHERE ward_code = '{BETTWS}'").set_index("need_measure")
    metrics = {m.label: m for m in at.metric}
    assert "ACE index decile" not in metrics
    assert metrics["Welsh index decile"].value == str(int(want.at["welsh_ace", "need_decile"]))
    assert "not comparable with the English index" in metrics["Welsh index decile"].help
    assert metrics["Children 0-15"].value == "1,747"
    text = page_text(at)
    assert f"Postcode {pc}" in text and "deciles in Wales" in text
    assert f"WIMD 2019 overall score {int(want.at['wimd_score', 'need_decile'])}" in text
    assert "deciles in England" not in text and "English wards" not in text
    near = at.table[0].value  # the nearest services: only the lists that cover Wales
    assert list(near.index) == ["GP practice", "Public library"], near
    assert "Not listed for this area" in text
    assert CAVEAT_WALES in text


def test_a_welsh_ward_name_search_selects_it(app):
    at = _run(app, q="bettws")
    assert at.session_state["ex_area"] == [NEWPORT] and at.session_state["ward"] == BETTWS
    assert [s for s in at.success if "Bettws ward, Newport" in s.value]


def test_a_view_of_both_nations_splits_its_deciles_and_export(app, border_store):
    at = _run(app, area=f"{DEAN},{NEWPORT}")
    text = page_text(at)
    assert nations.SPLIT in text
    assert "never ranked together" in " ".join(i.value for i in at.info)
    assert CAVEAT_WALES in text
    csv = next(b for b in at.get("download_button") if "CSV" in b.proto.label)
    assert csv is not None
    info = data.checkout(border_store)
    try:
        ace = _store(border_store, "SELECT * FROM ward_ace")
        vals = nd.values(info.token, nd.BY_KEY["ace"], ace, [nd.ENGLAND, nd.WALES])
        view = nd.ward_names(info.token, (DEAN, NEWPORT)).merge(
            vals.drop(columns="nation"), on="ward_code")
        out = nd.ward_export(view, "index")
    finally:
        data.release(info.token)
    eng, wal = out[out["nation"] == "England"], out[out["nation"] == "Wales"]
    assert len(eng) == 21 and len(wal) == 21
    # each ward ranked only in its own nation's columns
    assert eng["Wales rank (among Welsh wards)"].isna().all()
    assert wal["England rank (among English wards)"].isna().all()
    assert not [c for c in out.columns if "rank" in c.lower() and "among" not in c
                and c != "Rank in LA"]
    stored = _store(border_store, "SELECT ward_code, welsh_ace_rank FROM ward_ace_wales")
    m = wal.merge(stored, on="ward_code")
    assert (m["Wales rank (among Welsh wards)"] == m["welsh_ace_rank"]).all()
    stored = _store(border_store, "SELECT ward_code, ace_rank_england FROM ward_ace")
    m = eng.merge(stored, on="ward_code")
    assert (m["England rank (among English wards)"] == m["ace_rank_england"]).all()


@pytest.mark.parametrize("key", [lay.key for lay in nd.LAYERS])
def test_no_layer_ranks_both_nations_together(border_store, key):
    info = data.checkout(border_store)
    try:
        ace = _store(border_store, "SELECT * FROM ward_ace")
        vals = nd.values(info.token, nd.BY_KEY[key], ace, [nd.ENGLAND, nd.WALES])
    finally:
        data.release(info.token)
    for nation, n_all in ((nd.ENGLAND, 6817), (nd.WALES, 762)):
        mine = vals[vals["nation"] == nation]
        if mine.empty:
            continue
        n = int(mine["value"].notna().sum())
        assert n <= n_all
        assert (mine["n_nation"].dropna() == n).all()
        assert np.nanmax(mine["rank_nation"]) <= n


def test_target_of_newport_ranks_among_welsh_wards_only(app, border_store):
    at = _run(app, view="target", la="Newport")
    assert not [w for w in at.warning if "Newport" in w.value]  # not "unknown LA"
    assert at.selectbox(key="tg_lad").value == NEWPORT
    assert at.selectbox(key="tg_need").value == "welsh_ace"
    text = page_text(at)
    assert CAVEAT_WALES in text and nations.WALES_TARGET_LIMITS in text
    assert nations.TARGET_NOTE not in " ".join(i.value for i in at.info)
    assert "Welsh wards" in text and "English wards" not in text
    # the list: Newport's high-need wards on the Welsh index, as gaps(nation="Wales") gives
    from needsmap.access import gaps
    con = open_store(border_store)
    try:
        want = gaps(con, "gp_practice", need="welsh_ace", lad_code=NEWPORT, nation="Wales")
    finally:
        con.close()
    high = want[want["high_need"]]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Wards in area"] == f"{len(want):,}" == "21"
    assert metrics["High need (top 2 deciles)"] == f"{len(high):,}"
    assert metrics["Flagged gaps"] == f"{int(want['gap_flag'].sum()):,}"
    assert set(want["ward_code"].str[0]) == {"W"}
    # the services offered are those whose lists cover Wales (no GIAS school type)
    assert set(at.selectbox(key="tg_service").options) == {"GP practice", "Public library"}


def test_target_link_with_both_nations_runs_one(app):
    at = _run(app, view="target", lad=f"{NEWPORT},{DEAN}")
    info = " ".join(i.value for i in at.info)
    assert "Target ranks one nation at a time" in info and "Showing Newport (Wales)" in info
    assert at.selectbox(key="tg_lad").value == NEWPORT


def test_target_siting_runs_for_newport(app):
    at = _run(app, view="target", la="Newport", site="1", site_type="gp_practice",
              site_cand="libraries", site_n="2", site_km="1", site_model="mclp",
              site_need="welsh_ace")
    warn = [w.value for w in at.warning]
    assert not [w for w in warn if "could not run" in w], warn
    text = page_text(at)
    assert "Welsh wards counts 2" in text or "Welsh wards" in text
    assert CAVEAT_WALES in text
    metrics = {m.label: m.value for m in at.metric}
    assert any("children" in k.lower() for k in metrics), metrics


def test_newport_snapshot_is_compared_with_wales(app):
    at = _run(app, view="snapshot", la="Newport")
    assert "compared with Wales" in page_text(at)
    text = page_text(at)
    assert "compared with Wales" in text and NAME_WALES in text
    assert [b for b in at.get("download_button") if "HTML" in b.proto.label]


def test_a_welsh_list_uploaded_is_placed_in_wales(border_store):
    """GIAS has no Welsh schools, so a Welsh user uploads their own list (issue 21): its
    rows are placed in Welsh LSOAs, not refused as "outside England"."""
    from needsmap.access.upload import validate_upload

    pc = _store(border_store, "SELECT postcode FROM postcode WHERE postcode LIKE 'NP20 %' "
                              "AND easting IS NOT NULL ORDER BY postcode LIMIT 1").iloc[0, 0]
    con = open_store(border_store)
    try:
        acc, rej = validate_upload(
            f"name,type,postcode\nA Newport school,school_primary,{pc}\n"
            "An Edinburgh library,library,EH1 1YZ\n".encode(), con)
    finally:
        con.close()
    assert acc["lad_code"].tolist() == [NEWPORT]
    assert acc["lsoa_code"].str.startswith("W01").all()
    assert rej["reason"].tolist() == [
        "point outside England and Wales (postcode in Scotland)"], rej.to_dict("records")
