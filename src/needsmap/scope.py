"""Which local authorities a build, a snapshot or a view covers: one resolver for LA names.

A user names local authorities by name or LAD24 code, in any case and with any
spacing (``"blackpool"``, ``" E06000009 "``, ``"Kingston upon Hull,  City of"``).
:func:`resolve_las` turns those into a :class:`Scope` against a list of known
``(code, name)`` pairs; an unknown name raises :class:`UnknownArea` with close
matches. The build resolves its scope once, before any stage runs; the snapshot
command and the app use the same function.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


class UnknownArea(KeyError):  # noqa: N818 - a KeyError, as callers have always caught
    """An LA name or code that is not in the list of known local authorities."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Scope:
    """The local authorities in scope.

    Attributes
    ----------
    lad_codes
        Sorted LAD24 codes, or ``None`` for the whole nation (every LAD).
    lad_names
        Their names, in the same order (``()`` for the whole nation).
    """

    lad_codes: tuple[str, ...] | None = None
    lad_names: tuple[str, ...] = ()

    @property
    def is_all(self) -> bool:
        """True when no LA filter applies."""
        return self.lad_codes is None

    @property
    def label(self) -> str:
        """``"England"`` or the LA names, comma separated."""
        return "England" if self.lad_codes is None else ", ".join(self.lad_names)

    def codes_or_none(self) -> list[str] | None:
        """The codes as a list (for SQL parameters), or ``None`` for all."""
        return None if self.lad_codes is None else list(self.lad_codes)


ALL = Scope()


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().lower()


def resolve_la(item: str, lads: Iterable[tuple[str, str]]) -> tuple[str, str]:
    """Map one LA name or LAD code to ``(code, name)``.

    Matching ignores case and repeated or surrounding spaces.

    Raises
    ------
    UnknownArea
        If nothing matches; the message lists up to five close names.
    """
    pairs = list(lads)
    by_code = {_key(c): (c, n) for c, n in pairs}
    by_name = {_key(n): (c, n) for c, n in pairs}
    k = _key(item)
    if k in by_code:
        return by_code[k]
    if k in by_name:
        return by_name[k]
    close = difflib.get_close_matches(str(item).strip(), [n for _, n in pairs], n=5)
    raise UnknownArea(f"unknown local authority {item!r} (not a LAD24 name or code)"
                      + (f"; did you mean: {', '.join(close)}?" if close else ""))


def resolve_las(requested: Sequence[str] | None, lads: Iterable[tuple[str, str]],
                nations: Mapping[str, Sequence[str]] | None = None) -> Scope:
    """Resolve LA names or codes to a :class:`Scope` (``None`` or empty: every LA).

    ``nations`` maps a nation name (``"Wales"``) to its LAD codes: a requested item that is a
    nation name (any case) stands for all of them, so ``--la Wales`` builds Wales.
    """
    if not requested:
        return ALL
    pairs = list(lads)
    names = dict(pairs)
    by_nation = {_key(k): v for k, v in (nations or {}).items()}
    found: dict[str, str] = {}
    for item in requested:
        if _key(item) in by_nation:
            found.update((c, names[c]) for c in by_nation[_key(item)] if c in names)
        else:
            code, name = resolve_la(item, pairs)
            found[code] = name
    codes = tuple(sorted(found))
    return Scope(codes, tuple(found[c] for c in codes))
