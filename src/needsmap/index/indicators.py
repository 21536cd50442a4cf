"""The indicator registry of the modelled ACE risk index.

Each :class:`Indicator` names one input of the index, the store column it
comes from, how it is oriented (always *higher = more adversity*) and whether
it is in the default set. The engine (:mod:`needsmap.index.engine`) reads each
indicator's ``column`` and applies its ``transform`` (the engine's ``TRANSFORMS``
registry); adding an indicator here adds it everywhere (build, CLI, app). The order
of :data:`INDICATORS` is the order in which components are summed.

Default set (after Lewer et al. 2020): child poverty, income deprivation,
crime and log population density, equally weighted. Health deprivation is
offered but off by default: the issue defines the default set as those four,
and Lewer's health correlates were *local health factors*, which the IoD
health domain only approximates.

Recorded crime hook
-------------------
``recorded_crime`` swaps police.uk recorded crime (table ``ward_crime``,
columns ``ward_code, rate_12m_per_1000, full_coverage``, built by the crime
stage) in for the IoD crime score. It *replaces* ``crime``: both cannot carry
weight at once. Wards without full police coverage keep the IoD crime score,
mapped onto the same national quantile scale, and are flagged in
``ward_ace.crime_source``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Indicator:
    """One index input.

    Parameters
    ----------
    name
        Registry key, used in ``--weights name=value`` and in SQL.
    column
        Source column (``ward_indicators_england`` unless stated).
    label
        Short human label for the UI.
    transform
        Transform applied before ranking (ranks are invariant to monotone
        transforms, so this is documentation of the Lewer definition).
    default
        In the default (equal-weight) set.
    source
        Publisher and vintage of the input.
    replaces
        Registry name of an indicator this one stands in for, if any.
    aliases
        Other accepted spellings in weight specifications.
    """

    name: str
    column: str
    label: str
    transform: str
    default: bool
    source: str
    replaces: str | None = None
    aliases: tuple[str, ...] = ()

    @property
    def ns_column(self) -> str:
        """Name of this indicator's normal-score column in ``ward_ace``."""
        return f"ns_{self.name}"


#: All indicators, in summation order.
INDICATORS: tuple[Indicator, ...] = (
    Indicator("child_poverty", "child_poverty_rate", "Child poverty rate", "identity", True,
              "MHCLG IoD2025 IDACI numerator / Census 2021 children 0-15",
              aliases=("child_poverty_rate", "idaci")),
    Indicator("income", "income_rate", "Income deprivation rate", "identity", True,
              "MHCLG IoD2025 income domain", aliases=("income_rate",)),
    Indicator("crime", "crime_score", "Crime score (IoD)", "identity", True,
              "MHCLG IoD2025 crime domain", aliases=("crime_score",)),
    Indicator("density", "density_per_km2", "Population density (log)", "ln", True,
              "ONS Census 2021 usual residents / ONS LSOA 2021 area",
              aliases=("log_density", "density_per_km2")),
    Indicator("health", "health_score", "Health deprivation and disability", "identity", False,
              "MHCLG IoD2025 health domain", aliases=("health_score",)),
    Indicator("recorded_crime", "ward_crime.rate_12m_per_1000",
              "Recorded crime rate (police.uk, 12 months)", "quantile-mapped", False,
              "police.uk street-level crime (ward_crime), IoD2025 crime score where coverage "
              "is partial", replaces="crime", aliases=("recorded_crime_rate",)),
)

#: Registry lookup by name.
BY_NAME: dict[str, Indicator] = {i.name: i for i in INDICATORS}

#: Names in summation order.
NAMES: tuple[str, ...] = tuple(i.name for i in INDICATORS)

#: The default set.
DEFAULT_NAMES: tuple[str, ...] = tuple(i.name for i in INDICATORS if i.default)


def resolve_name(key: str) -> str:
    """Return the registry name for ``key`` (a name or an alias).

    Raises
    ------
    ValueError
        If ``key`` names no indicator; the message lists the valid names.
    """
    k = key.strip().lower()
    if k in BY_NAME:
        return k
    for ind in INDICATORS:
        if k in ind.aliases:
            return ind.name
    raise ValueError(
        f"unknown indicator {key!r}; valid indicators: {', '.join(NAMES)}"
    )
