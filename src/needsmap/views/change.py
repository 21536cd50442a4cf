"""Explore's "change since 2019" layer: legend, tooltip, ward chart and movers (UI only).

The figures are ``ward_change`` (:mod:`needsmap.areas.change`): each ward's England rank in
IoD2019 and IoD2025 on today's wards, and whether it moved further than the re-mapping of
the 2019 areas can explain. The map colours ``direction`` with a diverging palette
(ColorBrewer PuOr ends, colour-blind safe: orange and purple stay apart under deuteranopia,
protanopia and tritanopia; the middle class is a pale neutral). The queries are
``queries/app_ward_change.sql`` and ``queries/app_change_movers.sql``.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from needsmap.areas.change import CAVEAT, DIRECTIONS
from needsmap.views import classify as cls
from needsmap.views import data, layout, maps
from needsmap.views._memo import memo
from needsmap.views.layers import CHANGE_LAYERS, Layer

#: Map classes, low to high: less deprived, no clear change, more deprived (legend order).
ORDER = ("less_deprived", "stayed", "more_deprived")
LABELS = {"less_deprived": "Less deprived relative to England",
          "stayed": "No clear change",
          "more_deprived": "More deprived relative to England"}
#: Legend labels under the swatches (relative to England; the title says since 2019).
SHORT = {"less_deprived": "Less deprived", "stayed": "No clear change",
         "more_deprived": "More deprived"}
#: PuOr (ColorBrewer, colour-blind safe) ends and a pale neutral middle.
COLOURS = {"less_deprived": "#5e3c99", "stayed": "#ebe8f0", "more_deprived": "#e66101"}
MEASURE_WORDS = {"imd": "IMD", "income": "income deprivation", "idaci": "IDACI",
                 "crime": "crime"}


def is_change(layer: Layer) -> bool:
    return layer.table == "ward_change"


def measure_of(layer: Layer) -> str:
    return layer.key.removeprefix("change_")


@memo(maxsize=8)
def values(token: str, measure: str) -> pd.DataFrame:
    """Every ward's change figures in the shape of :mod:`needsmap.views.tables` values:
    ``value`` = rank_change; the England rank columns hold the 2025 rank (1 = most
    deprived), so the table and tooltips rank wards as IoD2025 does; plus the change columns."""
    df = data.query_named(token, "app_ward_change", {"measure": measure})
    out = pd.DataFrame({
        "lad_code": df["lad_code"], "ward_code": df["ward_code"],
        "value": pd.to_numeric(df["rank_change"], errors="coerce"),
        "rank_england": pd.to_numeric(df["rank_2025"], errors="coerce"),
        "n_england": pd.to_numeric(df["n_wards"], errors="coerce"),
        "decile_england": pd.to_numeric(df["decile_2025"], errors="coerce"),
    })
    out["rank_lad"] = out.groupby("lad_code")["rank_england"].rank(method="min")
    out["n_lad"] = out.groupby("lad_code")["rank_england"].transform("count")
    out["band"] = None
    out["band_share"] = np.nan
    for c in ("rank_2019", "rank_2019_low", "rank_2019_high", "decile_2019", "direction",
              "exceeds_uncertainty"):
        out[c] = df[c]
    return out


def classes(view: pd.DataFrame) -> cls.Classes:
    """Three classes from ``direction`` (-1 where a ward has no figures)."""
    pos = {d: i for i, d in enumerate(ORDER)}
    idx = np.array([pos.get(d, -1) if isinstance(d, str) else -1
                    for d in view.get("direction", pd.Series([None] * len(view)))], dtype=int)
    counts = tuple(int((idx == i).sum()) for i in range(len(ORDER)))
    return cls.Classes(index=idx, edges=(-1.0, 0.0, 1.0, 2.0), counts=counts,
                       labels=tuple(LABELS[d] for d in ORDER),
                       colours=tuple(COLOURS[d] for d in ORDER), method="change",
                       note="IoD2019 to IoD2025 England rank")


def legend(classes_: cls.Classes, layer: Layer) -> maps.Legend:
    rows = [(classes_.colours[i], classes_.labels[i], f"{classes_.counts[i]:,}",
             f"{SHORT[d]} ({classes_.counts[i]:,})") for i, d in enumerate(ORDER)]
    missing = int((classes_.index < 0).sum())
    foot = ("Ranks within England, not levels; a move within the re-mapping uncertainty of "
            "the 2019 areas, or within the same tenth of England, is no clear change."
            + (f" {missing:,} wards without figures in grey." if missing else ""))
    return maps.Legend(f"{layer.label}: IoD2019 \u2192 IoD2025 (wards)", rows, "", "", foot)


def subtitle() -> str:
    return ("orange = more deprived relative to England than in 2019, purple = less, "
            "pale = no clear change")


def tooltip_line(view: pd.DataFrame) -> list[str]:
    """"2019 rank 1,234 (1,100-1,300) → 2025 rank 1,050 of 6,817" per ward (change layers)."""
    if "rank_2019" not in view:
        return [""] * len(view)
    out = []
    for r19, lo, hi, r25, n, d in zip(view["rank_2019"], view["rank_2019_low"],
                                      view["rank_2019_high"], view["rank_england"],
                                      view["n_england"], view["direction"], strict=True):
        if pd.isna(r19) or pd.isna(r25):
            out.append("")
            continue
        band = f" (range {int(lo):,}\u2013{int(hi):,})" if pd.notna(lo) and pd.notna(hi) else ""
        words = DIRECTIONS.get(d, "") if isinstance(d, str) else ""
        out.append(f"England rank 2019 {int(r19):,}{band} \u2192 2025 {int(r25):,} of "
                   f"{int(n):,}" + (f": {words}" if words else ""))
    return out


def caveat() -> None:
    st.html(f'<div class="nm-caveat" role="note"><b>About change since 2019.</b> '
            f"{layout._escape(CAVEAT)}</div>")


# --- the ward panel's two-point chart -------------------------------------------------

def chart_frame(row: pd.Series) -> pd.DataFrame:
    """Two rows (2019, 2025) with the rank and the 2019 range, for :func:`panel_chart`."""
    return pd.DataFrame({
        "year": ["2019", "2025"],
        "rank": [row["rank_2019"], row["rank_2025"]],
        "low": [row["rank_2019_low"], row["rank_2025"]],
        "high": [row["rank_2019_high"], row["rank_2025"]],
        "decile": [row["decile_2019"], row["decile_2025"]],
    })


@memo(maxsize=32)
def _ward_rows(token: str, measure: str) -> pd.DataFrame:
    return data.query_named(token, "app_ward_change", {"measure": measure}).set_index("ward_code")


def panel(token: str, code: str, layer: Layer) -> None:
    """The selected ward's 2019 → 2025 England rank (IMD unless a change layer is shown)."""
    if "ward_change" not in data.info_for(token).tables:
        return
    measure = measure_of(layer) if is_change(layer) else "imd"
    rows = _ward_rows(token, measure)
    if code not in rows.index or pd.isna(rows.loc[code, "rank_2019"]):
        return
    row = rows.loc[code]
    df = chart_frame(row)
    n = int(row["n_wards"])
    colour = COLOURS.get(str(row["direction"]), "#55535f")
    if colour == COLOURS["stayed"]:
        colour = "#55535f"  # the pale map colour is too light for a line
    lo = float(np.nanmin(df[["rank", "low", "high"]].to_numpy(dtype=float)))
    hi = float(np.nanmax(df[["rank", "low", "high"]].to_numpy(dtype=float)))
    pad = max(60.0, (hi - lo) * 0.35)
    scale = alt.Scale(domain=[max(1.0, lo - pad), min(float(n), hi + pad)], reverse=True,
                      nice=False)
    # a short axis title: a title longer than the chart is tall squashes the plot
    y = alt.Y("rank:Q", title="England rank", scale=scale,
              axis=alt.Axis(format=",d", tickCount=4))
    x = alt.X("year:N", title=None, axis=alt.Axis(labelAngle=0), scale=alt.Scale(padding=0.4))
    band = alt.Chart(df.iloc[:1]).mark_rule(strokeWidth=9, opacity=0.5, color="#8a86a0").encode(
        x=x, y=alt.Y("low:Q", scale=scale, title="England rank"), y2="high:Q")
    line = alt.Chart(df).mark_line(color=colour, strokeWidth=2.5).encode(x=x, y=y)
    pts = alt.Chart(df).mark_point(filled=True, size=70, color=colour).encode(
        x=x, y=y, tooltip=[alt.Tooltip("year:N", title="IoD"),
                           alt.Tooltip("rank:Q", title="England rank", format=",d"),
                           alt.Tooltip("decile:Q", title="Decile (1 = most deprived)")])
    text = alt.Chart(df).mark_text(dx=0, dy=-12, fontSize=11, color="#2b2a33").encode(
        x=x, y=y, text=alt.Text("rank:Q", format=",d"))
    what = MEASURE_WORDS.get(measure, measure)
    st.markdown(f"**Change since 2019 ({what})**")
    st.altair_chart(alt.layer(band, line, pts, text).properties(height=160), width="stretch")
    words = DIRECTIONS.get(str(row["direction"]), "")
    lo19, hi19 = int(row["rank_2019_low"]), int(row["rank_2019_high"])
    band_words = (f"grey bar: {lo19:,}\u2013{hi19:,} allowing for the re-mapping of 2019 areas"
                  if hi19 > lo19 else "its 2019 areas needed no re-mapping")
    st.caption(f"England rank {int(row['rank_2019']):,} in 2019 ({band_words}) "
               f"\u2192 {int(row['rank_2025']):,} of {n:,} in 2025 (1 = most deprived); "
               f"decile {int(row['decile_2019'])} \u2192 {int(row['decile_2025'])}: {words}. "
               "Ranks, not levels.")


# --- the movers table -----------------------------------------------------------------

def movers(token: str, lad_codes: tuple[str, ...] | None, measure: str, n: int = 15
           ) -> pd.DataFrame:
    """The area's wards that moved most (beyond the re-mapping uncertainty)."""
    return data.query_named(token, "app_change_movers", {
        "measure": measure, "lad_codes": list(lad_codes) if lad_codes else None, "n": int(n)})


def below_map(token: str, lad_codes: tuple[str, ...] | None, layer: Layer,
              area_label: str) -> None:
    """The table of the wards that moved most (the caveat is above the map)."""
    measure = measure_of(layer)
    df = movers(token, lad_codes, measure)
    what = MEASURE_WORDS.get(measure, measure)
    st.markdown(f"**Wards in {layout._escape(area_label)} that moved most ({what})**")
    if df.empty:
        st.caption("No ward here moved further than the re-mapping uncertainty.")
        return
    show = pd.DataFrame({
        "Ward": df["ward_name"], "Local authority": df["lad_name"],
        "Rank 2019": df["rank_2019"], "Rank 2025": df["rank_2025"],
        "Places moved": df["rank_change"],
        "Decile 2019 \u2192 2025": [f"{int(a)} \u2192 {int(b)}" for a, b in
                                    zip(df["decile_2019"], df["decile_2025"], strict=True)],
        "Change": [DIRECTIONS.get(d, d) for d in df["direction"]],
    })
    if lad_codes is not None and len(lad_codes) == 1:
        show = show.drop(columns=["Local authority"])
    st.dataframe(show, hide_index=True, width="stretch", height=min(38 + 35 * len(show), 390),
                 key="ex_change_movers", column_config={
                     "Rank 2019": st.column_config.NumberColumn(format="localized"),
                     "Rank 2025": st.column_config.NumberColumn(format="localized"),
                     "Places moved": st.column_config.NumberColumn(
                         format="%+d", help="2019 rank minus 2025 rank: positive = towards "
                                            "the most deprived end of England")})
    st.caption(f"The {len(show)} wards whose 2025 England rank lies furthest outside the range "
               "their 2019 rank allows for the re-mapping (1 = most deprived of "
               f"{int(df['n_wards'].iloc[0]):,} wards). A ward that moved within its tenth of "
               "England is listed but shown as no clear change on the map.")


__all__ = ["CHANGE_LAYERS", "below_map", "classes", "is_change", "legend", "panel",
           "tooltip_line", "values"]
