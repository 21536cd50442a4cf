"""``needsmap serve``: app replicas behind nginx, supervised.

One Streamlit process runs Python code on about one core (the GIL), and the store is a
read-only file, so the app scales out as identical replicas behind a reverse proxy::

    needsmap serve --replicas N [--port P] [--db PATH] [--address 0.0.0.0]
    needsmap serve --upstream HOST:PORT [--upstream HOST:PORT ...] [--port P]
    needsmap serve --print-config --upstream HOST:PORT ... > needsmap-nginx.conf

The first form starts N ``streamlit run app.py`` processes on free loopback ports, all
reading the same store path (a store replaced by ``needsmap build``/``index``/``crime``
reaches every replica the way it reaches a single app: each replica notices the new file
itself), writes the nginx configuration from ``deploy/nginx.conf.template`` and runs
nginx on port P. The second routes to replicas on other machines (started there with
``needsmap app --address 0.0.0.0``); the third only prints the configuration, for an nginx
run by the system (docs/deploy.md).

The :class:`Supervisor` polls every replica's ``/_stcore/health``. A replica whose process
exited, or that fails ``fails_to_down`` checks in a row, is marked ``down`` and nginx is
reloaded (it stops routing to it); a local one is then restarted on the same port and,
once healthy, routed to again. Ctrl-C or SIGTERM stops nginx, then every replica; all
children also get SIGTERM should the supervisor itself be killed (``setpriv --pdeathsig``).
``status.json`` in the runtime directory shows the replicas, their pids and states.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from needsmap.argtypes import PORT, Number
from needsmap.nginx import (
    NginxError,
    NginxProcess,
    Upstream,
    nginx_binary,
    render_config,
    streamlit_static_dir,
)
from needsmap.serve import AppProcess, free_port

#: Replica states: ``starting`` (not yet healthy), ``up`` (routed to), ``down`` (not
#: routed to: dead, or failing health checks; a local one is restarted).
STATES = ("starting", "up", "down")


def health_ok(address: str, timeout: float) -> bool:
    """True if ``http://address/_stcore/health`` answers ``ok`` within ``timeout`` s."""
    try:
        with urllib.request.urlopen(f"http://{address}/_stcore/health", timeout=timeout) as r:
            return r.read().strip() == b"ok"
    except (OSError, http.client.HTTPException):
        return False


def _port_free(port: int) -> bool:
    """True if a server can listen on 127.0.0.1:``port`` (closed connections of a dead one
    in TIME_WAIT do not count, as for uvicorn's SO_REUSEADDR listener)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class Replica:
    """One app replica: a local :class:`AppProcess`, or a remote ``host:port`` (no process)."""

    index: int
    address: str
    app: AppProcess | None = None
    state: str = "starting"
    fails: int = 0
    restarts: int = 0
    failed_starts: int = 0
    since: float = field(default_factory=time.monotonic)
    next_restart: float = 0.0
    log: Path | None = None

    @property
    def local(self) -> bool:
        return self.log is not None

    @property
    def port(self) -> int:
        return int(self.address.rsplit(":", 1)[1])


class Supervisor:
    """N local replicas (or remote ``upstreams``) behind one nginx, kept healthy.

    Parameters
    ----------
    db
        The store every local replica reads (``NEEDSMAP_DB``).
    replicas
        Number of local replicas on loopback ports.
    listen
        nginx ``listen`` value, e.g. ``127.0.0.1:8501``.
    runtime_dir
        nginx's config, pid, logs and temp files, the replicas' logs and ``status.json``.
    upstreams
        ``host:port`` of remote replicas (health-checked and routed, not restarted).
    check_interval, health_timeout, fails_to_down
        A replica is polled every ``check_interval`` s and marked down after
        ``fails_to_down`` health checks in a row that take longer than ``health_timeout``
        s or fail (a busy replica answers slowly, so one slow answer is not death);
        a local replica whose process has exited is marked down at once.
    start_timeout
        Seconds a (re)started replica may take to become healthy before it is restarted.
    """

    def __init__(self, db: Path | None, replicas: int, listen: str, runtime_dir: Path, *,
                 upstreams: list[str] | None = None, check_interval: float = 1.0,
                 health_timeout: float = 5.0, fails_to_down: int = 3,
                 start_timeout: float = 180.0, console: Console | None = None) -> None:
        self.db = Path(db).resolve() if db else None
        self.n = replicas
        self.listen = listen
        self.runtime_dir = Path(runtime_dir).resolve()
        self.remote = list(upstreams or [])
        self.check_interval = check_interval
        self.health_timeout = health_timeout
        self.fails_to_down = fails_to_down
        self.start_timeout = start_timeout
        self.console = console or Console(stderr=True)
        self.replicas: list[Replica] = []
        self.nginx: NginxProcess | None = None
        self.state = "starting"
        # One cookie secret for all replicas, so signed cookies survive a move between them.
        self._env = {"STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(32)}

    # -- output ------------------------------------------------------------------------
    def say(self, text: str) -> None:
        self.console.print(f"[dim]{time.strftime('%H:%M:%S')}[/dim] {text}", highlight=False)

    @property
    def port(self) -> int:
        return int(self.listen.rsplit(":", 1)[-1])

    @property
    def url(self) -> str:
        host = self.listen.rsplit(":", 1)[0] if ":" in self.listen else "127.0.0.1"
        host = "127.0.0.1" if host in ("0.0.0.0", "[::]", "*") else host
        return f"http://{host}:{self.port}"

    def status(self) -> dict:
        """What ``status.json`` holds: the balancer and every replica."""
        return {
            "state": self.state, "url": self.url, "listen": self.listen,
            "supervisor_pid": os.getpid(),
            "nginx_pid": self.nginx.proc.pid if self.nginx else None,
            "store": str(self.db) if self.db else None,
            "runtime_dir": str(self.runtime_dir),
            "replicas": [{"index": r.index, "address": r.address, "state": r.state,
                          "pid": r.app.pid if r.app else None, "restarts": r.restarts,
                          "log": str(r.log) if r.log else None} for r in self.replicas],
        }

    def _write_status(self) -> None:
        tmp = self.runtime_dir / "status.json.tmp"
        tmp.write_text(json.dumps(self.status(), indent=2))
        os.replace(tmp, self.runtime_dir / "status.json")

    # -- replicas ----------------------------------------------------------------------
    def _spawn(self, r: Replica) -> None:
        r.app = AppProcess(self.db, port=r.port, wait=False, new_session=True,
                           log_path=r.log, env=self._env, die_with_parent=True)
        r.state, r.fails, r.since = "starting", 0, time.monotonic()

    def _kill(self, r: Replica) -> None:
        if r.app is None:
            return
        if r.app.proc.poll() is None:
            try:
                os.killpg(r.app.pid, signal.SIGKILL)  # a replica being replaced: no grace
            except ProcessLookupError:
                pass
        try:
            r.app.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        r.app.log.close()

    def _restart(self, r: Replica) -> None:
        self._kill(r)
        if not _port_free(r.port):  # something else took the port: move (same name, r<i>)
            r.address = f"127.0.0.1:{free_port()}"
        r.restarts += 1
        # Back off when restarts keep failing: 1, 2, 4 ... 30 s before the next one.
        r.next_restart = time.monotonic() + min(30.0, 2.0 ** min(r.failed_starts, 5))
        r.failed_starts += 1
        self.say(f"restarting replica {r.index} on {r.address} (restart {r.restarts})")
        self._spawn(r)

    def _config(self) -> str:
        local = self.n > 0
        return render_config(
            [Upstream(r.address, up=r.state == "up") for r in self.replicas], self.listen,
            self.runtime_dir, streamlit_static=streamlit_static_dir() if local else None,
            expose_upstream=local)

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        """Start the replicas, wait until each is healthy, then start nginx in front."""
        nginx_binary()  # fail before starting anything if nginx is missing
        self.runtime_dir.mkdir(parents=True, exist_ok=True)
        if self.n:
            for i in range(self.n):
                r = Replica(i + 1, f"127.0.0.1:{free_port()}",
                            log=self.runtime_dir / f"replica-{i + 1}.log")
                self.replicas.append(r)
                self._spawn(r)
            self.say(f"starting {self.n} replicas of the app on "
                     + ", ".join(r.address for r in self.replicas) + f" (store {self.db})")
            deadline = time.monotonic() + self.start_timeout
            for r in self.replicas:
                r.app.wait_healthy(max(1.0, deadline - time.monotonic()))
                r.state = "up"
        for i, addr in enumerate(self.remote, start=len(self.replicas) + 1):
            r = Replica(i, addr)
            r.state = "up" if health_ok(addr, self.health_timeout) else "down"
            if r.state == "down":
                self.say(f"[yellow]replica {addr} does not answer its health check; "
                         "not routed to until it does[/yellow]")
            self.replicas.append(r)
        self.nginx = NginxProcess(self.runtime_dir, self._config())
        deadline = time.monotonic() + 30
        while not health_ok(f"127.0.0.1:{self.port}", 2):
            if self.nginx.proc.poll() is not None or time.monotonic() > deadline:
                raise NginxError(f"nginx did not come up on {self.listen}: {self.nginx.errors()}")
            time.sleep(0.2)
        self.state = "serving"
        self._write_status()
        self.say(f"[bold]serving needsmap at {self.url}/[/bold] through nginx "
                 f"({len(self.replicas)} replicas; files in {self.runtime_dir}). "
                 "Ctrl-C stops everything.")

    def check(self) -> None:
        """One round of health checks; reload nginx if the set of live replicas changed,
        then restart the local replicas that are down."""
        changed = False
        now = time.monotonic()
        for r in self.replicas:
            exited = r.app is not None and r.app.proc.poll() is not None
            ok = not exited and health_ok(r.address, self.health_timeout)
            if ok:
                r.fails = r.failed_starts = 0
                if r.state != "up":
                    self.say(f"replica {r.index} ({r.address}) is healthy: routing to it")
                    r.state, changed = "up", True
                continue
            r.fails += 1
            if r.state == "up" and (exited or r.fails >= self.fails_to_down):
                why = (f"exited with code {r.app.proc.returncode}" if exited
                       else f"failed {r.fails} health checks")
                self.say(f"[red]replica {r.index} ({r.address}) {why}: not routing to it[/red]")
                r.state, changed = "down", True
            elif r.state == "starting" and (exited or now - r.since > self.start_timeout):
                r.state = "down"
        if changed:
            self.nginx.reload(self._config())
        for r in self.replicas:
            if r.local and r.state == "down" and time.monotonic() >= r.next_restart:
                self._restart(r)
                changed = True
        if self.nginx.proc.poll() is not None:
            raise NginxError(f"nginx exited: {self.nginx.errors()}")
        if changed:
            self._write_status()

    def run(self, stop: threading.Event) -> None:
        """Check every ``check_interval`` s until ``stop`` is set."""
        while not stop.wait(self.check_interval):
            self.check()

    def stop(self) -> None:
        """Stop nginx, then every replica (SIGTERM, SIGKILL after 10 s)."""
        self.state = "stopping"
        if self.nginx:
            self.nginx.stop()
        live = [r for r in self.replicas if r.app and r.app.proc.poll() is None]
        for r in live:
            try:
                os.killpg(r.app.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        for r in live:
            try:
                r.app.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._kill(r)
        for r in self.replicas:
            if r.app and not r.app.log.closed:
                r.app.log.close()
        self.state = "stopped"
        if self.runtime_dir.exists():
            self._write_status()


# -- command line ----------------------------------------------------------------------

def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``serve`` subcommand."""
    p = subparsers.add_parser(
        "serve", parents=[common],
        help="serve the app to a team: N replicas behind nginx (docs/deploy.md)",
        description="Start N app replicas on loopback ports behind nginx (config from "
                    "deploy/nginx.conf.template), restart any that dies, stop all on "
                    "Ctrl-C or SIGTERM.")
    p.add_argument("--replicas", type=Number(int, 1, 256), default=None, metavar="N",
                   help="local app replicas (default: one per CPU, "
                        f"{os.cpu_count() or 1} here)")
    p.add_argument("--port", type=PORT, default=8501, help="nginx port (default 8501)")
    p.add_argument("--address", default="127.0.0.1",
                   help="nginx listen address (0.0.0.0 to serve the network)")
    p.add_argument("--upstream", action="append", default=[], metavar="HOST:PORT",
                   help="a replica on another machine (repeatable); no local replicas then")
    p.add_argument("--runtime-dir", type=Path, default=None,
                   help="nginx files, replica logs, status.json (default: a temporary "
                        "folder removed at exit)")
    p.add_argument("--print-config", action="store_true",
                   help="print the nginx configuration for --upstream replicas and exit")
    p.add_argument("--check-interval", type=Number(float, 0, 3600, low_open=True), default=1.0,
                   help="seconds between health checks (default 1)")
    p.set_defaults(func=cmd_serve)


class _Stopped(Exception):
    """A stop signal arrived while the replicas were starting."""


def _listen(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def cmd_serve(args: argparse.Namespace) -> int:
    from needsmap.settings import default_db_path
    from needsmap.store.db import StoreError, open_store

    console = Console(stderr=True)
    for u in args.upstream:
        host, _, port = u.rpartition(":")
        if not host or not port.isdigit():
            console.print(f"[red]--upstream {u!r}: expected HOST:PORT[/red]")
            return 2
    if args.upstream and args.replicas:
        console.print("[red]use either --replicas (local) or --upstream (remote), not both[/red]")
        return 2
    n = 0 if args.upstream else (args.replicas if args.replicas is not None
                                 else os.cpu_count() or 1)
    if n < 1 and not args.upstream:
        console.print("[red]--replicas must be at least 1[/red]")
        return 2
    listen = _listen(args.address, args.port)
    if args.print_config:
        if not args.upstream:
            console.print("[red]--print-config needs --upstream HOST:PORT (the replicas)[/red]")
            return 2
        rt = args.runtime_dir or Path("/var/lib/needsmap-nginx")
        print(render_config([Upstream(u) for u in args.upstream], listen, rt), end="")
        return 0
    db = None
    if n:
        db = Path(args.db).expanduser() if args.db else default_db_path()
        try:
            open_store(db).close()  # a clear message now, not N tracebacks from the replicas
        except StoreError as exc:
            console.print(f"[red]{exc}[/red]")
            return 1
    own_dir = args.runtime_dir is None
    rt = Path(tempfile.mkdtemp(prefix="needsmap-serve-")) if own_dir else args.runtime_dir
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stop.set()
        if sup.state == "starting":  # waiting for replicas: stop waiting
            raise _Stopped(signal.Signals(signum).name)

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    sup = Supervisor(db, n, listen, rt, upstreams=args.upstream,
                     check_interval=args.check_interval, console=console)
    rc = 0
    try:
        sup.start()
        sup.run(stop)
    except _Stopped as why:
        sup.say(f"{why} while starting")
        rc = 1
    except (NginxError, RuntimeError) as exc:
        console.print(f"[red]serve failed:[/red] {exc}")
        rc = 1
    finally:
        sup.say("stopping nginx and the replicas")
        sup.stop()
        for s, h in old.items():
            signal.signal(s, h)
        if own_dir:
            shutil.rmtree(rt, ignore_errors=True)
        sup.say("stopped")
    return rc
