"""The indicator registry of the modelled ACE risk index.

Each :class:`Indicator` names one input of the index, the store column it
comes from, how it is oriented (always *higher = more adversity*), whether
it is in the default set of the flat methods and, for the proxies of the
``domains`` method, which domain it measures (:mod:`needsmap.index.domains`). The engine (:mod:`needsmap.index.engine`) reads each
indicator's ``column`` and applies its ``transform`` (the engine's ``TRANSFORMS``
registry); adding an indicator here adds it everywhere (build, CLI, app). The order
of :data:`INDICATORS` is the order in which components are summed.

Default set of the flat methods (``lewer``, ``weighted``, ``exponential``; after Lewer
et al. 2020's *correlates*): child poverty, income deprivation,
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

Domain proxies
--------------
The seven IoD2025 File 8 indicators the ``domains`` method (the default) is built
from, two or three per domain (docs/method.md, "Domains", says why each was chosen,
before any result was computed). They are ordinary registry indicators, so the flat
methods can weight them too, but they are in no flat default set.
"""

from __future__ import annotations

from dataclasses import dataclass

from needsmap.index._registry import lookup


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
    domain
        The domain of the ``domains`` method this indicator is a proxy in (a key of
        :data:`needsmap.index.domains.DOMAINS`), or ``None``.
    """

    name: str
    column: str
    label: str
    transform: str
    default: bool
    source: str
    replaces: str | None = None
    aliases: tuple[str, ...] = ()
    domain: str | None = None

    @property
    def ns_column(self) -> str:
        """Name of this indicator's normal-score column in ``ward_ace``."""
        return f"ns_{self.name}"


_F8 = "MHCLG IoD2025 File 8: "

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
    # proxies of the domains method (File 8, resident measures in queries/aggregate_indicators.sql)
    Indicator("violence_without_injury", "violence_without_injury_rate",
              "Violence without injury (police, per 1,000)", "identity", False,
              _F8 + "violence without injury rate per 1,000 at-risk population",
              domain="abuse_neglect", aliases=("violence_without_injury_rate",)),
    Indicator("violence_with_injury", "violence_with_injury_rate",
              "Violence with injury (police, per 1,000)", "identity", False,
              _F8 + "violence with injury rate per 1,000 at-risk population",
              domain="abuse_neglect", aliases=("violence_with_injury_rate",)),
    Indicator("stalking_harassment", "stalking_harassment_rate",
              "Stalking and harassment (police, per 1,000)", "identity", False,
              _F8 + "stalking and harassment rate per 1,000 at-risk population",
              domain="household_dysfunction", aliases=("stalking_harassment_rate",)),
    Indicator("mental_health", "mental_health_indicator", "Adult mental ill health (IoD score)",
              "identity", False, _F8 + "mental health indicator",
              domain="household_dysfunction", aliases=("mental_health_indicator",)),
    Indicator("public_order_weapons", "public_order_weapons_rate",
              "Public order and weapons offences (police, per 1,000)", "identity", False,
              _F8 + "public order and possession of weapons rate per 1,000 at-risk population",
              domain="context", aliases=("public_order_weapons_rate",)),
    Indicator("antisocial_behaviour", "antisocial_behaviour_rate",
              "Anti-social behaviour (police, per 1,000)", "identity", False,
              _F8 + "anti-social behaviour rate per 1,000 at-risk population",
              domain="context", aliases=("antisocial_behaviour_rate", "asb")),
    Indicator("overcrowding", "overcrowding_bedrooms_share",
              "Overcrowded households (bedrooms)", "identity", False,
              _F8 + "household overcrowding indicator (bedrooms), Census 2021",
              domain="context", aliases=("overcrowding_bedrooms_share",)),
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
    return lookup(key, INDICATORS, "indicators")
