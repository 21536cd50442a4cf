"""Access for the early years: the ward access measures weighted by under-5s.

``ward_access`` weights each LSOA's distance to the nearest service by its children aged
0-15 (Census 2021). The early-years lens asks the same of children under five:
``ward_access_under5`` has the same measures for every service type with the weights
``u_i = w_i * under5_i`` (``lsoa_indicators.under5``: ONS mid-2020 ages 0-4 carried to
LSOA 2021 by :mod:`needsmap.areas.lsoa11`), and::

    mean_km_under5_weighted = sum(u_i d_i) / sum(u_i)
    share_under5_within_1km = sum(u_i [d_i <= 1]) / sum(u_i)          (2 km likewise)
    under5_per_service      = sum(u_i) / n_services

plus the early-years group :data:`GROUP` (a family hub, children's centre or nursery,
whichever is nearest among the lists that cover the LSOA's LA: :data:`GROUP_TYPES`). The
set logic is ``queries/access_ward_weighted.sql`` (shared with ``ward_access``), named by
``queries/access_ward_under5.sql``.

Which of the two tables a view reads is chosen by the population basis
(:data:`BASES`): ``children`` (0-15, the default) or ``under5``.
"""

from __future__ import annotations

import duckdb

from needsmap.access.nation_tables import ENGLAND, weighted_params
from needsmap.sql import run_sql

#: The early-years group's key in ``ward_access_under5.service_type``, and its label.
GROUP = "early_years"
GROUP_LABEL = "Early years (family hub, children's centre or nursery)"
#: Service types (vocabulary keys) in the group.
GROUP_TYPES = ("family_hub", "childrens_centre", "nursery")
#: What the group's lists hold, shown beside early-years access (docs/method.md).
COVERAGE_NOTE = ("Early-years access is to maintained nursery schools (GIAS; schools with "
                 "nursery classes only where the GIAS file has that column) and the family "
                 "hubs and children's centres of the lists loaded, not to childcare: private "
                 "and voluntary nurseries and childminders are in no open list, so a long "
                 "distance can mean a missing list rather than no provision.")

#: Population basis -> (label, the lsoa_indicators / ward count column, the access table and
#: its columns: count, mean km, share within 1 km, share within 2 km, per-service figure).
BASES: dict[str, dict[str, str]] = {
    "children": {
        "label": "children aged 0\u201315",
        "column": "children_0_15",
        "access_table": "ward_access",
        "mean_km": "mean_km_child_weighted",
        "share_1km": "share_children_within_1km",
        "share_2km": "share_children_within_2km",
    },
    "under5": {
        "label": "under-5s",
        "column": "under5",
        "access_table": "ward_access_under5",
        "mean_km": "mean_km_under5_weighted",
        "share_1km": "share_under5_within_1km",
        "share_2km": "share_under5_within_2km",
    },
}


def check_basis(basis: str) -> str:
    """Return ``basis`` if it is a key of :data:`BASES`, else raise with the valid list."""
    if basis not in BASES:
        raise ValueError(f"unknown population basis {basis!r}; valid: {', '.join(BASES)}")
    return basis


def build(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """Write ``ward_access_under5`` (needs ``lsoa_access``, ``service``, the ward tables)."""
    run_sql(con, "access_ward_weighted",
            {"basis": "under5", "group": GROUP, "group_types": list(GROUP_TYPES),
             **weighted_params(ENGLAND)})
    run_sql(con, "access_ward_under5")
    row = run_sql(con, "access_under5_summary", {"group": GROUP}).fetchone()
    return {"ward_access_under5 rows": row[0], "under5 within 1 km of early years": row[1]}
