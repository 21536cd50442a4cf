"""Resolve a catalogued file to a local path: user cache, then mirror, then download.

A download streams to ``<cache>/<path>.part``, is checked against the catalogue's
SHA-256 and is then moved into place with :func:`os.replace`, so a partial or
corrupt file is never used. A failed checksum discards the file and retries.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import httpx

from needsmap.sources.catalogue import Source


class SourceUnavailable(FileNotFoundError):
    """A source could not be found in the cache or mirror, nor downloaded."""


class ChecksumError(ValueError):
    """A file's SHA-256 differs from the catalogue."""


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


class Resolver:
    """Find source files.

    Parameters
    ----------
    cache_dir
        User cache; downloads are stored here under the catalogue ``path``.
    mirror
        A directory laid out like the official-file mirror, or ``None``.
    base_url
        If set, downloads come from ``<base_url>/<path>`` instead of each
        source's official ``url`` (used to test against a loopback server that
        serves a mirror; also ``$NEEDSMAP_BASE_URL``).
    offline
        Never download.
    verify
        Check SHA-256 of cache and mirror files (memoised by size and mtime).
    """

    def __init__(self, cache_dir: Path, mirror: Path | None = None, base_url: str | None = None,
                 offline: bool = False, verify: bool = True, retries: int = 3,
                 progress: bool = True) -> None:
        self.cache_dir = Path(cache_dir)
        self.mirror = Path(mirror) if mirror else None
        self.base_url = base_url if base_url is not None else os.environ.get("NEEDSMAP_BASE_URL")
        self.offline = offline
        self.verify = verify
        self.retries = retries
        self.progress = progress
        self._memo_path = self.cache_dir / ".verified.json"
        self._memo: dict[str, str] | None = None

    # -- checksum memo ---------------------------------------------------------------
    def _memo_load(self) -> dict[str, str]:
        if self._memo is None:
            try:
                self._memo = json.loads(self._memo_path.read_text())
            except (OSError, ValueError):
                self._memo = {}
        return self._memo

    def _verified(self, path: Path, expected: str) -> bool:
        st = path.stat()
        key = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
        memo = self._memo_load()
        if memo.get(key) == expected:
            return True
        ok = sha256_file(path) == expected
        if ok:
            memo[key] = expected
            try:
                self.cache_dir.mkdir(parents=True, exist_ok=True)
                tmp = self._memo_path.with_suffix(".tmp")
                tmp.write_text(json.dumps(memo))
                os.replace(tmp, self._memo_path)
            except OSError:
                pass  # a read-only cache only costs a re-hash next time
        return ok

    # -- resolution -------------------------------------------------------------------
    def where(self, source: Source) -> tuple[Path | None, str]:
        """Return ``(path, origin)`` without downloading; origin is cache/mirror/missing."""
        cached = self.cache_dir / source.path
        if cached.exists():
            return cached, "cache"
        if self.mirror is not None:
            m = self.mirror / source.path
            if m.exists():
                return m, "mirror"
        return None, "missing"

    def resolve(self, source: Source) -> Path:
        """Return a local path for ``source``, downloading it if needed."""
        for origin in ("cache", "mirror"):
            base = self.cache_dir if origin == "cache" else self.mirror
            if base is None:
                continue
            p = base / source.path
            if p.exists():
                if self.verify and source.sha256 and not self._verified(p, source.sha256):
                    if origin == "cache":
                        p.unlink()  # corrupt cache entry: discard and fall through
                        continue
                    raise ChecksumError(
                        f"{p}: SHA-256 differs from the catalogue entry for {source.id}"
                    )
                return p
        if self.offline:
            raise SourceUnavailable(self._missing_message(source))
        return self.download(source)

    def _missing_message(self, source: Source) -> str:
        where = [str(self.cache_dir / source.path)]
        if self.mirror is not None:
            where.append(str(self.mirror / source.path))
        return (f"source {source.id!r} ({source.title}) not found in " + " or ".join(where)
                + (f"; official download: {source.url}" if source.url else ""))

    def url_for(self, source: Source) -> str:
        if self.base_url:
            return f"{self.base_url.rstrip('/')}/{source.path}"
        return source.url

    def download(self, source: Source) -> Path:
        """Download ``source`` atomically, verifying its checksum; retry on failure."""
        url = self.url_for(source)
        dest = self.cache_dir / source.path
        dest.parent.mkdir(parents=True, exist_ok=True)
        part = dest.with_name(dest.name + ".part")
        last: Exception | None = None
        for _attempt in range(self.retries):
            try:
                self._fetch(url, part, source)
                if source.sha256:
                    got = sha256_file(part)
                    if got != source.sha256:
                        raise ChecksumError(
                            f"download of {source.id} from {url}: SHA-256 {got[:12]}... "
                            f"differs from the catalogue's {source.sha256[:12]}..."
                        )
                os.replace(part, dest)
                return dest
            except (httpx.HTTPError, ChecksumError, OSError) as exc:
                last = exc
                part.unlink(missing_ok=True)
        raise SourceUnavailable(
            f"{self._missing_message(source)}; download failed after {self.retries} tries: {last}"
        ) from last

    def _fetch(self, url: str, part: Path, source: Source) -> None:
        with httpx.stream("GET", url, follow_redirects=True, timeout=60.0) as resp:
            resp.raise_for_status()
            total = int(resp.headers.get("content-length") or 0) or None
            if self.progress:
                from rich.progress import (BarColumn, DownloadColumn, Progress,
                                           TransferSpeedColumn)
                with Progress("[progress.description]{task.description}", BarColumn(),
                              DownloadColumn(), TransferSpeedColumn(), transient=True) as prog:
                    task = prog.add_task(f"download {source.id}", total=total)
                    with open(part, "wb") as fh:
                        for chunk in resp.iter_bytes(1 << 16):
                            fh.write(chunk)
                            prog.update(task, advance=len(chunk))
            else:
                with open(part, "wb") as fh:
                    for chunk in resp.iter_bytes(1 << 16):
                        fh.write(chunk)
            if total is not None and part.stat().st_size != total:
                raise httpx.HTTPError(
                    f"truncated download: {part.stat().st_size} of {total} bytes"
                )
