"""Shared helpers for the app tests (AppTest and the real-browser tests); no tests here."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from needsmap.serve import APP as APP_PATH
from needsmap.serve import AppProcess
from needsmap.settings import REPO_ROOT

APP = str(APP_PATH)


def app_test(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """An AppTest of ``app.py`` on the Blackpool store (not yet run)."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("NEEDSMAP_DB", str(app_store(request)))
    return AppTest.from_file(APP, default_timeout=240)


def page_text(at) -> str:  # noqa: ANN001 - AppTest
    """The page's markdown, captions and HTML, as one text to search."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [str(getattr(h, "proto", "")) for h in at.get("html")]
    return "\n".join(str(p) for p in parts)


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
#: The ward map's root element (the app's own element in the page; there is no iframe).
MAP_ROOT = '[data-testid="nm-map"]'
SCREENSHOTS = REPO_ROOT / "artifacts" / "screenshots"
#: True when the app has finished its run (Streamlit's own attribute).
IDLE_JS = ("() => { const a = document.querySelector('[data-testid=\"stApp\"]'); "
           "return !!a && a.getAttribute('data-test-script-state') === 'notRunning'; }")


def shot(pg, name: str, full: bool = False) -> Path:  # noqa: ANN001 - playwright Page
    """Save a screenshot as ``artifacts/screenshots/<name>.png`` (to look at, not compared)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=full)
    return path


def wait_painted(page, n: int | None = None, version: int = 1, timeout: float = 120):  # noqa: ANN001, ANN201
    """Wait until the ward map has drawn (its hidden ``#nm-painted`` marker has reached
    ``version``) and return the map's root locator."""
    import time

    root = page.locator(MAP_ROOT)
    marker = page.locator("#nm-painted[data-version]")
    marker.wait_for(state="attached", timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    while int(marker.get_attribute("data-version") or 0) < version:
        assert time.monotonic() < deadline, "map was not redrawn"
        time.sleep(0.05)
    if n is not None:
        assert int(marker.get_attribute("data-n")) == n
    return root


def wait_idle(page, timeout: float = 120) -> None:  # noqa: ANN001
    """Wait until the app is not running a script (after a short settle)."""
    page.wait_for_timeout(150)
    page.wait_for_function(IDLE_JS, timeout=timeout * 1000, polling=100)


#: The app served on 127.0.0.1 for the browser tests: ``AppServer(db)``.
AppServer = AppProcess


def local_only(route) -> None:  # noqa: ANN001 - playwright Route
    """A page.route handler that blocks every request not to 127.0.0.1 (offline)."""
    from urllib.parse import urlsplit

    host = urlsplit(route.request.url).hostname or ""
    if host in ("127.0.0.1", "localhost") or route.request.url.startswith(("data:", "blob:")):
        route.continue_()
    else:
        route.abort("internetdisconnected")
