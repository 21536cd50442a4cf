"""Explore (analysts): the ward map of the ACE index or any indicator.

Area (one LA, several, or every ward in the store), layer, classes, palette, basemap,
service layers and index weights are in the sidebar; the map, a "what drives this ward"
panel, a sortable table (the accessible alternative to the map) and a scatter of any two
indicators are in the page. Everything that defines the view is in the URL; a link
with something the app does not understand still opens and says what it ignored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from needsmap.access.early_years import COVERAGE_NOTE
from needsmap.access.nation_tables import WALES, nation_of
from needsmap.areas.weights import POOR_FIT_NOTE
from needsmap.ingest.services.vocab import SERVICE_TYPES
from needsmap.scope import UnknownArea, resolve_la
from needsmap.views import basis as B
from needsmap.views import change as change_ui
from needsmap.views import classify as cls
from needsmap.views import data, indexing, layout, maps, nations
from needsmap.views import nation_data as nd
from needsmap.views import search as search_ui
from needsmap.views._memo import Unhashed, memo
from needsmap.views.context import ViewContext
from needsmap.views.layers import (
    ACE_KEY,
    BASIS_SWAP,
    INDEX_LAYER,
    UNDER5_ONLY,
    available_layers,
    get_layer,
)
from needsmap.views.state import (
    Param,
    Restored,
    as_int,
    as_list,
    ensure_choice,
    ensure_subset,
    list_to_url,
    restore,
    sentence,
    show_url_problems,
    sync,
    url_problem,
    weights_from_url,
    weights_to_url,
)
from needsmap.views.tables import band_text, decile_text, ordinal_text, values_for

ALL = "__all__"
#: Every Welsh LA (a store with Wales); ``__all__`` is every English ward.
ALL_WALES = "__wales__"
MAP_KEY = "explore_map"
#: Above this many wards the map draws on a canvas rather than SVG paths.
CANVAS_ABOVE = 1500
TABLE_KEY = "explore_table"
#: The LA a new visitor sees first (Blackpool), if the store has it.
DEFAULT_LA = "E06000009"

PARAMS = [
    Param("ex_area", "area", [], list_to_url, as_list),
    Param("_ex_la_url", "la", None, str, as_list),
    Param("ex_layer", "layer", ACE_KEY),
    Param("ex_method", "method", indexing.DEFAULT_METHOD),
    Param("ex_classes", "classes", cls.DEFAULT_METHOD),
    Param("ex_k", "k", cls.DEFAULT_K, str, as_int),
    Param("ex_palette", "palette", cls.DEFAULT_PALETTE),
    Param("ex_basemap", "basemap", maps.DEFAULT_BASEMAP),
    Param("ex_services", "services", [], list_to_url, as_list),
    Param("ward", "ward", None),
    Param("_ex_w_url", "w", None, weights_to_url, weights_from_url),
    B.PARAM,
]

PARAMS += search_ui.params("ex")  # ?q= (issue 19)

def _service_type_labels() -> dict[str, str]:
    return dict(SERVICE_TYPES)


def _weights(method: str | None = None) -> dict[str, int]:
    """Slider weights of ``method`` (default: the method in the session)."""
    method = method or st.session_state.get("ex_method", indexing.DEFAULT_METHOD)
    return {n: int(st.session_state.get(f"w_{n}", d))
            for n, d in indexing.default_weights(method).items()}


def _on_map_select() -> None:
    """A click on a ward selects it (runs before the script, so widgets can follow)."""
    code = getattr(st.session_state.get(MAP_KEY), "select", None)
    if code:
        st.session_state["ward"] = str(code)


def _on_table_select() -> None:
    sel = st.session_state.get(TABLE_KEY)
    rows = list(getattr(getattr(sel, "selection", None), "rows", []) or [])
    codes = st.session_state.get("_ex_table_codes", [])
    if rows and rows[0] < len(codes):
        st.session_state["ward"] = codes[rows[0]]


def _apply_search(ward: str | None, lad: str | None) -> None:
    """A search landed on ``ward`` / ``lad``: put its LA in view and select the ward."""
    area = st.session_state.get("ex_area") or []
    # "All England" holds no Welsh ward
    if lad and lad not in area and (ALL not in area or nation_of(lad) == WALES):
        st.session_state["ex_area"] = [lad]
    st.session_state["ward"] = ward


def _reset_weights() -> None:
    for m in indexing.method_labels():
        for n, d in indexing.default_weights(m).items():
            st.session_state[f"w_{n}"] = d
    st.session_state["ex_method"] = indexing.DEFAULT_METHOD


def _default_area(codes: list[str]) -> str:
    return DEFAULT_LA if DEFAULT_LA in codes else codes[0]


def _resolve_area_items(items: list[str], ctx: ViewContext, name: str) -> list[str]:
    """LA names or codes from a link -> codes (``__all__`` kept); says what it dropped."""
    pairs = list(zip(ctx.lads["lad_code"], ctx.lads["lad_name"], strict=True))
    out, bad = [], []
    for item in items:
        if item == ALL or item.strip().lower() in ("all", "england"):
            out.append(ALL)
            continue
        if item == ALL_WALES or item.strip().lower() in ("wales", "cymru"):
            if _welsh_codes(ctx):
                out.append(ALL_WALES)
            else:
                bad.append((item, "this store has no Welsh wards."))
            continue
        try:
            out.append(resolve_la(item, pairs)[0])
        except UnknownArea as exc:
            bad.append((item, str(exc)))
    codes = list(ctx.lads["lad_code"])
    for item, why in bad:
        url_problem(name, item, f"{sentence(why)} " + (
            "It is left out." if out else f"Showing {ctx.lad_name(_default_area(codes))}."))
    return out


def _area_choice(ctx: ViewContext, restored: Restored) -> tuple[str, ...] | None:
    """The LAD codes in view from ``ex_area`` (defaults filled in); ``None`` = every ward."""
    codes = list(ctx.lads["lad_code"])
    many = len(codes) > 1
    if "area" in restored or "la" in restored:
        items = list(st.session_state.get("ex_area") or []) if "area" in restored else []
        items += list(st.session_state.pop("_ex_la_url", None) or [])
        resolved = _resolve_area_items(items, ctx, "area" if "area" in restored else "la")
        st.session_state["ex_area"] = list(dict.fromkeys(resolved))
    welsh = _welsh_codes(ctx)
    ensure_subset("ex_area", [ALL, *([ALL_WALES] if welsh else []), *codes], [])
    if not st.session_state.get("ex_area"):
        st.session_state["ex_area"] = [_default_area(codes)] if many else [codes[0]]
    chosen = st.session_state.get("ex_area") or []
    if ALL in chosen or not chosen:  # every English ward (Welsh LAs are chosen by name)
        return None if many else tuple(codes)
    if ALL_WALES in chosen:
        chosen = [*chosen, *welsh]
    return tuple(c for c in codes if c in chosen)


def _welsh_codes(ctx: ViewContext) -> list[str]:
    """The store's Welsh LA codes (empty for an England-only store)."""
    return list(nations.welsh_lads(ctx)["lad_code"])


def _area_widget(ctx: ViewContext) -> None:
    lads = ctx.lads
    codes = list(lads["lad_code"])
    names = dict(zip(lads["lad_code"], lads["lad_name"], strict=True))
    names |= {c: f"{names[c]} / {cy}" for c, cy in nd.welsh_names(ctx.token).items()
              if c in names}  # bilingual, as DWP names them: "Newport / Casnewydd"
    all_label = "All England" if ctx.info.is_england else "All wards in this store"
    welsh = _welsh_codes(ctx)
    names |= {ALL: all_label, ALL_WALES: "All Wales"}
    opts = [ALL, *([ALL_WALES] if welsh else []), *codes] if len(codes) > 1 else codes
    st.multiselect("Area", opts, key="ex_area", persist_state="session",
                   format_func=lambda c: names.get(c, c),
                   help="One local authority, several, or all of them. Larger areas are drawn "
                        "with more simplified boundaries, so pick one LA for full detail.",
                   placeholder="Choose local authorities")


def _index_choice(restored: Restored) -> tuple[str, dict[str, int]]:
    """Index method and weights from the session (URL weights and defaults filled in)."""
    if "method" in restored and st.session_state.get("ex_method") not in indexing.method_labels():
        url_problem("method", restored.raw["method"],
                    f"not an index method (use {', '.join(indexing.method_labels())}); "
                    f"showing {indexing.DEFAULT_METHOD}.")
    ensure_choice("ex_method", list(indexing.method_labels()), indexing.DEFAULT_METHOD)
    if "w" in restored and "w" in restored.bad:
        url_problem("w", restored.raw["w"], "weights must look like `name:40,other:20` "
                    "(0 to 100 each); showing the default weights.")
    url_w = st.session_state.pop("_ex_w_url", None)
    if url_w and "ex_method" not in st.session_state and set(url_w) <= set(
            indexing.indicator_labels()):
        # a permalink from before the domains default: indicator weights and no method
        # meant the lewer method, then the default
        st.session_state["ex_method"] = "lewer"
    st.session_state.setdefault("ex_method", indexing.DEFAULT_METHOD)
    method = st.session_state["ex_method"]
    if url_w:
        labels = indexing.weight_labels(method)
        unknown = [n for n in url_w if n not in labels]
        if unknown:
            url_problem("w", restored.raw.get("w", ""),
                        f"unknown weight name(s) {', '.join(unknown)} ignored for the "
                        f"{method} method (valid: {', '.join(labels)}).")
        for n in labels:
            st.session_state[f"w_{n}"] = int(url_w.get(n, 0))
    for m in indexing.method_labels():
        for n, d in indexing.default_weights(m).items():
            st.session_state.setdefault(f"w_{n}", d)
    return method, _weights(method)


def _index_widgets(ctx: ViewContext) -> None:
    labels = indexing.weight_labels(st.session_state.get("ex_method", indexing.DEFAULT_METHOD))
    methods = indexing.method_labels()
    live = indexing.can_recompute(ctx.token)
    with st.sidebar.expander("ACE index weights", expanded=True, icon=":material/tune:"):
        if not live:
            st.caption("Recomputing the index needs `needsmap.index` and the store's "
                       "`ward_indicators_england`; showing the stored index.")
        st.selectbox("Method", list(methods), key="ex_method", persist_state="session", format_func=methods.get,
                     disabled=not live,
                     help="Domains (default): Lewer et al. 2020's three domains of adversity "
                          "(abuse and neglect, household dysfunction, wider context), each "
                          "from its nearest open proxies, combined by mean rank. The other "
                          "methods combine four correlates Lewer reported (child poverty, "
                          "income, crime, density): by mean rank (Lewer), weighted normal "
                          "scores, or the IoD exponential transform.")
        has_crime = ctx.info.has("ward_crime")
        for n, label in labels.items():
            if n == "recorded_crime" and not has_crime:
                continue
            st.slider(label, 0, 100, key=f"w_{n}", persist_state="session", step=5, disabled=not live,
                      help="Relative weight; weights are normalised to sum to 100%."
                      + (" Replaces the IoD crime score: give weight to one of the two."
                         if n == "recorded_crime" else "")
                      + (" Each domain's proxies are combined with equal weights."
                         if n in _DOMAIN_LABELS else ""))
        w = _weights()
        total = sum(w.values())
        if total:
            st.caption("Effective weights: " + ", ".join(
                f"{labels[n].split(' (')[0]} {v / total:.0%}" for n, v in w.items() if v))
        st.button("Reset to the default index", on_click=_reset_weights, width="stretch",
                  disabled=not live)


def _display_widgets(keys: list[str]) -> None:
    """Layer, classes, palette and basemap (their session values are set by :func:`render`)."""
    st.selectbox("Layer", keys, key="ex_layer", persist_state="session", format_func=lambda k: get_layer(k).label)
    c1, c2 = st.columns([3, 2])
    fixed = change_ui.is_change(get_layer(st.session_state.get("ex_layer", "")))  # 3 classes
    c1.selectbox("Classes", list(cls.METHODS), key="ex_classes", persist_state="session", format_func=cls.METHODS.get,
                 disabled=fixed)
    c2.selectbox("Number", list(range(3, 10)), key="ex_k", persist_state="session",
                 disabled=fixed or st.session_state["ex_classes"] == "national_deciles")
    st.selectbox("Palette (colour-blind safe)", list(cls.PALETTES), key="ex_palette", persist_state="session",
                 format_func=cls.PALETTES.get, disabled=fixed,
                 help="The change layers have their own diverging palette." if fixed else None)
    st.selectbox("Basemap", list(maps.BASEMAPS), key="ex_basemap", persist_state="session",
                 format_func=lambda b: maps.BASEMAPS[b][0])


def _display_choice(keys: list[str], restored: Restored) -> None:
    """Fill the session values of the display widgets (from the URL, else defaults)."""
    for key, name, options, default, what in (
            ("ex_layer", "layer", keys, keys[0], "a layer of this store"),
            ("ex_classes", "classes", list(cls.METHODS), cls.DEFAULT_METHOD, "a class method"),
            ("ex_k", "k", list(range(3, 10)), cls.DEFAULT_K, "a number of classes (3 to 9)"),
            ("ex_palette", "palette", list(cls.PALETTES), cls.DEFAULT_PALETTE, "a palette"),
            ("ex_basemap", "basemap", list(maps.BASEMAPS), maps.DEFAULT_BASEMAP, "a basemap")):
        if name in restored and (name in restored.bad or st.session_state.get(key) not in options):
            shown = get_layer(default).label if key == "ex_layer" else default
            url_problem(name, restored.raw[name], f"not {what} (valid: "
                        f"{', '.join(map(str, options))}); showing {shown}.")
        ensure_choice(key, options, default)
        st.session_state.setdefault(key, default)


def render(ctx: ViewContext) -> None:
    """Draw the Explore view.

    The map is sent to the browser first, before the sidebar widgets and the panels
    around it: everything it needs is read from the session (which the URL and the
    widgets' defaults fill), and the widgets are drawn afterwards with the same keys.
    """
    restored = restore(PARAMS, "explore")
    search_ui.prepare(ctx, "ex", restored, _apply_search)
    info, token = ctx.info, ctx.token
    if ctx.lads.empty:
        st.warning("This store has no wards with boundaries (`ward_indicators` is missing or "
                   "empty), so there is nothing to map. Rebuild it with `needsmap build`.")
        return
    lad_codes = _area_choice(ctx, restored)
    wards = data.ward_table(token)

    # The index (stored or recomputed with the user's weights).
    method, weights = indexing.DEFAULT_METHOD, indexing.default_weights()
    ace, ace_note, ace_error = pd.DataFrame(), "", ""
    has_index = info.has("ward_ace") or indexing.can_recompute(token)
    if has_index:
        method, weights = _index_choice(restored)
        try:
            ace, ace_note = indexing.ward_ace(token, method, weights)
        except indexing.IndexSpecError as exc:
            ace_error = str(exc)
    if nations.applies(ctx, lad_codes):  # Welsh wards in view: each nation's own deciles
        nations.render_explore(ctx, lad_codes, ace, _area_label(ctx, lad_codes), _area_widget,
                               _apply_search)
        sync(PARAMS, extra={"view": "explore"})
        return
    pending = indexing.bands_pending(ace)
    ace_key = (f"{method}:{weights_to_url(weights)}" + ("~" if pending else "")
               if not ace.empty else "none")
    layers, missing = _layers(info, ace, ace_key)
    if ace_error:
        missing[INDEX_LAYER.label] = ace_error
    if not layers:
        with st.sidebar:
            st.subheader("Explore", anchor=False)
            _area_widget(ctx)
        st.warning("No layer in this store has values to map.")
        layout.unavailable(missing)
        return
    keys = _basis_layers([lay.key for lay in layers], B.choose(restored))
    _display_choice(keys, restored)
    layer = get_layer(st.session_state["ex_layer"])

    # Services in view.
    type_labels = _service_type_labels()
    svc = data.services(token, lad_codes)
    if svc.empty and "service" not in info.tables:
        missing["Services"] = "the store has no `service` table (the services stage did not run)"
    present = set(svc["type"]) if not svc.empty else set()
    types_present = [t for t in type_labels if t in present]
    types_present += sorted(t for t in present if t not in types_present)
    upload = ctx.session_services
    if not upload.empty:
        types_present.append("_upload")
    if "services" in restored:
        unknown = [t for t in (st.session_state.get("ex_services") or []) if t not in types_present]
        if unknown:
            url_problem("services", ",".join(unknown), "no such service type in this area; "
                        "left off the map.")
    ensure_subset("ex_services", types_present, [])

    # Values for the layer, aligned to the wards in view.
    vals_all = _values(token, layer, ace_key, ace)
    geom = data.area_geometry(token, lad_codes)
    view = _view(token, geom, layer, ace_key, wards, vals_all)
    national = vals_all["value"].to_numpy(dtype=float)
    classes = (change_ui.classes(view) if change_ui.is_change(layer) else
               _classify(token, layer.key, ace_key, geom.key, view["value"], national,
                         st.session_state["ex_classes"], int(st.session_state["ex_k"]),
                         st.session_state["ex_palette"], layer))

    # Heading.
    area_label = _area_label(ctx, lad_codes)
    st.html(f'<h1 class="nm-title">{layout._escape(layer.label)} · {layout._escape(area_label)}</h1>'
            f'<div class="nm-sub">{len(view):,} wards · '
            + (change_ui.subtitle() if change_ui.is_change(layer)
               else f"darker = {layout._escape(layer.higher)}")
            + (f" · index {layout._escape(ace_note)}" if layer.key == ACE_KEY and ace_note else "")
            + "</div>")
    layout.caveat()
    if change_ui.is_change(layer):  # ranks not levels; the re-mapping's uncertainty
        change_ui.caveat()
    ward_codes = list(view["ward_code"])
    if "ward" in restored and st.session_state.get("ward") not in ward_codes:
        url_problem("ward", restored.raw["ward"], f"not a ward in {area_label}; no ward selected.")
    show_url_problems()
    if ace_error:
        st.warning(f"The index could not be recomputed with these weights: {ace_error}",
                   icon=":material/warning:")

    # The map first, then the sidebar widgets, the side panel, the table and the scatter.
    ensure_choice("ward", [None, *ward_codes], None)
    selected = st.session_state.get("ward")
    first = _first_browser_run()
    mcol, pcol = st.columns([13, 7], gap="medium")
    with mcol:
        _draw_map(ctx, geom, view, layer, classes, svc, type_labels, upload, selected,
                  lad_codes, ace_key, method, area_label, first,
                  refresh=pending and layer.key == ACE_KEY)
        st.caption(_classes_text(layer, classes))
        if layer.key == "child_poverty_rate":  # which rate each ward shows (docs/method.md)
            st.caption(layer.note)
        if layer.table == "ward_access_under5":  # what the early-years lists hold
            st.caption(f"{layer.note} {COVERAGE_NOTE}")
        if change_ui.is_change(layer):  # the wards that moved most
            change_ui.below_map(token, lad_codes, layer, area_label)
    with pcol:  # beside the map, so the map stays above the fold
        search_ui.box(ctx, "ex", _apply_search, with_details=False, side_by_side=False)
    if first:
        with pcol:
            st.caption("The controls, the ward panel and the table of wards (the text "
                       "alternative to the map) follow as soon as the map has loaded.")
            st.button("Show them now", key="ex_show_all", icon=":material/tune:")
        ctx.selected_lads = list(lad_codes or [])
        ctx.selected_ward = selected
        sync(PARAMS, extra={"view": "explore"} | (
            {"w": weights_to_url(weights)} if weights != indexing.default_weights(method)
            else {}))
        return
    with st.sidebar:
        st.subheader("Explore", anchor=False)
        _area_widget(ctx)
        B.widget("Under-5s: the map's population and early-years access layers count "
                 "children aged 0-4 (ONS mid-2020 estimates on today's areas).")
    if has_index:
        _index_widgets(ctx)
    with st.sidebar:
        _display_widgets(keys)
        if types_present:
            st.pills("Services on the map", types_present, key="ex_services", persist_state="session",
                     selection_mode="multi",
                     format_func=lambda t: "Your uploaded list" if t == "_upload"
                     else type_labels.get(t, t))
        st.caption("Services are clustered; zoom in or click a cluster to see each one.")
    with pcol:
        search_ui.details(ctx, "ex")
        _ward_panel(ctx, view, layer, ace, ward_codes, method)
    if has_index and not ace_error:
        with mcol:
            _method_comparison(token, method, weights)

    # Tabs render lazily (only the open one), so the scatter's chart library does not
    # slow down the first paint of the map.
    t1, t2 = st.tabs([":material/table: Table of wards", ":material/scatter_plot: Compare two indicators"],
                     key="ex_tab", on_change="rerun")
    if t1.open:
        with t1:
            _ward_table(view, layer, ace)
    if t2.open:
        with t2:
            _scatter(view, layers, ace)
    layout.unavailable(missing)

    ctx.selected_lads = list(lad_codes or [])
    ctx.selected_ward = st.session_state.get("ward")
    method = st.session_state.get("ex_method", indexing.DEFAULT_METHOD)
    w = _weights(method)
    sync(PARAMS, extra={"view": "explore"} | (
        {"w": weights_to_url(w)} if w != indexing.default_weights(method) else {}))


def _basis_layers(keys: list[str], basis: str) -> list[str]:
    """The layer keys offered with the population ``basis``; a layer with a counterpart on
    the other basis (children 0-15 <-> under-5s) follows the switch."""
    drop = {"children_0_15"} if basis == "under5" else set(UNDER5_ONLY)
    out = [k for k in keys if k not in drop]
    cur = st.session_state.get("ex_layer")
    if cur not in out and BASIS_SWAP.get(cur) in out:
        st.session_state["ex_layer"] = BASIS_SWAP[cur]
    return out


def _layers(info: data.StoreInfo, ace: pd.DataFrame, ace_key: str):  # noqa: ANN202
    return _layers_cached(info.token, ace_key, ace)


def _layers_cached(token: str, ace_key: str, ace: pd.DataFrame):  # noqa: ANN202
    res = _LAYERS(token, ace_key, Unhashed(ace))
    return res[0], dict(res[1])


@memo(maxsize=32)
def _LAYERS(token: str, ace_key: str, ace: Unhashed):  # noqa: N802, ANN202
    info = data.info_for(token)
    wards = data.ward_table(token)
    ace_df: pd.DataFrame = ace.value
    extra = {}
    if not ace_df.empty:
        extra[ACE_KEY] = ace_df.set_index("ward_code")["ace_score"].reindex(wards["ward_code"]).values
    crime_layer = get_layer("recorded_crime_rate")
    if info.has("ward_crime", crime_layer.column):
        cv = values_for(token, crime_layer, ace_df).set_index("ward_code")["value"]
        extra[crime_layer.key] = cv.reindex(wards["ward_code"]).values
    return available_layers(info, wards, {k: pd.Series(v) for k, v in extra.items()})


def _values(token: str, layer, ace_key: str, ace: pd.DataFrame) -> pd.DataFrame:  # noqa: ANN001
    """Values and ranks of ``layer`` for every English ward (shared; read-only)."""
    return _VALUES(token, layer.key, ace_key if layer.key == ACE_KEY else "",
                   Unhashed((layer, ace)))


@memo(maxsize=64)
def _VALUES(token: str, layer_key: str, ace_key: str, payload: Unhashed) -> pd.DataFrame:  # noqa: N802
    layer, ace = payload.value
    return values_for(token, layer, ace)


def _view(token: str, geom: data.AreaGeometry, layer, ace_key: str,  # noqa: ANN001
          wards: pd.DataFrame, vals: pd.DataFrame) -> pd.DataFrame:
    """The wards in view with the layer's values (shared; read-only)."""
    return _VIEWS(token, geom.key, layer.key, ace_key if layer.key == ACE_KEY else "",
                  Unhashed((wards, vals, geom)))


@memo(maxsize=128)
def _VIEWS(token: str, geom_key: str, layer_key: str, ace_key: str,  # noqa: N802
           payload: Unhashed) -> pd.DataFrame:
    wards, vals, geom = payload.value
    return _view_frame(wards, vals, geom)


def _view_frame(wards: pd.DataFrame, vals: pd.DataFrame, geom: data.AreaGeometry) -> pd.DataFrame:
    in_view = pd.DataFrame({"ward_code": list(geom.codes)})
    return in_view.merge(wards.drop(columns=["lad_code"], errors="ignore"), on="ward_code",
                         how="left").merge(vals, on="ward_code", how="left")


def _classify(token: str, layer_key: str, ace_key: str, geom_key: str, values: pd.Series,
              national: np.ndarray, method: str, k: int, palette: str, layer) -> cls.Classes:  # noqa: ANN001
    key = (token, layer_key, ace_key if layer_key == ACE_KEY else "", geom_key, method,
           k if method != "national_deciles" else 10, palette)
    return _CLASSES(*key, Unhashed((values, national, layer)))


@memo(maxsize=64)
def _CLASSES(token, layer_key, ace_key, geom_key, method, k, palette, payload):  # noqa: N802, ANN001, ANN202
    values, national, layer = payload.value
    return cls.classify(values, method, k, palette, national=national, fmt=layer.format_bin,
                        ranges=layer.key != ACE_KEY)


#: Session key set by a browser session's first Explore run (the map alone).
_FIRST_RUN_DONE = "_ex_first_run_done"


def _first_browser_run() -> bool:
    """On a browser session's first run, the page stops after the map.

    The page's one main thread renders every element before the map can be drawn, and
    the sidebar's widgets, the side panel and the table of wards (a data grid) cost it
    about half a second. So a new browser session gets the heading, the caveat and the
    map first; everything else comes with the next run, which the map asks for once it
    has painted (trigger ``painted``), or the button left beside it. The widgets' values
    are already in the session, so the second run draws them as the first run used
    them. Sessions without a browser (AppTest, no request headers) render everything at
    once.
    """
    if st.session_state.get(_FIRST_RUN_DONE):
        return False
    st.session_state[_FIRST_RUN_DONE] = True
    return bool((st.context.headers or {}).get("User-Agent"))


def _area_label(ctx: ViewContext, lad_codes: tuple[str, ...] | None) -> str:
    if lad_codes is None:
        return "All England" if ctx.info.is_england else "All wards in this store"
    if ALL_WALES in (st.session_state.get("ex_area") or []) and len(lad_codes) > 1:
        return "All Wales" if set(lad_codes) == set(_welsh_codes(ctx)) else \
            f"Wales and {len(lad_codes) - len(_welsh_codes(ctx))} more local authorities"
    names = [ctx.lad_name(c) for c in lad_codes]
    return names[0] if len(names) == 1 else f"{len(names)} local authorities"


# --- tooltip lines: each function gives one line per ward (empty = no line) ------------

def _line_england(view: pd.DataFrame) -> list[str]:
    out = []
    for rank, n, dec in zip(view["rank_england"], view["n_england"], view["decile_england"],
                            strict=True):
        nat = ordinal_text(rank, n)
        d = decile_text(dec)
        out.append(f"England: rank {nat}" + (f", {d}" if d else "") if nat else "")
    return out


def _line_la(view: pd.DataFrame) -> list[str]:
    names = view["lad_name"].fillna("").astype(str) if "lad_name" in view else [""] * len(view)
    return [f"Rank in {la or 'its LA'}: {t}" if (t := ordinal_text(r, n)) else ""
            for r, n, la in zip(view["rank_lad"], view["n_lad"], names, strict=True)]


def _line_band(view: pd.DataFrame) -> list[str]:
    return [band_text(b, s) for b, s in zip(view["band"], view["band_share"], strict=True)]


def _line_fit(view: pd.DataFrame) -> list[str]:
    """The lay note where the LSOAs behind a ward's figures fit it poorly (issue 14)."""
    if "fit_poor" not in view:
        return [""] * len(view)
    return [POOR_FIT_NOTE if pd.notna(p) and bool(p) else "" for p in view["fit_poor"]]


#: The tooltip's lines under the value, in order; each is one function ``view`` -> one
#: text per ward (empty: no line).
TOOLTIP_LINES: list[Callable[[pd.DataFrame], list[str]]] = [_line_england, _line_la, _line_band,
                                                           _line_fit, change_ui.tooltip_line]


def _style_key(geom: data.AreaGeometry, layer, ace_key: str, classes: cls.Classes) -> str:  # noqa: ANN001
    return "st-" + hashlib.sha1(repr((geom.key, layer.key, ace_key if layer.key == ACE_KEY
                                      else "", classes.method, classes.edges,
                                      classes.colours)).encode()).hexdigest()[:12]


def _style(view: pd.DataFrame, layer, classes: cls.Classes, key: str,  # noqa: ANN001
           method: str = indexing.DEFAULT_METHOD) -> maps.Style:
    return _STYLES(key, Unhashed((view, layer, classes, method)))


@memo(maxsize=64)
def _STYLES(key: str, payload: Unhashed) -> maps.Style:  # noqa: N802
    view, layer, classes, method = payload.value
    values = [layer.format(v) for v in view["value"]]
    label = layer.label
    if layer.key == ACE_KEY:  # the index score means nothing without its scale
        label = f"ACE index score ({indexing.scale_short(method, view['n_england'].max())})"
    extra = [f(view) for f in TOOLTIP_LINES]
    if layer.key == "child_poverty_rate" and "child_poverty_method" in view:
        # which child poverty rate each ward shows (docs/method.md)
        extra.append([f"Rate: {m}" if isinstance(m, str) and m else ""
                      for m in view["child_poverty_method"]])
    return maps.Style(key, label, classes.index.tolist(), values, classes.colours, extra)


def _draw_map(ctx: ViewContext, geom: data.AreaGeometry, view: pd.DataFrame, layer,  # noqa: ANN001
              classes: cls.Classes, svc: pd.DataFrame, type_labels: dict[str, str],
              upload: pd.DataFrame, selected: str | None, lad_codes: tuple[str, ...] | None,
              ace_key: str, method: str, area_label: str, first: bool,
              refresh: bool = False) -> None:
    deciles = classes.method == "national_deciles"
    rows = [(classes.colours[i], classes.labels[i], f"{classes.counts[i]:,}",
             str(10 - i) if deciles else "")
            for i in range(classes.k)]
    n_missing = int((classes.index < 0).sum())
    foot = ("National deciles: 1 = the highest tenth of English wards. " if deciles
            else "Classes of the wards in view. ")
    if layer.key == ACE_KEY:
        foot += f"Index score: {indexing.scale_text(method, view['n_england'].max())}. "
    if n_missing:
        foot += f"{n_missing:,} wards with no data in grey. "
    if deciles:
        low, high = "lower", "higher " + ("modelled risk" if layer.key == ACE_KEY else "")
    else:
        low = classes.labels[0].split(" – ")[0] if classes.k else ""
        high = classes.labels[-1].split(" – ")[-1] if classes.k else ""
    legend = maps.Legend(f"{layer.label} · {cls.METHODS.get(classes.method, '')}", rows,
                         low, high.strip(), foot.strip())
    if change_ui.is_change(layer):
        legend = change_ui.legend(classes, layer)
    style = _style(view, layer, classes, _style_key(geom, layer, ace_key, classes), method)
    chosen = st.session_state.get("ex_services") or []
    layers_, skey = [], ""
    if chosen:
        styles = maps.service_style(list(type_labels) or sorted(set(svc.get("type", []))))
        labels = dict(type_labels) | {"_upload": "Your uploaded list"}
        pick = svc[svc["type"].isin(chosen)] if not svc.empty else svc
        layers_ = maps.service_layers(pick, labels, styles) if len(pick) else []
        skey = f"{ctx.info.short}-{data.area_key(lad_codes)}-{','.join(sorted(chosen))}"
        if "_upload" in chosen and not ctx.session_services.empty:
            up = ctx.session_services.assign(type="_upload")
            layers_ += maps.service_layers(up, labels, {"_upload": maps.UPLOAD_STYLE})
            skey += "-" + st.session_state.get("upload_digest", "")[:10]
    maps.ward_map(geom, style, legend, key=MAP_KEY, selected=selected, services=layers_,
                  services_key=skey, basemap=st.session_state["ex_basemap"],
                  canvas=geom.n > CANVAS_ABOVE, report_paint=first,
                  title=f"Map of {layer.label} by ward, {area_label}. The table of wards "
                        "below holds the same figures.",
                  note=("Hover over a ward for its figures; click it (or press Enter on it) "
                        "to show what drives it." if geom.n <= CANVAS_ABOVE else
                        "Hover over a ward for its figures; click it to show what drives it."),
                  on_select=_on_map_select, refresh_after=1.0 if refresh else None,
                  overlay=search_ui.overlay("ex"))


def _classes_text(layer, classes: cls.Classes) -> str:  # noqa: ANN001
    if not classes.k:
        return "No ward in view has a value for this layer."
    parts = [f"{lab}: {n:,} wards" for lab, n in zip(classes.labels, classes.counts, strict=True)]
    return (f"Classes ({cls.METHODS.get(classes.method, classes.method)}), lowest to highest: "
            + "; ".join(parts) + ".")


def _panel_fit(row: pd.Series) -> str:
    """How well the LSOAs behind the figures fit the ward (issue 14), with the lay note
    where the fit is poor."""
    if not (pd.notna(row.get("fit_share_of_ward")) and pd.notna(row.get("fit_spill"))):
        return ""
    poor = row.get("fit_poor")
    note = POOR_FIT_NOTE + " " if pd.notna(poor) and bool(poor) else ""
    return (f"{note}LSOA fit: the areas behind these figures cover "
            f"{row['fit_share_of_ward']:.0%} of the ward; {row['fit_spill']:.0%} of their area "
            "lies outside it")


#: The ward panel's extra captions: each function gives a line for one ward row (or "").
PANEL_LINES: list[Callable[[pd.Series], str]] = [
    lambda row: band_text(row.get("band"), row.get("band_share")),
    _panel_fit,
]


def _ward_panel(ctx: ViewContext, view: pd.DataFrame, layer, ace: pd.DataFrame,  # noqa: ANN001
                ward_codes: list[str], method: str) -> None:
    code = layout.ward_select(view, ward_codes)
    if not code:
        st.markdown("#### What drives a ward")
        st.caption("Select a ward on the map, in the list above or in the table below to see "
                   "how each indicator places it against all English wards.")
        return
    row = view[view["ward_code"] == code].iloc[0]
    st.markdown(f"#### {row.get('ward_name', code)}")
    st.caption(f"{row.get('lad_name', '')} · {code}")
    c1, c2 = st.columns(2)
    if layer.key == ACE_KEY:
        dec = row.get("decile_england")
        c1.metric("National decile", f"{int(dec)}" if pd.notna(dec) else "–",
                  help="1 = the tenth of English wards with the highest modelled risk. "
                       f"Index score {layer.format(row['value'])}: "
                       f"{indexing.scale_text(method, row.get('n_england'))}.")
    else:
        unit = {"pct": "Rate", "rate1000": "Per 1,000", "density": "Per km²", "int": "Count",
                "km": "Km", "rankchange": "Places moved"}.get(layer.fmt, "Score")
        value = layer.format_bin(row["value"]) if pd.notna(row["value"]) else "no data"
        c1.metric(unit, value, help=f"{layer.label}: {layer.format(row['value'])}")
    nat = ordinal_text(row["rank_england"], row["n_england"])
    c2.metric("England rank", nat.split(" of ")[0] if nat else "–",
              help=f"{nat} English wards (1 = highest)" if nat else None)
    c3, c4 = st.columns(2)
    pop = B.BASES[B.choose_quiet()]["column"]
    c3.metric(B.short(B.choose_quiet()), f"{row[pop]:,.0f}" if pd.notna(row.get(pop)) else "–")
    la = ordinal_text(row["rank_lad"], row["n_lad"])
    c4.metric("Rank in LA", la or "–")
    if layer.key == ACE_KEY and pd.notna(row.get("value")):
        st.caption(f"Index score {layer.format(row['value'])}: "
                   f"{indexing.scale_text(method, row.get('n_england'))}.")
    for line in (f(row) for f in PANEL_LINES):
        if line:
            st.caption(line + ".")
    change_ui.panel(ctx.token, code, layer)
    if ace.empty:
        st.caption("Driver scores need the ACE index (not in this store).")
        return
    drivers = _drivers(ace, code)
    if drivers.empty:
        return
    st.markdown("**What drives this ward**")
    st.html(_drivers_html(drivers))
    if (drivers["level"] == "domain").any():
        hit = ace[ace["ward_code"] == code].iloc[0]
        partial = ("" if pd.isna(hit.get("n_domains")) or int(hit["n_domains"]) >= 3 else
                   f"Partial: only {int(hit['n_domains'])} of 3 domains have data for this "
                   "ward. ")
        st.caption(partial + "Each domain (bold) is the mean of the normal scores of the "
                   "proxies under it, against all English wards: right of the line, higher "
                   "modelled risk than most wards; left, lower. Deciles: 1 = the highest "
                   "tenth. Abuse and neglect has only weak proxies (police violence rates for "
                   "everyone, not children). Faded rows have weight 0 in the index.")
    else:
        st.caption("Each bar is the ward's normal score on one indicator against all English "
                   "wards: to the right of the line, towards higher modelled risk than most "
                   "wards; to the left, lower. Faded bars have weight 0 in the index.")


def _drivers_html(drivers: pd.DataFrame) -> str:
    """Diverging bars as plain HTML (readable by screen readers, no chart library)."""
    rows = []
    for r in drivers.itertuples(index=False):
        v = max(-3.0, min(3.0, float(r.score)))
        width = abs(v) / 3 * 50
        left = 50 if v >= 0 else 50 - width
        colour = "#3b2c85" if v > 0 else "#9aa0ac"
        faded = "opacity:.45;" if r.weight.startswith("0") else ""
        label = layout._escape(str(r.indicator))
        level = getattr(r, "level", "indicator")
        rows.append(
            f'<div class="nm-drv {level}" role="listitem" style="{faded}">'
            f'<span class="l">{label}</span>'
            f'<span class="t"><span class="z"></span><span class="b" style="left:{left:.1f}%;'
            f'width:{width:.1f}%;background:{colour}"></span></span>'
            f'<span class="v">{float(r.score):+.2f}</span></div>')
    style = ("<style>.nm-drvs{margin:.2rem 0 .3rem 0}.nm-drv{display:flex;align-items:center;"
             "gap:8px;margin:3px 0;font-size:.88rem}.nm-drv .l{flex:0 0 38%;color:#2b2a33}"
             ".nm-drv .t{position:relative;flex:1;height:14px;background:#f3f2f8;"
             "border-radius:3px}.nm-drv .z{position:absolute;left:50%;top:-2px;bottom:-2px;"
             "width:1px;background:#55535f}.nm-drv .b{position:absolute;top:2px;bottom:2px;"
             "border-radius:2px}.nm-drv .v{flex:0 0 3.2em;text-align:right;"
             "font-variant-numeric:tabular-nums;color:#3c3b44}"
             ".nm-drv.domain{margin-top:7px}.nm-drv.domain .l{font-weight:600}"
             ".nm-drv.proxy{font-size:.8rem}.nm-drv.proxy .l{padding-left:1em;color:#4a4955}"
             ".nm-drv.proxy .t{height:9px}</style>")
    what = ("Domain and indicator normal scores" if "level" in drivers.columns
            and (drivers["level"] == "domain").any() else "Indicator normal scores")
    return (style + f'<div class="nm-drvs" role="list" aria-label="{what}">'
            + "".join(rows) + "</div>")


SHORT = {"child_poverty": "Child poverty", "income": "Income deprivation", "crime": "Crime (IoD)",
         "density": "Density", "health": "Health", "recorded_crime": "Recorded crime",
         "violence_without_injury": "Violence without injury", "violence_with_injury":
         "Violence with injury", "stalking_harassment": "Stalking and harassment",
         "mental_health": "Adult mental ill health", "public_order_weapons":
         "Public order and weapons", "antisocial_behaviour": "Anti-social behaviour",
         "overcrowding": "Overcrowded homes"}

#: The domains method's domains (its slider names) and labels.
_DOMAIN_LABELS = indexing.weight_labels("domains")


def _drivers(ace: pd.DataFrame, code: str) -> pd.DataFrame:
    """Rows of the drivers panel: ``indicator, score, weight, level``.

    With the domains method: each domain (its score and national decile) followed by its
    proxies' normal scores; with a flat method: its indicators' normal scores.
    """
    hit = ace[ace["ward_code"] == code]
    if hit.empty:
        return pd.DataFrame()
    r = hit.iloc[0]
    method = st.session_state.get("ex_method", indexing.DEFAULT_METHOD)
    w = _weights(method)
    used = lambda v: f"{v}" if v else "0 (not used)"  # noqa: E731
    rows = []
    if set(w) == set(_DOMAIN_LABELS) and f"{next(iter(w))}_score" in ace.columns:
        for d in indexing.DOMAINS:
            if pd.isna(r.get(d.score_column)):
                continue
            dec = r.get(d.decile_column)
            label = _DOMAIN_LABELS[d.name] + (f" · decile {int(dec)}" if pd.notna(dec) else "")
            rows.append({"indicator": label, "score": float(r[d.score_column]),
                         "weight": used(w.get(d.name, 0)), "level": "domain"})
            for n in d.indicators:
                if pd.notna(r.get(f"ns_{n}")):
                    rows.append({"indicator": SHORT.get(n, n), "score": float(r[f"ns_{n}"]),
                                 "weight": used(w.get(d.name, 0)), "level": "proxy"})
        return pd.DataFrame(rows)
    labels = {n: SHORT.get(n, lab) for n, lab in indexing.indicator_labels().items()}
    for n, label in labels.items():
        col = f"ns_{n}"
        if col in ace.columns and pd.notna(r[col]):
            rows.append({"indicator": label, "score": float(r[col]),
                         "weight": used(w.get(n, 0)), "level": "indicator"})
    return pd.DataFrame(rows)


def _method_comparison(token: str, method: str, weights: dict[str, int]) -> None:
    """When the index is not the default: how it compares with the other methods."""
    if indexing.is_default(method, weights) or not indexing.can_recompute(token):
        return
    key = tuple(sorted((k, int(v)) for k, v in weights.items()))
    try:
        with st.spinner("Comparing the methods…"):
            pairs, movers = indexing.comparison(token, method, key)
    except indexing.IndexSpecError:
        return
    with st.expander("How much the choice of method matters", expanded=True,
                     icon=":material/compare_arrows:"):
        show = pd.DataFrame({
            "Your index compared with": [indexing.method_short(m) for m in pairs["method"]],
            "Spearman, wards": pairs["spearman_ward"].round(3),
            "Spearman, LAs": pairs["spearman_lad"].round(3),
            "Wards changing decile": (100 * pairs["share_decile_changed"]).round(1)})
        st.dataframe(show, hide_index=True, width="stretch", column_config={
            "Wards changing decile": st.column_config.NumberColumn(format="%.1f%%")})
        st.caption("Over all English wards (LAs: children-weighted mean of their wards); each "
                   "other method at its default weights. Spearman 1 = the same order.")
        mv = pd.DataFrame({"Ward": movers["ward_name"], "Local authority": movers["lad_name"],
                           "Your rank": movers["rank_your choice"],
                           "Default rank": movers[f"rank_{indexing.DEFAULT_METHOD}"]})
        st.dataframe(mv, hide_index=True, width="stretch", height=212)
        st.caption("The English wards whose England rank moves most between your index and "
                   "the default (1 = highest modelled risk).")


def _ward_table(view: pd.DataFrame, layer, ace: pd.DataFrame) -> None:  # noqa: ANN001
    cols = {"ward_name": "Ward", "lad_name": "Local authority", "value": layer.label,
            "rank_england": "England rank", "rank_lad": "Rank in LA"}
    df = view.copy()
    if layer.key == ACE_KEY and "band" in df.columns:
        cols["band"] = "Stability"
        if not ace.empty and "ace_decile_england" in ace.columns:
            df = df.merge(ace[["ward_code", "ace_decile_england"]], on="ward_code", how="left")
            cols["ace_decile_england"] = "England decile (1 = highest)"
    pop = B.BASES[B.choose_quiet()]["column"]  # children 0-15 or under-5s, by the switch
    for c, lab in ((pop, B.short(B.choose_quiet())), ("population", "Residents"),
                   ("child_poverty_rate", "Child poverty"), ("income_rate", "Income deprivation")):
        if c in df.columns and c not in cols and c != layer.column:
            cols[c] = lab
    df = df.sort_values("rank_england", na_position="last")
    st.session_state["_ex_table_codes"] = list(df["ward_code"])
    show = df[[c for c in cols if c in df.columns]].rename(columns=cols)
    if layer.fmt == "pct":
        show[layer.label] = show[layer.label] * 100
    for c in ("Child poverty", "Income deprivation"):
        if c in show.columns:
            show[c] = show[c] * 100
    config = {
        layer.label: st.column_config.NumberColumn(
            format="%.1f%%" if layer.fmt == "pct" else (
                "localized" if layer.fmt in ("int", "density") else
                "%.0f" if layer.fmt == "ace" else "%+d" if layer.fmt == "rankchange" else "%.2f")),
        "England rank": st.column_config.NumberColumn(format="%d"),
        "Rank in LA": st.column_config.NumberColumn(format="%d"),
        "Child poverty": st.column_config.NumberColumn(format="%.1f%%"),
        "Income deprivation": st.column_config.NumberColumn(format="%.1f%%"),
        B.short(B.choose_quiet()): st.column_config.NumberColumn(format="localized"),
        "Residents": st.column_config.NumberColumn(format="localized"),
    }
    st.dataframe(show, hide_index=True, width="stretch", height=360, key=TABLE_KEY,
                 on_select=_on_table_select, selection_mode="single-row", column_config=config)
    st.caption("Click a column header to sort; select a row to show that ward's drivers "
               "and outline it on the map. This table holds everything the map shows.")


def _scatter(view: pd.DataFrame, layers, ace: pd.DataFrame) -> None:  # noqa: ANN001
    options = [lay for lay in layers if lay.key != ACE_KEY and lay.column in view.columns]
    df = view.copy()
    if not ace.empty:
        df = df.merge(ace[["ward_code", "ace_score"]].rename(columns={"ace_score": "_ace"}),
                      on="ward_code", how="left")
        options = [INDEX_LAYER, *options]
    if len(options) < 2:
        st.info("Two indicators are needed for a scatter.")
        return
    keys = [o.key for o in options]
    by_key = {o.key: o for o in options}
    c1, c2 = st.columns(2)
    ensure_choice("ex_sx", keys, keys[1] if keys[0] == ACE_KEY else keys[0])
    ensure_choice("ex_sy", keys, keys[0] if keys[0] == ACE_KEY else keys[1])
    st.session_state.setdefault("ex_sx", keys[1] if keys[0] == ACE_KEY else keys[0])
    st.session_state.setdefault("ex_sy", keys[0] if keys[0] == ACE_KEY else keys[1])
    c1.selectbox("Horizontal axis", keys, key="ex_sx", persist_state="session", format_func=lambda k: by_key[k].label)
    c2.selectbox("Vertical axis", keys, key="ex_sy", persist_state="session", format_func=lambda k: by_key[k].label)
    lx, ly = by_key[st.session_state["ex_sx"]], by_key[st.session_state["ex_sy"]]

    def col(lay) -> pd.Series:  # noqa: ANN001
        s = df["_ace"] if lay.key == ACE_KEY else df[lay.column]
        s = pd.to_numeric(s, errors="coerce")
        return s * 100 if lay.fmt == "pct" else s

    plot = pd.DataFrame({"Ward": df.get("ward_name", df["ward_code"]),
                         "LA": df.get("lad_name", ""), "x": col(lx), "y": col(ly),
                         "selected": df["ward_code"] == st.session_state.get("ward")}).dropna(
        subset=["x", "y"])
    if plot.empty:
        st.info("No ward has both values.")
        return
    r = float(np.corrcoef(plot["x"], plot["y"])[0, 1]) if len(plot) > 2 else float("nan")
    chart = alt.Chart(plot).mark_circle(opacity=0.75, stroke="#ffffff", strokeWidth=0.5).encode(
        x=alt.X("x:Q", title=lx.label + (" (%)" if lx.fmt == "pct" else ""),
                scale=alt.Scale(zero=False)),
        y=alt.Y("y:Q", title=ly.label + (" (%)" if ly.fmt == "pct" else ""),
                scale=alt.Scale(zero=False)),
        size=alt.condition(alt.datum.selected, alt.value(180), alt.value(45)),
        color=alt.condition(alt.datum.selected, alt.value("#d6006f"), alt.value("#3b2c85")),
        tooltip=["Ward:N", "LA:N", alt.Tooltip("x:Q", title=lx.label, format=".2f"),
                 alt.Tooltip("y:Q", title=ly.label, format=".2f")],
    ).properties(height=380)
    st.altair_chart(chart, width="stretch")
    if np.isfinite(r):
        st.caption(f"Pearson correlation across the {len(plot):,} wards in view: r = {r:.2f}. "
                   "The selected ward is shown in pink.")


def warm(info: data.StoreInfo, all_england: bool = False) -> None:
    """Compute the default view (the first LA, or all England) into the caches, as
    :func:`render` would for a new visitor (used when the server starts)."""
    token = info.token
    codes = list(data.lads(token)["lad_code"])
    if not codes:
        return
    lad_codes = None if all_england else (_default_area(codes),)
    wards = data.ward_table(token)
    method, weights = indexing.DEFAULT_METHOD, indexing.default_weights()
    ace = pd.DataFrame()
    if info.has("ward_ace") or indexing.can_recompute(token):
        ace, _note = indexing.ward_ace(token, method, weights)
    ace_key = f"{method}:{weights_to_url(weights)}" if not ace.empty else "none"
    layers, _missing = _layers(info, ace, ace_key)
    if not layers:
        return
    layer = layers[0]
    vals = _values(token, layer, ace_key, ace)
    geom = data.area_geometry(token, lad_codes)
    view = _view(token, geom, layer, ace_key, wards, vals)
    classes = _classify(token, layer.key, ace_key, geom.key, view["value"],
                        vals["value"].to_numpy(dtype=float), cls.DEFAULT_METHOD, cls.DEFAULT_K,
                        cls.DEFAULT_PALETTE, layer)
    style = _style(view, layer, classes, _style_key(geom, layer, ace_key, classes))
    maps.warm_parts(geom, style)
    data.services(token, lad_codes)
