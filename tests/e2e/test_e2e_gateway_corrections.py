"""The gateway's corrections of SAM CLI's emulator, at unit level: the template's real API, a scripted runner.

The runner answers for the authorizer with deliberately chosen responses (a narrow policy, a Deny, an
"Unauthorized" error ...) so that the gateway's caching and policy evaluation can be pinned exactly.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from devstack.functions import dynamic_reference_overrides, load_stacks
from devstack.gateway import (
    AuthorizerCache,
    CorrectedApigwService,
    Decision,
    build_gateway,
    evaluate_policy,
    wildcard_matches,
)
from devstack.lambda_rie import FunctionError
from devstack.stack import API_FUNCTION, AUTHORIZER_FUNCTION
from devstack.template import load_template

ARN_PREFIX = "arn:aws:execute-api:us-east-1:123456789012:1234567890/v1"
CORS = {"Access-Control-Allow-Origin": "*"}
UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer error="invalid_token"', **CORS}
FORBIDDEN_HEADERS = {"WWW-Authenticate": 'Bearer error="insufficient_scope"', **CORS}

AuthorizerScript = Callable[[dict[str, Any]], dict[str, Any]]


def allow(*resources: str, context: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "principalId": "user-1",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": list(resources)}],
        },
        "context": context or {"sub": "user-1"},
    }


def lambda_error(message: str) -> dict[str, Any]:
    return {"errorMessage": message, "errorType": "Exception", "stackTrace": []}


class ScriptedRunner:
    """A lambda runner whose authorizer answers are scripted and whose API function echoes what it got."""

    def __init__(self, authorizer: AuthorizerScript):
        self.authorizer = authorizer
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def calls_to(self, name: str) -> int:
        return sum(1 for called, _ in self.calls if called == name)

    def invoke_raw(self, function_name: str, event: bytes) -> bytes:
        payload = json.loads(event)
        self.calls.append((function_name, payload))
        if function_name == AUTHORIZER_FUNCTION:
            return json.dumps(self.authorizer(payload)).encode()
        if function_name == API_FUNCTION:
            echoed = {"path": payload["path"], "authorizer": payload["requestContext"]["authorizer"]}
            return json.dumps({"statusCode": 200, "body": json.dumps(echoed)}).encode()
        raise FunctionError(lambda_error(f"no function {function_name}"))

    def invoke(self, function_identifier: str, event: str, stdout: Any = None, *_a: Any, **_k: Any) -> None:
        stdout.write_str(self.invoke_raw(function_identifier, event.encode()).decode())

    def is_debugging(self) -> bool:
        return False


def make_gateway(
    script: AuthorizerScript, cache_ttl: int = 300, parameters: dict[str, str] | None = None
) -> tuple[FlaskClient, ScriptedRunner]:
    runner = ScriptedRunner(script)
    stacks = load_stacks(
        {
            "Issuer": "https://issuer.example/",
            "Audience": "aud",
            "AuthorizerCacheTtl": str(cache_ttl),
            **(parameters or {}),
        }
    )
    service: CorrectedApigwService = build_gateway(stacks, runner, port=1)
    return service._app.test_client(), runner


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def only_get_items(_event: dict[str, Any]) -> dict[str, Any]:
    # A policy too narrow to be cached: it covers only the route of the first request.
    return allow(f"{ARN_PREFIX}/GET/items")


def picked_headers(headers: Any, names: dict[str, str]) -> dict[str, str | None]:
    return {name: headers.get(name) for name in names}


def test_cached_narrow_policy_fails_on_the_next_route_like_api_gateway() -> None:
    # GIVEN an authorizer whose policy only covers GET /items, cached for 300 s
    client, runner = make_gateway(only_get_items)

    # WHEN the same token calls GET /items and then GET /me
    first = client.get("/items", headers=bearer("token-a"))
    second = client.get("/me", headers=bearer("token-a"))

    # THEN the first passes, the second is denied by the cached policy, and the authorizer ran once
    assert first.status_code == 200
    assert second.status_code == 403
    assert second.get_json() == {"message": "Forbidden"}
    assert picked_headers(second.headers, FORBIDDEN_HEADERS) == FORBIDDEN_HEADERS
    assert runner.calls_to(AUTHORIZER_FUNCTION) == 1
    assert runner.calls_to(API_FUNCTION) == 1


def test_cached_policy_is_reused_for_a_second_route_it_covers() -> None:
    # GIVEN an authorizer answering with a policy for every route
    client, runner = make_gateway(lambda _e: allow(f"{ARN_PREFIX}/*"))

    # WHEN one token calls two routes
    responses = [client.get("/items", headers=bearer("t")), client.get("/me", headers=bearer("t"))]

    # THEN both pass on one authorizer invocation
    assert [r.status_code for r in responses] == [200, 200]
    assert runner.calls_to(AUTHORIZER_FUNCTION) == 1


def test_each_token_has_its_own_cache_entry() -> None:
    client, runner = make_gateway(lambda _e: allow(f"{ARN_PREFIX}/*"))

    client.get("/items", headers=bearer("token-a"))
    client.get("/items", headers=bearer("token-b"))

    assert runner.calls_to(AUTHORIZER_FUNCTION) == 2


def test_zero_ttl_reauthorizes_every_request() -> None:
    # GIVEN caching turned off and an authorizer that only allows the route it is asked about
    client, runner = make_gateway(lambda event: allow(event["methodArn"]), cache_ttl=0)

    # WHEN the same token calls two routes
    responses = [client.get("/items", headers=bearer("t")), client.get("/me", headers=bearer("t"))]

    # THEN each request was authorized on its own
    assert [r.status_code for r in responses] == [200, 200]
    assert runner.calls_to(AUTHORIZER_FUNCTION) == 2


def test_unauthorized_error_is_401_with_the_templates_gateway_response() -> None:
    client, runner = make_gateway(lambda _e: lambda_error("Unauthorized"))

    response = client.get("/items", headers=bearer("expired"))

    assert response.status_code == 401
    assert response.get_json() == {"message": "Unauthorized"}
    assert picked_headers(response.headers, UNAUTHORIZED_HEADERS) == UNAUTHORIZED_HEADERS
    assert runner.calls_to(API_FUNCTION) == 0


def test_unauthorized_answers_are_not_cached() -> None:
    client, runner = make_gateway(lambda _e: lambda_error("Unauthorized"))

    client.get("/items", headers=bearer("expired"))
    client.get("/items", headers=bearer("expired"))

    assert runner.calls_to(AUTHORIZER_FUNCTION) == 2


def test_other_authorizer_errors_are_500() -> None:
    client, _runner = make_gateway(lambda _e: lambda_error("boom"))

    response = client.get("/items", headers=bearer("t"))

    assert response.status_code == 500
    assert response.get_json() == {"message": "Internal server error"}
    assert response.headers.get("Access-Control-Allow-Origin") == "*"


def test_malformed_policy_is_500() -> None:
    client, _runner = make_gateway(lambda _e: {"principalId": "user-1"})

    response = client.get("/items", headers=bearer("t"))

    assert (response.status_code, response.get_json()) == (500, {"message": "Internal server error"})


def test_explicit_deny_overrides_allow_and_gives_403() -> None:
    def allow_all_but_deny_items(_event: dict[str, Any]) -> dict[str, Any]:
        answer = allow(f"{ARN_PREFIX}/*")
        deny = {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": f"{ARN_PREFIX}/GET/items"}
        answer["policyDocument"]["Statement"].append(deny)
        return answer

    client, runner = make_gateway(allow_all_but_deny_items)

    denied = client.get("/items", headers=bearer("t"))
    allowed = client.get("/me", headers=bearer("t"))

    assert (denied.status_code, denied.get_json()) == (403, {"message": "Forbidden"})
    assert picked_headers(denied.headers, FORBIDDEN_HEADERS) == FORBIDDEN_HEADERS
    assert allowed.status_code == 200
    assert runner.calls_to(AUTHORIZER_FUNCTION) == 1


def test_missing_token_is_401_without_invoking_the_authorizer() -> None:
    client, runner = make_gateway(only_get_items)

    response = client.get("/items")

    assert (response.status_code, response.get_json()) == (401, {"message": "Unauthorized"})
    assert picked_headers(response.headers, UNAUTHORIZED_HEADERS) == UNAUTHORIZED_HEADERS
    assert runner.calls == []


def test_cors_preflight_is_not_authorized() -> None:
    client, runner = make_gateway(only_get_items)

    response = client.options(
        "/items", headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"}
    )

    assert response.status_code == 200
    assert response.headers.get("Access-Control-Allow-Origin") == "*"
    assert runner.calls == []


def _unknown_route_answer() -> tuple[int, Any]:
    # API Gateway's MISSING_AUTHENTICATION_TOKEN response as the template defines it (404 "Not found").
    defined = load_template()["Resources"]["Api"]["Properties"]["GatewayResponses"][
        "MISSING_AUTHENTICATION_TOKEN"
    ]
    return int(defined["StatusCode"]), json.loads(defined["ResponseTemplates"]["application/json"])


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nowhere"),
        ("GET", "/items/1/audit"),
        ("PUT", "/me"),
        ("PATCH", "/items"),
        ("PUT", "/items/1"),
        ("TRACE", "/items"),
        ("HEAD", "/items"),
        ("HEAD", "/me"),
        ("HEAD", "/items/1"),
    ],
)
def test_unknown_routes_methods_and_head_are_api_gateways_missing_authentication_token(
    method: str, path: str
) -> None:
    client, runner = make_gateway(lambda _e: allow(f"{ARN_PREFIX}/*"))

    response = client.open(path, method=method, headers=bearer("t"))

    status, body = _unknown_route_answer()
    assert response.status_code == status
    if method != "HEAD":
        assert response.get_json() == body
    assert response.headers.get("Content-Type") == "application/json"
    assert response.headers.get("Access-Control-Allow-Origin") == "*"
    assert runner.calls == []


def test_a_newline_in_a_path_segment_is_matched_by_the_policys_wildcard() -> None:
    client, runner = make_gateway(lambda _e: allow(f"{ARN_PREFIX}/GET/items/*"))

    response = client.get("/items/a%0Ab", headers=bearer("t"))

    assert (response.status_code, response.get_json()["path"]) == (200, "/items/a\nb")
    assert runner.calls_to(API_FUNCTION) == 1


def test_a_body_that_is_not_utf8_reaches_the_function_base64_encoded() -> None:
    client, runner = make_gateway(lambda _e: allow(f"{ARN_PREFIX}/*"))
    raw = b'{"name": "\xff\xfe"}'

    response = client.post("/items", headers={**bearer("t"), "Content-Type": "application/json"}, data=raw)

    assert response.status_code == 200
    event = runner.calls[-1][1]
    assert (event["isBase64Encoded"], base64.b64decode(event["body"])) == (True, raw)


def test_a_utf8_body_reaches_the_function_as_text() -> None:
    client, runner = make_gateway(lambda _e: allow(f"{ARN_PREFIX}/*"))

    client.post("/items", headers={**bearer("t"), "Content-Type": "application/json"}, data='{"name": "é"}')

    event = runner.calls[-1][1]
    assert (event["isBase64Encoded"], event["body"]) == (False, '{"name": "é"}')


def test_an_event_over_lambdas_6_mb_limit_is_413_and_the_function_is_not_invoked() -> None:
    client, runner = make_gateway(lambda _e: allow(f"{ARN_PREFIX}/*"))

    response = client.post(
        "/items", headers={**bearer("t"), "Content-Type": "application/json"}, data=b"x" * (6 * 1024 * 1024)
    )

    assert (response.status_code, response.get_json()) == (413, {"message": "Request Too Long"})
    assert response.headers.get("Access-Control-Allow-Origin") == "*"
    assert (runner.calls_to(AUTHORIZER_FUNCTION), runner.calls_to(API_FUNCTION)) == (1, 0)


def test_the_function_gets_the_context_as_strings_with_the_principal() -> None:
    context = {"sub": "user-1", "scope": "read:items", "admin": False, "n": 3}
    client, _runner = make_gateway(lambda _e: allow(f"{ARN_PREFIX}/*", context=context))

    response = client.get("/items", headers=bearer("t"))

    assert response.get_json() == {
        "path": "/items",
        "authorizer": {
            "sub": "user-1",
            "scope": "read:items",
            "admin": "false",
            "n": "3",
            "principalId": "user-1",
        },
    }


def test_the_authorizer_gets_a_token_event_with_the_method_arn() -> None:
    client, runner = make_gateway(only_get_items)

    client.get("/items", headers=bearer("token-a"))

    assert runner.calls[0] == (
        AUTHORIZER_FUNCTION,
        {"type": "TOKEN", "authorizationToken": "Bearer token-a", "methodArn": f"{ARN_PREFIX}/GET/items"},
    )


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        (f"{ARN_PREFIX}/GET/items", f"{ARN_PREFIX}/GET/items", True),
        (f"{ARN_PREFIX}/GET/items", f"{ARN_PREFIX}/GET/items/1", False),
        (f"{ARN_PREFIX}/GET/items/*", f"{ARN_PREFIX}/GET/items/a/b", True),
        (f"{ARN_PREFIX}/*/items", f"{ARN_PREFIX}/DELETE/items", True),
        (f"{ARN_PREFIX}/GET/item?", f"{ARN_PREFIX}/GET/items", True),
        (f"{ARN_PREFIX}/GET/item?", f"{ARN_PREFIX}/GET/item", False),
        # Any character, a newline included, as IAM's wildcards match it
        (f"{ARN_PREFIX}/GET/items/*", f"{ARN_PREFIX}/GET/items/a\nb", True),
        (f"{ARN_PREFIX}/GET/items/a?b", f"{ARN_PREFIX}/GET/items/a\nb", True),
        (f"{ARN_PREFIX}/GET/items", f"{ARN_PREFIX}/GET/items\n", False),
        # Regex metacharacters in a resource are literal characters
        (
            "arn:aws:execute-api:us-east-1:1:api/v1/GET/a.c",
            "arn:aws:execute-api:us-east-1:1:api/v1/GET/abc",
            False,
        ),
    ],
)
def test_wildcard_matching_is_iams(pattern: str, value: str, expected: bool) -> None:
    assert wildcard_matches(pattern, value) is expected


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        ([{"Effect": "Allow", "Action": "execute-api:*", "Resource": "*"}], Decision.ALLOW),
        ([{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}], Decision.IMPLICIT_DENY),
        ([{"Effect": "Deny", "Action": "*", "Resource": "*"}], Decision.EXPLICIT_DENY),
        (
            [
                {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": f"{ARN_PREFIX}/GET/items"},
                {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"},
            ],
            Decision.EXPLICIT_DENY,
        ),
        ([], Decision.IMPLICIT_DENY),
    ],
)
def test_policy_evaluation(statements: list[dict[str, Any]], expected: Decision) -> None:
    assert evaluate_policy({"Statement": statements}, f"{ARN_PREFIX}/GET/items") is expected


def test_cache_entries_expire_after_the_ttl() -> None:
    now = [1000.0]
    cache = AuthorizerCache(clock=lambda: now[0])
    cache.put("auth", "token", {"policy": 1}, ttl=300)

    now[0] += 299.9
    fresh = cache.get("auth", "token")
    now[0] += 0.1
    expired = cache.get("auth", "token")

    assert (fresh, expired) == ({"policy": 1}, None)


def test_cache_with_zero_ttl_keeps_nothing() -> None:
    cache = AuthorizerCache()
    cache.put("auth", "token", {"policy": 1}, ttl=0)
    assert cache.get("auth", "token") is None


def test_dynamic_reference_overrides_replace_only_unresolved_references() -> None:
    environment = {"PAGE_TOKEN_KEY": "{{resolve:secretsmanager:S:SecretString}}", "TABLE_NAME": "ItemsTable"}

    first, second = dynamic_reference_overrides(environment), dynamic_reference_overrides(environment)

    assert set(first) == {"PAGE_TOKEN_KEY"}
    assert first["PAGE_TOKEN_KEY"] != second["PAGE_TOKEN_KEY"]
    assert len(first["PAGE_TOKEN_KEY"]) >= 32


# --- the REQUEST authorizer (AuthorizerType REQUEST, which DPoP selects) ----------------------------------

DPOP_ON = {"DPoP": "allowed", "AuthorizerType": "REQUEST"}


def test_the_authorizer_gets_api_gateways_rest_request_event_with_host_path_and_dpop_header() -> None:
    client, runner = make_gateway(lambda _e: allow(f"{ARN_PREFIX}/*"), parameters=DPOP_ON)

    response = client.post(
        "/items?x=1",
        headers={"Authorization": "DPoP tok", "DPoP": "proof", "Content-Type": "application/json"},
        data='{"name": "n"}',
        base_url="http://127.0.0.1:4567",
    )

    event = runner.calls[0][1]
    assert response.status_code == 200
    assert (event["type"], event["methodArn"], event["resource"], event["path"], event["httpMethod"]) == (
        "REQUEST",
        f"{ARN_PREFIX}/POST/items",
        "/items",
        "/items",
        "POST",
    )
    # Header names are case-insensitive (WSGI hands them over title-cased: "Dpop").
    headers = {name.lower(): value for name, value in event["headers"].items()}
    multi = {name.lower(): value for name, value in event["multiValueHeaders"].items()}
    assert (headers["authorization"], headers["dpop"], headers["host"]) == (
        "DPoP tok",
        "proof",
        "127.0.0.1:4567",
    )
    assert (multi["authorization"], multi["dpop"]) == (["DPoP tok"], ["proof"])
    context = event["requestContext"]
    # htu = http://127.0.0.1:4567/items: the Host header as domainName, the path as the client sent it.
    assert (context["domainName"], context["path"], context["httpMethod"]) == (
        "127.0.0.1:4567",
        "/items",
        "POST",
    )
    assert context["identity"]["clientCert"] is None
    assert event["queryStringParameters"] == {"x": "1"}
    assert "body" not in event  # API Gateway's REQUEST authorizer event carries no body


def test_request_context_path_is_the_path_called_not_the_resource() -> None:
    client, runner = make_gateway(lambda _e: allow(f"{ARN_PREFIX}/*"), parameters=DPOP_ON)

    client.get("/items/abc", headers={"Authorization": "DPoP tok", "DPoP": "p"})

    authorizer_event, route_event = runner.calls[0][1], runner.calls[1][1]
    for event in (authorizer_event, route_event):
        assert (event["resource"], event["requestContext"]["path"]) == ("/items/{id}", "/items/abc")
        assert event["requestContext"]["resourcePath"] == "/items/{id}"


def test_with_dpop_on_the_authorizer_runs_for_every_request_whatever_the_cache_ttl() -> None:
    client, runner = make_gateway(lambda _e: allow(f"{ARN_PREFIX}/*"), cache_ttl=3600, parameters=DPOP_ON)

    statuses = [
        client.get("/items", headers={"Authorization": "DPoP same-token", "DPoP": proof}).status_code
        for proof in ("proof-1", "proof-2", "proof-1")
    ]

    assert statuses == [200, 200, 200]
    assert runner.calls_to(AUTHORIZER_FUNCTION) == 3


def test_a_request_authorizer_without_dpop_is_cached_per_authorization_header() -> None:
    client, runner = make_gateway(
        lambda _e: allow(f"{ARN_PREFIX}/*"), parameters={"AuthorizerType": "REQUEST"}
    )

    for token in ("token-a", "token-a", "token-b", "token-a"):
        assert client.get("/items", headers=bearer(token)).status_code == 200

    # One call per distinct Authorization value: the cache key is the identity source, not "" for all.
    assert runner.calls_to(AUTHORIZER_FUNCTION) == 2
    assert [
        event["headers"]["Authorization"] for name, event in runner.calls if name == AUTHORIZER_FUNCTION
    ] == [
        "Bearer token-a",
        "Bearer token-b",
    ]


def test_a_request_authorizer_answers_401_without_authorization_and_is_not_invoked() -> None:
    client, runner = make_gateway(lambda _e: allow(f"{ARN_PREFIX}/*"), parameters=DPOP_ON)

    response = client.get("/items", headers={"DPoP": "proof"})

    assert (response.status_code, response.get_json()) == (401, {"message": "Unauthorized"})
    assert picked_headers(response.headers, UNAUTHORIZED_HEADERS) == UNAUTHORIZED_HEADERS
    assert runner.calls_to(AUTHORIZER_FUNCTION) == 0
