"""`python -m devstack issuer stop|start|slow N` and `python -m devstack revoke --sub SUB | --client
CLIENT_ID | --jti JTI [--iss ISSUER]`: control a running `python -m devstack` from another shell.

The running stack serves a small control endpoint on a free 127.0.0.1 port and writes its URL to
.local/devstack-control.json (removed when the stack stops); the command posts to it. Only the issuer is
controlled this way: DynamoDB Local and the function runtimes heal by themselves when they die. A revocation
is written by the running stack into its DynamoDB Local (no AWS credentials), which it then answers with.
"""

from __future__ import annotations

import argparse
import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from revocations import add_target_arguments, target
from werkzeug.wrappers import Request, Response

from devstack.issuer_process import IssuerProcess
from devstack.servers import start_wsgi
from devstack.template import ROOT
from token_revocation.entries import Kind, Revocation

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIEnvironment

CONTROL_FILE = ROOT / ".local" / "devstack-control.json"
USAGE = "usage: python -m devstack issuer stop | start | slow SECONDS"
# (kind, value, issuer or None for the local one) → what was stored
Revoker = Callable[[Kind, str, str | None], Revocation]
_KINDS = {kind.value: kind for kind in Kind}


class ControlApp:
    """POST /issuer/stop, /issuer/start, /issuer/slow?seconds=N on the running stack's issuer, and POST
    /revoke {"kind", "value", "iss"} into its revocation table."""

    def __init__(self, issuer: IssuerProcess, revoker: Revoker | None = None) -> None:
        self.issuer = issuer
        self.revoker = revoker

    def revoke(self, request: Request) -> Response:
        try:
            body = json.loads(request.get_data())
            kind = _KINDS[body["kind"]]
            value, issuer = body["value"], body.get("iss")
            if not isinstance(value, str) or not (issuer is None or isinstance(issuer, str)):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            return Response('POST /revoke takes {"kind": "sub|client|jti", "value", "iss"}\n', status=400)
        if self.revoker is None:
            return Response("this stack keeps no revocation list\n", status=404)
        try:
            entry = self.revoker(kind, value, issuer)
        except (LookupError, ValueError) as exc:
            return Response(f"{exc}\n", status=409)
        return Response(f"revoked: {entry.describe()}\n", status=200)

    def handle(self, request: Request) -> Response:
        if request.method != "POST":
            return Response("POST only\n", status=405)
        if request.path == "/revoke":
            return self.revoke(request)
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
def serving_control(
    issuer: IssuerProcess, control_file: Path = CONTROL_FILE, revoker: Revoker | None = None
) -> Iterator[str]:
    """Serve the control endpoint for the block and advertise it in `control_file`; yields its URL."""
    server = start_wsgi(ControlApp(issuer, revoker), None, "control")
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


def revoke_body(argv: Sequence[str]) -> bytes:
    """The /revoke request of `revoke --sub SUB | --client CLIENT_ID | --jti JTI [--iss ISSUER]`
    (argparse exits with its usage on anything else)."""
    parser = argparse.ArgumentParser(
        prog="python -m devstack revoke",
        description="Revoke a subject, a client or one token in the running local stack (make run).",
    )
    add_target_arguments(parser, default_issuer=None)
    args = parser.parse_args(list(argv))
    kind, value = target(args)
    return json.dumps({"kind": kind.value, "value": value, "iss": args.iss}).encode()


def run_command(argv: Sequence[str], control_file: Path = CONTROL_FILE) -> int:
    """The CLI side: post the command to the running stack; 0 on success, 2 on a usage error, 1 otherwise."""
    body = b""
    if argv[:1] == ["revoke"]:
        path, body = "/revoke", revoke_body(argv[1:])
    else:
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
    request = urllib.request.Request(url + path, data=body, method="POST")  # noqa: S310 - 127.0.0.1 only
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
