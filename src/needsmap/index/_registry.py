"""Name lookup shared by the index's registries (indicators, domains)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class _Named(Protocol):
    name: str
    aliases: tuple[str, ...]


def lookup(key: str, entries: Iterable[_Named], kind: str) -> str:
    """Return the name of the entry that ``key`` names (its name or an alias).

    Parameters
    ----------
    key : str
        A name or alias, in any case, with or without surrounding spaces.
    entries : iterable of objects with ``name`` and ``aliases``
        The registry, in its listed order.
    kind : str
        What the entries are, plural ("indicators"), for the error message.

    Raises
    ------
    ValueError
        If ``key`` names no entry; the message lists the valid names.
    """
    entries = tuple(entries)
    k = key.strip().lower()
    for e in entries:
        if k == e.name:
            return e.name
    for e in entries:
        if k in e.aliases:
            return e.name
    singular = kind[:-1] if kind.endswith("s") else kind
    raise ValueError(f"unknown {singular} {key!r}; valid {kind}: "
                     f"{', '.join(e.name for e in entries)}")
