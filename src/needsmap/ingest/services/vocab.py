"""The controlled vocabulary of service types, and each source's mapping into it.

Every service in the store has exactly one ``type`` from :data:`SERVICE_TYPES`.
Each source's own categories are mapped here, in one place, so the mapping can
be read and reviewed:

* GIAS: :func:`gias_type` maps ``(establishment_type_group, establishment_type,
  education_phase)``; a school with nursery classes (GIAS ``NurseryProvision``) is a
  ``nursery`` too (:func:`with_nursery_classes`). All-through schools serve both phases, so they are
  recorded twice (``school_primary`` and ``school_secondary``); an all-through
  school is the nearest primary *and* the nearest secondary school for its
  neighbours. Independent schools, universities, online providers and overseas
  or offshore establishments are not mapped: they are rejected with the reason
  :data:`GIAS_NOT_MAPPED`.
* epraccur: prescribing setting ``4`` -> ``gp_practice``; other settings are
  rejected (they are not GP practices).
* Libraries Hacked: every ``Type of library`` (LAL, LAL-, CRL, CL, ICL) ->
  ``library``.
* User lists: the ``type`` column must be a vocabulary key (case and spaces are
  normalised, and a few plain-English aliases such as ``children's centre`` or
  ``GP`` are accepted, see :data:`ALIASES`). Anything else is rejected with a
  message listing the valid types.
"""

from __future__ import annotations

import re

#: type key -> human label. Order is the display order.
SERVICE_TYPES: dict[str, str] = {
    "family_hub": "Family hub",
    "childrens_centre": "Children's centre",
    "nursery": "Nursery (school or nursery class)",
    "school_primary": "Primary school",
    "school_secondary": "Secondary school",
    "special_school": "Special school",
    "alternative_provision": "Alternative provision / pupil referral unit",
    "college": "College / sixth form (16+)",
    "gp_practice": "GP practice",
    "pharmacy": "Pharmacy",
    "health_visitor_base": "Health visitor base",
    "library": "Public library",
    "youth_service": "Youth service",
    "food_bank": "Food bank",
    "other": "Other service",
}

#: Accepted spellings in user lists, after :func:`_key` normalisation.
ALIASES: dict[str, str] = {
    "children_centre": "childrens_centre",
    "childrens_center": "childrens_centre",
    "children_s_centre": "childrens_centre",
    "sure_start": "childrens_centre",
    "family_hubs": "family_hub",
    "gp": "gp_practice",
    "gp_surgery": "gp_practice",
    "surgery": "gp_practice",
    "primary_school": "school_primary",
    "secondary_school": "school_secondary",
    "sixth_form": "college",
    "pru": "alternative_provision",
    "pupil_referral_unit": "alternative_provision",
    "health_visitors": "health_visitor_base",
    "youth_club": "youth_service",
    "youth_centre": "youth_service",
    "foodbank": "food_bank",
    "nursery_school": "nursery",
    "chemist": "pharmacy",
}

GIAS_NOT_MAPPED = "establishment type not mapped to a service type"


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(text).strip().lower().replace("'", "")).strip("_")


def normalise_type(text: object) -> str | None:
    """Return the vocabulary key for ``text``, or ``None`` if it is not a known type.

    >>> normalise_type("Children's Centre")
    'childrens_centre'
    >>> normalise_type("Family hub")
    'family_hub'
    >>> normalise_type("spaceport") is None
    True
    """
    if text is None:
        return None
    k = _key(str(text))
    if k in SERVICE_TYPES:
        return k
    return ALIASES.get(k)


def unknown_type_reason(text: object) -> str:
    """Rejection reason for a type that is not in the vocabulary."""
    return (f"unknown service type {str(text)[:60]!r}; valid types: "
            + ", ".join(SERVICE_TYPES))


# -- GIAS ---------------------------------------------------------------------------------
_GIAS_GROUP_SPECIAL = {"Special schools"}
_GIAS_TYPE = {
    "Local authority nursery school": ("nursery",),
    "Pupil referral unit": ("alternative_provision",),
    "Academy alternative provision converter": ("alternative_provision",),
    "Academy alternative provision sponsor led": ("alternative_provision",),
    "Free schools alternative provision": ("alternative_provision",),
    "Academy special converter": ("special_school",),
    "Academy special sponsor led": ("special_school",),
    "Free schools special": ("special_school",),
    "Special post 16 institution": ("special_school",),
    "Further education": ("college",),
    "Sixth form centres": ("college",),
    "Academy 16-19 converter": ("college",),
    "Academy 16 to 19 sponsor led": ("college",),
    "Academy secure 16 to 19": ("college",),
    "Free schools 16 to 19": ("college",),
    "City technology college": ("school_secondary",),
}
#: GIAS groups that are not mapped to a public, place-based service.
_GIAS_GROUP_EXCLUDED = {"Independent schools", "Universities", "Online provider",
                        "Welsh schools", "Other types"}
_GIAS_PHASE = {
    "Primary": ("school_primary",),
    "Middle deemed primary": ("school_primary",),
    "Secondary": ("school_secondary",),
    "Middle deemed secondary": ("school_secondary",),
    "All-through": ("school_primary", "school_secondary"),
    "Nursery": ("nursery",),
    "16 plus": ("college",),
}


#: GIAS ``NurseryProvision (name)`` values saying a school has nursery classes.
GIAS_NURSERY_CLASSES = frozenset({"Has Nursery Classes"})


def with_nursery_classes(types: tuple[str, ...], provision: str | None) -> tuple[str, ...]:
    """Add ``nursery`` to a mapped school's types when GIAS says it has nursery classes.

    >>> with_nursery_classes(("school_primary",), "Has Nursery Classes")
    ('school_primary', 'nursery')
    >>> with_nursery_classes(("school_primary",), "No Nursery Classes")
    ('school_primary',)
    >>> with_nursery_classes((), "Has Nursery Classes")
    ()
    >>> with_nursery_classes(("school_primary",), float("nan"))  # a blank cell
    ('school_primary',)
    """
    text = provision.strip() if isinstance(provision, str) else ""  # blank cells read as NaN
    if types and "nursery" not in types and text in GIAS_NURSERY_CLASSES:
        return (*types, "nursery")
    return types


def gias_type(group: str | None, etype: str | None, phase: str | None) -> tuple[str, ...]:
    """Map one GIAS establishment to service types (empty tuple: not mapped).

    The establishment type wins over the phase (a special academy is a special
    school whatever its phase); then the ``Special schools`` group; then the
    excluded groups; then the phase.

    >>> gias_type("Academies", "Academy converter", "Primary")
    ('school_primary',)
    >>> gias_type("Local authority maintained schools", "Community school", "All-through")
    ('school_primary', 'school_secondary')
    >>> gias_type("Independent schools", "Other independent school", "Not applicable")
    ()
    """
    if etype in _GIAS_TYPE:
        return _GIAS_TYPE[etype]
    if group in _GIAS_GROUP_SPECIAL:
        return ("special_school",)
    if group in _GIAS_GROUP_EXCLUDED:
        return ()
    return _GIAS_PHASE.get(phase or "", ())
