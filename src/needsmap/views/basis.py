"""The early-years switch: whose figures a view shows, children aged 0-15 or under-5s (UI only).

One session value (``basis``, in the URL as ``basis=under5``) shared by Explore, Target and
Snapshot: switching it in one view carries it to the others. The bases and their tables
and columns are :data:`needsmap.access.early_years.BASES`; this module holds the widget,
its labels and the check of a value from a link.
"""

from __future__ import annotations

import streamlit as st

from needsmap.access.early_years import BASES
from needsmap.views.state import Param, Restored, url_problem

KEY = "basis"
DEFAULT = "children"
#: The switch's labels (short; the caption under it says more).
LABELS: dict[str, str] = {"children": "Children 0\u201315", "under5": "Under-5s"}
#: What the switch changes, per view (shown as its help text).
HELP = ("Whose figures to use. Under-5s: children aged 0-4 (ONS mid-2020 estimates carried "
        "to today's areas, docs/method.md) weight the index's area figures and the access "
        "measures; Children 0-15: Census 2021.")

PARAM = Param(KEY, "basis", DEFAULT)


def choose(restored: Restored) -> str:
    """The basis in the session (a bad value from the link is named and replaced)."""
    if KEY in st.session_state and st.session_state[KEY] not in BASES:
        if "basis" in restored:
            url_problem("basis", restored.raw["basis"],
                        f"not a population basis (valid: {', '.join(BASES)}); "
                        f"showing {LABELS[DEFAULT].lower()}.")
        st.session_state[KEY] = DEFAULT
    st.session_state.setdefault(KEY, DEFAULT)
    return str(st.session_state[KEY])


def choose_quiet() -> str:
    """The basis in the session, without checking a link (after :func:`choose` ran)."""
    v = st.session_state.get(KEY)
    return v if v in BASES else DEFAULT


def widget(help_text: str = HELP) -> str:
    """Draw the switch (in the current container) and return the basis."""
    st.segmented_control("Population", list(LABELS), key=KEY, persist_state="session",
                         required=True, format_func=LABELS.get, help=help_text)
    return str(st.session_state.get(KEY) or DEFAULT)


def people(basis: str) -> str:
    """``children aged 0-15`` or ``under-5s`` (for sentences)."""
    return BASES[basis]["label"]


def short(basis: str) -> str:
    """``Children 0-15`` or ``Under-5s`` (for column labels)."""
    return "Under-5s" if basis == "under5" else "Children 0-15"
