"""DPoP end to end: the local stack with DPoP allowed (REQUEST authorizer, no API Gateway cache, the replay
table in DynamoDB Local), the example client in DPoP mode, bearer clients beside it, and the refusals."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
import requests
from dpop import DPoPKey
from e2e_client import CLIENT_SECRETS

from devstack.__main__ import parse_args
from devstack.issuer import DEFAULT_AUDIENCE
from devstack.issuer_process import IssuerProcess
from devstack.stack import LocalStack, StackOptions, local_stack, stack_parameters
from devstack.template import ROOT
from items_client import ItemsClient

pytestmark = pytest.mark.slow

UNAUTHORIZED = (401, {"message": "Unauthorized"})


@pytest.fixture(scope="module")
def dpop_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    log_path = tmp_path_factory.mktemp("dpop-stack") / "functions.log"
    with (
        log_path.open("w", encoding="utf-8") as log,
        local_stack(StackOptions(client_secrets=CLIENT_SECRETS, dpop="allowed"), log_sink=log) as running,
    ):
        yield running


def make_client(stack: LocalStack, *, dpop: bool) -> ItemsClient:
    return ItemsClient(
        stack.api_url,
        stack.issuer.token_endpoint,
        "dev-admin",
        CLIENT_SECRETS["dev-admin"],
        audience=stack.issuer.config.audience,
        dpop_key=DPoPKey() if dpop else None,
    )


def dpop_token(stack: LocalStack, key: DPoPKey) -> str:
    response = requests.post(
        stack.issuer.token_endpoint,
        data={"grant_type": "client_credentials"},
        auth=("dev-admin", CLIENT_SECRETS["dev-admin"]),
        headers={"DPoP": key.proof("POST", stack.issuer.token_endpoint)},
        timeout=10,
    )
    assert (response.status_code, response.json()["token_type"]) == (200, "DPoP")
    token: str = response.json()["access_token"]
    return token


def api_url(stack: LocalStack, path: str) -> str:
    return stack.api_url.rstrip("/") + path


def answer(response: requests.Response) -> tuple[int, object]:
    return response.status_code, response.json()


def test_the_stack_runs_a_request_authorizer_with_dpop_allowed_and_the_replay_table(
    dpop_stack: LocalStack,
) -> None:
    environment = dpop_stack.specs["AuthorizerFunction"].environment

    assert (environment["DPOP"], environment["DPOP_REPLAY_TABLE"]) == ("allowed", "DPoPReplayTable")
    assert environment["DYNAMODB_ENDPOINT_URL"] == dpop_stack.dynamodb.endpoint_url
    assert dpop_stack.gateway.service.settings.authorizer_ttls == {"OAuthAuthorizer": 0}


def test_the_dpop_client_creates_gets_lists_and_deletes_items(dpop_stack: LocalStack) -> None:
    client = make_client(dpop_stack, dpop=True)

    created = client.create_item("Milk", "2 litres")
    fetched = client.get_item(created["id"])
    listed = client.all_items(limit=1)
    me = client.me()
    client.delete_item(created["id"])

    assert fetched == created
    assert created in listed
    assert me["sub"] == "dev-admin@clients"
    assert client.token_requests == 1
    assert client.session.token["token_type"] == "DPoP"
    claims = jwt.decode(client.session.token["access_token"], options={"verify_signature": False})
    assert set(claims["cnf"]) == {"jkt"}


def test_each_accepted_proof_is_recorded_in_the_replay_table(dpop_stack: LocalStack) -> None:
    table = dpop_stack.specs["AuthorizerFunction"].environment["DPOP_REPLAY_TABLE"]
    dynamodb = dpop_stack.dynamodb.client()
    before = dynamodb.scan(TableName=table, Select="COUNT")["Count"]

    make_client(dpop_stack, dpop=True).me()

    entries = dynamodb.scan(TableName=table)["Items"]
    assert len(entries) == before + 1
    assert all(set(entry) == {"id", "expires_at"} for entry in entries)


def test_a_bearer_client_still_works_with_dpop_allowed(dpop_stack: LocalStack) -> None:
    client = make_client(dpop_stack, dpop=False)

    me = client.me()

    assert me["sub"] == "dev-admin@clients"
    assert client.session.token["token_type"] == "Bearer"


def test_a_dpop_bound_token_sent_as_bearer_is_401(dpop_stack: LocalStack) -> None:
    token = dpop_token(dpop_stack, DPoPKey())

    response = requests.get(
        api_url(dpop_stack, "/me"), headers={"Authorization": f"Bearer {token}"}, timeout=10
    )

    assert answer(response) == UNAUTHORIZED
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_a_dpop_token_without_a_proof_is_401(dpop_stack: LocalStack) -> None:
    token = dpop_token(dpop_stack, DPoPKey())

    response = requests.get(
        api_url(dpop_stack, "/me"), headers={"Authorization": f"DPoP {token}"}, timeout=10
    )

    assert answer(response) == UNAUTHORIZED


def test_a_replayed_proof_is_401_after_its_first_use(dpop_stack: LocalStack) -> None:
    key = DPoPKey()
    token = dpop_token(dpop_stack, key)
    url = api_url(dpop_stack, "/me")
    headers = {"Authorization": f"DPoP {token}", "DPoP": key.proof("GET", url, token)}

    first = requests.get(url, headers=headers, timeout=10)
    second = requests.get(url, headers=headers, timeout=10)

    assert first.status_code == 200
    assert answer(second) == UNAUTHORIZED


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/me"), ("GET", "/items")],
    ids=["another method", "another path"],
)
def test_a_proof_for_another_request_is_401(dpop_stack: LocalStack, method: str, path: str) -> None:
    key = DPoPKey()
    token = dpop_token(dpop_stack, key)
    headers = {"Authorization": f"DPoP {token}", "DPoP": key.proof(method, api_url(dpop_stack, path), token)}

    response = requests.get(api_url(dpop_stack, "/me"), headers=headers, timeout=10)

    assert answer(response) == UNAUTHORIZED


def test_a_proof_by_another_key_is_401(dpop_stack: LocalStack) -> None:
    token = dpop_token(dpop_stack, DPoPKey())
    url = api_url(dpop_stack, "/me")

    response = requests.get(
        url,
        headers={"Authorization": f"DPoP {token}", "DPoP": DPoPKey().proof("GET", url, token)},
        timeout=10,
    )

    assert answer(response) == UNAUTHORIZED


def test_the_example_client_cli_in_dpop_mode(dpop_stack: LocalStack, tmp_path: Path) -> None:
    command = [
        sys.executable,
        str(ROOT / "examples" / "items_client.py"),
        "--dpop",
        "--api",
        dpop_stack.api_url,
        "--token-url",
        dpop_stack.issuer.token_endpoint,
        "--client-id",
        "dev-admin",
        "--audience",
        dpop_stack.issuer.config.audience,
    ]
    environment = {"ITEMS_CLIENT_SECRET": CLIENT_SECRETS["dev-admin"], "PATH": "/usr/bin:/bin"}

    created = subprocess.run(
        [*command, "create", "from the CLI"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )
    listed = subprocess.run(
        [*command, "list"], capture_output=True, text=True, env=environment, timeout=60, check=False
    )

    assert (created.returncode, created.stderr) == (0, "")
    item = json.loads(created.stdout)
    assert item["name"] == "from the CLI"
    assert listed.returncode == 0
    assert item in json.loads(listed.stdout)


def test_make_run_prints_the_dpop_client_command(dpop_stack: LocalStack) -> None:
    instructions = dpop_stack.instructions()

    assert "DPoP is allowed (REQUEST authorizer, no authorizer cache)" in instructions
    assert f"--audience {dpop_stack.issuer.config.audience} --dpop me" in instructions


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], {}),
        (["--dpop", "allowed"], {"DPoP": "allowed", "AuthorizerType": "REQUEST"}),
        (["--dpop", "required"], {"DPoP": "required", "AuthorizerType": "REQUEST"}),
        (["--authorizer-type", "REQUEST"], {"AuthorizerType": "REQUEST"}),
    ],
)
def test_the_dpop_flags_become_the_template_parameters(
    argv: list[str], expected: dict[str, str], tmp_path: Path
) -> None:
    issuer = IssuerProcess(None, DEFAULT_AUDIENCE, {}, key_path=tmp_path / "key.json")
    try:
        parameters = stack_parameters(issuer, parse_args(argv))
        base = {"Issuer": issuer.config.issuer, "Audience": DEFAULT_AUDIENCE, "JwksUri": ""}
    finally:
        issuer.close()

    assert parameters == {**base, **expected}


def test_dpop_on_a_token_authorizer_is_refused_as_the_template_refuses_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse_args(["--dpop", "allowed", "--authorizer-type", "TOKEN"])

    assert exit_info.value.code == 2
    assert "--dpop allowed/required needs the REQUEST authorizer" in capsys.readouterr().err
