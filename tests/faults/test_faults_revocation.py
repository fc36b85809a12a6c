"""The revocation table stopped while decisions keep flowing, and cold starts against an unreachable table.

Stopped (SIGSTOP on DynamoDB Local, the stack's authorizer cache off so every request is decided): the
last list read stays in force in both functions. Tokens that are not revoked keep working, the revoked
one stays refused, and each failed refresh is logged and counted (RevocationList_read_failed).
Unreachable at a cold start (nothing listens): a function that never read the list has nothing to check
against and refuses, the authorizer with a 401 counted as revocation_unavailable, the handler with 503.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fault_load import FaultClient
from jwt.algorithms import RSAAlgorithm

from devstack.stack import LocalStack
from lambda_loader import load_lambda_app
from token_revocation.entries import Kind

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
COLD_START_RUNNER = ROOT / "tests" / "authorizer" / "cold_start_runner.py"
ISSUER = "https://issuer.faults.invalid/"
AUDIENCE = "https://items.example.com"
STOPPED_SECONDS = 12.0  # more than two refresh intervals (5 s) of both functions


def test_with_the_table_stopped_the_last_list_stays_in_force_and_decisions_keep_flowing(
    stack: LocalStack, client: FaultClient, stack_log: Path
) -> None:
    # GIVEN a revoked token, refused once both functions have read the list
    revoked, working = client.token(), client.token()
    jti = json.loads(base64.urlsafe_b64decode(revoked.split(".")[1] + "=="))["jti"]
    stack.revoke(Kind.TOKEN, jti)
    deadline = time.monotonic() + 30
    while client.call("GET", "/me", revoked).status != 401:
        assert time.monotonic() < deadline, "the revocation never took effect"
        time.sleep(0.5)
    assert client.call("GET", "/me", working).status == 200  # the handler has read the list too
    # WHEN DynamoDB Local stops answering for longer than two refresh intervals
    os.kill(stack.dynamodb.process.pid, signal.SIGSTOP)
    statuses: dict[str, list[int]] = {"revoked": [], "working": []}
    try:
        started = time.monotonic()
        while time.monotonic() - started < STOPPED_SECONDS:
            statuses["revoked"].append(client.call("GET", "/me", revoked).status)
            statuses["working"].append(client.call("GET", "/me", working).status)
    finally:
        os.kill(stack.dynamodb.process.pid, signal.SIGCONT)
    # THEN every decision went on from the last list: the revoked token refused, the other one served
    assert set(statuses["revoked"]) == {401}
    assert set(statuses["working"]) == {200}
    # AND the failed refreshes were logged and counted by both functions, without the token
    log = stack_log.read_text(encoding="utf-8")
    assert '"location":"revocation_list","message":"revocation list read_failed"' in log  # the authorizer
    assert '"RevocationList_read_failed":1' in log
    handler_lines = [line for line in log.splitlines() if line.startswith("[ApiFunction]")]
    assert any('"message":"revocation list read_failed"' in line for line in handler_lines)
    assert revoked not in log


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _unreachable_table() -> dict[str, str]:
    return {
        "REVOCATION_TABLE": "revocations",
        "DYNAMODB_ENDPOINT_URL": f"http://127.0.0.1:{_closed_port()}",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
    }


def test_an_authorizer_cold_start_against_an_unreachable_table_refuses_as_revocation_unavailable() -> None:
    # GIVEN a fresh authorizer (its key set inline) whose revocation table nobody answers for
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = {**json.loads(RSAAlgorithm.to_jwk(key.public_key())), "kid": "k1", "alg": "RS256"}
    now = int(time.time())
    token = jwt.encode(
        {"iss": ISSUER, "aud": AUDIENCE, "sub": "user", "iat": now, "exp": now + 600},
        key,
        algorithm="RS256",
        headers={"kid": "k1"},
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT / "layers" / "revocation"),  # Lambda: the layer in /opt/python
        "ISSUER": ISSUER,
        "AUDIENCE": AUDIENCE,
        "JWKS": json.dumps({"keys": [jwk]}),
        "ROUTE_SCOPES": json.dumps({"GET /me": []}),
        "POWERTOOLS_SERVICE_NAME": "authorizer",
        **_unreachable_table(),
    }
    event = {
        "type": "TOKEN",
        "authorizationToken": f"Bearer {token}",
        "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/v1/GET/me",
    }
    # WHEN its first decision is on a valid token
    process = subprocess.run(
        [sys.executable, str(COLD_START_RUNNER)],
        input=json.dumps({"event": event}),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = [json.loads(line) for line in process.stdout.splitlines()]
    # THEN it is a 401, counted and logged as revocation_unavailable, the failed read counted too
    assert lines[-1]["error"] == ["Exception", "Unauthorized"]
    assert [(line["reason"], line["detail"]) for line in lines if "reason" in line] == [
        (
            "revocation_unavailable",
            "the revocation list cannot be read: the table cannot be reached (ConnectionRefusedError)",
        )
    ]
    assert [line for line in lines if "RevocationList_read_failed" in line] != []
    assert token not in process.stdout


def test_a_handler_cold_start_against_an_unreachable_table_serves_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a fresh API handler whose revocation table nobody answers for
    for name, value in {
        "TABLE_NAME": "items",
        "POWERTOOLS_SERVICE_NAME": "items-api",
        **_unreachable_table(),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PAGE_TOKEN_KEY", raising=False)
    app = load_lambda_app(ROOT / "api_handler" / "app.py", "items_api_app_faults")
    event = json.loads((ROOT / "events" / "api-get-me.json").read_text(encoding="utf-8"))
    event["requestContext"]["authorizer"].update(iat=str(int(time.time())), jti="a")
    # WHEN a request arrives (through an Allow API Gateway may have cached)
    answer = app.lambda_handler(event, FakeContext())
    # THEN nothing is served: 503 with Retry-After
    assert (answer["statusCode"], json.loads(answer["body"])) == (
        503,
        {"message": "Service temporarily unavailable, retry later"},
    )
    assert answer["multiValueHeaders"]["Retry-After"] == ["1"]


class FakeContext:
    """The Lambda context attributes the handler reads."""

    function_name = "items-api"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:items-api"
    aws_request_id = "faults-request-1"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000
