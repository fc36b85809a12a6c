"""`python -m devstack issuer stop|start|slow N`: control a running `python -m devstack` from another shell.

The running stack serves a small control endpoint on a free 127.0.0.1 port and writes its URL to
.local/devstack-control.json (removed when the stack stops); the command posts to it. Only the issuer is
controlled this way: DynamoDB Local and the function runtimes heal by themselves when they die.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from devstack.issuer_process import IssuerProcess
from devstack.servers import start_wsgi
from devstack.template import ROOT

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIEnvironment

CONTROL_FILE = ROOT / ".local" / "devstack-control.json"
USAGE = "usage: python -m devstack issuer stop | start | slow SECONDS"


class ControlApp:
    """POST /issuer/stop, /issuer/start, /issuer/slow?seconds=N on the running stack's issuer."""

    def __init__(self, issuer: IssuerProcess) -> None:
        self.issuer = issuer

    def handle(self, request: Request) -> Response:
        if request.method != "POST":
            return Response("POST only\n", status=405)
        if request.path == "/issuer/stop":
            self.issuer.stop()
        elif request.path == "/issuer/start":
            self.issuer.start()
        elif request.path == "/issuer/slow":
            try:
                self.issuer.slow(float(request.args.get("seconds", "")))
            except ValueError:
                return Response("slow needs a number of seconds >= 0\n", status=400)
        else:
            return Response(USAGE + "\n", status=404)
        state = f"running (pid {self.issuer.pid})" if self.issuer.running else "stopped"
        return Response(f"issuer {state}\n", status=200)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return self.handle(Request(environ))(environ, start_response)


@contextmanager
def serving_control(issuer: IssuerProcess, control_file: Path = CONTROL_FILE) -> Iterator[str]:
    """Serve the control endpoint for the block and advertise it in `control_file`; yields its URL."""
    server = start_wsgi(ControlApp(issuer), None, "control")
    control_file.parent.mkdir(parents=True, exist_ok=True)
    control_file.write_text(json.dumps({"url": server.url, "pid": os.getpid()}), encoding="utf-8")
    try:
        yield server.url
    finally:
        control_file.unlink(missing_ok=True)
        server.stop()


def command_path(argv: Sequence[str]) -> str:
    """The control path for `issuer stop|start|slow N`; ValueError with the usage otherwise."""
    if len(argv) == 2 and argv[0] == "issuer" and argv[1] in {"stop", "start"}:
        return f"/issuer/{argv[1]}"
    if len(argv) == 3 and argv[:2] == ["issuer", "slow"]:
        seconds = float(argv[2])
        if seconds < 0:
            raise ValueError(USAGE)
        return f"/issuer/slow?seconds={seconds:g}"
    raise ValueError(USAGE)


def run_command(argv: Sequence[str], control_file: Path = CONTROL_FILE) -> int:
    """The CLI side: post the command to the running stack; 0 on success, 2 on a usage error, 1 otherwise."""
    try:
        path = command_path(list(argv))
    except ValueError:
        print(USAGE)
        return 2
    try:
        url = json.loads(control_file.read_text(encoding="utf-8"))["url"]
    except FileNotFoundError:
        print(f"no running local stack ({control_file} missing): start it with `make run`")
        return 1
    request = urllib.request.Request(url + path, data=b"", method="POST")  # noqa: S310 - 127.0.0.1 only
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            print(response.read().decode().strip())
    except urllib.error.HTTPError as exc:
        print(exc.read().decode().strip())
        return 1
    except urllib.error.URLError as exc:
        print(f"the local stack does not answer at {url}: {exc.reason}")
        return 1
    return 0
