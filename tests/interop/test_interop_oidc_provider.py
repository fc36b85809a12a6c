"""Real access tokens from a certified OpenID provider (panva's oidc-provider 9), verified by the real
authorizer: discovery and the JWK Set fetched over HTTP from 127.0.0.1, the token signed by a key the
tests never see.

The provider's behaviour relied on, from its docs (github.com/panva/node-oidc-provider, docs/README.md):
`features.clientCredentials` (RFC 6749 §4.4), `features.resourceIndicators` (RFC 8707) whose
`getResourceServerInfo` returns `accessTokenFormat: 'jwt'`, giving JWT access tokens as RFC 9068 says
(JOSE `typ: at+jwt`, claims iss, sub, aud, client_id, scope, iat, exp, jti).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import jwt
import pytest
from authlib.integrations.requests_client import OAuth2Session  # type: ignore[import-untyped]
from interop_harness import API, ARN_PREFIX, OTHER_API, OidcProvider, Outcome, rest_request_event

pytestmark = pytest.mark.slow  # starts Node: oidc-provider

Decide = Callable[[ModuleType, dict[str, Any]], Outcome]

ALL_SCOPES_POLICY = [
    {
        "Action": "execute-api:Invoke",
        "Effect": "Allow",
        "Resource": [
            f"{ARN_PREFIX}/GET/me",
            f"{ARN_PREFIX}/GET/items",
            f"{ARN_PREFIX}/POST/items",
            f"{ARN_PREFIX}/GET/items/*",
        ],
    }
]
READ_POLICY = [
    {
        "Action": "execute-api:Invoke",
        "Effect": "Allow",
        "Resource": [f"{ARN_PREFIX}/GET/me", f"{ARN_PREFIX}/GET/items", f"{ARN_PREFIX}/GET/items/*"],
    }
]


def bearer(token: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token['access_token']}"}


def unverified(access_token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The token's JOSE header and claims as oidc-provider wrote them (read only, to state its facts)."""
    claims: dict[str, Any] = jwt.decode(access_token, options={"verify_signature": False})
    return jwt.get_unverified_header(access_token), claims


def refusal(outcome: Outcome) -> str:
    """The reason of a 401: the handler raised exactly Unauthorized, and its decision line says why."""
    result, line = outcome
    assert type(result) is Exception
    assert result.args == ("Unauthorized",)
    assert (line["level"], line["message"]) == ("WARNING", "unauthorized")
    reason: str = line["reason"]
    return reason


def test_oidc_providers_client_credentials_jwt_is_allowed_for_every_route_its_scopes_permit(
    oidc_provider: OidcProvider, start_authorizer: Callable[..., ModuleType], decide: Decide
) -> None:
    """RFC 6749 §4.4 token request with RFC 8707 §2.1 `resource`; RFC 9068 §2 access token; the policy
    covers every route the scopes allow (docs/api.md, the route table; docs/caching.md): GET /me,
    GET/POST /items, GET /items/{id}, not DELETE (delete:items)."""
    # GIVEN a token oidc-provider issued to the client for the API, with both item scopes
    token = oidc_provider.fetch_token(scope="read:items write:items")
    assert (token["token_type"], token["scope"]) == ("Bearer", "read:items write:items")
    header, claims = unverified(token["access_token"])
    assert (header["typ"], header["alg"]) == ("at+jwt", "RS256")  # RFC 9068 §2.1
    assert (claims["iss"], claims["aud"], claims["sub"], claims["client_id"]) == (
        oidc_provider.issuer,
        API,
        oidc_provider.client_id,  # RFC 9068 §2.2: sub is the client when no resource owner is involved
        oidc_provider.client_id,
    )
    # WHEN API Gateway's REST REQUEST event for GET /items reaches the authorizer (oidc profile)
    app = start_authorizer(TOKEN_PROFILE="oidc")
    result, line = decide(app, rest_request_event(bearer(token)))
    # THEN it allows every route those scopes permit, and passes who called on
    assert result == {
        "principalId": oidc_provider.client_id,
        "policyDocument": {"Version": "2012-10-17", "Statement": ALL_SCOPES_POLICY},
        "context": {
            "sub": oidc_provider.client_id,
            "scope": "read:items write:items",
            "client_id": oidc_provider.client_id,
            "grant_type": "",
            "iss": oidc_provider.issuer,
            "exp": claims["exp"],
            "iat": claims["iat"],  # for the handler's revocation check
            "jti": claims["jti"],
        },
    }
    assert {name: line[name] for name in ("reason", "route", "sub", "client_id", "iss")} == {
        "reason": "allowed",
        "route": "GET /items",
        "sub": oidc_provider.client_id,
        "client_id": oidc_provider.client_id,
        "iss": oidc_provider.issuer,
    }


# RFC 9864 §2: `Ed25519` is the fully-specified name of EdDSA over Ed25519; oidc-provider signs under it
# when asked, and the authorizer admits it wherever EdDSA is allowed.
TOKEN_ALGORITHMS = [("ES256", "EC"), ("EdDSA", "OKP"), ("Ed25519", "OKP")]


@pytest.mark.parametrize(("token_alg", "key_type"), TOKEN_ALGORITHMS)
def test_oidc_provider_tokens_signed_with_each_asymmetric_algorithm_are_allowed(
    oidc_provider: OidcProvider,
    start_authorizer: Callable[..., ModuleType],
    decide: Decide,
    token_alg: str,
    key_type: str,
) -> None:
    """oidc-provider docs, features.resourceIndicators: the resource server's `jwt.sign.alg` picks the
    signing key; RFC 7518 §3.4 ES256, RFC 8037 §3.1 EdDSA, and RFC 9864 §2.2 Ed25519 (the fully-specified
    name oidc-provider 9 also signs under) over an Ed25519 key, each published in its JWKS."""
    token = oidc_provider.fetch_token(token_alg=token_alg)
    header, _ = unverified(token["access_token"])
    assert header["alg"] == token_alg
    with OAuth2Session() as session:
        published = session.get(f"{oidc_provider.issuer}/jwks", withhold_token=True, timeout=5).json()
    assert {key["kid"]: key["kty"] for key in published["keys"]}[header["kid"]] == key_type
    app = start_authorizer(ALLOWED_ALGORITHMS="RS256,ES256,EdDSA")
    result, line = decide(app, rest_request_event(bearer(token)))
    assert line["reason"] == "allowed", line.get("detail")
    assert result["policyDocument"]["Statement"] == ALL_SCOPES_POLICY
    assert result["context"]["client_id"] == oidc_provider.clients[token_alg].client_id


def test_a_read_only_token_from_oidc_provider_gets_the_read_routes_and_is_refused_post(
    oidc_provider: OidcProvider, start_authorizer: Callable[..., ModuleType], decide: Decide
) -> None:
    """RFC 6749 §3.3: the token's scope is what was granted (oidc-provider keeps the requested subset of
    the resource server's scopes); RFC 6750 §3.1 insufficient_scope for the route it does not cover."""
    token = oidc_provider.fetch_token(scope="read:items")
    assert token["scope"] == "read:items"
    app = start_authorizer()
    allowed, line = decide(app, rest_request_event(bearer(token)))
    assert (allowed["policyDocument"]["Statement"], line["reason"]) == (READ_POLICY, "allowed")
    # POST /items with the same token: the answer API Gateway caches still allows only the read routes
    denied, line = decide(app, rest_request_event(bearer(token), method="POST"))
    assert (denied["policyDocument"]["Statement"], line["reason"]) == (READ_POLICY, "insufficient_scope")


def test_with_require_at_jwt_oidc_providers_rfc_9068_token_is_allowed(
    oidc_provider: OidcProvider, start_authorizer: Callable[..., ModuleType], decide: Decide
) -> None:
    """RFC 9068 §4: a resource server may require `typ: at+jwt`; oidc-provider's JWT access tokens carry
    it (lib/models/formats/jwt.js), so the ISSUERS entry's require_at_jwt lets them through."""
    entry = {
        "issuer": oidc_provider.issuer,
        "audiences": [API],
        "profile": "oidc",
        "algorithms": ["RS256"],
        "require_at_jwt": True,
    }
    single_issuer_unset = {"ISSUER": "", "AUDIENCE": "", "TOKEN_PROFILE": "", "ALLOWED_ALGORITHMS": ""}
    app = start_authorizer(ISSUERS=json.dumps([entry]), **single_issuer_unset)
    result, line = decide(app, rest_request_event(bearer(oidc_provider.fetch_token())))
    assert (result["policyDocument"]["Statement"], line["reason"]) == (ALL_SCOPES_POLICY, "allowed")


def test_oidc_providers_token_for_another_resource_server_is_refused_as_wrong_audience(
    oidc_provider: OidcProvider, start_authorizer: Callable[..., ModuleType], decide: Decide
) -> None:
    """RFC 8707 §2: `resource` names the audience; RFC 9068 §4 / RFC 7519 §4.1.3: the resource server
    refuses a token whose aud is not itself, even from its own issuer with a valid signature."""
    token = oidc_provider.fetch_token(resource=OTHER_API)
    assert unverified(token["access_token"])[1]["aud"] == OTHER_API
    app = start_authorizer()
    assert refusal(decide(app, rest_request_event(bearer(token)))) == "wrong_audience"


def test_oidc_providers_opaque_token_without_a_resource_indicator_is_refused_as_malformed(
    oidc_provider: OidcProvider, start_authorizer: Callable[..., ModuleType], decide: Decide
) -> None:
    """oidc-provider docs, features.resourceIndicators: without a resource server the access token
    format is opaque (a random string, for introspection), which this JWT-only authorizer cannot read."""
    token = oidc_provider.fetch_token(resource=None)
    assert token["access_token"].count(".") == 0
    app = start_authorizer()
    assert refusal(decide(app, rest_request_event(bearer(token)))) == "malformed"


def test_an_oidc_provider_token_to_an_authorizer_trusting_another_issuer_is_refused(
    oidc_provider: OidcProvider, start_authorizer: Callable[..., ModuleType], decide: Decide
) -> None:
    """RFC 9068 §4: `iss` must exactly match the issuer identifier; oidc-provider's issuer
    has no trailing slash, so an authorizer configured with one does not know the token's issuer."""
    app = start_authorizer(ISSUER=oidc_provider.issuer + "/")
    outcome = decide(app, rest_request_event(bearer(oidc_provider.fetch_token())))
    assert refusal(outcome) == "unknown_issuer"
    assert outcome[1]["detail"] == f"iss {oidc_provider.issuer!r} is not a configured issuer"
