"""A whole ``needsmap build --la Blackpool`` with NO mirror: every file downloaded.

The official URLs are replaced (``NEEDSMAP_BASE_URL``) by a real loopback HTTP
server that serves the mirror; the cache starts empty. The resulting store must
equal the one built from the mirror, and resolving the sources again must be
served from the cache without a single request.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from badinput.loopback import Loopback, serve
from rich.console import Console

from needsmap.pipeline import build
from needsmap.settings import Settings
from needsmap.sources import Resolver, load_catalogue
from needsmap.store.db import open_store


@pytest.fixture()
def server(mirror: Path) -> Iterator[Loopback]:
    with serve(mirror) as srv:
        yield srv


def _wards(db: Path) -> list[tuple]:
    con = open_store(db)
    try:
        return con.execute(
            "SELECT ward_code, ward_name, population, children_0_15, round(area_km2, 6), "
            "round(child_poverty_rate, 9), round(income_rate, 9) FROM ward_indicators "
            "ORDER BY ward_code").fetchall()
    finally:
        con.close()


def test_build_with_no_mirror_downloads_everything(tmp_path, server, monkeypatch,
                                                   blackpool_store):
    monkeypatch.setenv("NEEDSMAP_BASE_URL", server.url)
    monkeypatch.delenv("NEEDSMAP_MIRROR", raising=False)
    cache = tmp_path / "cache"
    db = tmp_path / "downloaded.duckdb"
    settings = Settings(db_path=db, mirror=None, cache_dir=cache, offline=False)
    build(settings, las=["Blackpool"], console=Console(stderr=True, quiet=True))
    fetched = server.requests
    assert fetched, "nothing was downloaded"
    con = open_store(db)
    try:
        used = con.execute("SELECT source_id, path, origin, sha256 FROM source").fetchall()
    finally:
        con.close()
    assert used
    for sid, path, origin, _sha in used:
        if origin == "user":
            continue
        assert str(path).startswith(str(cache)), f"{sid} not from the download cache: {path}"
    assert not list(cache.rglob("*.part")), "partial downloads left in the cache"
    assert _wards(db) == _wards(blackpool_store)
    print(f"\nno-mirror build: {len(set(fetched))} files downloaded over loopback "
          f"({sum(p.stat().st_size for p in cache.rglob('*') if p.is_file()) / 2**20:.1f} MiB)")

    # Resolving again: every source from the cache, no request at all.
    n = len(server.requests)
    cat = load_catalogue()
    r = Resolver(cache, mirror=None, base_url=server.url, progress=False)
    for sid, _path, origin, _sha in used:
        if origin == "user":
            continue
        src = cat.get(sid) if ":" not in sid else cat.collection(sid.split(":")[0]).member(
            sid.split(":", 1)[1])
        assert r.resolve_with_origin(src)[1] == "cache", sid
    assert len(server.requests) == n, server.requests[n:]
