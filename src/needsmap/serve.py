"""Serving ``app.py`` with Streamlit: the command line, and a server subprocess.

``needsmap app`` runs :func:`streamlit_command` in the foreground. The browser tests,
``benchmarks/app.py`` and ``benchmarks/load.py`` start an :class:`AppProcess` on a free
loopback port and wait for Streamlit's health endpoint; ``needsmap serve``
(:mod:`needsmap.replicas`) starts several behind nginx (:mod:`needsmap.nginx`).
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from needsmap.settings import REPO_ROOT

APP = REPO_ROOT / "app.py"
#: What the server runs: ``app.py`` behind ``st.App`` with a start-up warm-up (``asgi.py``).
ENTRY = REPO_ROOT / "asgi.py"


def streamlit_command(script: Path = ENTRY, address: str = "127.0.0.1", port: int = 8501,
                      watch_files: bool = True) -> list[str]:
    """The ``streamlit run`` command line for ``script`` (headless, no usage statistics)."""
    cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.address", address,
           "--server.port", str(port), "--server.headless", "true",
           "--browser.gatherUsageStats", "false"]
    if not watch_files:
        cmd += ["--server.fileWatcherType", "none"]
    return cmd


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _with_parent_death_signal(cmd: list[str]) -> list[str]:
    """``cmd`` run so it receives SIGTERM when its parent dies (util-linux ``setpriv``,
    present on every Debian; the command is returned unchanged where it is missing)."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--", *cmd] if setpriv else cmd


class AppProcess:
    """``streamlit run`` of ``script`` on 127.0.0.1 in a subprocess, up when constructed
    (unless ``wait=False``).

    Parameters
    ----------
    db
        Store for ``NEEDSMAP_DB`` (``None``: the environment's own).
    script
        The Streamlit script (default ``asgi.py``: ``app.py``, warmed when it starts).
    timeout
        Seconds to wait for the health endpoint before giving up.
    new_session
        Start the server in its own process group (``os.killpg(proc.pid, ...)`` stops
        it with its children).
    port
        Port to serve on (default: a free one).
    wait
        Wait for the health endpoint before returning (else call :meth:`wait_healthy`).
    log_path
        Append the server's output to this file (default: a temporary file).
    env
        Extra environment variables for the server.
    die_with_parent
        The server gets SIGTERM if this process dies, even by SIGKILL (Linux ``setpriv
        --pdeathsig``), so a supervisor never leaves it orphaned. Linux sends it when the
        *thread* that started the server ends: start it from the main thread.

    Output goes to a temporary log; :meth:`output` returns its tail, and a server
    that exits or does not come up raises ``RuntimeError`` with it.
    """

    def __init__(self, db: Path | None = None, script: Path = ENTRY, timeout: float = 120,
                 new_session: bool = False, *, port: int | None = None, wait: bool = True,
                 log_path: Path | None = None, env: dict[str, str] | None = None,
                 die_with_parent: bool = False) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, **(env or {})}
        if db:
            env["NEEDSMAP_DB"] = str(db)
        self.log = (open(log_path, "ab") if log_path  # noqa: SIM115 - closed by stop()
                    else tempfile.TemporaryFile(prefix=f"needsmap-app-{self.port}-"))
        cmd = streamlit_command(script, port=self.port, watch_files=False)
        self.proc = subprocess.Popen(
            _with_parent_death_signal(cmd) if die_with_parent else cmd,
            cwd=Path(script).parent, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=new_session)
        if wait:
            self.wait_healthy(timeout)

    def healthy(self, timeout: float = 2) -> bool:
        """True if the server answers ``ok`` on ``/_stcore/health`` within ``timeout`` s."""
        try:
            with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=timeout) as r:
                return r.read().strip() == b"ok"
        except (OSError, http.client.HTTPException):
            return False

    def wait_healthy(self, timeout: float = 120) -> None:
        """Wait until the server is healthy; if it exits or takes longer, stop it and raise
        ``RuntimeError`` with its output."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited: {self.output()}")
            if self.healthy():
                return
            time.sleep(0.3)
        out = self.output()
        self.stop()
        raise RuntimeError(f"streamlit did not start in {timeout:.0f}s: {out}")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        """The last 3,000 characters the server printed."""
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-3000:]

    def stop(self, timeout: float = 10) -> None:
        """Terminate the server (kill it if it does not exit within ``timeout`` s); close
        the log."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()
