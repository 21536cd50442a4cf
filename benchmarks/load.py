"""Load test: 20 concurrent sessions against the Streamlit app on 127.0.0.1.

Two clients (``--client``):

* ``ws`` (default): each session is a Streamlit websocket client (the app's own protocol,
  ``streamlit.proto`` BackMsg/ForwardMsg over ``/_stcore/stream``). Every action opens a
  *new* Streamlit session from a permalink (area, layer and index weights in the query
  string), so each is a full server-side render of the Explore view with no browser cost:
  **switch LA**, **move weight** (new ``w=`` weights, the index recomputed for all England),
  **switch layer**. The response time runs from the request to ``script_finished``; an
  error is a timeout, a closed socket, a failed run or an exception element. This measures
  the app server, which is what 20 users share; on a 2-CPU machine 20 headless browsers
  would themselves use most of the CPU.
* ``browser``: Playwright browser contexts (Debian chromium), described below.

Starts ``streamlit run app.py`` on a free loopback port with the given store (default:
the whole-England store at ``$NEEDSMAP_DB``), then drives N Playwright browser contexts
(Debian chromium) for a bounded time. Each session opens the Explore view once from a permalink for a random local authority
and layer (**open page**: a new Streamlit session restores area and layer from the URL,
queries the store and draws the map), then loops over:

* **switch LA**: type another authority into the "Area" multiselect and remove the old
  one (two reruns, timed together);
* **move weight**: nudge a random ACE-weight slider with the keyboard (a rerun that
  recomputes the index for all England);
* **switch layer**: pick another map layer in the "Layer" select box (a rerun).

A response time is from the action to the app reporting it is idle again with the map
present. Errors: actions that time out, Streamlit exception boxes, page errors. Peak
memory is the largest RSS of the server process tree (psutil, sampled every 0.25 s).
Only 127.0.0.1 is contacted; no action starts after ``--seconds`` and the whole drive is
capped at 120 s (cancelled sessions count as errors).

    .venv/bin/python benchmarks/load.py --db /path/england.duckdb [--sessions 20] [--seconds 75]

Replicas (issue 22): ``--replicas 1 2`` runs the websocket drive once per count, in the
same run, against ``needsmap serve --replicas N`` (N app processes behind Debian's nginx;
a websocket with no route cookie goes to the replica with the fewest open connections),
and prints for each: sessions served per minute (each websocket action is a new
Streamlit session and a full render), p50/p95 render time, errors, the share each replica
served (nginx's access log), and the throughput ratio against 1 replica, the plain
reference. Target: 2 replicas >= 1.6x the throughput of 1 at 20 sessions, 0 errors::

    .venv/bin/python benchmarks/load.py --db /path/england.duckdb --replicas 1 2 --warm [--rounds 2]

All deployments are started and warmed first, then driven in turn (``--rounds`` times), so a
busy spell of the shared machine is not all charged to one of them; "cores used" (CPU
seconds of the deployment per second of the drive) shows whether the machine had the
cores to give.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import psutil

from needsmap.serve import AppProcess, free_port

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROME_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]
#: Layer keys and LAs come from the store / the app's layer registry.
IDLE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app) return false;
  const state = app.getAttribute('data-test-script-state');
  const running = document.querySelector('[data-testid="stStatusWidget"] [data-testid="stStatusWidgetRunningIcon"]');
  return state === 'notRunning' && !running;
}"""


#: The drive (all sessions) stops after this many seconds whatever happens.
HARD_CAP_S = 120.0


@dataclass
class Stats:
    times: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def add(self, kind: str, seconds: float) -> None:
        self.times.setdefault(kind, []).append(seconds)


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid`` and its live children."""
    total = 0.0
    try:
        p = psutil.Process(pid)
        for q in [p, *p.children(recursive=True)]:
            try:
                t = q.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
    except psutil.Error:
        pass
    return total


def store_choices(db: Path) -> tuple[list[str], list[str], dict[str, str]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "SELECT DISTINCT lad_code, lad_name FROM ward_indicators ORDER BY 1").fetchall()
    finally:
        con.close()
    lads, names = [r[0] for r in rows], {r[0]: r[1] for r in rows}
    sys.path.insert(0, str(REPO / "src"))
    from needsmap.views.layers import INDEX_LAYER, INDICATOR_LAYERS

    return lads, [INDEX_LAYER.key, *(lay.key for lay in INDICATOR_LAYERS)], names


class MemorySampler(threading.Thread):
    """Samples the app tree's RSS (peak) and the CPU seconds of the browsers (this process's
    other children, which exit before the end, so their CPU is summed from samples)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.proc = psutil.Process(pid)
        self.peak = 0
        self.stop = threading.Event()
        self.browser_cpu: dict[int, float] = {}

    def run(self) -> None:
        me = psutil.Process()
        while not self.stop.is_set():
            try:
                procs = [self.proc, *self.proc.children(recursive=True)]
                rss = sum(p.memory_info().rss for p in procs if p.is_running())
                self.peak = max(self.peak, rss)
                app_pids = {p.pid for p in procs}
                for q in me.children(recursive=True):
                    if q.pid in app_pids:
                        continue
                    try:
                        t = q.cpu_times()
                        self.browser_cpu[q.pid] = t.user + t.system
                    except psutil.Error:
                        pass
            except psutil.Error:
                pass
            self.stop.wait(0.25)


async def wait_idle(page, timeout: float) -> None:  # noqa: ANN001 - playwright Page
    await page.wait_for_timeout(150)  # let the rerun start
    await page.wait_for_function(IDLE_JS, timeout=timeout * 1000, polling=100)


async def session(i: int, browser, url: str, lads: list[str], layers: list[str],  # noqa: ANN001
                  deadline: float, stats: Stats, timeout: float, start_delay: float = 0.0,
                  names: dict[str, str] | None = None) -> None:
    rnd = random.Random(1000 + i)
    names = names or {}
    await asyncio.sleep(start_delay)  # sessions arrive over the ramp-up, not all at once
    ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await ctx.new_page()
    page.on("pageerror", lambda e: stats.errors.append(f"s{i} pageerror: {str(e)[:120]}"))

    async def check(kind: str) -> None:
        exc = await page.query_selector('[data-testid="stException"]')
        if exc:
            text = (await exc.inner_text())[:160].replace("\n", " ")
            stats.errors.append(f"s{i} {kind}: exception box: {text}")

    async def timed(kind: str, action) -> None:  # noqa: ANN001
        t = time.perf_counter()
        try:
            await action()
            await wait_idle(page, timeout)
        except Exception as exc:  # noqa: BLE001 - every failure is an error to count
            stats.errors.append(f"s{i} {kind}: {type(exc).__name__}: {str(exc)[:120]}")
            return
        stats.add(kind, time.perf_counter() - t)
        await check(kind)

    try:
        lad, layer = rnd.choice(lads), rnd.choice(layers)

        async def open_page() -> None:
            await page.goto(f"{url}/?view=explore&area={lad}&layer={layer}",
                            wait_until="domcontentloaded", timeout=timeout * 1000)
            # the run has rendered the sidebar widgets (not just the empty page shell)
            await page.wait_for_selector('[data-testid="stSlider"] input[type="range"]',
                                         timeout=timeout * 1000)

        await timed("open page", open_page)
        current = names.get(lad, lad)
        while time.monotonic() < deadline:
            target = names.get(rnd.choice(lads), "")

            async def switch_la(target: str = target, current: str = current) -> None:
                box = page.get_by_role("combobox", name="Area", exact=True)
                await box.click()
                await box.fill(target)
                await page.locator('[role="option"]').first.wait_for(timeout=timeout * 1000)
                await box.press("Enter")
                await wait_idle(page, timeout)
                old = page.locator(f'[data-testid="stMultiSelect"] [aria-label="Remove {current}"]')
                if current != target and await old.count():
                    await old.first.click()

            await timed("switch LA", switch_la)
            current = target
            for _ in range(2):
                if time.monotonic() >= deadline:
                    break

                async def move_weight() -> None:
                    sliders = page.locator('[data-testid="stSlider"] input[type="range"]')
                    n = await sliders.count()
                    if not n:
                        raise RuntimeError("no weight slider on the page")
                    s = sliders.nth(rnd.randrange(n))
                    await s.focus()
                    await s.press(rnd.choice(["ArrowRight", "ArrowLeft"]))

                await timed("move weight", move_weight)
            if time.monotonic() >= deadline:
                break

            async def switch_layer() -> None:
                box = page.get_by_role("combobox", name="Layer", exact=True)
                await box.click()
                opts = page.locator('[role="option"]')
                try:
                    await opts.first.wait_for(timeout=5000)
                except Exception:  # noqa: BLE001 - the list did not open on click: use the keyboard
                    await box.focus()
                    await box.press("ArrowDown")
                    await opts.first.wait_for(timeout=timeout * 1000)
                n = await opts.count()
                await opts.nth(rnd.randrange(n)).click()

            await timed("switch layer", switch_layer)
    finally:
        await ctx.close()


async def drive(url: str, n: int, seconds: float, lads: list[str], layers: list[str],
                timeout: float, ramp: float = 0.0, names: dict[str, str] | None = None) -> Stats:
    from playwright.async_api import async_playwright

    stats = Stats()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROME_ARGS,
                                           headless=True)
        deadline = time.monotonic() + seconds
        try:  # hard cap: the whole drive never exceeds HARD_CAP_S
            await asyncio.wait_for(
                asyncio.gather(*(session(i, browser, url, lads, layers, deadline, stats, timeout,
                                         ramp * i / max(1, n - 1), names) for i in range(n))),
                timeout=HARD_CAP_S)
        except TimeoutError:
            stats.errors.append(f"hard cap {HARD_CAP_S:.0f} s reached; unfinished actions cancelled")
        finally:
            await browser.close()
    return stats


async def ws_action(port: int, query: str, timeout: float) -> tuple[bool, str]:
    """One Streamlit session over the websocket: rerun with ``query``, wait for the end."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    async with websockets.connect(f"ws://127.0.0.1:{port}/_stcore/stream",
                                  subprotocols=["streamlit"], max_size=None,
                                  open_timeout=timeout) as ws:
        msg = BackMsg()
        msg.rerun_script.query_string = query
        msg.rerun_script.page_script_hash = ""
        await ws.send(msg.SerializeToString())
        while True:
            f = ForwardMsg()
            f.ParseFromString(await asyncio.wait_for(ws.recv(), timeout))
            kind = f.WhichOneof("type")
            if (kind == "delta" and f.delta.WhichOneof("type") == "new_element"
                    and f.delta.new_element.WhichOneof("type") == "exception"):
                return False, f"exception in the app: {f.delta.new_element.exception.message[:200]}"
            if kind == "script_finished":
                ok = f.script_finished == ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY
                return ok, "" if ok else f"script finished with status {f.script_finished}"


async def ws_session(i: int, port: int, lads: list[str], layers: list[str], deadline: float,
                     stats: Stats, timeout: float, delay: float) -> None:
    sys.path.insert(0, str(REPO / "src"))
    from needsmap.index.indicators import DEFAULT_NAMES

    rnd = random.Random(1000 + i)
    await asyncio.sleep(delay)
    lad, layer = rnd.choice(lads), rnd.choice(layers)
    weights = {n: 25 for n in DEFAULT_NAMES}
    kinds = ["open page"]
    while time.monotonic() < deadline:
        kind = kinds.pop(0) if kinds else rnd.choice(["switch LA", "move weight", "switch layer"])
        if kind == "switch LA":
            lad = rnd.choice(lads)
        elif kind == "move weight":
            weights[rnd.choice(DEFAULT_NAMES)] = rnd.randint(0, 100)
            if not any(weights.values()):
                weights[DEFAULT_NAMES[0]] = 10
        elif kind == "switch layer":
            layer = rnd.choice(layers)
        w = ",".join(f"{k}:{v}" for k, v in weights.items())
        query = f"view=explore&area={lad}&layer={layer}&w={w}"
        t = time.perf_counter()
        try:
            ok, why = await asyncio.wait_for(ws_action(port, query, timeout), timeout)
        except (TimeoutError, OSError, Exception) as exc:  # noqa: BLE001 - every failure counts
            ok, why = False, f"{type(exc).__name__}: {exc}"
        if ok:
            stats.add(kind, time.perf_counter() - t)
        else:
            stats.errors.append(f"session {i} {kind} ({query}): {why}")


async def drive_ws(port: int, n: int, seconds: float, lads: list[str], layers: list[str],
                   timeout: float, ramp: float = 0.0) -> Stats:
    stats = Stats()
    deadline = time.monotonic() + seconds
    try:
        await asyncio.wait_for(
            asyncio.gather(*(ws_session(i, port, lads, layers, deadline, stats, timeout,
                                        ramp * i / max(1, n - 1)) for i in range(n))),
            timeout=HARD_CAP_S)
    except TimeoutError:
        stats.errors.append(f"hard cap {HARD_CAP_S:.0f} s reached; unfinished actions cancelled")
    return stats


class Served:
    """``needsmap serve --replicas n`` in a subprocess (own process group), up when made."""

    def __init__(self, db: Path, n: int, timeout: float = 300) -> None:
        self.runtime = Path(tempfile.mkdtemp(prefix=f"needsmap-load-{n}r-"))
        self.port = free_port()
        self.out = open(self.runtime / "serve.out", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "needsmap.cli", "serve", "--replicas", str(n), "--port",
             str(self.port), "--db", str(db), "--runtime-dir", str(self.runtime / "run")],
            stdout=self.out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while self.status().get("state") != "serving":
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("needsmap serve did not come up: "
                                   + (self.runtime / "serve.out").read_text()[-2000:])
            time.sleep(0.3)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def status(self) -> dict:
        try:
            return json.loads((self.runtime / "run" / "status.json").read_text())
        except (OSError, ValueError):
            return {}

    def replica_ports(self) -> list[int]:
        return [int(r["address"].rsplit(":", 1)[1]) for r in self.status()["replicas"]]

    def sessions_per_replica(self) -> dict[str, int]:
        """Websocket sessions each replica served (nginx's access log, JSON lines)."""
        counts: dict[str, int] = {}
        log = self.runtime / "run" / "access.log"
        for line in log.read_text().splitlines() if log.exists() else []:
            row = json.loads(line)
            if row["request"].startswith("GET /_stcore/stream") and row["status"] == "101":
                counts[row["replica"]] = counts.get(row["replica"], 0) + 1
        return dict(sorted(counts.items()))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.out.close()


def run_replicas(a: argparse.Namespace, seconds: float, lads: list[str],
                 layers: list[str]) -> list[dict]:
    """The websocket drive against ``needsmap serve --replicas n`` for each n.

    Every deployment is started (and warmed) first and stays up; then each round drives
    them in turn, so a busy or quiet spell of the shared machine falls on all of them
    (an idle deployment uses no CPU)."""
    servers: dict[int, Served] = {}
    samplers: dict[int, MemorySampler] = {}
    rows = []
    try:
        for n in a.replicas:
            servers[n] = Served(a.db, n)
            samplers[n] = MemorySampler(servers[n].pid)
            samplers[n].start()
        if a.warm:  # each replica's caches, directly (not through nginx), in parallel
            async def warm(ports: list[int]) -> None:
                await asyncio.gather(*(ws_action(p, f"view=explore&area={lads[0]}", 180)
                                       for p in ports))
            for srv in servers.values():
                asyncio.run(warm(srv.replica_ports()))
        for rnd in range(a.rounds):
            for n, srv in servers.items():
                load_before = os.getloadavg()
                shares0, cpu0 = srv.sessions_per_replica(), tree_cpu(srv.pid)
                restarts0 = sum(r["restarts"] for r in srv.status()["replicas"])
                t0 = time.perf_counter()
                stats = asyncio.run(drive_ws(srv.port, a.sessions, seconds, lads, layers,
                                             a.timeout, a.ramp))
                wall = time.perf_counter() - t0
                cpu = tree_cpu(srv.pid) - cpu0
                time.sleep(0.5)  # the last websockets reach nginx's log
                shares = {k: v - shares0.get(k, 0)
                          for k, v in srv.sessions_per_replica().items()}
                restarts = sum(r["restarts"] for r in srv.status()["replicas"]) - restarts0
                all_t = [t for ts in stats.times.values() for t in ts]
                rows.append({
                    "round": rnd + 1, "replicas": n, "sessions": a.sessions,
                    "seconds": round(wall, 1), "served": len(all_t),
                    "served_per_min": round(len(all_t) / wall * 60, 1),
                    "errors": len(stats.errors), "first_errors": stats.errors[:5],
                    "p50_s": round(pct(all_t, 0.5), 3), "p95_s": round(pct(all_t, 0.95), 3),
                    "cpu_s": round(cpu, 1), "cores_used": round(cpu / wall, 2),
                    "cpu_s_per_render": round(cpu / max(1, len(all_t)), 3),
                    "per_replica": shares, "replica_restarts": restarts,
                    "load_before": [round(x, 2) for x in load_before],
                    "load_after": [round(x, 2) for x in os.getloadavg()],
                })
    finally:
        for n, srv in servers.items():
            samplers[n].stop.set()
            samplers[n].join(timeout=2)
            srv.stop()
    for r in rows:
        r["peak_rss_mb"] = round(samplers[r["replicas"]].peak / 2**20)
    return rows


def print_replicas(rows: list[dict], a: argparse.Namespace) -> None:
    print(f"load through nginx: {a.sessions} concurrent websocket sessions (ramp-up "
          f"{a.ramp:.0f} s, actions started for {min(a.seconds, HARD_CAP_S - a.timeout):.0f} s) "
          f"against {a.db.name}; {os.cpu_count()} CPUs; {a.rounds} round(s), the "
          "deployments driven in turn")
    print(f"  {'round':>5} {'replicas':>8} {'served/min':>10} {'ratio':>6} {'p50 s':>6} "
          f"{'p95 s':>6} {'errors':>6} {'cores used':>10} {'CPU-s/render':>12}  "
          "load 1-min before -> after   per replica")
    ratios: dict[int, list[float]] = {}
    for r in rows:
        one = next((x for x in rows if x["round"] == r["round"] and x["replicas"] == 1), None)
        ratio = r["served_per_min"] / one["served_per_min"] if one else None
        if ratio is not None:
            ratios.setdefault(r["replicas"], []).append(ratio)
        print(f"  {r['round']:>5} {r['replicas']:>8} {r['served_per_min']:>10.1f} "
              f"{f'{ratio:.2f}' if ratio else '-':>6} {r['p50_s']:>6.2f} {r['p95_s']:>6.2f} "
              f"{r['errors']:>6} {r['cores_used']:>10.2f} {r['cpu_s_per_render']:>12.3f}  "
              f"{r['load_before'][0]:>5.2f} -> {r['load_after'][0]:<5.2f}              "
              f"{r['per_replica']}")
        if r["replica_restarts"]:
            print(f"    {r['replica_restarts']} replica restart(s) during the drive "
                  "(a replica died or failed its health checks)")
        for e in r["first_errors"]:
            print("    error:", e)
    print("  peak memory (all replicas and nginx): " + ", ".join(
        f"{n} replica(s) {max(r['peak_rss_mb'] for r in rows if r['replicas'] == n)} MB"
        for n in dict.fromkeys(r["replicas"] for r in rows)))
    if 2 in ratios:
        med = statistics.median(ratios[2])
        ok = med >= 1.6 and not any(r["errors"] for r in rows)
        print(f"  2 replicas / 1: {', '.join(f'{x:.2f}' for x in ratios[2])} (median {med:.2f}); "
              f"target >= 1.6x with 0 errors: {'met' if ok else 'NOT met'}")


def pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", type=Path, default=Path(os.environ.get("NEEDSMAP_DB", "")))
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60,
                    help="start no new action after this (the drive is capped at 120 s)")
    ap.add_argument("--timeout", type=float, default=60, help="per-action timeout (s)")
    ap.add_argument("--ramp", type=float, default=20,
                    help="sessions start evenly over this many seconds (then all 20 run at once)")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    ap.add_argument("--client", choices=["ws", "browser"], default="ws",
                    help="websocket sessions (server load) or chromium browser sessions")
    ap.add_argument("--warm", action="store_true",
                    help="one untimed request first, so the store caches are loaded")
    ap.add_argument("--code", type=Path, default=None,
                    help="serve the app from another checkout (its src/ and app.py), e.g. the "
                         "old code, to compare in the same session")
    ap.add_argument("--replicas", type=int, nargs="+", default=None, metavar="N",
                    help="run the websocket drive through `needsmap serve --replicas N` "
                         "for each N (e.g. 1 2), and print the throughput ratio to 1")
    ap.add_argument("--rounds", type=int, default=1,
                    help="with --replicas: drive every deployment this many times, in turn")
    a = ap.parse_args(argv)
    seconds = min(a.seconds, HARD_CAP_S - a.timeout)
    if not a.db or not a.db.is_file():
        ap.error("--db must name a built store (whole England for the benchmark)")
    lads, layers, names = store_choices(a.db)
    if a.replicas:
        if a.client != "ws" or min(a.replicas) < 1:
            ap.error("--replicas takes counts >= 1 and the websocket client")
        if a.code is not None:
            ap.error("--code and --replicas cannot be combined")
        rows = run_replicas(a, seconds, lads, layers)
        print_replicas(rows, a)
        if a.json:
            a.json.write_text(json.dumps(rows, indent=2))
        return 0 if not any(r["errors"] for r in rows) else 1
    if a.code is not None:  # another checkout's app.py, importing its own src/
        os.environ["PYTHONPATH"] = str(a.code / "src")
        app = AppProcess(a.db, script=a.code / "app.py", timeout=600, new_session=True)
    else:  # own group: killpg stops it whole
        app = AppProcess(a.db, timeout=600, new_session=True)
    port = app.port
    sampler = None
    try:
        sampler = MemorySampler(app.pid)
        sampler.start()
        base_rss = sampler.proc.memory_info().rss
        # the server may go on warming its caches in the background after it answers:
        # start timing once its CPU has settled (less than 0.2 CPU-s in 2 s; at most 300 s)
        settle_t0, last = time.monotonic(), tree_cpu(app.pid)
        while time.monotonic() - settle_t0 < 300:
            time.sleep(2)
            now = tree_cpu(app.pid)
            if now - last < 0.2:
                break
            last = now
        cpu_app0 = tree_cpu(app.pid)
        t0 = time.perf_counter()
        if a.warm:
            asyncio.run(ws_action(port, f"view=explore&area={lads[0]}", 120))
            cpu_app0 = tree_cpu(app.pid)
            t0 = time.perf_counter()
        if a.client == "ws":
            stats = asyncio.run(drive_ws(port, a.sessions, seconds, lads, layers, a.timeout,
                                         a.ramp))
        else:
            stats = asyncio.run(drive(f"http://127.0.0.1:{port}", a.sessions, seconds, lads,
                                      layers, a.timeout, a.ramp, names))
        wall = time.perf_counter() - t0
        cpu_app = tree_cpu(app.pid) - cpu_app0
        cpu_browsers = sum(sampler.browser_cpu.values())
    finally:
        if sampler:
            sampler.stop.set()
            sampler.join(timeout=2)
        try:
            os.killpg(app.pid, signal.SIGTERM)
            app.proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(app.pid, signal.SIGKILL)
        app.log.close()
    all_t = [t for ts in stats.times.values() for t in ts]
    fig = {
        "client": a.client, "store": str(a.db), "lads": len(lads), "sessions": a.sessions, "seconds": round(wall, 1),
        "ramp_s": a.ramp, "action_timeout_s": a.timeout, "load_average_at_end": os.getloadavg(),
        "cpus": os.cpu_count(), "first_errors": stats.errors[:10],
        "actions": len(all_t), "errors": len(stats.errors),
        "p50_s": round(pct(all_t, 0.5), 3), "p95_s": round(pct(all_t, 0.95), 3),
        "by_action": {k: {"n": len(v), "p50_s": round(pct(v, 0.5), 3),
                          "p95_s": round(pct(v, 0.95), 3),
                          "mean_s": round(statistics.fmean(v), 3)}
                      for k, v in stats.times.items()},
        "app_cpu_s": round(cpu_app, 1), "browsers_and_driver_cpu_s": round(cpu_browsers, 1),
        "app_rss_start_mb": round(base_rss / 2**20),
        "app_peak_rss_mb": round((sampler.peak if sampler else 0) / 2**20),
    }
    print(f"load: {a.sessions} concurrent {'websocket' if a.client == 'ws' else 'browser'} sessions "
          f"(ramp-up {a.ramp:.0f} s) for {wall:.0f} s "
          f"against {a.db.name} ({len(lads)} LADs) on 127.0.0.1; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"  actions {fig['actions']}, errors {fig['errors']}, "
          f"p50 {fig['p50_s']:.2f} s, p95 {fig['p95_s']:.2f} s")
    for k, v in fig["by_action"].items():
        print(f"  {k:13s} n={v['n']:4d}  p50 {v['p50_s']:.2f} s  p95 {v['p95_s']:.2f} s")
    print(f"  app memory: {fig['app_rss_start_mb']} MB at start, peak {fig['app_peak_rss_mb']} MB")
    fig["app_cpu_s_per_render"] = round(cpu_app / max(1, fig["actions"]), 3)
    print(f"  app CPU per render: {fig['app_cpu_s_per_render']:.3f} s "
          "[issue 17 before: 20 sessions p50 7.5 s, p95 10.1 s, 0.46 CPU-s per render; "
          "target p95 <= 3 s]")
    print(f"  CPU used: app {fig['app_cpu_s']} s, browsers + driver {fig['browsers_and_driver_cpu_s']} s "
          f"(of {wall * (os.cpu_count() or 1):.0f} CPU-seconds available)")
    for e in stats.errors[:20]:
        print("  error:", e)
    if a.json:
        a.json.write_text(json.dumps(fig, indent=2))
    return 0 if not stats.errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
