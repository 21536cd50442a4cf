"""Issue 20 in the app without a browser: the early-years switch and the change layer.

On the real Blackpool store (AppTest and the functions under the views): ``gaps`` with the
under-5 basis reads ``ward_access_under5`` and counts under-5s; Explore's switch turns the
children layer into under-5s and says what a bad ``basis`` in a link means; the change layer
shows its caveat, its three classes and the wards that moved most in order; Target's list
and words follow the switch. The change palette stays distinguishable under simulated
colour-vision deficiency (Machado et al. 2009, severity 1).
"""

from __future__ import annotations

import re

import duckdb
import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from test_app_support import app_store, app_test, page_text

from needsmap.access import gaps
from needsmap.access.early_years import GROUP
from needsmap.access.gaprules import describe
from needsmap.areas.change import CAVEAT as CHANGE_CAVEAT
from needsmap.views import change

BLACKPOOL = "E06000009"


@pytest.fixture
def at(request, monkeypatch) -> AppTest:
    return app_test(request, monkeypatch)


@pytest.fixture(scope="module")
def con(request):
    c = duckdb.connect(str(app_store(request)), read_only=True)
    yield c
    c.close()


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


# --- the lower layer on the real store ------------------------------------------------

def test_gaps_under5_reads_the_under5_table_and_counts_under5s(con):
    ch = gaps(con, "gp_practice", lad_code=BLACKPOOL)
    u5 = gaps(con, "gp_practice", lad_code=BLACKPOOL, basis="under5")
    assert set(ch["basis"]) == {"children"} and set(u5["basis"]) == {"under5"}
    ref = con.execute("SELECT ward_code, under5, mean_km_under5_weighted FROM ward_access_under5 "
                      "WHERE service_type = 'gp_practice' AND lad_code = ?", [BLACKPOOL]).df()
    m = u5.merge(ref, on="ward_code")
    assert len(m) == len(u5) == 21
    assert (m["children_0_15"] == m["under5"]).all()
    assert np.allclose(m["mean_km_child_weighted"], m["mean_km_under5_weighted"])
    assert u5["children_0_15"].sum() < ch["children_0_15"].sum()  # 7,995 vs 24,698
    assert (u5["children_beyond"] <= u5["children_0_15"] + 1).all()
    # need is the same, so high-need wards are the same wards
    assert set(u5.loc[u5["high_need"], "ward_code"]) == set(ch.loc[ch["high_need"], "ward_code"])


def test_gaps_early_years_group_and_bad_bases(con):
    ey = gaps(con, GROUP, lad_code=BLACKPOOL, basis="under5")
    ref = con.execute("SELECT ward_code, mean_km_under5_weighted FROM ward_access_under5 "
                      "WHERE service_type = ? AND lad_code = ?", [GROUP, BLACKPOOL]).df()
    m = ey.merge(ref, on="ward_code")
    assert len(m) == 21 and np.allclose(m["mean_km_child_weighted"], m["mean_km_under5_weighted"])
    assert ey["children_beyond"].sum() > 0  # lsoa distances for the group were found
    with pytest.raises(ValueError, match="valid: children, under5"):
        gaps(con, "gp_practice", basis="infants")
    with pytest.raises(ValueError, match="unknown service type"):
        gaps(con, GROUP, basis="children")  # the group exists for under-5s only
    empty = pd.DataFrame(columns=["lsoa_code", "distance_km"])
    with pytest.raises(ValueError, match="children's distances only"):
        gaps(con, "x", basis="under5", custom=(pd.DataFrame(), empty))


def test_rule_words_follow_the_basis():
    kw = {"service": "GP practice", "need": "x", "top_deciles": 2, "area": "Blackpool"}
    assert "children's mean straight-line distance" in describe("local", **kw)
    assert "under-5s' mean straight-line distance" in describe("local", people="under-5s", **kw)
    assert "of its under-5s live more" in describe("children_beyond", people="under-5s", **kw)


def test_movers_are_beyond_the_uncertainty_and_ordered(request):
    from needsmap.views import data

    info = data.checkout(app_store(request))
    try:
        df = change.movers(info.token, (BLACKPOOL,), "imd")
        allw = change.movers(info.token, None, "imd", n=50)
    finally:
        data.release(info.token)
    assert 0 < len(df) <= 15
    moves = df["rank_change"].abs().to_numpy()
    assert (np.diff(moves) <= 0).all()
    assert ((df["rank_2025"] < df["rank_2019_low"]) | (df["rank_2025"] > df["rank_2019_high"])).all()
    assert len(allw) == 50 and allw["rank_change"].abs().min() >= moves.max()


def _deltas(colours: list[str]) -> dict[str, float]:
    """Smallest CIELAB distance between the colours under each simulated deficiency."""
    m = {"deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                          [-0.011820, 0.042940, 0.968881]],
         "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                        [-0.003882, -0.048116, 1.051998]],
         "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                        [0.004733, 0.691367, 0.303900]]}

    def lin(c):  # noqa: ANN001, ANN202
        return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)

    def lab(c):  # noqa: ANN001, ANN202 - linear RGB -> CIELAB (D65)
        xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                        [0.0193, 0.1192, 0.9505]]) @ np.clip(c, 0, 1)
        t = xyz / np.array([0.95047, 1, 1.08883])
        f = np.where(t > 0.008856, np.cbrt(t), 7.787 * t + 16 / 116)
        return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])

    rgb = [lin(np.array([int(h[i:i + 2], 16) for i in (1, 3, 5)]) / 255) for h in colours]
    out = {}
    for name, mat in m.items():
        labs = [lab(np.array(mat) @ c) for c in rgb]
        out[name] = min(float(np.linalg.norm(a - b)) for i, a in enumerate(labs)
                        for b in labs[i + 1:])
    return out


def test_change_palette_is_colour_blind_safe():
    deltas = _deltas([change.COLOURS[d] for d in change.ORDER])
    assert min(deltas.values()) > 40, deltas  # far apart (ΔE > 40) under every deficiency


# --- AppTest --------------------------------------------------------------------------

def test_explore_switch_swaps_children_for_under5s(at):
    at.query_params["layer"] = "children_0_15"
    at.run()
    _ok(at)
    assert "Under-5s within 1 km of early years" not in at.selectbox(key="ex_layer").options
    at.segmented_control(key="basis").set_value("under5").run()
    _ok(at)
    assert at.selectbox(key="ex_layer").value == "under5"
    options = at.selectbox(key="ex_layer").options  # their labels
    assert "Children aged 0-15" not in options and "Under-5s within 1 km of early years" in options
    assert at.query_params["basis"] == "under5" and at.query_params["layer"] == "under5"
    assert "Under-5s · Blackpool" in page_text(at)
    at.selectbox(key="ex_layer").set_value("ey_within_1km").run()  # all 0% in Blackpool
    _ok(at)
    assert "not to childcare" in page_text(at)


def test_explore_bad_basis_in_a_link_is_named(at):
    at.query_params["basis"] = "infants"
    at.run()
    _ok(at)
    assert any("basis=infants" in w.value for w in at.warning)
    assert at.segmented_control(key="basis").value == "children"


def test_change_layer_caveat_classes_and_movers(at):
    at.query_params["layer"] = "change_imd"
    at.query_params["ward"] = "E05015201"
    at.run()
    _ok(at)
    text = page_text(at)
    assert CHANGE_CAVEAT[:60] in text
    assert "Wards in Blackpool that moved most (IMD)" in text
    assert "Change since 2019 (IMD)" in text  # the ward panel's chart heading
    assert any("England rank 1,450 in 2019" in c.value for c in at.caption)
    movers = next(d.value for d in at.dataframe if "Places moved" in d.value.columns)
    assert (np.diff(movers["Places moved"].abs().to_numpy()) <= 0).all()
    classes = next(c.value for c in at.caption if c.value.startswith("Classes (change)"))
    counts = [int(x) for x in re.findall(r": (\d+) wards", classes)]
    assert len(counts) == 3 and sum(counts) == 21  # every Blackpool ward has a direction


def test_target_follows_the_switch(at):
    at.query_params["view"] = "target"
    at.query_params["basis"] = "under5"
    at.run()
    _ok(at)
    assert at.selectbox(key="tg_service").value == GROUP
    labels = [m.label for m in at.metric]
    assert "Under-5s in flagged wards" in labels
    ranked = at.dataframe[-1].value
    assert "Under-5s" in ranked.columns and "Children 0-15" not in ranked.columns
    text = page_text(at)  # the rule (an HTML element, its apostrophes escaped)
    assert "mean straight-line distance" in text and "LSOA's under-5s (ONS mid-2020" in text.replace("\\'", "'")
    at.segmented_control(key="basis").set_value("children").run()
    _ok(at)
    assert at.selectbox(key="tg_service").value == "gp_practice"
    assert "Children 0-15 in flagged wards" in [m.label for m in at.metric]
