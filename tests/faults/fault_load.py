"""Concurrent load against the local stack, counted: every answer's status, every item a 201 created.

Faults are injected after a given number of answers (never after a time), and the tests assert on counts.
Durations are measured for the report only (printed), never asserted.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from devstack.client import HttpResponse, api_call, token_request
from devstack.stack import LocalStack

CLIENT_SECRETS = {
    "dev-admin": "faults-admin-secret",
    "dev-reader": "faults-reader-secret",
    "dev-noscope": "faults-noscope-secret",
}
ORIGIN = "https://app.example.com"
WORKERS = 4


@dataclass(frozen=True)
class FaultClient:
    stack: LocalStack

    @property
    def allowed_origin(self) -> str:
        """The template's CorsAllowOrigin, as the function and DEFAULT_5XX answer it."""
        return self.stack.specs["ApiFunction"].environment["CORS_ALLOW_ORIGIN"]

    def token(self, client_id: str = "dev-admin") -> str:
        response = token_request(
            self.stack.issuer.token_endpoint,
            client_id,
            CLIENT_SECRETS[client_id],
            audience=self.stack.issuer.config.audience,
        )
        assert response.status == 200, response.body
        token: str = response.json()["access_token"]
        return token

    def call(
        self, method: str, path: str, token: str, body: Any = None, headers: Mapping[str, str] | None = None
    ) -> HttpResponse:
        return api_call(
            self.stack.api_url,
            method,
            path,
            token=token,
            body=body,
            headers={"Origin": ORIGIN, **(headers or {})},
        )

    def listed(self, token: str) -> list[dict[str, Any]]:
        """Every item of the token's owner, following `next` to the end."""
        items: list[dict[str, Any]] = []
        query = "?limit=100"
        while True:
            response = self.call("GET", f"/items{query}", token)
            assert response.status == 200, (response.status, response.body)
            page = response.json()
            items.extend(page["items"])
            if page["next"] is None:
                return items
            query = f"?limit=100&next={page['next']}"


@dataclass
class LoadResult:
    """What a load run saw: statuses, created ids (one per 201), answers that broke the contract, duration."""

    name: str
    statuses: Counter[int] = field(default_factory=Counter)
    created: list[str] = field(default_factory=list)
    bodies: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)

    def report(self) -> str:
        line = (
            f"LOAD {self.name}: requests={self.requests} errors(5xx)={self.errors} "
            f"statuses={dict(sorted(self.statuses.items()))} duration={self.seconds:.1f}s"
        )
        print(line)
        return line


def run_load(
    name: str,
    client: FaultClient,
    token: str,
    requests: int,
    *,
    tag: str,
    fault_after: int | None = None,
    fault: Callable[[], None] | None = None,
    workers: int = WORKERS,
) -> LoadResult:
    """`requests` calls on `workers` threads: POST /items (named `tag`-n), GET /items, GET /me in turn.

    `fault()` runs once, on its own, right after the `fault_after`-th answer.
    """
    result = LoadResult(name)
    lock = threading.Lock()
    answered = itertools.count(1)
    fault_done = threading.Event()
    kinds = ["post", "list", "me"]

    def one(n: int) -> None:
        kind = kinds[n % len(kinds)]
        if kind == "post":
            response = client.call("POST", "/items", token, {"name": f"{tag}-{n}"})
        elif kind == "list":
            response = client.call("GET", "/items?limit=5", token)
        else:
            response = client.call("GET", "/me", token)
        with lock:
            result.statuses[response.status] += 1
            result.bodies.append((response.status, dict(response.headers), response.body))
            if response.status == 201:
                result.created.append(response.json()["id"])
            count = next(answered)
        if fault is not None and count == fault_after:
            fault()
            fault_done.set()

    started = time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        for future in [pool.submit(one, n) for n in range(requests)]:
            future.result()
    result.seconds = time.monotonic() - started
    if fault is not None:
        assert fault_done.is_set(), "the fault was never injected"
    return result


def unique_tag(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def headers_lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def json_body(body: bytes) -> Any:
    return json.loads(body) if body else None
