"""RFC 8725 §2 attack classes and hostile input: each is refused, for the right reason, without a crash."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import jwt
import pytest
from authorizer_harness import API, Issuer, Keys, claims, mint
from cryptography.hazmat.primitives import serialization
from jwt.utils import base64url_encode

from oauth_authorizer.errors import Reason, TokenRejected
from oauth_authorizer.keys import key_resolvers
from oauth_authorizer.settings import Settings
from oauth_authorizer.token_cache import VerifiedTokens
from oauth_authorizer.tokens import Claims, TokenVerifier


@pytest.fixture(params=["uncached", "with-token-cache"])
def verifier(settings: Settings, request: pytest.FixtureRequest) -> TokenVerifier:
    """Every attack is refused alike with the verified-token cache on: it only ever holds successes."""
    cache: VerifiedTokens[Claims] | None = (
        VerifiedTokens(max_age_seconds=300) if request.param == "with-token-cache" else None
    )
    return TokenVerifier(settings, key_resolvers(settings), cache)


def b64(data: bytes | dict[str, Any] | list[Any]) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64url_encode(raw).decode()


def rejection(verifier: TokenVerifier, token: str) -> Reason:
    with pytest.raises(TokenRejected) as caught:
        verifier.verify(token)
    return caught.value.reason


# §2.1 weak signatures and insufficient signature validation


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
@pytest.mark.parametrize("signature", ["", "c2ln"])
def test_alg_none_in_any_spelling_is_rejected(
    verifier: TokenVerifier, issuer: Issuer, alg: str, signature: str
) -> None:
    token = f"{b64({'alg': alg, 'typ': 'JWT', 'kid': 'rsa-1'})}.{b64(claims(issuer))}.{signature}"
    assert rejection(verifier, token) is Reason.BAD_ALGORITHM


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
def test_hmac_signed_with_the_public_key_as_secret_is_rejected(
    verifier: TokenVerifier, issuer: Issuer, keys: Keys, alg: str
) -> None:
    # GIVEN the classic key-confusion forgery: HMAC keyed with the issuer's public key (PEM and JWK forms)
    pem = keys.rsa.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    for secret in (pem, json.dumps(keys.rsa.jwk).encode()):
        signing_input = f"{b64({'alg': alg, 'typ': 'JWT', 'kid': 'rsa-1'})}.{b64(claims(issuer))}"
        signature = hmac.new(secret, signing_input.encode(), digest).digest()
        # THEN it is refused before any key is used
        assert rejection(verifier, f"{signing_input}.{b64(signature)}") is Reason.BAD_ALGORITHM


def test_forged_signature_with_the_issuers_kid_is_rejected(
    verifier: TokenVerifier, issuer: Issuer, keys: Keys
) -> None:
    # GIVEN an attacker's own RSA key, used under the issuer's kid
    assert keys.attacker.kid == keys.rsa.kid
    assert rejection(verifier, mint(keys.attacker, claims(issuer))) is Reason.BAD_SIGNATURE


def test_tampered_payload_is_rejected(verifier: TokenVerifier, issuer: Issuer, keys: Keys) -> None:
    header, _, signature = mint(keys.rsa, claims(issuer, scope="read:items")).split(".")
    tampered = f"{header}.{b64(claims(issuer, scope='read:items write:items delete:items'))}.{signature}"
    assert rejection(verifier, tampered) is Reason.BAD_SIGNATURE


def test_ecdsa_zero_signature_is_rejected(verifier: TokenVerifier, issuer: Issuer) -> None:
    # CVE-2022-21449 ("psychic signatures"): r = s = 0 must never verify
    token = f"{b64({'alg': 'ES256', 'kid': 'ec-1'})}.{b64(claims(issuer))}.{b64(bytes(64))}"
    assert rejection(verifier, token) is Reason.BAD_SIGNATURE


def test_key_of_another_type_under_a_known_kid_is_rejected(
    verifier: TokenVerifier, issuer: Issuer, keys: Keys
) -> None:
    # GIVEN an ES256 token claiming the RSA key's kid: the key's type does not fit the algorithm
    token = jwt.encode(claims(issuer), keys.ec.private, algorithm="ES256", headers={"kid": "rsa-1"})
    assert rejection(verifier, token) is Reason.BAD_ALGORITHM


def test_allowed_algorithm_on_a_key_declared_for_another_is_rejected(
    verifier: TokenVerifier, issuer: Issuer, keys: Keys
) -> None:
    # GIVEN the issuer's RSA JWK says alg RS256: a PS256 signature by the same key is not accepted
    token = jwt.encode(claims(issuer), keys.rsa.private, algorithm="PS256", headers={"kid": "rsa-1"})
    assert rejection(verifier, token) is Reason.BAD_ALGORITHM


# §2.6 / §3.10: header parameters that let the token pick its own key, or demand unknown processing


def test_embedded_jwk_is_not_trusted(verifier: TokenVerifier, issuer: Issuer, keys: Keys) -> None:
    token = mint(keys.attacker, claims(issuer), kid="attacker", jwk=keys.attacker.jwk)
    assert rejection(verifier, token) is Reason.FORBIDDEN_HEADER


@pytest.mark.parametrize("parameter", ["jku", "x5u"])
def test_key_urls_in_the_header_are_never_fetched(
    verifier: TokenVerifier, issuer: Issuer, keys: Keys, parameter: str
) -> None:
    # GIVEN a token pointing at an attacker-chosen key URL (here: a path of our own loopback server)
    token = mint(
        keys.attacker, claims(issuer), kid="attacker", **{parameter: f"{issuer.url}attacker/jwks.json"}
    )
    # THEN it is refused and the URL is never requested
    assert rejection(verifier, token) is Reason.FORBIDDEN_HEADER
    assert issuer.hits["/attacker/jwks.json"] == 0


def test_x5c_certificate_chain_is_not_trusted(verifier: TokenVerifier, issuer: Issuer, keys: Keys) -> None:
    token = mint(keys.rsa, claims(issuer), x5c=["MIIBszCCAVmgAwIBAgIU"])
    assert rejection(verifier, token) is Reason.FORBIDDEN_HEADER


@pytest.mark.parametrize("crit", [["exp"], ["urn:example:unknown"], ["b64"]])
def test_critical_header_extensions_are_rejected(
    verifier: TokenVerifier, issuer: Issuer, keys: Keys, crit: list[str]
) -> None:
    token = mint(keys.rsa, claims(issuer), crit=crit, **dict.fromkeys(crit, True))
    assert rejection(verifier, token) is Reason.FORBIDDEN_HEADER


def test_non_string_kid_is_refused(verifier: TokenVerifier, issuer: Issuer) -> None:
    token = f"{b64({'alg': 'RS256', 'kid': 7})}.{b64(claims(issuer))}.abc"
    assert rejection(verifier, token) is Reason.FORBIDDEN_HEADER


@pytest.mark.parametrize("kid", ["../../etc/passwd", "rsa-1' OR '1'='1", "x" * 200, ""])
def test_unknown_kid_is_rejected(verifier: TokenVerifier, issuer: Issuer, keys: Keys, kid: str) -> None:
    assert rejection(verifier, mint(keys.rsa, claims(issuer), kid=kid)) is Reason.UNKNOWN_KEY


# §2.7 / §2.8: substitution and cross-JWT confusion


def test_token_for_another_audience_is_not_accepted_here(
    verifier: TokenVerifier, issuer: Issuer, keys: Keys
) -> None:
    # An ID token (aud = the client) or an access token for another API, from the same issuer and key
    assert rejection(verifier, mint(keys.rsa, claims(issuer, aud="spa-client"))) is Reason.WRONG_AUDIENCE


def test_token_of_another_issuer_signed_with_a_shared_key_is_rejected_without_a_fetch(
    verifier: TokenVerifier, issuer: Issuer, keys: Keys
) -> None:
    token = mint(keys.rsa, claims(issuer, iss="https://other-tenant.auth0.com/"))
    assert (rejection(verifier, token), sum(issuer.hits.values())) == (Reason.UNKNOWN_ISSUER, 0)


# Malformed input: rejected quickly, for a reason, and without fetching keys


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "abc.def",
        "a.b.c.d",
        "a.b.c.d.e",  # a JWE
        "!!!.???.***",
        "eyJhbGciOiJSUzI1NiJ9.%%%.abc",
        f"{b64(b'not json')}.{b64({})}.abc",
        f"{b64([1, 2])}.{b64({})}.abc",
        f"{b64(b'1')}.{b64({})}.abc",
        "x" * 1_000_000,
        "a." + "b" * 1_000_000 + ".c",
    ],
    ids=lambda token: token[:40] + ("…" if len(token) > 40 else ""),
)
def test_malformed_tokens_are_rejected_without_fetching_keys(
    verifier: TokenVerifier, issuer: Issuer, token: str
) -> None:
    assert rejection(verifier, token) is Reason.MALFORMED
    assert sum(issuer.hits.values()) == 0


def test_payload_that_is_not_a_json_object_is_malformed(verifier: TokenVerifier, keys: Keys) -> None:
    # GIVEN a correctly signed JWS whose payload is a JSON array
    token = jwt.api_jws.encode(b"[1, 2]", keys.rsa.private, algorithm="RS256", headers={"kid": "rsa-1"})
    assert rejection(verifier, token) is Reason.MALFORMED


def test_payload_that_is_not_json_is_malformed(verifier: TokenVerifier, keys: Keys) -> None:
    token = jwt.api_jws.encode(
        b"\xff\xfe not json", keys.rsa.private, algorithm="RS256", headers={"kid": "rsa-1"}
    )
    assert rejection(verifier, token) is Reason.MALFORMED


def test_valid_token_shape_is_still_accepted(verifier: TokenVerifier, issuer: Issuer, keys: Keys) -> None:
    # The control: the same verifier accepts the honest token these attacks imitate
    assert verifier.verify(mint(keys.rsa, claims(issuer, aud=API))).subject == "auth0|user-1"
