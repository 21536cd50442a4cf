"""Browser benchmark of the map app on the whole-England store (issue 17's figures).

Serves the app on 127.0.0.1 and drives Debian chromium with Playwright. Every time is the
browser's own clock: from navigation start (or the key press) to the animation frame on
which the map has drawn (its hidden ``#nm-painted`` marker), so Playwright's polling adds
nothing. Figures, each printed beside the issue's and with the load average when taken:

* **first visit after start**: the server is started (``needsmap app`` runs ``asgi.py``,
  which warms the first page before reporting healthy); as soon as it answers, a new
  browser opens the default page. Also printed: how long the server took to become healthy.
* **warm LA**: the default page and other LAs, once the server has served one page.
* **all-England paint**: ``?area=__all__`` (6,817 wards on a canvas), first and warm.
* **redraw**: on the all-England map, a weight-slider change and a layer change, until the
  map shows the new classes.

With ``--before DIR`` (a copy of the old code, e.g. ``git archive main``, with
``static/vendor``) the same figures are measured for it in the same run, the two servers
taking turns (before, after, after, before, ...), so both meet the same machine load. The
old code ran on a fresh setup without compiled bytecode; ``--before-pyc none`` (the default)
reproduces that by pointing Python at an empty bytecode cache.

Usage::

    NEEDSMAP_MIRROR=../shared/geodata .venv/bin/needsmap build --db /tmp/x/england.duckdb
    .venv/bin/python benchmarks/app.py --db /tmp/x/england.duckdb [--before /tmp/x/main] \\
        [--rounds 2] [--runs 3]

The machine is shared (2 cores): read the figures with the load average printed beside them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from needsmap.serve import AppProcess

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

#: The issue's figures (chromium, this 2-core machine, whole-England store) and targets.
ISSUE = {
    "first visit after start": ("15-16 s", 3.0),
    "warm LA visit": ("1.9-4.2 s", None),
    "all-England paint": ("4.5-9.8 s", 3.0),
    "all-England weight change": ("3.1-3.2 s", 1.0),
    "all-England layer change": ("3.1-3.2 s", 1.0),
}


def load() -> float:
    return os.getloadavg()[0]


def _marker(page):  # noqa: ANN001, ANN202
    """The paint marker, in the page or (old app) inside the map's iframe."""
    for fr in page.frames:
        try:
            m = fr.query_selector("#nm-painted[data-version]")
        except Exception:  # noqa: BLE001 - a frame that went away
            continue
        if m:
            return m
    return None


def painted(page, after: float = 0.0, style_from: str | None = None,  # noqa: ANN001
            timeout: float = 240.0) -> dict[str, str]:
    """Wait for the map to have drawn after the epoch time ``after`` (ms; and, if given,
    with a style other than ``style_from``); return the marker's attributes. (The old
    app's map could be remounted on a change, restarting its marker's version count, so
    the paint time is what is compared.)"""
    deadline = time.monotonic() + timeout
    while True:
        m = _marker(page)
        if m is not None:
            attrs = m.evaluate("e => Object.fromEntries([...e.attributes].map(a => [a.name, a.value]))")
            ok = float(attrs.get("data-painted-at") or 0) > after
            if ok and style_from is not None and "data-style-key" in attrs:
                ok = attrs["data-style-key"] != style_from
            if ok:
                return {k.removeprefix("data-"): v for k, v in attrs.items()}
        if time.monotonic() > deadline:
            raise TimeoutError("map not drawn")
        time.sleep(0.02)


def visit(ctx, url: str) -> tuple[float, dict[str, str]]:  # noqa: ANN001
    """Seconds from navigation start to the frame that drew the polygons."""
    page = ctx.new_page()
    page.goto(url, wait_until="commit")
    info = painted(page)
    nav = page.evaluate("performance.timeOrigin")
    page.close()
    return (float(info["painted-at"]) - nav) / 1000, info


IDLE = ("() => { const a = document.querySelector('[data-testid=\"stApp\"]'); "
        "return !!a && a.getAttribute('data-test-script-state') === 'notRunning'; }")


def redraws(ctx, url: str, runs: int) -> tuple[list[float], list[float]]:  # noqa: ANN001
    """Weight-slider and layer changes on one page: seconds from the key press to the frame
    that shows the new classes."""
    page = ctx.new_page()
    page.goto(url)
    painted(page)
    page.get_by_role("slider", name="Health deprivation and disability").wait_for(timeout=240_000)
    page.wait_for_function(IDLE, timeout=240_000)
    weights, layers = [], []
    # each round: a weight change with the index shown, then to another layer and back
    for i in range(runs):
        for kind, target in (("weight", None), ("layer", "Income deprivation rate"),
                             ("layer", "ACE index")):
            m = painted(page)
            style = m.get("style-key")
            if kind == "weight":
                slider = page.get_by_role("slider", name="Health deprivation and disability")
                slider.focus()
                t0 = page.evaluate("performance.timeOrigin + performance.now()")
                page.keyboard.press("End" if i % 2 == 0 else "Home")
            else:
                box = page.get_by_role("combobox", name="Layer", exact=True)
                box.click()
                box.fill(target)
                t0 = page.evaluate("performance.timeOrigin + performance.now()")
                box.press("Enter")
            info = painted(page, after=t0, style_from=style)
            (weights if kind == "weight" else layers).append(
                (float(info["painted-at"]) - t0) / 1000)
            # the index is drawn at once and its stability bands follow (the map asks
            # again): let that finish before the next change is timed
            deadline = time.monotonic() + 120
            while (_marker(page).get_attribute("data-refresh") or "") and time.monotonic() < deadline:
                time.sleep(0.1)
            page.wait_for_function(IDLE, timeout=240_000)
    page.close()
    return weights, layers


@dataclass
class Figures:
    label: str
    rows: dict[str, list[tuple[float, float]]] = field(default_factory=dict)  # (s, load)

    def add(self, name: str, seconds: float) -> None:
        self.rows.setdefault(name, []).append((seconds, load()))
        print(f"  {name}: {seconds:.2f} s (load {load():.1f})", flush=True)


@contextlib.contextmanager
def _env(extra: dict[str, str]) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def one_round(browser, fig: Figures, db: Path, code: Path | None, pyc: str,  # noqa: ANN001
              runs: int, lads: list[str], rnd: random.Random) -> None:
    """Start a server for ``code`` (``None``: this checkout), measure, stop it."""
    env: dict[str, str] = {}
    script = None
    if code is not None:
        env["PYTHONPATH"] = str(code / "src")
        script = code / "app.py"
        if pyc == "none":
            env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="needsmap-nopyc-")
    t0 = time.monotonic()
    with _env(env):
        srv = AppProcess(db, script=script, timeout=600) if script else AppProcess(db, timeout=600)
    fig.add("server start to healthy", time.monotonic() - t0)
    try:
        ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
        dt, _ = visit(ctx, srv.url + "/?basemap=none")
        fig.add("first visit after start", dt)
        for la in ["E06000009", *rnd.sample(lads, runs)]:
            dt, _ = visit(ctx, f"{srv.url}/?basemap=none&area={la}")
            fig.add("warm LA visit", dt)
        for _ in range(runs):
            dt, info = visit(ctx, srv.url + "/?basemap=none&area=__all__")
            assert int(info["n"]) >= 6000, info
            fig.add("all-England paint", dt)
        try:
            w, lay = redraws(ctx, srv.url + "/?basemap=none&area=__all__&method=weighted", runs)
        except Exception as exc:  # noqa: BLE001 - report and go on with the next round
            print(f"  redraw failed: {type(exc).__name__}: {exc}", flush=True)
            w, lay = [], []
        for x in w:
            fig.add("all-England weight change", x)
        for x in lay:
            fig.add("all-England layer change", x)
        ctx.close()
    finally:
        srv.stop()


def streamlit_floor(browser, runs: int) -> float:  # noqa: ANN001
    """Median time for a one-line Streamlit page to show its text: Streamlit's own floor
    on this machine at this moment."""
    with tempfile.TemporaryDirectory(prefix="needsmap-bench-") as tmp:
        script = Path(tmp) / "hello.py"
        script.write_text('import streamlit as st\nst.write("hello needsmap")\n')
        srv = AppProcess(None, script)
        try:
            ctx = browser.new_context()
            ctx.add_init_script(
                "new MutationObserver(function (_, o) {"
                " if (document.body && document.body.innerText.indexOf('hello needsmap') >= 0)"
                " { window.__nmShown = performance.now(); o.disconnect(); } })"
                ".observe(document, {childList: true, subtree: true, characterData: true});")
            times = []
            for _ in range(runs + 1):
                page = ctx.new_page()
                page.goto(srv.url + "/", wait_until="commit")
                page.get_by_text("hello needsmap").wait_for(timeout=120_000)
                times.append(page.evaluate("window.__nmShown") / 1000)
                page.close()
            ctx.close()
        finally:
            srv.stop()
    return statistics.median(times[1:])


def _fmt(xs: list[tuple[float, float]]) -> str:
    if not xs:
        return "-"
    s = [x for x, _ in xs]
    loads = [f"{lo:.0f}" for _, lo in xs]
    med = statistics.median(s)
    return (f"{med:6.2f} (n={len(s)}, {min(s):.2f}-{max(s):.2f}; load {','.join(loads)})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", type=Path, required=True, help="the whole-England store")
    ap.add_argument("--before", type=Path, default=None,
                    help="a copy of the old code (src/, app.py, static/vendor) to compare with")
    ap.add_argument("--before-pyc", choices=["none", "compiled"], default="none",
                    help="old code without compiled bytecode (as its setup left it), or with")
    ap.add_argument("--rounds", type=int, default=2, help="server starts per code version")
    ap.add_argument("--runs", type=int, default=3, help="warm visits / redraws per round")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    if not args.db.is_file():
        ap.error("--db must be a built whole-England store")
    import duckdb
    from playwright.sync_api import sync_playwright

    con = duckdb.connect(str(args.db), read_only=True)
    lads = [r[0] for r in con.execute("SELECT DISTINCT lad_code FROM ward_indicators").fetchall()]
    con.close()
    rnd = random.Random(17)
    versions: list[tuple[Figures, Path | None]] = [(Figures("after (this checkout)"), None)]
    if args.before:
        versions.insert(0, (Figures(f"before ({args.before}, pyc {args.before_pyc})"),
                            args.before))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        floor = streamlit_floor(browser, args.runs)
        floor_load = load()
        for r in range(args.rounds):
            order = versions if r % 2 == 0 else list(reversed(versions))
            for fig, code in order:
                print(f"round {r + 1}: {fig.label} (load {load():.1f})", flush=True)
                one_round(browser, fig, args.db, code, args.before_pyc, args.runs, lads, rnd)
        browser.close()
    print(f"\nneedsmap app benchmark: chromium on 127.0.0.1, whole-England store "
          f"({args.db.name}), {os.cpu_count()} cores shared with other work; median seconds "
          "(n, range; 1-min load average when each was taken)\n")
    names = ["server start to healthy", *ISSUE]
    for name in names:
        was, target = ISSUE.get(name, ("", None))
        print(f"{name}" + (f"  [issue: {was}" + (f"; target <= {target:g} s]" if target else "]")
                           if was else ""))
        for fig, _ in versions:
            print(f"  {fig.label:45s} {_fmt(fig.rows.get(name, []))}")
    print(f"\nStreamlit floor (a one-line Streamlit page, same browser): {floor:.2f} s "
          f"(load {floor_load:.0f})")
    print("Times run from navigation start (visits) or the key press (changes) to the "
          "animation frame that drew the map, on the browser's clock.")
    if args.json:
        args.json.write_text(json.dumps({f.label: f.rows for f, _ in versions}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
