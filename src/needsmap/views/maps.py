"""The ward map: a Leaflet map drawn by the app's own Streamlit element (``map.js``).

What is sent
------------
One JSON document per run (as bytes, so Streamlit neither re-serialises nor re-hashes
a dictionary of megabytes). Its large parts carry a key and are sent once per browser
page: the ward geometry (:class:`needsmap.views.data.AreaGeometry`, precomputed per
store version, area and level of detail), the layer's classes and tooltip lines, and
the service points. On later runs a part the page already has is sent as ``{key}``; so
a weight or layer change sends the classes only (the polygons stay in the browser and
are restyled), and a click or a selection in the list sends almost nothing. If the
page lacks a part (a reload), the map asks for it (trigger ``need``) and gets it on
the next run.

Offline
-------
Leaflet and the cluster plugin come from ``static/vendor`` (``scripts/fetch_assets``),
served by Streamlit at ``/app/static/vendor/``; CDN copies are used only if that folder
is missing (the app then warns). A street basemap is optional, and its providers are
credited only once its tiles are shown; offline the map says the basemap is unavailable.

Safety
------
Every text in tooltips, popups and the legend is inserted with ``textContent`` (never
as HTML); service symbols are fixed SVG shapes with a checked ``#rrggbb`` colour.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from needsmap.settings import REPO_ROOT
from needsmap.views._memo import Unhashed, memo
from needsmap.views.classify import NO_DATA_COLOUR
from needsmap.views.data import AreaGeometry

VENDOR_DIR = REPO_ROOT / "static" / "vendor"
_HERE = Path(__file__).resolve().parent

#: CDN fallbacks, used only if ``static/vendor`` is missing (the app then warns).
_CDN = {
    "leaflet_js": "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.js",
    "leaflet_css": "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.css",
    "cluster_js": "https://cdn.jsdelivr.net/npm/leaflet.markercluster@1.5.3/dist/leaflet.markercluster.js",
    "cluster_css": "https://cdn.jsdelivr.net/npm/leaflet.markercluster@1.5.3/dist/MarkerCluster.css",
}
_LOCAL = {
    "leaflet_js": "leaflet/leaflet.js",
    "leaflet_css": "leaflet/leaflet.css",
    "cluster_js": "leaflet.markercluster/leaflet.markercluster.js",
    "cluster_css": "leaflet.markercluster/MarkerCluster.css",
}

#: Basemaps: key -> (label, tile URL or None, attribution, subdomains).
BASEMAPS: dict[str, tuple[str, str | None, str]] = {
    "light": ("Light streets (online)",
              "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png",
              '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
              'contributors &copy; <a href="https://carto.com/attributions">CARTO</a>'),
    "osm": ("OpenStreetMap (online)", "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
            "contributors"),
    "none": ("No basemap (works offline)", None, ""),
}
DEFAULT_BASEMAP = "light"

#: Okabe-Ito colours (distinguishable with colour vision deficiency), each service type
#: also with its own shape, so two types never differ by colour alone.
SERVICE_STYLES: dict[str, tuple[str, str]] = {
    "gp_practice": ("#0072B2", "square"),
    "library": ("#E69F00", "triangle"),
    "school_primary": ("#56B4E9", "circle"),
    "school_secondary": ("#009E73", "diamond"),
    "family_hub": ("#CC79A7", "star"),
    "childrens_centre": ("#F0E442", "hexagon"),
    "nursery": ("#D55E00", "circle"),
    "pharmacy": ("#000000", "diamond"),
    "special_school": ("#999999", "square"),
}
SERVICE_COLOURS = ["#0072B2", "#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#F0E442",
                   "#D55E00", "#000000", "#999999"]
_SHAPES = ["circle", "square", "triangle", "diamond", "star", "hexagon"]
UPLOAD_STYLE = ("#d6006f", "star")
UPLOAD_COLOUR = UPLOAD_STYLE[0]
#: Kept for callers that only need colours.
TYPE_COLOURS = {t: c for t, (c, _s) in SERVICE_STYLES.items()}


def local_assets_ok(vendor: Path = VENDOR_DIR) -> bool:
    """True if ``scripts/fetch_assets`` has put Leaflet and the cluster plugin in place."""
    return all((vendor / rel).is_file() for rel in _LOCAL.values())


def asset_urls() -> dict[str, str]:
    """URLs of the map's JS/CSS: local (``/app/static/vendor/...``) or CDN fallbacks."""
    if not local_assets_ok():
        return dict(_CDN)
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    prefix = f"/{base}/app/static/vendor/" if base else "/app/static/vendor/"
    return {k: prefix + rel for k, rel in _LOCAL.items()}


def service_style(types: Sequence[str]) -> dict[str, tuple[str, str]]:
    """A stable (colour, shape) per service type (fixed for the usual ones)."""
    out = {}
    for i, t in enumerate(types):
        out[t] = SERVICE_STYLES.get(t, (SERVICE_COLOURS[i % len(SERVICE_COLOURS)],
                                        _SHAPES[i % len(_SHAPES)]))
    return out


def service_colours(types: Sequence[str]) -> dict[str, str]:
    """A stable colour per service type."""
    return {t: c for t, (c, _s) in service_style(types).items()}


_COMPONENT = None


def _component():  # noqa: ANN202 - streamlit ComponentRenderer
    global _COMPONENT
    if _COMPONENT is None:
        _COMPONENT = st.components.v2.component(
            "nm_ward_map", js=(_HERE / "map.js").read_text(encoding="utf-8"),
            css=(_HERE / "map.css").read_text(encoding="utf-8"), isolate_styles=False)
    return _COMPONENT


def _json(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


@memo(maxsize=64)
def _geom_part(g: AreaGeometry) -> bytes:
    head = _json({"key": g.key, "full": True, "codes": list(g.codes), "names": list(g.names),
                  "lads": list(g.lad_names), "q": g.quantum, "b": g.bounds})
    return (head[:-1] + ',"f":' + g.features_json + ',"o":' + g.outlines_json + "}").encode()


@dataclass(frozen=True)
class Style:
    """How the wards are coloured and what their tooltips say.

    ``classes`` is the class index per ward (``-1`` = no data), in the geometry's
    ``codes`` order; ``values`` the value text; ``extra`` more tooltip lines (each a
    list, one text per ward, empty strings skipped).
    """

    key: str
    label: str
    classes: Sequence[int]
    values: Sequence[str]
    colours: Sequence[str]
    extra: Sequence[Sequence[str]] = ()

    def part(self) -> bytes:
        return _style_part(self.key, Unhashed(self))


@memo(maxsize=64)
def _style_part(key: str, style: Unhashed) -> bytes:
    s: Style = style.value
    return _json({"key": s.key, "full": True, "label": s.label,
                  "k": [int(x) for x in s.classes], "v": list(s.values),
                  "colours": list(s.colours), "nodata": NO_DATA_COLOUR,
                  "extra": [list(e) for e in s.extra]}).encode()


def warm_parts(geom: AreaGeometry, style: Style) -> None:
    """Serialise a view's geometry and style once, before anyone asks (server start)."""
    _geom_part(geom)
    style.part()


@dataclass(frozen=True)
class Legend:
    """The legend above the map: ``rows`` are ``(colour, label, count, short label)``."""

    title: str
    rows: Sequence[Sequence[Any]]
    low: str = ""
    high: str = ""
    foot: str = ""


@dataclass
class ServiceLayer:
    """Service points of one type: ``rows`` are ``[lat, lon, name, type label, source]``."""

    label: str
    colour: str
    shape: str
    rows: list[list[Any]] = field(default_factory=list)


def service_layers(services: pd.DataFrame, labels: dict[str, str],
                   styles: dict[str, tuple[str, str]]) -> list[ServiceLayer]:
    """One :class:`ServiceLayer` per type in ``services`` (``lat, lon, name, type, source``)."""
    out = []
    for t, df in services.groupby("type", sort=False):
        colour, shape = styles.get(str(t), (SERVICE_COLOURS[-1], "circle"))
        label = labels.get(str(t), str(t))
        rows = [[round(float(a), 6), round(float(b), 6), str(nm), label, str(src)]
                for a, b, nm, src in zip(df["lat"], df["lon"], df["name"],
                                         df["source"].fillna("unknown"), strict=True)]
        out.append(ServiceLayer(label, colour, shape, rows))
    return out


@dataclass
class OverlayGroup:
    """Points drawn above the wards, never clustered, each optionally with a circle.

    ``rows`` are ``[lat, lon, name, detail]``; ``radius_m`` (if set) draws a
    straight-line circle of that radius around each point (a siting catchment);
    ``dashed`` draws it dashed (existing services).
    """

    label: str
    colour: str
    shape: str
    rows: list[list[Any]] = field(default_factory=list)
    radius_m: float | None = None
    dashed: bool = False
    size: int = 22


def _overlay_json(groups: Sequence[OverlayGroup]) -> dict[str, Any]:
    return {"groups": [{"label": g.label, "colour": g.colour, "shape": g.shape, "rows": g.rows,
                        "radius": float(g.radius_m) if g.radius_m else None,
                        "dashed": bool(g.dashed), "size": int(g.size)} for g in groups]}


def _sent() -> set[str]:
    return st.session_state.setdefault("_nm_map_sent", set())


def _on_need(key: str) -> Callable[[], None]:
    def cb() -> None:
        value = getattr(st.session_state.get(key), "need", None) or []
        sent = _sent()
        for k in value if isinstance(value, list) else [value]:
            sent.discard(str(k))
    return cb


def ward_map(geom: AreaGeometry, style: Style, legend: Legend, *, key: str,
             selected: str | None = None, services: Sequence[ServiceLayer] = (),
             services_key: str = "", basemap: str = DEFAULT_BASEMAP, canvas: bool = False,
             title: str = "Map of wards", note: str = "", report_paint: bool = False,
             height: int | None = None, refresh_after: float | None = None,
             on_select: Callable[[], None] | None = None,
             on_painted: Callable[[], None] | None = None,
             overlay: Sequence[OverlayGroup] = ()) -> Any:
    """Draw (or update) the ward map.

    Parameters
    ----------
    geom, style, legend
        What to draw (see :class:`AreaGeometry`, :class:`Style`, :class:`Legend`).
    key
        Streamlit key of the element; ``st.session_state[key].select`` holds the code
        of a ward clicked on the map during the callback ``on_select``.
    selected
        Ward drawn as selected (the map follows changes of it without redrawing).
    services, services_key
        Service layers and a key naming them (same key = same points).
    basemap
        A :data:`BASEMAPS` key.
    canvas
        Draw on a canvas (thousands of wards) instead of SVG paths.
    title
        The map's accessible name.
    report_paint
        Trigger ``painted`` once the page first shows polygons (a rerun).
    height
        Map height in pixels; ``None`` fits it to the window below its top edge.
    refresh_after
        Ask for a rerun after this many seconds (trigger ``refresh``): something shown
        is still being computed (the index's stability bands after a weight change).
    overlay
        :class:`OverlayGroup` points drawn above everything (a searched postcode,
        existing and proposed sites with their catchment circles); small, so sent
        in full on every run.
    """
    sent = _sent()
    parts = []
    gkey = geom.key
    parts.append(b'"geom":' + (_json({"key": gkey}).encode() if gkey in sent else _geom_part(geom)))
    parts.append(b'"style":' + (_json({"key": style.key}).encode() if style.key in sent
                                else style.part()))
    svc_key = ""
    if services:
        svc_key = "svc-" + (services_key or str(hash(tuple((s.label, len(s.rows)) for s in services))))
        body = (_json({"key": svc_key}) if svc_key in sent else
                _json({"key": svc_key, "full": True, "groups": [
                    {"label": s.label, "colour": s.colour, "shape": s.shape, "rows": s.rows}
                    for s in services]}))
        parts.append(b'"services":' + body.encode())
    _label, tiles, attr = BASEMAPS.get(basemap, BASEMAPS[DEFAULT_BASEMAP])
    meta = {"assets": asset_urls(), "selected": selected, "canvas": bool(canvas),
            "title": title, "note": note, "report_paint": bool(report_paint),
            "height": int(height) if height else None,
            "refresh_after": float(refresh_after) if refresh_after else None,
            "legend": {"title": legend.title, "rows": [list(r) for r in legend.rows],
                       "low": legend.low, "high": legend.high, "foot": legend.foot},
            "basemap": ({"url": tiles, "attr": attr,
                         "subdomains": "abcd" if "cartocdn" in tiles else "abc"}
                        if tiles else None),
            "overlay": _overlay_json(overlay) if overlay else None}
    payload = _json(meta)[:-1].encode() + b"," + b",".join(parts) + b"}"
    result = _component()(key=key, data=payload, on_select_change=on_select or (lambda: None),
                          on_need_change=_on_need(key),
                          on_painted_change=on_painted or (lambda: None),
                          on_refresh_change=lambda: None)
    sent.update(k for k in (gkey, style.key, svc_key) if k)
    return result
