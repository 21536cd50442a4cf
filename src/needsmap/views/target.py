"""Target (commissioners): where need is high and children live far from a service.

Uses :func:`needsmap.access.gaps` with a rule from :mod:`needsmap.access.gaprules`
(the default, "far for this area", compares each ward with its own LA's wards as well as
with England, so a town or city sees where its own children are furthest and a rural
gap is never hidden). The page states the rule in words, shows how many wards every
rule would flag, maps the flagged wards beside the ranked list, plots need against
access on fixed national axes, and exports the list (CSV, XLSX, GeoPackage) with
readable column labels and every setting that produced it. A service list uploaded in
the session can be the service type.

One nation at a time (issue 21): a Welsh LA's list is computed among Welsh wards only
(``gaps(nation="Wales")``: need from the Welsh index or WIMD 2019, "national" thresholds
among Welsh wards), an English LA's among English wards; the two are never ranked together.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from needsmap import CAVEAT
from needsmap.access import gaprules
from needsmap.access.early_years import BASES, COVERAGE_NOTE, GROUP
from needsmap.access.nation_tables import (
    ENGLAND,
    NATIONS,
    WALES,
    WORD,
    in_nation_words,
    nation_of,
)
from needsmap.areas.weights import POOR_FIT_NOTE
from needsmap.index.wales import CAVEAT_WALES
from needsmap.ingest.services.vocab import SERVICE_TYPES
from needsmap.scope import UnknownArea, resolve_la
from needsmap.views import basis as B
from needsmap.views import data, exports, layout, maps, nations
from needsmap.views import nation_data as nd
from needsmap.views import search as search_ui
from needsmap.views import siting as siting_ui
from needsmap.views._memo import Unhashed, memo
from needsmap.views.context import ViewContext
from needsmap.views.layers import ALL_LAYERS
from needsmap.views.state import (
    Param,
    Restored,
    as_int,
    ensure_choice,
    restore,
    sentence,
    show_url_problems,
    sync,
    url_problem,
)

ALL = "__all__"
#: "All Welsh LAs in the store" (a store with Wales): Welsh wards only, never with England's.
WALES_ALL = "__wales__"
UPLOAD = "_upload"
MAP_KEY = "target_map"
TABLE_KEY = "target_table"
#: Above this many wards the map draws on a canvas rather than SVG paths.
CANVAS_ABOVE = 1500

def _km_text(v: float) -> str:
    if not np.isfinite(v):
        raise ValueError("not a distance")
    return f"{v:g}"


KM_STEPS = [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 7.5, 10.0, 15.0, 20.0]
SHARE_STEPS = [10, 20, 25, 30, 40, 50]

PARAMS = [
    Param("tg_lad", "lad", None),
    Param("_tg_la_url", "la", None),
    Param("_tg_area_url", "area", None),
    Param("tg_service", "service", "gp_practice"),
    Param("tg_need", "need", "ace"),
    Param("tg_deciles", "deciles", gaprules.DEFAULT_TOP_DECILES, str, as_int),
    Param("tg_rule", "rule", gaprules.DEFAULT_RULE),
    Param("tg_la_share", "la_share", 25, str, as_int),
    Param("tg_far", "far", 20, str, as_int),
    Param("tg_km", "km", "1", str, lambda t: _km_text(float(t))),
    Param("tg_min_share", "min_share", 25, str, as_int),
    Param("tg_only_gaps", "only_gaps", "0"),
    B.PARAM,
]
PARAMS += search_ui.params("tg") + siting_ui.PARAMS  # ?q= and the siting section (issue 19)

NEED_SHORT = {"ace": "the modelled ACE risk index",
              "welsh_ace": "the Welsh modelled ACE risk index"}
NEED_LABELS = {"ace": "ACE index (modelled risk, default weights)"} | {
    k: lay.label for k, lay in ALL_LAYERS.items() if k != "ace"} | {
    # Wales (ward_need_wales): the Welsh index and WIMD 2019, ranked among Welsh wards
    "welsh_ace": "Welsh ACE index (modelled risk, WIMD 2019)",
    "wimd_score": "WIMD 2019 overall score", "income_score": "WIMD income score",
    "employment_score": "WIMD employment score", "housing_score": "WIMD housing score",
    "community_safety_score": "WIMD community safety score"}
#: Need measures whose key is shared by both nations but means a different score in Wales.
WALES_ONLY_LABELS = {"health_score": "WIMD health score", "education_score": "WIMD education score",
                     "cilif_rate": "Children in low income families (DWP CiLIF)"}


def need_label(need: str, nation: str = ENGLAND) -> str:
    """How a need measure is called (its Welsh name in Wales)."""
    if nation == WALES and need in WALES_ONLY_LABELS:
        return WALES_ONLY_LABELS[need]
    return NEED_LABELS.get(need, need)

#: Map classes: other wards, high need, flagged gap (Okabe-Ito orange on the app's purple).
MAP_COLOURS = ("#dcdae4", "#6a5fa8", "#E69F00")
MAP_LABELS = ("Other wards", "High need", "Flagged gap")


def _type_labels() -> dict[str, str]:
    return dict(SERVICE_TYPES)


@memo(maxsize=8)
def _choices(token: str, basis: str = "children",
             nation: str = ENGLAND) -> tuple[list[str], list[str]]:
    t = NATIONS[nation]
    table = t.access if basis == "children" else BASES[basis]["access_table"]  # fixed names
    types = data.query_df(token, "SELECT DISTINCT service_type FROM query_table($t) "
                                 "WHERE in_coverage ORDER BY 1", {"t": table})
    needs = data.query_df(token, "SELECT DISTINCT need_measure FROM query_table($t) ORDER BY 1",
                          {"t": t.need})
    return list(types["service_type"]), list(needs["need_measure"])


@memo(maxsize=128)
def _gaps(token: str, service: str, need: str, deciles: int, rule: str, la_share: float,
          far: float, km: float, min_share: float, lad: str | None,
          basis: str = "children", nation: str = ENGLAND) -> pd.DataFrame:
    from needsmap.access import gaps

    cur = data.cursor(token)
    try:
        return gaps(cur, service, need=need, top_deciles=deciles, furthest_share=far,
                    lad_code=lad, rule=rule, la_share=la_share, km=km, min_share=min_share,
                    basis=basis, nation=nation)
    finally:
        cur.close()


@memo(maxsize=16)
def _upload_access(token: str, digest: str, payload, nation: str = ENGLAND):  # noqa: ANN001, ANN202
    from needsmap.access.measures import access_for_points

    up: pd.DataFrame = payload.value
    cur = data.cursor(token)
    try:
        return access_for_points(cur, up["easting"].to_numpy(dtype=float),
                                 up["northing"].to_numpy(dtype=float),
                                 up.get("lsoa_code"), up.get("lad_code"), nation=nation)
    finally:
        cur.close()


@memo(maxsize=32)
def _gaps_upload(token: str, digest: str, need: str, deciles: int, rule: str,
                 la_share: float, far: float, km: float, min_share: float, lad: str | None,
                 payload, nation: str = ENGLAND) -> pd.DataFrame:  # noqa: ANN001
    from needsmap.access import gaps

    custom = _upload_access(token, digest, payload, nation)
    cur = data.cursor(token)
    try:
        return gaps(cur, "your uploaded list", need=need, top_deciles=deciles,
                    furthest_share=far, lad_code=lad, rule=rule, la_share=la_share, km=km,
                    min_share=min_share, custom=custom, nation=nation)
    finally:
        cur.close()


@memo(maxsize=8)
def _ward_wkb(token: str, codes: tuple[str, ...]) -> pd.DataFrame:
    # `ward`: every ward in scope with its polygon, English and Welsh
    return data.query_df(token, "SELECT ward_code, ST_AsWKB(geom) AS wkb FROM ward "
                                "WHERE list_contains($codes, ward_code)", {"codes": list(codes)})


def _default_lad(ctx: ViewContext) -> str:
    """The LA chosen in Explore (if one), else Explore's default, never all England."""
    codes = list(ctx.lads["lad_code"])
    picked = [c for c in (ctx.selected_lads or st.session_state.get("ex_area") or [])
              if c in codes]
    if picked:
        return picked[0]
    return "E06000009" if "E06000009" in codes else codes[0]


def _restore_lad(ctx: ViewContext, restored: Restored) -> list[str]:
    """Set ``tg_lad`` from a link's ``lad``/``la``/``area``; return every LA the link names
    (Target shows the first; :func:`nations.one_nation` says so if they span two nations)."""
    codes = list(ctx.lads["lad_code"])
    pairs = list(zip(codes, ctx.lads["lad_name"], strict=True))
    named: list[str] = []
    for name in ("lad", "la", "area"):
        if name not in restored:
            continue
        raws = [r for r in restored.raw[name].split(",") if r.strip()]
        raw = raws[0] if raws else ""
        if raw in (ALL, WALES_ALL):
            st.session_state["tg_lad"] = raw
            continue
        try:
            st.session_state["tg_lad"] = resolve_la(raw, pairs)[0]
        except UnknownArea as exc:
            st.session_state.pop("tg_lad", None)
            url_problem(name, raw, f"{sentence(str(exc))} Showing {ctx.lad_name(_default_lad(ctx))}.")
        for r in raws:
            try:
                named.append(resolve_la(r, pairs)[0])
            except UnknownArea:
                continue
    st.session_state.pop("_tg_la_url", None)
    st.session_state.pop("_tg_area_url", None)
    return named


def _lad_options(ctx: ViewContext, wales: bool) -> list[str]:
    """Every LA, then "All England" (or all LAs), then "All Wales" in a store with Welsh LAs."""
    codes = list(ctx.lads["lad_code"])
    welsh = wales and any(nation_of(c) == WALES for c in codes)
    english = any(nation_of(c) == ENGLAND for c in codes)
    return [*codes, *([ALL] if english or not welsh else []), *([WALES_ALL] if welsh else [])]


def _nation(lad_value: str | None) -> str:
    """The nation of Target's choice (an LA, "All England" or "All Wales")."""
    if lad_value == WALES_ALL:
        return WALES
    return nation_of(lad_value) if lad_value and lad_value != ALL else ENGLAND


def _same_index(nation: str, needs: list[str]) -> None:
    """Keep "the index" when the LA changes nation: ``ace`` <-> ``welsh_ace``."""
    want = NATIONS[nation].default_need
    if st.session_state.get("tg_need") in ("ace", "welsh_ace") and want in needs:
        st.session_state["tg_need"] = want


def _restore_choices(ctx: ViewContext, restored: Restored, types: list[str],
                     needs: list[str]) -> None:
    checks = (
        ("service", "tg_service", types, "a service type with access figures here (valid: "
         + ", ".join(t for t in types if t != UPLOAD) + ")"),
        ("need", "tg_need", needs, "a need measure (valid: " + ", ".join(needs) + ")"),
        ("deciles", "tg_deciles", list(range(1, 11)), "a number of deciles from 1 to 10"),
        ("rule", "tg_rule", list(gaprules.RULES), "a gap rule (valid: "
         + ", ".join(gaprules.RULES) + ")"),
        ("la_share", "tg_la_share", SHARE_STEPS, "a share of the LA's wards ("
         + ", ".join(map(str, SHARE_STEPS)) + " %)"),
        ("far", "tg_far", list(range(5, 55, 5)), "a share of English wards (5 to 50 %, in 5s)"),
        ("km", "tg_km", [_km_text(k) for k in KM_STEPS], "a distance in km ("
         + ", ".join(_km_text(k) for k in KM_STEPS) + ")"),
        ("min_share", "tg_min_share", SHARE_STEPS, "a share of children ("
         + ", ".join(map(str, SHARE_STEPS)) + " %)"),
        ("only_gaps", "tg_only_gaps", ["0", "1"], "0 or 1"),
    )
    for name, key, options, what in checks:
        if name in restored and (name in restored.bad or st.session_state.get(key) not in options):
            url_problem(name, restored.raw[name], f"not {what}; the default is shown.")
            st.session_state.pop(key, None)


def render(ctx: ViewContext) -> None:
    """Draw the Target view."""
    restored = restore(PARAMS, "target")
    info, token = ctx.info, ctx.token
    st.html('<h1 class="nm-title">Target: where need is high and services are far</h1>'
            '<div class="nm-sub">High-need wards whose children live far (straight line) from '
            "a chosen type of service, ranked for commissioning, with the rule that flags them."
            "</div>")
    wales = nations.welsh_target(info)  # Welsh LAs: their own lists (issue 21)
    if not wales:
        layout.caveat()
        ctx = nations.england_only(ctx, restored)  # a store built without Welsh access tables
        if ctx is None:
            return
    need_tables = [t for t in ("ward_access", "ward_need") if t not in info.tables]
    if need_tables:
        st.warning("Target needs the services and access stages: the store has no "
                   + ", ".join(f"`{t}`" for t in need_tables)
                   + " table. Rebuild it with `needsmap build` (services are read from the "
                     "GIAS, NHS ODS and libraries files).", icon=":material/warning:")
        return
    basis = B.choose(restored)
    if basis == "under5" and "ward_access_under5" not in info.tables:
        st.info("This store has no under-5 access figures (`ward_access_under5`; rebuild it "
                "with `needsmap build`): showing children aged 0-15.")
        basis = st.session_state[B.KEY] = "children"
    named = _restore_lad(ctx, restored)
    search_ui.prepare(ctx, "tg", restored, _apply_search)
    lad_opts = _lad_options(ctx, wales)
    ensure_choice("tg_lad", lad_opts, _default_lad(ctx))
    st.session_state.setdefault("tg_lad", _default_lad(ctx))
    nation = _nation(st.session_state["tg_lad"])
    if wales:
        nations.target_caveat(nation)
        nations.one_nation(ctx, named or [c for c in (ctx.selected_lads or st.session_state.get(
            "ex_area") or []) if c in set(ctx.lads["lad_code"])])
    if nation == WALES and basis != "children":
        st.info("Under-5s' distances are England-only: showing children aged 0-15 for Wales.")
        basis = st.session_state[B.KEY] = "children"
    types, needs = _choices(token, basis, nation)
    _follow_basis(basis, types)
    upload = ctx.session_services
    if not upload.empty and {"easting", "northing"} <= set(upload.columns):
        types = [*types, UPLOAD]
    if not types:
        st.warning("No service type has access figures in this store.")
        return
    tl = _type_labels() | {UPLOAD: f"Your uploaded list ({len(upload):,} services)",
                           GROUP: "Early-years service (family hub, children's centre or nursery)"}
    _restore_choices(ctx, restored, types, needs)
    _same_index(nation, needs)
    names = dict(zip(ctx.lads["lad_code"], ctx.lads["lad_name"], strict=True))
    for key, opts, default in (
            ("tg_service", types, _default_service(basis, types)),
            ("tg_need", needs, _default_need(nation, needs)),
            ("tg_deciles", list(range(1, 11)), gaprules.DEFAULT_TOP_DECILES),
            ("tg_rule", list(gaprules.RULES), gaprules.DEFAULT_RULE),
            ("tg_la_share", SHARE_STEPS, 25),
            ("tg_far", list(range(5, 55, 5)), 20),
            ("tg_km", [_km_text(k) for k in KM_STEPS], "1"),
            ("tg_min_share", SHARE_STEPS, 25),
            ("tg_only_gaps", ["0", "1"], "0")):
        ensure_choice(key, opts, default)
        st.session_state.setdefault(key, default)
    all_label = ("All England" if info.is_england else "All English LAs in the store"
                 if WALES_ALL in lad_opts else "All local authorities in the store")
    names[WALES_ALL] = "All Welsh LAs in the store"
    show_url_problems()
    search_ui.box(ctx, "tg", _apply_search)

    lad = None if st.session_state["tg_lad"] in (ALL, WALES_ALL) else st.session_state["tg_lad"]
    rule = st.session_state["tg_rule"]
    service, need = st.session_state["tg_service"], st.session_state["tg_need"]
    deciles = int(st.session_state["tg_deciles"])
    la_share = int(st.session_state["tg_la_share"]) / 100
    far = int(st.session_state["tg_far"]) / 100
    km = float(st.session_state["tg_km"])
    min_share = int(st.session_state["tg_min_share"]) / 100
    args = (need, deciles, rule, la_share, far, km, min_share, lad)
    if service == UPLOAD:
        digest = st.session_state.get("upload_digest", "")
        df = _gaps_upload(token, digest, *args, Unhashed(upload), nation)
        if basis != "children":
            st.info("Distances to an uploaded list are weighted by children aged 0-15 only.")
            basis = "children"
    else:
        df = _gaps(token, service, *args, basis, nation)
    if lad is None and not info.is_england:
        df = df[df["lad_code"].isin(ctx.lads["lad_code"])]
    area = names.get(lad) if lad else None
    area_label = area or (names[WALES_ALL] if nation == WALES else all_label)
    service_label = tl.get(service, service) if service != UPLOAD else "service in your list"
    need_text = need_label(need, nation)
    if len(df) and df["need_measure"].iloc[0] != need:
        st.info(f"The store has no {need_text}; need is measured by "
                f"{need_label(df['need_measure'].iloc[0], nation)}.")
        need_text = need_label(df["need_measure"].iloc[0], nation)
    national_km = float(df["national_km"].iloc[0]) if len(df) and pd.notna(df["national_km"].iloc[0]) else None
    la_km = (float(df["la_km"].iloc[0]) if lad and len(df) and pd.notna(df["la_km"].iloc[0])
             else None)
    words = gaprules.describe(rule, service=_lower_first(service_label),
                              need=NEED_SHORT.get(need, need_text), top_deciles=deciles,
                              area=area, la_share=la_share, furthest_share=far, km=km,
                              min_share=min_share, national_km=national_km, la_km=la_km,
                              national=_national_words(df, info, nation), people=B.people(basis))

    with st.sidebar:
        st.subheader("Target", anchor=False)
        B.widget("Under-5s: distances and counts weighted by children aged 0-4, and the "
                 "early-years services (family hub, children's centre or nursery) as one type.")
        st.selectbox("Local authority", lad_opts, key="tg_lad", persist_state="session",
                     format_func=lambda c: all_label if c == ALL else names.get(c, c),
                     help="Ranks are within the LA when one is chosen. All England is "
                          "slower to draw. A Welsh LA is ranked among Welsh wards only, an "
                          "English LA among English wards: never both together.")
        st.selectbox("Service type", types, key="tg_service", persist_state="session",
                     format_func=lambda t: tl.get(t, t),
                     help="Your uploaded list appears here once you have added one in "
                          "Upload services.")
        st.selectbox("Need measure", needs, key="tg_need", persist_state="session",
                     format_func=lambda n: need_label(n, nation))
        st.select_slider("High need = the top … national deciles", list(range(1, 11)),
                         key="tg_deciles", persist_state="session",
                         help=f"1 = the highest-need tenth of {WORD[nation]} wards.")
        st.radio("Gap rule: a ward is far when …", list(gaprules.RULES), key="tg_rule",
                 persist_state="session",
                 format_func=lambda r: in_nation_words(gaprules.RULES[r].label, nation),
                 captions=[f"{in_nation_words(gaprules.RULES[r].summary, nation)} · "
                           f"**{_n_flag(df, r)}** flagged here" for r in gaprules.RULES])
        rule = st.session_state["tg_rule"]
        if rule == "local":
            st.select_slider("Furthest share of the LA's own wards", SHARE_STEPS,
                             key="tg_la_share", persist_state="session",
                             format_func=lambda v: f"{v}%")
        if rule in ("local", "national"):
            st.select_slider(f"Furthest share of {WORD[nation]} wards", list(range(5, 55, 5)),
                             key="tg_far", persist_state="session", format_func=lambda v: f"{v}%")
        if rule in ("distance", "children_beyond"):
            st.select_slider("Distance (km, straight line)", [_km_text(k) for k in KM_STEPS],
                             key="tg_km", persist_state="session")
        if rule == "children_beyond":
            st.select_slider("Share of the ward's children beyond it", SHARE_STEPS,
                             key="tg_min_share", persist_state="session",
                             format_func=lambda v: f"{v}%")
        st.segmented_control("Show", ["0", "1"], key="tg_only_gaps", persist_state="session",
                             required=True,
                             format_func=lambda v: "All high-need wards" if v == "0"
                             else "Flagged gaps only")

    if df.empty:
        st.info(f"The {tl.get(service, service)} list in this store does not cover "
                f"{area_label}: its services are listed only for some areas, so distances to "
                "it would say nothing here. Choose another service type or area.",
                icon=":material/info:")
    high = df[df["high_need"].fillna(False).astype(bool)]
    flagged = df[df["gap_flag"].fillna(False).astype(bool)]
    shown = high if st.session_state["tg_only_gaps"] == "0" else flagged
    shown = shown.sort_values("commissioning_rank")

    st.markdown(f"**{layout._escape(area_label)} · {layout._escape(tl.get(service, service))} · "
                f"need: {layout._escape(need_text)}**")
    st.html(f'<div class="nm-rule" role="note"><b>Rule.</b> {layout._escape(words)} '
            "Distances are straight lines from each LSOA's representative point to the "
            "nearest service, averaged over the LSOA's "
            + ("under-5s (ONS mid-2020, aged 0-4)" if basis == "under5"
               else "children (Census 2021, aged 0-15)") + ".</div>")
    if service in (GROUP, "nursery"):
        st.caption(COVERAGE_NOTE)
    k1, k2, k3, k4 = st.columns(4)
    k1.metric("Wards in area", f"{len(df):,}")
    k2.metric(f"High need (top {deciles} decile{'s' if deciles > 1 else ''})", f"{len(high):,}")
    k3.metric("Flagged gaps", f"{len(flagged):,}", help=words)
    k4.metric(f"{B.short(basis)} in flagged wards", f"{flagged['children_0_15'].sum():,.0f}",
              help="Of whom "
              f"{flagged['children_beyond'].sum():,.0f} live beyond the rule's distance.")
    _rule_counts(df, rule)

    left, right = st.columns([5, 6], gap="medium")
    with left:
        st.markdown("**Flagged wards on the map**")
        _map(ctx, df, _map_codes(ctx, lad, nation, wales), service, tl, words, upload, nation)
    with right:
        st.markdown(f"**Ranked wards** ({'all high-need wards' if st.session_state['tg_only_gaps'] == '0' else 'flagged gaps only'})")
        _ranked_table(shown if lad is None else shown.drop(columns=["lad_name"]), service_label)
    st.markdown("**Need versus access**")
    _quadrant(df, deciles, rule, service_label, national_km, la_km if lad else None, km, nation)
    settings = _settings(area_label, tl.get(service, service), need_text, deciles, words, ctx,
                         nation)
    _exports(ctx, shown, service, lad, names, settings, service_label, nation)
    siting_ui.render(ctx, lad, restored, needs, nation, [t for t in types if t != UPLOAD])
    sync(PARAMS, extra={"view": "target"})


def _default_need(nation: str, needs: list[str]) -> str:
    """The nation's index if the store has it, else the first need measure."""
    want = NATIONS[nation].default_need
    return want if want in needs else needs[0]


def _map_codes(ctx: ViewContext, lad: str | None, nation: str,
               wales: bool) -> tuple[str, ...] | None:
    """The LAs the map draws: the one chosen, or every LA of the nation (``None``: every
    ward, in a store with no Welsh lists)."""
    if lad:
        return (lad,)
    if not wales:
        return None
    return tuple(c for c in ctx.lads["lad_code"] if nation_of(c) == nation)


def _default_service(basis: str, types: list[str]) -> str:
    if basis == "under5" and GROUP in types:
        return GROUP
    return "gp_practice" if "gp_practice" in types else types[0]


def _follow_basis(basis: str, types: list[str]) -> None:
    """When the switch changes, a service type left at one basis's default (GP practices
    for children 0-15, early years for under-5s) becomes the other's."""
    prev = st.session_state.get("_tg_basis_prev")
    st.session_state["_tg_basis_prev"] = basis
    if prev is None or prev == basis or not types:
        return
    if st.session_state.get("tg_service") in ("gp_practice", GROUP):
        st.session_state["tg_service"] = _default_service(basis, types)


def _basis() -> str:
    """The population basis in the session (``children`` or ``under5``)."""
    return str(st.session_state.get(B.KEY) or B.DEFAULT)


def _whose() -> str:
    return "Under-5s'" if _basis() == "under5" else "Children's"


def _national_words(df: pd.DataFrame, info: data.StoreInfo, nation: str = ENGLAND) -> str:
    """"English wards" (or "Welsh wards"), or the wards a local list (or an upload) covers."""
    n = int(df["n_covered"].iloc[0]) if len(df) and "n_covered" in df else 0
    total = (len(data.england_table(info.token)) if nation == ENGLAND else
             int(data.query_df(info.token, "SELECT count(*) AS n FROM ward_indicators_wales")["n"].iloc[0]))
    if n and n < total:
        return f"the {n:,} wards the list covers"
    return f"{WORD[nation]} wards"


def _lower_first(label: str) -> str:
    """"Primary school" -> "primary school"; "GP practice" stays."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


def _n_flag(df: pd.DataFrame, rule: str) -> str:
    col = f"flag_{rule}"
    n = int(df[col].fillna(False).astype(bool).sum()) if col in df else 0
    return f"{n:,} ward{'s' if n != 1 else ''}"


def _rule_counts(df: pd.DataFrame, active: str) -> None:
    """How many wards each rule flags here (with the thresholds now set)."""
    rows = []
    for key, r in gaprules.RULES.items():
        col = f"flag_{key}"
        if col not in df:
            continue
        hit = df[df[col].fillna(False).astype(bool)]
        rows.append({"Rule": ("▶ " if key == active else "") + r.label, "What is far": r.summary,
                     "Wards flagged": len(hit),
                     f"{B.short(_basis())} in them": int(hit["children_0_15"].sum())})
    with st.expander("How many wards each rule flags here", expanded=False,
                     icon=":material/rule:"):
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config={
            "Wards flagged": st.column_config.NumberColumn(format="%d"),
            f"{B.short(_basis())} in them": st.column_config.NumberColumn(format="localized")})
        st.caption("With the thresholds set in the sidebar; ▶ marks the rule in use. Every rule "
                   "needs high need first.")


def _apply_search(ward: str | None, lad: str | None) -> None:
    """A search landed on ``ward`` / ``lad``: show its LA and outline the ward."""
    if lad:
        st.session_state["tg_lad"] = lad
    st.session_state["tg_ward"] = ward


def _on_map_select() -> None:
    code = getattr(st.session_state.get(MAP_KEY), "select", None)
    if code:
        st.session_state["tg_ward"] = str(code)


def _on_table_select() -> None:
    sel = st.session_state.get(TABLE_KEY)
    rows = list(getattr(getattr(sel, "selection", None), "rows", []) or [])
    codes = st.session_state.get("_tg_table_codes", [])
    if rows and rows[0] < len(codes):
        st.session_state["tg_ward"] = codes[rows[0]]


def _map(ctx: ViewContext, df: pd.DataFrame, lad_codes: tuple[str, ...] | None, service: str,
         tl: dict[str, str], words: str, upload: pd.DataFrame, nation: str = ENGLAND) -> None:
    token = ctx.token
    geom = (nd.area_geometry(token, lad_codes) if nation == WALES  # Welsh wards' polygons
            else data.area_geometry(token, lad_codes))
    view = pd.DataFrame({"ward_code": list(geom.codes)}).merge(df, on="ward_code", how="left")
    flag = view["gap_flag"].fillna(False).astype(bool).to_numpy()
    high = view["high_need"].fillna(False).astype(bool).to_numpy()
    k = np.where(flag, 2, np.where(high, 1, 0))
    status = np.array(MAP_LABELS, dtype=object)[k]
    dec = view["need_decile"]
    values = [f"{s}" for s in status]
    extra = [
        [f"Need decile {int(d)} in {nation}" if pd.notna(d) else "" for d in dec],
        [f"{_whose()} mean distance {v:.2f} km" if pd.notna(v) else "No distance (outside the list's coverage)"
         for v in view["mean_km_child_weighted"]],
        [f"{int(c):,} of {int(n):,} {B.people(_basis()).split(' aged')[0]} beyond {f:.2f} km" if pd.notna(c) and pd.notna(n)
         and pd.notna(f) else "" for c, n, f in zip(view["children_beyond"], view["children_0_15"],
                                                      view["far_km"], strict=True)],
        [POOR_FIT_NOTE if pd.notna(p) and bool(p) else ""
         for p in view.get("fit_poor", pd.Series([None] * len(view)))],
    ]
    sig = hashlib.sha1(np.asarray(k, dtype=np.int8).tobytes() + words.encode()
                       + geom.key.encode()).hexdigest()[:12]
    style = maps.Style(f"tg-{sig}", "Status", k.tolist(), values, MAP_COLOURS, extra)
    counts = [int((k == i).sum()) for i in range(3)]
    legend = maps.Legend("Wards", [(MAP_COLOURS[i], MAP_LABELS[i], f"{counts[i]:,}",
                                    MAP_LABELS[i]) for i in range(3)],
                         foot="Flagged gap: high need and far by the rule above.")
    svc_layers, skey = [], ""
    if service == UPLOAD:
        up = upload.assign(type=UPLOAD, source="your upload")
        svc_layers = maps.service_layers(up, {UPLOAD: "Your uploaded list"},
                                         {UPLOAD: maps.UPLOAD_STYLE})
        skey = f"tg-up-{st.session_state.get('upload_digest', '')[:10]}"
    else:
        svc = data.services(token, lad_codes)
        pick = svc[svc["type"] == service] if not svc.empty else svc
        if len(pick):
            svc_layers = maps.service_layers(pick, tl, maps.service_style([service]))
            skey = f"tg-{ctx.info.short}-{data.area_key(lad_codes)}-{service}"
    ensure_choice("tg_ward", [None, *geom.codes], None)
    maps.ward_map(geom, style, legend, key=MAP_KEY, selected=st.session_state.get("tg_ward"),
                  services=svc_layers, services_key=skey, basemap="light",
                  canvas=geom.n > CANVAS_ABOVE, height=470,
                  title="Map of high-need wards and flagged access gaps. The ranked list "
                        "beside it holds the same wards.",
                  note="Hover over a ward for its figures; click it to find it in the list.",
                  on_select=_on_map_select, overlay=search_ui.overlay("tg"))


#: Short names of the rules, for the "Flagged by" column.
RULE_SHORT = {"local": "this area", "national": "England", "distance": "distance",
              "children_beyond": "children beyond"}


def flagged_by(df: pd.DataFrame) -> pd.Series:
    """Per ward, the rules (short names) that would flag it, e.g. "this area, distance"."""
    cols = [(f"flag_{k}", v) for k, v in RULE_SHORT.items() if f"flag_{k}" in df]
    return pd.Series([", ".join(v for c, v in cols if bool(row[c]) is True)
                      for _, row in df[[c for c, _ in cols]].fillna(False).iterrows()],
                     index=df.index, dtype=object)


def _ranked_table(shown: pd.DataFrame, service_label: str) -> None:
    cols = {"commissioning_rank": "Rank", "ward_name": "Ward", "lad_name": "LA",
            "need_decile": "Need decile", "children_0_15": B.short(_basis()),
            "mean_km_child_weighted": "Mean distance (km)", "far_km": "Far from (km)",
            "children_beyond": f"{B.short(_basis()).split(' ')[0]} beyond",
            "n_services": "Services in ward",
            "gap_flag": "Gap", "flagged_by": "Flagged by"}
    shown = shown.assign(flagged_by=flagged_by(shown))
    show = shown[[c for c in cols if c in shown.columns]].rename(columns=cols).copy()
    st.session_state["_tg_table_codes"] = list(shown["ward_code"])
    sel = st.session_state.get("tg_ward")
    st.dataframe(show, hide_index=True, width="stretch", height=430, key=TABLE_KEY,
                 on_select=_on_table_select, selection_mode="single-row", column_config={
        "Rank": st.column_config.NumberColumn(format="%d"),
        "Need decile": st.column_config.NumberColumn(format="%d", help="1 = highest need nationally"),
        B.short(_basis()): st.column_config.NumberColumn(format="localized"),
        "Mean distance (km)": st.column_config.NumberColumn(
            format="%.2f", help=f"{_whose()} mean straight-line distance to the nearest {service_label}"),
        "Far from (km)": st.column_config.NumberColumn(
            format="%.2f", help="The distance the rule calls far for this ward"),
        f"{B.short(_basis()).split(' ')[0]} beyond": st.column_config.NumberColumn(
            format="localized", help="Living further than that distance"),
        "Gap": st.column_config.CheckboxColumn(help="High need and far by the rule"),
        "Flagged by": st.column_config.TextColumn(
            help="Every rule that would flag this ward with the thresholds set"),
    })
    if shown.empty:
        st.caption("No ward matches these settings.")
    else:
        st.caption(f"{len(shown):,} wards, flagged gaps first, then the furthest children. "
                   "Select a row to outline the ward on the map."
                   + (f" Selected: {sel}." if sel else ""))


def _need_percentile(df: pd.DataFrame) -> pd.Series:
    """National need percentile on a fixed 0-100 scale (100 = highest need in the nation).

    ``100 * (1 - (need_rank - 0.5) / n)`` over the ``n`` wards of the nation (English or
    Welsh) with the measure,
    kept inside the ward's own decile band (``100 - 10 d`` to ``110 - 10 d``), so a point
    is above the "top deciles" line exactly when the table calls the ward high need.
    """
    n = pd.to_numeric(df["need_n"], errors="coerce")
    p = 100 * (1 - (pd.to_numeric(df["need_rank"], errors="coerce") - 0.5) / n)
    d = pd.to_numeric(df["need_decile"], errors="coerce")
    return p.clip(lower=100 - 10 * d + 0.01, upper=110 - 10 * d - 0.01)


def _quadrant(df: pd.DataFrame, deciles: int, rule: str, service_label: str,
              national_km: float | None, la_km: float | None, km: float,
              nation: str = ENGLAND) -> None:
    if df.empty:
        st.caption("No wards.")
        return
    plot = pd.DataFrame({
        "Ward": df["ward_name"], "LA": df["lad_name"],
        "km": df["mean_km_child_weighted"],
        "need": _need_percentile(df),
        "Need decile": df["need_decile"],
        "group": np.where(df["gap_flag"].fillna(False).astype(bool), "Flagged gap",
                          np.where(df["high_need"].fillna(False).astype(bool), "High need",
                                   "Other wards")),
    }).dropna(subset=["km", "need"])
    if len(plot) > 5000:
        plot = pd.concat([plot[plot["group"] != "Other wards"],
                          plot[plot["group"] == "Other wards"].sample(4000, random_state=1)])
    colour = alt.Color("group:N", title=None, scale=alt.Scale(
        domain=["Flagged gap", "High need", "Other wards"],
        range=[MAP_COLOURS[2], MAP_COLOURS[1], "#b9b7c4"]), legend=alt.Legend(orient="bottom"))
    pts = alt.Chart(plot).mark_point(filled=True, opacity=0.85, stroke="#1c1b22",
                                     strokeWidth=0.4).encode(
        x=alt.X("km:Q", title=f"{_whose()} mean distance to the nearest {service_label} (km)"),
        y=alt.Y("need:Q", title=f"Need percentile in {nation} (100 = highest need)",
                scale=alt.Scale(domain=[0, 100], nice=False)),
        color=colour,
        shape=alt.Shape("group:N", scale=alt.Scale(
            domain=["Flagged gap", "High need", "Other wards"],
            range=["diamond", "circle", "circle"]), legend=None),
        size=alt.condition(alt.datum.group == "Other wards", alt.value(25), alt.value(70)),
        tooltip=["Ward:N", "LA:N", alt.Tooltip("km:Q", format=".2f", title="Mean km"),
                 "Need decile:Q", alt.Tooltip("need:Q", format=".0f", title="Need percentile"),
                 alt.Tooltip("group:N", title="Group")],
    )
    layers = [pts, alt.Chart(pd.DataFrame({"y": [100 - 10 * deciles]})).mark_rule(
        strokeDash=[4, 3], color="#55535f").encode(y="y:Q")]
    lines = []
    if rule in ("local", "national") and national_km is not None:
        lines.append(national_km)
    if rule == "local" and la_km is not None:
        lines.append(la_km)
    if rule == "distance":
        lines.append(km)
    if lines:
        layers.append(alt.Chart(pd.DataFrame({"x": lines})).mark_rule(
            strokeDash=[4, 3], color="#55535f").encode(x="x:Q"))
    st.altair_chart(alt.layer(*layers).properties(height=360), width="stretch")
    st.caption("Each point is a ward: up = higher need nationally (fixed 0-100 scale, so the "
               f"dashed line at {100 - 10 * deciles} is the same in every LA), right = its "
               "children live further away. The vertical dashed line(s) are the rule's "
               "distance(s). Top right is where a new or outreach service would reach most "
               "children in high-need wards.")


def _settings(area_label: str, service_label: str, need_text: str, deciles: int, words: str,
              ctx: ViewContext, nation: str = ENGLAND) -> dict[str, str]:
    return {
        "Area": area_label,
        "Service type": service_label,
        "Need measure": need_text,
        "High need": f"top {deciles} decile(s) among {WORD[nation]} wards",
        "Ranked among": f"{WORD[nation]} wards only (England and Wales are never ranked "
                        "together)",
        "Gap rule": words,
        "Population": B.people(_basis()),
        "Store built": ctx.info.meta.get("built_at", "unknown"),
        "Store scope": layout.scope_label(ctx.info),
    }


#: Export columns: store column -> label people read (with units).
EXPORT_COLUMNS = {
    "commissioning_rank": "Commissioning rank (1 = first)",
    "ward_code": "Ward code (WD24)",
    "ward_name": "Ward",
    "lad_code": "Local authority code (LAD24)",
    "lad_name": "Local authority",
    "need_value": "Need value",
    "need_decile": "Need decile in England (1 = highest need)",
    "need_rank": "Need rank in England (1 = highest need)",
    "children_0_15": "Children aged 0-15 (Census 2021)",
    "mean_km_child_weighted": "Children's mean distance to nearest service (km, straight line)",
    "share_children_within_1km": "Children within 1 km (%)",
    "share_children_within_2km": "Children within 2 km (%)",
    "n_services": "Services of this type in the ward",
    "far_km": "Distance called far for this ward (km)",
    "children_beyond": "Children beyond that distance",
    "high_need": "High need",
    "gap_flag": "Flagged gap",
    "flagged_by": "Rules that would flag it",
    "fit_share_of_ward": "LSOA fit: share of the ward covered (%)",
    "fit_spill": "LSOA fit: share of those LSOAs' area outside the ward (%)",
    "fit_note": "Fit note",
}


#: Labels of the same columns when the list is on the under-5 basis (gaps(basis="under5")).
UNDER5_EXPORT_LABELS = {
    "children_0_15": "Children aged 0-4 (ONS mid-2020, carried to LSOA 2021)",
    "mean_km_child_weighted": "Under-5s' mean distance to nearest service (km, straight line)",
    "share_children_within_1km": "Under-5s within 1 km (%)",
    "share_children_within_2km": "Under-5s within 2 km (%)",
    "children_beyond": "Under-5s beyond that distance",
}


def export_frame(shown: pd.DataFrame, settings: dict[str, str],
                 nation: str = ENGLAND) -> pd.DataFrame:
    """The list with readable column labels (units in brackets) and every setting; need
    deciles and ranks are labelled with the nation they are among."""
    if any(c.startswith("flag_") for c in shown.columns):
        shown = shown.assign(flagged_by=flagged_by(shown))
    shown = exports.with_fit_note(shown)  # the lay sentence where the LSOAs fit poorly
    labels = EXPORT_COLUMNS
    if "basis" in shown.columns and len(shown) and shown["basis"].iloc[0] == "under5":
        labels = EXPORT_COLUMNS | UNDER5_EXPORT_LABELS
    out = shown[[c for c in EXPORT_COLUMNS if c in shown.columns]].copy()
    for c in ("share_children_within_1km", "share_children_within_2km", "fit_share_of_ward",
              "fit_spill"):
        if c in out:
            out[c] = (out[c] * 100).round(1)
    for c in ("mean_km_child_weighted", "far_km"):
        if c in out:
            out[c] = out[c].round(3)
    out = out.rename(columns={k: in_nation_words(v, nation) for k, v in labels.items()})
    for k, v in settings.items():
        out[k] = v
    return out


def _exports(ctx: ViewContext, shown: pd.DataFrame, service: str, lad: str | None,
             names: dict[str, str], settings: dict[str, str], service_label: str,
             nation: str = ENGLAND) -> None:
    st.markdown("**Export this list**")
    if shown.empty:
        st.caption("Nothing to export with these settings.")
        return
    stem = f"needsmap_target_{service.strip('_')}_{names.get(lad, 'all') if lad else 'all'}".replace(" ", "_")
    table = export_frame(shown, settings, nation)
    notes = [CAVEAT if nation == ENGLAND else CAVEAT_WALES,
             *(f"{k}: {v}" for k, v in settings.items()),
             f"Services: {service_label}.",
             f"Exported {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC from needsmap.",
             *layout.attribution_lines(data.sources(ctx.token))]
    c1, c2, c3 = st.columns(3)
    c1.download_button("CSV", exports.to_csv(table), f"{stem}.csv", "text/csv",
                       icon=":material/download:", width="stretch", on_click="ignore")
    c2.download_button("Excel (XLSX)", exports.to_xlsx(table, "wards", notes), f"{stem}.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       icon=":material/download:", width="stretch", on_click="ignore")
    wkb = _ward_wkb(ctx.token, tuple(shown["ward_code"]))
    geo = shown[["ward_code"]].merge(wkb, on="ward_code", how="left")
    ok = geo["wkb"].notna().to_numpy()
    if ok.any():
        c3.download_button("GeoPackage", exports.to_gpkg(table[ok].reset_index(drop=True),
                                                         geo.loc[ok, "wkb"].reset_index(drop=True)),
                           f"{stem}.gpkg", "application/geopackage+sqlite3",
                           icon=":material/download:", width="stretch", on_click="ignore")
    else:
        c3.caption("GeoPackage: these wards have no boundaries in this store.")
    if 0 < ok.sum() < len(shown):
        st.caption(f"The GeoPackage holds the {int(ok.sum()):,} wards with boundaries in this store.")
    st.caption("Exports hold the list as shown, with readable column labels and the settings "
               "(area, service, need, rule) in their last columns; the Excel file adds a notes "
               "sheet with the caveat and sources.")


def warm(info: data.StoreInfo) -> None:
    """Compute the default Target list (first LA, GP practices, default rule) into the cache."""
    if not info.has("ward_access") or not info.has("ward_need"):
        return
    types, needs = _choices(info.token)
    codes = list(data.lads(info.token)["lad_code"])
    if not types or not codes:
        return
    lad = "E06000009" if "E06000009" in codes else codes[0]
    service = "gp_practice" if "gp_practice" in types else types[0]
    need = "ace" if "ace" in needs else needs[0]
    _gaps(info.token, service, need, gaprules.DEFAULT_TOP_DECILES, gaprules.DEFAULT_RULE,
          0.25, 0.2, 1.0, 0.25, lad)
