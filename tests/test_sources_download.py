"""The download path (issue 2, "Sources") against a REAL loopback HTTP server.

Nothing in the network layer is mocked: httpx talks to a ``ThreadingHTTPServer``
on ``127.0.0.1`` that serves the mirror (``tests/badinput/loopback.py``). Faults
(corrupted bytes, a body cut mid-stream, HTTP errors) are injected by that
server's handler, and requests are counted there.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from badinput.loopback import Loopback, serve

from needsmap.sources import ChecksumError, Resolver, SourceUnavailable, load_catalogue
from needsmap.sources.catalogue import Source
from needsmap.sources.resolve import sha256_file

SMALL = "wd24_boundaries_blackpool"  # 15 kB GeoJSON with a catalogue SHA-256
MEDIUM = "lad24_boundaries"  # 740 kB
#: A mirror-layout source the mirror does not have (its SHA-256 fixed, so a mirror over HTTP is
#: asked for it), and one with no SHA-256 and no direct link (never downloaded).
ABSENT = Source(id="absent", path="deprivation/iod2025/not_in_the_mirror.csv",
                sha256="0" * 64, publisher="p", title="t", licence="l", vintage="v",
                landing="https://www.gov.uk/government/statistics/english-indices-of-deprivation-2025")
ABSENT_NOLINK = "iod2025_file5"  # catalogued with no direct link (by hand only)


@pytest.fixture()
def server(mirror: Path) -> Iterator[Loopback]:
    with serve(mirror) as srv:
        yield srv


def src(source_id: str | Source) -> Source:
    return source_id if isinstance(source_id, Source) else load_catalogue().get(source_id)


def resolver(cache: Path, srv: Loopback | None = None, mirror: Path | None = None,
             **kw: object) -> Resolver:
    kw.setdefault("progress", False)
    kw.setdefault("backoff", 0.0)
    return Resolver(cache, mirror=mirror, base_url=srv.url if srv else "http://127.0.0.1:9",
                    **kw)  # type: ignore[arg-type]


def leftovers(cache: Path) -> list[Path]:
    return [p for p in cache.rglob("*") if p.name.endswith(".part")]


def test_download_lands_in_cache_with_checksum_then_served_from_cache(tmp_path, server):
    s = src(SMALL)
    r = resolver(tmp_path, server)
    path, origin = r.resolve_with_origin(s)
    assert origin == "download"
    assert path == tmp_path / s.path
    assert sha256_file(path) == s.sha256
    assert server.count(s.path) == 1
    assert leftovers(tmp_path) == []
    # Second resolution, even by a fresh resolver: from the cache, no request.
    for rr in (r, resolver(tmp_path, server)):
        p2, o2 = rr.resolve_with_origin(s)
        assert (p2, o2) == (path, "cache")
    assert server.count(s.path) == 1


def test_download_with_progress_bar_streams_a_larger_file(tmp_path, server):
    s = src(MEDIUM)
    path = resolver(tmp_path, server, progress=True).resolve(s)
    assert sha256_file(path) == s.sha256


@pytest.mark.parametrize("fault", ["corrupt", "truncate", "short"])
def test_bad_body_is_discarded_and_retried(tmp_path, server, fault):
    s = src(MEDIUM)
    server.fault(s.path, fault)  # first request is bad, the second is good
    path = resolver(tmp_path, server, retries=3).resolve(s)
    assert server.count(s.path) == 2
    assert sha256_file(path) == s.sha256
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("fault, words", [
    ("corrupt", "SHA-256"),
    ("truncate", "RemoteProtocolError"),  # Content-Length promised, body cut: caught by httpx
    ("short", "SHA-256"),  # consistent headers, cut body: only the checksum can tell
])
def test_always_bad_body_fails_and_nothing_is_kept(tmp_path, server, fault, words):
    s = src(MEDIUM)
    server.fault(s.path, fault, fault, fault)
    r = resolver(tmp_path, server, retries=3)
    with pytest.raises(SourceUnavailable) as ei:
        r.resolve(s)
    assert server.count(s.path) == 3
    msg = str(ei.value)
    assert s.id in msg and words in msg and "3 attempts" in msg
    assert not (tmp_path / s.path).exists()
    assert leftovers(tmp_path) == []
    # The failed file is never served later either: the next resolve downloads again.
    path = r.resolve(s)
    assert server.count(s.path) == 4
    assert sha256_file(path) == s.sha256


def test_truncated_file_without_checksum_is_caught_by_length(tmp_path, server, mirror):
    # A source with no catalogued SHA-256 relies on Content-Length alone.
    s = Source(id="nochecksum", path=src(MEDIUM).path, publisher="p", title="t",
               landing="https://example.invalid/x", licence="l", vintage="v", form="f",
               download=f"{server.url}/{src(MEDIUM).path}")
    server.fault(s.path, "truncate")
    path = resolver(tmp_path, server).resolve(s)
    assert server.count(s.path) == 2
    assert path.read_bytes() == (mirror / s.path).read_bytes()


def test_server_error_is_retried_then_succeeds(tmp_path, server):
    s = src(SMALL)
    server.fault(s.path, "503", "500")
    path = resolver(tmp_path, server, retries=3).resolve(s)
    assert server.count(s.path) == 3
    assert sha256_file(path) == s.sha256


def test_404_is_a_clear_error_naming_source_paths_and_official_url(tmp_path, server, mirror):
    s = src(ABSENT)
    r = resolver(tmp_path / "cache", server, mirror=mirror, retries=3)
    with pytest.raises(SourceUnavailable) as ei:
        r.resolve(s)
    err = ei.value
    msg = str(err)
    assert server.count(s.path) == 1, "a 404 is not worth retrying"
    assert s.id in msg
    assert "HTTP 404" in msg
    assert str(tmp_path / "cache" / s.path) in msg  # cache path tried
    assert str(mirror / s.path) in msg  # mirror path tried
    assert f"{server.url}/{s.path}" in msg  # URL tried
    assert s.url in msg  # the official download location
    assert err.source_id == s.id and err.url == s.url and len(err.tried) == 3
    assert isinstance(err, FileNotFoundError)
    assert not (tmp_path / "cache" / s.path).exists()
    assert leftovers(tmp_path) == []


def test_unreachable_server_is_retried_then_clear(tmp_path):
    s = src(SMALL)
    r = Resolver(tmp_path, base_url="http://127.0.0.1:9", progress=False, backoff=0.0,
                 retries=2, timeout=2.0)  # port 9 (discard): connection refused
    with pytest.raises(SourceUnavailable) as ei:
        r.resolve(s)
    assert "ConnectError" in str(ei.value) and "2 attempts" in str(ei.value)


def test_cache_beats_mirror_beats_download(tmp_path, server, mirror):
    s = src(SMALL)
    cache = tmp_path / "cache"
    # 1. neither cache nor mirror: download
    assert resolver(cache, server).resolve_with_origin(s)[1] == "download"
    assert server.count(s.path) == 1
    # 2. cache present, mirror present: cache
    assert resolver(cache, server, mirror=mirror).resolve_with_origin(s) == (cache / s.path, "cache")
    # 3. cache empty, mirror present: mirror (no request)
    (cache / s.path).unlink()
    assert resolver(cache, server, mirror=mirror).resolve_with_origin(s) == (mirror / s.path, "mirror")
    assert server.count(s.path) == 1
    # where() agrees and never downloads
    assert resolver(cache, server, mirror=mirror).where(s) == (mirror / s.path, "mirror")
    assert resolver(cache, server).where(s) == (None, "missing")
    assert server.count(s.path) == 1


def test_corrupt_cache_entry_is_discarded(tmp_path, server, mirror):
    s = src(SMALL)
    bad = tmp_path / s.path
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"not the file")
    assert resolver(tmp_path, server, mirror=mirror).resolve_with_origin(s)[1] == "mirror"
    assert not bad.exists()
    bad.write_bytes(b"not the file either")
    path, origin = resolver(tmp_path, server).resolve_with_origin(s)
    assert origin == "download" and sha256_file(path) == s.sha256


def test_corrupt_mirror_file_falls_back_to_download_or_fails_clearly(tmp_path, server, mirror):
    s = src(SMALL)
    fake_mirror = tmp_path / "mirror"
    (fake_mirror / s.path).parent.mkdir(parents=True)
    (fake_mirror / s.path).write_bytes(b"corrupted mirror copy")
    with pytest.raises(ChecksumError, match=s.id):
        resolver(tmp_path / "c1", server, mirror=fake_mirror, offline=True).resolve(s)
    path, origin = resolver(tmp_path / "c2", server, mirror=fake_mirror).resolve_with_origin(s)
    assert origin == "download" and sha256_file(path) == s.sha256


def test_offline_never_downloads(tmp_path, server):
    s = src(SMALL)
    with pytest.raises(SourceUnavailable, match="offline") as ei:
        resolver(tmp_path, server, offline=True).resolve(s)
    assert s.url in str(ei.value)
    assert server.requests == []


def test_leftover_part_file_is_never_used(tmp_path, server, mirror):
    """A ``.part`` left by a killed download (even with correct bytes) is not the file."""
    s = src(SMALL)
    dest = tmp_path / s.path
    dest.parent.mkdir(parents=True)
    part = dest.with_name(dest.name + ".part")
    shutil.copyfile(mirror / s.path, part)
    junk = dest.with_name(dest.name + ".abc123.part")
    junk.write_bytes(b"half a file")
    r = resolver(tmp_path, server)
    assert r.where(s) == (None, "missing")
    r.resolve(s)
    assert server.count(s.path) == 1


def test_collection_member_downloads(tmp_path, server):
    coll = load_catalogue().collection("police_uk")
    member = coll.member(sorted(coll.sha256)[0])
    path = resolver(tmp_path, server).resolve(member)
    assert sha256_file(path) == member.sha256


def test_optional_source_is_downloaded_only_when_its_checksum_is_fixed(tmp_path, server):
    fixed = src("iod2025_file5_blackpool")  # optional-ish extract with a catalogue SHA-256
    assert fixed.sha256
    got = resolver(tmp_path, server).resolve_optional(fixed)
    assert got is not None and got[1] == "download" and sha256_file(got[0]) == fixed.sha256
    # no SHA-256 and no direct link (the official File 5): never downloaded
    assert resolver(tmp_path, server).resolve_optional(src(ABSENT_NOLINK)) is None
    assert server.requests == [f"/{fixed.path}"]
    # offline, or a failed download: None, not an error
    assert resolver(tmp_path / "c2", server, offline=True).resolve_optional(fixed) is None
    server.fault(fixed.path, "404")
    assert resolver(tmp_path / "c3", server).resolve_optional(fixed) is None
