"""A function runtime killed mid-load is replaced on its next invocation (a new cold start), as in Lambda.

The invocation in flight when the runtime dies fails (a 502 shaped by the template's DEFAULT_5XX); every
other answer is a success, and every 201 is listed exactly once by its owner.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from fault_load import FaultClient, headers_lower, json_body, run_load, unique_tag

from devstack.stack import LocalStack

pytestmark = pytest.mark.slow

REQUESTS = 30
KILL_AFTER = 10


@pytest.mark.parametrize("function", ["ApiFunction", "AuthorizerFunction"])
def test_a_runtime_killed_mid_load_is_started_again_and_nothing_is_lost(
    stack: LocalStack, client: FaultClient, stack_log: Path, function: str
) -> None:
    token = client.token()
    rie = stack.runner.functions[function]
    starts = rie.starts
    tag = unique_tag(function)

    def kill() -> None:
        assert rie.process is not None
        os.killpg(rie.process.pid, signal.SIGKILL)  # the RIE and its runtime: the environment is gone

    result = run_load(
        f"{function} killed", client, token, REQUESTS, tag=tag, fault_after=KILL_AFTER, fault=kill
    )
    result.report()

    # THEN exactly one new execution environment, logged as a cold start
    assert rie.starts == starts + 1
    assert f"devstack: {function} runtime exited" in stack_log.read_text(encoding="utf-8")
    # at most the one invocation in flight failed, with DEFAULT_5XX's body and CORS header
    assert set(result.statuses) <= {200, 201, 502}
    assert result.statuses[502] <= 1
    for status, headers, body in result.bodies:
        if status == 502:
            assert json_body(body) == {"message": "Internal server error"}
            assert headers_lower(headers)["access-control-allow-origin"] == client.allowed_origin
    # and nothing is lost: every 201 is listed exactly once; a POST failed in flight made one item at most
    listed = [item["id"] for item in client.listed(token) if item["name"].startswith(f"{tag}-")]
    assert len(listed) == len(set(listed))
    assert set(result.created) <= set(listed)
    assert len(set(listed) - set(result.created)) <= result.statuses[502]
    # and the new environment serves: a request after the load succeeds
    assert client.call("GET", "/me", token).status == 200
