"""The catalogue of map layers: the ACE index and the ward indicators.

Each :class:`Layer` names the store column it reads, how to format it and which way
is "more need". :func:`available_layers` checks the open store and returns the layers
it can show, plus a plain reason for each one it cannot (a missing table or column,
or no values), so the app can say which layers are unavailable and why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from needsmap.views.data import StoreInfo

ACE_KEY = "ace"


@dataclass(frozen=True)
class Layer:
    """One choropleth layer.

    Parameters
    ----------
    key
        Permalink key.
    label
        Short label for menus and the legend.
    column
        Column in ``ward_indicators`` (or ``ward_ace`` / ``ward_crime`` for those layers).
    table
        Store table the column comes from.
    fmt
        ``pct`` (a 0-1 rate shown as %), ``score``, ``int``, ``density`` or ``rate1000``.
    higher
        What a higher value means, in plain words (for the legend).
    note
        One line on the source and vintage.
    """

    key: str
    label: str
    column: str
    table: str
    fmt: str
    higher: str
    note: str

    def format(self, v: object) -> str:
        """Format one value for tooltips and tables."""
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
            return "no data"
        x = float(v)  # type: ignore[arg-type]
        if self.fmt == "pct":
            return f"{x * 100:.1f}%"
        if self.fmt == "int":
            return f"{x:,.0f}"
        if self.fmt == "density":
            return f"{x:,.0f} per km²"
        if self.fmt == "rate1000":
            return f"{x:.1f} per 1,000"
        if self.fmt == "km":
            return f"{x:.2f} km"
        if self.fmt == "rankchange":  # rank_2019 - rank_2025: positive = more deprived
            if x == 0:
                return "same England rank as in 2019"
            return (f"{abs(x):,.0f} places towards the "
                    + ("most" if x > 0 else "least") + " deprived end of England")
        if self.fmt == "ace":
            return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.2f}"
        return f"{x:.2f}"

    def format_bin(self, v: float) -> str:
        """Format a class boundary for the legend (shorter than :meth:`format`)."""
        if self.fmt == "pct":
            return f"{v * 100:.1f}%"
        if self.fmt in ("int", "density"):
            return f"{v:,.0f}"
        if self.fmt == "rate1000":
            return f"{v:.1f}"
        if self.fmt == "rankchange":
            return f"{v:+,.0f}"
        if self.fmt == "ace":
            return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.2f}"
        return f"{v:.2f}"


INDEX_LAYER = Layer(
    ACE_KEY, "ACE index (modelled risk)", "ace_score", "ward_ace", "ace",
    "higher modelled risk",
    "Lewer-style modelled ACE risk index from open indicators; national ranks.",
)

#: Indicator layers, in menu order.
INDICATOR_LAYERS: tuple[Layer, ...] = (
    Layer("child_poverty_rate", "Child poverty rate (IDACI)", "child_poverty_rate",
          "ward_indicators", "pct", "more children in income-deprived households",
          "IoD2025 IDACI: the official score (File 7, or File 5) where the file is at hand; "
          "otherwise the IDACI numerator / Census 2021 children 0-15, capped at 100% where "
          "the two counts disagree. The tooltip says which rate each ward shows."),
    Layer("cilif_rate", "Children in low income families (DWP)", "cilif_rate",
          "ward_indicators", "pct", "more children in relative low income",
          "DWP Children in Low Income Families, MSOA, mapped to wards."),
    Layer("income_rate", "Income deprivation rate", "income_rate", "ward_indicators", "pct",
          "more income deprivation", "IoD2025 income domain."),
    Layer("employment_rate", "Employment deprivation rate", "employment_rate",
          "ward_indicators", "pct", "more employment deprivation", "IoD2025 employment domain."),
    Layer("education_score", "Education, skills & training score", "education_score",
          "ward_indicators", "score", "more education deprivation", "IoD2025 education domain."),
    Layer("health_score", "Health deprivation & disability score", "health_score",
          "ward_indicators", "score", "more health deprivation", "IoD2025 health domain."),
    Layer("crime_score", "Crime score (IoD)", "crime_score", "ward_indicators", "score",
          "higher modelled crime", "IoD2025 crime domain."),
    Layer("imd_score", "IMD 2025 score", "imd_score", "ward_indicators", "score",
          "more deprivation", "IoD2025 Index of Multiple Deprivation."),
    Layer("density_per_km2", "Population density", "density_per_km2", "ward_indicators",
          "density", "more densely populated", "Census 2021 residents / land area."),
    Layer("children_0_15", "Children aged 0-15", "children_0_15", "ward_indicators", "int",
          "more children", "Census 2021."),
    Layer("population", "Residents", "population", "ward_indicators", "int",
          "more residents", "Census 2021."),
    Layer("recorded_crime_rate", "Recorded crime per 1,000 (police.uk, 12 months)",
          "rate_12m_per_1000", "ward_crime", "rate1000", "more recorded crime",
          "police.uk street-level crime; wards with 12 full months only."),
)

#: Change since IoD2019 (``ward_change``, one layer per measure of
#: :data:`needsmap.areas.change.MEASURES`): the value is ``rank_change`` (places moved in
#: the England ranking, positive = more deprived relative to England than in 2019); the map
#: colours ``direction`` (:mod:`needsmap.views.change`).
CHANGE_LAYERS: tuple[Layer, ...] = tuple(
    Layer(f"change_{m}", f"Change since 2019: {label} rank", "rank_change", "ward_change",
          "rankchange", "", "IoD2019 and IoD2025 England ranks on today's wards "
          "(needsmap.areas.change); ranks, not levels.")
    for m, label in (("imd", "IMD"), ("income", "income deprivation"),
                     ("idaci", "IDACI"), ("crime", "crime")))

#: The early-years lens's count layer (its counterpart with children 0-15: ``children_0_15``).
UNDER5_LAYER = Layer("under5", "Under-5s", "under5", "ward_indicators", "int",
                     "more under-5s", "Children aged 0-4: ONS mid-2020 estimates carried to "
                     "LSOA 2021 and today's wards (docs/method.md).")

#: The early-years lens's access layers: ``ward_access_under5`` for the early-years group
#: (the nearest family hub, children's centre or nursery; needsmap.access.early_years).
EARLY_YEARS_LAYERS: tuple[Layer, ...] = (
    Layer("ey_within_1km", "Under-5s within 1 km of early years", "share_under5_within_1km",
          "ward_access_under5", "pct", "more under-5s within 1 km",
          "Share of under-5s within 1 km (straight line) of the nearest family hub, "
          "children's centre or nursery."),
    Layer("ey_within_2km", "Under-5s within 2 km of early years", "share_under5_within_2km",
          "ward_access_under5", "pct", "more under-5s within 2 km",
          "As within 1 km, for 2 km."),
    Layer("ey_per_service", "Under-5s per early-years service", "under5_per_service",
          "ward_access_under5", "int", "more under-5s per service",
          "Under-5s in the ward / early-years services in it (none: no value)."),
)
#: Layers shown only with the under-5 basis, and their counterparts with children 0-15.
UNDER5_ONLY = ("under5", *(lay.key for lay in EARLY_YEARS_LAYERS))
BASIS_SWAP = {"children_0_15": "under5", "under5": "children_0_15"}

ALL_LAYERS: dict[str, Layer] = {lay.key: lay for lay in (INDEX_LAYER, *INDICATOR_LAYERS,
                                                         UNDER5_LAYER, *EARLY_YEARS_LAYERS,
                                                         *CHANGE_LAYERS)}


def get_layer(key: str) -> Layer:
    """The layer for ``key``; unknown keys give the index layer's default."""
    return ALL_LAYERS.get(key, INDEX_LAYER)


def available_layers(info: StoreInfo, wards: pd.DataFrame,
                     extra: dict[str, pd.Series] | None = None
                     ) -> tuple[list[Layer], dict[str, str]]:
    """Layers the store can show, and ``{label: reason}`` for those it cannot.

    Parameters
    ----------
    info
        The open store.
    wards
        ``ward_indicators`` without geometry.
    extra
        Values for layers from other tables (``ace``, ``recorded_crime_rate``), keyed by
        layer key, already aligned to ``wards``; absent keys are checked by table.
    """
    extra = extra or {}
    ok: list[Layer] = []
    missing: dict[str, str] = {}
    for lay in (INDEX_LAYER, *INDICATOR_LAYERS, UNDER5_LAYER, *EARLY_YEARS_LAYERS,
                *CHANGE_LAYERS):
        if lay.table == "ward_change":
            if lay.table in info.tables:
                ok.append(lay)  # its values are checked by the view (one query per measure)
            else:
                missing[lay.label] = f"the store has no `{lay.table}` table ({_why(lay.table)})"
            continue
        if lay.key in extra:
            values = extra[lay.key]
        elif lay.table == "ward_access_under5" and lay.table in info.tables:
            ok.append(lay)  # the early-years group is in every such table
            continue
        elif lay.table == "ward_indicators" and lay.column in wards.columns:
            values = wards[lay.column]
        elif lay.table not in info.tables:
            missing[lay.label] = f"the store has no `{lay.table}` table ({_why(lay.table)})"
            continue
        else:
            missing[lay.label] = f"`{lay.table}` has no `{lay.column}` column"
            continue
        if pd.to_numeric(values, errors="coerce").notna().sum() == 0:
            missing[lay.label] = "no ward in this area has a value" + (
                " (police.uk files do not cover this area)" if lay.table == "ward_crime" else "")
            continue
        ok.append(lay)
    return ok, missing


def _why(table: str) -> str:
    return {
        "ward_ace": "the index stage has not been run: `needsmap index` or a full `needsmap build`",
        "ward_crime": "no police.uk files were loaded: `needsmap crime` or `needsmap build --police`",
        "ward_indicators": "the core stage did not run: rebuild with `needsmap build`",
        "ward_change": "IoD2019 was not at hand when it was built: rebuild with `needsmap build`",
    }.get(table, "rebuild the store with `needsmap build`")
