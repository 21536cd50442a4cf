"""Checked numbers for command-line options: finite, in range, with a clear message.

Every numeric option of ``needsmap`` uses a :class:`Number` as its argparse ``type``,
so ``--concentration nan``, ``--draws 1e9`` or ``--port 0`` stop before any work with
one line naming the option, what it must be and what was given::

    needsmap index: error: argument --concentration: must be a finite number, greater
    than 0 and at most 1,000,000 (got 'nan')

``tests/test_cli_numbers.py`` walks every subcommand's options and fails for a
numeric option declared with a bare ``int`` or ``float``.
"""

from __future__ import annotations

import argparse
import math


def _fmt(x: float) -> str:
    if float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:g}"


class Number:
    """An argparse ``type``: parse a number, then check it is finite and in range.

    Parameters
    ----------
    kind
        ``int`` (a whole number) or ``float``.
    low, high
        Bounds (``None``: unbounded on that side).
    low_open
        ``low`` itself is not allowed (``> low`` rather than ``>= low``).

    Raises
    ------
    argparse.ArgumentTypeError
        From :meth:`__call__`, with a message saying what the option must be.
    """

    def __init__(self, kind: type = float, low: float | None = None, high: float | None = None,
                 low_open: bool = False) -> None:
        if kind not in (int, float):
            raise TypeError("kind must be int or float")
        self.kind, self.low, self.high, self.low_open = kind, low, high, low_open
        self.__name__ = "whole number" if kind is int else "number"  # argparse's messages

    def describe(self) -> str:
        """``"a whole number, at least 200 and at most 5,000"``, ``"a finite number, greater
        than 0"``..."""
        what = "a whole number" if self.kind is int else "a finite number"
        lo, hi = self.low, self.high
        parts = []
        if lo is not None:
            parts.append(f"greater than {_fmt(lo)}" if self.low_open else f"at least {_fmt(lo)}")
        if hi is not None:
            parts.append(f"at most {_fmt(hi)}")
        return what + (", " + " and ".join(parts) if parts else "")

    def check(self, value: float) -> int | float:
        """Check an already parsed value; raise ``ValueError`` saying what it must be."""
        ok = math.isfinite(value) if isinstance(value, float) else True
        if ok and self.kind is int:
            ok = float(value).is_integer()
        if ok and self.low is not None:
            ok = value > self.low if self.low_open else value >= self.low
        if ok and self.high is not None:
            ok = value <= self.high
        if not ok:
            raise ValueError(f"must be {self.describe()} (got {value!r})")
        return self.kind(value)

    def __call__(self, text: str) -> int | float:
        s = str(text).strip()
        try:
            value: float = int(s, 10) if self.kind is int else float(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {self.describe()} (got {text!r})") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be {self.describe()} (got {text!r})")
        try:
            return self.check(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {self.describe()} (got {text!r})") from None

    def __repr__(self) -> str:
        return f"Number({self.kind.__name__}, {self.describe()!r})"


#: A TCP port to listen on.
PORT = Number(int, 1, 65535)
#: Seconds a writer waits for another writer of the same store (``0``: fail at once).
WAIT_SECONDS = Number(float, 0, 86_400)
#: Download attempts per file (``needsmap fetch --retries``).
RETRIES = Number(int, 1, 20)
