"""Cold start as Lambda has it: the real Lambda RIE and awslambdaric, process start to first answer.

Each round starts, one after the other, three fresh RIE processes (the `aws-lambda-rie` binary from the
aws-sam-cli wheel driving `python -m awslambdaric`, as in `sam local` containers and in
scripts/devstack/lambda_rie.py): an empty `def handler(event, context): return {}`, the authorizer
(its first TOKEN event, which discovers and fetches the key set from a loopback issuer) and the API
handler (its first `GET /me`, which needs no DynamoDB). Each is timed from spawn until its first
invoke is answered, then stopped; the variants take turns in each position, and a ratio to the empty
handler of the same round is kept. The RIE itself (a Go binary) and awslambdaric are in every variant
alike, as in Lambda, so the ratio is what a user of the function feels, not the import alone.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.cold import API_HANDLER, AUTHORIZER, api_environment
from bench.issuer import BenchKey, serve_issuer
from bench.measure import Figure
from bench.warm import SCOPE, environment, token_event

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
if str(SCRIPTS) not in sys.path:  # bootstrap's .pth file puts it there too; this also works without it
    sys.path.insert(0, str(SCRIPTS))

from devstack.lambda_rie import INVOKE_PATH, is_error_payload, rie_launch  # noqa: E402
from devstack.ports import LOOPBACK, free_port  # noqa: E402

EMPTY_HANDLER = "def handler(event, context):\n    return {}\n"
ME_EVENT: dict[str, Any] = {
    "resource": "/me",
    "path": "/me",
    "httpMethod": "GET",
    "headers": {"Accept": "application/json"},
    "multiValueHeaders": {"Accept": ["application/json"]},
    "queryStringParameters": None,
    "multiValueQueryStringParameters": None,
    "pathParameters": None,
    "stageVariables": None,
    "requestContext": {
        "resourcePath": "/me",
        "httpMethod": "GET",
        "path": "/v1/me",
        "stage": "v1",
        "requestId": "bench-rie-cold",
        "authorizer": {
            "principalId": "auth0|bench-user",
            "sub": "auth0|bench-user",
            "iss": "https://issuer.example.com/",
            "scope": "read:items",
            "client_id": "bench-client",
            "grant_type": "",
            "exp": "2000000000",
        },
    },
    "body": None,
    "isBase64Encoded": False,
}


@dataclass(frozen=True)
class Variant:
    name: str
    code_dir: Path
    handler: str
    environment: Mapping[str, str]
    event: bytes


def first_answer_seconds(variant: Variant) -> float:
    """Spawn the RIE with the function, invoke it once as soon as it listens; seconds until the answer."""
    port, runtime_api_port = free_port(), free_port()
    command, env = rie_launch(
        variant.code_dir,
        variant.handler,
        variant.environment,
        runtime="python3.13",
        python=sys.executable,
        port=port,
        runtime_api_port=runtime_api_port,
    )
    start = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=variant.code_dir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the RIE and the runtime end together
    )
    try:
        body = _invoke_when_listening(port, variant.event, process)
        seconds = time.perf_counter() - start
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    result = json.loads(body or b"null")
    if is_error_payload(result):
        raise RuntimeError(f"{variant.name} failed its first invoke in the RIE: {result}")
    return seconds


def _invoke_when_listening(port: int, event: bytes, process: subprocess.Popen[bytes]) -> bytes:
    deadline = time.monotonic() + 30
    while True:
        connection = http.client.HTTPConnection(LOOPBACK, port, timeout=30)
        try:
            connection.request("POST", INVOKE_PATH, body=event, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            body = response.read()
            if response.status != 200:
                raise RuntimeError(f"the RIE answered HTTP {response.status}: {body[:500]!r}")
            return body
        except ConnectionRefusedError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the RIE did not listen on {LOOPBACK}:{port}") from None
            time.sleep(0.001)  # polled tightly: the wait is part of what is measured
        finally:
            connection.close()


@contextlib.contextmanager
def empty_function() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="bench-empty-") as directory:
        Path(directory, "empty.py").write_text(EMPTY_HANDLER, encoding="utf-8")
        yield Path(directory)


def rie_cold(*, rounds: int) -> list[Figure]:
    base = {"AWS_DEFAULT_REGION": "us-east-1"}
    key = BenchKey.generate()
    with serve_issuer(key) as issuer_url, empty_function() as empty_dir:
        empty = Variant("empty", empty_dir, "empty.handler", base, b"{}")
        authorizer = Variant(
            "authorizer",
            AUTHORIZER,
            "app.lambda_handler",
            {**base, **environment(issuer_url)},
            json.dumps(token_event(key.token(issuer_url, SCOPE, 0))).encode(),
        )
        api = Variant(
            "api",
            API_HANDLER,
            "app.lambda_handler",
            {**base, **api_environment()},
            json.dumps(ME_EVENT).encode(),
        )
        ratios = rie_cold_ratios(empty, [authorizer, api], rounds=rounds)
    return [
        Figure(
            "rie_cold_start_ratio",
            ratios[0],
            "x",
            "Lambda RIE + awslambdaric, spawn to first answer: authorizer (JWKS fetched) / empty handler",
            budget=2.5,
            stretch=2.0,
        ),
        Figure(
            "api_rie_cold_start_ratio",
            ratios[1],
            "x",
            "Lambda RIE + awslambdaric, spawn to first answered GET /me: API handler / empty handler",
        ),
    ]


def rie_cold_ratios(empty: Variant, measured: list[Variant], *, rounds: int) -> list[float]:
    """The median, over `rounds` rounds (after one warm-up), of each variant's time / the empty one's
    in the same round; the order within a round rotates, so no variant always follows another."""
    variants = [empty, *measured]
    ratios: list[list[float]] = [[] for _ in measured]
    for round_number in range(rounds + 1):
        seconds: dict[str, float] = {}
        for turn in range(len(variants)):
            variant = variants[(turn + round_number) % len(variants)]
            seconds[variant.name] = first_answer_seconds(variant)
        if round_number == 0:
            continue  # warm-up: the page cache and the .pyc files, alike for every variant
        for index, variant in enumerate(measured):
            ratios[index].append(seconds[variant.name] / seconds[empty.name])
    return [statistics.median(r) for r in ratios]
