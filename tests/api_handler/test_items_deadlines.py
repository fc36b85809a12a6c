"""Every DynamoDB call fits in the invocation's remaining time: a stalled table is a 503 before the timeout.

The stalled DynamoDB is a real loopback socket that accepts connections and never answers (as a paused
DynamoDB Local does); the tests count its connections, never time anything.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import ModuleType

import pytest
from api_harness import (
    ALICE,
    ALLOWED_ORIGIN,
    EventSpec,
    api_context,
    captured_log,
    load_app,
    rest_event,
    to_response,
)

from items_api.deadline import (
    MIN_ATTEMPT_SECONDS,
    SAFETY_MARGIN_SECONDS,
    CallBudget,
    Deadline,
    DeadlineNear,
    call_budget,
)

UNAVAILABLE = {"message": "Service temporarily unavailable, retry later"}


@pytest.mark.parametrize(
    ("seconds_left", "budget"),
    [
        # The API function's 10 s timeout, less the margin: three attempts fit.
        (10 - SAFETY_MARGIN_SECONDS, CallBudget(3, 0.25, 1.5)),
        (5.0, CallBudget(2, 0.5, 1.5)),
        (2.5, CallBudget(1, 0.5, 2.0)),
        (1.0, CallBudget(1, 0.25, 0.75)),
        (30.0, CallBudget(3, 1.0, 3.0)),
    ],
)
def test_budget_is_the_most_attempts_whose_worst_case_fits(seconds_left: float, budget: CallBudget) -> None:
    assert call_budget(seconds_left) == budget
    assert budget.worst_case_seconds <= seconds_left


@pytest.mark.parametrize("seconds_left", [-1.0, 0.0, 0.2, MIN_ATTEMPT_SECONDS - 0.01])
def test_no_call_is_made_when_not_even_one_short_attempt_fits(seconds_left: float) -> None:
    assert call_budget(seconds_left) is None


def test_worst_case_never_exceeds_the_time_left_at_any_size() -> None:
    for hundredths in range(0, 3000):
        seconds = hundredths / 100
        budget = call_budget(seconds)
        assert budget is None or budget.worst_case_seconds <= seconds, seconds


def test_deadline_counts_down_from_the_context_remaining_time_less_the_margin() -> None:
    now = [100.0]
    deadline = Deadline.from_remaining_millis(4000, clock=lambda: now[0])
    assert deadline.seconds_left() == 4 - SAFETY_MARGIN_SECONDS
    now[0] += 2.3
    with pytest.raises(DeadlineNear) as caught:
        deadline.budget("Query")
    assert caught.value.operation == "Query"


@dataclass
class StalledServer:
    """A TCP server on 127.0.0.1 that accepts every connection and never sends a byte."""

    sock: socket.socket
    accepted: int = 0
    _conns: list[socket.socket] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def serve(self) -> None:
        self.sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            self._conns.append(conn)


@pytest.fixture
def stalled() -> Iterator[StalledServer]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    server = StalledServer(sock)
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    yield server
    server._stop.set()
    thread.join(timeout=5)
    for conn in server._conns:
        conn.close()
    sock.close()


@pytest.fixture
def stalled_app(monkeypatch: pytest.MonkeyPatch, stalled: StalledServer) -> ModuleType:
    monkeypatch.setenv("TABLE_NAME", "items-stalled")
    monkeypatch.setenv("IDEMPOTENCY_TABLE_NAME", "idempotency-stalled")
    monkeypatch.setenv("DYNAMODB_ENDPOINT_URL", stalled.url)
    monkeypatch.setenv("CORS_ALLOW_ORIGIN", ALLOWED_ORIGIN)
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "items-api")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return load_app()


def _invoke(app: ModuleType, spec: EventSpec, remaining_millis: int) -> tuple[int, dict[str, str], object]:
    raw = app.lambda_handler(rest_event(spec), api_context(remaining_millis))
    response = to_response(raw)
    return response.status, response.headers, response.json


@pytest.mark.parametrize(
    "spec",
    [
        EventSpec("GET", "/items"),
        EventSpec("POST", "/items", body=json.dumps({"name": "x"})),
        EventSpec("POST", "/items", body=json.dumps({"name": "x"}), headers={"Idempotency-Key": "k-1"}),
        EventSpec("GET", "/items/0b7e1c9e-4a55-4e0a-9d0f-2f6a1c3b8e21"),
        EventSpec("DELETE", "/items/0b7e1c9e-4a55-4e0a-9d0f-2f6a1c3b8e21"),
    ],
    ids=["list", "create", "create-with-key", "get", "delete"],
)
def test_a_stalled_table_is_503_with_retry_after_after_the_attempts_that_fit(
    stalled_app: ModuleType, stalled: StalledServer, spec: EventSpec
) -> None:
    # GIVEN 4 s left: 2.5 s after the margin, room for exactly one attempt (connect 0.5 s, read 2 s)
    assert call_budget(4 - SAFETY_MARGIN_SECONDS) == CallBudget(1, 0.5, 2.0)

    with captured_log(stalled_app) as log:
        status, headers, body = _invoke(stalled_app, spec, remaining_millis=4000)

    # THEN one attempt reached the stalled table, then the handler answered 503 itself, and logged it
    assert (status, body, headers["retry-after"]) == (503, UNAVAILABLE, "1")
    assert stalled.accepted == 1
    warnings = [json.loads(line) for line in log.getvalue().splitlines() if '"WARNING"' in line]
    assert [(w["message"], w["error_code"]) for w in warnings] == [
        ("DynamoDB unavailable: answered 503 with Retry-After", "ReadTimeoutError")
    ]


def test_too_little_time_left_is_503_without_any_call(
    stalled_app: ModuleType, stalled: StalledServer
) -> None:
    with captured_log(stalled_app) as log:
        status, headers, body = _invoke(stalled_app, EventSpec("GET", "/items"), remaining_millis=1800)

    assert (status, body, headers["retry-after"]) == (503, UNAVAILABLE, "1")
    assert stalled.accepted == 0
    assert '"error_code":"DeadlineNear"' in log.getvalue().replace(" ", "")


def test_a_caller_is_checked_before_the_deadline(stalled_app: ModuleType, stalled: StalledServer) -> None:
    status, _, _ = _invoke(stalled_app, EventSpec("GET", "/items", caller=None), remaining_millis=1800)
    assert (status, stalled.accepted) == (401, 0)
    assert ALICE.sub  # the default caller of the other cases


def test_two_attempts_fit_in_six_and_a_half_seconds_and_the_stalled_table_sees_exactly_two(
    stalled_app: ModuleType, stalled: StalledServer
) -> None:
    assert call_budget(6.5 - SAFETY_MARGIN_SECONDS) == CallBudget(2, 0.5, 1.5)

    status, headers, body = _invoke(stalled_app, EventSpec("GET", "/items"), remaining_millis=6500)

    assert (status, body, headers["retry-after"], stalled.accepted) == (503, UNAVAILABLE, "1", 2)
