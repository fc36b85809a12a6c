"""One deployment trusting five issuers at once (ISSUERS), through the handler: the token's `iss` picks the
issuer, and only that issuer's keys, algorithms, audiences and profile are used for it."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest
from authorizer_harness import (
    API,
    ROUTE_SCOPES,
    Issuer,
    Keys,
    SigningKey,
    claims,
    ec_key,
    emf_records,
    http_v2_event,
    load_app,
    log_records,
    mint,
    request_event,
    route_logs_to,
    rsa_key,
    serve_issuer,
    token_event,
)

from lambda_loader import LambdaContext

COGNITO = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Partners"
INLINE = "https://issuer.keys-out-of-band.invalid/"


@dataclass
class Deployment:
    app: ModuleType
    auth0: Issuer  # discovered
    okta: Issuer  # jwks_uri, no discovery
    keycloak: Issuer  # discovered, ES256 only
    okta_key: SigningKey
    keycloak_key: SigningKey
    cognito_key: SigningKey
    inline_key: SigningKey


@pytest.fixture
def deployment(keys: Keys, monkeypatch: pytest.MonkeyPatch) -> Iterator[Deployment]:
    # Kids are not unique across issuers: okta's key has auth0's kid, the inline issuer's has keycloak's.
    okta_key, keycloak_key = rsa_key("rsa-1"), ec_key("ec-1")
    cognito_key, inline_key = rsa_key("cognito-1"), ec_key("ec-1")
    with ExitStack() as stack:
        auth0 = stack.enter_context(serve_issuer(keys.jwks(keys.rsa)))
        okta = stack.enter_context(serve_issuer({"keys": [okta_key.jwk]}))
        keycloak = stack.enter_context(serve_issuer({"keys": [keycloak_key.jwk]}))
        issuers = [
            {"issuer": auth0.url, "audiences": [API], "profile": "auth0"},
            {"issuer": okta.url, "audiences": ["api://items"], "profile": "okta", "jwks_uri": okta.jwks_uri},
            {"issuer": keycloak.url, "audiences": [API], "profile": "keycloak", "algorithms": ["ES256"]},
            {
                "issuer": COGNITO,
                "audiences": ["partner-app-client"],
                "profile": "cognito",
                "scope_map": {"items-api/read:items": "read:items"},
                "jwks": {"keys": [cognito_key.jwk]},
            },
            {
                "issuer": INLINE,
                "audiences": [API],
                "algorithms": ["ES256"],
                "jwks": {"keys": [inline_key.jwk]},
            },
        ]
        env = {
            "ISSUERS": json.dumps(issuers),
            "ROUTE_SCOPES": json.dumps(ROUTE_SCOPES),
            "LEEWAY_SECONDS": "0",
            "POWERTOOLS_SERVICE_NAME": "authorizer",
            "POWERTOOLS_METRICS_NAMESPACE": "OAuthProtectedApiTests",
            "POWERTOOLS_TRACE_DISABLED": "true",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield Deployment(load_app(), auth0, okta, keycloak, okta_key, keycloak_key, cognito_key, inline_key)


def hits(*issuers: Issuer) -> list[int]:
    return [sum(issuer.hits.values()) for issuer in issuers]


def invoke(
    deployment: Deployment, capsys: pytest.CaptureFixture[str], event: dict[str, Any]
) -> tuple[Any, list[dict[str, Any]], list[dict[str, Any]]]:
    route_logs_to(sys.stdout)
    capsys.readouterr()
    try:
        result: Any = deployment.app.lambda_handler(event, LambdaContext())
    except Exception as exc:  # the handler's failure is the outcome under test
        result = exc
    output = capsys.readouterr().out
    return result, log_records(output), emf_records(output)


def bearer(token: str) -> dict[str, Any]:
    return token_event(f"Bearer {token}")


def reason_of(metrics: list[dict[str, Any]]) -> str:
    (reason,) = [record["reason"] for record in metrics if "Decision" in record]
    return str(reason)


def test_cold_start_fetches_nothing_and_each_key_set_loads_on_the_first_token_naming_it(
    deployment: Deployment, keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    d = deployment
    assert hits(d.auth0, d.okta, d.keycloak) == [0, 0, 0]
    # WHEN a token of each issuer arrives, one after the other
    tokens = [
        mint(keys.rsa, claims(d.auth0)),
        mint(d.okta_key, claims(d.okta, aud="api://items", azp=None, cid="okta-client", scp=["read:items"])),
        mint(d.keycloak_key, claims(d.keycloak, typ="Bearer")),
        mint(
            d.cognito_key,
            {**claims(d.auth0, aud=None, azp=None, scope="items-api/read:items"), "iss": COGNITO}
            | {"token_use": "access", "client_id": "partner-app-client"},
        ),
        mint(d.inline_key, {**claims(d.auth0), "iss": INLINE}),
    ]
    fetched = []
    answers = []
    for token in tokens:
        result, _, _ = invoke(d, capsys, bearer(token))
        answers.append((result["principalId"], result["context"]["iss"], result["context"]["client_id"]))
        fetched.append(hits(d.auth0, d.okta, d.keycloak))
    # THEN each is allowed, with its own issuer and client in the context
    assert answers == [
        ("auth0|user-1", d.auth0.url, "spa-client"),
        ("auth0|user-1", d.okta.url, "okta-client"),
        ("auth0|user-1", d.keycloak.url, "spa-client"),
        ("auth0|user-1", COGNITO, "partner-app-client"),
        ("auth0|user-1", INLINE, "spa-client"),
    ]
    # AND only the issuer named by each token was fetched, once (okta: its jwks_uri, no discovery)
    assert fetched == [[2, 0, 0], [2, 1, 0], [2, 1, 2], [2, 1, 2], [2, 1, 2]]


def test_an_unconfigured_issuer_is_unknown_issuer_and_costs_no_request(
    deployment: Deployment, keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    d = deployment
    token = mint(keys.rsa, claims(d.auth0, iss="https://not-configured.example/"))
    result, logs, metrics = invoke(d, capsys, bearer(token))
    assert (type(result), result.args, reason_of(metrics)) == (Exception, ("Unauthorized",), "unknown_issuer")
    assert logs[-1]["detail"] == "iss 'https://not-configured.example/' is not a configured issuer"
    assert hits(d.auth0, d.okta, d.keycloak) == [0, 0, 0]


def test_one_issuers_key_never_verifies_another_issuers_token_even_with_the_same_kid(
    deployment: Deployment, keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    d = deployment
    # GIVEN a token naming the first issuer, signed with the second issuer's key (same kid "rsa-1")
    confused = mint(d.okta_key, claims(d.auth0))
    result, _, metrics = invoke(d, capsys, bearer(confused))
    assert (result.args, reason_of(metrics)) == (("Unauthorized",), "bad_signature")
    # AND the second issuer's own token is not accepted under the first issuer's name with its audience
    result, _, metrics = invoke(d, capsys, bearer(mint(d.okta_key, claims(d.okta))))  # aud: the first's API
    assert (result.args, reason_of(metrics)) == (("Unauthorized",), "wrong_audience")
    # AND an inline issuer's key does not verify a token of a fetched issuer
    result, _, metrics = invoke(d, capsys, bearer(mint(d.inline_key, claims(d.keycloak, typ="Bearer"))))
    assert (result.args, reason_of(metrics)) == (("Unauthorized",), "bad_signature")


def test_each_issuers_own_algorithms_and_profile_apply(
    deployment: Deployment, keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    d = deployment
    # ES256 is allowed for keycloak only: the same EC key, named for auth0, is refused by auth0's RS256
    _, _, metrics = invoke(d, capsys, bearer(mint(d.keycloak_key, claims(d.auth0))))
    assert reason_of(metrics) == "bad_algorithm"
    # AND the keycloak profile wants typ Bearer, which auth0's does not
    _, _, metrics = invoke(d, capsys, bearer(mint(d.keycloak_key, claims(d.keycloak))))
    assert reason_of(metrics) == "wrong_token_type"
    # AND Cognito's aud-less binding applies to the Cognito issuer only
    _, _, metrics = invoke(d, capsys, bearer(mint(keys.rsa, claims(d.auth0, aud=None, client_id=API))))
    assert reason_of(metrics) == "wrong_audience"


def test_key_set_events_are_labelled_with_their_issuer(
    deployment: Deployment, keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    d = deployment
    d.okta.status = 503
    token = mint(d.okta_key, claims(d.okta, aud="api://items"))
    result, logs, metrics = invoke(d, capsys, bearer(token))
    assert reason_of(metrics) == "jwks_unavailable"
    assert [(r["message"], r.get("issuer")) for r in logs] == [
        ("key set fetch_failed", d.okta.url),
        ("unauthorized", None),
    ]
    assert [
        (r["issuer"], r["_aws"]["CloudWatchMetrics"][0]["Dimensions"])
        for r in metrics
        if "KeySet_fetch_failed" in r
    ] == [(d.okta.url, [["service", "issuer"]])]
    # AND the other issuers are not affected
    result, _, _ = invoke(d, capsys, bearer(mint(keys.rsa, claims(d.auth0))))
    assert result["context"]["iss"] == d.auth0.url


@pytest.mark.parametrize(
    "event",
    [
        token_event("Bearer abc\ud800"),
        request_event({"Authorization": "Bearer abc\ud800"}),
        http_v2_event({"authorization": "Bearer abc\ud800"}),
        token_event("Bearer \udc00" + "a" * 40),
    ],
    ids=["token", "rest-request", "http-v2", "low-surrogate"],
)
def test_a_lone_surrogate_in_the_authorization_value_is_malformed(
    deployment: Deployment, capsys: pytest.CaptureFixture[str], event: dict[str, Any]
) -> None:
    result, logs, metrics = invoke(deployment, capsys, event)
    assert (type(result), result.args, reason_of(metrics)) == (Exception, ("Unauthorized",), "malformed")
    assert logs[-1]["detail"] == "not a compact JWS (non-ASCII characters)"


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:execute-api:eu-west-1:123456789012\n:abc123/v1/GET/items",
        "arn:aws:execute-api:eu-west-1:123456789012:abc123\n/v1/GET/items",
        "arn:aws:execute-api:eu-west-1:123456789012:abc123/v1\n/GET/items",
        "arn:aws\n:execute-api:eu-west-1:123456789012:abc123/v1/GET/items",
        "arn:aws:execute-api:eu-west-1\n:123456789012:abc123/v1/GET/items",
    ],
)
def test_no_arn_field_may_end_in_a_newline(
    deployment: Deployment, keys: Keys, capsys: pytest.CaptureFixture[str], arn: str
) -> None:
    event = bearer(mint(keys.rsa, claims(deployment.auth0)))
    event["methodArn"] = arn
    result, _, metrics = invoke(deployment, capsys, event)
    assert (result.args, reason_of(metrics)) == (("Unauthorized",), "bad_event")
