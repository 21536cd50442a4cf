"""Ward-level frames the views show: the mapped value with national and LA ranks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from needsmap.views import data
from needsmap.views._memo import memo
from needsmap.views.layers import ACE_KEY, Layer

VALUE_COLUMNS = ["ward_code", "value", "rank_england", "n_england", "decile_england",
                 "rank_lad", "n_lad", "band", "band_share"]


def _rank_desc(s: pd.Series) -> pd.Series:
    """1 = highest value; ties share the lowest rank ("competition" ranking); NaN stays NaN."""
    return s.rank(ascending=False, method="min")


@memo(maxsize=64)
def indicator_values(token: str, layer: Layer) -> pd.DataFrame:
    """An indicator for every English ward, with national and within-LA ranks (shared:
    never modify it in place)."""
    if layer.table == "ward_access_under5":
        from needsmap.access.early_years import GROUP

        eng = data.england_table(token)[["ward_code", "lad_code"]]
        src = data.query_named(token, "app_ward_access_under5", {"service_type": GROUP})
        df = eng.merge(src[["ward_code", layer.column]], on="ward_code", how="left")
        df = df.rename(columns={layer.column: "value"})
        df["value"] = pd.to_numeric(df["value"], errors="coerce")
        return _with_ranks(df)
    if layer.table == "ward_crime":
        src = data.table(token, "ward_crime")
        if src.empty or layer.column not in src.columns:
            return pd.DataFrame(columns=VALUE_COLUMNS)
        if "full_coverage" in src.columns:  # only wards with 12 full months are comparable
            src = src[src["full_coverage"].fillna(False).astype(bool)]
        eng = data.england_table(token)[["ward_code", "lad_code"]]
        df = eng.merge(src[["ward_code", layer.column]], on="ward_code", how="left")
    else:
        eng = data.england_table(token)
        if layer.column not in eng.columns:
            return pd.DataFrame(columns=VALUE_COLUMNS)
        df = eng[["ward_code", "lad_code", layer.column]].copy()
    df = df.rename(columns={layer.column: "value"})
    df["value"] = pd.to_numeric(df["value"], errors="coerce")
    return _with_ranks(df)


def _with_ranks(df: pd.DataFrame) -> pd.DataFrame:
    ok = df["value"].notna()
    df["rank_england"] = _rank_desc(df["value"])
    df["n_england"] = int(ok.sum())
    df["decile_england"] = np.ceil(df["rank_england"] * 10 / max(int(ok.sum()), 1))
    df["rank_lad"] = df.groupby("lad_code")["value"].rank(ascending=False, method="min")
    df["n_lad"] = df.groupby("lad_code")["value"].transform("count")
    df["band"] = None
    df["band_share"] = np.nan
    return df[["lad_code", *VALUE_COLUMNS]]


def ace_values(ace: pd.DataFrame) -> pd.DataFrame:
    """The index frame (``ward_ace`` or a recomputation) in the same shape."""
    if ace.empty:
        return pd.DataFrame(columns=["lad_code", *VALUE_COLUMNS])
    df = pd.DataFrame({
        "lad_code": ace["lad_code"],
        "ward_code": ace["ward_code"],
        "value": pd.to_numeric(ace["ace_score"], errors="coerce"),
    })
    ok = df["value"].notna()
    df["rank_england"] = pd.to_numeric(ace.get("ace_rank_england"), errors="coerce")
    df["n_england"] = int(ok.sum())
    df["decile_england"] = pd.to_numeric(ace.get("ace_decile_england"), errors="coerce")
    df["rank_lad"] = pd.to_numeric(ace.get("ace_rank_in_lad"), errors="coerce")
    df["n_lad"] = df.groupby("lad_code")["value"].transform("count")
    df["band"] = ace["stability_band"] if "stability_band" in ace.columns else None
    df["band_share"] = (pd.to_numeric(ace["stab_share_same_class"], errors="coerce")
                        if "stab_share_same_class" in ace.columns else np.nan)
    return df


def values_for(token: str, layer: Layer, ace: pd.DataFrame) -> pd.DataFrame:
    """Values and ranks of ``layer`` for every English ward."""
    if layer.table == "ward_change":
        from needsmap.views import change

        return change.values(token, change.measure_of(layer))
    return ace_values(ace) if layer.key == ACE_KEY else indicator_values(token, layer)


def decile_text(decile: float) -> str:
    if decile is None or not np.isfinite(decile):
        return ""
    d = int(decile)
    return f"decile {d}" + (" (highest tenth)" if d == 1 else " (lowest tenth)" if d == 10 else "")


def ordinal_text(rank: float, n: float) -> str:
    if rank is None or n is None or not np.isfinite(rank) or not np.isfinite(n) or n == 0:
        return ""
    return f"{int(rank):,} of {int(n):,}"


BAND_TEXT = {
    "stable": "stable",
    "moderate": "moderately stable",
    "unstable": "unstable",
}


def band_text(band: object, share: float) -> str:
    """Plain-words stability band for tooltips."""
    if band is None or (isinstance(band, float) and np.isnan(band)) or band is pd.NA:
        return ""
    label = BAND_TEXT.get(str(band), str(band))
    if share is not None and np.isfinite(share):
        return f"Position {label}: stays in its decile under {share * 100:.0f}% of other weightings"
    return f"Position {label}"
