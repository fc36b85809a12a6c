"""DPoP (RFC 9449) with two outside implementations: oidc-provider 9 binds the token (`features.dPoP`,
docs/README.md; `cnf.jkt`, token_type DPoP) and panva's `dpop` npm package builds the proofs, for the
token request and for the resource request. The authorizer checks them as DPOP_CONTRACT.md says.

The `dpop` package signs with ES256, RS256, PS256 and Ed25519 (its generateKeyPair); for an Ed25519 key
its proofs say `alg: Ed25519`, the fully-specified name of RFC 9864 §2.2, not the older `EdDSA` (the
authorizer accepted only `EdDSA` until this suite found it).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import jwt
import pytest
from interop_harness import ITEMS_URL, DpopKey, DpopSigner, OidcProvider, Outcome, rest_request_event

pytestmark = pytest.mark.slow  # starts Node: oidc-provider and the dpop package

Decide = Callable[[ModuleType, dict[str, Any]], Outcome]

ITEMS_ROUTES = ["GET/me", "GET/items", "POST/items", "GET/items/*"]
# Every algorithm the dpop package signs with (its generateKeyPair), each accepted by the authorizer.
ALGORITHMS = ["ES256", "RS256", "PS256", "Ed25519"]


def bound_token(oidc_provider: OidcProvider, dpop_signer: DpopSigner, key: DpopKey) -> str:
    """RFC 9449 §5: a token request with a proof (htm POST, htu the token endpoint) gets a DPoP token
    bound to the proof's key (§6.1 cnf.jkt, the RFC 7638 thumbprint the dpop package computes too)."""
    proof = dpop_signer.proof(key, "POST", oidc_provider.token_endpoint)
    token = oidc_provider.fetch_token(dpop_proof=proof)
    assert token["token_type"] == "DPoP"  # RFC 9449 §5.1
    access_token: str = token["access_token"]
    claims = jwt.decode(access_token, options={"verify_signature": False})
    assert claims["cnf"] == {"jkt": key.jkt}
    return access_token


def resource_event(token: str, proof: str | None, scheme: str = "DPoP") -> dict[str, Any]:
    """GET https://api.example.test/items through a REST REQUEST authorizer (DPOP_CONTRACT.md, events)."""
    headers = {"Authorization": f"{scheme} {token}"}
    if proof is not None:
        headers["DPoP"] = proof
    return rest_request_event(headers)


def refusal(outcome: Outcome) -> tuple[str, str]:
    """(reason, detail) of a 401: the handler raised exactly Unauthorized."""
    result, line = outcome
    assert type(result) is Exception
    assert result.args == ("Unauthorized",)
    return line["reason"], line["detail"]


def allowed_routes(outcome: Outcome) -> list[str]:
    result, line = outcome
    assert line["reason"] == "allowed"
    (statement,) = result["policyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    return [resource.split("/v1/", 1)[1] for resource in statement["Resource"]]


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_a_dpop_bound_oidc_provider_token_with_a_dpop_package_proof_is_allowed(
    oidc_provider: OidcProvider,
    dpop_signer: DpopSigner,
    start_authorizer: Callable[..., ModuleType],
    decide: Decide,
    alg: str,
) -> None:
    """RFC 9449 §7.1: `Authorization: DPoP <token>` and a proof with htm, htu (https://api.example.test
    /items, from requestContext.domainName and path) and ath (§4.2) of that token."""
    key = dpop_signer.key(alg)
    token = bound_token(oidc_provider, dpop_signer, key)
    app = start_authorizer(DPOP="allowed")
    proof = dpop_signer.proof(key, "GET", ITEMS_URL, access_token=token)
    outcome = decide(app, resource_event(token, proof))
    assert allowed_routes(outcome) == ITEMS_ROUTES
    assert outcome[0]["context"] == {
        "sub": oidc_provider.client_id,
        "scope": "read:items write:items",
        "client_id": oidc_provider.client_id,
        "grant_type": "",
        "iss": oidc_provider.issuer,
        "exp": jwt.decode(token, options={"verify_signature": False})["exp"],
        # for the handler's revocation check
        "iat": jwt.decode(token, options={"verify_signature": False})["iat"],
        "jti": jwt.decode(token, options={"verify_signature": False})["jti"],
    }


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_the_same_dpop_package_proof_a_second_time_is_refused_as_a_replay(
    oidc_provider: OidcProvider,
    dpop_signer: DpopSigner,
    start_authorizer: Callable[..., ModuleType],
    decide: Decide,
    alg: str,
) -> None:
    """RFC 9449 §11.1: a proof's jti is accepted once within the window (DPOP_CONTRACT.md dpop_replay)."""
    key = dpop_signer.key(alg)
    token = bound_token(oidc_provider, dpop_signer, key)
    app = start_authorizer(DPOP="allowed")
    proof = dpop_signer.proof(key, "GET", ITEMS_URL, access_token=token)
    assert allowed_routes(decide(app, resource_event(token, proof))) == ITEMS_ROUTES
    assert refusal(decide(app, resource_event(token, proof))) == (
        "dpop_replay",
        "the proof's jti was already used",
    )


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_a_dpop_bound_oidc_provider_token_sent_as_bearer_is_refused(
    oidc_provider: OidcProvider,
    dpop_signer: DpopSigner,
    start_authorizer: Callable[..., ModuleType],
    decide: Decide,
    alg: str,
) -> None:
    """RFC 9449 §7.1: a DPoP-bound token must not be accepted as a bearer token (dpop_binding)."""
    key = dpop_signer.key(alg)
    token = bound_token(oidc_provider, dpop_signer, key)
    app = start_authorizer(DPOP="allowed")
    assert refusal(decide(app, resource_event(token, None, scheme="Bearer"))) == (
        "dpop_binding",
        "a DPoP-bound token presented as a Bearer token",
    )


def test_a_proof_signed_by_another_key_than_the_tokens_is_refused_as_dpop_binding(
    oidc_provider: OidcProvider,
    dpop_signer: DpopSigner,
    start_authorizer: Callable[..., ModuleType],
    decide: Decide,
) -> None:
    """RFC 9449 §7.1: the proof's key must be the one whose thumbprint is the token's cnf.jkt; a valid
    proof by someone else's key (a stolen token) is refused."""
    token = bound_token(oidc_provider, dpop_signer, dpop_signer.key("ES256"))
    thief = dpop_signer.key("ES256")
    app = start_authorizer(DPOP="allowed")
    proof = dpop_signer.proof(thief, "GET", ITEMS_URL, access_token=token)
    assert refusal(decide(app, resource_event(token, proof))) == (
        "dpop_binding",
        "the proof's key is not the token's",
    )


def test_a_dpop_package_proof_for_another_url_is_refused_as_dpop_invalid(
    oidc_provider: OidcProvider,
    dpop_signer: DpopSigner,
    start_authorizer: Callable[..., ModuleType],
    decide: Decide,
) -> None:
    """RFC 9449 §4.3 step 9: htu must be the request's URI (here the token endpoint's proof is reused
    at the API, with the right key and ath)."""
    key = dpop_signer.key("ES256")
    token = bound_token(oidc_provider, dpop_signer, key)
    app = start_authorizer(DPOP="allowed")
    proof = dpop_signer.proof(key, "GET", oidc_provider.token_endpoint, access_token=token)
    assert refusal(decide(app, resource_event(token, proof))) == (
        "dpop_invalid",
        "the proof's htu is not the request's URL",
    )


def test_with_dpop_allowed_oidc_providers_unbound_bearer_token_keeps_working(
    oidc_provider: OidcProvider, start_authorizer: Callable[..., ModuleType], decide: Decide
) -> None:
    """DPOP_CONTRACT.md, DPOP=allowed: tokens without cnf keep working with `Authorization: Bearer`."""
    token = oidc_provider.fetch_token()["access_token"]
    app = start_authorizer(DPOP="allowed")
    assert allowed_routes(decide(app, resource_event(token, None, scheme="Bearer"))) == ITEMS_ROUTES


def test_with_dpop_required_oidc_providers_unbound_bearer_token_is_refused(
    oidc_provider: OidcProvider, start_authorizer: Callable[..., ModuleType], decide: Decide
) -> None:
    """DPOP_CONTRACT.md, DPOP=required: every token must be DPoP-bound (dpop_binding otherwise)."""
    token = oidc_provider.fetch_token()["access_token"]
    app = start_authorizer(DPOP="required")
    assert refusal(decide(app, resource_event(token, None, scheme="Bearer"))) == (
        "dpop_binding",
        "DPoP is required: a plain bearer token",
    )
