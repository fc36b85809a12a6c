"""Cold start as Lambda has it: the real Lambda RIE and awslambdaric, process start to first answer.

Each round starts, one after the other, three fresh RIE processes (the `aws-lambda-rie` binary from the
aws-sam-cli wheel driving `python -m awslambdaric`, as in `sam local` containers and in
scripts/devstack/lambda_rie.py): an empty `def handler(event, context): return {}`, the authorizer
(its first TOKEN event, which discovers and fetches the key set from a loopback issuer) and the API
handler (its first `GET /me`, which needs no DynamoDB). Each is timed from spawn until its first
invoke is answered, then stopped; the variants take turns in each position, and a ratio to the empty
handler of the same round is kept. The RIE itself (a Go binary) and awslambdaric are in every variant
alike, as in Lambda, so the ratio is what a user of the function feels, not the import alone.

The functions run as Lambda starts them: from a read-only copy of what `sam build` ships (built for this
machine's architecture, devstack.build), its bytecode included, with PYTHONDONTWRITEBYTECODE set, so no
run writes a `.pyc` that a later one would find (Lambda's /var/task is read-only). A fourth variant is
the API handler's first `GET /items`, which reads DynamoDB Local. The peak RSS of the API handler's
runtime process is read just after its first answer.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import stat
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.cold import api_environment
from bench.issuer import BenchKey, serve_issuer
from bench.measure import Figure
from bench.warm import SCOPE, environment, token_event

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
if str(SCRIPTS) not in sys.path:  # bootstrap's .pth file puts it there too; this also works without it
    sys.path.insert(0, str(SCRIPTS))

from devstack.build import built_function, host_build  # noqa: E402
from devstack.dynamodb_local import dynamodb_local  # noqa: E402
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


ITEMS_EVENT: dict[str, Any] = {
    **ME_EVENT,
    "resource": "/items",
    "path": "/items",
    "requestContext": {**ME_EVENT["requestContext"], "resourcePath": "/items", "path": "/v1/items"},
}
# Lambda's /var/task is read-only: no run may leave bytecode behind for the next.
NO_BYTECODE_WRITES = {"PYTHONDONTWRITEBYTECODE": "1"}
# The timed ratios' budgets (docs/performance.md), shown beside them and never enforced: load moves
# these ratios (a quiet machine gives higher ones). They are enforced on the same starts counted in
# instructions (bench/counted_cold.py). Memory is not load-sensitive: its budget is enforced here.
RIE_COLD_START_TIMED_BUDGET = 2.0
API_RIE_COLD_START_TIMED_BUDGET = 3.0
API_RIE_FIRST_ITEM_TIMED_BUDGET = 7.0
API_PEAK_RSS_BUDGET_MB = 75.0


@dataclass(frozen=True)
class Variant:
    name: str
    code_dir: Path
    handler: str
    environment: Mapping[str, str]
    event: bytes


@dataclass(frozen=True)
class Start:
    seconds: float  # spawn to the first answer
    peak_rss_mb: float  # the runtime process's VmHWM just after it answered


def _runtime_peak_rss_mb(rie_pid: int) -> float:
    """The largest VmHWM among the RIE's child processes (the runtime, `python -m awslambdaric`)."""
    peak_kib = 0
    for task in Path(f"/proc/{rie_pid}/task").iterdir():
        for child in (task / "children").read_text(encoding="ascii").split():
            with contextlib.suppress(OSError), open(f"/proc/{child}/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        peak_kib = max(peak_kib, int(line.split()[1]))
    return peak_kib / 1024


def first_answer_seconds(variant: Variant) -> float:
    """Spawn the RIE with the function, invoke it once as soon as it listens; seconds until the answer."""
    return first_answer(variant).seconds


def first_answer(variant: Variant) -> Start:
    """Spawn the RIE with the function, invoke it once as soon as it listens: the time to the answer,
    and the runtime's peak RSS then."""
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
        peak_rss_mb = _runtime_peak_rss_mb(process.pid)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    result = json.loads(body or b"null")
    if is_error_payload(result):
        raise RuntimeError(f"{variant.name} failed its first invoke in the RIE: {result}")
    if isinstance(result, dict) and result.get("statusCode", 200) != 200:
        raise RuntimeError(f"{variant.name} answered its first invoke with {result}")
    return Start(seconds, peak_rss_mb)


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


@contextlib.contextmanager
def shipped_functions() -> Iterator[Path]:
    """A read-only copy of `sam build`'s output for this machine: only the bytecode the build ships."""
    with tempfile.TemporaryDirectory(prefix="bench-shipped-") as directory:
        copy = Path(directory, "build")
        host_build(copy_to=copy)
        for root, _dirs, _files in os.walk(copy):
            Path(root).chmod(stat.S_IRUSR | stat.S_IXUSR)
        try:
            yield copy
        finally:
            for root, _dirs, _files in os.walk(copy):
                Path(root).chmod(stat.S_IRWXU)


@dataclass(frozen=True)
class ColdVariants:
    """The empty handler, and the three first invokes measured against it (in FIRST_INVOKES' order)."""

    empty: Variant
    measured: list[Variant]


@contextlib.contextmanager
def cold_variants() -> Iterator[ColdVariants]:
    """The variants of a cold start, with what they call running: a loopback issuer, DynamoDB Local
    with the items table, a read-only copy of the shipped build and the empty handler's folder.
    bench/rie.py times them in the RIE; bench/counted_cold.py counts them with callgrind."""
    base = {"AWS_DEFAULT_REGION": "us-east-1", **NO_BYTECODE_WRITES}
    key = BenchKey.generate()
    with (
        serve_issuer(key) as issuer_url,
        empty_function() as empty_dir,
        shipped_functions() as shipped,
        dynamodb_local() as dynamodb,
    ):
        table = "bench-rie-items"
        dynamodb.create_table(table)
        empty = Variant("empty", empty_dir, "empty.handler", base, b"{}")
        authorizer = Variant(
            "authorizer",
            built_function(shipped, "AuthorizerFunction"),
            "app.lambda_handler",
            {**base, **environment(issuer_url)},
            json.dumps(token_event(key.token(issuer_url, SCOPE, 0))).encode(),
        )
        api_env = {**base, **api_environment()}
        api = Variant(
            "api",
            built_function(shipped, "ApiFunction"),
            "app.lambda_handler",
            api_env,
            json.dumps(ME_EVENT).encode(),
        )
        api_items = Variant(
            "api_items",
            built_function(shipped, "ApiFunction"),
            "app.lambda_handler",
            {
                **api_env,
                "TABLE_NAME": table,
                "DYNAMODB_ENDPOINT_URL": dynamodb.endpoint_url,
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
            },
            json.dumps(ITEMS_EVENT).encode(),
        )
        yield ColdVariants(empty, [authorizer, api, api_items])


def rie_cold(*, rounds: int) -> list[Figure]:
    with cold_variants() as variants:
        ratios, peaks = rie_cold_ratios(variants.empty, variants.measured, rounds=rounds)
    return [
        Figure(
            "rie_cold_start_ratio",
            ratios[0],
            "x",
            "Lambda RIE + awslambdaric, spawn to first answer: authorizer (JWKS fetched) / empty handler",
            timed_budget=RIE_COLD_START_TIMED_BUDGET,
        ),
        Figure(
            "api_rie_cold_start_ratio",
            ratios[1],
            "x",
            "Lambda RIE + awslambdaric, spawn to first answered GET /me: API handler / empty handler",
            timed_budget=API_RIE_COLD_START_TIMED_BUDGET,
        ),
        Figure(
            "api_rie_first_item_ratio",
            ratios[2],
            "x",
            "the same, first GET /items (a Query on DynamoDB Local) / empty handler",
            timed_budget=API_RIE_FIRST_ITEM_TIMED_BUDGET,
        ),
        Figure(
            "api_peak_rss_mb",
            max(peaks[2]),
            "MB",
            "peak RSS of the API handler's runtime process after its first GET /items (RIE, shipped build)",
            budget=API_PEAK_RSS_BUDGET_MB,
        ),
    ]


def rie_cold_ratios(
    empty: Variant, measured: list[Variant], *, rounds: int
) -> tuple[list[float], list[list[float]]]:
    """The median, over `rounds` rounds (after one warm-up), of each variant's time / the empty one's
    in the same round, and each variant's peak RSS per round; the order within a round rotates, so no
    variant always follows another."""
    variants = [empty, *measured]
    ratios: list[list[float]] = [[] for _ in measured]
    peaks: list[list[float]] = [[] for _ in measured]
    for round_number in range(rounds + 1):
        starts: dict[str, Start] = {}
        for turn in range(len(variants)):
            variant = variants[(turn + round_number) % len(variants)]
            starts[variant.name] = first_answer(variant)
        if round_number == 0:
            continue  # warm-up: the page cache, alike for every variant (no bytecode is written)
        for index, variant in enumerate(measured):
            ratios[index].append(starts[variant.name].seconds / starts[empty.name].seconds)
            peaks[index].append(starts[variant.name].peak_rss_mb)
    return [statistics.median(r) for r in ratios], peaks
