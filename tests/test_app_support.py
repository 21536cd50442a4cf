"""Shared helpers for the app tests (AppTest and the real-browser tests); no tests here."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from needsmap.settings import REPO_ROOT

APP = str(REPO_ROOT / "app.py")


def app_store(request: pytest.FixtureRequest) -> Path:
    """The Blackpool store: ``$NEEDSMAP_APP_TEST_DB`` if set (fast local runs), else the
    session-built ``blackpool_store`` fixture."""
    env = os.environ.get("NEEDSMAP_APP_TEST_DB")
    if env and Path(env).exists():
        return Path(env)
    return request.getfixturevalue("blackpool_store")


def england_app_store(request: pytest.FixtureRequest) -> Path:
    """The whole-England store: ``$NEEDSMAP_APP_TEST_ENGLAND_DB`` if set, else the fixture."""
    env = os.environ.get("NEEDSMAP_APP_TEST_ENGLAND_DB")
    if env and Path(env).exists():
        return Path(env)
    return request.getfixturevalue("england_store")


def partial_store(src: Path, dest: Path, tables: list[str]) -> Path:
    """A copy of ``src`` with only ``tables`` (to test what the app says when some are missing)."""
    from needsmap.store.db import connect

    con = connect(dest)
    try:
        quoted = str(src).replace("'", "''")
        con.execute(f"ATTACH '{quoted}' AS src (READ_ONLY)")  # a test path; ATTACH takes no params
        for t in tables:
            con.execute(f'CREATE TABLE "{t}" AS SELECT * FROM src."{t}"')  # noqa: S608 - test names
        con.execute("DETACH src")
    finally:
        con.close()
    return dest


# --- real-browser helpers -------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
SCREENSHOTS = REPO_ROOT / "artifacts" / "screenshots"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class AppServer:
    """``streamlit run app.py`` on 127.0.0.1 with ``NEEDSMAP_DB`` set, in a subprocess."""

    def __init__(self, db: Path, timeout: float = 120) -> None:
        import subprocess
        import sys
        import time
        import urllib.request

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, NEEDSMAP_DB=str(db))
        self.log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"needsmap-app-{self.port}.log",
                        "w+b")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", APP, "--server.address", "127.0.0.1",
             "--server.port", str(self.port), "--server.headless", "true",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=REPO_ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
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
        self.stop()
        raise RuntimeError(f"streamlit did not start in {timeout}s: {self.output()}")

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-3000:]

    def stop(self) -> None:
        import subprocess

        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


def local_only(route) -> None:  # noqa: ANN001 - playwright Route
    """A page.route handler that blocks every request not to 127.0.0.1 (offline)."""
    from urllib.parse import urlsplit

    host = urlsplit(route.request.url).hostname or ""
    if host in ("127.0.0.1", "localhost") or route.request.url.startswith(("data:", "blob:")):
        route.continue_()
    else:
        route.abort("internetdisconnected")
