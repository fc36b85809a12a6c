"""`sam local start-api` on the example HTTP API (examples/http-api), as the Docker section of
docs/local-development.md shows it (on a free port instead of 3001): the authorizer application nested from
its local path, found by SAM CLI through the function name the example gives it, with events/env.json's
issuer and key set. Each answer is checked, including where SAM CLI's HTTP API emulation differs from API
Gateway (that page lists those)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sam_local import Sam, start_api
from test_sam_local_start_api import event_token

from devstack.client import api_call, http
from devstack.make_events import committed_token
from devstack.ports import free_port
from devstack.template import ROOT

UNAUTHORIZED = {"message": "Unauthorized"}
NOT_AUTHORIZED = {"message": "User is not authorized to access this resource"}


@pytest.fixture(scope="module")
def http_api_url(sam: Sam, dynamodb: str) -> Iterator[str]:
    """The page's example build, then its start-api until it answers; stopped after."""
    built = sam.run(sam.command("sam build --template examples/http-api/template.yaml"), timeout=600)
    assert built.returncode == 0, built.stdout + built.stderr
    port = free_port()
    # The page's port (3001) replaced by a free one.
    command = [str(port) if arg == "3001" else arg for arg in sam.command("sam local start-api --template")]
    assert str(port) in command
    with start_api(sam, command, port, "start-api-http.log", probe="/hello") as url:
        yield url


def test_the_docs_build_the_nested_authorizer_with_the_example(sam: Sam, http_api_url: str) -> None:
    build = ROOT / ".aws-sam" / "http-api"
    assert (build / "AuthorizerApp" / "AuthorizerFunction" / "app.py").is_file()
    assert (build / "ReportsFunction" / "app.py").is_file()
    assert (build / "AuthorizerApp" / "template.yaml").is_file()


def test_a_token_with_the_routes_scope_gets_200_through_the_nested_authorizer(http_api_url: str) -> None:
    response = api_call(http_api_url, "GET", "/reports/r-1", token=committed_token())

    assert response.status == 200, response.body
    body = response.json()
    assert (body["route"], body["pathParameters"]) == ("GET /reports/{id}", {"id": "r-1"})
    assert body["caller"]["scope"] == "delete:items read:items write:items"


def test_a_route_the_token_has_the_scope_for_answers_and_one_it_lacks_does_not(http_api_url: str) -> None:
    token = event_token("missing-scope")  # write:items, not read:items

    created = api_call(http_api_url, "POST", "/reports", token=token, body={"title": "t"})
    listed = api_call(http_api_url, "GET", "/reports", token=token)

    assert created.status == 200, created.body
    # API Gateway's HTTP API answers 403 {"message": "Forbidden"}; the emulator's body is REST's
    # (docs/local-development.md lists the differences).
    assert (listed.status, listed.json()) == (403, NOT_AUTHORIZED)


def test_no_token_gets_401(http_api_url: str) -> None:
    response = http("GET", f"{http_api_url}/hello")

    assert (response.status, response.json()) == (401, UNAUTHORIZED)


def test_an_expired_token_gets_502_from_the_emulator_where_api_gateway_says_401(http_api_url: str) -> None:
    response = api_call(http_api_url, "GET", "/hello", token=event_token("expired"))

    assert (response.status, response.json()) == (502, {"message": "Internal server error"})


def test_an_unknown_route_gets_the_emulators_403_where_an_http_api_says_404(http_api_url: str) -> None:
    response = api_call(http_api_url, "GET", "/nope", token=committed_token())

    assert (response.status, response.json()) == (403, {"message": "Missing Authentication Token"})
