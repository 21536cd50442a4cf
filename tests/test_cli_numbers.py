"""Every numeric command-line option is checked: finite, in range, with a clear message (issue 18, item 5).

Before: ``needsmap index --concentration nan`` wrote every ward as "unstable" with empty
bands and exited 0; ``0`` or ``-1`` raised a traceback; ``--seed -1`` a numpy traceback;
``--draws 100000000`` a 4.9 TiB allocation error; ``--top -5`` printed nothing, exit 0.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pytest
from badinput.make_corpus import BAD_OPTION_VALUES

from needsmap.argtypes import Number
from needsmap.cli import main, make_parser
from needsmap.settings import REPO_ROOT, SCHEMA_VERSION


def _options() -> list[tuple[str, argparse.Action]]:
    parser = make_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return [(name, act) for name, p in sub.choices.items() for act in p._actions]


def test_every_numeric_option_uses_a_checked_number():
    numeric = [(cmd, act) for cmd, act in _options()
               if isinstance(act.type, Number) or act.type in (int, float)]
    bare = [f"needsmap {cmd} {act.option_strings[0]}" for cmd, act in numeric
            if not isinstance(act.type, Number)]
    assert not bare, f"numeric options without a range check (use needsmap.argtypes.Number): {bare}"
    covered = {(cmd, opt) for cmd, opt, _, _ in BAD_OPTION_VALUES}
    found = {(cmd, act.option_strings[0]) for cmd, act in numeric}
    assert found <= covered, f"add these to the bad-input corpus: {sorted(found - covered)}"
    assert len(found) >= 8


@pytest.mark.parametrize("cmd, opt, base, value",
                         [(c, o, b, v) for c, o, b, vs in BAD_OPTION_VALUES for v in vs])
def test_bad_value_is_refused_with_a_clear_message(cmd, opt, base, value, capsys):
    assert main([cmd, *base, f"{opt}={value}"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"needsmap {cmd}: error: argument {opt}: must be a " in err, err
    assert f"(got {value!r})" in err and "Traceback" not in err


@pytest.mark.parametrize("text, ok", [("20", 20.0), ("1e6", 1e6), ("0.001", 0.001),
                                      ("nan", None), ("0", None), ("-1", None), ("inf", None)])
def test_number_type(text, ok):
    t = Number(float, 0, 1e6, low_open=True)
    if ok is None:
        with pytest.raises(argparse.ArgumentTypeError, match="finite number, greater than 0"):
            t(text)
    else:
        assert t(text) == ok
    assert Number(int, 200, 5000)(" 300 ") == 300
    with pytest.raises(argparse.ArgumentTypeError, match="whole number, at least 200"):
        Number(int, 200, 5000)("2.5")


def test_weight_draws_refuse_a_non_finite_concentration():
    from needsmap.index.stability import weight_draws

    w = np.array([0.25, 0.25, 0.25, 0.25, 0.0, 0.0])
    for c in (math.nan, math.inf, 0.0, -1.0):
        with pytest.raises(ValueError, match="concentration must be a finite number > 0"):
            weight_draws(w, 200, 1, c)


def test_index_concentration_nan_writes_nothing(tmp_path):
    """Through the real entry point: exit 2, one line, the store byte-identical."""
    db = tmp_path / "s.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
    con.close()
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    for value in ("nan", "0", "-1"):
        res = subprocess.run([sys.executable, "-m", "needsmap.cli", "index", "--db", str(db),
                              "--concentration", value], capture_output=True, text=True,
                             cwd=REPO_ROOT, timeout=300, check=False)
        assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
        assert "argument --concentration: must be a finite number, greater than 0" in \
            " ".join(res.stderr.split())
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in Path(tmp_path).iterdir()) == ["s.duckdb"]
