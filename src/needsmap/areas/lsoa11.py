"""From LSOA 2011 to LSOA 2021: one method for every figure published on 2011 areas.

Mid-2020 population estimates (under-5s), DWP CiLIF (through its MSOAs 2011), IoD2019
and, for Wales, WIMD 2019 are published on LSOAs 2011. The ONS LSOA11->LSOA21 lookup
says what each LSOA 2011 became: unchanged (U), split (S), merged (M) or an irregular
change (X). Every such figure is carried to LSOA 2021 with the one weight table
``lsoa11_lsoa21_weight`` (``queries/lsoa11_lsoa21_weight.sql``)::

    w_population(l, t) = pop21(t)  / sum_{t' in T(l)} pop21(t')
    w_children(l, t)   = kids21(t) / sum_{t' in T(l)} kids21(t')

for an LSOA 2011 ``l`` and its targets ``T(l)``, with ``pop21`` and ``kids21`` the Census
2021 residents and children aged 15 and under of the LSOA 2021. ``sum_t w(l, t) = 1``.
Then (temporary macros in ``queries/lsoa11_remap.sql``)::

    count(t) = sum_l w(l, t) * count(l)                                  (lsoa11_counts)
    x(t)     = sum_l w(l, t) * p(l) * x(l) / sum_l w(l, t) * p(l)        (lsoa11_means)

Counts are apportioned (and also given as whole numbers that keep each LSOA 2011's count,
by largest remainder); values of an area (ranks, rates) are means over the people carried,
``p(l)`` the LSOA 2011's own people (mid-2020 residents, or children). So an unchanged LSOA
keeps its figures, a merged one sums (or people-weights) its parents', and the parts of a
split one share its count by their Census 2021 residents or children and take its values.

Which weight carries which figure: figures about children (under-5s, CiLIF, IDACI) go with
``w_children``; figures about all residents (IMD, income, crime) with ``w_population``.

Error. The only assumption is in the splits and irregular changes: the parts of an LSOA
2011 are taken to hold its under-5s in proportion to their children, and to share its
deprivation rank. docs/method.md gives the figures (how many under-5s were apportioned, and
how far a part can be from its parent), and :mod:`needsmap.areas.change` turns the second
into the rank uncertainty of the change since IoD2019.
"""

from __future__ import annotations

import duckdb

from needsmap.sql import run_sql

#: Which weight of ``lsoa11_lsoa21_weight`` carries a figure about whom.
BASES = {"population": "w_population", "children": "w_children"}


def build_weights(con: duckdb.DuckDBPyConnection) -> int:
    """Write ``lsoa11_lsoa21_weight`` and make the remapping macros; return its row count.

    Needs the temporary tables ``lsoa11_lsoa21`` (the ONS lookup, possibly empty) and
    ``census_lsoa``.
    """
    n = run_sql(con, "lsoa11_lsoa21_weight").fetchone()[0]
    run_sql(con, "lsoa11_remap")
    return int(n)


def under5(con: duckdb.DuckDBPyConnection) -> None:
    """Temporary table ``_under5_l21(lsoa_code, under5, under5_exact)`` from ``sape20``.

    Mid-2020 under-5s (ages 0-4) of each LSOA 2011 carried by ``w_children``; ``under5``
    is the whole-number count (largest remainder within each LSOA 2011), ``under5_exact``
    the apportioned one.
    """
    run_sql(con, "under5_lsoa")
