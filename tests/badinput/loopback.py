"""A real loopback HTTP server that serves a directory (the mirror), with injectable faults.

Used by the download tests: nothing in the network layer is mocked; httpx talks
to a ``ThreadingHTTPServer`` bound to ``127.0.0.1`` on an ephemeral port.

Faults are queued per URL path and consumed one per request:

``"corrupt"``   full length, but some bytes flipped (only the checksum can tell)
``"truncate"``  ``Content-Length`` of the whole file, then half the body and a hang-up
``"short"``     a correct-looking response whose ``Content-Length`` and body are both cut
``"404"`` / ``"500"`` / ``"503"``  that HTTP status
"""

from __future__ import annotations

import functools
import os
import socket
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit


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

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        key = unquote(urlsplit(self.path).path)
        with self.server.lock:
            self.server.requests.append(key)
            queue = self.server.faults.get(key)
            fault = queue.pop(0) if queue else None
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


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    lock: threading.Lock
    requests: list[str]
    faults: dict[str, list[str]]


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


@contextmanager
def serve(root: str | os.PathLike[str]) -> Iterator[Loopback]:
    """Serve ``root`` on ``127.0.0.1`` (ephemeral port) in a thread until the block ends."""
    handler = functools.partial(_Handler, directory=str(root))
    server = _Server(("127.0.0.1", 0), handler)
    server.lock = threading.Lock()
    server.requests = []
    server.faults = defaultdict(list)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield Loopback(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
