"""The search box of Explore and Target: a postcode, a ward or an LA name (UI only).

The finding is :func:`needsmap.access.search.search`; this module draws the box,
keeps the query in the URL (``?q=``), and hands the view what was found:

* a postcode selects its ward (and its LA, if another is in view), marks the point on
  the map (:func:`overlay`), and lists the ward's figures and the nearest service of
  each type with its straight-line distance;
* a ward selects it; an LA puts it in view;
* a Welsh postcode, ward or LA (a store with Wales, issue 21) does the same for its Welsh
  ward: its figures come from the Welsh tables (``ward_need_wales``,
  ``ward_indicators_wales``), deciles among Welsh wards, never an English rank;
* several matches are listed to pick from; nothing found (or an unknown or terminated
  postcode) says so in words.

Each view passes its own ``scope`` (``"ex"`` or ``"tg"``) and a function that applies a
found ward/LA to its own session keys, so the views stay independent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import pandas as pd
import streamlit as st

from needsmap.access.early_years import COVERAGE_NOTE, GROUP_TYPES
from needsmap.access.nation_tables import WALES_NEEDS, nation_of
from needsmap.index.wales import NAME_WALES
from needsmap.views import data, maps
from needsmap.views.context import ViewContext
from needsmap.views.layers import ALL_LAYERS
from needsmap.views.state import Param, Restored

#: Colour and shape of the searched point (Okabe-Ito vermilion, a star above wards).
POINT_STYLE = ("#D55E00", "star")

#: Apply a found area to a view: ``(ward_code or None, lad_code or None)``.
Apply = Callable[[str | None, str | None], None]


@dataclass(frozen=True)
class Found:
    """What the box found on this run (``None`` fields when not applicable)."""

    kind: str
    message: str
    lon: float | None
    lat: float | None
    label: str


def params(scope: str) -> list[Param]:
    """The URL parameter of the box (``q``) for a view's ``PARAMS``."""
    return [Param(f"{scope}_q", "q", "")]


def _key(scope: str, what: str) -> str:
    return f"_{scope}_search_{what}"


@st.cache_data(max_entries=256, show_spinner=False)
def _search(token: str, text: str) -> dict:
    from needsmap.access.search import search

    cur = data.cursor(token)
    try:
        cur.execute("LOAD spatial")
    except Exception:  # noqa: BLE001 - the store's connection may have it loaded already
        pass
    try:
        r = search(cur, text)
    except duckdb.Error as exc:  # e.g. a store built without Code-Point Open
        return {"kind": "not_found", "message": f"search is unavailable in this store ({exc})",
                "code": None, "name": None, "lon": None, "lat": None, "ward_code": None,
                "ward_name": None, "lad_code": None, "lad_name": None, "nation": None,
                "in_scope": None, "lsoa_code": None, "matches": pd.DataFrame(), "nearest": pd.DataFrame()}
    finally:
        cur.close()
    return {"kind": r.kind, "message": r.message, "code": r.code, "name": r.name,
            "lon": r.lon, "lat": r.lat, "ward_code": r.ward_code, "ward_name": r.ward_name,
            "lad_code": r.lad_code, "lad_name": r.lad_name, "nation": r.nation,
            "in_scope": r.in_scope,
            "lsoa_code": r.lsoa_code, "matches": r.matches, "nearest": r.nearest}


def _run(ctx: ViewContext, scope: str, text: str, apply: Apply) -> None:
    text = " ".join(str(text or "").split())
    if not text:
        st.session_state.pop(_key(scope, "result"), None)
        return
    res = _search(ctx.token, text)
    st.session_state[_key(scope, "result")] = (text, res)
    in_store = set(ctx.lads["lad_code"])
    if res["kind"] in ("postcode", "ward") and res["ward_code"] and res["lad_code"] in in_store:
        apply(res["ward_code"], res["lad_code"])
    elif res["kind"] == "la" and res["lad_code"] in in_store:
        apply(None, res["lad_code"])


def prepare(ctx: ViewContext, scope: str, restored: Restored, apply: Apply) -> None:
    """Before the view's widgets: run a query that came with the link (``?q=``)."""
    if "q" in restored:
        _run(ctx, scope, st.session_state.get(f"{scope}_q", ""), apply)


def box(ctx: ViewContext, scope: str, apply: Apply, *, with_details: bool = True,
        side_by_side: bool = True) -> None:
    """The search box and what it found; ``with_details`` adds the ward's figures and the nearest
    services here (else the view places :func:`details` itself); ``side_by_side`` puts the
    message beside the box (else below it, for a narrow column)."""
    key = f"{scope}_q"
    st.session_state.setdefault(key, "")

    def changed() -> None:
        _run(ctx, scope, st.session_state.get(key, ""), apply)

    if side_by_side:
        c1, c2 = st.columns([2, 3], vertical_alignment="bottom")
    else:
        c1 = c2 = st.container()
    c1.text_input("Search a postcode, ward or local authority", key=key, on_change=changed,
                  placeholder="e.g. FY1 1AN, Talbot, Blackpool", icon=":material/search:",
                  help="A postcode lands on its ward and marks it on the map (Code-Point Open; "
                       "terminated postcodes are not included). Press Enter to search.")
    res = _current(scope)
    if res is None:
        return
    kind = res["kind"]
    with c2.container(key=f"nm_search_msg_{scope}"):
        if kind == "not_found":
            st.warning(res["message"] + ".", icon=":material/search_off:")
        elif kind == "matches":
            st.info(res["message"] + ": type one of the names listed below.",
                    icon=":material/list:")
        else:
            in_store = res["lad_code"] in set(ctx.lads["lad_code"])
            msg = res["message"] + ("" if in_store or not res["lad_code"] else
                                    "; this store has no ward map for it")
            st.success(msg + ".", icon=":material/location_on:")
    if kind in ("ward", "la") and len(res["matches"]) > 1:
        others = res["matches"][res["matches"]["code"] != res["code"]]
        c2.caption("Other matches: " + "; ".join(
            f"{r.name} ({'ward, ' + str(r.lad_name) if r.kind == 'ward' else 'local authority'})"
            for r in others.head(8).itertuples()) + (" …" if len(others) > 8 else ""))
    if kind == "matches":
        m = res["matches"]
        st.dataframe(m.assign(kind=m["kind"].map({"ward": "Ward", "la": "Local authority"}))
                     [["name", "kind", "lad_name", "code"]].rename(columns={
                         "name": "Name", "kind": "Kind", "lad_name": "Local authority",
                         "code": "Code"}), hide_index=True, width="stretch", height=180)
    if with_details:
        details(ctx, scope)


def _current(scope: str) -> dict | None:
    got = st.session_state.get(_key(scope, "result"))
    if not got or got[0] != " ".join(str(st.session_state.get(f"{scope}_q", "")).split()):
        return None
    return got[1]


def details(ctx: ViewContext, scope: str) -> None:
    """For a postcode: its ward's figures and the nearest service of each type."""
    res = _current(scope)
    if res is None or res["kind"] != "postcode" or not res["ward_code"]:
        return
    with st.container(key=f"nm_search_details_{scope}", border=True):
        st.markdown(f"**Postcode {res['name']}** · {res['ward_name']} ward, {res['lad_name']}")
        _figures(ctx, res)
        _nearest(res["nearest"], _nation(res))


#: What the Welsh index decile means (shown with it; never beside an English decile).
WELSH_DECILE_HELP = ("1 = the tenth of Welsh wards with the highest modelled risk; a modelled "
                     "risk proxy, not a count of ACEs; not comparable with the English index.")


def _nation(res: dict) -> str:
    """The nation of the found ward ("England" or "Wales"), from the result or its code."""
    return res.get("nation") or nation_of(res.get("ward_code") or "")


def _figures(ctx: ViewContext, res: dict) -> None:
    """The found ward's children, index decile and other deciles, from its own nation's tables."""
    if _nation(res) == "Wales":
        _figures_wales(ctx, res["ward_code"])
        return
    code = res["ward_code"]
    need = data.query_df(ctx.token, "SELECT need_measure, need_value, need_decile FROM ward_need "
                                    "WHERE ward_code = $c", {"c": code})
    wards = data.england_table(ctx.token)
    row = wards[wards["ward_code"] == code]
    children = (float(row["children_0_15"].iloc[0]) if len(row) and "children_0_15" in row
                and pd.notna(row["children_0_15"].iloc[0]) else None)
    ace = need[need["need_measure"] == "ace"]
    c1, c2 = st.columns(2)
    c1.metric("Children 0-15", f"{children:,.0f}" if children is not None else "–")
    c2.metric("ACE index decile", f"{int(ace['need_decile'].iloc[0])}"
              if len(ace) and pd.notna(ace["need_decile"].iloc[0]) else "–",
              help="1 = the tenth of English wards with the highest modelled risk. "
                   "A modelled risk proxy, not a count of ACEs.")
    others = need[need["need_measure"] != "ace"].copy()
    if len(others):
        others["Indicator"] = [ALL_LAYERS[m].label if m in ALL_LAYERS else m
                               for m in others["need_measure"]]
        st.caption("The ward's deciles in England (1 = highest need): "
                   + "; ".join(f"{r.Indicator} {int(r.need_decile)}"
                               for r in others.itertuples() if pd.notna(r.need_decile)) + ".")


def _figures_wales(ctx: ViewContext, code: str) -> None:
    """A Welsh ward's figures: the Welsh index decile and WIMD deciles, among Welsh wards only."""
    from needsmap.views.target import need_label  # noqa: PLC0415 - one set of need labels

    info = data.info_for(ctx.token)
    if not (info.has("ward_need_wales") and info.has("ward_indicators_wales")):
        st.caption("This store has no Welsh ward figures (`ward_need_wales`); rebuild it with "
                   "`needsmap build` to see them.")
        return
    need = data.query_df(ctx.token, "SELECT need_measure, need_value, need_decile "
                                    "FROM ward_need_wales WHERE ward_code = $c", {"c": code})
    kids = data.query_df(ctx.token, "SELECT children_0_15 FROM ward_indicators_wales "
                                    "WHERE ward_code = $c", {"c": code})["children_0_15"]
    ace = need[need["need_measure"] == "welsh_ace"]
    c1, c2 = st.columns(2)
    c1.metric("Children 0-15", f"{float(kids.iloc[0]):,.0f}"
              if len(kids) and pd.notna(kids.iloc[0]) else "–")
    c2.metric("Welsh index decile", f"{int(ace['need_decile'].iloc[0])}"
              if len(ace) and pd.notna(ace["need_decile"].iloc[0]) else "–",
              help=WELSH_DECILE_HELP)
    st.caption(f"Welsh index: {NAME_WALES}. {WELSH_DECILE_HELP}")
    order = {m: i for i, m in enumerate(WALES_NEEDS)}
    others = need[need["need_measure"] != "welsh_ace"].sort_values(
        "need_measure", key=lambda m: m.map(order).fillna(len(order)))
    if len(others):
        st.caption("The ward's deciles in Wales (1 = highest need, among Welsh wards): "
                   + "; ".join(f"{need_label(r.need_measure, 'Wales')} {int(r.need_decile)}"
                               for r in others.itertuples() if pd.notna(r.need_decile)) + ".")


def _nearest(near: pd.DataFrame, nation: str = "England") -> None:
    if near is None or near.empty:
        st.caption("No services in this store to measure distances to.")
        return
    show = near[near["rank"] == 1].copy() if "rank" in near else near.copy()
    local = show["list_covers_area"].map(lambda c: not pd.isna(c) and not bool(c)).astype(bool)
    uncovered = show.loc[local, "type_label"].astype(str).tolist()
    show = show[~local]
    st.markdown("**Nearest services** (straight line from the postcode)")
    table = pd.DataFrame({
        "Service": show["type_label"].astype(str).to_numpy(),
        "Nearest": show["name"].astype(str).to_numpy(),
        "km": [f"{v:.2f}" for v in show["distance_km"]]}).set_index("Service")
    st.table(table)  # an HTML table: short, and readable by screen readers
    if show["service_type"].isin(GROUP_TYPES).any():  # a far "nursery" may be a gap in the list
        st.caption(COVERAGE_NOTE)
    if uncovered:
        why = ("their open lists cover England only; upload your own in Upload services"
               if nation == "Wales" else "their lists are kept by other areas")
        st.caption(f"Not listed for this area ({why}): " + ", ".join(uncovered) + ".")


def found(scope: str) -> Found | None:
    """The current result (for the map marker), or ``None``."""
    res = _current(scope)
    if res is None:
        return None
    return Found(res["kind"], res["message"], res["lon"], res["lat"], res["name"] or "")


def overlay(scope: str) -> list[maps.OverlayGroup]:
    """The searched postcode as a map overlay (empty for anything else)."""
    f = found(scope)
    if f is None or f.kind != "postcode" or f.lon is None or f.lat is None:
        return []
    return [maps.OverlayGroup(f"Postcode {f.label}", POINT_STYLE[0], POINT_STYLE[1],
                              [[round(f.lat, 6), round(f.lon, 6), f.label, f.message]], size=26)]


__all__ = ["Found", "box", "details", "found", "overlay", "params", "prepare"]
