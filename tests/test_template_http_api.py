"""examples/http-api/template.yaml: an HTTP API nesting the authorizer application, through SAM's translator.

Payload format 2.0, the Authorization header as identity source, policies (cached per token) or simple
responses (never cached), and a route table generated from the example's own OpenAPI document.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_template import _evaluate, _parameter_values, _translate_one

from devstack.functions import load_stacks
from devstack.gateway import GatewaySettings
from devstack.route_table import load_document, route_table, route_table_json
from devstack.template import AUTHORIZER_APP_PATH, ROOT, load_template, nested_applications, route_scopes

EXAMPLE = ROOT / "examples" / "http-api"
TEMPLATE = EXAMPLE / "template.yaml"
PARAMETERS = {"Issuer": "https://tenant.example.auth0.com/", "Audience": "https://reports.example.com"}


@pytest.fixture(autouse=True)
def _region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


def _authorizer(**parameters: str) -> dict[str, Any]:
    """The HTTP API's authorizer as CloudFormation creates it (translated, Fn::If evaluated)."""
    template = load_template(TEMPLATE)
    resources = _translate_one(template, PARAMETERS | parameters)
    body = resources["Api"]["Properties"]["Body"]
    authorizer = body["components"]["securitySchemes"]["OAuthAuthorizer"]["x-amazon-apigateway-authorizer"]
    values = _parameter_values(template, **PARAMETERS, **parameters)
    evaluated: dict[str, Any] = _evaluate(authorizer, values, template["Conditions"])
    return evaluated


def test_the_example_nests_the_authorizer_application_from_its_local_path() -> None:
    assert nested_applications(TEMPLATE) == {"AuthorizerApp": AUTHORIZER_APP_PATH}
    assert load_template(TEMPLATE)["Resources"]["Api"]["DependsOn"] == "AuthorizerApp"


def test_the_route_table_is_generated_from_the_examples_openapi_document() -> None:
    generated = route_table(load_document(EXAMPLE / "openapi.yaml"))

    assert route_scopes(TEMPLATE) == generated
    assert (EXAMPLE / "route_scopes.json").read_text(encoding="utf-8") == route_table_json(generated) + "\n"
    assert generated == {
        "GET /hello": [],
        "GET /reports": ["read:items"],
        "POST /reports": ["write:items"],
        "GET /reports/{id}": ["read:items"],
    }


def test_every_route_of_the_api_is_in_the_route_table_and_behind_the_authorizer() -> None:
    events = load_template(TEMPLATE)["Resources"]["ReportsFunction"]["Properties"]["Events"]
    routes = {f"{e['Properties']['Method']} {e['Properties']['Path']}" for e in events.values()}
    paths = _translate_one(load_template(TEMPLATE), PARAMETERS)["Api"]["Properties"]["Body"]["paths"]
    secured = {
        f"{method.upper()} {path}": operation.get("security")
        for path, operations in paths.items()
        for method, operation in operations.items()
    }

    assert routes == set(route_scopes(TEMPLATE))
    assert secured == {route: [{"OAuthAuthorizer": []}] for route in routes}


@pytest.mark.parametrize(
    ("parameters", "simple", "ttl"),
    [
        ({}, False, 300),
        ({"AuthorizerCacheTtl": "60"}, False, 60),
        # A simple response answers for the called route only: never cached, whatever the TTL says.
        ({"AuthorizerResponse": "simple"}, True, 0),
        ({"AuthorizerResponse": "simple", "AuthorizerCacheTtl": "600"}, True, 0),
    ],
)
def test_the_authorizer_is_payload_2_0_on_the_authorization_header_cached_only_with_policies(
    parameters: dict[str, str], simple: bool, ttl: int
) -> None:
    authorizer = _authorizer(**parameters)

    assert authorizer["type"] == "request"
    assert authorizer["authorizerPayloadFormatVersion"] == "2.0"
    assert authorizer["identitySource"] == ["$request.header.Authorization"]
    assert authorizer["enableSimpleResponses"] is simple
    assert int(authorizer["authorizerResultTtlInSeconds"]) == ttl


@pytest.mark.parametrize(("response", "expected"), [("policy", "false"), ("simple", "true")])
def test_the_application_answers_in_the_form_the_api_expects(response: str, expected: str) -> None:
    template = load_template(TEMPLATE)
    values = _parameter_values(template, **PARAMETERS, AuthorizerResponse=response)
    passed = template["Resources"]["AuthorizerApp"]["Properties"]["Parameters"]

    assert _evaluate(passed["SimpleResponses"], values, template["Conditions"]) == expected
    assert _evaluate(passed["MetricsNamespace"], values, {}) == "OAuthAuthorizer/stack"


@pytest.mark.parametrize(("response", "ttl"), [("policy", 300), ("simple", 0)])
def test_the_local_gateway_reads_the_http_apis_cache_ttl(response: str, ttl: int) -> None:
    stacks = load_stacks({**PARAMETERS, "AuthorizerResponse": response}, TEMPLATE)

    assert GatewaySettings.from_stacks(stacks).authorizer_ttls == {"OAuthAuthorizer": ttl}


def test_the_functions_environment_carries_the_route_table_as_json() -> None:
    template = load_template(TEMPLATE)
    values = _parameter_values(template, **PARAMETERS)
    passed = template["Resources"]["AuthorizerApp"]["Properties"]["Parameters"]

    assert json.loads(_evaluate(passed["RouteScopes"], values, {})) == route_scopes(TEMPLATE)
