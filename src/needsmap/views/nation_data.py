"""Ward frames for views that hold Welsh wards (issue 21): each nation ranked on its own.

England's and Wales's indices come from different sources (IoD2025 and WIMD 2019) and are
never put on one scale. So every rank and decile here is computed *within a nation*:
``rank_nation`` is a ward's rank among the wards of its own nation (1 = highest), and
``decile_nation`` its decile among them, ``ceil(rank * 10 / n)`` as for English layers
(:func:`needsmap.views.tables._with_ranks`); the index layer keeps each nation's stored
deciles (``ace_decile_england``, ``welsh_ace_decile``). No function returns a rank taken
over both nations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from needsmap.index.wales import NAME_WALES
from needsmap.views import data
from needsmap.views._memo import memo
from needsmap.views.layers import ACE_KEY, get_layer
from needsmap.views.tables import values_for

ENGLAND, WALES = "England", "Wales"


@dataclass(frozen=True)
class NationLayer:
    """A layer of a view with Welsh wards: the English and Welsh columns it reads.

    ``english`` is an English layer key (:mod:`needsmap.views.layers`) or ``None`` (no
    English figure); ``welsh`` the column of ``queries/app_wards_wales.sql`` or ``None``.
    """

    key: str
    label: str
    english: str | None
    welsh: str | None
    fmt: str
    higher: str


#: Layers a view with Welsh wards can show, in menu order. The same measure in both
#: nations (Census counts, density, CiLIF, recorded crime) or a Welsh-only WIMD score.
LAYERS: tuple[NationLayer, ...] = (
    NationLayer(ACE_KEY, "Modelled ACE risk index (each nation's own)", ACE_KEY,
                "welsh_ace_score", "score", "higher modelled risk"),
    NationLayer("cilif_rate", "Children in low income families (DWP)", "cilif_rate",
                "cilif_rate", "pct", "more children in relative low income"),
    NationLayer("recorded_crime_rate", "Recorded crime per 1,000 (police.uk, 12 months)",
                "recorded_crime_rate", "rate_12m_per_1000", "rate1000", "more recorded crime"),
    NationLayer("density_per_km2", "Population density", "density_per_km2", "density_per_km2",
                "density", "more densely populated"),
    NationLayer("children_0_15", "Children aged 0-15", "children_0_15", "children_0_15", "int",
                "more children"),
    NationLayer("population", "Residents", "population", "population", "int", "more residents"),
    NationLayer("wimd_score", "WIMD 2019 score (Wales only)", None, "wimd_score", "score",
                "more deprivation"),
    NationLayer("wimd_community_safety", "WIMD community safety score (Wales only)", None,
                "community_safety_score", "score", "more community safety deprivation"),
    NationLayer("wimd_health", "WIMD health score (Wales only)", None, "health_score", "score",
                "more health deprivation"),
    NationLayer("wimd_housing", "WIMD housing score (Wales only)", None, "housing_score", "score",
                "more housing deprivation"),
    NationLayer("wimd_income", "WIMD income score (Wales only)", None, "income_score", "score",
                "more income deprivation"),
)
BY_KEY = {lay.key: lay for lay in LAYERS}


def welsh_label(lay: NationLayer) -> str:
    """The layer's label in a Wales-only view."""
    return NAME_WALES if lay.key == ACE_KEY else lay.label.replace(" (Wales only)", "")


def has_wales(info: data.StoreInfo) -> bool:
    """True if the store has the Welsh ward tables the views read."""
    return all(info.has(t) for t in ("ward_indicators_wales", "ward_ace_wales", "ward"))


@memo(maxsize=8)
def lad_nations(token: str) -> dict[str, str]:
    """``lad_code -> nation`` of every LAD with mapped wards."""
    info = data.info_for(token)
    if not info.has("ward", "nation", "geom"):
        return {}
    df = data.query_named(token, "app_nations_present")
    return dict(zip(df["lad_code"], df["nation"], strict=True))


@memo(maxsize=8)
def welsh_names(token: str) -> dict[str, str]:
    """``lad_code -> Welsh name`` of the Welsh LAs whose name differs in Welsh (empty for a
    store without ``lad_name_wales``)."""
    if not data.info_for(token).has("lad_name_wales"):
        return {}
    df = data.query_named(token, "app_welsh_lad_names")
    return dict(zip(df["lad_code"], df["lad_name_cy"], strict=True))


def nations_in(token: str, lad_codes: tuple[str, ...] | None) -> list[str]:
    """The nations of the wards in view (``None``: every ward), England first."""
    nat = lad_nations(token)
    got = set(nat.values()) if lad_codes is None else {nat.get(c, ENGLAND) for c in lad_codes}
    return [n for n in (ENGLAND, WALES) if n in got]


@memo(maxsize=8)
def welsh_wards(token: str) -> pd.DataFrame:
    """Every Welsh ward with its figures and the Welsh index (``queries/app_wards_wales.sql``)."""
    return data.query_named(token, "app_wards_wales")


def _ranked(df: pd.DataFrame) -> pd.DataFrame:
    """Ranks and deciles of ``value`` among the rows of ``df`` (one nation) and per LA."""
    ok = df["value"].notna()
    n = int(ok.sum())
    df["rank_nation"] = df["value"].rank(ascending=False, method="min")
    df["n_nation"] = n
    df["decile_nation"] = np.ceil(df["rank_nation"] * 10 / max(n, 1))
    df["rank_lad"] = df.groupby("lad_code")["value"].rank(ascending=False, method="min")
    df["n_lad"] = df.groupby("lad_code")["value"].transform("count")
    return df


COLUMNS = ["ward_code", "nation", "value", "rank_nation", "n_nation", "decile_nation",
           "rank_lad", "n_lad"]


def english_values(token: str, lay: NationLayer, ace: pd.DataFrame) -> pd.DataFrame:
    """Every English ward's value of ``lay``, ranked among English wards only."""
    if lay.english is None:
        return pd.DataFrame(columns=COLUMNS)
    v = values_for(token, get_layer(lay.english), ace)
    if v.empty:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.DataFrame({"ward_code": v["ward_code"], "nation": ENGLAND, "value": v["value"],
                        "rank_nation": v["rank_england"], "n_nation": v["n_england"],
                        "decile_nation": v["decile_england"], "rank_lad": v["rank_lad"],
                        "n_lad": v["n_lad"]})
    return out


def welsh_values(token: str, lay: NationLayer) -> pd.DataFrame:
    """Every Welsh ward's value of ``lay``, ranked among Welsh wards only."""
    w = welsh_wards(token)
    if lay.welsh is None or w.empty or lay.welsh not in w.columns:
        return pd.DataFrame(columns=COLUMNS)
    df = pd.DataFrame({"ward_code": w["ward_code"], "lad_code": w["lad_code"], "nation": WALES,
                       "value": pd.to_numeric(w[lay.welsh], errors="coerce")})
    df = _ranked(df)
    if lay.key == ACE_KEY:  # the stored index ranks (ties by ward code, as the build cut them)
        df["rank_nation"] = pd.to_numeric(w["welsh_ace_rank"], errors="coerce")
        df["decile_nation"] = pd.to_numeric(w["welsh_ace_decile"], errors="coerce")
        df["rank_lad"] = pd.to_numeric(w["welsh_ace_rank_in_lad"], errors="coerce")
    return df[COLUMNS]


def values(token: str, lay: NationLayer, ace: pd.DataFrame, nations: list[str]) -> pd.DataFrame:
    """Values of ``lay`` for every ward of ``nations``, each ranked within its nation."""
    parts = []
    if ENGLAND in nations:
        parts.append(english_values(token, lay, ace))
    if WALES in nations:
        parts.append(welsh_values(token, lay))
    parts = [p for p in parts if not p.empty]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS)


def ward_export(view: pd.DataFrame, label: str) -> pd.DataFrame:
    """The table of wards for export: one rank and decile column *per nation*.

    A ward has a value only in its own nation's columns; no column ranks wards of both.
    """
    out = pd.DataFrame({"ward_code": view["ward_code"], "ward_name": view["ward_name"],
                        "lad_name": view["lad_name"], "nation": view["nation"],
                        label: view["value"]})
    for nation, word in ((ENGLAND, "English"), (WALES, "Welsh")):
        mine = view["nation"] == nation
        out[f"{nation} rank (among {word} wards)"] = view["rank_nation"].where(mine)
        out[f"{nation} decile (among {word} wards)"] = view["decile_nation"].where(mine)
    out["Rank in LA"] = view["rank_lad"]
    return out


# --- geometry -------------------------------------------------------------------------

@memo(maxsize=64)
def area_geometry(token: str, lad_codes: tuple[str, ...] | None) -> data.AreaGeometry:
    """The display geometry of the wards of ``lad_codes`` (``None``: every ward), both
    nations, from ``queries/app_nations_geometry.sql``."""
    name = data.level_for(lad_codes)
    tol, quantum = data.LEVELS[name]
    df = data.query_named(token, "app_nations_geometry", {
        "all_areas": lad_codes is None, "lads": list(lad_codes or []), "tolerance": tol,
        "precision": quantum})
    lv = data._encode_rows(df, quantum)
    wards = df[df["kind"] == "ward"]
    codes = [c for c in wards["code"] if c in lv.wards]
    meta = wards.set_index("code")
    boxes = np.asarray([lv.wards[c][1] for c in codes]) if codes else None
    bounds = (((float(boxes[:, 0].min()), float(boxes[:, 1].min())),
               (float(boxes[:, 2].max()), float(boxes[:, 3].max())))
              if boxes is not None else ((49.9, -6.4), (55.8, 1.8)))
    multi = lad_codes is None or len(lad_codes) > 1
    outlines = "[" + ",".join(lv.lads.values()) + "]" if multi else "[]"
    key = f"{data.short_token(token)}-nw-{data.area_key(lad_codes)}-{name}"
    return data.AreaGeometry(
        key, tuple(codes), tuple(str(meta.at[c, "ward_name"]) for c in codes),
        tuple(str(meta.at[c, "lad_name"]) for c in codes),
        "[" + ",".join(lv.wards[c][0] for c in codes) + "]", outlines, bounds, quantum, name)


@memo(maxsize=64)
def ward_names(token: str, lad_codes: tuple[str, ...] | None) -> pd.DataFrame:
    """``ward_code, ward_name, lad_code, lad_name, nation, children_0_15`` of the wards in view."""
    g = area_geometry(token, lad_codes)
    w = welsh_wards(token)[["ward_code", "ward_name", "lad_code", "lad_name", "nation",
                            "children_0_15", "fit_poor"]]
    e = data.england_table(token)
    cols = [c for c in ("ward_code", "ward_name", "lad_code", "lad_name", "children_0_15",
                        "fit_poor") if c in e.columns]
    e = e[cols].assign(nation=ENGLAND)
    both = pd.concat([e, w], ignore_index=True).drop_duplicates("ward_code")
    return pd.DataFrame({"ward_code": list(g.codes)}).merge(both, on="ward_code", how="left")
