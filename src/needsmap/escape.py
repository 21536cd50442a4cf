"""CSV-injection escaping for every table the app exports.

Spreadsheet programs execute a cell that begins with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return as a formula (``=HYPERLINK(...)``,
``@SUM(...)``). Following the OWASP *CSV Injection* guidance, text cells that
begin with one of those characters are prefixed with a single quote ``'`` so
the spreadsheet shows them as text. Numbers are left alone: a negative number
stored as a number is not text, so ``-3.2`` in a float column is exported
unchanged, while the *string* ``"-3.2"`` is escaped (it may be a formula such
as ``-2+3+cmd|...``).

Every export of user-supplied or source text (service names, load-report
``raw`` text, place names) must go through :func:`escape_frame`.
"""

from __future__ import annotations

import pandas as pd

#: Leading characters that make a spreadsheet treat a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def escape_cell(value: object) -> object:
    """Return ``value`` with a leading ``'`` if it is text that starts like a formula.

    Leading whitespace (spaces, a non-breaking space) is looked past: some spreadsheet
    programs trim it before evaluating the cell.

    >>> escape_cell('=HYPERLINK("http://x","y")')
    '\\'=HYPERLINK("http://x","y")'
    >>> escape_cell("\u00a0=1+1")
    "'\xa0=1+1"
    >>> escape_cell("Blackpool Library")
    'Blackpool Library'
    >>> escape_cell(-3.5)
    -3.5
    """
    if isinstance(value, str) and (value.startswith(FORMULA_PREFIXES)
                                   or value.lstrip().startswith(FORMULA_PREFIXES)):
        return "'" + value
    return value


def escape_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``df`` with every text cell passed through :func:`escape_cell`.

    Column names are escaped too. Non-text columns (numbers, dates, booleans)
    are returned unchanged.
    """
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s):
            out[col] = s.map(escape_cell, na_action="ignore")
    out.columns = [escape_cell(c) if isinstance(c, str) else c for c in out.columns]
    return out
