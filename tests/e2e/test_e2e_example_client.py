"""examples/items_client.py end to end against the local stack: tokens from the local issuer (form and
Auth0 JSON), the token kept until shortly before it expires, one refresh on a 401, the 403's scope report.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from subprocess import CompletedProcess

import pytest
from e2e_client import CLIENT_SECRETS

from devstack.issuer import RunningIssuer, start_issuer
from devstack.stack import LocalStack
from devstack.template import ROOT
from items_client import (
    EXPIRY_MARGIN_SECONDS,
    Challenge,
    InsufficientScope,
    ItemsClient,
    Unauthorized,
    parse_bearer_challenge,
)

pytestmark = pytest.mark.slow


def make_client(stack: LocalStack, client_id: str = "dev-admin", **kwargs: object) -> ItemsClient:
    return ItemsClient(
        stack.api_url,
        stack.issuer.token_endpoint,
        client_id,
        CLIENT_SECRETS[client_id],
        audience=stack.issuer.config.audience,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def foreign_issuer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningIssuer]:
    # Another issuer (own key, own URL) with the same client secrets: its tokens are not the API's.
    running = start_issuer(
        client_secrets=CLIENT_SECRETS, key_path=tmp_path_factory.mktemp("foreign") / "key.json"
    )
    yield running
    running.stop()


@pytest.mark.parametrize("json_token_request", [False, True], ids=["form", "auth0-json"])
def test_create_get_list_delete_with_one_token(stack: LocalStack, json_token_request: bool) -> None:
    client = make_client(stack, json_token_request=json_token_request)

    created = client.create_item("Milk", "2 litres")
    fetched = client.get_item(created["id"])
    listed = client.all_items(limit=1)
    me = client.me()
    client.delete_item(created["id"])

    assert fetched == created
    assert created in listed
    assert me["sub"] == "dev-admin@clients"
    assert client.token_requests == 1  # one token for every call: it is kept while valid


def test_a_token_close_to_its_expiry_is_replaced_before_the_call(stack: LocalStack) -> None:
    client = make_client(stack)
    client.me()
    first = client.session.token["access_token"]

    # WHEN the kept token is within the margin of its expiry
    client.session.token["expires_at"] = int(time.time()) + EXPIRY_MARGIN_SECONDS - 5
    me = client.me()

    # THEN a new one was fetched first (no 401 round trip)
    assert me["sub"] == "dev-admin@clients"
    assert client.token_requests == 2
    assert client.session.token["access_token"] != first


def test_a_401_gets_one_new_token_and_one_retry(stack: LocalStack) -> None:
    client = make_client(stack)
    client.me()
    # A token the API refuses (as after a revocation or a key rotation), though not yet expired locally
    client.session.token["access_token"] = client.session.token["access_token"][:-4] + "AAAA"

    me = client.me()

    assert me["sub"] == "dev-admin@clients"
    assert client.token_requests == 2


def test_a_second_401_is_an_error_not_a_loop(stack: LocalStack, foreign_issuer: RunningIssuer) -> None:
    client = ItemsClient(
        stack.api_url,
        foreign_issuer.token_endpoint,
        "dev-admin",
        CLIENT_SECRETS["dev-admin"],
        audience=foreign_issuer.config.audience,
    )

    with pytest.raises(Unauthorized) as refused:
        client.me()

    assert (refused.value.status, refused.value.message) == (401, "Unauthorized")
    assert client.token_requests == 2


def test_a_403_reports_the_scope_situation_from_www_authenticate(stack: LocalStack) -> None:
    client = make_client(stack, "dev-reader")

    with pytest.raises(InsufficientScope) as refused:
        client.create_item("not allowed")

    # API Gateway's challenge says insufficient_scope but cannot name the route's scope.
    assert refused.value.challenge == Challenge("insufficient_scope", None, None)
    assert (refused.value.granted, refused.value.missing) == (["read:items"], [])
    assert str(refused.value) == (
        "403 insufficient_scope: the token's scopes (read:items) do not cover this route"
    )


def test_a_named_scope_in_the_challenge_is_reported_as_missing() -> None:
    # The handler's own 403 names the route's scopes (items_api.errors.InsufficientScope).
    challenge = parse_bearer_challenge('Bearer error="insufficient_scope", scope="write:items"')
    refused = InsufficientScope(403, "Forbidden", challenge, ["read:items"])

    assert (refused.missing, str(refused)) == (
        ["write:items"],
        "403 insufficient_scope: the token lacks write:items",
    )


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, Challenge(None, None, None)),
        ("Basic realm=x", Challenge(None, None, None)),
        ('Bearer error="invalid_token"', Challenge("invalid_token", None, None)),
        (
            'bearer error=insufficient_scope, scope="a b", error_description="needs \\"a\\""',
            Challenge("insufficient_scope", "a b", 'needs "a"'),
        ),
    ],
)
def test_bearer_challenges_are_parsed_as_rfc_6750_says(header: str | None, expected: Challenge) -> None:
    assert parse_bearer_challenge(header) == expected


def run_cli(stack: LocalStack, *arguments: str, env: dict[str, str] | None = None) -> CompletedProcess[str]:
    command = [
        sys.executable,
        str(ROOT / "examples" / "items_client.py"),
        "--api",
        stack.api_url,
        "--token-url",
        stack.issuer.token_endpoint,
        *arguments,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False, env=env)


def test_the_command_line_prints_the_answer(stack: LocalStack) -> None:
    # The secret from ITEMS_CLIENT_SECRET, and the audience as Auth0 wants it
    secret_env = {
        "ITEMS_CLIENT_SECRET": CLIENT_SECRETS["dev-reader"],
        "PATH": str(Path(sys.executable).parent),
    }
    audience = stack.issuer.config.audience

    result = run_cli(stack, "--client-id", "dev-reader", "--audience", audience, "me", env=secret_env)

    assert (result.returncode, result.stderr) == (0, "")
    assert json.loads(result.stdout) == {
        "iss": stack.issuer.config.issuer,
        "sub": "dev-reader@clients",
        "scopes": ["read:items"],
        "client_id": "dev-reader",
    }


def test_the_command_line_reports_a_403_in_one_line(stack: LocalStack) -> None:
    secret = CLIENT_SECRETS["dev-reader"]

    result = run_cli(stack, "--client-id", "dev-reader", "--client-secret", secret, "--json", "create", "x")

    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "items_client: 403 insufficient_scope: the token's scopes (read:items) do not cover this route\n"
    )
