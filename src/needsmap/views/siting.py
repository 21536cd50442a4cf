"""Target's siting section: where would N more sites reach the most children? (UI only).

The model is :mod:`needsmap.access.siting` (MCLP / p-median, PySAL spopt + HiGHS), its
inputs :func:`needsmap.access.siting_inputs.read_inputs`, its words and files
:mod:`needsmap.access.siting_report`. This module draws the settings (kept in the URL),
runs the model once per set of inputs (cached, under a time limit per solve), and shows
the result: a map of the existing and proposed sites with their straight-line
catchments, before/after figures, the gain curve, the wards still beyond the radius, the
assumptions in words beside the figures, and the downloads.

Target calls :func:`render` in one place, for the LA chosen there.
"""

from __future__ import annotations

import hashlib

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from needsmap.access.nation_tables import ENGLAND, WALES, WORD, nation_of
from needsmap.access.siting import MODELS
from needsmap.access.siting_inputs import CANDIDATE_SETS
from needsmap.ingest.services.vocab import SERVICE_TYPES
from needsmap.views import data, maps
from needsmap.views import nation_data as nd
from needsmap.views._memo import Unhashed, memo
from needsmap.views.context import ViewContext
from needsmap.views.layers import ALL_LAYERS
from needsmap.views.state import Param, Restored, as_int, ensure_choice, url_problem

UPLOAD = "_upload"
NONE = "none"
MAP_KEY = "tg_site_map"
#: Seconds for the solves of one run (shared by the counts 1..N of the gain curve, at least
#: MIN_SOLVE_S each); a solve stopped by it is reported with its gap, or the greedy choice.
TIME_BUDGET_S = 60.0
MIN_SOLVE_S = 3.0
#: Candidate sets offered in the app (keys of CANDIDATE_SETS).
CANDIDATES = ("libraries", "schools", "gp_practices", "lsoa_centroids")
RADII = ["0.5", "0.75", "1", "1.5", "2", "3", "5"]
NS = list(range(1, 11))

#: Existing (blue squares, dashed circles) and proposed (vermilion stars, solid circles).
EXISTING_STYLE = ("#0072B2", "square")
PROPOSED_STYLE = ("#D55E00", "star")
#: Ward classes after the proposed sites open.
WARD_COLOURS = ("#dcdae4", "#b9a8dc", "#6a5fa8")
WARD_LABELS = ("All children within reach", "Some children beyond", "Most children beyond")
WARD_SHORT = ("None beyond", "Some beyond", "Most beyond")

PARAMS = [
    Param("tg_site_on", "site", "0"),
    Param("tg_site_type", "site_type", "family_hub"),
    Param("tg_site_cand", "site_cand", "libraries"),
    Param("tg_site_n", "site_n", 3, str, as_int),
    Param("tg_site_km", "site_km", "1.5"),
    Param("tg_site_model", "site_model", "mclp"),
    Param("tg_site_need", "site_need", "ace"),
]


#: Need weights offered, per nation (each ranked among the nation's wards only).
NEED_OPTIONS = {ENGLAND: ("ace", "imd_score", "child_poverty_rate"),
                WALES: ("welsh_ace", "wimd_score", "cilif_rate")}
#: Candidate sets offered in Wales: GIAS (schools) covers England only.
WALES_CANDIDATES = ("libraries", "gp_practices", "lsoa_centroids")


def _need_label(m: str) -> str:
    if m == NONE:
        return "None: every child counts the same"
    if m == "ace":
        return "ACE index (modelled risk) decile"
    if m == "welsh_ace":
        return "Welsh ACE index (modelled risk, WIMD 2019) decile"
    if m == "wimd_score":
        return "WIMD 2019 score decile"
    if m == "cilif_rate":
        return "Children in low income families (CiLIF) decile"
    return (ALL_LAYERS[m].label if m in ALL_LAYERS else m) + " decile"


@memo(maxsize=16)
def _run(token: str, lad: str, existing: str, candidates: str, n: int, km: float, model: str,
         need: str, digest: str, upload):  # noqa: ANN001, ANN202 - Unhashed upload list
    """Inputs and result of one siting run (cached per inputs; ``upload`` is not hashed,
    ``digest`` names it)."""
    from needsmap.access.siting import SitingProblem, solve
    from needsmap.access.siting_cli import _quiet_highs_banner
    from needsmap.access.siting_inputs import read_inputs

    ex: object = existing
    if existing == UPLOAD:
        up = upload.value
        ex = up.assign(site_id=[f"upload:{i}" for i in range(1, len(up) + 1)])
    elif existing == NONE:
        ex = None
    cur = data.cursor(token)
    try:
        inputs = read_inputs(cur, lad, existing=ex, candidates=candidates,
                             need=None if need == NONE else need)
    finally:
        cur.close()
    if inputs.candidates.empty:
        raise ValueError(f"no candidate sites in the area ({inputs.settings['candidates']})")
    _quiet_highs_banner()  # highspy's banner would land in the server's log
    problem = SitingProblem.from_frames(inputs.demand, inputs.existing, inputs.candidates, km)
    result = solve(problem, n, model, time_limit=max(MIN_SOLVE_S, TIME_BUDGET_S / n))
    return inputs, result


def _restore(restored: Restored, types: list[str], needs: list[str],
             cands: tuple[str, ...] = CANDIDATES) -> None:
    checks = (
        ("site", "tg_site_on", ["0", "1"], "0 or 1"),
        ("site_type", "tg_site_type", types, "a service type (valid: " + ", ".join(types) + ")"),
        ("site_cand", "tg_site_cand", list(cands), "a candidate set (valid: "
         + ", ".join(cands) + ")"),
        ("site_n", "tg_site_n", NS, "a number of sites from 1 to 10"),
        ("site_km", "tg_site_km", RADII, "a radius in km (" + ", ".join(RADII) + ")"),
        ("site_model", "tg_site_model", list(MODELS), "a model (valid: " + ", ".join(MODELS) + ")"),
        ("site_need", "tg_site_need", needs, "a need weight (valid: " + ", ".join(needs) + ")"),
    )
    for name, key, options, what in checks:
        if name in restored and (name in restored.bad or st.session_state.get(key) not in options):
            url_problem(name, restored.raw[name], f"not {what}; the default is used.")
            st.session_state.pop(key, None)


def _start() -> None:
    st.session_state["tg_site_on"] = "1"


def render(ctx: ViewContext, lad: str | None, restored: Restored, needs: list[str],
           nation: str = ENGLAND, covered: list[str] | None = None) -> None:
    """The siting section for the LA ``lad`` (``None``: ask for one).

    ``nation`` is the LA's (its need weights are ranked among its nation's wards only);
    in Wales the existing-service types are those whose lists cover Wales (``covered``)
    and the candidates exclude GIAS schools.
    """
    st.markdown("### Where would N more sites reach the most children?")
    st.caption("Choose N new sites among candidate buildings so that the most children (weighted "
               "by need, if you like) live within a radius of a site, with the existing services "
               "kept open. A model, not a decision: see the assumptions beside the result.")
    if lad is None:
        st.info("Choose one local authority in the sidebar to run the siting model.",
                icon=":material/info:")
        return
    upload = ctx.session_services
    welsh = nation == WALES
    types = [*([t for t in SERVICE_TYPES if t in (covered or [])] if welsh else SERVICE_TYPES),
             NONE]
    if not upload.empty and {"easting", "northing"} <= set(upload.columns):
        types.insert(0, UPLOAD)
    cands = WALES_CANDIDATES if welsh else CANDIDATES
    need_opts = [m for m in NEED_OPTIONS[nation] if m in needs] + [NONE]
    if st.session_state.get("tg_site_need") in ("ace", "welsh_ace"):  # the index, either nation
        st.session_state["tg_site_need"] = need_opts[0]
    _restore(restored, types, need_opts, cands)
    default_type = "gp_practice" if welsh and "gp_practice" in types else (
        "family_hub" if "family_hub" in types else types[0])
    for key, opts, default in (
            ("tg_site_on", ["0", "1"], "0"),
            ("tg_site_type", types, default_type),
            ("tg_site_cand", list(cands), "libraries"),
            ("tg_site_n", NS, 3),
            ("tg_site_km", RADII, "1.5"),
            ("tg_site_model", list(MODELS), "mclp"),
            ("tg_site_need", need_opts, need_opts[0])):
        ensure_choice(key, opts, default)
        st.session_state.setdefault(key, default)
    labels = dict(SERVICE_TYPES) | {UPLOAD: f"Your uploaded list ({len(upload):,} services)",
                                    NONE: "None (no existing service)"}
    with st.form("tg_site_form", border=True):
        c1, c2, c3 = st.columns(3)
        c1.selectbox("Existing services (kept open)", types, key="tg_site_type",
                     format_func=lambda t: labels.get(t, t),
                     help="Every service of this type in England and Wales counts, including "
                          "any just across the border. Upload your own list in Upload services."
                          + (" In Wales: GP practices and libraries (the open lists with "
                             "Welsh services)." if welsh else ""))
        c2.selectbox("Candidate sites", list(cands), key="tg_site_cand",
                     format_func=lambda c: CANDIDATE_SETS[c][1],
                     help="Welsh schools are not in the open lists (GIAS covers England only)."
                     if welsh else None)
        c3.selectbox("Need weight", need_opts, key="tg_site_need", format_func=_need_label,
                     help="Children in higher-need wards count more: weight 1 + (10 - national "
                          f"decile) / 9, so a child in the highest-need tenth of {WORD[nation]} "
                          "wards counts 2 and one in the lowest tenth counts 1.")
        c4, c5, c6 = st.columns(3)
        c4.select_slider("New sites (N)", NS, key="tg_site_n")
        c5.select_slider("Radius (km, straight line)", RADII, key="tg_site_km")
        c6.radio("Model", list(MODELS), key="tg_site_model", horizontal=True,
                 format_func=lambda m: {"mclp": "Most children within the radius (MCLP)",
                                        "pmedian": "Shortest mean distance (p-median)"}.get(m, m))
        st.form_submit_button("Find the sites", type="primary", icon=":material/add_location:",
                              on_click=_start)
    if st.session_state.get("tg_site_on") != "1":
        st.caption("Set the options and press **Find the sites**. A run takes a few seconds; "
                   "p-median with many candidates (LSOA points in a city) can take a minute, "
                   "and stops there with the best choice found so far.")
        return
    existing = st.session_state["tg_site_type"]
    digest = st.session_state.get("upload_digest", "") if existing == UPLOAD else ""
    args = (ctx.token, lad, existing, st.session_state["tg_site_cand"],
            int(st.session_state["tg_site_n"]), float(st.session_state["tg_site_km"]),
            st.session_state["tg_site_model"], st.session_state["tg_site_need"], digest)
    try:
        with st.spinner("Solving the siting model (each number of sites to optimality)…"):
            inputs, result = _run(*args, Unhashed(upload))
    except (KeyError, ValueError, RuntimeError) as exc:
        st.warning(f"The siting model could not run: {exc.args[0] if exc.args else exc}",
                   icon=":material/warning:")
        return
    _result(ctx, lad, inputs, result, labels.get(existing, existing), args)


def _result(ctx: ViewContext, lad: str, inputs, result, existing_label: str,  # noqa: ANN001
            args: tuple) -> None:
    from needsmap.access.siting_report import assumptions, tables

    p = result.params
    km = float(p["radius_km"])
    cov = result.coverage.set_index("scenario")
    b, a = cov.loc["before"], cov.loc["after"]
    with st.container(key="nm_site_result"):
        k1, k2, k3, k4 = st.columns(4)
        k1.metric(f"Children within {km:g} km, before", f"{b['children_covered']:,.0f}",
                  help=f"{b['share_children_covered']:.1%} of {b['children']:,.0f} children")
        k2.metric(f"After {p['n']} new site{'s' if p['n'] > 1 else ''}",
                  f"{a['children_covered']:,.0f}",
                  delta=f"{a['children_covered'] - b['children_covered']:+,.0f} children",
                  help=f"{a['share_children_covered']:.1%} of the children")
        k3.metric("Need-weighted share, before → after",
                  f"{b['share_weighted_covered']:.0%} → {a['share_weighted_covered']:.0%}")
        k4.metric("Mean distance (need-weighted)",
                  f"{a['mean_km_weighted']:.2f} km",
                  delta=f"{a['mean_km_weighted'] - b['mean_km_weighted']:+.2f} km",
                  delta_color="inverse",
                  help=f"Before: {b['mean_km_weighted']:.2f} km to the nearest open site")
        tabs = tables(result)
        sites = tabs["sites"]
        left, right = st.columns([3, 2], gap="medium")
        with left:
            st.markdown("**Existing and proposed sites, with their catchments**")
            _map(ctx, lad, result, sites, km, existing_label)
            st.markdown("**Gain curve: the best choice for each number of new sites**")
            _gain_curve(result, km)
        with right:
            st.markdown("**Proposed sites** (in the order each adds most)")
            prop = sites[sites["status"] == "proposed"] if len(sites) else sites
            if len(prop):
                st.dataframe(prop[["order", "name", "children_newly_covered",
                                   "weighted_newly_covered", "children_nearest", "ward_name"]]
                             .rename(columns={"order": "#", "name": "Site", "ward_name": "Ward",
                                              "children_newly_covered": "Children newly reached",
                                              "weighted_newly_covered": "Need-weighted",
                                              "children_nearest": "Nearest for"})
                             if "ward_name" in prop else prop, hide_index=True, width="stretch",
                             key="tg_site_table", column_config={
                                 "Site": st.column_config.TextColumn(width="medium"),
                                 "Children newly reached": st.column_config.NumberColumn(format="%.0f"),
                                 "Need-weighted": st.column_config.NumberColumn(format="%.0f"),
                                 "Nearest for": st.column_config.NumberColumn(format="%.0f")})
            with st.container(border=True, key="nm_site_assumptions"):
                st.markdown("**A model, not a decision.** What drives this result:")
                st.markdown("\n".join(f"- {line}" for line in assumptions(result, inputs)[1:]))
            unc = result.uncovered_wards
            st.markdown(f"**Wards with children still beyond {km:g} km** ({len(unc):,})")
            if len(unc):
                st.dataframe(unc[["ward_name", "need_decile", "children_uncovered",
                                  "share_uncovered"]].rename(columns={
                                      "ward_name": "Ward", "need_decile": "Need decile",
                                      "children_uncovered": "Children beyond",
                                      "share_uncovered": "Share"}),
                             hide_index=True, width="stretch", height=260, column_config={
                                 "Need decile": st.column_config.NumberColumn(format="%d"),
                                 "Children beyond": st.column_config.NumberColumn(format="%.0f"),
                                 "Share": st.column_config.ProgressColumn(
                                     format="percent", min_value=0.0, max_value=1.0)})
                st.caption("Most need-weighted children beyond first.")
            else:
                st.caption("Every child in the area lives within the radius of an open site.")
        _downloads(result, inputs, ctx.lad_name(lad), args)


def _map(ctx: ViewContext, lad: str, result, sites: pd.DataFrame, km: float,  # noqa: ANN001
         existing_label: str) -> None:
    geom = (nd.area_geometry(ctx.token, (lad,)) if nation_of(lad) == WALES
            else data.area_geometry(ctx.token, (lad,)))
    unc = result.uncovered_wards
    share = dict(zip(unc["ward_code"], unc["share_uncovered"], strict=True)) if len(unc) else {}
    beyond = dict(zip(unc["ward_code"], unc["children_uncovered"], strict=True)) if len(unc) else {}
    dec = (result.demand.groupby("ward_code")["need_decile"].first()
           if "need_decile" in result.demand else pd.Series(dtype=float))
    k = [0 if c not in share else (2 if share[c] >= 0.5 else 1) for c in geom.codes]
    values = [WARD_LABELS[i] for i in k]
    extra = [[f"{beyond[c]:,.0f} children beyond {km:g} km after" if c in beyond else ""
              for c in geom.codes],
             [f"Need decile {int(dec[c])} in {nation_of(lad)}" if c in dec.index and pd.notna(dec[c])
              else "" for c in geom.codes]]
    sig = hashlib.sha1(np.asarray(k, dtype=np.int8).tobytes() + geom.key.encode()
                       + str(km).encode()).hexdigest()[:12]
    style = maps.Style(f"tg-site-{sig}", "After the new sites", k, values, WARD_COLOURS, extra)
    counts = [k.count(i) for i in range(3)]
    legend = maps.Legend("Wards after the new sites", [
        (WARD_COLOURS[i], WARD_LABELS[i], f"{counts[i]:,}", WARD_SHORT[i]) for i in range(3)],
        foot=f"Circles: {km:g} km straight line around each site (dashed: existing).")

    def rows(df: pd.DataFrame, proposed: bool) -> list[list[object]]:
        out = []
        for r in df.itertuples():
            detail = (f"Proposed site {int(r.order)}: {r.children_newly_covered:,.0f} children "
                      f"newly within {km:g} km" if proposed else
                      f"{r.children_within_radius:,.0f} children within {km:g} km")
            out.append([round(float(r.lat), 6), round(float(r.lon), 6), str(r.name), detail])
        return out

    ex = sites[sites["status"] == "existing"] if len(sites) else sites
    pr = sites[sites["status"] == "proposed"] if len(sites) else sites
    overlay = []
    if len(ex):
        overlay.append(maps.OverlayGroup(f"Existing: {existing_label}", *EXISTING_STYLE,
                                         rows(ex, False), radius_m=km * 1000, dashed=True, size=18))
    if len(pr):
        overlay.append(maps.OverlayGroup("Proposed site", *PROPOSED_STYLE, rows(pr, True),
                                         radius_m=km * 1000, size=26))
    maps.ward_map(geom, style, legend, key=MAP_KEY, basemap="light", height=470,
                  canvas=geom.n > 1500, overlay=overlay,
                  title="Map of existing and proposed sites with their straight-line catchments. "
                        "The tables beside it hold the same sites and wards.",
                  note="Click a site for its name; hover over a ward for its children beyond "
                       "the radius.")


def _gain_curve(result, km: float) -> None:  # noqa: ANN001
    g = result.gains
    model = result.params["model"]
    if model == "mclp":
        y, title, gain, gtitle = ("children_covered", f"Children within {km:g} km",
                                  "gain_children_covered", "Gain from this site (children)")
    else:
        y, title, gain, gtitle = ("mean_km_weighted", "Need-weighted mean distance (km)",
                                  "gain_mean_km_weighted", "Gain from this site (km nearer)")
    plot = g.assign(gain=g[gain].fillna(0.0))
    base = alt.Chart(plot).encode(x=alt.X("new_sites:O", title="New sites",
                                          axis=alt.Axis(labelAngle=0)))
    line = base.mark_line(point=alt.OverlayMarkDef(size=60, filled=True), color="#6a5fa8").encode(
        y=alt.Y(f"{y}:Q", title=title, scale=alt.Scale(zero=False)),
        tooltip=[alt.Tooltip("new_sites:O", title="New sites"),
                 alt.Tooltip(f"{y}:Q", title=title, format=",.2f" if model != "mclp" else ",.0f"),
                 alt.Tooltip("gain:Q", title=gtitle, format=",.2f" if model != "mclp" else ",.0f"),
                 alt.Tooltip("sites:N", title="Sites")])
    bars = base.transform_filter("datum.new_sites > 0").mark_bar(color="#E69F00",
                                                                 opacity=0.8).encode(
        y=alt.Y("gain:Q", title=gtitle))
    st.altair_chart(alt.vconcat(line.properties(height=170), bars.properties(height=110))
                    .resolve_scale(x="shared"), width="stretch", key="tg_site_gain")
    st.caption("Top: the optimum for each number of new sites (each solved on its own, so the "
               "best 3 need not include the best 2). Bottom: what each extra site adds; where "
               "the bars shrink, one more site stops paying.")


@memo(maxsize=8)
def _files(args: tuple, stem: str, payload) -> dict[str, bytes]:  # noqa: ANN001
    """The export files of a run (cached per run inputs; ``payload`` not hashed)."""
    from needsmap.access.siting_report import export_files

    result, inputs = payload.value
    return export_files(result, inputs, stem=stem)


def _downloads(result, inputs, area: str, args: tuple) -> None:  # noqa: ANN001
    stem = f"needsmap_siting_{area}".replace(" ", "_")
    out = _files(args, stem, Unhashed((result, inputs)))
    st.markdown("**Download this result**")
    c1, c2, c3 = st.columns(3)
    c1.download_button("CSV (sites)", out[f"{stem}_sites.csv"], f"{stem}_sites.csv", "text/csv",
                       icon=":material/download:", width="stretch", on_click="ignore")
    c2.download_button("Excel (XLSX, every table)", out[f"{stem}.xlsx"], f"{stem}.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       icon=":material/download:", width="stretch", on_click="ignore")
    if f"{stem}.gpkg" in out:
        c3.download_button("GeoPackage (sites, catchments, demand)", out[f"{stem}.gpkg"],
                           f"{stem}.gpkg", "application/geopackage+sqlite3",
                           icon=":material/download:", width="stretch", on_click="ignore")
    st.caption("The Excel file holds the sites, coverage before and after, the gain curve, the "
               "wards beyond the radius, the demand points, every setting and the assumptions. "
               "Other tables as CSV: `needsmap site --out DIR` on the command line.")


__all__ = ["PARAMS", "render"]
