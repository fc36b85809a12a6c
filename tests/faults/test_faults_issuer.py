"""The issuer (its own process) down, slow and back, with the authorizer warm and at a cold start.

Warm: the authorizer holds the key set, so an issuer outage or a slow issuer costs nothing.
Cold start (the authorizer's runtime replaced): no key set can be fetched, so every request fails closed
with 401; a slow issuer within the authorizer's 3 s fetch deadline is only slow; one beyond it fails closed.
"""

from __future__ import annotations

import os
import signal
import time

import pytest
from fault_load import FaultClient, run_load, unique_tag

from devstack.stack import LocalStack

pytestmark = pytest.mark.slow

REQUESTS = 9
RECOVERY_BOUND = 40  # safety bound: requests tried (0.5 s apart) for a warm authorizer to recover


def _cold_start(stack: LocalStack) -> None:
    """Replace the authorizer's execution environment: its next invocation is a cold start."""
    rie = stack.runner.functions["AuthorizerFunction"]
    assert rie.process is not None
    os.killpg(rie.process.pid, signal.SIGKILL)
    rie.process.wait()


@pytest.fixture
def issuer_restored(stack: LocalStack) -> object:
    yield None
    stack.issuer.slow(0)
    stack.issuer.start()


def test_a_warm_authorizer_rides_out_an_issuer_that_is_down_then_slow(
    stack: LocalStack, client: FaultClient, issuer_restored: object
) -> None:
    token = client.token()
    assert client.call("GET", "/me", token).status == 200  # the key set is fetched and held
    pid = stack.issuer.pid

    stack.issuer.stop()
    down = run_load("issuer down, warm", client, token, REQUESTS, tag=unique_tag("warm-down"))
    stack.issuer.slow(5)
    stack.issuer.start()
    slow = run_load("issuer slow 5 s, warm", client, token, REQUESTS, tag=unique_tag("warm-slow"))
    stack.issuer.slow(0)
    back = run_load("issuer back, warm", client, token, REQUESTS, tag=unique_tag("warm-back"))
    for result in (down, slow, back):
        result.report()
        assert set(result.statuses) <= {200, 201}, result.statuses
    assert stack.issuer.pid != pid  # a new process: stopped and started, as `python -m devstack issuer ...`


def test_a_cold_authorizer_fails_closed_while_the_issuer_is_down_or_too_slow(
    stack: LocalStack, client: FaultClient, issuer_restored: object
) -> None:
    token = client.token()

    stack.issuer.stop()
    _cold_start(stack)
    down = run_load("issuer down, cold start", client, token, REQUESTS, tag=unique_tag("cold-down"))

    stack.issuer.slow(1)  # within the authorizer's 3 s fetch deadline
    stack.issuer.start()
    _cold_start(stack)
    slow = run_load("issuer slow 1 s, cold start", client, token, REQUESTS, tag=unique_tag("cold-slow"))

    stack.issuer.slow(5)  # beyond it
    _cold_start(stack)
    too_slow = run_load(
        "issuer slow 5 s, cold start", client, token, REQUESTS, tag=unique_tag("cold-tooslow")
    )

    stack.issuer.slow(0)
    _cold_start(stack)
    back = run_load("issuer back, cold start", client, token, REQUESTS, tag=unique_tag("cold-back"))

    for result in (down, slow, too_slow, back):
        result.report()
    assert dict(down.statuses) == {401: REQUESTS}
    assert set(slow.statuses) <= {200, 201}
    assert slow.requests == REQUESTS
    assert dict(too_slow.statuses) == {401: REQUESTS}
    assert set(back.statuses) <= {200, 201}
    assert back.requests == REQUESTS


def test_a_warm_authorizer_that_failed_recovers_by_itself_once_the_issuer_is_back(
    stack: LocalStack, client: FaultClient, issuer_restored: object
) -> None:
    token = client.token()
    stack.issuer.stop()
    _cold_start(stack)
    assert client.call("GET", "/me", token).status == 401
    stack.issuer.start()

    statuses = []
    for _ in range(RECOVERY_BOUND):
        statuses.append(client.call("GET", "/me", token).status)
        if statuses[-1] == 200:
            break
        time.sleep(0.5)
    print(f"LOAD issuer back, warm after a failure: requests={len(statuses)} statuses={statuses}")
    # 401 (fail closed, the failure remembered for a few seconds) until the first 200, then it stays 200
    assert statuses[-1] == 200
    assert set(statuses[:-1]) <= {401}
    assert [client.call("GET", "/me", token).status for _ in range(5)] == [200] * 5
