"""Route matching and the cache-safe policy: one policy works for every permitted route and no other."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from authorizer_harness import ARN_PREFIX, ROUTE_SCOPES, iam_allows

from oauth_authorizer.errors import BadEvent
from oauth_authorizer.policy import (
    Grant,
    MethodArn,
    context_for,
    grant_for,
    iam_response,
    policy_document,
    simple_response,
)
from oauth_authorizer.routes import Route, RouteTable, parse_route_scopes
from oauth_authorizer.tokens import Claims

TEMPLATE = parse_route_scopes(json.dumps(ROUTE_SCOPES))
ARN = MethodArn.parse(f"{ARN_PREFIX}/GET/items")


def iam_response_for(claims: Claims, arn: MethodArn, grant: Grant) -> dict[str, Any]:
    """The authorizer's IAM answer for `grant`, on the stage of `arn`."""
    return iam_response(claims, policy_document(arn.stage_arn, grant))


def claims_with(*scopes: str, subject: str = "auth0|user-1") -> Claims:
    return Claims(
        subject=subject,
        expires_at=1_900_000_000,
        scopes=frozenset(scopes),
        client_id="spa",
        grant_type="",
        issuer="https://tenant.auth0.com/",
    )


def resources(*paths: str, prefix: str = ARN_PREFIX) -> list[str]:
    return [f"{prefix}/{path}" for path in paths]


# --- route table ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/me", "GET /me"),
        ("GET", "/items", "GET /items"),
        ("POST", "/items", "POST /items"),
        ("GET", "/items/42", "GET /items/{id}"),
        ("DELETE", "/items/42", "DELETE /items/{id}"),
        ("PUT", "/items/42", None),
        ("GET", "/items/42/audit", None),
        ("GET", "/", None),
    ],
)
def test_template_routes_match_like_api_gateway(method: str, path: str, expected: str | None) -> None:
    route = TEMPLATE.match(method, path)
    assert (route.key if route else None) == expected


def test_most_specific_route_wins() -> None:
    table = parse_route_scopes(
        json.dumps(
            {
                "ANY /{proxy+}": ["admin"],
                "GET /items/{id}": ["read"],
                "GET /items/export": ["export"],
                "ANY /items/{id}": ["any"],
                "GET /": [],
            }
        )
    )

    def key(method: str, path: str) -> str | None:
        route = table.match(method, path)
        return route.key if route else None

    assert key("GET", "/items/export") == "GET /items/export"
    assert key("GET", "/items/7") == "GET /items/{id}"
    assert key("POST", "/items/7") == "ANY /items/{id}"
    assert key("GET", "/items/7/history") == "ANY /{proxy+}"
    assert key("GET", "/") == "GET /"
    assert key("POST", "/") is None


def test_route_key_lookup_accepts_any_and_star() -> None:
    table = parse_route_scopes('{"ANY /items/{id}": ["x"], "GET /me": []}')
    assert [
        table.find(k) for k in ("ANY /items/{id}", "* /items/{id}", "GET /me", "POST /me", "$default")
    ] == [
        table.routes[0],
        table.routes[0],
        table.routes[1],
        None,
        None,
    ]


def test_route_keeps_its_scopes_and_iam_resource_pattern() -> None:
    route = parse_route_scopes('{"delete /items/{id}/tags/{proxy+}": ["delete:items", "tag"]}').routes[0]
    assert route == Route(
        method="DELETE",
        path="/items/{id}/tags/{proxy+}",
        segments=("items", "{id}", "tags", "{proxy+}"),
        kinds=route.kinds,
        scopes=frozenset({"delete:items", "tag"}),
    )
    assert (route.key, route.resource_glob) == ("DELETE /items/{id}/tags/{proxy+}", "/items/*/tags/*")


# --- the policy ----------------------------------------------------------------------------------------


def test_policy_allows_every_route_the_scopes_permit_not_only_the_called_one() -> None:
    response = iam_response_for(
        claims_with("read:items"), ARN, grant_for(TEMPLATE, frozenset({"read:items"}))
    )
    assert response == {
        "principalId": "auth0|user-1",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow",
                    "Resource": resources("GET/me", "GET/items", "GET/items/*"),
                }
            ],
        },
        "context": {
            "sub": "auth0|user-1",
            "iss": "https://tenant.auth0.com/",
            "scope": "read:items",
            "client_id": "spa",
            "grant_type": "",
            "exp": 1_900_000_000,
        },
    }


def test_all_scopes_allow_all_routes() -> None:
    scopes = frozenset({"read:items", "write:items", "delete:items"})
    statements = iam_response_for(claims_with(*scopes), ARN, grant_for(TEMPLATE, scopes))["policyDocument"][
        "Statement"
    ]
    assert statements == [
        {
            "Action": "execute-api:Invoke",
            "Effect": "Allow",
            "Resource": resources("GET/me", "GET/items", "POST/items", "GET/items/*", "DELETE/items/*"),
        }
    ]


def test_token_permitted_no_route_gets_a_deny_all_policy() -> None:
    table = parse_route_scopes('{"GET /items": ["read:items"]}')
    statements = iam_response_for(claims_with(), ARN, grant_for(table, frozenset()))["policyDocument"][
        "Statement"
    ]
    assert statements == [{"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": resources("*/*")}]


def test_wildcard_reaching_a_forbidden_route_gets_an_explicit_deny() -> None:
    # GIVEN GET /items/{id} is permitted but GET /items/{id}/audit needs a scope the token lacks
    table = parse_route_scopes(
        json.dumps(
            {**ROUTE_SCOPES, "GET /items/{id}/audit": ["audit:read"], "GET /items/{id}/tags": ["read:items"]}
        )
    )
    # WHEN the policy is built
    statements = iam_response_for(claims_with("read:items"), ARN, grant_for(table, frozenset({"read:items"})))
    # THEN IAM's "GET/items/*" (which also matches /items/7/audit) is fenced off by a Deny
    assert statements["policyDocument"]["Statement"] == [
        {
            "Action": "execute-api:Invoke",
            "Effect": "Allow",
            "Resource": resources("GET/me", "GET/items", "GET/items/*", "GET/items/*/tags"),
        },
        {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": resources("GET/items/*/audit")},
    ]
    assert not iam_allows(statements, f"{ARN_PREFIX}/GET/items/7/audit")
    assert iam_allows(statements, f"{ARN_PREFIX}/GET/items/7")


def test_routes_the_wildcard_cannot_reach_get_no_deny() -> None:
    # DELETE /items/{id} is forbidden, but nothing allowed matches a DELETE request: no Deny needed.
    grant = grant_for(TEMPLATE, frozenset({"read:items"}))
    assert [route.key for route in grant.denied] == []


@pytest.mark.parametrize(
    ("arn", "prefix"),
    [
        (
            "arn:aws-cn:execute-api:cn-north-1:123456789012:abc123/prod/GET/me",
            "arn:aws-cn:execute-api:cn-north-1",
        ),
        (
            "arn:aws-us-gov:execute-api:us-gov-west-1:123456789012:abc123/prod/GET/me",
            "arn:aws-us-gov:execute-api:us-gov-west-1",
        ),
        (
            "arn:aws:execute-api:eu-west-1:123456789012:abc123/$default/GET/me",
            "arn:aws:execute-api:eu-west-1",
        ),
    ],
)
def test_resources_keep_partition_region_account_api_and_stage(arn: str, prefix: str) -> None:
    parsed = MethodArn.parse(arn)
    response = iam_response_for(claims_with(), parsed, grant_for(TEMPLATE, frozenset()))
    stage = arn.split("/")[1]
    assert response["policyDocument"]["Statement"][0]["Resource"] == [
        f"{prefix}:123456789012:abc123/{stage}/GET/me"
    ]


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:execute-api:eu-west-1:123456789012:*/v1/GET/items",
        "arn:aws:execute-api:eu-west-1:123456789012:abc123/*/GET/items",
        "arn:aws:execute-api:eu-west-1:*:abc123/v1/GET/items",
        "arn:aws:execute-api:*:123456789012:abc123/v1/GET/items",
        "arn:aws:execute-api:eu-west-1:123456789012:abc123/v1/*/items",
        "arn:aws:execute-api:eu-west-1:123456789012:abc123/v1/GET/items/*",
        "arn:aws:lambda:eu-west-1:123456789012:abc123/v1/GET/items",
        "arn:aws:execute-api:eu-west-1:123456789012",
        "not an arn",
    ],
)
def test_arn_with_wildcards_or_wrong_shape_is_a_bad_event(arn: str) -> None:
    with pytest.raises(BadEvent):
        MethodArn.parse(arn)


def test_context_is_flat_scalars_built_only_from_typed_claims() -> None:
    context = context_for(claims_with("b", "a", "c:x", subject="client-1@clients"))
    assert context == {
        "sub": "client-1@clients",
        "iss": "https://tenant.auth0.com/",
        "scope": "a b c:x",
        "client_id": "spa",
        "grant_type": "",
        "exp": 1_900_000_000,
    }
    assert all(isinstance(value, str | int | float | bool) for value in context.values())


def test_simple_response_carries_the_decision_and_context() -> None:
    assert simple_response(claims_with("read:items"), True) == {
        "isAuthorized": True,
        "context": {
            "sub": "auth0|user-1",
            "iss": "https://tenant.auth0.com/",
            "scope": "read:items",
            "client_id": "spa",
            "grant_type": "",
            "exp": 1_900_000_000,
        },
    }


@pytest.mark.parametrize("granted", ["read", "read:items:all", "read:itemsx", "READ:ITEMS", "items"])
def test_scope_matching_is_exact(granted: str) -> None:
    grant = grant_for(TEMPLATE, frozenset({granted}))
    assert [route.key for route in grant.allowed] == ["GET /me"]


# --- the cache-safety property -------------------------------------------------------------------------

TABLES: dict[str, dict[str, list[str]]] = {
    "template": ROUTE_SCOPES,
    "deeper routes": {
        **ROUTE_SCOPES,
        "GET /items/{id}/audit": ["audit:read"],
        "GET /items/{id}/tags/{tag}": ["read:items", "tags"],
        "POST /items/{id}/archive": ["write:items", "delete:items"],
    },
    "literal beside param": {
        **ROUTE_SCOPES,
        "GET /items/export": ["export"],
        "GET /items/public": [],
    },
    "any and greedy": {
        **ROUTE_SCOPES,
        "ANY /admin/{proxy+}": ["admin"],
        "ANY /reports/{id}": ["reports"],
        "GET /reports/{id}": ["read:items"],
    },
}
SAMPLE_VALUES = {"{id}": ["42", "a-b", "audit2"], "{tag}": ["red"], "{proxy+}": ["x", "x/y", "x/y/z"]}
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def concrete_requests(route: Route) -> list[tuple[str, str]]:
    choices = [SAMPLE_VALUES.get(segment, [segment]) for segment in route.segments]
    methods = METHODS if route.method == "*" else [route.method]
    return [(m, "/".join(values)) for m in methods for values in itertools.product(*choices)]


def scope_subsets(table: RouteTable) -> list[frozenset[str]]:
    scopes = sorted(set().union(*(route.scopes for route in table.routes)))
    return [frozenset(c) for n in range(len(scopes) + 1) for c in itertools.combinations(scopes, n)]


@pytest.mark.parametrize("name", list(TABLES))
def test_one_policy_works_for_every_permitted_route_and_no_other(name: str) -> None:
    # (Requests that no route serves never reach the authorizer: API Gateway answers them itself.)
    # GIVEN a route table and every combination of its scopes
    table = parse_route_scopes(json.dumps(TABLES[name]))
    checked = 0
    for scopes in scope_subsets(table):
        # WHEN one policy is built for the token (whichever route was called first)
        response: dict[str, Any] = iam_response_for(claims_with(*scopes), ARN, grant_for(table, scopes))
        # THEN IAM allows each concrete request exactly when the route API Gateway picks for it is permitted
        for route in table.routes:
            for method, path in concrete_requests(route):
                served_by = table.match(method, "/" + path)
                assert served_by is not None
                expected = served_by.permits(scopes)
                assert iam_allows(response, f"{ARN_PREFIX}/{method}/{path}") is expected, (
                    scopes,
                    method,
                    path,
                )
                checked += 1
    assert checked > 0


def test_conflicting_greedy_route_fails_closed() -> None:
    # GIVEN a forbidden catch-all and a permitted {id} route whose IAM wildcard reaches into it
    table = parse_route_scopes('{"GET /items/{id}": [], "GET /{proxy+}": ["admin"]}')
    response = iam_response_for(claims_with(), ARN, grant_for(table, frozenset()))
    # THEN IAM cannot express both; the Deny wins, so nothing is over-allowed
    assert not iam_allows(response, f"{ARN_PREFIX}/GET/items/1/2")
    assert not iam_allows(response, f"{ARN_PREFIX}/GET/other")
