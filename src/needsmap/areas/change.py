"""Change since IoD2019: each ward's national position in IoD2019 and IoD2025 on today's wards.

IoD2019 is published on LSOAs 2011; IoD2025 on LSOAs 2021. Levels are not comparable
between the vintages (the IoD2025 IDACI and income rates are much higher, and the models
changed), so only **positions** are compared, for the measures of :data:`MEASURES`:

1. Each LSOA's published national rank becomes a percentile position
   ``p = (rank - 0.5) / N`` (0 = the most deprived end of England). IoD2019 positions are
   carried to LSOA 2021 by :mod:`needsmap.areas.lsoa11` (a part of a split LSOA takes its
   parent's position, a merged LSOA the people-weighted mean of its parents'). IoD2025
   positions come from the IoD2025 scores (ties share the mean rank).
2. Ward position = the people-weighted mean position of its LSOAs, with the LSOA->ward
   weights of today's ward figures and the Census 2021 residents (children for IDACI) in
   *both* vintages: only the positions differ between the two columns
   (``aggregate_change`` in ``queries/aggregate_change.sql``).
3. Wards are ranked on it in each vintage (1 = most deprived of the 6,817) and cut into
   deciles as ``ward_need`` does. ``rank_change = rank_2019 - rank_2025`` (positive = more
   deprived relative to England than in 2019).
4. Rank uncertainty from the remapping (the only place an assumption enters): each LSOA
   2021's ``remap_error`` is how far its 2019 position would move if, in 2019, it had
   differed from the rest of its LSOA 2011 as it does in 2025. The ward's uncertainty ``u``
   is the people-weighted mean of those errors, taken in absolute value per LSOA 2011
   (parts of one LSOA 2011 in the same ward cancel; different LSOAs 2011 do not), and ``[rank_2019_low, rank_2019_high]`` the ranks its 2019 position would take
   at ``pct_2019 -/+ u`` with the other wards fixed. A change *exceeds the uncertainty*
   when ``rank_2025`` lies outside that range; ``direction`` is ``more_deprived`` or
   ``less_deprived`` only when the 2025 decile is also beyond every decile of the range,
   else ``stayed``.

Tables: ``lsoa_change`` (LSOA x measure) and ``ward_change`` (ward x measure); the macro
``aggregate_change(groups)`` gives the same figures for a locality or an LA (snapshots).
"""

from __future__ import annotations

import duckdb

from needsmap.sql import run_sql

#: measure key -> label. The IoD2019 side of each comes from File 2 (IMD, income, crime) or
#: File 3 (IDACI); the IoD2025 side from the store's LSOA scores.
MEASURES: dict[str, str] = {
    "imd": "Index of Multiple Deprivation",
    "income": "Income deprivation",
    "idaci": "Income deprivation affecting children (IDACI)",
    "crime": "Crime",
}

#: ``ward_change.direction`` -> what the app and the snapshots say.
DIRECTIONS: dict[str, str] = {
    "more_deprived": "more deprived relative to England than in 2019",
    "stayed": "no clear change in position",
    "less_deprived": "less deprived relative to England than in 2019",
}

#: Shown beside any change figure.
CAVEAT = ("Change since 2019 compares positions within England (ranks), not levels: IoD2019 and "
          "IoD2025 measure deprivation differently. A place can move without changing itself, "
          "when other places change more. IoD2019 areas (LSOAs 2011) were re-mapped to today's "
          "areas; a move smaller than the uncertainty of that re-mapping is shown as no clear "
          "change.")

VINTAGE = "IoD2019 (MHCLG, LSOA 2011 ranks re-mapped to LSOA 2021) and IoD2025 (MHCLG)"


def build(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """Write ``lsoa_change``, the macro ``aggregate_change`` and ``ward_change``.

    Needs ``lsoa_indicators``, ``lsoa_ward_weight``, ``ward_indicators_england``, the
    weights and macros of :mod:`needsmap.areas.lsoa11` and the IoD2019 rank tables (empty
    when the files were missing: the 2019 columns are then NULL).
    """
    measures = list(MEASURES)
    run_sql(con, "change_lsoa", {"measures": measures})
    run_sql(con, "aggregate_change")
    run_sql(con, "change_ward", {"measures": measures})
    row = run_sql(con, "change_summary").fetchone()
    return {"ward_change_wards": row[0], "imd_wards_more_deprived": row[1],
            "imd_wards_less_deprived": row[2]}
