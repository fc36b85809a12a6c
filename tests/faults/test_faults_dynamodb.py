"""DynamoDB Local paused for longer than the function timeout, and killed, under load.

Paused: every answer is the handler's own 503 with Retry-After (never the gateway's 502 of a timed-out
function). The pause outlasts the 10 s function timeout by construction: the API function serves one
invocation at a time, and each spends at least its three 1.5 s read timeouts.
Killed: the supervisor starts it again on its data directory; meanwhile answers are 503 with Retry-After,
afterwards successes, and every item stored before or during the fault is still listed exactly once.
"""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from fault_load import FaultClient, headers_lower, json_body, run_load, unique_tag
from test_faults_idempotency import _post_until_settled

from devstack.client import HttpResponse
from devstack.stack import LocalStack

pytestmark = pytest.mark.slow

UNAVAILABLE = {"message": "Service temporarily unavailable, retry later"}
RESTART_BOUND_SECONDS = 120  # safety bound only: how long to wait for the supervisor


def _assert_unavailable(response: HttpResponse, origin: str) -> None:
    headers = headers_lower(response.headers)
    assert (response.status, json_body(response.body), headers["retry-after"]) == (503, UNAVAILABLE, "1")
    assert headers["access-control-allow-origin"] == origin  # the function's own answer, with its CORS


def test_dynamodb_paused_longer_than_the_function_timeout_gets_503_before_the_timeout(
    stack: LocalStack, client: FaultClient
) -> None:
    token = client.token()
    # Both functions have read the revocation list before the fault (a cold start that never could refuses
    # instead: tests/faults/test_faults_revocation.py); while DynamoDB is paused they keep using it.
    assert client.call("GET", "/me", token).status == 200
    tag = unique_tag("paused")
    key = f"{tag}-key"
    pid = stack.dynamodb.process.pid
    calls = [
        ("POST", "/items", {"name": f"{tag}-plain"}, {}),
        ("GET", "/items", None, {}),
        ("POST", "/items", {"name": f"{tag}-keyed"}, {"Idempotency-Key": key}),
    ]
    os.kill(pid, signal.SIGSTOP)
    started = time.monotonic()
    try:
        with ThreadPoolExecutor(len(calls)) as pool:
            answers = list(pool.map(lambda c: client.call(c[0], c[1], token, c[2], c[3]), calls))
    finally:
        paused = time.monotonic() - started
        os.kill(pid, signal.SIGCONT)
    print(
        f"LOAD dynamodb paused: requests={len(answers)} statuses={[a.status for a in answers]} "
        f"paused={paused:.1f}s"
    )

    for answer in answers:
        _assert_unavailable(answer, client.allowed_origin)
    # Once DynamoDB is back, the keyed POST is retried until final: exactly one item, whatever the pause left.
    final = _post_until_settled(client, token, f"{tag}-keyed", key)[-1]
    assert final.status == 201
    names = [item["name"] for item in client.listed(token) if item["name"].startswith(f"{tag}-")]
    assert names.count(f"{tag}-keyed") == 1
    # The plain POST answered 503 may have been stored once DynamoDB resumed (why keys exist): once at most.
    assert names.count(f"{tag}-plain") <= 1


def test_dynamodb_killed_mid_load_is_restarted_and_keeps_every_stored_item(
    stack: LocalStack, client: FaultClient
) -> None:
    token = client.token()
    tag = unique_tag("ddbkill")
    before = [item["id"] for item in client.listed(token)]
    restarts = stack.dynamodb.restarts

    def kill() -> None:
        os.kill(stack.dynamodb.process.pid, signal.SIGKILL)

    during = run_load("dynamodb killed", client, token, 24, tag=tag, fault_after=6, fault=kill)
    during.report()
    deadline = time.monotonic() + RESTART_BOUND_SECONDS
    while stack.dynamodb.restarts == restarts:
        assert time.monotonic() < deadline, "DynamoDB Local was not restarted"
        time.sleep(0.2)
    after = run_load("after the dynamodb restart", client, token, 12, tag=tag)
    after.report()

    # THEN while it was down: successes or the handler's 503 + Retry-After, nothing else
    assert set(during.statuses) <= {200, 201, 503}
    for status, headers, body in during.bodies:
        if status == 503:
            assert (json_body(body), headers_lower(headers)["retry-after"]) == (UNAVAILABLE, "1")
    # after it: only successes, restarted exactly once
    assert set(after.statuses) <= {200, 201}
    assert stack.dynamodb.restarts == restarts + 1
    # and nothing lost: the items from before, and every 201, listed exactly once
    listed = [item["id"] for item in client.listed(token)]
    assert len(listed) == len(set(listed))
    assert set(before) <= set(listed)
    assert set(during.created + after.created) <= set(listed)
