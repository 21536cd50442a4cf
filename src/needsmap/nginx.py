"""nginx in front of app replicas: the configuration from the repo's template, and the process.

The template is ``deploy/nginx.conf.template`` (Jinja2; nginx's own ``$variables`` pass
through untouched). :func:`render_config` fills it with the upstream replicas and the
paths; :class:`NginxProcess` runs Debian's nginx in the foreground (``daemon off``) with
``-p``/``-c``/``-e`` pointing into a runtime directory, so it needs no root paths, and
reloads it (what ``nginx -s reload`` does: SIGHUP to the master) when the upstream changes.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import jinja2

from needsmap.settings import REPO_ROOT

TEMPLATE = REPO_ROOT / "deploy" / "nginx.conf.template"
#: The repo's static folder, served at ``/app/static/`` (Streamlit's enableStaticServing).
APP_STATIC = REPO_ROOT / "static"
#: Cookie that keeps a browser on one replica.
ROUTE_COOKIE = "needsmap_route"


class NginxError(RuntimeError):
    """nginx is missing, rejects the configuration, or exits."""


@dataclass(frozen=True)
class Upstream:
    """One replica as nginx sees it: ``host:port``, and whether to route to it."""

    address: str
    up: bool = True


def nginx_binary() -> str:
    """Path of the nginx executable (``/usr/sbin`` is often not on a user's PATH).

    Raises
    ------
    NginxError
        If nginx is not installed, saying how to install it.
    """
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if not found:
        raise NginxError("nginx is not installed: run `scripts/setup --serve` "
                         "(Debian: `apt-get install nginx`)")
    return found


def streamlit_static_dir() -> Path | None:
    """Streamlit's frontend bundle (served by Streamlit at ``/static/``), if installed here."""
    try:
        from streamlit import file_util
    except ImportError:
        return None
    d = Path(file_util.get_static_dir()) / "static"
    return d if d.is_dir() else None


def render_config(upstreams: list[Upstream], listen: str, runtime_dir: Path, *,
                  app_static: Path | None = APP_STATIC,
                  streamlit_static: Path | None = None, expose_upstream: bool = False,
                  secure_cookie: bool = False, worker_processes: int = 1,
                  template: Path = TEMPLATE) -> str:
    """The nginx configuration for ``upstreams``, from the repo's template.

    Parameters
    ----------
    upstreams
        Replicas in a fixed order: the i-th is named ``r<i>`` in the route cookie, so keep
        the order between reloads. ``up=False`` ones are listed ``down``.
    listen
        nginx ``listen`` value (``127.0.0.1:8080``, ``8080``, ``[::]:80``...).
    runtime_dir
        Where nginx writes its pid, logs and temp files.
    app_static, streamlit_static
        Folders nginx serves itself at ``/app/static/`` and ``/static/`` (``None``: the
        replicas serve them).
    expose_upstream
        Add an ``X-Upstream`` response header naming the replica (loopback set-ups and
        tests; do not expose internal addresses on a public deployment).
    secure_cookie
        Mark the route cookie ``Secure`` (when nginx is behind HTTPS).
    """
    if not upstreams:
        raise ValueError("at least one upstream replica is needed")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(template.parent)),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             autoescape=False)  # noqa: S701 - an nginx file, not HTML
    named = [{"name": f"r{i}", "address": u.address, "up": u.up}
             for i, u in enumerate(upstreams, start=1)]
    return env.get_template(template.name).render(
        upstreams=named, listen=listen, runtime_dir=str(Path(runtime_dir).resolve()),
        app_static=str(app_static.resolve()) if app_static else None,
        streamlit_static=str(streamlit_static.resolve()) if streamlit_static else None,
        expose_upstream=expose_upstream, secure_cookie=secure_cookie, cookie=ROUTE_COOKIE,
        worker_processes=worker_processes)


class NginxProcess:
    """Debian's nginx in the foreground on ``config``, with its files in ``runtime_dir``.

    The configuration is checked (``nginx -t``) before it is started or reloaded, so a bad
    one raises :class:`NginxError` with nginx's message and the running one stays.
    """

    def __init__(self, runtime_dir: Path, config: str, *, die_with_parent: bool = True) -> None:
        self.binary = nginx_binary()
        self.runtime_dir = Path(runtime_dir).resolve()
        self.runtime_dir.mkdir(parents=True, exist_ok=True)
        self.conf = self.runtime_dir / "nginx.conf"
        self.write(config)
        cmd = [*self._base(), "-c", str(self.conf)]
        if die_with_parent and shutil.which("setpriv"):
            cmd = [shutil.which("setpriv"), "--pdeathsig", "TERM", "--", *cmd]
        self._stderr = open(self.runtime_dir / "nginx.stderr", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self._stderr,
                                     start_new_session=True)
        time.sleep(0.2)
        if self.proc.poll() is not None:
            raise NginxError(f"nginx exited at start: {self.errors()}")

    def _base(self) -> list[str]:
        return [self.binary, "-p", str(self.runtime_dir) + "/", "-e",
                str(self.runtime_dir / "error.log")]

    def write(self, config: str) -> None:
        """Check ``config`` with ``nginx -t`` and install it (not yet loaded)."""
        trial = self.runtime_dir / "nginx.conf.new"
        trial.write_text(config)
        r = subprocess.run([*self._base(), "-t", "-q", "-c", str(trial)], capture_output=True,
                           text=True)
        if r.returncode:
            raise NginxError(f"nginx rejected the configuration {trial}: {r.stderr.strip()}")
        os.replace(trial, self.conf)

    def reload(self, config: str) -> None:
        """Install ``config`` and make nginx load it: new connections follow it at once,
        open websockets stay on the old workers (up to ``worker_shutdown_timeout``)."""
        self.write(config)
        if self.proc.poll() is not None:
            raise NginxError(f"nginx is not running: {self.errors()}")
        self.proc.send_signal(signal.SIGHUP)

    def errors(self) -> str:
        """The tail of nginx's error log and stderr."""
        out = []
        for name in ("error.log", "nginx.stderr"):
            f = self.runtime_dir / name
            if f.exists():
                out.append(f.read_text(errors="replace")[-2000:])
        return "\n".join(out).strip()

    def stop(self, timeout: float = 10) -> None:
        """Fast shutdown (SIGTERM: open websockets are closed, the browsers reconnect)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._stderr.close()
