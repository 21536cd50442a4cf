"""Static snapshot map: the locality's wards by modelled risk, with services marked.

A printed page (PDF) cannot run JavaScript, so the snapshot map is a PNG drawn with
matplotlib (Agg backend) in EPSG:27700 and embedded in the HTML as a data URI.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import matplotlib
import pandas as pd

matplotlib.use("Agg")
import matplotlib.patheffects as pe  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import BoundaryNorm, ListedColormap  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

#: Ten colours for deciles 1 (highest modelled risk, darkest) .. 10 (lowest).
DECILE_COLOURS = ["#49006a", "#7a0177", "#ae017e", "#dd3497", "#f768a1",
                  "#fa9fb5", "#fcc5c0", "#fde0dd", "#fff7f3", "#fcfbfd"]  # ColorBrewer RdPu
#: Styles for other (user-defined) service types, in turn.
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "h", "<"]
MARKER_COLOURS = ["#1f618d", "#a04000", "#4a235a", "#0b5345", "#784212", "#1a5276",
                  "#641e16", "#145a32", "#4d5656", "#6c3483"]
#: Fixed (marker, colour) per service type, so a type looks the same on every page.
TYPE_STYLES: dict[str, tuple[str, str]] = {
    "gp_practice": ("o", "#1b4f72"), "library": ("s", "#117a65"),
    "childrens_centre": ("h", "#b03a2e"), "family_hub": ("H", "#b03a2e"),
    "pharmacy": ("P", "#6e2c00"), "nursery": ("v", "#7d3c98"),
    "school_primary": ("X", "#212f3d"), "school_secondary": ("^", "#b9770e"),
    "special_school": ("D", "#7d6608"), "alternative_provision": ("<", "#5d6d7e"),
    "college": ("p", "#0e6655"),
}
KNOWN_TYPES = list(TYPE_STYLES)


@dataclass
class MapResult:
    """The rendered map and what the legend says."""

    png: bytes
    legend_title: str

    @property
    def data_uri(self) -> str:
        """The PNG as a ``data:`` URI for embedding in HTML."""
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


def draw_map(wards: gpd.GeoDataFrame, context: gpd.GeoDataFrame | None,
             services: gpd.GeoDataFrame | None, legend_title: str,
             size_mm: tuple[float, float] = (94, 96), dpi: int = 200,
             service_types: Sequence[str] | None = None) -> MapResult:
    """Draw the snapshot map.

    Parameters
    ----------
    wards
        The area's wards in EPSG:27700 with columns ``decile`` (1-10 or missing) and
        ``label`` (the ward's number in the ranked table).
    context
        Neighbouring wards drawn in grey for orientation (may be ``None``).
    services
        Service points in EPSG:27700 with a ``type`` column and optionally ``inside``
        (services near but outside the area are drawn faded); may be ``None``/empty.
    legend_title
        What the colours show, e.g. ``"ACE index, England decile"``.
    size_mm, dpi
        Figure size and resolution.
    service_types
        Types to show, in legend order (default: those present).
    """
    w_in, h_in = size_mm[0] / 25.4, size_mm[1] / 25.4
    fig, ax = plt.subplots(figsize=(w_in, h_in), dpi=dpi)
    ax.set_axis_off()
    minx, miny, maxx, maxy = wards.total_bounds
    pad = 0.06 * max(maxx - minx, maxy - miny)
    if context is not None and not context.empty:
        context.plot(ax=ax, color="#eeeeee", edgecolor="#ffffff", linewidth=0.6)
    cmap = ListedColormap(DECILE_COLOURS)
    norm = BoundaryNorm([0.5 + i for i in range(11)], cmap.N)
    has = wards["decile"].notna()
    if has.any():
        wards[has].plot(ax=ax, column="decile", cmap=cmap, norm=norm, edgecolor="#555555",
                        linewidth=0.4)
    if (~has).any():
        wards[~has].plot(ax=ax, color="#cccccc", edgecolor="#ffffff", linewidth=0.7, hatch="///")
    outline = wards.geometry.union_all()
    gpd.GeoSeries([outline], crs=wards.crs).boundary.plot(ax=ax, color="#222222", linewidth=1.1)
    for _, r in wards.iterrows():
        pt = r.geometry.representative_point()
        dark = r["decile"] is not None and r["decile"] == r["decile"] and r["decile"] <= 3
        ax.annotate(str(r["label"]), (pt.x, pt.y), ha="center", va="center", fontsize=6.5,
                    fontweight="bold", color="#ffffff" if dark else "#222222", zorder=7,
                    path_effects=[pe.withStroke(linewidth=1.6,
                                                foreground="#222222" if dark else "#ffffff")])
    handles: list = []
    if services is not None and not services.empty:
        present = sorted(services["type"].dropna().unique())
        types = list(service_types or ([t for t in KNOWN_TYPES if t in present]
                                       + [t for t in present if t not in KNOWN_TYPES]))
        for t in types:
            pts = services[services["type"] == t]
            if pts.empty:
                continue
            if t in TYPE_STYLES:
                m, c = TYPE_STYLES[t]
            else:
                i = types.index(t)
                m, c = MARKERS[i % len(MARKERS)], MARKER_COLOURS[i % len(MARKER_COLOURS)]
            inside = pts["inside"].astype(bool) if "inside" in pts else pd.Series(True, pts.index)
            for sel, alpha in ((inside, 1.0), (~inside, 0.45)):
                if sel.any():
                    ax.scatter(pts.geometry.x[sel], pts.geometry.y[sel], marker=m, s=11, c=c,
                               edgecolors="#ffffff", linewidths=0.3, zorder=5, alpha=alpha)
            handles.append(Line2D([], [], marker=m, linestyle="", markersize=4, color=c,
                                  markeredgecolor="#ffffff", label=t.replace("_", " ")))
    ax.set_xlim(minx - pad, maxx + pad)
    ax.set_ylim(miny - pad, maxy + pad)
    ax.set_aspect("equal")
    _scale_bar(ax, minx - pad, miny - pad, maxx - minx + 2 * pad)
    rows_needed = -(-len(handles) // min(len(handles), 4)) if handles else 0
    patches = [Patch(facecolor=DECILE_COLOURS[d - 1], edgecolor="#999999", linewidth=0.3,
                     label=str(d)) for d in range(1, 11)]
    if (~has).any():
        patches.append(Patch(facecolor="#cccccc", hatch="///", label="n/a"))
    fig.legend(handles=patches, title=legend_title + "  (1 = highest modelled risk)",
               loc="lower center", bbox_to_anchor=(0.5, 0.0 if not handles else 0.035 * rows_needed),
               ncol=len(patches), fontsize=5.5, title_fontsize=6, frameon=False,
               handlelength=1.1, handleheight=0.8, columnspacing=0.6, handletextpad=0.25)
    rows = 0
    if handles:
        ncol = min(len(handles), 4)
        rows = -(-len(handles) // ncol)
        fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.0),
                   ncol=ncol, fontsize=5.2, frameon=False, columnspacing=0.7,
                   handletextpad=0.15, labelspacing=0.2)
    fig.subplots_adjust(left=0.01, right=0.99, top=0.99, bottom=0.13 + 0.035 * rows)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return MapResult(png=buf.getvalue(), legend_title=legend_title)


def _scale_bar(ax, x0: float, y0: float, width: float) -> None:  # noqa: ANN001
    """A simple 1/2/5 km scale bar in the lower-left corner (units are metres)."""
    target = width / 4
    length = max((v for v in (500, 1000, 2000, 5000, 10000, 20000) if v <= target), default=500)
    x, y = x0 + 0.03 * width, y0 + 0.03 * width
    ax.plot([x, x + length], [y, y], color="#222222", linewidth=1.5, solid_capstyle="butt")
    label = f"{length / 1000:g} km"
    ax.annotate(label, (x + length / 2, y), xytext=(0, 2), textcoords="offset points",
                ha="center", va="bottom", fontsize=5.5)
