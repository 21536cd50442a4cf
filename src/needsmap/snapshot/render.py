"""Render snapshots: HTML from one Jinja2 template, PDF by headless chromium, PNG of the map.

The same template gives the screen page and the printed page (``@media print`` and
``@page { size: A4 }``). PDFs come from a real renderer: Debian's chromium driven by
Playwright's ``page.pdf()``; nothing assembles PDF bytes by hand. Before printing, the
page is laid out with print media and, if it would run past one A4 page, printed again
with a smaller CSS ``zoom`` (down to :data:`MIN_ZOOM`), so a snapshot is always one page.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from jinja2 import Environment, FileSystemLoader, select_autoescape

from needsmap import __version__
from needsmap.snapshot.content import Snapshot

TEMPLATES = Path(__file__).resolve().parent / "templates"
CHROMIUM = os.environ.get("NEEDSMAP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
#: A4 height less the @page margins (8 mm top and bottom), in CSS px (96 per inch).
PRINTABLE_HEIGHT_PX = (297 - 16) / 25.4 * 96
#: A4 width less the @page margins (9 mm each side), in CSS px.
PRINTABLE_WIDTH_PX = round((210 - 18) / 25.4 * 96)
MIN_ZOOM = 0.7


def environment() -> Environment:
    """The Jinja2 environment (HTML autoescaping on)."""
    return Environment(loader=FileSystemLoader(TEMPLATES),
                       autoescape=select_autoescape(["html", "j2"]),
                       trim_blocks=True, lstrip_blocks=True)


def render_html(snap: Snapshot, zoom: float = 1.0, locality_set: str | None = None) -> str:
    """Render one snapshot as a self-contained HTML page (map embedded as a data URI)."""
    return environment().get_template("snapshot.html.j2").render(
        s=snap, zoom=f"{zoom:.3f}", version=__version__, locality_set=locality_set)


def render_index(title: str, entries: Sequence[dict], generated: str, caveat: str) -> str:
    """Render the index page linking every snapshot written in one run."""
    return environment().get_template("index.html.j2").render(
        title=title, entries=entries, generated=generated, caveat=caveat, version=__version__)


class PdfPrinter:
    """One headless chromium for many PDFs (``with PdfPrinter() as p: p.pdf(...)``).

    Parameters
    ----------
    executable
        The chromium binary (default ``$NEEDSMAP_CHROMIUM`` or ``/usr/bin/chromium``).
    """

    def __init__(self, executable: str = CHROMIUM) -> None:
        self.executable = executable
        self._pw = None
        self._browser = None

    def __enter__(self) -> PdfPrinter:
        if not Path(self.executable).exists():
            raise RuntimeError(f"chromium not found at {self.executable}; run `scripts/setup --browser` "
                               "or set NEEDSMAP_CHROMIUM")
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        self._browser = self._pw.chromium.launch(executable_path=self.executable,
                                                 args=CHROMIUM_ARGS)
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._browser is not None:
            self._browser.close()
        if self._pw is not None:
            self._pw.stop()
        self._browser = self._pw = None

    def fit_zoom(self, html: str) -> float:
        """The largest CSS zoom (<= 1) at which ``html`` fits one printed A4 page.

        The page is laid out with print media at the printable width; zoom changes the
        line wrapping as well as the size, so the fit is found by bisection.
        """
        page = self._browser.new_page(viewport={"width": PRINTABLE_WIDTH_PX, "height": 200})
        try:
            page.emulate_media(media="print")
            page.set_content(html, wait_until="load")

            def height(z: float) -> float:
                return page.evaluate("z => { document.body.style.zoom = z; "
                                     "return document.documentElement.scrollHeight; }", z)

            if height(1.0) <= PRINTABLE_HEIGHT_PX:
                return 1.0
            lo, hi = MIN_ZOOM, 1.0
            for _ in range(7):
                mid = (lo + hi) / 2
                if height(mid) <= PRINTABLE_HEIGHT_PX:
                    lo = mid
                else:
                    hi = mid
            return lo * 0.99
        finally:
            page.close()

    def pdf(self, html: str, path: str | os.PathLike[str] | None = None) -> bytes:
        """Print ``html`` to an A4 PDF (print CSS, backgrounds on); write it to ``path`` if given."""
        page = self._browser.new_page()
        try:
            page.emulate_media(media="print")
            page.set_content(html, wait_until="load")
            return page.pdf(path=str(path) if path else None, format="A4", print_background=True,
                            prefer_css_page_size=True)
        finally:
            page.close()

    def png(self, html: str, path: str | os.PathLike[str] | None = None) -> bytes:
        """The whole page as a PNG image (print layout at the printed width, 2x pixels)."""
        page = self._browser.new_page(viewport={"width": PRINTABLE_WIDTH_PX, "height": 800},
                                      device_scale_factor=2)
        try:
            page.emulate_media(media="print")
            page.set_content(html, wait_until="load")
            return page.screenshot(path=str(path) if path else None, full_page=True)
        finally:
            page.close()

    def snapshot_pdf(self, snap: Snapshot, path: str | os.PathLike[str] | None = None,
                     locality_set: str | None = None) -> bytes:
        """Render ``snap`` and print it on one A4 page (shrinking it to fit if needed)."""
        html = render_html(snap, locality_set=locality_set)
        zoom = self.fit_zoom(html)
        if zoom < 1.0:
            html = render_html(snap, zoom=zoom, locality_set=locality_set)
        return self.pdf(html, path)


def snapshot_pdf(snap: Snapshot, locality_set: str | None = None) -> bytes:
    """One snapshot as PDF bytes, with a browser started for the purpose (the app's download)."""
    with PdfPrinter() as p:
        return p.snapshot_pdf(snap, locality_set=locality_set)
