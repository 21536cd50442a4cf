"""Browser benchmark of the map app: time to painted polygons, and weight-change redraw.

Serves ``app.py`` on 127.0.0.1 (one server per store) and drives Debian chromium with
Playwright. For each view it measures, from navigation start, the time until the ward
polygons are drawn (the map's hidden ``#nm-painted`` marker, written on the animation
frame after Leaflet adds the layer), and the time from a weight-slider change until the
map is redrawn with the new index.

Targets (issue 5): one LA <= 1.5 s, all England (6,817 wards since issue 14) <= 5 s.

Usage::

    NEEDSMAP_MIRROR=../shared/geodata .venv/bin/needsmap build --la Blackpool --db /tmp/h_app/blackpool.duckdb
    NEEDSMAP_MIRROR=../shared/geodata .venv/bin/needsmap build --db /tmp/h_app/england.duckdb
    .venv/bin/python benchmarks/app.py --la-db /tmp/h_app/blackpool.duckdb \
        --england-db /tmp/h_app/england.duckdb [--runs 5] [--build]

The machine is shared (2 cores), so the load average is printed beside the figures;
"cold" is the first navigation after the server starts (store opened, geometry
simplified and cached), "warm" the median of the following runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time
from pathlib import Path

from needsmap.serve import AppProcess

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
IFRAME = 'iframe[title="streamlit_folium.st_folium"]'


def painted(page, version: int = 1, timeout: float = 180.0) -> dict[str, str]:  # noqa: ANN001
    fr = page.frame_locator(IFRAME)
    m = fr.locator("#nm-painted")
    m.wait_for(state="attached", timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    while int(m.get_attribute("data-version") or 0) < version:
        if time.monotonic() > deadline:
            raise TimeoutError("map not redrawn")
        time.sleep(0.02)
    return {k: m.get_attribute(f"data-{k}") or "" for k in ("n", "renderer", "paint-ms", "painted-at")}


def time_load(ctx, url: str) -> tuple[float, dict[str, str]]:  # noqa: ANN001
    """Seconds from the page's navigation start to the frame that drew the polygons.

    Both ends are the browser's own clocks (``performance.timeOrigin`` of the page, and
    the map's paint marker written on the animation frame after the polygons were added),
    so the time Playwright takes to notice the marker is not counted.
    """
    page = ctx.new_page()
    t0 = time.perf_counter()
    page.goto(url, wait_until="commit")
    info = painted(page)
    info["seen_s"] = f"{time.perf_counter() - t0:.3f}"  # when Playwright noticed, for reference
    nav_start = page.evaluate("performance.timeOrigin")
    dt = (float(info["painted-at"]) - nav_start) / 1000
    page.close()
    return dt, info


def time_weight_change(ctx, url: str, runs: int) -> list[float]:  # noqa: ANN001
    page = ctx.new_page()
    page.goto(url)
    painted(page)
    marker = page.frame_locator(IFRAME).locator("#nm-painted")
    slider = page.get_by_role("slider", name="Health deprivation and disability")
    out = []
    for i in range(runs):
        v = int(marker.get_attribute("data-version"))
        slider.focus()
        t0 = page.evaluate("performance.timeOrigin + performance.now()")
        page.keyboard.press("End" if i % 2 == 0 else "Home")
        info = painted(page, version=v + 1)
        out.append((float(info["painted-at"]) - t0) / 1000)
    page.close()
    return out


def streamlit_floor(browser, runs: int) -> float:  # noqa: ANN001
    """Median time for a one-line Streamlit page to show its text: Streamlit's own floor
    on this machine at this moment, for reading the app's figures against."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="needsmap-bench-") as tmp:
        script = Path(tmp) / "hello.py"
        script.write_text('import streamlit as st\nst.write("hello needsmap")\n')
        srv = AppProcess(None, script)
        try:
            ctx = browser.new_context()
            # the moment the text enters the DOM, on the page's own clock (as for the map)
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


def geometry_bytes(db: Path, lads: tuple[str, ...] | None) -> int:
    """Size of the simplified geometry the view sends (measured in-process)."""
    os.environ["NEEDSMAP_DB"] = str(db)
    import logging

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    from needsmap.views import data

    info = data.open_info(db)
    return len(data.display_geometry(info.token, lads).features_json)


def build(db: Path, la: str | None) -> None:
    cmd = [str(REPO / ".venv" / "bin" / "needsmap"), "build", "--db", str(db)]
    if la:
        cmd += ["--la", la]
    subprocess.run(cmd, check=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--la-db", type=Path, default=Path("/tmp/h_app/blackpool.duckdb"))
    ap.add_argument("--la-code", default="E06000009", help="LA to show from --la-db")
    ap.add_argument("--england-db", type=Path, default=Path("/tmp/h_app/england.duckdb"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--build", action="store_true", help="build missing stores from the mirror")
    args = ap.parse_args()
    if args.build:
        if not args.la_db.exists():
            build(args.la_db, "Blackpool")
        if not args.england_db.exists():
            build(args.england_db, None)
    from playwright.sync_api import sync_playwright

    cases = [
        ("one LA (Blackpool, 21 wards)", args.la_db, f"?basemap=none&area={args.la_code}", 1.5,
         (args.la_code,)),
        ("all England (6,817 wards)", args.england_db, "?basemap=none&area=__all__", 5.0, None),
    ]
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        floor = streamlit_floor(browser, args.runs)
        for label, db, query, target, lads in cases:
            if not db.exists():
                print(f"skip {label}: no store at {db} (use --build)")
                continue
            srv = AppProcess(db)
            try:
                ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
                cold, info = time_load(ctx, srv.url + "/" + query)
                loads = [time_load(ctx, srv.url + "/" + query) for _ in range(args.runs)]
                warm = [dt for dt, _ in loads]
                info["seen_median"] = statistics.median(float(i["seen_s"]) for _, i in loads)
                redraw = time_weight_change(ctx, srv.url + "/" + query + "&method=weighted",
                                            args.runs)
                ctx.close()
            finally:
                srv.stop()
            rows.append((label, target, cold, warm, redraw, info, geometry_bytes(db, lads)))
        browser.close()
    load = os.getloadavg()
    print(f"\nneedsmap app benchmark (chromium, 127.0.0.1; load average "
          f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores)\n")
    print(f"{'view':34} {'wards':>6} {'render':>7} {'geom KB':>8} {'cold s':>7} "
          f"{'warm s (median/min)':>20} {'target':>7} {'weight redraw s':>16}")
    ok = True
    for label, target, cold, warm, redraw, info, gbytes in rows:
        med = statistics.median(warm)
        ok &= med <= target
        print(f"{label:34} {info['n']:>6} {info['renderer']:>7} {gbytes / 1024:>8.0f} "
              f"{cold:>7.2f} {med:>11.2f} / {min(warm):<6.2f} {target:>7.1f} "
              f"{statistics.median(redraw):>9.2f} / {min(redraw):.2f}"
              + ("" if med <= target else "  (over target)"))
    for label, _t, _c, _w, _r, info, _g in rows:
        print(f"{label}: Playwright noticed the paint marker after {info['seen_median']:.2f} s "
              "(median; polling latency included, not the measure)")
    print(f"\nStreamlit floor (a one-line Streamlit page, same browser, now): {floor:.2f} s")
    print("warm = navigation start -> polygons drawn, server caches warm; cold = first load.")
    print("weight redraw = slider change -> new index drawn (median / min).")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
