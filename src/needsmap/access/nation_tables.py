"""Which store tables hold each nation's access and need figures (issue 21).

England and Wales are never ranked together: their need measures come from different
indices (IoD2025, WIMD 2019), so every gap list, threshold and siting weight is computed
among one nation's wards. The queries take the nation's tables by name from
:data:`NATIONS` (bound parameters read with DuckDB's ``query_table``), so the same SQL
serves both nations and a query for England never touches a Welsh table.
"""

from __future__ import annotations

from dataclasses import dataclass

ENGLAND = "England"
WALES = "Wales"


@dataclass(frozen=True)
class NationTables:
    """One nation's tables.

    Attributes
    ----------
    lsoa
        LSOAs with their representative point (``centroid_x``, ``centroid_y``,
        ``centroid_method``), ward and LAD.
    lsoa_indicators
        LSOA counts (``children_0_15``, ``under5``, ``population``).
    wards
        Ward indicators with the LSOA fit columns (``fit_share_of_ward`` ...).
    shares
        ``lsoa_ward_share``-like: each LSOA's weight ``w`` in each ward and its counts
        as whole numbers.
    access
        Ward access, children-weighted (the ``ward_access`` columns).
    need
        Tidy ward need (``ward_code, need_measure, need_value, need_decile, need_rank``),
        ranked among the nation's wards only.
    default_need
        The need measure used when none is asked for (the nation's modelled ACE index).
    """

    lsoa: str
    lsoa_indicators: str
    wards: str
    shares: str
    access: str
    need: str
    default_need: str


NATIONS: dict[str, NationTables] = {
    ENGLAND: NationTables("lsoa", "lsoa_indicators", "ward_indicators_england",
                          "lsoa_ward_share", "ward_access", "ward_need", "ace"),
    WALES: NationTables("lsoa_wales", "lsoa_indicators_wales", "ward_indicators_wales",
                        "lsoa_ward_share_wales", "ward_access_wales", "ward_need_wales",
                        "welsh_ace"),
}

#: The Welsh need measures (``ward_need_wales.need_measure``): the Welsh index, the WIMD 2019
#: domain and overall scores and CiLIF child poverty, each ranked among Welsh wards.
WALES_NEEDS = ("welsh_ace", "wimd_score", "income_score", "employment_score", "health_score",
               "education_score", "housing_score", "community_safety_score", "cilif_rate")


def nation_of(lad_code: str) -> str:
    """``'Wales'`` for a Welsh LAD24 code (``W06...``), else ``'England'``."""
    return WALES if str(lad_code).upper().startswith("W") else ENGLAND


def check_nation(nation: str) -> NationTables:
    """The tables of ``nation``; an unknown nation raises with the valid list."""
    if nation not in NATIONS:
        raise ValueError(f"unknown nation {nation!r}; valid: {', '.join(NATIONS)}")
    return NATIONS[nation]


#: The adjective of each nation's wards, for the words shown beside a result.
WORD = {ENGLAND: "English", WALES: "Welsh"}


def in_nation_words(text: str, nation: str) -> str:
    """``text`` (written for England) in the words of ``nation``: whose wards a need decile,
    a percentile or a "national" threshold is among.

    >>> in_nation_words("the furthest fifth of English wards, or of England's", "Wales")
    "the furthest fifth of Welsh wards, or of Wales's"
    """
    if nation == ENGLAND:
        return text
    check_nation(nation)
    return (text.replace("English wards", f"{WORD[nation]} wards")
            .replace("England's", f"{nation}'s").replace("England", nation))


def weighted_params(nation: str) -> dict[str, str]:
    """The table parameters of ``queries/access_ward_weighted.sql`` for ``nation``."""
    t = check_nation(nation)
    return {"shares": t.shares, "wards": t.wards, "lsoa_indicators": t.lsoa_indicators}


__all__ = ["ENGLAND", "NATIONS", "WALES", "WALES_NEEDS", "WORD", "NationTables", "check_nation",
           "in_nation_words", "nation_of", "weighted_params"]
