"""Serving ``app.py`` with Streamlit: the command line, and a server subprocess.

``needsmap app`` runs :func:`streamlit_command` in the foreground. The browser tests,
``benchmarks/app.py`` and ``benchmarks/load.py`` start an :class:`AppProcess` on a free
loopback port and wait for Streamlit's health endpoint.
"""

from __future__ import annotations

import os
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


class AppProcess:
    """``streamlit run`` of ``script`` on 127.0.0.1 in a subprocess, up when constructed.

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

    Output goes to a temporary log; :meth:`output` returns its tail, and a server
    that exits or does not come up raises ``RuntimeError`` with it.
    """

    def __init__(self, db: Path | None = None, script: Path = ENTRY, timeout: float = 120,
                 new_session: bool = False) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, NEEDSMAP_DB=str(db)) if db else dict(os.environ)
        self.log = tempfile.TemporaryFile(prefix=f"needsmap-app-{self.port}-")
        self.proc = subprocess.Popen(
            streamlit_command(script, port=self.port, watch_files=False),
            cwd=Path(script).parent, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=new_session)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited: {self.output()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        return
            except OSError:
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

    def stop(self) -> None:
        """Terminate the server (kill it if it does not exit within 10 s); close the log."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()
