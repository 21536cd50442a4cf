"""Get an extract that GIAS makes on request (``fetch = "gias_extract"``).

Get Information about Schools has no direct link for some of its lists (the open
children's centres): its Downloads page makes the extract when asked. A program does
what a person's browser does there, and checks each step:

1. **Downloads page.** ``GET <download>`` (the catalogue's link, the Downloads page). It
   must hold a form posting to ``.../Downloads/Collate`` with an input for every tag
   asked for (the catalogue's ``tags``). The anti-forgery token
   (``__RequestVerificationToken``), when the form has one, goes back with the form;
   its cookie stays in the client.
2. **Collate.** ``POST`` the form as a browser sends it: every hidden input in page
   order, the first named submit button, and the checkboxes of the tags asked for ticked (a checkbox whose value is the
   tag, or ``<prefix>.Selected`` beside a hidden ``<prefix>.Tag`` holding it). The answer
   must be a redirect to the page that says the extract is being made, or that page
   (a link to the extract, or a ``<meta http-equiv="refresh">``).
3. **Wait.** That page is read again every :data:`POLL_SECONDS` until it links to
   ``/Downloads/Download/Extract`` (at most :data:`MAX_WAIT_SECONDS`).
4. **Zip.** ``GET`` the extract: it must be a zip.
5. **Member.** The one member whose name matches the catalogue's ``member`` glob (e.g.
   ``edubaseallchildrencentre*.csv``) and is not a links file (a name holding ``link``)
   is written to the destination as its bytes are (UTF-8 or Windows-1252); the resolver
   then checks its layout (:mod:`needsmap.sources.layouts`).

None of this protocol could be checked from an online machine (``OFFICIAL_SOURCES.md``
section 12), so every step that gets an unexpected answer raises
:class:`GIASExtractError` naming the step and what came back; the resolver adds the
by-hand route (the catalogue's ``manual``). Links and redirects are resolved against the
publisher's address, then passed through ``rewrite`` (the tests' URL prefix).
"""

from __future__ import annotations

import fnmatch
import io
import re
import time
import zipfile
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

import httpx

#: Seconds between two reads of the "being made" page.
POLL_SECONDS = 3.0
#: Longest wait for the extract to be made (seconds).
MAX_WAIT_SECONDS = 600.0
#: Largest zip accepted (bytes); the national children's centres extract is well under 1 MB.
MAX_ZIP_BYTES = 200 * 2**20
#: Redirects followed per request.
MAX_REDIRECTS = 5

COLLATE = "/Downloads/Collate"
EXTRACT = "/Downloads/Download/Extract"
TOKEN = "__RequestVerificationToken"

STEPS = {1: "step 1 (the Downloads page)", 2: "step 2 (the collate request)",
         3: "step 3 (waiting for the extract)", 4: "step 4 (the extract zip)",
         5: "step 5 (the CSV in the zip)"}


class GIASExtractError(RuntimeError):
    """GIAS answered a step of the extract request unexpectedly.

    Attributes
    ----------
    step
        1 to 5 (:data:`STEPS`).
    status
        The HTTP status of the answer, if any (the resolver retries 429 and 5xx).
    network
        True if no answer came (a network error: the resolver retries it).
    """

    def __init__(self, step: int, message: str, status: int | None = None,
                 network: bool = False) -> None:
        super().__init__(f"GIAS extract, {STEPS[step]}: {message}")
        self.step, self.status, self.network = step, status, network


class _Page(HTMLParser):
    """The forms, links, meta refresh and title of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.links: list[str] = []
        self.refresh: str | None = None
        self.title = ""
        self._in_title = False
        self._form: dict | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "form":
            self._form = {"action": a.get("action", ""), "method": a.get("method", "get").lower(),
                          "inputs": []}
            self.forms.append(self._form)
        elif tag in ("input", "button") and self._form is not None and a.get("name"):
            kind = a.get("type", "text" if tag == "input" else "submit").lower()
            self._form["inputs"].append({"name": a["name"], "value": a.get("value", ""),
                                         "type": kind, "checked": "checked" in a})
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            m = re.search(r"url\s*=\s*['\"]?([^'\";]+)", a.get("content", ""), re.IGNORECASE)
            self.refresh = m.group(1).strip() if m else ""
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data.strip()


def _parse(resp: httpx.Response) -> _Page:
    page = _Page()
    page.feed(resp.text)
    return page


def _came_back(resp: httpx.Response) -> str:
    """What came back, in a few words: status, type, and the page title or first bytes."""
    ctype = resp.headers.get("content-type", "?").split(";")[0]
    what = f"HTTP {resp.status_code}, {ctype}, {len(resp.content):,} bytes"
    if "html" in ctype:
        title = _parse(resp).title
        if title:
            return f"{what}, page title {title[:80]!r}"
    return f"{what}, starting {resp.content[:60]!r}"


class _Session:
    """Requests against the publisher's addresses (redirects followed by hand, so that a
    relative link or ``Location`` is resolved against the publisher's URL, then rewritten)."""

    def __init__(self, client: httpx.Client, rewrite: Callable[[str], str]) -> None:
        self.client, self.rewrite = client, rewrite

    def request(self, step: int, method: str, url: str, follow: bool = True, **kw: object
                ) -> tuple[httpx.Response, str]:
        """``(response, its public URL)`` after redirects (unless not ``follow``); HTTP errors
        raise for ``step``."""
        for _ in range(MAX_REDIRECTS + 1):
            try:
                resp = self.client.request(method, self.rewrite(url), follow_redirects=False,
                                           **kw)  # type: ignore[arg-type]
            except httpx.TransportError as exc:
                raise GIASExtractError(step, f"{method} {url}: no answer "
                                             f"({type(exc).__name__}: {exc})", network=True) from exc
            if resp.is_redirect and not resp.headers.get("location"):
                raise GIASExtractError(step, f"{method} {url} answered HTTP "
                                             f"{resp.status_code} with no Location")
            if resp.is_redirect and follow:
                url = urljoin(url, resp.headers["location"])
                method, kw = "GET", {}
                continue
            if resp.status_code >= 400:
                raise GIASExtractError(step, f"{method} {url} answered {_came_back(resp)}",
                                       status=resp.status_code)
            return resp, url
        raise GIASExtractError(step, f"more than {MAX_REDIRECTS} redirects from {url}")


def _collate_form(page: _Page, url: str, tags: tuple[str, ...]) -> tuple[str, list[tuple[str, str]]]:
    """The collate form's action and the fields a browser posts with ``tags`` ticked."""
    forms = [f for f in page.forms if urlsplit(urljoin(url, f["action"])).path.rstrip("/")
             .endswith(COLLATE)]
    if not forms:
        actions = [f["action"] for f in page.forms]
        raise GIASExtractError(1, f"{url} has no form posting to {COLLATE} (forms: "
                                  f"{actions or 'none'}; page title {page.title[:80]!r})")
    form = forms[0]
    inputs = form["inputs"]
    prefixes = {i["name"][: -len(".Tag")] for i in inputs
                if i["name"].endswith(".Tag") and i["value"] in tags}
    offered = {i["value"] for i in inputs if i["value"] in tags and
               (i["type"] == "checkbox" or i["name"].endswith(".Tag"))}
    missing = [t for t in tags if t not in offered]
    if missing:
        raise GIASExtractError(1, f"the form at {url} offers no download tagged {missing} "
                                  f"({len(inputs)} inputs; has GIAS renamed the download?)")
    fields = []
    submitted = False  # a browser sends the button pressed: the first named submit button
    for i in inputs:
        if i["type"] == "checkbox":
            tick = i["value"] in tags or (i["name"].endswith(".Selected")
                                          and i["name"][: -len(".Selected")] in prefixes)
            if tick:
                fields.append((i["name"], i["value"] or "true"))
        elif i["type"] in ("hidden", "text"):
            fields.append((i["name"], i["value"]))
        elif i["type"] == "submit" and not submitted:
            fields.append((i["name"], i["value"]))
            submitted = True
    return urljoin(url, form["action"]), fields


def _extract_link(page: _Page, url: str) -> str | None:
    for href in page.links:
        full = urljoin(url, href)
        if EXTRACT.lower() in urlsplit(full).path.lower():
            return full
    return None


def fetch_extract(client: httpx.Client, url: str, dest: Path, tags: tuple[str, ...],
                  member: str, rewrite: Callable[[str], str] = lambda u: u,
                  poll: float | None = None, max_wait: float | None = None,
                  progress: Callable[[str], None] | None = None) -> str:
    """Ask GIAS for an extract and write its data CSV to ``dest``; return the member's name.

    Parameters
    ----------
    client
        An httpx client (its cookie jar carries the anti-forgery cookie).
    url
        The publisher's Downloads page (``https://get-information-schools.service.gov.uk/Downloads``).
    dest
        Where the CSV's bytes are written.
    tags
        The download tags to tick (e.g. ``all.open.childrens.centres``).
    member
        Glob of the data CSV's name in the zip (links files are never taken).
    rewrite
        Maps a publisher URL to the one requested (tests: a loopback prefix).
    poll, max_wait
        Seconds between reads of the "being made" page, and the longest wait
        (default :data:`POLL_SECONDS`, :data:`MAX_WAIT_SECONDS`).
    progress
        Called with a short text at each step.

    Raises
    ------
    GIASExtractError
        Naming the step and what came back.
    """
    poll = POLL_SECONDS if poll is None else poll
    max_wait = MAX_WAIT_SECONDS if max_wait is None else max_wait
    say = progress or (lambda _t: None)
    s = _Session(client, rewrite)

    say("GIAS: the Downloads page")
    resp, url = s.request(1, "GET", url)
    if "html" not in resp.headers.get("content-type", ""):
        raise GIASExtractError(1, f"{url} is not an HTML page: {_came_back(resp)}")
    action, fields = _collate_form(_parse(resp), url, tags)

    say("GIAS: asking for the extract")
    resp, at = s.request(2, "POST", action, content=urlencode(fields).encode("ascii"),
                         headers={"Content-Type": "application/x-www-form-urlencoded"},
                         follow=False)
    page: _Page | None = None
    link = None
    if resp.is_redirect:  # to the page saying the extract is being made: read in step 3
        at = urljoin(action, resp.headers["location"])
    else:
        page = _parse(resp) if "html" in resp.headers.get("content-type", "") else None
        link = _extract_link(page, at) if page else None
        if link is None and (page is None or page.refresh is None):
            raise GIASExtractError(2, f"POST {action} gave no page saying the extract is being "
                                      f"made (no redirect, no link to {EXTRACT}, no refresh): "
                                      f"{_came_back(resp)}")

    reads, t0 = 0, time.monotonic()
    while link is None:
        if page is not None:
            if time.monotonic() - t0 > max_wait:
                raise GIASExtractError(3, f"the extract was not ready after {max_wait:.0f} s "
                                          f"({reads} reads of {at}; last: {_came_back(resp)})")
            say(f"GIAS: waiting for the extract ({time.monotonic() - t0:.0f} s)")
            time.sleep(poll)
            at = urljoin(at, page.refresh) if page.refresh else at
        resp, at = s.request(3, "GET", at)
        reads += 1
        if "html" not in resp.headers.get("content-type", ""):
            raise GIASExtractError(3, f"{at} is not a page: {_came_back(resp)}")
        page = _parse(resp)
        link = _extract_link(page, at)

    say("GIAS: downloading the extract")
    resp, at = s.request(4, "GET", link)
    data = resp.content
    if len(data) > MAX_ZIP_BYTES or not zipfile.is_zipfile(io.BytesIO(data)):
        raise GIASExtractError(4, f"{at} is not a zip: {_came_back(resp)}")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        hits = [n for n in names if fnmatch.fnmatch(n.rsplit("/", 1)[-1].lower(), member.lower())
                and "link" not in n.rsplit("/", 1)[-1].lower()]
        if len(hits) != 1:
            raise GIASExtractError(5, f"the zip from {at} has {len(hits)} members matching "
                                      f"{member} (links files aside), not 1: members {names}")
        with zf.open(hits[0]) as src, open(dest, "wb") as out:
            while block := src.read(1 << 20):
                out.write(block)
    return hits[0]
