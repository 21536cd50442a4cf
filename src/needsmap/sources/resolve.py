"""Resolve a catalogued file to a local path: user cache, then mirror, then download.

Resolution order for each :class:`~needsmap.sources.catalogue.Source`:

1. the user cache (``<cache>/<path>``), checked against the catalogue SHA-256;
   a corrupt cache entry is discarded;
2. the mirror directory (``--mirror`` / ``$NEEDSMAP_MIRROR``), checked the same way;
3. a download from the official URL (or ``<base_url>/<path>`` when
   ``$NEEDSMAP_BASE_URL`` is set, e.g. a loopback server in tests).

A download streams into a uniquely named ``<cache>/<path>.<random>.part`` file,
is checked for length (``Content-Length``) and SHA-256, fsynced, and only then
moved into place with :func:`os.replace`. A partial or corrupt file is
therefore never visible under the final name and never used: it is deleted and
the download is retried (with exponential back-off) for network errors,
truncated bodies, checksum mismatches and HTTP 408/425/429/5xx. Other HTTP
errors (404, 403, ...) are not retried. Local write errors (disk full,
read-only cache) stop at once with the path and the OS error.

Every failure raises :class:`SourceUnavailable` naming the source id, every
path tried and the official URL.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING
from urllib.parse import quote

import httpx

from needsmap import __version__
from needsmap.sources.catalogue import Source

if TYPE_CHECKING:
    from rich.console import Console

log = logging.getLogger(__name__)

#: HTTP statuses worth retrying; every other 4xx/5xx fails at once.
RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})

#: ``.part`` files older than this (seconds) are leftovers of a killed download.
STALE_PART_SECONDS = 3600.0


class SourceUnavailable(FileNotFoundError):  # noqa: N818 - public name used across the package
    """A source could not be found in the cache or mirror, nor downloaded.

    Attributes
    ----------
    source_id
        Catalogue id of the source.
    tried
        Local paths and URLs that were tried, in order.
    url
        The publisher's official download location.
    """

    def __init__(self, message: str, source_id: str | None = None,
                 tried: tuple[str, ...] = (), url: str | None = None) -> None:
        super().__init__(message)
        self.source_id, self.tried, self.url = source_id, tried, url

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class ChecksumError(ValueError):
    """A file's SHA-256 differs from the catalogue."""


class _Retry(Exception):  # noqa: N818
    """Internal: this attempt failed in a way worth retrying."""


class _Fatal(Exception):  # noqa: N818
    """Internal: this attempt failed in a way that retrying cannot fix."""


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Return the hex SHA-256 of ``path``, read in ``chunk``-byte blocks."""
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
    retries
        Download attempts per file (at least 1).
    progress
        Show a rich progress bar while downloading.
    backoff
        Seconds to wait after the first failed attempt; doubles each time.
    timeout
        Read timeout in seconds for one network read (connect: 15 s).
    console
        rich console for the progress bar (default: rich's global console).
    """

    def __init__(self, cache_dir: Path, mirror: Path | None = None, base_url: str | None = None,
                 offline: bool = False, verify: bool = True, retries: int = 3,
                 progress: bool = True, backoff: float = 0.5, timeout: float = 60.0,
                 console: Console | None = None) -> None:
        self.cache_dir = Path(cache_dir)
        self.mirror = Path(mirror) if mirror else None
        self.base_url = base_url if base_url is not None else os.environ.get("NEEDSMAP_BASE_URL")
        self.offline = offline
        self.verify = verify
        self.retries = max(1, int(retries))
        self.progress = progress
        self.backoff = backoff
        self.timeout = timeout
        self.console = console
        #: ``source_id -> "cache" | "mirror" | "download"`` for every resolved source.
        self.origins: dict[str, str] = {}
        self._memo_path = self.cache_dir / ".verified.json"
        self._memo: dict[str, str] | None = None

    # -- checksum memo ---------------------------------------------------------------
    def _memo_load(self) -> dict[str, str]:
        if self._memo is None:
            try:
                data = json.loads(self._memo_path.read_text())
                self._memo = {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
            except (OSError, ValueError):
                self._memo = {}
        return self._memo

    @staticmethod
    def _memo_key(path: Path) -> str:
        st = path.stat()
        return f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"

    def _memo_store(self, path: Path, digest: str) -> None:
        memo = self._memo_load()
        memo[self._memo_key(path)] = digest
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".verified.", suffix=".tmp", dir=self.cache_dir)
            with os.fdopen(fd, "w") as fh:
                json.dump(memo, fh)
            os.replace(tmp, self._memo_path)
        except OSError:
            pass  # a read-only or full cache only costs a re-hash next time

    def _verified(self, path: Path, expected: str) -> bool:
        if self._memo_load().get(self._memo_key(path)) == expected:
            return True
        ok = sha256_file(path) == expected
        if ok:
            self._memo_store(path, expected)
        return ok

    # -- resolution -------------------------------------------------------------------
    def where(self, source: Source) -> tuple[Path | None, str]:
        """Return ``(path, origin)`` without downloading; origin is cache/mirror/missing."""
        cached = self.cache_dir / source.path
        if cached.is_file():
            return cached, "cache"
        if self.mirror is not None:
            m = self.mirror / source.path
            if m.is_file():
                return m, "mirror"
        return None, "missing"

    def _tried(self, source: Source) -> list[str]:
        tried = [str(self.cache_dir / source.path)]
        if self.mirror is not None:
            tried.append(str(self.mirror / source.path))
        return tried

    def _unavailable(self, source: Source, reason: str, tried: list[str]) -> SourceUnavailable:
        msg = (f"source {source.id!r} ({source.title}) is unavailable: {reason}. "
               f"Tried: {'; '.join(tried)}.")
        if source.url:
            msg += f" Official download: {source.url}"
        return SourceUnavailable(msg, source_id=source.id, tried=tuple(tried), url=source.url)

    def resolve(self, source: Source) -> Path:
        """Return a local path for ``source``, downloading it if needed.

        Raises
        ------
        SourceUnavailable
            Not in the cache or mirror and the download failed (or ``offline``).
        ChecksumError
            The mirror's copy is corrupt and no download is possible.
        """
        path, _origin = self.resolve_with_origin(source)
        return path

    def resolve_with_origin(self, source: Source) -> tuple[Path, str]:
        """Like :meth:`resolve`, also returning ``"cache"``, ``"mirror"`` or ``"download"``."""
        bad_mirror: str | None = None
        for origin, base in (("cache", self.cache_dir), ("mirror", self.mirror)):
            if base is None:
                continue
            p = base / source.path
            if not p.is_file():
                continue
            if self.verify and source.sha256 and not self._verified(p, source.sha256):
                if origin == "cache":
                    log.warning("discarding corrupt cache entry %s (SHA-256 mismatch)", p)
                    try:
                        p.unlink()
                    except OSError:
                        pass  # read-only cache: just skip the bad copy
                    continue
                bad_mirror = (f"{p}: SHA-256 differs from the catalogue entry for "
                              f"{source.id} ({source.sha256[:12]}...)")
                log.warning("%s; trying a download instead", bad_mirror)
                continue
            self.origins[source.id] = origin
            return p, origin
        if self.offline:
            if bad_mirror:
                raise ChecksumError(f"{bad_mirror}. Offline, so it cannot be downloaded again.")
            raise self._unavailable(source, "not found, and downloads are off (offline)",
                                    self._tried(source))
        try:
            path = self.download(source)
        except SourceUnavailable as exc:
            if bad_mirror:
                raise ChecksumError(f"{bad_mirror}; and the download failed: {exc}") from exc
            raise
        self.origins[source.id] = "download"
        return path, "download"

    def resolve_optional(self, source: Source) -> tuple[Path, str] | None:
        """Resolve an optional source, or return ``None`` if it cannot be had.

        Found in the cache or mirror: as :meth:`resolve_with_origin`. Otherwise it
        is downloaded only when the catalogue fixes its SHA-256 (so a landing page
        or a changed file is never taken for the data) and downloads are allowed;
        a failed download gives ``None``.
        """
        path, _ = self.where(source)
        if path is None and (self.offline or not source.sha256):
            return None
        try:
            return self.resolve_with_origin(source)
        except SourceUnavailable:
            return None

    def url_for(self, source: Source) -> str:
        """Return the URL a download of ``source`` would fetch."""
        if self.base_url:
            return f"{self.base_url.rstrip('/')}/{quote(source.path, safe='/')}"
        return source.url

    # -- download ---------------------------------------------------------------------
    def _clean_stale_parts(self, dest: Path) -> None:
        now = time.time()
        for part in dest.parent.glob(f"{dest.name}*.part"):
            try:
                if now - part.stat().st_mtime > STALE_PART_SECONDS:
                    part.unlink()
            except OSError:
                pass

    def download(self, source: Source) -> Path:
        """Download ``source`` atomically, verifying length and checksum; retry on failure.

        Returns the final cache path. Raises :class:`SourceUnavailable` with
        every attempt's error if no attempt succeeds.
        """
        url = self.url_for(source)
        tried = self._tried(source)
        if not url.startswith(("http://", "https://")):
            raise self._unavailable(source, f"no downloadable http(s) URL ({url!r})", tried)
        tried.append(url)
        dest = self.cache_dir / source.path
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._unavailable(
                source, f"cannot create the cache directory {dest.parent}: {exc}", tried
            ) from exc
        self._clean_stale_parts(dest)
        errors: list[str] = []
        with httpx.Client(follow_redirects=True,
                          timeout=httpx.Timeout(self.timeout, connect=15.0),
                          headers={"Accept-Encoding": "identity",
                                   "User-Agent": f"needsmap/{__version__}"}) as client:
            for attempt in range(1, self.retries + 1):
                part: Path | None = None
                try:
                    fd, name = tempfile.mkstemp(prefix=f"{dest.name}.", suffix=".part",
                                                dir=dest.parent)
                    part = Path(name)
                    with os.fdopen(fd, "wb") as fh:
                        self._fetch(client, url, fh, source)
                        fh.flush()
                        os.fsync(fh.fileno())
                    if source.sha256:
                        got = sha256_file(part)
                        if got != source.sha256:
                            raise _Retry(f"SHA-256 {got[:12]}... differs from the catalogue's "
                                         f"{source.sha256[:12]}...")
                    os.replace(part, dest)
                    part = None
                    if source.sha256:
                        self._memo_store(dest, source.sha256)
                    return dest
                except _Fatal as exc:
                    errors.append(f"attempt {attempt}: {exc}")
                    break
                except (_Retry, httpx.TransportError) as exc:
                    errors.append(f"attempt {attempt}: {type(exc).__name__}: {exc}"
                                  if isinstance(exc, httpx.TransportError)
                                  else f"attempt {attempt}: {exc}")
                except httpx.HTTPError as exc:  # e.g. invalid URL
                    errors.append(f"attempt {attempt}: {type(exc).__name__}: {exc}")
                    break
                except OSError as exc:  # local write: disk full, read-only cache, ...
                    raise self._unavailable(
                        source, f"cannot write the download into {dest.parent}: {exc}", tried
                    ) from exc
                finally:
                    if part is not None:
                        part.unlink(missing_ok=True)
                if attempt < self.retries and self.backoff > 0:
                    time.sleep(self.backoff * 2 ** (attempt - 1))
        n = len(errors)
        raise self._unavailable(
            source, f"download from {url} failed after {n} attempt{'s' if n != 1 else ''} "
                    f"({'; '.join(errors)})", tried)

    def _fetch(self, client: httpx.Client, url: str, fh: IO[bytes], source: Source) -> None:
        with client.stream("GET", url) as resp:
            if resp.status_code >= 400:
                reason = f"HTTP {resp.status_code} {resp.reason_phrase} from {url}"
                raise (_Retry if resp.status_code in RETRY_STATUS else _Fatal)(reason)
            expected = resp.headers.get("content-length")
            total = int(expected) if expected and expected.isdigit() else None
            chunks = resp.iter_bytes(1 << 16)
            if self.progress:
                from rich.progress import (
                    BarColumn,
                    DownloadColumn,
                    Progress,
                    TransferSpeedColumn,
                )
                with Progress("[progress.description]{task.description}", BarColumn(),
                              DownloadColumn(), TransferSpeedColumn(), transient=True,
                              console=self.console) as prog:
                    task = prog.add_task(f"download {source.id}", total=total)
                    for chunk in chunks:
                        fh.write(chunk)
                        prog.update(task, advance=len(chunk))
            else:
                for chunk in chunks:
                    fh.write(chunk)
            got = resp.num_bytes_downloaded
            if total is not None and got != total:
                raise _Retry(f"truncated download: {got} of {total} bytes from {url}")
