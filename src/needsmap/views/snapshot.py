"""Snapshot view: the one-page locality snapshot, in the app, with downloads (UI only).

The page shown is the very HTML that ``needsmap snapshot`` writes (same template, same
figures; see :mod:`needsmap.snapshot`). An area is a whole LA, wards picked from a list,
or a locality from an uploaded locality file (CSV ``locality,ward_code`` or TOML), checked
with the same rules and messages as on the command line.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st
import streamlit.components.v1 as components

from needsmap.scope import UnknownArea, resolve_la
from needsmap.snapshot import content as C
from needsmap.snapshot.localities import (
    LocalityFileError,
    known_wards,
    parse_localities,
    slugify,
)
from needsmap.snapshot.render import CHROMIUM, render_html, snapshot_pdf
from needsmap.views import basis as B
from needsmap.views import nations
from needsmap.views.state import (
    Param,
    as_list,
    list_to_url,
    restore,
    sentence,
    show_url_problems,
    sync,
    url_problem,
)

MODES = {"la": "Whole local authority", "pick": "Pick wards", "file": "Locality file"}

#: The view's choices in the URL (a locality file cannot be: its locality name can).
PARAMS = [
    Param("_snap_la_url", "la", None),
    Param("snap_mode", "mode", "la"),
    Param("snap_pick", "wards", [], list_to_url, as_list),
    Param("snap_name", "name", "My locality"),
    Param("snap_loc", "locality", None),
    B.PARAM,
]


@st.cache_data(show_spinner=False, max_entries=64)
def _snapshot(token: str, name: str, wards: tuple[str, ...], kind: str, la_code: str,
              locality_set: str | None, _ctx, basis: str = "children"  # noqa: ANN001
              ) -> tuple[str, bytes | None, object]:
    con = _ctx.cursor()
    try:
        snap = C.build_snapshot(con, name, list(wards), kind=kind, la_code=la_code, basis=basis)
    finally:
        con.close()
    return render_html(snap, locality_set=locality_set), (snap.map.png if snap.map else None), snap


@st.cache_data(show_spinner=False)
def _wards(token: str, _ctx) -> pd.DataFrame:  # noqa: ANN001
    return _ctx.query("SELECT ward_code, ward_name, lad_code, lad_name FROM ward_indicators_england "
                      "ORDER BY lad_name, ward_name")


def _sync(la_name: str, mode: str) -> None:
    extra = {"view": "snapshot", "la": la_name}
    params = [p for p in PARAMS if p.name != "la"]
    if mode != "pick":
        params = [p for p in params if p.name not in ("wards", "name")]
    if mode != "file":
        params = [p for p in params if p.name != "locality"]
    sync(params, extra=extra)


def render(ctx) -> None:  # noqa: ANN001 - needsmap.views.context.ViewContext
    """Draw the Snapshot view.

    Parameters
    ----------
    ctx
        The app's :class:`~needsmap.views.context.ViewContext` (open read-only store).
    """
    restored = restore(PARAMS, "snapshot")
    st.header("Snapshot")
    st.caption("A one-page summary of an area for boards: headline figures compared with the LA "
               "and its nation (England, or Wales for a Welsh LA), the wards ranked by modelled "
               "risk, and services nearby. The same page prints to PDF.")
    wards = _wards(ctx.token, ctx)
    welsh = nations.welsh_lads(ctx)  # Welsh LAs: their own snapshot, compared with Wales
    lads = pd.concat([wards[["lad_code", "lad_name"]].drop_duplicates(), welsh])
    lads = lads.drop_duplicates().sort_values("lad_name")
    names = lads["lad_name"].tolist()
    explore_area = [c for c in (ctx.selected_lads or st.session_state.get("ex_area") or [])
                    if c in set(lads["lad_code"])]
    default = ctx.lad_name(explore_area[0]) if len(explore_area) == 1 else "Dudley"
    raw_la = st.session_state.pop("_snap_la_url", None)
    if raw_la is not None:
        pairs = list(zip(lads["lad_code"], lads["lad_name"], strict=True))
        try:
            st.session_state["snap_la"] = resolve_la(raw_la, pairs)[1]
        except UnknownArea as exc:
            url_problem("la", raw_la, f"{sentence(str(exc))} Showing "
                        f"{default if default in names else names[0]}.")
    if st.session_state.get("snap_la") not in names:
        st.session_state["snap_la"] = default if default in names else names[0]
    if "mode" in restored and st.session_state.get("snap_mode") not in MODES:
        url_problem("mode", restored.raw["mode"], f"not a mode (valid: {', '.join(MODES)}); "
                    "showing the whole LA.")
        st.session_state["snap_mode"] = "la"
    basis = B.choose(restored)
    c1, c2, c3 = st.columns([3, 4, 2])
    with c3:
        basis = B.widget("Under-5s: the early-years lens. Under-5s weight the index's area "
                         "figures and the access figures, and the ward table counts them.")
    la_name = c1.selectbox("Local authority", names, key="snap_la")
    la_code = lads.loc[lads["lad_name"] == la_name, "lad_code"].iloc[0]
    mode = c2.radio("Area", list(MODES), format_func=MODES.get, horizontal=True, key="snap_mode")
    if la_code in set(welsh["lad_code"]):
        show_url_problems()
        _sync(la_name, mode)
        nations.render_snapshot(ctx, la_code, la_name, mode)
        return
    la_wards = wards[wards["lad_code"] == la_code]
    area: tuple[str, list[str], str, str | None] | None = None
    if mode == "la":
        area = (la_name, la_wards["ward_code"].tolist(), "la", None)
    elif mode == "pick":
        label = dict(zip(la_wards["ward_code"], la_wards["ward_name"], strict=True))
        if "wards" in restored:
            bad = [c for c in (st.session_state.get("snap_pick") or []) if c not in label]
            if bad:
                url_problem("wards", ",".join(bad), f"not wards of {la_name}; left out.")
            st.session_state["snap_pick"] = [c for c in (st.session_state.get("snap_pick") or [])
                                             if c in label]
        picked = st.multiselect("Wards", list(label), format_func=label.get, key="snap_pick",
                                placeholder="Choose one or more wards")
        st.session_state.setdefault("snap_name", "My locality")
        name = st.text_input("Locality name", max_chars=80, key="snap_name")
        if picked:
            area = (name.strip() or "My locality", picked, "locality", None)
        else:
            st.info("Pick at least one ward.")
    else:
        up = st.file_uploader("Locality file (CSV: locality,ward_code; or TOML)",
                              type=["csv", "toml"], key="snap_file")
        if up is not None:
            con = ctx.cursor()
            try:
                known = known_wards(con)
            finally:
                con.close()
            try:
                locs = parse_localities(up.getvalue(), up.name, known, la=la_code)
            except LocalityFileError as exc:
                st.error("The locality file was not accepted:\n\n" +
                         "\n".join(f"- {p}" for p in exc.problems[:50]))
                return
            loc_names = [loc.name for loc in locs]
            if st.session_state.get("snap_loc") not in loc_names:
                if "locality" in restored:
                    url_problem("locality", restored.raw["locality"], "no such locality in the "
                                f"file; showing {loc_names[0]}.")
                st.session_state["snap_loc"] = loc_names[0]
            pick = st.selectbox("Locality", loc_names, key="snap_loc")
            loc = next(lc for lc in locs if lc.name == pick)
            area = (loc.name, loc.ward_codes, "locality", up.name)
        else:
            st.info("Upload a locality file; `geodata/localities/dudley_localities.csv` is an example."
                    + (" The link names a locality; upload the file it is in." if
                       st.session_state.get("snap_loc") else ""))
    show_url_problems()
    _sync(la_name, mode)
    if area is None:
        return
    name, codes, kind, set_label = area
    with st.spinner("Preparing the snapshot..."):
        html, png, snap = _snapshot(ctx.token, name, tuple(codes), kind, la_code, set_label, ctx,
                                    basis)
    slug = ("la-" if kind == "la" else "") + slugify(name) + ("-under5" if basis == "under5" else "")
    d1, d2, d3 = st.columns(3)
    d1.download_button("Download page (HTML)", html.encode("utf-8"), file_name=f"{slug}.html",
                       mime="text/html", icon=":material/download:")
    if png:
        d2.download_button("Download map (PNG)", png, file_name=f"{slug}-map.png", mime="image/png",
                           icon=":material/image:")
    if Path(CHROMIUM).exists():
        key = f"snap_pdf::{ctx.token}::{slug}::{hash(tuple(codes))}"
        if d3.button("Make PDF (A4, one page)", key="snap_make_pdf"):
            with st.spinner("Printing the PDF..."):
                st.session_state[key] = snapshot_pdf(snap, locality_set=set_label)
        if key in st.session_state:
            d3.download_button("Download PDF", st.session_state[key], file_name=f"{slug}.pdf",
                               mime="application/pdf", icon=":material/picture_as_pdf:")
    else:
        d3.caption("PDF needs chromium (`scripts/setup --browser`); print the page from a "
                   "browser instead.")
    # Every value on the page is HTML-escaped by the template (locality names included).
    if hasattr(st, "iframe"):
        st.iframe(html, height=1500)
    else:  # older Streamlit
        components.html(html, height=1500, scrolling=True)
