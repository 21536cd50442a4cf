"""Full disk and read-only directories, for downloads and for the store build.

Uses real tmpfs mounts (``tests/badinput/faults.py``; skipped with a reason where
mounting is not permitted). Expectation every time: a clear error naming the
directory, no partial file left behind, the previous store untouched.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from badinput.faults import remount_read_only, tmpfs, used_bytes
from badinput.loopback import Loopback, serve

from needsmap.settings import Settings
from needsmap.sources import Resolver, SourceUnavailable, load_catalogue
from needsmap.store.db import open_store

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture()
def server(mirror: Path) -> Iterator[Loopback]:
    with serve(mirror) as srv:
        yield srv


def digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def stray(d: Path) -> list[str]:
    return sorted(p.name for p in d.rglob("*") if p.is_file())


def _make_prev(path: Path) -> Path:
    import duckdb

    from needsmap.settings import SCHEMA_VERSION

    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('schema_version', ?), ('built_at', 'previous')",
                [str(SCHEMA_VERSION)])
    con.execute("CREATE TABLE ward_indicators AS SELECT 'E05000001' AS ward_code")
    con.close()
    return path


def assert_previous_intact(path: Path, sha: str) -> None:
    assert path.exists() and digest(path) == sha
    con = open_store(path)
    try:
        assert con.execute("SELECT value FROM meta WHERE key='built_at'").fetchone() == ("previous",)
    finally:
        con.close()


# -- downloads ----------------------------------------------------------------------------

def test_download_into_full_cache_is_clear_and_leaves_nothing(tmp_path, server):
    src = load_catalogue().get("lad24_boundaries")  # 740 kB into a 256 kB disk
    with tmpfs(tmp_path / "cache", size="256k") as cache:
        before = used_bytes(cache)
        r = Resolver(cache, base_url=server.url, progress=False, backoff=0.0)
        with pytest.raises(SourceUnavailable) as ei:
            r.resolve(src)
        msg = str(ei.value)
        assert "No space left on device" in msg and str(cache) in msg and src.id in msg
        assert server.count(src.path) == 1, "a full disk is not retried"
        assert stray(cache) == []
        assert used_bytes(cache) <= before + 8192


def test_download_into_read_only_cache_is_clear(tmp_path, server):
    src = load_catalogue().get("wd24_boundaries_blackpool")
    with tmpfs(tmp_path / "cache", size="1m") as cache:
        remount_read_only(cache)
        r = Resolver(cache, base_url=server.url, progress=False, backoff=0.0)
        with pytest.raises(SourceUnavailable) as ei:
            r.resolve(src)
        assert "Read-only file system" in str(ei.value) and src.id in str(ei.value)
        assert server.requests == []


# -- the store build ------------------------------------------------------------------------

def _cli(args: list[str], env_extra: dict[str, str] | None = None,
         timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "needsmap.cli", *args], capture_output=True,
                          text=True, timeout=timeout, env=env, cwd=REPO, check=False)


def test_build_into_read_only_directory_is_clear(tmp_path, mirror):
    with tmpfs(tmp_path / "ro", size="4m") as ro:
        prev = _make_prev(ro / "needsmap.duckdb")
        sha = digest(prev)
        remount_read_only(ro)
        res = _cli(["build", "--la", "Blackpool", "--db", str(prev), "--mirror", str(mirror),
                    "--cache", str(tmp_path / "cache"), "--offline"])
        assert res.returncode == 1, res.stderr
        err = " ".join(res.stderr.split())
        assert "not writable" in err and str(ro) in err
        assert "Traceback" not in res.stderr
        assert stray(ro) == ["needsmap.duckdb"]
        assert_previous_intact(prev, sha)


def test_build_onto_full_disk_is_clear_and_keeps_previous(tmp_path, mirror):
    pytest.importorskip("needsmap.areas.build", reason="core build stage not landed yet")
    with tmpfs(tmp_path / "full", size="3m") as full:
        prev = _make_prev(full / "needsmap.duckdb")
        sha = digest(prev)
        before = used_bytes(full)
        res = _cli(["build", "--la", "Blackpool", "--db", str(prev), "--mirror", str(mirror),
                    "--cache", str(tmp_path / "cache"), "--offline"])
        assert res.returncode == 1, res.stdout + res.stderr
        err = " ".join(res.stderr.split())
        assert "Traceback" not in res.stderr, res.stderr[-3000:]
        assert "disk full" in err.lower() or "no space left" in err.lower(), err[-2000:]
        assert "previous store" in err
        assert stray(full) == ["needsmap.duckdb", "needsmap.duckdb.lock"], "no partial store"
        assert used_bytes(full) <= before + 8192
        assert_previous_intact(prev, sha)


def test_build_onto_full_disk_in_process_raises_build_error(tmp_path, mirror):
    pytest.importorskip("needsmap.areas.build", reason="core build stage not landed yet")
    from rich.console import Console

    from needsmap.pipeline import BuildError, build

    with tmpfs(tmp_path / "full", size="3m") as full:
        prev = _make_prev(full / "needsmap.duckdb")
        sha = digest(prev)
        settings = Settings(db_path=prev, mirror=mirror, cache_dir=tmp_path / "cache",
                            offline=True)
        with pytest.raises(BuildError, match="disk full while writing"):
            build(settings, las=["Blackpool"], console=Console(stderr=True, quiet=True))
        assert stray(full) == ["needsmap.duckdb", "needsmap.duckdb.lock"]
        assert_previous_intact(prev, sha)


# -- needsmap index on a full disk --------------------------------------------------------

@pytest.mark.parametrize("room", ["no room for the copy", "no room for the new tables"])
def test_index_onto_full_disk_says_the_disk_is_full(tmp_path, blackpool_store, room):
    """``index`` writes a copy of the store: a disk too small for the copy, or for the new
    tables (DuckDB's write-ahead log), is reported as a full disk. Before, ``index`` wrote in
    place and reported "cannot rollback - no transaction is active"."""
    size = blackpool_store.stat().st_size
    kib = (size if room.startswith("no room for the copy") else 2 * size) // 1024 + 1024
    with tmpfs(tmp_path / "full", size=f"{kib}k") as full:
        db = full / "needsmap.duckdb"
        db.write_bytes(blackpool_store.read_bytes())
        sha = digest(db)
        res = _cli(["index", "--db", str(db), "--method", "weighted", "--weights",
                    "child_poverty=1,income=1", "--top", "1"])
        err = " ".join(res.stderr.split())
        assert res.returncode == 1, res.stdout + err
        assert "Traceback" not in res.stderr and "cannot rollback" not in err, err[-2000:]
        assert "disk full while writing" in err and str(full) in err, err[-2000:]
        assert "untouched" in err
        assert stray(full) == ["needsmap.duckdb", "needsmap.duckdb.lock"]
        assert digest(db) == sha
