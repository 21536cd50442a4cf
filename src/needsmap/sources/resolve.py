"""Resolve a catalogued file to a local path: user cache, then mirror, then download.

Resolution order for each :class:`~needsmap.sources.catalogue.Source`:

1. the user cache: the publisher's file (``<cache>/<save_as>``), then the mirror's
   copy (``<cache>/<path>``);
2. the mirror directory (``--mirror`` / ``$NEEDSMAP_MIRROR``): ``<mirror>/<path>``,
   then ``<mirror>/<save_as>``;
3. a download: from the mirror over HTTP (``<base_url>/<path>``, when
   ``$NEEDSMAP_BASE_URL`` is set), else from the publisher's direct link
   (``download``) into ``<cache>/<save_as>``.

**Checks.** A file that is the mirror's copy is checked by the catalogue's SHA-256.
A publisher's file cannot be (it changes with every release): it is checked by its
layout (:mod:`needsmap.sources.layouts`: the columns the reader needs; for a fresh
download also a plausible row count) and its own SHA-256 is recorded (the store's
``source`` table). A cache file that passes neither check is not used (one under the
mirror copy's name is deleted as corrupt; a file saved by hand under ``save_as`` is
left for the user to look at); the reason is kept in
:attr:`Resolver.refused` for ``needsmap sources``.

**Downloads** stream into a uniquely named ``<dest>.<random>.part`` file, are checked
(length, then SHA-256 or layout), fsynced, and only then moved into place with
:func:`os.replace`. A partial or corrupt file is never visible under the final
name: it is deleted and the download is retried (with exponential back-off) for
network errors, truncated bodies, checksum mismatches and HTTP 408/425/429/5xx.
Other HTTP errors (404, 403, ...) and a layout mismatch are not retried. Local
write errors (disk full, read-only cache) stop at once with the path and the OS
error. ``fetch = "dated"`` links (GIAS) try today's file, then up to a week back;
``fetch = "arcgis"`` reads an ONS feature service page by page
(:mod:`needsmap.sources.arcgis`); ``fetch = "gias_extract"`` asks GIAS's Downloads form
for an extract and takes the data CSV out of its zip (:mod:`needsmap.sources.gias_extract`;
an unexpected answer at any step is not retried, except HTTP 429/5xx and no answer).

For tests, ``$NEEDSMAP_URL_PREFIX`` (or ``url_prefix``) rewrites every publisher link
``https://host/path?query`` to ``<prefix>/host/path?query`` (a loopback server that
serves files in the publishers' layouts at the catalogue's paths).

Every failure raises :class:`SourceUnavailable` naming the source id, every path
tried and the official link.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING
from urllib.parse import quote, urlsplit

import httpx

from needsmap import __version__
from needsmap.sources.catalogue import Source
from needsmap.sources.layouts import LayoutMismatch, get_layout

if TYPE_CHECKING:
    from rich.console import Console

log = logging.getLogger(__name__)

#: HTTP statuses worth retrying; every other 4xx/5xx fails at once.
RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})

#: ``.part`` files older than this (seconds) are leftovers of a killed download.
STALE_PART_SECONDS = 3600.0

#: How many days back a dated link (``fetch = "dated"``) is tried.
DATED_DAYS_BACK = 7

MIRROR_COPY = "mirror copy"
PUBLISHER_FILE = "publisher's file"


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


class _NotFound(_Fatal):
    """Internal: HTTP 404 (a dated link tries the day before)."""


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Return the hex SHA-256 of ``path``, read in ``chunk``-byte blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class Found:
    """A resolved source file and how it was checked.

    Attributes
    ----------
    path
        Local path.
    origin
        ``cache``, ``mirror`` or ``download``.
    form
        :data:`MIRROR_COPY` or :data:`PUBLISHER_FILE`.
    check
        What was checked (``sha256 = catalogue`` or the layout check's description).
    url
        The link it was downloaded from (downloads, and cache files that were).
    """

    path: Path
    origin: str
    form: str
    check: str
    url: str | None = None


def rewrite_url(url: str, prefix: str | None) -> str:
    """``https://host/path?q`` -> ``<prefix>/host/path?q`` (unchanged without a prefix)."""
    if not prefix:
        return url
    parts = urlsplit(url)
    out = f"{prefix.rstrip('/')}/{parts.netloc}{parts.path}"
    return out + (f"?{parts.query}" if parts.query else "")


class Resolver:
    """Find source files.

    Parameters
    ----------
    cache_dir
        User cache; downloads are stored here (the publisher's file under the
        catalogue's ``save_as``, a copy of the mirror under ``path``).
    mirror
        A directory laid out like the official-file mirror, or ``None``.
    base_url
        The mirror over HTTP: if set, a source with a mirror ``path`` and SHA-256
        is downloaded from ``<base_url>/<path>`` instead of from its publisher (also
        ``$NEEDSMAP_BASE_URL``).
    url_prefix
        Rewrite publisher links to ``<url_prefix>/<host>/<path>`` (tests; also
        ``$NEEDSMAP_URL_PREFIX``).
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
    today
        The date dated links start from (default: today).
    """

    def __init__(self, cache_dir: Path, mirror: Path | None = None, base_url: str | None = None,
                 offline: bool = False, verify: bool = True, retries: int = 3,
                 progress: bool = True, backoff: float = 0.5, timeout: float = 60.0,
                 console: Console | None = None, url_prefix: str | None = None,
                 today: dt.date | None = None) -> None:
        self.cache_dir = Path(cache_dir)
        self.mirror = Path(mirror) if mirror else None
        self.base_url = base_url if base_url is not None else os.environ.get("NEEDSMAP_BASE_URL")
        self.url_prefix = (url_prefix if url_prefix is not None
                           else os.environ.get("NEEDSMAP_URL_PREFIX"))
        self.offline = offline
        self.verify = verify
        self.retries = max(1, int(retries))
        self.progress = progress
        self.backoff = backoff
        self.timeout = timeout
        self.console = console
        self.today = today
        #: ``source_id -> "cache" | "mirror" | "download"`` for every resolved source.
        self.origins: dict[str, str] = {}
        #: ``source_id -> reason`` for files present but refused (wrong checksum and layout).
        self.refused: dict[str, str] = {}
        self._memo_path = self.cache_dir / ".verified.json"
        self._memo: dict[str, str] | None = None
        self._prov_path = self.cache_dir / ".provenance.json"

    # -- checksum / layout memo -------------------------------------------------------------
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

    def _memo_store(self, path: Path, value: str, prefix: str = "") -> None:
        memo = self._memo_load()
        memo[prefix + self._memo_key(path)] = value
        self._write_json(self._memo_path, memo)

    def _write_json(self, dest: Path, data: dict) -> None:
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f"{dest.name}.", suffix=".tmp", dir=self.cache_dir)
            with os.fdopen(fd, "w") as fh:
                json.dump(data, fh)
            os.replace(tmp, dest)
        except OSError:
            pass  # a read-only or full cache only costs a re-check next time

    def sha256(self, path: Path) -> str:
        """SHA-256 of ``path`` (memoised by path, size and mtime)."""
        key = self._memo_key(path)
        memo = self._memo_load()
        if key in memo:
            return memo[key]
        digest = sha256_file(path)
        self._memo_store(path, digest)
        return digest

    def _verified(self, path: Path, expected: str) -> bool:
        if self._memo_load().get(self._memo_key(path)) == expected:
            return True
        got = sha256_file(path)
        self._memo_store(path, got)
        return got == expected

    def _layout_ok(self, source: Source, path: Path, full: bool = False) -> str:
        """The layout check's description (memoised); raises LayoutMismatch."""
        assert source.layout
        key = f"layout:{source.layout}:{int(full)}|"
        memo = self._memo_load()
        hit = memo.get(key + self._memo_key(path))
        if hit is not None:
            return hit
        desc = get_layout(source.layout).check(path, full=full)
        self._memo_store(path, desc, prefix=key)
        return desc

    # -- provenance of downloads ------------------------------------------------------------
    def _prov(self) -> dict[str, dict]:
        try:
            data = json.loads(self._prov_path.read_text())
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def _prov_store(self, rel: str, url: str, check: str) -> None:
        data = self._prov()
        data[rel] = {"url": url, "check": check,
                     "fetched": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        self._write_json(self._prov_path, data)

    def downloaded_from(self, source: Source) -> str | None:
        """The link a cached publisher's file was downloaded from, if it was."""
        rec = self._prov().get(source.cache_name)
        return rec.get("url") if isinstance(rec, dict) else None

    # -- resolution -------------------------------------------------------------------------
    def _candidates(self, source: Source) -> Iterator[tuple[str, Path, str]]:
        """``(origin, path, kind)`` in resolution order; kind is ``sha`` or ``layout``."""
        seen: set[Path] = set()
        order: list[tuple[str, Path | None, str | None]] = [
            ("cache", self.cache_dir, source.save_as), ("cache", self.cache_dir, source.path),
            ("mirror", self.mirror, source.path), ("mirror", self.mirror, source.save_as)]
        for origin, base, rel in order:
            if base is None or not rel:
                continue
            p = base / rel
            if p in seen:
                continue
            seen.add(p)
            yield origin, p, "path" if rel == source.path else "save_as"

    def _accept(self, source: Source, origin: str, p: Path, which: str) -> Found | None:
        """Check one present file; return how it was accepted, or None (refused)."""
        reasons = []
        if which == "path" and source.sha256:
            if not self.verify or self._verified(p, source.sha256):
                return Found(p, origin, MIRROR_COPY, "sha256 = catalogue (mirror copy)")
            reasons.append(f"SHA-256 differs from the catalogue entry for {source.id} "
                           f"({source.sha256[:12]}...)")
        elif which == "path" and not source.layout:
            return Found(p, origin, MIRROR_COPY, "no checksum catalogued")
        if source.layout:
            try:
                desc = self._layout_ok(source, p)
            except LayoutMismatch as exc:
                reasons.append(f"not the publisher's layout either: {exc}" if reasons
                               else str(exc))
            else:
                url = self.downloaded_from(source) if origin == "cache" else None
                return Found(p, origin, PUBLISHER_FILE, desc, url)
        why = f"{p}: " + "; ".join(reasons)
        self.refused[source.id] = why
        log.warning("not using %s", why)
        if origin == "cache" and which == "path":
            try:
                p.unlink()  # a corrupt copy of the mirror's file: discard it
            except OSError:
                pass  # read-only cache: just skip the bad copy
        return None

    def find(self, source: Source) -> Found | None:
        """The first present file that passes its check, without downloading."""
        self.refused.pop(source.id, None)
        for origin, p, which in self._candidates(source):
            if p.is_file():
                found = self._accept(source, origin, p, which)
                if found is not None:
                    return found
        return None

    def where(self, source: Source) -> tuple[Path | None, str]:
        """Return ``(path, origin)`` without downloading; origin is cache/mirror/missing."""
        found = self.find(source)
        return (found.path, found.origin) if found else (None, "missing")

    def _tried(self, source: Source) -> list[str]:
        return [str(p) for _, p, _ in self._candidates(source)]

    def _unavailable(self, source: Source, reason: str, tried: list[str]) -> SourceUnavailable:
        msg = (f"source {source.id!r} ({source.title}) is unavailable: {reason}. "
               f"Tried: {'; '.join(tried)}.")
        if source.url:
            msg += f" Official download: {source.url}"
        if source.manual:
            msg += f" By hand: {source.manual}, saved as {self.cache_dir / source.cache_name}."
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
        return self.resolve_found(source).path

    def resolve_with_origin(self, source: Source) -> tuple[Path, str]:
        """Like :meth:`resolve`, also returning ``"cache"``, ``"mirror"`` or ``"download"``."""
        f = self.resolve_found(source)
        return f.path, f.origin

    def resolve_found(self, source: Source) -> Found:
        """Like :meth:`resolve`, returning the :class:`Found` record."""
        found = self.find(source)
        if found is not None:
            self.origins[source.id] = found.origin
            return found
        bad = self.refused.get(source.id)
        bad_mirror = bad if bad and self.mirror and str(self.mirror) in bad else None
        if self.offline:
            if bad_mirror:
                raise ChecksumError(f"{bad_mirror}. Offline, so it cannot be downloaded again.")
            raise self._unavailable(source, "not found, and downloads are off (offline)"
                                    + (f"; refused: {bad}" if bad else ""), self._tried(source))
        try:
            found = self.download_found(source)
        except SourceUnavailable as exc:
            if bad_mirror:
                raise ChecksumError(f"{bad_mirror}; and the download failed: {exc}") from exc
            raise
        self.origins[source.id] = "download"
        return found

    def resolve_optional(self, source: Source) -> tuple[Path, str] | None:
        """Resolve an optional source, or return ``None`` if it cannot be had.

        Found in the cache or mirror: as :meth:`resolve_with_origin`. Otherwise it is
        downloaded only from the mirror over HTTP (``base_url``) when the catalogue
        fixes its SHA-256; a publisher's download of an optional source is made by
        ``needsmap fetch``, never silently during a build. A failed download gives
        ``None``.
        """
        f = self.resolve_optional_found(source)
        return (f.path, f.origin) if f else None

    def resolve_optional_found(self, source: Source) -> Found | None:
        """Like :meth:`resolve_optional`, returning the :class:`Found` record."""
        found = self.find(source)
        if found is not None:
            self.origins[source.id] = found.origin
            return found
        if self.offline or not self._from_mirror_url(source):
            return None
        try:
            return self.resolve_found(source)
        except (SourceUnavailable, ChecksumError):
            return None

    def url_for(self, source: Source, date: dt.date | None = None) -> str:
        """Return the URL a download of ``source`` would fetch."""
        if self._from_mirror_url(source):
            return f"{self.base_url.rstrip('/')}/{quote(source.path, safe='/')}"  # type: ignore[union-attr]
        url = source.download or source.url
        if source.fetch == "dated":
            url = url.format(date=date or self.today or dt.date.today())
        return rewrite_url(url, self.url_prefix)

    def _from_mirror_url(self, source: Source) -> bool:
        return bool(self.base_url and source.path and source.sha256)

    # -- download ---------------------------------------------------------------------------
    def _clean_stale_parts(self, dest: Path) -> None:
        now = time.time()
        for part in dest.parent.glob(f"{dest.name}*.part"):
            try:
                if now - part.stat().st_mtime > STALE_PART_SECONDS:
                    part.unlink()
            except OSError:
                pass

    def download(self, source: Source) -> Path:
        """Download ``source`` (see :meth:`download_found`) and return its cache path."""
        return self.download_found(source).path

    def download_found(self, source: Source) -> Found:
        """Download ``source`` atomically, check it, retry on failure.

        From the mirror over HTTP (``base_url``): into ``<cache>/<path>``, checked by the
        catalogue's SHA-256. From the publisher: into ``<cache>/<save_as>``, checked by the
        layout (with a row count), or by the SHA-256 if the catalogue fixes it and names no
        layout. Raises :class:`SourceUnavailable` with every attempt's error if no attempt
        succeeds.
        """
        tried = self._tried(source)
        mirror_copy = self._from_mirror_url(source)
        if not mirror_copy and not source.download:
            raise self._unavailable(source, "no direct download link (get it by hand)", tried)
        dest = self.cache_dir / (source.path if mirror_copy else source.cache_name)  # type: ignore[operator]
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._unavailable(
                source, f"cannot create the cache directory {dest.parent}: {exc}", tried) from exc
        self._clean_stale_parts(dest)
        dates: list[dt.date | None] = [None]
        if source.fetch == "dated" and not mirror_copy:
            start = self.today or dt.date.today()
            dates = [start - dt.timedelta(days=d) for d in range(DATED_DAYS_BACK + 1)]
        errors: list[str] = []
        with httpx.Client(follow_redirects=True,
                          timeout=httpx.Timeout(self.timeout, connect=15.0),
                          headers={"Accept-Encoding": "identity",
                                   "User-Agent": f"needsmap/{__version__}"}) as client:
            for date in dates:
                url = self.url_for(source, date)
                if not url.startswith(("http://", "https://")):
                    raise self._unavailable(source, f"no downloadable http(s) URL ({url!r})", tried)
                tried.append(url)
                try:
                    check = self._attempts(client, source, url, dest, mirror_copy, errors)
                except _NotFound:
                    continue  # a dated link: try the day before
                if check is None:
                    break
                if not mirror_copy:
                    self._prov_store(source.cache_name, url, check)
                return Found(dest, "download", MIRROR_COPY if mirror_copy else PUBLISHER_FILE,
                             check, url)
        n = len(errors)
        raise self._unavailable(
            source, f"download failed after {n} attempt{'s' if n != 1 else ''} "
                    f"({'; '.join(errors)})", tried)

    def _attempts(self, client: httpx.Client, source: Source, url: str, dest: Path,
                  mirror_copy: bool, errors: list[str]) -> str | None:
        """Try ``url`` up to ``retries`` times; return the check text, or None on failure."""
        for attempt in range(1, self.retries + 1):
            part: Path | None = None
            try:
                fd, name = tempfile.mkstemp(prefix=f"{dest.name}.", suffix=".part",
                                            dir=dest.parent)
                part = Path(name)
                if source.fetch == "arcgis" and not mirror_copy:
                    os.close(fd)
                    self._fetch_arcgis(client, url, part, source)
                elif source.fetch == "gias_extract" and not mirror_copy:
                    os.close(fd)
                    self._fetch_gias(client, part, source)
                else:
                    with os.fdopen(fd, "wb") as fh:
                        self._fetch(client, url, fh, source)
                        fh.flush()
                        os.fsync(fh.fileno())
                check = self._check_download(source, part, mirror_copy)
                os.replace(part, dest)
                part = None
                if source.sha256 and check.startswith("sha256"):
                    self._memo_store(dest, source.sha256)
                return check
            except _NotFound as exc:
                errors.append(f"{url}: {exc}")
                raise
            except _Fatal as exc:
                errors.append(f"attempt {attempt}: {exc}")
                return None
            except (_Retry, httpx.TransportError) as exc:
                errors.append(f"attempt {attempt}: {type(exc).__name__}: {exc}"
                              if isinstance(exc, httpx.TransportError)
                              else f"attempt {attempt}: {exc}")
            except httpx.HTTPError as exc:  # e.g. invalid URL
                errors.append(f"attempt {attempt}: {type(exc).__name__}: {exc}")
                return None
            except OSError as exc:  # local write: disk full, read-only cache, ...
                raise self._unavailable(
                    source, f"cannot write the download into {dest.parent}: {exc}",
                    self._tried(source)) from exc
            finally:
                if part is not None:
                    part.unlink(missing_ok=True)
            if attempt < self.retries and self.backoff > 0:
                time.sleep(self.backoff * 2 ** (attempt - 1))
        return None

    def _check_download(self, source: Source, part: Path, mirror_copy: bool) -> str:
        """Check a complete download; raise _Retry (checksum) or _Fatal (layout)."""
        if source.sha256 and (mirror_copy or not source.layout):
            got = sha256_file(part)
            if got != source.sha256:
                raise _Retry(f"SHA-256 {got[:12]}... differs from the catalogue's "
                             f"{source.sha256[:12]}...")
            return "sha256 = catalogue" + (" (mirror copy)" if mirror_copy else "")
        if source.layout:
            try:
                desc = get_layout(source.layout).check(part, full=True)
            except LayoutMismatch as exc:
                raise _Fatal(f"the download does not have the expected layout: {exc}") from exc
            if source.sha256 and sha256_file(part) == source.sha256:
                desc += "; sha256 = catalogue (same bytes as the mirror)"
            return desc
        return "length only (no checksum or layout catalogued)"

    def _bar(self, source: Source):  # noqa: ANN202
        from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

        return Progress("[progress.description]{task.description}", BarColumn(),
                        DownloadColumn(), TransferSpeedColumn(), transient=True,
                        console=self.console)

    def _fetch(self, client: httpx.Client, url: str, fh: IO[bytes], source: Source) -> None:
        with client.stream("GET", url) as resp:
            if resp.status_code >= 400:
                reason = f"HTTP {resp.status_code} {resp.reason_phrase} from {url}"
                if resp.status_code == 404 and source.fetch == "dated":
                    raise _NotFound(reason)
                raise (_Retry if resp.status_code in RETRY_STATUS else _Fatal)(reason)
            expected = resp.headers.get("content-length")
            total = int(expected) if expected and expected.isdigit() else None
            chunks = resp.iter_bytes(1 << 16)
            if self.progress:
                with self._bar(source) as prog:
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

    def _fetch_arcgis(self, client: httpx.Client, url: str, part: Path, source: Source) -> None:
        from needsmap.sources import arcgis

        try:
            if self.progress:
                from rich.progress import BarColumn, MofNCompleteColumn, Progress

                with Progress("[progress.description]{task.description}", BarColumn(),
                              MofNCompleteColumn(), transient=True, console=self.console) as prog:
                    task = prog.add_task(f"download {source.id} (feature service)", total=None)
                    arcgis.write_layer(client, url, part, source.where,
                                       lambda n, tot: prog.update(task, completed=n, total=tot))
            else:
                arcgis.write_layer(client, url, part, source.where)
        except httpx.HTTPStatusError as exc:
            code = exc.response.status_code
            raise (_Retry if code in RETRY_STATUS else _Fatal)(str(exc)) from exc
        except arcgis.ArcGISError as exc:
            raise _Retry(str(exc)) from exc

    def _fetch_gias(self, client: httpx.Client, part: Path, source: Source) -> None:
        from needsmap.sources import gias_extract

        def run(say) -> None:  # noqa: ANN001
            gias_extract.fetch_extract(client, source.download, part, source.tags,  # type: ignore[arg-type]
                                       source.member,
                                       rewrite=lambda u: rewrite_url(u, self.url_prefix),
                                       progress=say)

        try:
            if self.progress:
                from rich.progress import Progress, SpinnerColumn

                with Progress(SpinnerColumn(), "[progress.description]{task.description}",
                              transient=True, console=self.console) as prog:
                    task = prog.add_task(f"download {source.id}", total=None)
                    run(lambda text: prog.update(task, description=f"{source.id}: {text}"))
            else:
                run(None)
        except gias_extract.GIASExtractError as exc:
            retry = exc.network or (exc.status is not None and exc.status in RETRY_STATUS)
            raise (_Retry if retry else _Fatal)(str(exc)) from exc
