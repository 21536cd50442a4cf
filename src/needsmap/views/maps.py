"""folium map building for the app: local Leaflet, ward choropleth, service clusters, legend.

Offline
-------
folium's default JS/CSS (``folium.Map.default_js`` / ``default_css``: Leaflet, jQuery,
Bootstrap, awesome-markers from CDNs) are replaced on every element this module makes by
the copies ``scripts/fetch_assets`` unpacks into ``static/vendor/`` and Streamlit serves
at ``/app/static/vendor/`` (``enableStaticServing``). streamlit-folium does not bundle
Leaflet: it loads exactly the ``default_js``/``default_css`` links of the elements it is
given, so with these overrides the map fetches nothing from the internet. No branca
colormap is used (streamlit-folium would add d3 from a CDN for one); the legend is a
small Leaflet control written here.

Rerun cost
----------
The base map (tiles, view box) is one component; the choropleth, legend and services
are *feature groups* passed to ``st_folium(feature_group_to_add=...)``. A weight change
or a new layer replaces only the feature groups in the browser; a click on the map
never rebuilds anything. Geometry is embedded as pre-serialised GeoJSON text
(:class:`needsmap.views.data.DisplayGeometry`) and per-ward properties are short keys.

Safety
------
Every text shown in tooltips, popups and the legend is inserted with ``textContent``
(never as HTML), and JSON embedded in the script has ``<``, ``>`` and ``&`` escaped, so
a service name from a user's CSV cannot inject markup or script.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import folium
import pandas as pd
import streamlit as st
from branca.element import Element, MacroElement
from folium.template import Template

from needsmap.settings import REPO_ROOT
from needsmap.views.classify import NO_DATA_COLOUR

VENDOR_DIR = REPO_ROOT / "static" / "vendor"

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

#: Basemaps: key -> (label, tile URL or None, attribution).
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

#: Okabe-Ito colours (distinguishable with colour vision deficiency) for service types.
SERVICE_COLOURS = ["#E69F00", "#0072B2", "#D55E00", "#CC79A7", "#009E73", "#56B4E9",
                   "#F0E442", "#000000", "#999999"]
UPLOAD_COLOUR = "#d6006f"


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


def _safe_json(obj: Any) -> str:
    """JSON for a ``<script>``: ``<``, ``>`` and ``&`` escaped."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_MAP_CSS = """
<style>
.leaflet-container { background: #eef0f3; font: 13px/1.35 "Source Sans Pro", system-ui, sans-serif; }
.nm-tip { padding: 6px 9px; border-radius: 6px; box-shadow: 0 2px 8px rgba(0,0,0,.25); }
.nm-tip .t { font-weight: 700; font-size: 14px; margin-bottom: 2px; }
.nm-tip .s { color: #55535f; }
.nm-tip .v { font-weight: 600; }
.nm-legend { background: rgba(255,255,255,.95); padding: 7px 9px; border-radius: 6px;
  box-shadow: 0 1px 6px rgba(0,0,0,.25); max-width: 280px; color: #1c1b22; font-size: 12px; }
.nm-legend .h { font-weight: 700; margin-bottom: 4px; }
.nm-legend .r { display: flex; align-items: center; gap: 6px; margin: 0; line-height: 1.3; white-space: nowrap; }
.nm-legend .sw { width: 16px; height: 11px; border: 1px solid rgba(0,0,0,.25); flex: none; }
.nm-legend .n { color: #55535f; margin-left: auto; padding-left: 8px; }
.nm-legend .f { color: #55535f; font-size: 11px; margin-top: 4px; white-space: normal; }
.nm-legend .svc { border-radius: 50%; width: 12px; height: 12px; border: 1.5px solid #1c1b22; }
.nm-legend .bar { display: flex; gap: 1px; margin-top: 2px; }
.nm-legend .c { flex: 1 1 0; min-width: 22px; }
.nm-legend .bsw { height: 14px; border: 1px solid rgba(0,0,0,.2); }
.nm-legend .bl { text-align: center; font-size: 11px; color: #3c3b44; white-space: nowrap; }
.nm-legend .ends { display: flex; justify-content: space-between; font-size: 11px; color: #55535f; }
.nm-cluster div { width: 100%; height: 100%; border-radius: 50%; border: 2px solid #fff;
  box-shadow: 0 0 0 1.5px #1c1b22; display: flex; align-items: center; justify-content: center; }
.nm-cluster span { font-weight: 700; color: #fff; text-shadow: 0 0 3px #000, 0 0 2px #000; }
.nm-pop { font-size: 13px; line-height: 1.35; }
.nm-pop .t { font-weight: 700; font-size: 14px; } .nm-pop .s { color: #55535f; }
.leaflet-popup-content { margin: 9px 12px; }
</style>
"""


class _RawScript(Element):
    """Already-rendered script text (not a template: compiling megabytes of GeoJSON as a
    jinja template would cost a quarter of a second per rerun)."""

    def __init__(self, text: str) -> None:
        super().__init__("")
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


class _ScriptElement(MacroElement):
    """A MacroElement whose script is added to the figure as raw text when rendered."""

    def render(self, **kwargs: Any) -> None:
        figure = self.get_root()
        script = getattr(self._template.module, "script", None)
        if script is not None and hasattr(figure, "script"):
            figure.script.add_child(_RawScript(script(self, kwargs)), name=self.get_name())


def base_map(bounds: tuple[tuple[float, float], tuple[float, float]],
             basemap: str = DEFAULT_BASEMAP) -> folium.Map:
    """The map frame: local Leaflet assets, optional tiles, fitted to ``bounds``."""
    urls = asset_urls()
    (s, w), (n, e) = bounds
    m = folium.Map(location=[(s + n) / 2, (w + e) / 2], zoom_start=10, tiles=None,
                   control_scale=True, zoom_snap=0.25, zoom_delta=0.5)
    # folium 0.20 passes max_zoom only to its tile layer; marker clustering needs it on the map.
    m.options["maxZoom"] = 19
    m.options["minZoom"] = 5
    m.default_js = [("leaflet", urls["leaflet_js"]), ("markercluster", urls["cluster_js"])]
    m.default_css = [("leaflet_css", urls["leaflet_css"]), ("markercluster_css", urls["cluster_css"])]
    label, tiles, attr = BASEMAPS.get(basemap, BASEMAPS[DEFAULT_BASEMAP])
    if tiles:
        folium.TileLayer(tiles, attr=attr, name=label, control=False, max_zoom=19,
                         subdomains="abcd" if "cartocdn" in tiles else "abc").add_to(m)
    m.fit_bounds([[s, w], [n, e]], padding=(8, 8))
    m.get_root().header.add_child(Element(_MAP_CSS), name="needsmap_css")
    return m


class WardChoropleth(_ScriptElement):
    """Ward polygons coloured by class, with tooltips, hover and click selection.

    Parameters
    ----------
    geoms_json
        JSON array of delta-encoded polygons (:func:`needsmap.views.data.encode_geometry`).
    props
        One dict per geometry, same order: ``c`` code, ``n`` name, ``k`` class (-1 = no
        data), ``v`` value text, plus optional ``r``/``l``/``s``/``a`` lines.
    colours
        Fill colour per class.
    selected
        Ward code drawn as selected on load (or ``None``).
    value_label
        Label of the value line in the tooltip.
    canvas
        Draw on a canvas instead of SVG paths (much faster for thousands of wards).

    When the polygons are drawn, a hidden ``#nm-painted`` element records the ward count,
    renderer and timings (``data-n``, ``data-renderer``, ``data-paint-ms``), for the
    browser tests and ``benchmarks/app.py``.
    """

    _template = Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function () {
  var t0 = performance.now();
  var q = {{ this.quantum }};
  // Polygons arrive delta-encoded (needsmap.views.data.encode_geometry), as a JSON string:
  // JSON.parse is much faster than evaluating a large array literal.
  function decode(g) {
    return {type: "MultiPolygon", coordinates: g.map(function (poly) {
      return poly.map(function (r) {
        var out = new Array(r.length / 2), x = 0, y = 0;
        for (var i = 0, j = 0; i < r.length; i += 2, j++) {
          x += r[i]; y += r[i + 1]; out[j] = [x * q, y * q];
        }
        return out;
      });
    })};
  }
  var geoms = JSON.parse({{ this.geoms_js_string }}).map(decode);
  var props = {{ this.props_json }};
  var colours = {{ this.colours_json }};
  var valueLabel = {{ this.value_label_json }};
  var selCode = {{ this.selected_json }};
  var fc = {type: "FeatureCollection", features: geoms.map(function (g, i) {
    return {type: "Feature", geometry: g, properties: props[i]}; })};
  function base(p) {
    return {fillColor: p.k < 0 ? "{{ this.no_data }}" : colours[p.k], fillOpacity: 0.85,
            color: "#ffffff", weight: {{ 0.25 if this.canvas else 0.8 }},
            opacity: {{ 0.6 if this.canvas else 0.95 }}, className: "nm-ward"};
  }
  var selStyle = {color: "#111111", weight: 3.5, opacity: 1};
  function line(d, cls, text) {
    var e = document.createElement("div"); e.className = cls; e.textContent = text;
    d.appendChild(e);
  }
  function tip(p) {
    var d = document.createElement("div");
    line(d, "t", p.n);
    if (p.a) line(d, "s", p.a);
    var v = document.createElement("div");
    var lab = document.createElement("span"); lab.textContent = valueLabel + ": ";
    var val = document.createElement("span"); val.className = "v"; val.textContent = p.v;
    v.appendChild(lab); v.appendChild(val); d.appendChild(v);
    if (p.r) line(d, "", p.r);
    if (p.l) line(d, "", p.l);
    if (p.s) line(d, "", p.s);
    return d;
  }
  var sel = null;
  var layer = L.geoJSON(fc, {
    {% if this.canvas %}renderer: L.canvas({padding: 0.2, tolerance: 2}),{% endif %}
    style: function (f) { return base(f.properties); },
    onEachFeature: function (f, l) {
      l.bindTooltip(function () { return tip(f.properties); },
                    {sticky: true, direction: "top", offset: [0, -8], className: "nm-tip"});
      l.on("mouseover", function () { if (l !== sel) { l.setStyle({weight: 2.4, color: "#3d3d3d"}); } });
      l.on("mouseout", function () { if (l !== sel) { l.setStyle(base(f.properties)); } });
      l.on("click", function () {
        if (sel && sel !== l) { sel.setStyle(base(sel.feature.properties)); }
        sel = l; l.setStyle(selStyle); l.bringToFront();
      });
      if (f.properties.c === selCode) { sel = l; }
    }
  });
  layer.addTo({{ this._parent.get_name() }});
  if (sel) { sel.setStyle(selStyle); sel.bringToFront(); }
  var t1 = performance.now();
  // Paint marker for tests and benchmarks: the polygons are drawn by the next frame.
  requestAnimationFrame(function () { requestAnimationFrame(function () {
    var m = document.getElementById("nm-painted") || document.createElement("div");
    m.id = "nm-painted"; m.style.display = "none";
    m.setAttribute("data-n", String(geoms.length));
    m.setAttribute("data-renderer", {{ "'canvas'" if this.canvas else "'svg'" }});
    m.setAttribute("data-build-ms", String(Math.round(t1 - t0)));
    // when the frame with the polygons was drawn, as epoch ms (performance.timeOrigin +
    // now): benchmarks subtract the page's navigation start, so their polling adds nothing
    m.setAttribute("data-painted-at", String(performance.timeOrigin + performance.now()));
    m.setAttribute("data-paint-ms", String(Math.round(performance.now() - t0)));
    m.setAttribute("data-version", String(Number(m.getAttribute("data-version") || 0) + 1));
    document.body.appendChild(m);
  }); });
  return layer;
})();
{% endmacro %}
""")

    def __init__(self, geoms_json: str, props: Sequence[dict[str, Any]], colours: Sequence[str],
                 selected: str | None = None, value_label: str = "Value",
                 canvas: bool = False, quantum: float = 1e-5) -> None:
        super().__init__()
        self._name = "WardChoropleth"
        self.canvas = bool(canvas)
        # A JS string literal holding the JSON (quotes and "<" escaped for a <script>).
        self.geoms_js_string = json.dumps(geoms_json).replace("<", "\\u003c")
        self.quantum = repr(float(quantum))
        self.props_json = _safe_json(list(props))
        self.colours_json = _safe_json(list(colours))
        self.selected_json = _safe_json(selected)
        self.value_label_json = _safe_json(value_label)
        self.no_data = NO_DATA_COLOUR


class LadOutlines(_ScriptElement):
    """LA boundary lines (not interactive: clicks and hovers reach the wards below)."""

    _template = Template("""
{% macro script(this, kwargs) %}
(function () {
  var q = {{ this.quantum }};
  var parts = [];
  JSON.parse({{ this.lines_js_string }}).forEach(function (g) {
    g.forEach(function (lines) { lines.forEach(function (r) {
      var out = new Array(r.length / 2), x = 0, y = 0;
      for (var i = 0, j = 0; i < r.length; i += 2, j++) { x += r[i]; y += r[i + 1]; out[j] = [y * q, x * q]; }
      parts.push(out);
    }); });
  });
  L.polyline(parts, {color: "#1c1b22", weight: {{ 0.7 if this.canvas else 1.2 }},
    opacity: 0.75, interactive: false,
    {% if this.canvas %}renderer: L.canvas({padding: 0.2}),{% endif %}
    className: "nm-lad"}).addTo({{ this._parent.get_name() }});
})();
{% endmacro %}
""")

    def __init__(self, lines_json: str, quantum: float, canvas: bool = False) -> None:
        super().__init__()
        self._name = "LadOutlines"
        self.lines_js_string = json.dumps(lines_json).replace("<", "\\u003c")
        self.quantum = repr(float(quantum))
        self.canvas = bool(canvas)


class Legend(_ScriptElement):
    """A legend control shown while its feature group is on the map.

    ``rows`` are ``(colour, label, count[, short label])``; ``kind`` ``"bar"`` (a compact
    row of choropleth swatches, light to dark, with ``low``/``high`` end labels),
    ``"fill"`` (one line per class) or ``"point"`` (service dots).
    """

    _template = Template("""
{% macro script(this, kwargs) %}
(function () {
  var fg = {{ this._parent.get_name() }};
  var spec = {{ this.spec_json }};
  var ctrl = L.control({position: spec.position});
  ctrl.onAdd = function () {
    var d = L.DomUtil.create("div", "nm-legend " + spec.cls);
    d.setAttribute("role", "figure");
    d.setAttribute("aria-label", spec.title);
    var h = document.createElement("div"); h.className = "h"; h.textContent = spec.title;
    d.appendChild(h);
    if (spec.kind === "bar") {
      var bar = document.createElement("div"); bar.className = "bar";
      spec.rows.forEach(function (r) {
        var c = document.createElement("div"); c.className = "c";
        var sw = document.createElement("div"); sw.className = "bsw"; sw.style.background = r[0];
        c.title = r[1] + (r[2] !== null ? " (" + r[2] + " wards)" : "");
        var lab = document.createElement("div"); lab.className = "bl"; lab.textContent = r[3] || "";
        c.appendChild(sw); c.appendChild(lab); bar.appendChild(c);
      });
      d.appendChild(bar);
      var ends = document.createElement("div"); ends.className = "ends";
      var lo = document.createElement("span"); lo.textContent = spec.low || "";
      var hi = document.createElement("span"); hi.textContent = spec.high || "";
      ends.appendChild(lo); ends.appendChild(hi); d.appendChild(ends);
    }
    (spec.kind === "bar" ? [] : spec.rows).forEach(function (r) {
      var row = document.createElement("div"); row.className = "r";
      var sw = document.createElement("span");
      sw.className = spec.kind === "point" ? "sw svc" : "sw";
      sw.style.background = r[0];
      var lab = document.createElement("span"); lab.textContent = r[1];
      row.appendChild(sw); row.appendChild(lab);
      if (r[2] !== null) {
        var n = document.createElement("span"); n.className = "n"; n.textContent = r[2];
        row.appendChild(n);
      }
      d.appendChild(row);
    });
    if (spec.foot) {
      var f = document.createElement("div"); f.className = "f"; f.textContent = spec.foot;
      d.appendChild(f);
    }
    L.DomEvent.disableClickPropagation(d);
    L.DomEvent.disableScrollPropagation(d);
    return d;
  };
  fg.on("add", function (e) { ctrl.addTo(e.target._map); });
  fg.on("remove", function () { ctrl.remove(); });
  if (fg._map) { ctrl.addTo(fg._map); }
})();
{% endmacro %}
""")

    def __init__(self, title: str, rows: Sequence[Sequence[str | None]],
                 foot: str = "", kind: str = "fill", position: str = "bottomright",
                 css_class: str = "", low: str = "", high: str = "") -> None:
        super().__init__()
        self._name = "Legend"
        self.spec_json = _safe_json({"title": title, "rows": [list(r) for r in rows],
                                     "foot": foot, "kind": kind, "position": position,
                                     "cls": css_class, "low": low, "high": high})


class ServiceCluster(_ScriptElement):
    """Services of one type as clustered circle markers with a name/type/source popup.

    ``rows`` are ``[lat, lon, name, type label, source]``.
    """

    _template = Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function () {
  var rows = {{ this.rows_json }};
  var colour = {{ this.colour_json }};
  function popup(r) {
    var d = document.createElement("div"); d.className = "nm-pop";
    var t = document.createElement("div"); t.className = "t"; t.textContent = r[2]; d.appendChild(t);
    var k = document.createElement("div"); k.textContent = r[3]; d.appendChild(k);
    var s = document.createElement("div"); s.className = "s"; s.textContent = "Source: " + r[4];
    d.appendChild(s);
    return d;
  }
  var group = L.markerClusterGroup({
    maxClusterRadius: 40, showCoverageOnHover: false, chunkedLoading: true,
    disableClusteringAtZoom: {{ this.uncluster_zoom }}, spiderfyOnMaxZoom: false,
    iconCreateFunction: function (c) {
      var n = c.getChildCount(); var size = n < 10 ? 26 : (n < 100 ? 32 : 38);
      var outer = document.createElement("div");
      var inner = document.createElement("div"); inner.style.background = colour;
      var span = document.createElement("span"); span.textContent = String(n);
      inner.appendChild(span); outer.appendChild(inner);
      return L.divIcon({html: outer.innerHTML, className: "nm-cluster nm-svc-cluster",
                        iconSize: L.point(size, size)});
    }
  });
  var markers = rows.map(function (r) {
    var m = L.circleMarker([r[0], r[1]], {radius: 6, color: "#1c1b22", weight: 1.3,
      fillColor: colour, fillOpacity: 0.95, className: "nm-svc"});
    m.bindPopup(function () { return popup(r); });
    m.bindTooltip(function () { var s = document.createElement("span"); s.textContent = r[2]; return s; });
    return m;
  });
  group.addLayers(markers);
  group.addTo({{ this._parent.get_name() }});
  return group;
})();
{% endmacro %}
""")

    def __init__(self, rows: Sequence[Sequence[Any]], colour: str, uncluster_zoom: int = 15) -> None:
        super().__init__()
        self._name = "ServiceCluster"
        self.rows_json = _safe_json([list(r) for r in rows])
        self.colour_json = _safe_json(colour)
        self.uncluster_zoom = int(uncluster_zoom)


def choropleth_group(geoms_json: str, props: Sequence[dict[str, Any]], colours: Sequence[str],
                     legend_title: str, legend_rows: Sequence[Sequence[str | None]],
                     legend_foot: str = "", selected: str | None = None,
                     value_label: str = "Value", canvas: bool = False,
                     low: str = "lower", high: str = "higher",
                     quantum: float = 1e-5, outlines_json: str = "[]") -> folium.FeatureGroup:
    """Feature group holding the ward choropleth and its (bar) legend.

    ``legend_rows`` are ``(colour, label, count, short label)``, lowest class first.
    """
    fg = folium.FeatureGroup(name="Wards", control=False)
    fg.add_child(WardChoropleth(geoms_json, props, colours, selected, value_label, canvas,
                                quantum))
    if outlines_json != "[]":
        fg.add_child(LadOutlines(outlines_json, quantum, canvas))
    fg.add_child(Legend(legend_title, legend_rows, legend_foot, kind="bar",
                        position="bottomleft", css_class="nm-legend-wards", low=low, high=high))
    return fg


def service_groups(services: pd.DataFrame, type_labels: dict[str, str],
                   colours: dict[str, str]) -> list[folium.FeatureGroup]:
    """One feature group per service type present in ``services`` plus a shared legend.

    ``services`` needs ``lat, lon, name, type, source``.
    """
    groups: list[folium.FeatureGroup] = []
    legend_rows: list[tuple[str, str, str | None]] = []
    for t, df in services.groupby("type", sort=False):
        label = type_labels.get(str(t), str(t))
        colour = colours.get(str(t), SERVICE_COLOURS[-1])
        rows = [[round(float(a), 6), round(float(b), 6), str(nm), label, str(src)]
                for a, b, nm, src in zip(df["lat"], df["lon"], df["name"],
                                         df["source"].fillna("unknown"), strict=True)]
        fg = folium.FeatureGroup(name=label, control=False)
        fg.add_child(ServiceCluster(rows, colour))
        groups.append(fg)
        legend_rows.append((colour, label, f"{len(rows):,}"))
    if groups:
        groups[0].add_child(Legend("Services", legend_rows, "Click a dot for its name and source.",
                                   kind="point", position="topright",
                                   css_class="nm-legend-services"))
    return groups


#: Fixed colours for the usual service types (Okabe-Ito, bright against the palettes).
TYPE_COLOURS = {
    "gp_practice": "#D55E00", "library": "#E69F00", "school_primary": "#56B4E9",
    "school_secondary": "#0072B2", "family_hub": "#CC79A7", "childrens_centre": "#F0E442",
    "nursery": "#009E73", "pharmacy": "#000000", "special_school": "#999999",
}


def service_colours(types: Sequence[str]) -> dict[str, str]:
    """A stable colour per service type (fixed for the usual ones, cycling for others)."""
    out = {}
    for i, t in enumerate(types):
        out[t] = TYPE_COLOURS.get(t, SERVICE_COLOURS[i % len(SERVICE_COLOURS)])
    return out
