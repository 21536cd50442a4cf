"""GIAS's Downloads page as the extract request is described, for the loopback tests.

``../shared/geodata/OFFICIAL_SOURCES.md`` section 12: the Downloads page's form posts to
``/Downloads/Collate`` with the tags ``all.open.childrens.centres`` and
``all.open.childrens.centres.links``; the extract is then made, and a zip from
``/Downloads/Download/Extract`` holds ``edubaseallchildrencentre*.csv``. What this site
does around that (unchecked from here, so ``needsmap.sources.gias_extract`` checks each
step) follows the ASP.NET MVC site GIAS is: the form carries an anti-forgery token
(``__RequestVerificationToken``, also set as a cookie, both checked on the POST), each
download is ``Downloads[i].Tag`` / ``Downloads[i].Selected`` (a checkbox and its hidden
``false``), the POST redirects (absolute path) to a page that says the extract is being
made and refreshes itself until it links to the zip.

The zip's CSVs are made from the mirror's real children's centres (the two Trafford
centres, ``services/trafford_childrens_centres.csv``, published by Trafford Data Lab from
GIAS with their URNs) in the columns section 12 names (plus ``URN`` and ``LA (code)``, as
GIAS names them in its other files), Windows-1252, every field quoted; the full header is
not known (``?`` there). The links file (``edubaseallchildrencentrelinks<date>.csv``,
columns as GIAS's establishment links file, a ``?`` too) has no rows: the mirror has no
links between centres. Its name also matches ``edubaseallchildrencentre*.csv``, so the
fetch must tell the two apart.

``fault`` makes one step answer unexpectedly (see :data:`FAULTS`).
"""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from pathlib import Path
from urllib.parse import parse_qsl

HOST = "get-information-schools.service.gov.uk"
TAGS = ("all.open.childrens.centres", "all.open.childrens.centres.links")
#: Other downloads on the page (not asked for).
OTHER_TAGS = ("all.edubase.data", "all.open.edubase.data", "all.edubase.links",
              "all.group.records")
CC_HEADER = ["URN", "LA (code)", "LA (name)", "EstablishmentName", "TypeOfEstablishment (name)",
             "EstablishmentStatus (name)", "Street", "Locality", "Address3", "Town", "Postcode",
             "TelephoneNum", "SchoolWebsite"]
LINKS_HEADER = ["URN", "LinkURN", "LinkName", "LinkType", "LinkEstablishedDate"]
#: Trafford's code and name in GIAS.
TRAFFORD = ("358", "Trafford")

FAULTS = {
    "page_404": "the Downloads page answers 404",
    "no_form": "the Downloads page has no collate form (a maintenance page)",
    "no_tag": "the form offers no children's centres download",
    "token": "the collate POST is answered with the Downloads page again (token refused)",
    "never_ready": "the extract is never ready",
    "generate_503": "the page saying the extract is being made answers 503",
    "extract_html": "the extract link answers an HTML page, not a zip",
    "links_only": "the zip holds only the links file",
    "bad_columns": "the CSV in the zip lacks the Postcode column",
}


def childrens_centres_rows(mirror: Path) -> list[list[str]]:
    """The mirror's Trafford children's centres in GIAS's children's centre columns."""
    with open(mirror / "services/trafford_childrens_centres.csv", newline="",
              encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for r in rows:
        parts = [p.strip() for p in r["address"].split(",")]
        street, town = parts[0], parts[-1] if len(parts) > 1 else ""
        locality = ", ".join(parts[1:-1])
        rec = {"URN": r["unique_reference_number"], "LA (code)": TRAFFORD[0],
               "LA (name)": TRAFFORD[1], "EstablishmentName": r["name"],
               "TypeOfEstablishment (name)": "Children's centre",
               "EstablishmentStatus (name)": "Open", "Street": street, "Locality": locality,
               "Address3": "", "Town": town, "Postcode": r["postcode"],
               "TelephoneNum": r["telephone"], "SchoolWebsite": ""}
        out.append([rec[h] for h in CC_HEADER])
    return out


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("cp1252")


def extract_zip(mirror: Path, date: str = "20251207", header: list[str] | None = None,
                links_only: bool = False) -> bytes:
    """The extract zip: the children's centres CSV and its links file."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        if not links_only:
            rows = childrens_centres_rows(mirror)
            if header is not None:
                rows = [[dict(zip(CC_HEADER, r, strict=True)).get(h, "") for h in header]
                        for r in rows]
            zf.writestr(f"edubaseallchildrencentre{date}.csv", _csv(header or CC_HEADER, rows))
        zf.writestr(f"edubaseallchildrencentrelinks{date}.csv", _csv(LINKS_HEADER, []))
    return buf.getvalue()


def _html(title: str, body: str, head: str = "") -> bytes:
    return (f"<!DOCTYPE html><html lang=\"en\"><head><title>{title} - GOV.UK</title>{head}"
            f"</head><body><main>{body}</main></body></html>").encode()


class GIASSite:
    """The Downloads page, collate, the "being made" page and the extract (a loopback app).

    Attributes
    ----------
    requests
        ``(method, path, form fields)`` of every request, in order.
    """

    def __init__(self, mirror: Path, polls: int = 2, fault: str | None = None) -> None:
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; valid: {', '.join(FAULTS)}")
        self.mirror, self.polls, self.fault = mirror, polls, fault
        self.token = uuid.uuid4().hex
        self.cookie = uuid.uuid4().hex
        self.jobs: dict[str, int] = {}
        self.requests: list[tuple[str, str, list[tuple[str, str]]]] = []
        self.prefix = f"/{HOST}"

    # -- pages ----------------------------------------------------------------------------
    def downloads_page(self) -> bytes:
        if self.fault == "no_form":
            return _html("Service unavailable", "<h1>Sorry, the service is unavailable</h1>")
        tags = OTHER_TAGS if self.fault == "no_tag" else (*OTHER_TAGS[:2], *TAGS, *OTHER_TAGS[2:])
        items = []
        for i, tag in enumerate(tags):
            items.append(
                f'<div class="govuk-checkboxes__item">'
                f'<input class="govuk-checkboxes__input" id="d{i}" type="checkbox" '
                f'name="Downloads[{i}].Selected" value="true">'
                f'<input type="hidden" name="Downloads[{i}].Selected" value="false">'
                f'<input type="hidden" name="Downloads[{i}].Tag" value="{tag}">'
                f'<input type="hidden" name="Downloads[{i}].FileGeneratedDate" '
                f'value="07/12/2026 03:00:00">'
                f'<label for="d{i}">{tag}</label></div>')
        form = (f'<form method="post" action="/Downloads/Collate" novalidate>'
                f'<input name="{"__RequestVerificationToken"}" type="hidden" value="{self.token}">'
                f'{"".join(items)}'
                f'<input type="hidden" name="Skip" value="">'
                f'<button type="submit" class="govuk-button" id="download-selected-files-button">'
                f'Download selected files</button></form>')
        search = ('<form method="get" action="/Search"><input type="text" name="SearchText">'
                  '</form>')
        return _html("Downloads", f"<h1>Downloads</h1>{search}{form}")

    def _selected(self, fields: list[tuple[str, str]]) -> set[str]:
        f = {}
        for k, v in fields:
            f.setdefault(k, []).append(v)
        out = set()
        for k, vals in f.items():
            if k.endswith(".Tag") and "true" in f.get(k[:-4] + ".Selected", []):
                out.add(vals[0])
        return out

    # -- the app --------------------------------------------------------------------------
    def __call__(self, method: str, path: str, query: str, headers: dict[str, str],
                 body: bytes) -> tuple[int, dict[str, str], bytes]:
        rel = path[len(self.prefix):]
        fields = parse_qsl(body.decode(), keep_blank_values=True) if body else []
        self.requests.append((method, rel, fields))
        html = {"Content-Type": "text/html; charset=utf-8"}
        if method == "GET" and rel == "/Downloads":
            if self.fault == "page_404":
                return 404, html, _html("Page not found", "<h1>Page not found</h1>")
            return 200, {**html, "Set-Cookie": f"__RequestVerificationToken={self.cookie}; "
                                               "path=/; HttpOnly"}, self.downloads_page()
        if method == "POST" and rel == "/Downloads/Collate":
            form = dict(fields)
            cookie_ok = f"__RequestVerificationToken={self.cookie}" in headers.get("Cookie", "")
            if form.get("__RequestVerificationToken") != self.token or not cookie_ok:
                return 400, html, _html("Bad request", "<h1>Bad request</h1>")
            if self.fault == "token":
                return 200, html, self.downloads_page()
            if self._selected(fields) != set(TAGS):
                return 400, html, _html("Bad request", f"<p>selected {self._selected(fields)}</p>")
            job = uuid.uuid4().hex
            self.jobs[job] = self.polls
            return 302, {"Location": f"/Downloads/Generate/{job}"}, b""
        if method == "GET" and rel.startswith("/Downloads/Generate/"):
            job = rel.rsplit("/", 1)[-1]
            if job not in self.jobs:
                return 404, html, _html("Page not found", "<h1>Page not found</h1>")
            if self.fault == "generate_503":
                return 503, html, _html("Service unavailable", "<h1>Try again later</h1>")
            if self.jobs[job] > 0 or self.fault == "never_ready":
                self.jobs[job] -= 1
                return 200, html, _html("Preparing your download",
                                        "<h1>Your download is being prepared</h1>",
                                        '<meta http-equiv="refresh" content="2">')
            return 200, html, _html(
                "Download ready", f'<h1>Your download is ready</h1><a class="govuk-button" '
                                  f'href="/Downloads/Download/Extract/{job}">Download</a>')
        if method == "GET" and rel.startswith("/Downloads/Download/Extract/"):
            if rel.rsplit("/", 1)[-1] not in self.jobs:
                return 404, html, _html("Page not found", "<h1>Page not found</h1>")
            if self.fault == "extract_html":
                return 200, html, _html("Sign in", "<h1>Your session has expired</h1>")
            data = extract_zip(self.mirror, links_only=self.fault == "links_only",
                               header=[h for h in CC_HEADER if h != "Postcode"]
                               if self.fault == "bad_columns" else None)
            return 200, {"Content-Type": "application/x-zip-compressed",
                         "Content-Disposition": "attachment; filename=extract.zip"}, data
        return 404, html, _html("Page not found", "<h1>Page not found</h1>")
