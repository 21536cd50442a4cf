"""``needsmap serve``: app replicas behind Debian's nginx, in a real browser.

Starts ``needsmap serve --replicas 2`` on loopback with the Blackpool store (a subprocess,
as a user runs it), then with Playwright + Debian chromium:

* two new browser sessions (two contexts: two cookie jars) land on the two replicas and
  both get the map; each keeps every HTTP request and its one websocket on its replica
  through several interactions (nginx's ``X-Upstream`` header, and its access log, which
  names the replica for every request and the route cookie of the browser that made it);
* the Leaflet files come from nginx itself, nothing leaves 127.0.0.1;
* a replica killed with SIGKILL: new sessions still load (also one whose cookie named the
  dead replica), a page that was open on it reconnects to the other and stays there, the
  supervisor restarts it and routes to it again;
* a replica that hangs (SIGSTOP) is marked down after three failed health checks and
  replaced;
* SIGTERM (and Ctrl-C's SIGINT) stop nginx and every replica, leaving no process behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest
from test_app_support import (
    SCREENSHOTS,
    local_only,
    wait_idle,
)
from test_app_support import wait_painted as _wait_painted

from needsmap.nginx import ROUTE_COOKIE, NginxError, nginx_binary
from needsmap.serve import free_port

pytestmark = pytest.mark.browser

playwright = pytest.importorskip("playwright.sync_api")


def _nginx_or_fail() -> None:
    try:
        nginx_binary()
    except NginxError as exc:
        pytest.fail(str(exc))


class Served:
    """A ``needsmap serve`` subprocess and what it reports in its runtime folder."""

    def __init__(self, db: Path, runtime: Path, replicas: int = 2, timeout: float = 240) -> None:
        _nginx_or_fail()
        self.runtime = runtime
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.out = open(runtime.parent / f"{runtime.name}.out", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "needsmap.cli", "serve", "--replicas", str(replicas),
             "--port", str(self.port), "--db", str(db), "--runtime-dir", str(runtime)],
            stdout=self.out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while self.state() != "serving":
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"needsmap serve did not come up: {self.output()}")
            time.sleep(0.3)

    def wait_up(self, timeout: float = 120) -> None:
        """Wait until every replica is ``up`` (on a loaded machine a health check can time
        out once and a replica is briefly ``starting`` or restarting)."""
        deadline = time.monotonic() + timeout
        while not all(r["state"] == "up" for r in self.replicas()):
            assert time.monotonic() < deadline, f"replicas not up: {self.output()}"
            time.sleep(0.3)

    def status(self) -> dict:
        try:
            return json.loads((self.runtime / "status.json").read_text())
        except (OSError, ValueError):
            return {}

    def state(self) -> str | None:
        return self.status().get("state")

    def replicas(self) -> list[dict]:
        return self.status()["replicas"]

    def output(self) -> str:
        self.out.flush()
        return (self.runtime.parent / f"{self.runtime.name}.out").read_text(errors="replace")

    def access_log(self) -> list[dict]:
        """nginx's access log (JSON lines): request, status, route, upstream..."""
        text = (self.runtime / "access.log").read_text()
        return [json.loads(line) for line in text.splitlines()]

    def processes(self) -> list[psutil.Process]:
        """The supervisor and every process under it (replicas, nginx master and workers)."""
        p = psutil.Process(self.proc.pid)
        return [p, *p.children(recursive=True)]

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.out.close()
        return self.proc.returncode


@pytest.fixture(scope="module")
def served(blackpool_store, tmp_path_factory):
    srv = Served(blackpool_store, tmp_path_factory.mktemp("serve") / "run")
    yield srv
    srv.stop()


class Session:
    """One browser session (its own context, so its own route cookie), offline but for
    127.0.0.1, recording the replica named on every response and its websockets."""

    def __init__(self, browser, url: str, route: str | None = None) -> None:  # noqa: ANN001
        self.ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        self.ctx.route("**/*", local_only)
        if route:
            self.ctx.add_cookies([{"name": ROUTE_COOKIE, "value": route, "url": url}])
        self.url = url
        self.upstreams: dict[str, set[str]] = {}  # path -> replicas that answered
        self.nginx_files: list[str] = []  # answered by nginx itself (static files)
        self.sockets: list = []
        self.page = self.ctx.new_page()
        self.page.set_default_timeout(120_000)
        self.page.on("response", self._response)
        self.page.on("websocket", lambda ws: self.sockets.append(ws))

    def _response(self, resp) -> None:  # noqa: ANN001
        if not resp.url.startswith(self.url):
            return
        path = resp.url[len(self.url):].split("?")[0]
        up = resp.headers.get("x-upstream")
        if up:
            self.upstreams.setdefault(path, set()).add(up)
        else:
            self.nginx_files.append(path)

    def route(self) -> str:
        """The route cookie: the name of the replica the browser is pinned to (r1, r2)."""
        return next(c["value"] for c in self.ctx.cookies() if c["name"] == ROUTE_COOKIE)

    def first_replica(self) -> str:
        """Fetch the page once (sets the route cookie) and return the replica that served it."""
        r = self.ctx.request.get(f"{self.url}/")
        assert r.ok, r.status
        return r.headers["x-upstream"]

    def open_map(self, query: str = "basemap=none", n: int | None = 21) -> None:
        self.page.goto(f"{self.url}/?{query}")
        try:
            self.wait_painted(n=n)
        except Exception as exc:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(SCREENSHOTS / "serve_failed.png"))
            raise AssertionError(
                f"no map: replicas {self.upstreams}, websockets "
                f"{[(w.url, w.is_closed()) for w in self.sockets]}") from exc

    def wait_painted(self, version: int = 1, n: int | None = 21):  # noqa: ANN201
        """Wait until the map (the app's own element in the page) has drawn ``version``."""
        return _wait_painted(self.page, n=n, version=version)

    def version(self) -> int:
        """The map's paint count once the app is idle (a change then paints the next one)."""
        wait_idle(self.page)
        return int(self.page.locator("#nm-painted").get_attribute("data-version") or 0)

    def replicas_seen(self) -> set[str]:
        return set().union(*self.upstreams.values()) if self.upstreams else set()

    def close(self) -> None:
        self.ctx.close()


def _sessions_on_both(browser, served: Served, tries: int = 20) -> tuple[Session, Session]:  # noqa: ANN001
    """Two sessions on different replicas (a new browser lands on a random one)."""
    a = Session(browser, served.url)
    ra = a.first_replica()
    for _ in range(tries):
        b = Session(browser, served.url)
        if b.first_replica() != ra:
            return a, b
        b.close()
    raise AssertionError(f"{tries} new browsers all landed on {ra}: routing is not spread")


def _routed_soon(url: str, timeout: float = 15) -> None:
    """nginx routes to a replica marked up again once its reload (a HUP) has new workers,
    a moment after the status says so; until then it answers 502, as with no live upstream."""
    deadline = time.monotonic() + timeout
    while httpx.get(f"{url}/_stcore/health").text != "ok":
        assert time.monotonic() < deadline, "nginx does not route to the replica marked up"
        time.sleep(0.2)


def test_two_sessions_each_stay_on_one_replica(browser, served):
    served.wait_up()
    addresses = {r["address"] for r in served.replicas()}
    assert len(addresses) == 2
    a, b = _sessions_on_both(browser, served)
    try:
        for s in (a, b):
            # The weighted method's sliders are the indicators (the default is domains).
            s.open_map("basemap=none&method=weighted")
        # Several interactions, each a rerun over the session's websocket.
        for s in (a, b):
            v = s.version()
            s.page.get_by_role("slider", name="Health deprivation and disability").focus()
            s.page.keyboard.press("End")
            root = s.wait_painted(version=v + 1)
            root.locator("path.nm-ward").nth(5).dispatch_event("click")
            s.page.get_by_text("What drives this ward").wait_for()
            s.page.wait_for_function("() => location.search.includes('ward=E05')")
            v = s.version()
            s.page.get_by_role("slider", name="Health deprivation and disability").focus()
            s.page.keyboard.press("Home")
            s.wait_painted(version=v + 1)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        a.page.screenshot(path=str(SCREENSHOTS / "serve_replica_a.png"))
        b.page.screenshot(path=str(SCREENSHOTS / "serve_replica_b.png"))
        for s in (a, b):
            assert len(s.sockets) == 1, "the websocket reconnected"
            assert not s.sockets[0].is_closed()
            assert len(s.replicas_seen()) == 1, s.upstreams  # every proxied response
        assert a.replicas_seen() | b.replicas_seen() == addresses
        # Leaflet came from nginx's own static location (the page is offline but 127.0.0.1).
        assert any(p.startswith("/app/static/vendor/leaflet/") for p in a.nginx_files)
        routes = {a.route(): a.replicas_seen(), b.route(): b.replicas_seen()}
    finally:
        a.close()
        b.close()
    # The access log (a websocket is logged when it closes) names one replica for every
    # request a browser made with its route cookie: page and websocket (the map element's
    # code comes over the websocket, so there are no component files to fetch).
    time.sleep(0.5)
    log = served.access_log()
    assert set(routes) == {"r1", "r2"}
    for route, seen in routes.items():
        mine = [r for r in log if r["route"] == route]
        assert any(r["request"].startswith("GET /_stcore/stream") and r["status"] == "101"
                   for r in mine), mine
        assert any(r["request"].startswith("GET /?basemap=none") for r in mine), mine
        assert {r["upstream"] for r in mine if r["upstream"]} == seen, mine


def test_a_killed_replica_is_routed_around_and_restarted(browser, served):
    before = {r["index"]: r for r in served.replicas()}
    victim, survivor = before[1], before[2]["address"]
    # A page open on replica 1 (route cookie "r1") when it dies.
    old = Session(browser, served.url, route="r1")
    try:
        old.open_map()
        assert old.replicas_seen() == {victim["address"]}
        old.upstreams.clear()

        os.kill(victim["pid"], signal.SIGKILL)
        t_kill = time.monotonic()
        # New sessions still load: a browser pinned to the dead replica, and a new one.
        loaded = []
        for route in ("r1", None):
            n = Session(browser, served.url, route=route)
            try:
                n.open_map()
                assert n.page.locator('[data-testid="stException"]').count() == 0
                loaded.append((round(time.monotonic() - t_kill, 1), n.upstreams["/"], n.route()))
            finally:
                n.close()
        print(f"after the kill: (s, replicas tried, cookie) {loaded}")
        # The browser pinned to the dead replica asked for its page at once, well before a
        # restarted replica can answer, and got it from the survivor (X-Upstream lists
        # every replica tried: nginx skipped the dead one), which its cookie now names.
        # (The new browser goes to whichever live replica has the fewest connections.)
        _, tried, cookie = loaded[0]
        assert {u.split(", ")[-1] for u in tried} == {survivor}, loaded
        assert cookie == "r2"

        # The supervisor restarts the replica and routes to it again.
        deadline = time.monotonic() + 120
        while True:
            now = {r["index"]: r for r in served.replicas()}[1]
            if now["state"] == "up" and now["restarts"] >= 1 and now["pid"] != victim["pid"]:
                break
            assert time.monotonic() < deadline, f"replica 1 was not restarted: {served.output()}"
            time.sleep(0.5)
        assert "exited with code -9" in served.output()
        assert psutil.pid_exists(now["pid"])
        time.sleep(1)  # the nginx reload
        # The page that was open reconnected its websocket through nginx to the survivor,
        # was re-pinned there (the cookie set on the handshake), got the map again from
        # it, and sent no request back to replica 1 once that was up again. (What the app
        # shows in a session that reconnects to a fresh process is the app's business: a
        # single restarted app behaves the same.)
        assert len(old.sockets) >= 2 and not old.sockets[-1].is_closed(), old.sockets
        assert old.route() == "r2"
        old.wait_painted()
        assert old.page.locator('[data-testid="stException"]').count() == 0
        assert {u.split(", ")[-1] for u in old.replicas_seen()} == {survivor}, old.upstreams
    finally:
        old.close()
    # A browser pinned to replica 1 is served by the restarted replica 1 again.
    r = httpx.get(f"{served.url}/", cookies={ROUTE_COOKIE: "r1"})
    assert r.status_code == 200 and r.headers["x-upstream"] == now["address"]
    back = Session(browser, served.url, route="r1")
    try:
        back.open_map()
        assert back.replicas_seen() == {now["address"]}
    finally:
        back.close()


def test_sigterm_stops_nginx_and_every_replica(served):
    procs = served.processes()
    names = " ".join(p.name() for p in procs)
    assert "nginx" in names and len(procs) >= 5, names  # supervisor, 2 replicas, nginx x2
    assert served.stop(signal.SIGTERM) == 0
    gone, alive = psutil.wait_procs(procs, timeout=15)
    assert not alive, f"left running: {alive}"
    assert json.loads((served.runtime / "status.json").read_text())["state"] == "stopped"


def test_ctrl_c_stops_everything(blackpool_store, tmp_path):
    srv = Served(blackpool_store, tmp_path / "run", replicas=1)
    procs = srv.processes()
    assert httpx.get(f"{srv.url}/_stcore/health").text == "ok"
    assert srv.stop(signal.SIGINT) == 0
    _, alive = psutil.wait_procs(procs, timeout=15)
    assert not alive, f"left running: {alive}"


def test_a_rebuilt_store_reaches_every_replica(browser, blackpool_store, mirror, tmp_path):
    """``needsmap build`` replaces the served store (Blackpool -> Dudley): within seconds a
    new session on each replica shows the new store, with no restart."""
    import shutil

    db = tmp_path / "served.duckdb"
    shutil.copy(blackpool_store, db)
    srv = Served(db, tmp_path / "run")

    def title(route: str) -> str:
        s = Session(browser, srv.url, route=route)
        try:
            s.open_map(n=None)
            return s.page.get_by_text("ACE index (modelled risk) ·").first.inner_text()
        finally:
            s.close()

    try:
        assert all("Blackpool" in title(r) for r in ("r1", "r2"))
        subprocess.run([sys.executable, "-m", "needsmap.cli", "build", "--db", str(db), "--la",
                        "Dudley", "--mirror", str(mirror), "--cache", str(tmp_path / "cache"),
                        "--offline"], check=True, capture_output=True, timeout=900)
        time.sleep(5)
        seen = {r: title(r) for r in ("r1", "r2")}
        assert all("Dudley" in t for t in seen.values()), seen
    finally:
        srv.stop()


def test_a_hung_replica_is_restarted(blackpool_store, tmp_path):
    """A replica that stops answering (SIGSTOP) but does not exit is marked down after
    three failed health checks, killed and restarted."""
    srv = Served(blackpool_store, tmp_path / "run", replicas=1)
    try:
        srv.wait_up()
        hung = srv.replicas()[0]
        os.kill(hung["pid"], signal.SIGSTOP)
        t0 = time.monotonic()
        deadline = t0 + 240  # 3 checks of 5 s, then a new Streamlit start on a loaded machine
        while True:
            r = srv.replicas()[0]
            if r["state"] == "up" and r["restarts"] >= 1:
                break
            assert time.monotonic() < deadline, f"not restarted: {srv.output()}"
            time.sleep(0.5)
        print(f"hung replica replaced in {time.monotonic() - t0:.1f} s")
        assert "failed 3 health checks" in srv.output()
        assert not psutil.pid_exists(hung["pid"]) or \
            psutil.Process(hung["pid"]).status() == psutil.STATUS_ZOMBIE
        _routed_soon(srv.url)
    finally:
        assert srv.stop() == 0


def test_replicas_on_other_machines_are_health_checked(blackpool_store, tmp_path):
    """``--upstream HOST:PORT``: nginx routes to replicas the supervisor did not start; one
    that goes away is marked down, and routed to again once it answers."""
    from needsmap.serve import AppProcess

    _nginx_or_fail()
    app = AppProcess(blackpool_store)
    port = free_port()
    out = open(tmp_path / "serve.out", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "needsmap.cli", "serve", "--upstream", f"127.0.0.1:{app.port}",
         "--port", str(port), "--runtime-dir", str(tmp_path / "run")],
        stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def status() -> dict:
        try:
            return json.loads((tmp_path / "run" / "status.json").read_text())
        except (OSError, ValueError):
            return {}

    def wait(pred, what: str) -> None:  # noqa: ANN001
        deadline = time.monotonic() + 120
        while not pred(status()):
            assert time.monotonic() < deadline, f"{what}: {(tmp_path / 'serve.out').read_text()}"
            time.sleep(0.3)

    try:
        wait(lambda s: s.get("state") == "serving", "serve did not come up")
        r = httpx.get(f"http://127.0.0.1:{port}/")
        assert r.status_code == 200 and "x-upstream" not in r.headers  # not shown off-machine
        assert r.cookies[ROUTE_COOKIE] == "r1"
        app.stop()
        wait(lambda s: s["replicas"][0]["state"] == "down", "not marked down")
        assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 502
        app = AppProcess(blackpool_store, port=int(status()["replicas"][0]["address"].rsplit(":", 1)[1]))
        wait(lambda s: s["replicas"][0]["state"] == "up", "not routed to again")
        _routed_soon(f"http://127.0.0.1:{port}")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        out.close()
        app.stop()


def test_missing_store_is_a_clear_error(tmp_path):
    _nginx_or_fail()
    r = subprocess.run([sys.executable, "-m", "needsmap.cli", "serve", "--replicas", "2",
                        "--db", str(tmp_path / "none.duckdb"), "--port", str(free_port())],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert "No needsmap store" in r.stderr and "needsmap build" in r.stderr


def test_config_for_replicas_on_other_machines_passes_nginx_check(tmp_path):
    """``--print-config`` renders the same template for remote replicas; nginx accepts it."""
    r = subprocess.run([sys.executable, "-m", "needsmap.cli", "serve", "--print-config",
                        "--address", "0.0.0.0", "--port", "8080",
                        "--upstream", "10.0.0.11:8501", "--upstream", "10.0.0.12:8501",
                        "--runtime-dir", str(tmp_path)],
                       capture_output=True, text=True, timeout=60, check=True)
    conf = tmp_path / "needsmap.conf"
    conf.write_text(r.stdout)
    for line in ("server 10.0.0.11:8501", "server 10.0.0.12:8501", "listen 0.0.0.0:8080",
                 "upstream needsmap_r2", "server 10.0.0.11:8501 backup",
                 f"map $cookie_{ROUTE_COOKIE}"):
        assert line in r.stdout, line
    assert "X-Upstream" not in r.stdout  # internal addresses are not shown to the public
    t = subprocess.run([nginx_binary(), "-t", "-p", f"{tmp_path}/", "-e",
                        str(tmp_path / "error.log"), "-c", str(conf)],
                       capture_output=True, text=True)
    assert t.returncode == 0, t.stderr
