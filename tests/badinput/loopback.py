"""A real loopback HTTP server that serves a directory (the mirror), with injectable faults.

Used by the download tests: nothing in the network layer is mocked; httpx talks
to a ``ThreadingHTTPServer`` bound to ``127.0.0.1`` on an ephemeral port.

It can also answer as an ArcGIS feature service (:meth:`Loopback.feature_layer`: the
layer's ``?f=json`` metadata and ``/query`` pages with ``resultOffset`` /
``resultRecordCount``, ``returnCountOnly``, ``exceededTransferLimit`` and the simple
``where`` clauses the catalogue uses), and redirect a path (:meth:`Loopback.redirect`,
as the OS Downloads API does).

It can also hand every request under a path prefix, GET or POST, to a Python callable
(:meth:`Loopback.app`: a site that answers a form, such as GIAS's Downloads page).

Faults are queued per URL path and consumed one per request:

``"corrupt"``   full length, but some bytes flipped (only the checksum can tell)
``"truncate"``  ``Content-Length`` of the whole file, then half the body and a hang-up
``"short"``     a correct-looking response whose ``Content-Length`` and body are both cut
``"404"`` / ``"500"`` / ``"503"``  that HTTP status
"""

from __future__ import annotations

import functools
import json
import os
import re
import socket
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit


class _Handler(SimpleHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass  # keep test output clean

    def _file(self) -> Path | None:
        rel = unquote(urlsplit(self.path).path).lstrip("/")
        p = (Path(self.directory) / rel).resolve()
        root = Path(self.directory).resolve()
        if root not in p.parents or not p.is_file():
            return None
        return p

    def _json(self, obj: object) -> None:
        body = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _feature_service(self, key: str) -> bool:
        """Answer ``<layer>?f=json`` and ``<layer>/query?...``; False if not a layer path."""
        layer_key = key[: -len("/query")] if key.endswith("/query") else key
        layer = self.server.layers.get(layer_key)
        if layer is None:
            return False
        q = {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}
        if not key.endswith("/query"):
            self._json(layer.info())
            return True
        rows = layer.select(q.get("where", "1=1"))
        if q.get("returnCountOnly") == "true":
            self._json({"count": len(rows)})
            return True
        off = int(q.get("resultOffset", 0))
        n = min(int(q.get("resultRecordCount", layer.page)), layer.page)
        page = rows[off:off + n]
        more = off + n < len(rows)
        with self.server.lock:
            self.server.pages.append((layer_key, off, len(page)))
        self._json({"type": "FeatureCollection", "features": page,
                    "properties": {"exceededTransferLimit": more}})
        return True

    def _app(self, method: str, key: str) -> bool:
        """Answer from an app registered for a prefix of ``key``; False if none is."""
        app = next((a for p, a in self.server.apps.items() if key.startswith(p)), None)
        if app is None:
            return False
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        status, headers, out = app(method, key, urlsplit(self.path).query, dict(self.headers),
                                   body)
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
        return True

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        key = unquote(urlsplit(self.path).path)
        with self.server.lock:
            self.server.requests.append(key)
        if not self._app("POST", key):
            self.send_error(405)

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        key = unquote(urlsplit(self.path).path)
        with self.server.lock:
            self.server.requests.append(key)
        if self._app("GET", key):
            return None
        with self.server.lock:
            queue = self.server.faults.get(key)
            fault = queue.pop(0) if queue else None
            target = self.server.redirects.get(key)
        if fault is None and target is not None:
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if fault is None and self._feature_service(key):
            return None
        if fault is None:
            return super().do_GET()
        if fault.isdigit():
            self.send_error(int(fault))
            return
        p = self._file()
        if p is None:
            self.send_error(404)
            return
        data = p.read_bytes()
        if fault == "corrupt":
            mid = len(data) // 2
            bad = bytes(b ^ 0xFF for b in data[mid:mid + 64])
            body, length = data[:mid] + bad + data[mid + 64:], len(data)
        elif fault == "truncate":
            body, length = data[: len(data) // 2], len(data)
        elif fault == "short":
            body = data[: len(data) // 2]
            length = len(body)
        else:
            raise ValueError(f"unknown fault {fault!r}")
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(length))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True
        if len(body) < length:
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


@dataclass
class FeatureLayer:
    """An ArcGIS feature-service layer answered from a list of GeoJSON features.

    ``features`` carry ``properties`` (and ``geometry``, unless ``table``); an object id
    is added (``ObjectId`` 1, 2, ...). ``page`` is the layer's ``maxRecordCount``.
    """

    features: list[dict]
    page: int = 2000
    table: bool = False

    def __post_init__(self) -> None:
        for i, f in enumerate(self.features, start=1):
            f.setdefault("properties", {})["ObjectId"] = i
            if self.table:
                f["geometry"] = None

    def info(self) -> dict:
        props = self.features[0]["properties"] if self.features else {}
        fields = [{"name": k, "type": "esriFieldTypeOID" if k == "ObjectId" else
                   "esriFieldTypeString"} for k in props]
        return {"type": "Table" if self.table else "Feature Layer",
                "geometryType": None if self.table else "esriGeometryPolygon",
                "maxRecordCount": self.page, "objectIdField": "ObjectId", "fields": fields}

    def select(self, where: str) -> list[dict]:
        """The features matching ``1=1`` or ``F >= 'a' AND F <= 'b'`` (the catalogue's forms)."""
        w = where.strip()
        if w in ("1=1", ""):
            return self.features
        m = re.fullmatch(r"(\w+) >= '([^']*)' AND (\w+) <= '([^']*)'", w)
        if not m or m.group(1) != m.group(3):
            raise ValueError(f"where clause not understood by the test server: {where!r}")
        col, lo, hi = m.group(1), m.group(2), m.group(4)
        return [f for f in self.features if lo <= str(f["properties"].get(col)) <= hi]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    lock: threading.Lock
    requests: list[str]
    faults: dict[str, list[str]]
    layers: dict[str, FeatureLayer]
    redirects: dict[str, str]
    pages: list[tuple[str, int, int]]
    apps: dict[str, object]


class Loopback:
    """Handle on a running server: ``url``, ``requests`` and :meth:`fault`."""

    def __init__(self, server: _Server) -> None:
        self._server = server
        host, port = server.server_address[:2]
        self.url = f"http://{host}:{port}"

    @property
    def requests(self) -> list[str]:
        with self._server.lock:
            return list(self._server.requests)

    def count(self, relpath: str) -> int:
        """Number of GETs for ``relpath`` (relative to the served root)."""
        key = "/" + relpath.lstrip("/")
        return sum(1 for r in self.requests if r == key)

    def fault(self, relpath: str, *faults: str) -> None:
        """Queue faults for the next requests of ``relpath``."""
        with self._server.lock:
            self._server.faults["/" + relpath.lstrip("/")].extend(faults)

    def feature_layer(self, relpath: str, layer: FeatureLayer) -> None:
        """Answer ``relpath`` (``.../FeatureServer/0``) as an ArcGIS feature-service layer."""
        self._server.layers["/" + relpath.lstrip("/")] = layer

    def redirect(self, relpath: str, to_relpath: str) -> None:
        """Answer ``relpath`` with a 302 to ``to_relpath`` on this server."""
        self._server.redirects["/" + relpath.lstrip("/")] = f"{self.url}/{to_relpath.lstrip('/')}"

    def app(self, prefix: str, handler: object) -> None:
        """Answer every GET and POST under ``prefix`` with
        ``handler(method, path, query, headers, body) -> (status, headers, body)``."""
        self._server.apps["/" + prefix.lstrip("/")] = handler

    @property
    def pages(self) -> list[tuple[str, int, int]]:
        """Feature-service pages served: ``(layer path, offset, features)``."""
        with self._server.lock:
            return list(self._server.pages)


@contextmanager
def serve(root: str | os.PathLike[str]) -> Iterator[Loopback]:
    """Serve ``root`` on ``127.0.0.1`` (ephemeral port) in a thread until the block ends."""
    handler = functools.partial(_Handler, directory=str(root))
    server = _Server(("127.0.0.1", 0), handler)
    server.lock = threading.Lock()
    server.requests = []
    server.faults = defaultdict(list)
    server.layers = {}
    server.redirects = {}
    server.pages = []
    server.apps = {}
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield Loopback(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
