"""Views of Welsh wards (issue 21): Explore with each nation's own index, Welsh snapshots,
and Target's Welsh notes: one nation per list, the Welsh limits, and the England-only notice
for a store built without the Welsh access tables (UI only; the frames come from
:mod:`nation_data`).

Explore hands a view to :func:`render_explore` when it holds a Welsh ward (a Welsh LA, a
border area, or every ward of a store with Wales). There, every class is a decile *within
the ward's own nation*: Welsh wards are coloured by their decile among Welsh wards, English
wards by theirs among English wards; legend, tooltips, ward panel and the exported table
name the nation of every rank. The English and Welsh indices are never put on one scale.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

from needsmap.index.wales import CAVEAT_WALES, DOMAIN_LABELS, NAME_WALES
from needsmap.ingest.services.vocab import SERVICE_TYPES
from needsmap.scope import UnknownArea, resolve_la
from needsmap.views import classify as cls
from needsmap.views import data, layout, maps
from needsmap.views import exports as ex
from needsmap.views import nation_data as nd
from needsmap.views import search as search_ui
from needsmap.views.context import ViewContext
from needsmap.views.layers import ACE_KEY, Layer
from needsmap.views.state import Restored, ensure_choice, ensure_subset, url_problem
from needsmap.views.tables import decile_text, ordinal_text

MAP_KEY = "nw_map"
WORD = {nd.ENGLAND: "English", nd.WALES: "Welsh"}
SPLIT = "England: deciles among English wards; Wales: deciles among Welsh wards"


def applies(ctx: ViewContext, lad_codes: tuple[str, ...] | None) -> bool:
    """True if the view of ``lad_codes`` holds a Welsh ward (``None``, "All England", never:
    Welsh LAs, or "All Wales", are chosen by name)."""
    return (lad_codes is not None and nd.has_wales(ctx.info)
            and nd.WALES in nd.nations_in(ctx.token, lad_codes))


def caveat_wales() -> None:
    """The Welsh index caveat (:data:`needsmap.index.wales.CAVEAT_WALES`)."""
    st.html('<div class="nm-caveat" role="note" data-testid="nm-caveat-wales"><b>About the '
            f"Welsh ACE index.</b> {layout._escape(CAVEAT_WALES)} Darker areas show "
            "<i>higher modelled risk</i> for the area as a whole, never a label for the "
            "people who live there.</div>")


def _layer(lay: nd.NationLayer, nations: list[str]) -> Layer:
    """A :class:`Layer` for formatting (label as the view's nations call it)."""
    label = nd.welsh_label(lay) if nations == [nd.WALES] else lay.label
    return Layer(lay.key, label, lay.welsh or "", "", lay.fmt, lay.higher, "")


def render_explore(ctx: ViewContext, lad_codes: tuple[str, ...] | None, ace: pd.DataFrame,
                   area_label: str, area_widget, apply_search: search_ui.Apply) -> None:  # noqa: ANN001
    """Explore for a view with Welsh wards: map, legend, search box, ward panel and table, by
    nation. ``apply_search`` is Explore's: a search (``?q=``) moves the view to the LA found
    and selects its ward (:mod:`needsmap.views.search`, which Explore has already run)."""
    token = ctx.token
    nations = nd.nations_in(token, lad_codes)
    mixed = len(nations) > 1
    geom = nd.area_geometry(token, lad_codes)
    names = nd.ward_names(token, lad_codes)
    layers = [lay for lay in nd.LAYERS if (lay.welsh and nd.WALES in nations)
              and (not mixed or lay.english)]
    keys = [lay.key for lay in layers]
    if st.session_state.get("ex_layer") not in keys:
        if st.session_state.get("ex_layer"):
            url_problem("layer", st.session_state["ex_layer"], "not a layer for Welsh wards "
                        f"(valid: {', '.join(keys)}); showing the index.")
        st.session_state["ex_layer"] = keys[0]
    lay = nd.BY_KEY[st.session_state["ex_layer"]]
    fmt = _layer(lay, nations)
    vals = nd.values(token, lay, ace, nations)
    view = names.merge(vals.drop(columns=["nation"]), on="ward_code", how="left")

    title = fmt.label if not mixed else f"{lay.label} · England and Wales"
    st.html(f'<h1 class="nm-title">{layout._escape(title)} · {layout._escape(area_label)}</h1>'
            f'<div class="nm-sub">{len(view):,} wards · darker = {layout._escape(lay.higher)}'
            + (" · " + SPLIT if mixed else " · deciles among Welsh wards") + "</div>")
    if nd.ENGLAND in nations:
        layout.caveat()
    caveat_wales()
    if mixed:
        st.info("England and Wales are never ranked together: their indices come from "
                "different sources (IoD2025, WIMD 2019). Each ward is coloured by its decile "
                "among its own nation's wards; English-only and Welsh-only layers are shown "
                "in a view of one nation.", icon=":material/call_split:")

    ward_codes = list(view["ward_code"])
    ensure_choice("ward", [None, *ward_codes], None)
    for key, opts, default in (("ex_palette", list(cls.PALETTES), cls.DEFAULT_PALETTE),
                               ("ex_basemap", list(maps.BASEMAPS), maps.DEFAULT_BASEMAP)):
        ensure_choice(key, opts, default)
        st.session_state.setdefault(key, default)
    svc = data.services(token, lad_codes)
    labels = dict(SERVICE_TYPES)
    types = sorted(set(svc["type"])) if not svc.empty else []
    ensure_subset("ex_services", types, [])

    mcol, pcol = st.columns([13, 7], gap="medium")
    with mcol:
        _map(ctx, geom, view, fmt, nations, svc, labels, lad_codes, area_label)
        st.caption(_counts_text(view, nations))
    with st.sidebar:
        st.subheader("Explore", anchor=False)
        area_widget(ctx)
        st.selectbox("Layer", keys, key="ex_layer", persist_state="session",
                     format_func=lambda k: _layer(nd.BY_KEY[k], nations).label)
        st.caption("Classes: deciles within each nation (1 = the highest tenth of that "
                   "nation's wards). Other class methods would put both nations on one scale, "
                   "so they are not offered here." if mixed else
                   "Classes: deciles among Welsh wards (1 = the highest tenth of Welsh wards).")
        st.selectbox("Palette (colour-blind safe)", list(cls.PALETTES), key="ex_palette",
                     persist_state="session", format_func=cls.PALETTES.get)
        st.selectbox("Basemap", list(maps.BASEMAPS), key="ex_basemap", persist_state="session",
                     format_func=lambda b: maps.BASEMAPS[b][0])
        if types:
            st.pills("Services on the map", types, key="ex_services", selection_mode="multi",
                     persist_state="session", format_func=lambda t: labels.get(t, t))
        if nd.WALES in nations:
            st.caption("Welsh schools are missing: Get Information about Schools covers "
                       "England only. Upload your own list in Upload services.")
    with pcol:
        search_ui.box(ctx, "ex", apply_search, with_details=False, side_by_side=False)
        search_ui.details(ctx, "ex")
        _panel(token, view, fmt, lay, ace, ward_codes)
    _table(view, fmt, nations)
    ctx.selected_lads = list(lad_codes or [])
    ctx.selected_ward = st.session_state.get("ward")


def _on_select() -> None:
    code = getattr(st.session_state.get(MAP_KEY), "select", None)
    if code:
        st.session_state["ward"] = str(code)


def _classes(view: pd.DataFrame, palette: str) -> tuple[list[int], list[str]]:
    """Class per ward (0 = decile 10 ... 9 = decile 1; -1 no data) and the 10 colours."""
    dec = pd.to_numeric(view["decile_nation"], errors="coerce")
    idx = [int(10 - d) if pd.notna(d) else -1 for d in dec]
    return idx, list(cls.palette(palette, 10))


def _map(ctx: ViewContext, geom: data.AreaGeometry, view: pd.DataFrame, fmt: Layer,
         nations: list[str], svc: pd.DataFrame, labels: dict[str, str],
         lad_codes: tuple[str, ...] | None, area_label: str) -> None:
    mixed = len(nations) > 1
    idx, colours = _classes(view, st.session_state["ex_palette"])
    rows = []
    for i in range(10):
        n = sum(1 for x in idx if x == i)
        d = 10 - i
        lab = f"Decile {d}" + (" (highest tenth)" if d == 1 else " (lowest tenth)" if d == 10 else "")
        rows.append((colours[i], lab, f"{n:,}", str(d)))
    missing = sum(1 for x in idx if x < 0)
    foot = (SPLIT + ". The two nations are never ranked together. " if mixed else
            "Deciles among Welsh wards: 1 = the highest tenth of Welsh wards. ")
    if fmt.key == ACE_KEY:
        foot += (f"Wales: {NAME_WALES}; England: the English index. " if mixed
                 else "Ranked among Welsh wards only; not comparable with the English index. ")
    if missing:
        foot += f"{missing:,} wards with no data in grey. "
    what = SPLIT if mixed else "deciles among Welsh wards"
    legend = maps.Legend(f"{fmt.label} · {what}", rows, "lower",
                         "higher" + (" modelled risk" if fmt.key == ACE_KEY else ""), foot.strip())
    value_label = (f"{fmt.label} score" if fmt.key != ACE_KEY else
                   "Index score (its own nation's scale)" if mixed else "Welsh index score (0-1)")
    extra = [_nation_lines(view), _lad_lines(view)]
    skey = f"nw-{data.short_token(ctx.token)}-{geom.key}-{fmt.key}-{st.session_state['ex_palette']}"
    texts = [fmt.format(v) for v in view["value"]]
    if mixed:  # every ward's text names its nation (tooltips, screen readers)
        texts = [f"{t} ({nation}, {WORD.get(nation, '')} deciles)"
                 for t, nation in zip(texts, view["nation"], strict=True)]
    style = maps.Style(skey, value_label, idx, texts, colours, extra)
    chosen = st.session_state.get("ex_services") or []
    layers_, svc_key = [], ""
    if chosen and not svc.empty:
        pick = svc[svc["type"].isin(chosen)]
        layers_ = maps.service_layers(pick, labels, maps.service_style(sorted(labels)))
        svc_key = f"nw-{data.short_token(ctx.token)}-{data.area_key(lad_codes)}-{','.join(sorted(chosen))}"
    maps.ward_map(geom, style, legend, key=MAP_KEY, selected=st.session_state.get("ward"),
                  services=layers_, services_key=svc_key, basemap=st.session_state["ex_basemap"],
                  canvas=geom.n > 1500, title=f"Map of {fmt.label} by ward, {area_label}, "
                  f"{what}. The table of wards below holds the same figures.",
                  note="Hover over a ward for its figures; click it to show its panel.",
                  on_select=_on_select, overlay=search_ui.overlay("ex"))


def _nation_lines(view: pd.DataFrame) -> list[str]:
    out = []
    for nation, r, n, d in zip(view["nation"], view["rank_nation"], view["n_nation"],
                               view["decile_nation"], strict=True):
        t = ordinal_text(r, n)
        word = WORD.get(nation, "")
        out.append(f"{nation}: {decile_text(d)} among {word} wards (rank {t})" if t else
                   f"{nation}: no data")
    return out


def _lad_lines(view: pd.DataFrame) -> list[str]:
    return [f"Rank in {la}: {t}" if (t := ordinal_text(r, n)) else ""
            for r, n, la in zip(view["rank_lad"], view["n_lad"], view["lad_name"], strict=True)]


def _counts_text(view: pd.DataFrame, nations: list[str]) -> str:
    parts = []
    for nation in nations:
        mine = view[view["nation"] == nation]
        parts.append(f"{nation}: {len(mine):,} wards, deciles among {WORD[nation]} wards")
    return "; ".join(parts) + "."


def _panel(token: str, view: pd.DataFrame, fmt: Layer, lay: nd.NationLayer, ace: pd.DataFrame,
           ward_codes: list[str]) -> None:
    code = layout.ward_select(view, ward_codes)
    if not code:
        st.markdown("#### A ward's figures")
        st.caption("Select a ward on the map or in the list to see its decile among its own "
                   "nation's wards.")
        return
    row = view[view["ward_code"] == code].iloc[0]
    nation = row["nation"]
    word = WORD.get(nation, "")
    st.markdown(f"#### {row['ward_name']}")
    st.caption(f"{row['lad_name']} · {code} · {nation}")
    c1, c2 = st.columns(2)
    dec = row["decile_nation"]
    if fmt.key == ACE_KEY:
        c1.metric(f"{nation} decile", f"{int(dec)}" if pd.notna(dec) else "–",
                  help=f"1 = the tenth of {word} wards with the highest modelled risk "
                       f"({NAME_WALES if nation == nd.WALES else 'the English index'}).")
    else:
        c1.metric("Value", fmt.format(row["value"]))
    t = ordinal_text(row["rank_nation"], row["n_nation"])
    c2.metric(f"Rank in {nation}", t or "–",
              help=f"{t} {word} wards, ranked among {word} wards only (1 = highest)" if t else None)
    c3, c4 = st.columns(2)
    ch = row.get("children_0_15")
    c3.metric("Children 0-15", f"{ch:,.0f}" if pd.notna(ch) else "–")
    c4.metric("Rank in LA", ordinal_text(row["rank_lad"], row["n_lad"]) or "–")
    if nation == nd.WALES:
        st.caption(f"{NAME_WALES}: ranked among the {int(row['n_nation']) if pd.notna(row['n_nation']) else 762} "
                   "Welsh wards only; an English decile and a Welsh decile cannot be compared."
                   if fmt.key == ACE_KEY else f"Decile {int(dec) if pd.notna(dec) else '–'} "
                   "among Welsh wards.")
        _welsh_drivers(token, code)
    else:
        st.caption("Decile and rank among English wards only. Its drivers are in an "
                   "England-only view.")


def _welsh_drivers(token: str, code: str) -> None:
    from needsmap.views.explore import _drivers_html  # noqa: PLC0415 - one renderer for both

    w = nd.welsh_wards(token)
    hit = w[w["ward_code"] == code]
    if hit.empty or pd.isna(hit.iloc[0]["welsh_ace_score"]):
        return
    r = hit.iloc[0]
    proxies = {"abuse_neglect": [("ns_community_safety", "WIMD community safety")],
               "household_dysfunction": [("ns_health", "WIMD health")],
               "context": [("ns_housing", "WIMD housing"), ("ns_child_poverty", "Child poverty (CiLIF)"),
                           ("ns_density", "Density")]}
    rows = []
    for d, label in DOMAIN_LABELS.items():
        if pd.isna(r.get(f"{d}_score")):
            continue
        dec = r.get(f"{d}_decile")
        rows.append({"indicator": label + (f" · Welsh decile {int(dec)}" if pd.notna(dec) else ""),
                     "score": float(r[f"{d}_score"]), "weight": "1", "level": "domain"})
        for col, lab in proxies[d]:
            if pd.notna(r.get(col)):
                rows.append({"indicator": lab, "score": float(r[col]), "weight": "1",
                             "level": "proxy"})
    st.markdown("**What drives this ward (Welsh index)**")
    st.html(_drivers_html(pd.DataFrame(rows)))
    st.caption("Each domain (bold) is the mean of the normal scores of the proxies under it, "
               "against all Welsh wards: right of the line, higher modelled risk than most "
               "Welsh wards. Deciles among Welsh wards: 1 = the highest tenth.")


def _table(view: pd.DataFrame, fmt: Layer, nations: list[str]) -> None:
    out = nd.ward_export(view, fmt.label)
    keep = [c for c in out.columns if not any(c.startswith(n) for n in ("England", "Wales"))
            or c.split(" ")[0] in nations]
    out = out[keep].sort_values(["nation", *[c for c in keep if "rank (among" in c][:1]],
                                na_position="last")
    st.markdown("**Table of wards**")
    show = out.rename(columns={"ward_code": "Ward code", "ward_name": "Ward",
                               "lad_name": "Local authority", "nation": "Nation"})
    if fmt.fmt == "pct":
        show[fmt.label] = show[fmt.label] * 100
    st.dataframe(show, hide_index=True, width="stretch", height=320, key="nw_table")
    st.caption("Each rank and decile is among the wards of the ward's own nation (its column "
               "says which); no column ranks English and Welsh wards together.")
    st.download_button("Download the table (CSV)", ex.to_csv(out), file_name="wards-by-nation.csv",
                       mime="text/csv", icon=":material/download:", key="nw_csv")


# --- Target and Snapshot ----------------------------------------------------------------

TARGET_NOTE = ("Target is England-only in this store. Its gap rules need each ward's distances "
               "from children to services and its need deciles, and this store was built "
               "before the build made them for Welsh wards (`ward_access_wales`, "
               "`ward_need_wales`); rebuild it with `needsmap build`. For Welsh LAs, Explore "
               "shows the Welsh index and services, and Snapshot compares an LA with Wales.")

#: What Target does not do for Wales (said beside every Welsh list).
WALES_TARGET_LIMITS = ("Welsh schools, nurseries, family hubs and children's centres are not in "
                       "the open lists (GIAS and the DfE lists cover England only): for those, "
                       "upload your own list in Upload services. Under-5s' distances are "
                       "England-only.")

MIXED_NOTE = ("Target ranks one nation at a time: English and Welsh wards are never ranked "
              "together, because their need comes from different indices (IoD2025, WIMD 2019) "
              "and their \"national\" thresholds from different sets of wards.")


def welsh_target(info: data.StoreInfo) -> bool:
    """True if the store has Target's Welsh tables (``ward_access_wales``, ``ward_need_wales``)."""
    return nd.has_wales(info) and info.has("ward_access_wales") and info.has("ward_need_wales")


def one_nation(ctx: ViewContext, codes: list[str]) -> None:
    """Say so when ``codes`` (a link's or Explore's LAs) hold both English and Welsh LAs:
    Target shows the first one's nation only."""
    nat = nd.lad_nations(ctx.token)
    found = {nat.get(c, nd.ENGLAND) for c in codes}
    if len(found) > 1:
        first = ctx.lad_name(codes[0])
        st.info(f"{MIXED_NOTE} Showing {first} ({nat.get(codes[0], nd.ENGLAND)}); choose an "
                "LA of the other nation to see its list.", icon=":material/call_split:")


def target_caveat(nation: str) -> None:
    """The caveat of the index Target's need comes from (English or Welsh)."""
    if nation == nd.WALES:
        caveat_wales()
        st.caption(f"Need in a Welsh LA comes from the {NAME_WALES} or from WIMD 2019 scores, "
                   "ranked among the 762 Welsh wards only. " + WALES_TARGET_LIMITS)
    else:
        layout.caveat()


def england_only(ctx: ViewContext, restored: Restored | None = None) -> ViewContext | None:
    """``ctx`` with the Welsh LAs left out (and a note saying why); ``None`` if none is left.

    A link naming a Welsh LA (``la``, ``lad``, ``area``) is answered by the note, not as an
    unknown LA: the parameter is taken out of ``restored``.
    """
    nat = nd.lad_nations(ctx.token)
    welsh = [c for c in ctx.lads["lad_code"] if nat.get(c) == nd.WALES]
    if not welsh:
        return ctx
    picked = [ctx.lad_name(c) for c in (ctx.selected_lads or st.session_state.get("ex_area") or [])
              if c in welsh]
    pairs = [(c, ctx.lad_name(c)) for c in welsh]
    for name in ("lad", "la", "area"):
        if restored is not None and name in restored:
            try:
                code = resolve_la(restored.raw[name].split(",")[0], pairs)[0]
            except UnknownArea:
                continue
            restored.raw.pop(name)
            picked = list(dict.fromkeys([*picked, ctx.lad_name(code)]))
    st.info((f"{', '.join(picked)} {'is' if len(picked) == 1 else 'are'} in Wales. " if picked
             else "") + TARGET_NOTE, icon=":material/info:")
    lads = ctx.lads[~ctx.lads["lad_code"].isin(welsh)].reset_index(drop=True)
    if lads.empty:
        return None
    return dataclasses.replace(ctx, lads=lads,
                               selected_lads=[c for c in ctx.selected_lads if c not in welsh])


def welsh_lads(ctx: ViewContext) -> pd.DataFrame:
    """``lad_code, lad_name`` of the Welsh LAs with a Welsh snapshot."""
    nat = nd.lad_nations(ctx.token)
    if not nd.has_wales(ctx.info):
        return pd.DataFrame(columns=["lad_code", "lad_name"])
    return ctx.lads[ctx.lads["lad_code"].map(nat) == nd.WALES][["lad_code", "lad_name"]]


@st.cache_data(show_spinner=False, max_entries=32)
def _welsh_snapshot(token: str, la_code: str, _ctx):  # noqa: ANN001, ANN202
    from needsmap.snapshot import wales as sw  # noqa: PLC0415

    con = _ctx.cursor()
    try:
        snap = sw.build(con, la_code)
    finally:
        con.close()
    return sw.render_html(snap), (snap.map.png if snap.map else None)


def render_snapshot(ctx: ViewContext, la_code: str, la_name: str, mode: str) -> None:
    """The Welsh LA snapshot (compared with the LA and Wales), with its downloads."""
    from needsmap.snapshot.localities import slugify  # noqa: PLC0415

    if mode != "la":
        st.info(f"{la_name} is in Wales: Welsh snapshots cover a whole local authority for now "
                "(compared with Wales); picked wards and locality files are England-only.")
    with st.spinner("Preparing the snapshot..."):
        html, png = _welsh_snapshot(ctx.token, la_code, ctx)
    st.caption(f"{la_name} is compared with Wales, using the {NAME_WALES}, ranked among "
               "Welsh wards only.")
    slug = "la-" + slugify(la_name)
    d1, d2 = st.columns(2)
    d1.download_button("Download page (HTML)", html.encode("utf-8"), file_name=f"{slug}.html",
                       mime="text/html", icon=":material/download:")
    if png:
        d2.download_button("Download map (PNG)", png, file_name=f"{slug}-map.png",
                           mime="image/png", icon=":material/image:")
    st.iframe(html, height=1500) if hasattr(st, "iframe") else st.html(html)
