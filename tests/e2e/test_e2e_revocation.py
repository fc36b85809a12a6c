"""Revocation through the whole local stack, the authorizer cache on at its default TTL (300 s).

Each test revokes with `python -m devstack revoke`'s own code (run_command against the running stack's
control endpoint), then measures how long a token whose Allow API Gateway has cached keeps working.
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import jwt
import pytest
from e2e_client import StackClient

from devstack.control import run_command, serving_control
from devstack.stack import AUTHORIZER_FUNCTION, LocalStack

# The bound: refused within 10 s of `devstack revoke` returning (the refresh interval is 5 s).
EFFECT_WITHIN_SECONDS = 10.0
Revoke = Callable[..., str]


@pytest.fixture
def devstack_revoke(stack: LocalStack, tmp_path: Path) -> Iterator[Revoke]:
    """`python -m devstack revoke ARGS` against the running stack: asserts exit code 0, gives the output."""
    control_file = tmp_path / "devstack-control.json"

    def run(*args: str) -> str:
        captured = io.StringIO()
        with contextlib.redirect_stdout(captured):
            code = run_command(["revoke", *args], control_file)
        output = captured.getvalue().strip()
        assert code == 0, output
        return output

    with serving_control(stack.issuer, control_file, revoker=stack.revoke):
        yield run
    # Take the revocations back, and wait until both functions have read the list again: tokens that
    # later tests got before this one (or get in the revocation's own second) work again.
    environment = stack.specs[AUTHORIZER_FUNCTION].environment
    table = environment["REVOCATION_TABLE"]
    client = stack.dynamodb.client()
    for item in client.scan(TableName=table)["Items"]:
        client.delete_item(TableName=table, Key={"id": item["id"]})
    time.sleep(int(environment["REVOCATION_REFRESH_SECONDS"]) + 1.1)


def seconds_until_refused(client: StackClient, token: str, other: str, path: str = "/me") -> float:
    """Poll `token` until it is refused (401), checking on every round that `other` still works."""
    started = time.monotonic()
    while time.monotonic() - started < 30:
        answer = client.call("GET", path, token)
        if answer.status == 401:
            assert answer.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
            return time.monotonic() - started
        assert answer.status == 200, answer
        assert client.call("GET", "/me", other).status == 200
        time.sleep(0.2)
    raise AssertionError("still not refused after 30 s")


def next_second() -> None:
    time.sleep(1 - time.time() % 1 + 0.05)


@pytest.mark.slow
def test_a_revoked_subject_is_refused_within_seconds_through_a_cached_allow_and_signs_in_again(
    client: StackClient, devstack_revoke: Revoke
) -> None:
    # GIVEN a reader's token whose Allow API Gateway has cached, and an admin's token
    reader, admin = client.token("dev-reader"), client.token("dev-admin")
    assert client.call("GET", "/items", reader).status == 200
    assert client.call("GET", "/me", admin).status == 200
    invocations = client.authorizer_invocations
    # WHEN the reader's subject is revoked
    before = int(time.time())
    output = devstack_revoke("--sub", "dev-reader@clients")
    # THEN the command says what it covers, and the reader is refused within the bound
    revoked_at = int(output.split("issued at or before ")[1].split(",")[0])
    assert before <= revoked_at <= time.time()
    assert output == (
        f"revoked: every token of subject 'dev-reader@clients' issued at or before {revoked_at}, issuer "
        f"{client.stack.issuer.config.issuer!r} (entry expires at {revoked_at + 86_400 + 300})"
    )
    assert seconds_until_refused(client, reader, admin, "/items") < EFFECT_WITHIN_SECONDS
    # AND it was the handler that refused: the authorizer was not asked again for the cached token
    # (the admin's token was cached too)
    assert client.authorizer_invocations == invocations
    # AND a token issued to the reader after the revocation works
    next_second()
    assert client.call("GET", "/items", client.token("dev-reader")).status == 200


@pytest.mark.slow
def test_a_revoked_token_is_refused_its_post_stores_nothing_and_the_clients_other_tokens_work(
    client: StackClient, devstack_revoke: Revoke
) -> None:
    # GIVEN an admin token whose Allow is cached
    stolen, other = client.token("dev-admin"), client.token("dev-admin")
    assert client.call("GET", "/items", stolen).status == 200
    # WHEN that one token is revoked by its jti
    jti = jwt.decode(stolen, options={"verify_signature": False})["jti"]
    assert devstack_revoke("--jti", jti).startswith(f"revoked: the token with jti {jti!r}")
    # THEN it is refused within the bound while the same client's other token keeps working
    assert seconds_until_refused(client, stolen, other, "/items") < EFFECT_WITHIN_SECONDS
    # AND its POST is a 401 that stores nothing
    name = f"revoked-post-{time.time_ns()}"
    assert client.call("POST", "/items", stolen, body={"name": name}).status == 401
    listed = client.call("GET", "/items?limit=100", other)
    assert name not in [item["name"] for item in listed.json()["items"]]


@pytest.mark.slow
def test_a_revoked_client_is_refused_within_seconds_and_other_clients_are_not(
    client: StackClient, devstack_revoke: Revoke
) -> None:
    noscope, admin = client.token("dev-noscope"), client.token("dev-admin")
    assert client.call("GET", "/me", noscope).status == 200
    output = devstack_revoke("--client", "dev-noscope")
    assert output.startswith("revoked: every token issued to client 'dev-noscope' at or before")
    assert seconds_until_refused(client, noscope, admin) < EFFECT_WITHIN_SECONDS
    # a new token of that client, issued after the revocation, works
    next_second()
    assert client.call("GET", "/me", client.token("dev-noscope")).status == 200
