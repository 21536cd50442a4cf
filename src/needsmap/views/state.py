"""View state and permalinks.

Each view declares its URL parameters as :class:`Param` (session-state key, URL name,
default, to/from text). On the first run of a browser session :func:`restore` copies the
URL's values into ``st.session_state`` *before* the widgets are created, so opening a
permalink restores the view; :func:`sync` writes the current values back to
``st.query_params`` at the end of every run (defaults are left out to keep URLs short).

Values from the URL are untrusted: parsers raise ``ValueError`` on bad text, and views
check restored values against the options they offer (:func:`ensure_choice`). A link
with a value that is not understood still opens, and says what it ignored and what it
shows instead (:func:`url_problem`, shown by :func:`show_url_problems`): a bad link never
falls back to defaults in silence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

_RESTORED = "_nm_restored"
_PROBLEMS = "_nm_url_problems"
_SHOWN = "_nm_url_problems_shown"


def new_run() -> None:
    """Call at the start of every run (the app does)."""
    st.session_state[_SHOWN] = False


@dataclass
class Restored:
    """What :func:`restore` took from the URL on this run.

    ``raw`` holds the URL text of every parameter present (empty after the first run of
    a session); ``bad`` the names whose text could not be parsed.
    """

    raw: dict[str, str]
    bad: list[str]

    def __contains__(self, name: str) -> bool:
        return name in self.raw

    def __iter__(self):  # noqa: ANN204 - old callers unpacked the list of bad names
        return iter(self.bad)


@dataclass(frozen=True)
class Param:
    """One permalink parameter."""

    key: str
    name: str
    default: Any
    to_url: Callable[[Any], str] = str
    from_url: Callable[[str], Any] = str


def as_list(text: str) -> list[str]:
    return [p for p in (x.strip() for x in text.split(",")) if p]


def list_to_url(v: Iterable[str]) -> str:
    return ",".join(v)


def as_int(text: str) -> int:
    return int(text)


def weights_from_url(text: str) -> dict[str, int]:
    """``child_poverty:40,income:20`` -> ``{"child_poverty": 40, "income": 20}``."""
    out: dict[str, int] = {}
    for item in as_list(text):
        name, _, val = item.partition(":")
        v = int(float(val))
        if not name.isidentifier() or not 0 <= v <= 100:
            raise ValueError(f"bad weight {item!r}")
        out[name] = v
    return out


def weights_to_url(w: dict[str, int]) -> str:
    return ",".join(f"{k}:{int(v)}" for k, v in w.items())


def restore(params: Sequence[Param], scope: str) -> Restored:
    """Once per session and scope: URL -> session state (see :class:`Restored`)."""
    flag = f"{_RESTORED}_{scope}"
    if st.session_state.get(flag):
        return Restored({}, [])
    st.session_state[flag] = True
    bad = []
    raw_all: dict[str, str] = {}
    qp = st.query_params
    for p in params:
        raw = qp.get(p.name)
        if raw is None:
            continue
        raw_all[p.name] = raw
        try:
            st.session_state[p.key] = p.from_url(raw)
        except (ValueError, TypeError, OverflowError):
            bad.append(p.name)
    return Restored(raw_all, bad)


def sentence(text: str) -> str:
    """``text`` ending as a sentence: a full stop added unless it ends with ``.``, ``?``
    or ``!`` (an error message that asks "did you mean ...?" keeps its question mark)."""
    text = str(text).rstrip()
    return text if text.endswith((".", "?", "!")) else text + "."


def url_problem(name: str, raw: str, instead: str) -> None:
    """Record that the link's ``name=raw`` was not understood and what is shown instead."""
    shown = " ".join(str(raw).replace("`", "'").split())
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    msg = f"`{name}={shown}`: {instead}"
    problems = st.session_state.setdefault(_PROBLEMS, [])
    if msg not in problems:
        problems.append(msg)


def _dismiss() -> None:
    st.session_state.pop(_PROBLEMS, None)


def show_url_problems() -> None:
    """Show what the link asked for that was not understood, until the user dismisses it."""
    problems = st.session_state.get(_PROBLEMS)
    if not problems or st.session_state.get(_SHOWN):
        return
    st.session_state[_SHOWN] = True  # once per run (the app resets it at each run's start)
    with st.container(key="nm_url_problems"):
        st.warning("Parts of this link were not understood:\n\n"
                   + "\n".join(f"- {p}" for p in problems), icon=":material/link_off:")
        st.button("Dismiss", key="nm_url_problems_ok", on_click=_dismiss, type="tertiary",
                  icon=":material/close:")


def sync(params: Sequence[Param], extra: dict[str, str] | None = None) -> None:
    """Session state -> URL: set changed values, drop defaults and stale names."""
    want: dict[str, str] = dict(extra or {})
    for p in params:
        v = st.session_state.get(p.key, p.default)
        if v is None or v == p.default:
            continue
        want[p.name] = p.to_url(v)
    current = st.query_params.to_dict()
    for name in list(current):
        if name not in want:
            del st.query_params[name]
    for name, text in want.items():
        if current.get(name) != text:
            st.query_params[name] = text


def ensure_choice(key: str, options: Sequence[Any], default: Any) -> None:
    """Make ``st.session_state[key]`` one of ``options`` (or ``default``) before a widget."""
    if key in st.session_state and st.session_state[key] not in options:
        st.session_state[key] = default


def ensure_subset(key: str, options: Sequence[Any], default: list[Any]) -> None:
    """Keep only valid items of a multiselect's restored value."""
    if key in st.session_state:
        v = [x for x in (st.session_state[key] or []) if x in options]
        st.session_state[key] = v if v or not default else default
