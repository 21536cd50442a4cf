// needsmap ward map: a Streamlit (components v2) element drawing wards with Leaflet.
//
// Python (needsmap.views.maps.ward_map) sends one JSON document per run. Large parts
// (ward geometry, the layer's classes and tooltips, service points) carry a key; once
// this page has a part, Python sends only {key} and the part is taken from the page's
// cache (window.__nmMap). If a key is missing (a page reload keeps nothing), the map
// asks for it again with the trigger "need". Clicks report "select"; the first paint of
// a page reports "painted".
//
// Everything from the data is inserted as text (textContent), never as HTML.

const NM = (window.__nmMap = window.__nmMap || {
  parts: new Map(),      // key -> part (geometry, style, services)
  leaflet: null,         // Promise of Leaflet + markercluster loaded
  painted: false,
});

function remember(key, value) {
  NM.parts.set(key, value);
  if (NM.parts.size > 24) NM.parts.delete(NM.parts.keys().next().value);
  return value;
}

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = src; s.async = false; s.onload = resolve; s.onerror = reject;
    document.head.appendChild(s);
  });
}

function loadCss(href) {
  if (document.querySelector(`link[data-nm="${href}"]`)) return;
  const l = document.createElement("link");
  l.rel = "stylesheet"; l.href = href; l.setAttribute("data-nm", href);
  document.head.appendChild(l);
}

function leafletReady(assets) {
  if (!NM.leaflet) {
    loadCss(assets.leaflet_css);
    loadCss(assets.cluster_css);
    NM.leaflet = (window.L ? Promise.resolve() : loadScript(assets.leaflet_js))
      .then(() => (window.L && window.L.markerClusterGroup ? null : loadScript(assets.cluster_js)));
  }
  return NM.leaflet;
}

function parseData(data) {
  if (data == null) return null;
  if (typeof data === "string") return JSON.parse(data);
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
    return JSON.parse(new TextDecoder().decode(data));
  }
  return data;
}

// Delta-encoded rings (needsmap.views.data.encode_geometry) -> Leaflet LatLngs (made
// directly: Leaflet would otherwise convert [lat, lng] arrays, one more object per vertex).
function decodePolys(g, q) {
  const LatLng = window.L.LatLng;
  return g.map((poly) => poly.map((r) => {
    const out = new Array(r.length / 2);
    let x = 0, y = 0;
    for (let i = 0, j = 0; i < r.length; i += 2, j++) {
      x += r[i]; y += r[i + 1]; out[j] = new LatLng(y * q, x * q);
    }
    return out;
  }));
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
}

// ---- the floating tooltip (in <body>, so it is never clipped by the map's edges) ----

function tooltipBox() {
  let t = document.getElementById("nm-tooltip");
  if (!t) {
    t = el("div", "nm-tip");
    t.id = "nm-tooltip";
    t.setAttribute("role", "tooltip");
    t.style.display = "none";
    document.body.appendChild(t);
  }
  return t;
}

function placeTip(t, x, y) {
  t.style.display = "block";
  const w = t.offsetWidth, h = t.offsetHeight, pad = 12;
  let left = x + 14, top = y - h - 12;
  if (left + w + pad > window.innerWidth) left = Math.max(pad, x - w - 14);
  if (top < pad) top = Math.min(window.innerHeight - h - pad, y + 18);
  t.style.left = `${left}px`;
  t.style.top = `${top}px`;
}

function fillTip(t, lines) {
  t.replaceChildren();
  lines.forEach(([cls, text]) => { if (text) t.appendChild(el("div", cls, text)); });
}

// ---- the map ------------------------------------------------------------------------

class WardMap {
  constructor(root, setTrigger) {
    this.root = root;
    this.setTrigger = setTrigger;
    this.legend = el("div", "nm-legend-strip");
    this.legend.setAttribute("role", "figure");
    this.box = el("div", "nm-map-box");
    this.mapDiv = el("div", "nm-map");
    this.box.appendChild(this.mapDiv);
    this.note = el("div", "nm-map-note");
    this.marker = el("div");
    this.marker.id = "nm-painted";
    this.marker.style.display = "none";
    root.replaceChildren(this.legend, this.box, this.note, this.marker);
    const L = window.L;
    this.map = L.map(this.mapDiv, {zoomSnap: 0.25, zoomDelta: 0.5, minZoom: 5, maxZoom: 19,
                                   preferCanvas: false, attributionControl: true});
    this.map.attributionControl.setPrefix(false);
    L.control.scale({imperial: false}).addTo(this.map);
    const outlinePane = this.map.createPane("nmOutlines");
    outlinePane.style.zIndex = 450;
    outlinePane.style.pointerEvents = "none";  // outlines never take the wards' events
    this.tip = tooltipBox();
    this.geomKey = null; this.styleKey = null; this.svcKey = null; this.baseKey = null;
    this.wards = null; this.byCode = new Map(); this.selected = null; this.hover = null;
    this.version = 0;
    this.onResize = () => { this.sizeToWindow(); };
    window.addEventListener("resize", this.onResize);
    // When the page around the map moves or resizes it, keep the area in view unless the
    // user has panned or zoomed since it was fitted.
    this.fitted = null;
    this.userMoved = false;
    this.map.on("zoomstart movestart", (e) => { if (!this.fitting) this.userMoved = true; });
    this.resizeObs = new ResizeObserver(() => {
      this.map.invalidateSize({pan: false});
      if (this.fitted && !this.userMoved) this.fit(this.fitted);
      this.map.fire("moveend");  // renderers re-clip their paths to the new size
    });
    this.resizeObs.observe(this.box);
  }

  fit(bounds) {
    this.fitting = true;
    this.fitted = bounds;
    this.map.fitBounds(bounds, {padding: [10, 10], animate: false});
    this.fitting = false;
  }

  sizeToWindow() {
    if (this.fixedHeight) {
      const h = `${this.fixedHeight}px`;
      if (this.box.style.height === h) return false;
      this.box.style.height = h;
      return true;
    }
    // The map fills the window below its own top edge (the page is scrolled to the top
    // when it opens), between 340 and 900 px, so its bottom is on screen on a laptop.
    // Returns whether the height changed.
    const top = this.box.getBoundingClientRect().top + window.scrollY;
    const h = `${Math.round(Math.max(340, Math.min(900, window.innerHeight - top - 48)))}px`;
    if (this.box.style.height === h) return false;
    this.box.style.height = h;
    return true;
  }

  destroy() {
    window.removeEventListener("resize", this.onResize);
    this.resizeObs.disconnect();
    clearTimeout(this.refreshTimer);
    this.tip.style.display = "none";
    this.map.remove();
  }

  update(d) {
    const L = window.L;
    this.mapDiv.setAttribute("aria-label", d.title || "Map of wards");
    this.mapDiv.setAttribute("role", "region");
    const geom = this.part(d.geom, (g) => ({
      key: g.key, codes: g.codes, names: g.names, lads: g.lads, q: g.q, bounds: g.b,
      polys: g.f, outlines: g.o,
    }));
    const style = this.part(d.style, (s) => s);
    const svc = d.services ? this.part(d.services, (s) => s) : {key: "none", groups: []};
    const missing = [d.geom, d.style, d.services].filter((p) => p && !NM.parts.has(p.key) && !p.full)
      .map((p) => p.key);
    if (missing.length) { this.setTrigger("need", missing); return; }
    this.canvas = !!d.canvas;
    this.reportPaint = !!d.report_paint;
    this.fixedHeight = d.height || null;
    this.setLegend(d.legend, svc, d.overlay);
    this.note.textContent = d.note || "";
    if (this.sizeToWindow()) this.map.invalidateSize();
    this.setBasemap(d.basemap);
    const newGeom = geom.key !== this.geomKey;
    const newStyle = style.key !== this.styleKey;
    if (newStyle) { this.style = style; this.styleKey = style.key; }
    if (newGeom) this.setGeometry(geom);  // drawn with the style from the start
    else if (newStyle) this.setStyle(style);
    if (svc.key !== this.svcKey) this.setServices(svc);
    this.setOverlay(d.overlay);
    const want = d.selected || null;
    if (newGeom || want !== (this.selected && this.selected.nmCode)) this.select(want, !newGeom);
    this.marker.setAttribute("data-refresh", d.refresh_after ? "1" : "");
    this.markPainted(geom, style);
    // Something on the map is still being computed on the server: ask again shortly.
    // (Each ask doubles the wait, up to 8 s, while the answer is still "not yet".)
    clearTimeout(this.refreshTimer);
    if (d.refresh_after) {
      this.refreshTries = (this.refreshTries || 0) + 1;
      const wait = Math.min(8, d.refresh_after * 2 ** (this.refreshTries - 1));
      this.refreshTimer = setTimeout(() => this.setTrigger("refresh", Date.now()), wait * 1000);
    } else {
      this.refreshTries = 0;
    }
  }

  part(p, make) {
    if (!p) return null;
    if (p.full) return remember(p.key, make(p));
    return NM.parts.get(p.key) || {key: p.key};
  }

  setBasemap(b) {
    const L = window.L;
    const key = b ? b.url : "none";
    if (key === this.baseKey) return;
    this.baseKey = key;
    if (this.tiles) { this.map.removeLayer(this.tiles); this.tiles = null; }
    if (this.attr) { this.map.attributionControl.removeAttribution(this.attr); this.attr = null; }
    this.box.classList.toggle("nm-offline", false);
    if (!b) return;
    let loaded = false, failed = 0;
    this.tiles = L.tileLayer(b.url, {maxZoom: 19, subdomains: b.subdomains || "abc"});
    // Credit the tile providers only once their tiles are actually shown: offline, the
    // map says the basemap is unavailable instead of crediting what it could not load.
    this.tiles.on("tileload", () => {
      if (loaded) return;
      loaded = true;
      this.attr = b.attr;
      this.map.attributionControl.addAttribution(b.attr);
      this.box.classList.toggle("nm-offline", false);
    });
    this.tiles.on("tileerror", () => {
      failed += 1;
      if (!loaded && failed >= 2) this.box.classList.toggle("nm-offline", true);
    });
    this.tiles.addTo(this.map);
  }

  setGeometry(g) {
    const L = window.L;
    if (this.wards) this.map.removeLayer(this.wards);
    if (this.outlines) this.map.removeLayer(this.outlines);
    this.outlines = null;
    this.byCode = new Map();
    this.selected = null;
    this.geom = g;
    // Fit first, so the polygons are projected once, at the zoom they are drawn at.
    const [[s, w], [n, e]] = g.bounds;
    this.userMoved = false;
    this.geomBounds = [[s, w], [n, e]];
    this.fit([[s, w], [n, e]]);
    const renderer = this.canvas ? L.canvas({padding: 0.2, tolerance: 2}) : L.svg({padding: 0.2});
    const group = L.featureGroup();
    const t0 = performance.now();
    const polys = g.polys;
    for (let i = 0; i < g.codes.length; i++) {
      const layer = L.polygon(decodePolys(polys[i], g.q), Object.assign({
        renderer, fillOpacity: 0.85, className: "nm-ward"}, this.baseStyle(i)));
      layer.nmCode = g.codes[i];
      layer.nmIndex = i;
      group.addLayer(layer);
      this.byCode.set(g.codes[i], layer);
    }
    this.geomBuildMs = performance.now() - t0;
    this.geomBuilds = (this.geomBuilds || 0) + 1;
    group.on("mouseover", (e) => this.hoverOn(e.layer, e.originalEvent));
    group.on("mousemove", (e) => this.moveTip(e.originalEvent));
    group.on("mouseout", (e) => this.hoverOff(e.layer));
    group.on("click", (e) => this.clicked(e.layer));
    group.addTo(this.map);
    this.wards = group;
    if (g.outlines && g.outlines.length) {
      const parts = [];
      g.outlines.forEach((o) => decodePolys(o, g.q).forEach((lines) => lines.forEach((r) => parts.push(r))));
      this.outlines = L.polyline(parts, {
        pane: "nmOutlines", interactive: false, color: "#1c1b22", weight: this.canvas ? 0.5 : 1.2,
        opacity: this.canvas ? 0.6 : 0.75, className: "nm-lad",
        renderer: this.canvas ? L.canvas({pane: "nmOutlines", padding: 0.2}) : L.svg({pane: "nmOutlines"}),
      }).addTo(this.map);
    }
    this.geomKey = g.key;
    if (!this.canvas) this.makeFocusable();
  }

  makeFocusable() {
    // Each ward path is a named tab stop; Enter or Space selects it (as a click does).
    this.byCode.forEach((layer) => {
      const p = layer.getElement && layer.getElement();
      if (!p) return;
      p.setAttribute("tabindex", "0");
      p.setAttribute("role", "button");
      p.setAttribute("aria-label", this.label(layer));
      p.addEventListener("keydown", (ev) => {
        if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); this.clicked(layer); }
      });
      p.addEventListener("focus", () => {
        const r = p.getBoundingClientRect();
        this.showTip(layer, r.left + r.width / 2, r.top + r.height / 2);
      });
      p.addEventListener("blur", () => { this.tip.style.display = "none"; });
    });
  }

  label(layer) {
    const i = layer.nmIndex, g = this.geom, s = this.style || {};
    const v = s.v ? s.v[i] : "";
    return `${g.names[i]}${g.lads[i] ? ", " + g.lads[i] : ""}${v ? ": " + (s.label || "") + " " + v : ""}`;
  }

  baseStyle(i) {
    const s = this.style || {};
    const k = s.k ? s.k[i] : -1;
    return {fillColor: k < 0 ? (s.nodata || "#cfcfcf") : s.colours[k], color: "#ffffff",
            weight: this.canvas ? 0.25 : 0.8, opacity: this.canvas ? 0.6 : 0.95};
  }

  setStyle(s) {
    this.style = s;
    this.styleKey = s.key;
    this.byCode.forEach((layer) => {
      if (layer !== this.selected) layer.setStyle(this.baseStyle(layer.nmIndex));
    });
    if (this.selected) this.selected.setStyle({fillColor: this.baseStyle(this.selected.nmIndex).fillColor});
    if (!this.canvas) {
      this.byCode.forEach((layer) => {
        const p = layer.getElement && layer.getElement();
        if (p) p.setAttribute("aria-label", this.label(layer));
      });
    }
  }

  tipLines(layer) {
    const i = layer.nmIndex, g = this.geom, s = this.style || {};
    const lines = [["t", g.names[i]], ["s", g.lads[i]]];
    lines.push(["v", `${s.label || "Value"}: ${s.v ? s.v[i] : ""}`]);
    (s.extra || []).forEach((col) => lines.push(["", col[i]]));
    return lines;
  }

  showTip(layer, x, y) {
    fillTip(this.tip, this.tipLines(layer));
    placeTip(this.tip, x, y);
  }

  hoverOn(layer, ev) {
    this.hover = layer;
    if (layer !== this.selected) layer.setStyle({weight: 2.4, color: "#3d3d3d", opacity: 1});
    if (ev) this.showTip(layer, ev.clientX, ev.clientY);
  }

  moveTip(ev) {
    if (this.hover && ev) placeTip(this.tip, ev.clientX, ev.clientY);
  }

  hoverOff(layer) {
    if (layer !== this.selected) layer.setStyle(this.baseStyle(layer.nmIndex));
    this.hover = null;
    this.tip.style.display = "none";
  }

  clicked(layer) {
    this.select(layer.nmCode, false);
    this.setTrigger("select", layer.nmCode);
  }

  select(code, reveal) {
    if (this.selected) {
      const old = this.selected;
      this.selected = null;
      old.setStyle(this.baseStyle(old.nmIndex));
    }
    const layer = code ? this.byCode.get(code) : null;
    if (!layer) { this.marker.setAttribute("data-selected", ""); return; }
    this.selected = layer;
    layer.nmCode = code;
    layer.setStyle({color: "#111111", weight: 3.5, opacity: 1});
    layer.bringToFront();
    this.marker.setAttribute("data-selected", code);
    if (reveal) {  // bring a ward chosen outside the map into view (a copy: getBounds is the layer's own)
      const b = layer.getBounds();
      if (!this.map.getBounds().contains(b)) {
        this.map.fitBounds(L.latLngBounds(b.getSouthWest(), b.getNorthEast()),
                           {padding: [20, 20], maxZoom: this.map.getZoom()});
      }
    }
  }

  setServices(svc) {
    const L = window.L;
    (this.clusters || []).forEach((c) => this.map.removeLayer(c));
    this.clusters = [];
    this.svcKey = svc.key;
    (svc.groups || []).forEach((grp) => {
      // icon HTML: a fixed shape, a checked colour and (for clusters) a number
      const icon = (size, n) => L.divIcon({
        html: shapeSvg(grp.shape, grp.colour, size).outerHTML
          + (n ? `<span class="nm-count">${Number(n)}</span>` : ""),
        className: "nm-svc-icon", iconSize: [size, size], iconAnchor: [size / 2, size / 2]});
      const single = icon(18, null);
      const cluster = L.markerClusterGroup({
        maxClusterRadius: 40, showCoverageOnHover: false, chunkedLoading: true,
        disableClusteringAtZoom: 15, spiderfyOnMaxZoom: false,
        iconCreateFunction: (c) => {
          const n = c.getChildCount();
          const i = icon(n < 10 ? 26 : n < 100 ? 32 : 38, n);
          i.options.className = "nm-svc-icon nm-svc-cluster";
          return i;
        },
      });
      const markers = grp.rows.map((r) => {
        const m = L.marker([r[0], r[1]], {icon: single, keyboard: true, title: r[2], alt: r[2]});
        m.bindPopup(() => {
          const d = el("div", "nm-pop");
          d.appendChild(el("div", "t", r[2]));
          d.appendChild(el("div", "", r[3]));
          d.appendChild(el("div", "s", "Source: " + r[4]));
          return d;
        });
        m.on("add", () => { const e = m.getElement(); if (e) e.classList.add("nm-svc"); });
        return m;
      });
      cluster.addLayers(markers);
      cluster.addTo(this.map);
      this.clusters.push(cluster);
    });
  }

  setOverlay(ov) {
    // Points above everything (a searched postcode; existing and proposed sites), each
    // with an optional straight-line circle (metres). Redrawn only when it changes.
    const L = window.L;
    const sig = JSON.stringify(ov || null);
    if (sig === this.ovSig) return;
    this.ovSig = sig;
    if (this.overlay) { this.map.removeLayer(this.overlay); this.overlay = null; }
    this.marker.setAttribute("data-overlay", "");
    if (!ov || !ov.groups || !ov.groups.length) return;
    if (!this.map.getPane("nmOverlay")) {
      const pane = this.map.createPane("nmOverlay");
      pane.style.zIndex = 620;
    }
    const group = L.featureGroup();
    const counts = [];
    ov.groups.forEach((g) => {
      const safe = /^#[0-9a-fA-F]{6}$/.test(g.colour) ? g.colour : "#777777";
      const size = g.size || 22;
      const icon = L.divIcon({html: shapeSvg(g.shape, safe, size).outerHTML,
                              className: "nm-ov-icon", iconSize: [size, size],
                              iconAnchor: [size / 2, size / 2]});
      g.rows.forEach((r) => {
        if (g.radius) {
          L.circle([r[0], r[1]], {radius: g.radius, color: safe, weight: 2, opacity: 0.9,
                                  fillColor: safe, fillOpacity: 0.07, interactive: false,
                                  dashArray: g.dashed ? "5 5" : null,
                                  className: "nm-ov-circle"}).addTo(group);
        }
        const m = L.marker([r[0], r[1]], {icon, keyboard: true, title: r[2], alt: r[2],
                                          pane: "nmOverlay", zIndexOffset: 1000});
        m.bindPopup(() => {
          const d = el("div", "nm-pop");
          d.appendChild(el("div", "t", r[2]));
          d.appendChild(el("div", "", g.label));
          if (r[3]) d.appendChild(el("div", "s", r[3]));
          return d;
        });
        m.on("add", () => {
          const e = m.getElement();
          if (e) { e.classList.add("nm-ov"); e.setAttribute("data-ov", g.label); }
        });
        m.addTo(group);
      });
      counts.push(`${g.label}:${g.rows.length}`);
    });
    group.addTo(this.map);
    this.overlay = group;
    // Keep whole catchment circles in view (unless the user has moved the map).
    if (!this.userMoved && this.geomBounds && ov.groups.some((g) => g.radius)) {
      const b = L.latLngBounds(this.geomBounds).extend(group.getBounds());
      this.fit([[b.getSouth(), b.getWest()], [b.getNorth(), b.getEast()]]);
    }
    this.marker.setAttribute("data-overlay", counts.join("|"));
  }

  setLegend(lg, svc, ov) {
    const d = this.legend;
    d.replaceChildren();
    if (!lg) return;
    d.setAttribute("aria-label", lg.title || "Legend");
    const cls = el("div", "nm-lg nm-legend-wards");
    cls.appendChild(el("div", "h", lg.title));
    const bar = el("div", "bar");
    lg.rows.forEach((r) => {
      const c = el("div", "c");
      const sw = el("div", "bsw");
      sw.style.background = r[0];
      c.title = r[1] + (r[2] != null ? ` (${r[2]} wards)` : "");
      c.appendChild(sw);
      c.appendChild(el("div", "bl", r[3] || ""));
      bar.appendChild(c);
    });
    cls.appendChild(bar);
    const ends = el("div", "ends");
    ends.appendChild(el("span", "", lg.low || ""));
    ends.appendChild(el("span", "", lg.high || ""));
    cls.appendChild(ends);
    if (lg.foot) cls.appendChild(el("div", "f", lg.foot));
    d.appendChild(cls);
    if (svc.groups && svc.groups.length) {
      const s = el("div", "nm-lg nm-legend-services");
      s.appendChild(el("div", "h", "Services (click a symbol for its name and source)"));
      svc.groups.forEach((g) => {
        const row = el("div", "r");
        row.appendChild(shapeSvg(g.shape, g.colour, 14));
        row.appendChild(el("span", "", g.label));
        row.appendChild(el("span", "n", g.rows.length.toLocaleString("en-GB")));
        s.appendChild(row);
      });
      d.appendChild(s);
    }
    if (ov && ov.groups && ov.groups.length) {
      const s = el("div", "nm-lg nm-legend-services nm-legend-overlay");
      s.appendChild(el("div", "h", "Marked on the map"));
      ov.groups.forEach((g) => {
        const row = el("div", "r");
        row.appendChild(shapeSvg(g.shape, g.colour, 14));
        row.appendChild(el("span", "", g.label));
        if (g.rows.length > 1) row.appendChild(el("span", "n", g.rows.length.toLocaleString("en-GB")));
        s.appendChild(row);
      });
      d.appendChild(s);
    }
    const off = el("div", "nm-lg nm-offline-note",
      "Street basemap unavailable (no internet); wards and services are drawn from this app.");
    d.appendChild(off);
  }

  markPainted(geom, style) {
    this.version += 1;
    const m = this.marker, v = this.version, t0 = performance.now();
    requestAnimationFrame(() => requestAnimationFrame(() => {
      m.setAttribute("data-n", String(geom.codes.length));
      m.setAttribute("data-renderer", this.canvas ? "canvas" : "svg");
      m.setAttribute("data-build-ms", String(Math.round(this.geomBuildMs || 0)));
      m.setAttribute("data-painted-at", String(performance.timeOrigin + performance.now()));
      m.setAttribute("data-paint-ms", String(Math.round(performance.now() - t0)));
      m.setAttribute("data-geom-key", geom.key);
      m.setAttribute("data-geom-builds", String(this.geomBuilds || 0));
      m.setAttribute("data-style-key", style.key);
      m.setAttribute("data-version", String(v));
      if (this.reportPaint && !NM.painted) { NM.painted = true; this.setTrigger("painted", true); }
    }));
  }
}

const SHAPES = {
  circle: (s) => `<circle cx="${s / 2}" cy="${s / 2}" r="${s / 2 - 1.5}"/>`,
  square: (s) => `<rect x="2" y="2" width="${s - 4}" height="${s - 4}"/>`,
  triangle: (s) => `<polygon points="${s / 2},1.5 ${s - 1.5},${s - 2} 1.5,${s - 2}"/>`,
  diamond: (s) => `<polygon points="${s / 2},1 ${s - 1},${s / 2} ${s / 2},${s - 1} 1,${s / 2}"/>`,
  star: (s) => {
    const c = s / 2, R = s / 2 - 1, r = R * 0.45, pts = [];
    for (let i = 0; i < 10; i++) {
      const a = Math.PI / 5 * i - Math.PI / 2, rr = i % 2 ? r : R;
      pts.push(`${(c + rr * Math.cos(a)).toFixed(1)},${(c + rr * Math.sin(a)).toFixed(1)}`);
    }
    return `<polygon points="${pts.join(" ")}"/>`;
  },
  hexagon: (s) => {
    const c = s / 2, R = s / 2 - 1, pts = [];
    for (let i = 0; i < 6; i++) {
      const a = Math.PI / 3 * i;
      pts.push(`${(c + R * Math.cos(a)).toFixed(1)},${(c + R * Math.sin(a)).toFixed(1)}`);
    }
    return `<polygon points="${pts.join(" ")}"/>`;
  },
};

function shapeSvg(shape, colour, size) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("width", size); svg.setAttribute("height", size);
  svg.setAttribute("viewBox", `0 0 ${size} ${size}`);
  svg.setAttribute("aria-hidden", "true");
  // shapes are fixed strings from SHAPES; the colour is checked to be a #rrggbb value
  const safe = /^#[0-9a-fA-F]{6}$/.test(colour) ? colour : "#777777";
  svg.innerHTML = (SHAPES[shape] || SHAPES.circle)(size);
  const g = svg.firstChild;
  g.setAttribute("fill", safe);
  g.setAttribute("stroke", "#1c1b22");
  g.setAttribute("stroke-width", "1.4");
  return svg;
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  performance.mark("nm-data");
  const d = parseData(data);
  performance.mark("nm-parsed");
  if (!d) return undefined;
  let root = parentElement.querySelector(".nm-map-root");
  if (!root) {
    root = el("div", "nm-map-root");
    root.setAttribute("data-testid", "nm-map");
    parentElement.appendChild(root);
  }
  leafletReady(d.assets).then(() => {
    performance.mark("nm-leaflet");
    if (!root.nmMap) root.nmMap = new WardMap(root, setTriggerValue);
    root.nmMap.setTrigger = setTriggerValue;  // bound to this run's element
    root.nmMap.update(d);
  }).catch((err) => {
    root.textContent = "The map could not be drawn: " + (err && err.message ? err.message : err);
  });
  // Streamlit calls this before the next update and when the map leaves the page; the
  // map is kept for updates and removed only once its element is gone.
  return () => {
    setTimeout(() => {
      if (!root.isConnected && root.nmMap) { root.nmMap.destroy(); root.nmMap = null; }
    }, 0);
  };
}
