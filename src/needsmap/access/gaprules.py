"""The rules that flag an access gap, in one registry, with the words shown beside them.

A commissioner asks: *in my area, where do children in high-need wards live far from this
kind of service?* "High need" is always a ward in the top national need deciles (the same
meaning in every LA). "Far" is where the rules differ:

``local`` (the default)
    Among the furthest quarter of the LA's *own* wards by children's mean distance, or
    among the furthest fifth of English wards, whichever distance is shorter. An urban LA,
    where every ward is close by national standards, still sees where its own children are
    furthest; a rural ward that is far by national standards is never hidden because its
    whole LA is far.
``national``
    Among the furthest fifth of English wards (the rule needsmap had first: in towns and
    cities it almost never flags anything, because only rural wards are that far).
``distance``
    Children's mean distance at least a distance the user sets (km).
``children_beyond``
    At least a share of the ward's children (say a quarter) live further than a distance
    the user sets.

Distances are straight lines from each LSOA's representative point to the nearest
service of the type, averaged over the LSOA's children (``ward_access``). The SQL is
``queries/access_gaps.sql``; unknown rule names are rejected with the valid list.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Default thresholds.
DEFAULT_RULE = "local"
DEFAULT_TOP_DECILES = 2
DEFAULT_LA_SHARE = 0.25
DEFAULT_FURTHEST_SHARE = 0.2
DEFAULT_KM = 1.0
DEFAULT_MIN_SHARE = 0.25


@dataclass(frozen=True)
class GapRule:
    """One way to call a ward "far"."""

    key: str
    label: str
    summary: str


RULES: dict[str, GapRule] = {r.key: r for r in (
    GapRule("local", "Far for this area (default)",
            "furthest quarter of the LA's own wards, or furthest fifth of England's"),
    GapRule("national", "Far for England",
            "furthest fifth of English wards"),
    GapRule("distance", "Further than a distance",
            "children's mean distance at least the distance you set"),
    GapRule("children_beyond", "Children beyond a distance",
            "a share of the ward's children live further than the distance you set"),
)}


def check_rule(rule: str) -> GapRule:
    """The rule called ``rule``; unknown names raise ``ValueError`` with the valid list."""
    if rule not in RULES:
        raise ValueError(f"unknown gap rule {rule!r}; valid: {', '.join(RULES)}")
    return RULES[rule]


def _share_words(share: float) -> str:
    words = {0.1: "tenth", 0.2: "fifth", 0.25: "quarter", 0.3: "30%", 1 / 3: "third",
             0.4: "40%", 0.5: "half"}
    for v, w in words.items():
        if abs(share - v) < 1e-9:
            return w
    return f"{share:.0%}"


def _km(v: float | None) -> str:
    return "–" if v is None else f"{v:.2f} km"


def describe(rule: str, *, service: str, need: str, top_deciles: int, area: str | None,
             la_share: float = DEFAULT_LA_SHARE,
             furthest_share: float = DEFAULT_FURTHEST_SHARE, km: float = DEFAULT_KM,
             min_share: float = DEFAULT_MIN_SHARE, national_km: float | None = None,
             la_km: float | None = None, national: str = "English wards",
             people: str = "children") -> str:
    """The rule in words, with the distances it uses (for the screen and exports).

    Parameters
    ----------
    service, need
        Labels of the service type and the need measure.
    area
        The LA's name, or ``None`` when every LA is shown (each ward is then compared
        with its own LA's wards).
    national_km, la_km
        The distances the thresholds come to (shown in brackets), if known.
    national
        What the national comparison is among: English wards, or (for a list that
        covers only some LAs) "the 21 wards the list covers".
    people
        Whose distances: ``children`` (aged 0-15) or ``under-5s`` (the early-years lens);
        a longer label such as "children aged 0-15" is cut to its first word.
    """
    r = check_rule(rule)
    high = (f"in the top {top_deciles} national decile{'s' if top_deciles > 1 else ''} of "
            f"need ({need})")
    who = people.split(" aged")[0]
    whose = who + ("'" if who.endswith("s") else "'s")  # under-5s', children's
    dist = f"{whose} mean straight-line distance to the nearest {service}"
    if r.key == "local":
        own = f"{area}'s wards" if area else "the wards of its own LA"
        far = (f"{dist} is among the furthest {_share_words(la_share)} of {own}"
               + (f" (at least {_km(la_km)})" if area and la_km is not None else "")
               + f" or the furthest {_share_words(furthest_share)} of {national}"
               + (f" (at least {_km(national_km)})" if national_km is not None else ""))
    elif r.key == "national":
        far = (f"{dist} is among the furthest {_share_words(furthest_share)} of {national}"
               + (f" (at least {_km(national_km)})" if national_km is not None else ""))
    elif r.key == "distance":
        far = f"{dist} is at least {km:.2f} km"
    else:
        far = (f"at least {_share_words(min_share)} of its {who} live more than {km:.2f} km "
               f"(straight line) from the nearest {service}")
    return f"A ward is flagged when it is {high} and {far}."
