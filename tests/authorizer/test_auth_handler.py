"""The Lambda handler in-process (warm behaviour): every event type, 401/403 semantics, logs and metrics."""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from authorizer_harness import (
    ARN_PREFIX,
    Issuer,
    Keys,
    claims,
    emf_records,
    environment,
    http_v2_event,
    iam_allows,
    load_app,
    log_records,
    mint,
    request_event,
    route_logs_to,
    token_event,
)

from lambda_loader import LambdaContext

CONTEXT = {"sub": "auth0|user-1", "scope": "openid read:items", "client_id": "spa-client", "grant_type": ""}
IAT = 1_700_000_000  # the tokens' iat, which the context carries for the handler's revocation check
READ_POLICY = [
    {
        "Action": "execute-api:Invoke",
        "Effect": "Allow",
        "Resource": [f"{ARN_PREFIX}/GET/me", f"{ARN_PREFIX}/GET/items", f"{ARN_PREFIX}/GET/items/*"],
    }
]

Invoke = Callable[[dict[str, Any]], tuple[Any, list[dict[str, Any]], list[dict[str, Any]]]]


@pytest.fixture
def invoke(app: ModuleType, capsys: pytest.CaptureFixture[str]) -> Invoke:
    """Call the handler; return (response or raised exception, log records, EMF metric records)."""

    def call(event: dict[str, Any]) -> tuple[Any, list[dict[str, Any]], list[dict[str, Any]]]:
        route_logs_to(sys.stdout)  # sys.stdout is capsys's only while the test runs
        capsys.readouterr()
        try:
            result: Any = app.lambda_handler(event, LambdaContext())
        except Exception as exc:  # the handler's failure is the outcome under test
            result = exc
        output = capsys.readouterr().out
        return result, log_records(output), emf_records(output)

    return call


def decision_reasons(metrics: list[dict[str, Any]]) -> list[str]:
    return [record["reason"] for record in metrics if "Decision" in record]


def assert_unauthorized(result: Any) -> None:
    assert type(result) is Exception
    assert result.args == ("Unauthorized",)


def test_rest_token_event_gets_a_policy_for_every_permitted_route(
    invoke: Invoke, issuer: Issuer, keys: Keys
) -> None:
    # GIVEN a valid read:items token on GET /items/42
    token = mint(keys.rsa, claims(issuer, exp=2_000_000_000, iat=IAT))
    # WHEN API Gateway's TOKEN event arrives
    result, logs, metrics = invoke(token_event(f"Bearer {token}", "GET", "items/42"))
    # THEN the policy allows all read routes, with a flat context
    assert result == {
        "principalId": "auth0|user-1",
        "policyDocument": {"Version": "2012-10-17", "Statement": READ_POLICY},
        "context": {**CONTEXT, "iss": issuer.url, "exp": 2_000_000_000, "iat": IAT},
    }
    assert decision_reasons(metrics) == ["allowed"]
    assert [(r["message"], r.get("reason"), r.get("route")) for r in logs] == [
        ("key set fetched", None, None),
        ("authorized", "allowed", "GET /items/{id}"),
    ]
    assert {r["correlation_id"] for r in logs} == {"lambda-request-1"}


@pytest.mark.parametrize("header", ["Authorization", "authorization", "AUTHORIZATION"])
def test_rest_request_event_reads_the_header_in_any_case(
    invoke: Invoke, issuer: Issuer, keys: Keys, header: str
) -> None:
    token = mint(keys.ec, claims(issuer, exp=2_000_000_000, iat=IAT))
    result, logs, _ = invoke(request_event({header: f"bearer {token}"}, "GET", "/items/{id}"))
    assert result["policyDocument"]["Statement"] == READ_POLICY
    assert {r["correlation_id"] for r in logs} == {"rest-request-1"}


def test_http_api_event_gets_a_policy_for_its_stage(invoke: Invoke, issuer: Issuer, keys: Keys) -> None:
    token = mint(keys.ed, claims(issuer, exp=2_000_000_000, iat=IAT))
    result, _, metrics = invoke(http_v2_event({"authorization": f"Bearer {token}"}, "GET", "/me"))
    prefix = "arn:aws:execute-api:eu-west-1:123456789012:abc123/$default"
    assert result["policyDocument"]["Statement"] == [
        {
            "Action": "execute-api:Invoke",
            "Effect": "Allow",
            "Resource": [f"{prefix}/GET/me", f"{prefix}/GET/items", f"{prefix}/GET/items/*"],
        }
    ]
    assert decision_reasons(metrics) == ["allowed"]


def test_http_api_simple_responses_answer_for_the_called_route(
    issuer: Issuer, keys: Keys, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN SIMPLE_RESPONSES=true
    for name, value in environment(issuer, SIMPLE_RESPONSES="true").items():
        monkeypatch.setenv(name, value)
    app = load_app()
    route_logs_to(sys.stdout)
    token = mint(keys.rsa, claims(issuer, exp=2_000_000_000, iat=IAT))
    headers = {"authorization": f"Bearer {token}"}
    # WHEN a permitted and a forbidden route are called
    allowed = app.lambda_handler(http_v2_event(headers, "GET", "/items/{id}"), LambdaContext())
    denied = app.lambda_handler(http_v2_event(headers, "DELETE", "/items/{id}"), LambdaContext())
    # THEN the answers are simple, per route
    context = {**CONTEXT, "iss": issuer.url, "exp": 2_000_000_000, "iat": IAT}
    assert allowed == {"isAuthorized": True, "context": context}
    assert denied == {"isAuthorized": False, "context": context}
    assert decision_reasons(emf_records(capsys.readouterr().out)) == ["allowed", "insufficient_scope"]
    # AND REST events still get policies
    rest = app.lambda_handler(token_event(f"Bearer {token}", "GET", "me"), LambdaContext())
    assert rest["policyDocument"]["Statement"] == READ_POLICY


def test_valid_token_without_the_routes_scope_gets_a_policy_that_denies_it(
    invoke: Invoke, issuer: Issuer, keys: Keys
) -> None:
    # GIVEN a read-only token calling DELETE /items/42
    token = mint(keys.rsa, claims(issuer, exp=2_000_000_000, iat=IAT))
    result, _, metrics = invoke(token_event(f"Bearer {token}", "DELETE", "items/42"))
    # THEN the answer is a policy (not a 401) that does not allow the called route: API Gateway answers 403
    assert result["policyDocument"]["Statement"] == READ_POLICY
    assert not iam_allows(result, f"{ARN_PREFIX}/DELETE/items/42")
    assert decision_reasons(metrics) == ["insufficient_scope"]


def test_cached_policy_serves_the_callers_next_routes(invoke: Invoke, issuer: Issuer, keys: Keys) -> None:
    # GIVEN the policy returned for the first call (API Gateway caches it for this token)
    token = mint(keys.rsa, claims(issuer, scope="read:items write:items"))
    policy, _, _ = invoke(token_event(f"Bearer {token}", "GET", "me"))
    # THEN it decides every later call of that token correctly
    decisions = {
        f"{method} /{path}": iam_allows(policy, f"{ARN_PREFIX}/{method}/{path}")
        for method, path in [
            ("GET", "me"),
            ("GET", "items"),
            ("POST", "items"),
            ("GET", "items/9"),
            ("DELETE", "items/9"),
        ]
    }
    assert decisions == {
        "GET /me": True,
        "GET /items": True,
        "POST /items": True,
        "GET /items/9": True,
        "DELETE /items/9": False,
    }


@pytest.mark.parametrize(
    ("make_event", "reason"),
    [
        (lambda token: token_event(f"Basic {token}"), "missing_token"),
        (lambda token: token_event(""), "missing_token"),
        (lambda token: request_event({}), "missing_token"),
        (lambda token: http_v2_event({}), "missing_token"),
        (lambda token: token_event(f"Bearer {token[:-4]}AAAA"), "bad_signature"),
        (lambda token: token_event("Bearer not.a.jwt"), "malformed"),
        (lambda token: {"type": "TOKEN", "authorizationToken": f"Bearer {token}"}, "bad_event"),
        (lambda token: {"hello": "world"}, "bad_event"),
        (
            lambda token: (
                token_event(f"Bearer {token}") | {"methodArn": "arn:aws:execute-api:eu-west-1:1:*/v1/GET/"}
            ),
            "bad_event",
        ),
    ],
)
def test_every_failure_raises_exactly_unauthorized_and_counts_its_reason(
    invoke: Invoke, issuer: Issuer, keys: Keys, make_event: Callable[[str], dict[str, Any]], reason: str
) -> None:
    token = mint(keys.rsa, claims(issuer))
    result, logs, metrics = invoke(make_event(token))
    assert_unauthorized(result)
    assert decision_reasons(metrics) == [reason]
    assert [(r["message"], r["reason"]) for r in logs if r["message"] == "unauthorized"] == [
        ("unauthorized", reason)
    ]


def test_expired_token_is_unauthorized(invoke: Invoke, issuer: Issuer, keys: Keys) -> None:
    result, _, metrics = invoke(token_event(f"Bearer {mint(keys.rsa, claims(issuer, exp=1_600_000_000))}"))
    assert_unauthorized(result)
    assert decision_reasons(metrics) == ["expired"]


def test_unreachable_key_set_never_allows(invoke: Invoke, issuer: Issuer, keys: Keys) -> None:
    # GIVEN the issuer is failing at cold start
    issuer.status = 502
    result, logs, metrics = invoke(token_event(f"Bearer {mint(keys.rsa, claims(issuer))}"))
    # THEN it is unauthorized (jwks_unavailable), and the key-set failure is logged and counted
    assert_unauthorized(result)
    assert decision_reasons(metrics) == ["jwks_unavailable"]
    assert [r["message"] for r in logs] == ["key set fetch_failed", "unauthorized"]
    assert [record["service"] for record in metrics if "KeySet_fetch_failed" in record] == ["authorizer"]


def test_stale_key_set_use_is_logged_and_counted(
    app: ModuleType, invoke: Invoke, issuer: Issuer, keys: Keys
) -> None:
    # GIVEN a warm function whose cached key set has outlived its lifetime while the issuer is down
    token = mint(keys.rsa, claims(issuer))
    invoke(token_event(f"Bearer {token}"))
    app.KEYS[issuer.url]._fetched_at -= app.SETTINGS.key_set.max_age_seconds + 1
    issuer.status = 500
    # WHEN a token it has not verified before arrives
    fresh = mint(keys.rsa, {**claims(issuer), "jti": "not-seen-before"})
    result, logs, metrics = invoke(token_event(f"Bearer {fresh}"))
    # THEN it is still decided with the stale keys, and the staleness is visible
    assert result["principalId"] == "auth0|user-1"
    assert [r["message"] for r in logs] == ["key set fetch_failed", "key set serving_stale", "authorized"]
    assert sorted(name for record in metrics for name in record if name.startswith("KeySet_")) == [
        "KeySet_fetch_failed",
        "KeySet_serving_stale",
    ]


def test_token_header_and_event_never_reach_logs_or_metrics(
    invoke: Invoke, issuer: Issuer, keys: Keys
) -> None:
    token = mint(keys.rsa, claims(issuer))
    forged = mint(keys.attacker, claims(issuer))
    outputs = []
    for event in (
        token_event(f"Bearer {token}"),
        token_event(f"Bearer {forged}"),
        request_event({"Authorization": f"Bearer {token}"}),
        http_v2_event({"authorization": f"Bearer {token}x"}),
    ):
        _, logs, metrics = invoke(event)
        outputs.append(repr(logs) + repr(metrics))
    text = "".join(outputs)
    for secret in (token, forged, token.split(".")[2], forged.split(".")[2], token.split(".")[1], "Bearer "):
        assert secret not in text
    assert "methodArn" not in text
    assert "authorizationToken" not in text


def test_warm_invocations_reuse_the_cached_key_set(invoke: Invoke, issuer: Issuer, keys: Keys) -> None:
    for key in (keys.rsa, keys.ec, keys.ed, keys.rsa):
        result, _, _ = invoke(token_event(f"Bearer {mint(key, claims(issuer))}"))
        assert result["principalId"] == "auth0|user-1"
    assert dict(issuer.hits) == {"/.well-known/openid-configuration": 1, "/keys/jwks.json": 1}


def test_claims_cannot_inject_context_principal_or_policy(invoke: Invoke, issuer: Issuer, keys: Keys) -> None:
    # GIVEN a validly signed token stuffed with keys that mimic the authorizer's answer
    hostile = claims(
        issuer,
        exp=2_000_000_000,
        iat=IAT,
        principalId="admin",
        context={"sub": "admin", "scope": "delete:items"},
        policyDocument={"Statement": [{"Effect": "Allow", "Resource": "*"}]},
        usageIdentifierKey="stolen",
        extra={"nested": ["value"]},
    )
    result, _, _ = invoke(token_event(f"Bearer {mint(keys.rsa, hostile)}", "GET", "me"))
    # THEN the answer is exactly what the typed claims give
    assert result == {
        "principalId": "auth0|user-1",
        "policyDocument": {"Version": "2012-10-17", "Statement": READ_POLICY},
        "context": {**CONTEXT, "iss": issuer.url, "exp": 2_000_000_000, "iat": IAT},
    }
