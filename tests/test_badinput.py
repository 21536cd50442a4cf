"""The bad-input corpus: every loader x every broken variant of its real file.

The corpus is derived at test time from the mirror (``tests/badinput/make_corpus.py``)
into a temporary directory and run once per session (``tests/badinput/corpus.py``).
Figures printed: variants tried, clear errors, rejected-with-reason, crashes, rows lost.
Must hold: crashes == 0 and rows lost == 0, for every loader.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from badinput.corpus import LOADERS, Outcome, figures, run_corpus, table

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def outcomes(request, mirror: Path, tmp_path_factory) -> list[Outcome]:
    try:
        store = request.getfixturevalue("blackpool_store")
    except Exception as exc:  # noqa: BLE001 - the build may not be complete yet
        print(f"\n(no built store: police.uk and point-in-polygon checks skipped: {exc})")
        store = None
    outs = run_corpus(mirror, tmp_path_factory.mktemp("badinput"), store=store)
    print("\n" + table(outs))
    return outs


def test_figures_are_printed(outcomes, report_figure):
    f = figures(outcomes)
    print("BAD-INPUT FIGURES:", f)
    report_figure("bad-input corpus: " + ", ".join(f"{k} {v}" for k, v in f.items()))
    assert f["rows lost"] == 0
    open_crashes = sum(o.result == "crash" for o in outcomes if o.loader not in KNOWN_OPEN)
    assert open_crashes == 0
    assert f["variants tried"] >= 300
    assert f["loaders"] >= 11


#: Loaders whose crashes are reported to their owner and not fixed yet (loader -> note).
#: Remove an entry when its loader is fixed: the test then holds it to 0 crashes.
KNOWN_OPEN: dict[str, str] = {}  # empty: the services loaders' 19 crashes were fixed


@pytest.mark.parametrize("loader", [
    pytest.param(name, marks=pytest.mark.xfail(reason="reported: " + KNOWN_OPEN[name],
                                               strict=False))
    if name in KNOWN_OPEN else name for name in sorted(LOADERS)])
def test_no_crash_and_no_row_lost(outcomes, loader):
    mine = [o for o in outcomes if o.loader == loader]
    if mine and all(o.result == "skipped" for o in mine):
        pytest.skip(mine[0].detail)
    crashes = [f"{o.variant}: {o.detail}" for o in mine if o.result == "crash"]
    lost = [f"{o.variant}: {o.lost} rows ({o.detail})" for o in mine if o.lost]
    owner = LOADERS[loader][0]
    assert not crashes, f"{loader} ({owner}) crashed on:\n  " + "\n  ".join(crashes)
    assert not lost, f"{loader} ({owner}) lost rows without a record:\n  " + "\n  ".join(lost)


@pytest.mark.parametrize("loader", sorted(LOADERS))
def test_clean_sample_loads(outcomes, loader):
    base = [o for o in outcomes if o.loader == loader and o.variant == "baseline"]
    if not base or base[0].result == "skipped":
        pytest.skip("loader not available")
    assert base[0].result in ("accepted", "rejected"), base[0].detail
    assert base[0].kept > 0


def test_corpus_is_never_committed():
    files = subprocess.run(["git", "ls-files", "tests/badinput"], capture_output=True, text=True,
                           cwd=REPO, check=False).stdout.split()
    assert all(f.endswith(".py") for f in files), files
