"""In-process WSGI servers on 127.0.0.1 that start in a background thread and stop on request."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from devstack.ports import LOOPBACK

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication


@dataclass(frozen=True)
class RunningServer:
    """A WSGI app being served on 127.0.0.1:port."""

    port: int
    server: BaseWSGIServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


class RedactingRequestHandler(WSGIRequestHandler):
    """Werkzeug's request log without query strings: they carry authorization codes, ID token hints and
    other credentials of the sign-in flows, which must never reach a log."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path: str | None = getattr(self, "path", None)  # unset when the request line was bad
        if path is None or "?" not in path:
            super().log_request(code, size)
            return
        self.path = path.split("?", 1)[0] + "?<redacted>"
        try:
            super().log_request(code, size)
        finally:
            self.path = path


def start_wsgi(app: WSGIApplication, port: int | None = None, name: str = "wsgi") -> RunningServer:
    """Serve `app` with Werkzeug's threaded server on 127.0.0.1:port (a free one by default)."""
    # Port 0: the kernel picks a free port at bind time (no window for another process to take it).
    server = make_server(LOOPBACK, port or 0, app, threaded=True, request_handler=RedactingRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name=f"devstack-{name}", daemon=True)
    thread.start()
    return RunningServer(port=server.server_port, server=server, thread=thread)


@contextmanager
def serving(app: WSGIApplication, port: int | None = None, name: str = "wsgi") -> Iterator[RunningServer]:
    """Serve `app` for the duration of the block."""
    running = start_wsgi(app, port, name)
    try:
        yield running
    finally:
        running.stop()
