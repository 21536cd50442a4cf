"""Shared fixtures: real stores built once per test session from the mirror.

``NEEDSMAP_MIRROR`` must point at the offline mirror of the official files
(``scripts/test`` sets it to ``../shared/geodata``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from needsmap.settings import Settings


def mirror_dir() -> Path:
    m = os.environ.get("NEEDSMAP_MIRROR")
    if not m or not Path(m).is_dir():
        pytest.fail("NEEDSMAP_MIRROR must point at the mirror of official files (../shared/geodata)")
    return Path(m).resolve()


@pytest.fixture(scope="session")
def mirror() -> Path:
    return mirror_dir()


def _build(tmp_root: Path, name: str, las: list[str] | None) -> Path:
    from rich.console import Console

    from needsmap.pipeline import build

    db = tmp_root / f"{name}.duckdb"
    settings = Settings(db_path=db, mirror=mirror_dir(), cache_dir=tmp_root / "cache", offline=True)
    build(settings, las=las, console=Console(stderr=True, quiet=True))
    return db


@pytest.fixture(scope="session")
def england_store(tmp_path_factory) -> Path:
    """Path to a whole-England store built from the mirror (once per session)."""
    return _build(tmp_path_factory.mktemp("england"), "england", None)


@pytest.fixture(scope="session")
def blackpool_store(tmp_path_factory) -> Path:
    """Path to a store built for Blackpool only (``--la Blackpool``)."""
    return _build(tmp_path_factory.mktemp("blackpool"), "blackpool", ["Blackpool"])


#: Figures that tests report (bad-input counts, fault results, audit outcome); printed at the
#: end of every run under "needsmap figures", so CI logs carry them.
FIGURES: list[str] = []


@pytest.fixture
def report_figure():
    """Call with a line of text to print it in the run's closing "needsmap figures" section."""
    return FIGURES.append


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("needsmap figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def border_store(tmp_path_factory) -> Path:
    """Newport (Wales) and the Forest of Dean (England) across the border: one store with
    both nations (``$NEEDSMAP_APP_TEST_WALES_DB`` if set, for fast local runs)."""
    env = os.environ.get("NEEDSMAP_APP_TEST_WALES_DB")
    if env and Path(env).exists():
        return Path(env)
    return _build(tmp_path_factory.mktemp("border"), "border", ["Newport", "Forest of Dean"])


@pytest.fixture(scope="module")
def border_con(border_store):  # noqa: ANN201
    """A read-only connection to :func:`border_store`, one per test module."""
    from needsmap.store.db import open_store

    c = open_store(border_store)
    yield c
    c.close()


# --- real browser (Playwright + Debian chromium) ------------------------------------------

@pytest.fixture(scope="module")
def browser():  # noqa: ANN201
    """Debian chromium through Playwright, one per test module."""
    from test_app_support import CHROMIUM, CHROMIUM_ARGS

    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: run `scripts/setup --browser`")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):  # noqa: ANN001, ANN201
    """A fresh browser context and page, 1440x1000, downloads accepted, 120 s timeouts."""
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    pg = ctx.new_page()
    pg.set_default_timeout(120_000)
    yield pg
    ctx.close()


@pytest.fixture(scope="module")
def server(request):  # noqa: ANN001, ANN201
    """The app serving the Blackpool test store (a module may override it with its own)."""
    from test_app_support import AppServer, app_store

    srv = AppServer(app_store(request))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def england_server(request):  # noqa: ANN001, ANN201
    """The app serving the whole-England-and-Wales test store."""
    from test_app_support import AppServer, england_app_store

    srv = AppServer(england_app_store(request))
    yield srv
    srv.stop()
