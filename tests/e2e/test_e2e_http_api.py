"""`make run ARGS="--template examples/http-api/template.yaml"`: the example HTTP API (payload 2.0)
through the local stack, with the authorizer answering IAM policies (cached per token) or simple responses
(never cached).

A token with the route's scope gets 200, one without 403, no token or a bad one 401, an unknown route 404,
each with an HTTP API's own body (devstack.gateway, HTTP_API_RESPONSES).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_client import CLIENT_SECRETS, StackClient

from devstack.stack import LocalStack, StackOptions, local_stack
from devstack.template import ROOT

EXAMPLE = ROOT / "examples" / "http-api" / "template.yaml"
UNAUTHORIZED = {"message": "Unauthorized"}
FORBIDDEN = {"message": "Forbidden"}


@pytest.fixture(scope="module", params=["policy", "simple"])
def http_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalStack]:
    log_path: Path = tmp_path_factory.mktemp("http-api") / "functions.log"
    options = StackOptions(
        client_secrets=CLIENT_SECRETS,
        template=EXAMPLE,
        parameter_overrides={"AuthorizerResponse": request.param},
    )
    with log_path.open("w", encoding="utf-8") as log, local_stack(options, log_sink=log) as running:
        yield running


@pytest.fixture(scope="module")
def client(http_stack: LocalStack) -> StackClient:
    return StackClient(http_stack)


def _mode(stack: LocalStack) -> str:
    return (
        "simple" if stack.specs["AuthorizerFunction"].environment["SIMPLE_RESPONSES"] == "true" else "policy"
    )


def test_the_example_serves_its_own_routes_with_the_authorizer_nested_from_its_template(
    http_stack: LocalStack,
) -> None:
    assert set(http_stack.specs) == {"AuthorizerFunction", "ReportsFunction"}
    assert http_stack.specs["AuthorizerFunction"].function_name == "local-authorizer"
    assert http_stack.table_name == ""  # no table: DynamoDB Local runs, nothing is created in it


def test_a_token_with_the_routes_scope_gets_200_and_the_authorizers_context_unconverted(
    client: StackClient,
) -> None:
    response = client.call("GET", "/reports/r-1", token=client.token("dev-reader"))

    assert response.status == 200, response.body
    body = response.json()
    assert body["route"] == "GET /reports/{id}"
    assert body["pathParameters"] == {"id": "r-1"}
    caller = body["caller"]
    assert (caller["client_id"], caller["scope"], caller["iss"]) == (
        "dev-reader",
        "read:items",
        client.stack.issuer.config.issuer,
    )
    # HTTP APIs hand the context over as the authorizer returned it (REST would make exp a string).
    assert isinstance(caller["exp"], int)


def test_a_route_without_scopes_needs_only_a_valid_token(client: StackClient) -> None:
    response = client.call("GET", "/hello", token=client.token("dev-noscope"))

    assert (response.status, response.json()["route"]) == (200, "GET /hello")


def test_a_token_without_the_routes_scope_gets_403_forbidden(client: StackClient) -> None:
    response = client.call("POST", "/reports", token=client.token("dev-reader"), body={"title": "t"})

    assert (response.status, response.json()) == (403, FORBIDDEN)


@pytest.mark.parametrize("token", [None, "not-a-jwt", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."])
def test_no_token_or_a_bad_one_gets_401_unauthorized(client: StackClient, token: str | None) -> None:
    response = client.call("GET", "/hello", token=token)

    assert (response.status, response.json()) == (401, UNAUTHORIZED)


@pytest.mark.parametrize(("method", "path"), [("GET", "/nope"), ("DELETE", "/reports"), ("PUT", "/hello")])
def test_an_unknown_route_or_method_gets_404_not_found(client: StackClient, method: str, path: str) -> None:
    response = client.call(method, path, token=client.token("dev-admin"))

    assert (response.status, response.json()) == (404, {"message": "Not Found"})


def test_policies_are_cached_per_token_across_routes_and_simple_responses_never(client: StackClient) -> None:
    token = client.token("dev-admin")
    before = client.authorizer_invocations

    statuses = [client.call(m, p, token=token).status for m, p in [("GET", "/hello"), ("GET", "/reports")]]
    forbidden = client.call("GET", "/reports", token=client.token("dev-noscope"))

    assert statuses == [200, 200]
    assert forbidden.status == 403
    # Policy: one invocation per token (the admin's policy then answers GET /reports from the cache).
    # Simple: the template sets the TTL to 0, so every request invokes the authorizer.
    expected = {"policy": 2, "simple": 3}[_mode(client.stack)]
    assert client.authorizer_invocations - before == expected


def test_the_printed_instructions_call_the_examples_routes_and_not_the_items_client(
    http_stack: LocalStack,
) -> None:
    text = http_stack.instructions()
    url = http_stack.api_url.rstrip("/")

    assert f'curl -s -H "Authorization: Bearer $TOKEN" "{url}/reports/example"' in text
    post = '-X POST -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json"'
    assert f"curl -s {post} -d '{{}}' \"{url}/reports\"" in text
    assert "items_client.py" not in text
    assert "ITEM_ID" not in text
