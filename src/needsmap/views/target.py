"""Target (commissioners): high-need wards ranked by distance to a chosen service type.

Uses :func:`needsmap.access.gaps` (the ``ward_gaps`` logic: wards in the top need
deciles whose children are furthest from the service type, ranked for commissioning),
filtered by LA, need decile and distance. Shows the need-versus-access quadrant chart,
the gap flags, and exports the list as CSV, XLSX and GeoPackage (escaped).
"""

from __future__ import annotations

import datetime as dt

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from needsmap import CAVEAT
from needsmap.ingest.services.vocab import SERVICE_TYPES
from needsmap.views import data, exports, layout
from needsmap.views.context import ViewContext
from needsmap.views.layers import ALL_LAYERS
from needsmap.views.state import Param, as_int, ensure_choice, restore, sync

ALL = "__all__"

PARAMS = [
    Param("tg_lad", "lad", ALL),
    Param("tg_service", "service", "gp_practice"),
    Param("tg_need", "need", "ace"),
    Param("tg_deciles", "deciles", 2, str, as_int),
    Param("tg_far", "far", 20, str, as_int),
    Param("tg_min_km", "min_km", "0.00"),
    Param("tg_only_gaps", "only_gaps", "0"),
]

NEED_LABELS = {"ace": "ACE index (modelled risk, default weights)"} | {
    k: lay.label for k, lay in ALL_LAYERS.items() if k != "ace"}


def _type_labels() -> dict[str, str]:
    return dict(SERVICE_TYPES)


@st.cache_data(max_entries=64, show_spinner=False)
def _gaps(token: str, service_type: str, need: str, top_deciles: int, furthest: float,
          lad_code: str | None) -> pd.DataFrame:
    from needsmap.access import gaps

    cur = data.cursor(token)
    try:
        return gaps(cur, service_type, need=need, top_deciles=top_deciles,
                    furthest_share=furthest, lad_code=lad_code)
    finally:
        cur.close()


@st.cache_data(max_entries=8, show_spinner=False)
def _choices(token: str) -> tuple[list[str], list[str]]:
    types = data.query_df(token, "SELECT DISTINCT service_type FROM ward_access ORDER BY 1")
    needs = data.query_df(token, "SELECT DISTINCT need_measure FROM ward_need ORDER BY 1")
    return list(types["service_type"]), list(needs["need_measure"])


@st.cache_data(max_entries=8, show_spinner=False)
def _ward_wkb(token: str, codes: tuple[str, ...]) -> pd.DataFrame:
    return data.query_df(token, "SELECT ward_code, ST_AsWKB(geom) AS wkb FROM ward_indicators "
                                "WHERE list_contains($codes, ward_code)", {"codes": list(codes)})


def render(ctx: ViewContext) -> None:
    """Draw the Target view."""
    restore(PARAMS, "target")
    info, token = ctx.info, ctx.token
    st.html('<h1 class="nm-title">Target: where need is high and services are far</h1>'
            '<div class="nm-sub">Wards in the highest need deciles whose children live '
            "furthest (straight line) from a chosen type of service, ranked for commissioning."
            "</div>")
    layout.caveat()
    need_tables = [t for t in ("ward_access", "ward_need") if t not in info.tables]
    if need_tables:
        st.warning("Target needs the services and access stages: the store has no "
                   + ", ".join(f"`{t}`" for t in need_tables)
                   + " table. Rebuild it with `needsmap build` (services are read from the "
                     "GIAS, NHS ODS and libraries files).", icon=":material/warning:")
        return
    types, needs = _choices(token)
    if not types:
        st.warning("No service type has access figures in this store.")
        return
    tl = _type_labels()
    lad_opts = [ALL, *ctx.lads["lad_code"]]
    names = dict(zip(ctx.lads["lad_code"], ctx.lads["lad_name"], strict=True))
    picked = [c for c in (ctx.selected_lads or st.session_state.get("ex_area") or [])
              if c in lad_opts[1:]]
    default_lad = picked[0] if len(picked) == 1 else (lad_opts[1] if len(lad_opts) == 2 else ALL)
    for key, opts, default in (("tg_lad", lad_opts, default_lad),
                               ("tg_service", types, "gp_practice" if "gp_practice" in types else types[0]),
                               ("tg_need", needs, "ace" if "ace" in needs else needs[0])):
        ensure_choice(key, opts, default)
        st.session_state.setdefault(key, default)
    ensure_choice("tg_deciles", list(range(1, 11)), 2)
    st.session_state.setdefault("tg_deciles", 2)
    ensure_choice("tg_far", list(range(5, 55, 5)), 20)
    st.session_state.setdefault("tg_far", 20)
    st.session_state.setdefault("tg_min_km", "0.00")
    st.session_state.setdefault("tg_only_gaps", "0")
    all_label = "All England" if info.is_england else "All local authorities in the store"

    with st.sidebar:
        st.subheader("Target", anchor=False)
        st.selectbox("Local authority", lad_opts, key="tg_lad", persist_state="session",
                     format_func=lambda c: all_label if c == ALL else names.get(c, c),
                     help="Ranks are within the LA when one is chosen.")
        st.selectbox("Service type", types, key="tg_service", persist_state="session", format_func=lambda t: tl.get(t, t))
        st.selectbox("Need measure", needs, key="tg_need", persist_state="session",
                     format_func=lambda n: NEED_LABELS.get(n, n))
        st.select_slider("High need = the top … national deciles", list(range(1, 11)),
                         key="tg_deciles", persist_state="session", help="1 = the highest-need tenth of English wards.")
        st.select_slider("Far = the furthest …% of English wards", list(range(5, 55, 5)),
                         key="tg_far", persist_state="session", format_func=lambda v: f"{v}%",
                         help="By children's mean straight-line distance to the nearest service "
                              "of this type.")
        st.segmented_control("Show", ["0", "1"], key="tg_only_gaps", persist_state="session", required=True,
                             format_func=lambda v: "All high-need wards" if v == "0"
                             else "Flagged gaps only")

    lad = None if st.session_state["tg_lad"] == ALL else st.session_state["tg_lad"]
    service, need = st.session_state["tg_service"], st.session_state["tg_need"]
    deciles, far = int(st.session_state["tg_deciles"]), int(st.session_state["tg_far"]) / 100
    df = _gaps(token, service, need, deciles, far, lad)
    if lad is None and not info.is_england:
        df = df[df["lad_code"].isin(ctx.lads["lad_code"])]
    national = _gaps(token, service, need, deciles, far, None)
    far_km = _far_threshold(national, far)

    max_km = float(np.nanmax(df["mean_km_child_weighted"])) if len(df) else 0.0
    with st.sidebar:
        steps = [f"{x:.2f}" for x in np.arange(0, max(max_km, 0.5) + 0.25, 0.25)]
        ensure_choice("tg_min_km", steps, "0.00")
        st.select_slider("Children's mean distance at least (km)", steps, key="tg_min_km", persist_state="session")
    min_km = float(st.session_state["tg_min_km"])

    need_label = NEED_LABELS.get(need, need)
    if len(df) and df["need_measure"].iloc[0] != need:
        st.info(f"The store has no {need_label}; need is measured by "
                f"{NEED_LABELS.get(df['need_measure'].iloc[0], df['need_measure'].iloc[0])}.")
    high = df[df["high_need"].fillna(False).astype(bool)]
    shown = high[high["mean_km_child_weighted"].fillna(0) >= min_km]
    if st.session_state["tg_only_gaps"] == "1":
        shown = shown[shown["gap_flag"].fillna(False).astype(bool)]
    shown = shown.sort_values("commissioning_rank")

    flagged = df[df["gap_flag"].fillna(False).astype(bool)]
    k1, k2, k3, k4 = st.columns(4)
    k1.metric("Wards in area", f"{len(df):,}")
    k2.metric(f"High need (top {deciles} deciles)", f"{len(high):,}")
    k3.metric("Flagged gaps", f"{len(flagged):,}",
              help=f"High need and among the furthest {far:.0%} of English wards from a "
                   f"{tl.get(service, service)}.")
    k4.metric("Children in flagged wards", f"{flagged['children_0_15'].sum():,.0f}")

    left, right = st.columns([5, 4], gap="medium")
    with left:
        st.markdown(f"**Ranked wards** · need: {need_label} · service: {tl.get(service, service)}")
        _ranked_table(shown)
    with right:
        st.markdown("**Need versus access**")
        _quadrant(df, deciles, far_km, tl.get(service, service))
    _exports(ctx, shown, service, need_label, lad, names)
    sync(PARAMS, extra={"view": "target"})


def _far_threshold(national: pd.DataFrame, far: float) -> float | None:
    """Distance (km) above which a ward is among the furthest ``far`` share nationally."""
    if national.empty or "access_percentile" not in national:
        return None
    cut = national[national["access_percentile"] >= 1 - far]["mean_km_child_weighted"]
    return float(cut.min()) if len(cut) else None


def _ranked_table(shown: pd.DataFrame) -> None:
    cols = {"commissioning_rank": "Rank", "ward_name": "Ward", "lad_name": "LA",
            "need_decile": "Need decile", "mean_km_child_weighted": "Mean km (children)",
            "share_children_within_1km": "Children ≤1 km", "share_children_within_2km": "Children ≤2 km",
            "n_services": "Services in ward", "children_0_15": "Children 0-15", "gap_flag": "Gap"}
    show = shown[[c for c in cols if c in shown.columns]].rename(columns=cols).copy()
    for c in ("Children ≤1 km", "Children ≤2 km"):
        if c in show:
            show[c] = show[c] * 100
    st.dataframe(show, hide_index=True, width="stretch", height=420, column_config={
        "Rank": st.column_config.NumberColumn(format="%d"),
        "Need decile": st.column_config.NumberColumn(format="%d", help="1 = highest need nationally"),
        "Mean km (children)": st.column_config.NumberColumn(format="%.2f"),
        "Children ≤1 km": st.column_config.ProgressColumn(format="%.0f%%", min_value=0, max_value=100),
        "Children ≤2 km": st.column_config.ProgressColumn(format="%.0f%%", min_value=0, max_value=100),
        "Children 0-15": st.column_config.NumberColumn(format="localized"),
        "Gap": st.column_config.CheckboxColumn(help="High need and far from this service type"),
    })
    if shown.empty:
        st.caption("No ward matches these filters.")
    else:
        st.caption(f"{len(shown):,} wards. Click a column header to sort. Distances are straight "
                   "lines from each LSOA's centre to the nearest service, averaged over children.")


def _quadrant(df: pd.DataFrame, deciles: int, far_km: float | None, service_label: str) -> None:
    if df.empty:
        st.caption("No wards.")
        return
    n = max(int(df["need_rank"].max() or 1), 1)
    plot = pd.DataFrame({
        "Ward": df["ward_name"], "LA": df["lad_name"],
        "km": df["mean_km_child_weighted"],
        "need": 100 * (1 - (df["need_rank"] - 1) / n),
        "Need decile": df["need_decile"],
        "group": np.where(df["gap_flag"].fillna(False).astype(bool), "Flagged gap",
                          np.where(df["high_need"].fillna(False).astype(bool), "High need",
                                   "Other wards")),
    }).dropna(subset=["km", "need"])
    if len(plot) > 5000:
        plot = pd.concat([plot[plot["group"] != "Other wards"],
                          plot[plot["group"] == "Other wards"].sample(4000, random_state=1)])
    colour = alt.Color("group:N", title=None, scale=alt.Scale(
        domain=["Flagged gap", "High need", "Other wards"], range=["#d6006f", "#3b2c85", "#b9b7c4"]),
        legend=alt.Legend(orient="bottom"))
    pts = alt.Chart(plot).mark_circle(opacity=0.8, stroke="#ffffff", strokeWidth=0.4).encode(
        x=alt.X("km:Q", title=f"Children's mean distance to nearest {service_label} (km)"),
        y=alt.Y("need:Q", title="Need percentile in England (100 = highest)",
                scale=alt.Scale(domain=[0, 100])),
        color=colour,
        size=alt.condition(alt.datum.group == "Other wards", alt.value(25), alt.value(70)),
        tooltip=["Ward:N", "LA:N", alt.Tooltip("km:Q", format=".2f", title="Mean km"),
                 "Need decile:Q", alt.Tooltip("group:N", title="Group")],
    )
    layers = [pts]
    layers.append(alt.Chart(pd.DataFrame({"y": [100 - 10 * deciles]})).mark_rule(
        strokeDash=[4, 3], color="#55535f").encode(y="y:Q"))
    if far_km is not None:
        layers.append(alt.Chart(pd.DataFrame({"x": [far_km]})).mark_rule(
            strokeDash=[4, 3], color="#55535f").encode(x="x:Q"))
    st.altair_chart(alt.layer(*layers).properties(height=400), width="stretch")
    st.caption("Top right: higher modelled need and further from this service, where a new or "
               "outreach service would reach most children. Dashed lines are the thresholds "
               "set in the sidebar.")


def _exports(ctx: ViewContext, shown: pd.DataFrame, service: str, need_label: str,
             lad: str | None, names: dict[str, str]) -> None:
    st.markdown("**Export this list**")
    if shown.empty:
        st.caption("Nothing to export with these filters.")
        return
    stem = f"needsmap_target_{service}_{names.get(lad, 'all') if lad else 'all'}".replace(" ", "_")
    notes = [CAVEAT, f"Need measure: {need_label}.", f"Service type: {service}.",
             f"Exported {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC from {ctx.info.path}.",
             *layout.attribution_lines(data.sources(ctx.token))]
    c1, c2, c3 = st.columns(3)
    c1.download_button("CSV", exports.to_csv(shown), f"{stem}.csv", "text/csv",
                       icon=":material/download:", width="stretch", on_click="ignore")
    c2.download_button("Excel (XLSX)", exports.to_xlsx(shown, "wards", notes), f"{stem}.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       icon=":material/download:", width="stretch", on_click="ignore")
    wkb = _ward_wkb(ctx.token, tuple(shown["ward_code"]))
    geo = shown.merge(wkb, on="ward_code", how="inner")
    if len(geo):
        c3.download_button("GeoPackage", _gpkg(geo), f"{stem}.gpkg",
                           "application/geopackage+sqlite3", icon=":material/download:",
                           width="stretch", on_click="ignore")
    else:
        c3.caption("GeoPackage: these wards have no boundaries in this store.")
    if 0 < len(geo) < len(shown):
        st.caption(f"The GeoPackage holds the {len(geo):,} wards with boundaries in this store.")


def _gpkg(geo: pd.DataFrame) -> bytes:
    return exports.to_gpkg(geo.drop(columns=["wkb"]), geo["wkb"])
