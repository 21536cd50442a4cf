"""The domains of the ``domains`` method (the default index), after Lewer et al. 2020.

Lewer built the ACE Index from rates of events grouped in three domains: *abuse and
neglect*, *household dysfunction* and *the wider context in which children live*. Each
:class:`Domain` here is measured by the open ward-level proxies nearest in meaning to
those events: the registry indicators whose ``domain`` is the domain's name
(:mod:`needsmap.index.indicators`). Why each proxy, and how weak it is, is in
docs/method.md ("Domains"); the choices were written down before any index result was
computed and were not tuned to any published LA-level ACE result.

Formulas (wards *i*, indicators *k* of domain *d*, ``K_d``; the engine's
:func:`needsmap.index.engine.domain_parts`)::

    y_ik = Φ⁻¹(r_ik / (n_k + 1))                 indicator normal score (IoD)
    D_id = mean of y_ik over k ∈ K_d with a value     domain score, equal weights
    q_id = R_id / (m_d + 1)                      R_id = average rank of D_id (ascending)
                                                 among the m_d wards with the domain
    M_i  = Σ_d ω_d q_id / Σ_d ω_d                over the domains the ward has
    ace_rank_england = rank of M_i, descending   (1 = highest modelled risk)

With every ward having every domain, ``M_i`` is Lewer's weighted mean of the domain
ranks divided by ``n + 1``: the same order.
"""

from __future__ import annotations

from dataclasses import dataclass

from needsmap.index._registry import lookup
from needsmap.index.indicators import INDICATORS, NAMES


@dataclass(frozen=True)
class Domain:
    """One domain of adversity.

    Parameters
    ----------
    name
        Registry key, used in ``--weights`` for the ``domains`` method and in column
        names (``<name>_score``, ``<name>_rank``, ``<name>_decile``).
    label
        Label for people (Lewer's domain name).
    what
        One line on what the domain's proxies stand for, for the UI.
    weak
        True where the proxies are weak (said in the UI and in docs/method.md).
    aliases
        Other accepted spellings in weight specifications.
    """

    name: str
    label: str
    what: str
    weak: bool = False
    aliases: tuple[str, ...] = ()

    @property
    def indicators(self) -> tuple[str, ...]:
        """Registry names of the domain's proxies, in registry order."""
        return tuple(i.name for i in INDICATORS if i.domain == self.name)

    @property
    def columns(self) -> tuple[int, ...]:
        """Positions of the domain's proxies in the registry (component columns)."""
        return tuple(NAMES.index(n) for n in self.indicators)

    @property
    def score_column(self) -> str:
        return f"{self.name}_score"

    @property
    def rank_column(self) -> str:
        return f"{self.name}_rank"

    @property
    def decile_column(self) -> str:
        return f"{self.name}_decile"

    @property
    def count_column(self) -> str:
        return f"n_{self.name}_indicators"


#: The three domains, in the order they are combined and shown.
DOMAINS: tuple[Domain, ...] = (
    Domain("abuse_neglect", "Abuse and neglect",
           "police recorded violence (the offence groups that hold child cruelty and "
           "neglect, and assaults)", weak=True, aliases=("abuse", "abuse_and_neglect")),
    Domain("household_dysfunction", "Household dysfunction",
           "police recorded stalking and harassment (incl. coercive control), adult "
           "mental ill health", aliases=("household",)),
    Domain("context", "Wider context",
           "public order and weapons offences, anti-social behaviour, overcrowded homes",
           aliases=("wider_context",)),
)

BY_NAME: dict[str, Domain] = {d.name: d for d in DOMAINS}
DOMAIN_NAMES: tuple[str, ...] = tuple(d.name for d in DOMAINS)

#: Per-ward columns of every domain, in ``ward_ace`` order.
DOMAIN_COLUMNS: tuple[str, ...] = tuple(
    c for d in DOMAINS for c in (d.score_column, d.rank_column, d.decile_column, d.count_column)
) + ("n_domains",)


def resolve_domain(key: str) -> str:
    """Return the domain name for ``key`` (a name or an alias).

    Raises
    ------
    ValueError
        If ``key`` names no domain; the message lists the valid names.
    """
    return lookup(key, DOMAINS, "domains")


def _check_registry() -> None:
    known = set(DOMAIN_NAMES)
    for ind in INDICATORS:
        if ind.domain is not None and ind.domain not in known:
            raise RuntimeError(f"indicator {ind.name!r} names unknown domain {ind.domain!r}")
    for d in DOMAINS:
        if not d.indicators:
            raise RuntimeError(f"domain {d.name!r} has no indicator in the registry")


_check_registry()
