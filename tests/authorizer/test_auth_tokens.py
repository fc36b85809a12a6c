"""Token verification with real keys and a real key set served on 127.0.0.1."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from authorizer_harness import API, Issuer, Keys, SigningKey, claims, ed25519_key, environment, mint

from oauth_authorizer.errors import Reason, TokenRejected
from oauth_authorizer.keys import key_resolvers
from oauth_authorizer.settings import Settings, load_settings
from oauth_authorizer.tokens import Claims, Scheme, TokenVerifier, credentials


def verifier_for(settings: Settings) -> TokenVerifier:
    return TokenVerifier(settings, key_resolvers(settings))


@pytest.fixture
def verifier(settings: Settings) -> TokenVerifier:
    return verifier_for(settings)


def rejection(verifier: TokenVerifier, token: str) -> Reason:
    with pytest.raises(TokenRejected) as caught:
        verifier.verify(token)
    return caught.value.reason


@pytest.mark.parametrize("which", ["rsa", "ec", "ed"])
def test_token_signed_by_each_key_type_verifies(
    verifier: TokenVerifier, issuer: Issuer, keys: Keys, which: str
) -> None:
    key: SigningKey = getattr(keys, which)
    payload = claims(issuer, exp=2_000_000_000, iat=1_700_000_000, jti="token-1")
    assert verifier.verify(mint(key, payload)) == Claims(
        subject="auth0|user-1",
        expires_at=2_000_000_000,
        scopes=frozenset({"openid", "read:items"}),
        client_id="spa-client",
        grant_type="",
        issuer=issuer.url,
        issued_at=1_700_000_000,
        token_id="token-1",
    )


def test_auth0_machine_to_machine_token_verifies(verifier: TokenVerifier, issuer: Issuer, keys: Keys) -> None:
    # GIVEN an Auth0 client-credentials token: sub "<client>@clients", gty, a single aud, RBAC permissions
    payload = claims(
        issuer,
        sub="m2m-client@clients",
        aud=API,
        azp="m2m-client",
        gty="client-credentials",
        scope="read:items write:items",
        permissions=["read:items", "write:items"],
        exp=2_000_000_000,
        iat=None,
    )
    # THEN it verifies with the client as both subject and client_id
    assert verifier.verify(mint(keys.rsa, payload)) == Claims(
        subject="m2m-client@clients",
        expires_at=2_000_000_000,
        scopes=frozenset({"read:items", "write:items"}),
        client_id="m2m-client",
        grant_type="client-credentials",
        issuer=issuer.url,
    )


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"scope": "a b", "permissions": ["c"], "scp": "d e"}, {"a", "b", "c", "d", "e"}),
        ({"scope": None, "permissions": ["c", "d"]}, {"c", "d"}),
        ({"scope": None, "scp": ["x", "y"]}, {"x", "y"}),
        ({"scope": "  a   b  "}, {"a", "b"}),
        ({"scope": None}, set()),
    ],
)
def test_granted_scopes_are_the_union_of_scope_permissions_and_scp(
    verifier: TokenVerifier, issuer: Issuer, keys: Keys, extra: dict[str, Any], expected: set[str]
) -> None:
    assert verifier.verify(mint(keys.rsa, claims(issuer, **extra))).scopes == expected


def test_client_id_claim_is_used_when_there_is_no_azp(
    verifier: TokenVerifier, issuer: Issuer, keys: Keys
) -> None:
    assert (
        verifier.verify(mint(keys.rsa, claims(issuer, azp=None, client_id="okta-app"))).client_id
        == "okta-app"
    )
    assert verifier.verify(mint(keys.rsa, claims(issuer, azp=None))).client_id == ""


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"exp": int(time.time()) - 5}, Reason.EXPIRED),
        ({"nbf": int(time.time()) + 3600}, Reason.NOT_YET_VALID),
        ({"iat": int(time.time()) + 3600}, Reason.NOT_YET_VALID),
        ({"iss": "https://evil.example.com/"}, Reason.UNKNOWN_ISSUER),
        ({"iss": None}, Reason.WRONG_ISSUER),
        ({"aud": "https://other-api.example.com/"}, Reason.WRONG_AUDIENCE),
        ({"aud": ["https://other-api.example.com/", "x"]}, Reason.WRONG_AUDIENCE),
        ({"aud": None}, Reason.WRONG_AUDIENCE),
        ({"aud": {"nested": API}}, Reason.WRONG_AUDIENCE),
        ({"exp": None}, Reason.INVALID_CLAIMS),
        ({"exp": "9999999999"}, Reason.INVALID_CLAIMS),
        ({"exp": True}, Reason.EXPIRED),
        ({"iat": "now"}, Reason.INVALID_CLAIMS),
        ({"sub": None}, Reason.INVALID_CLAIMS),
        ({"sub": 42}, Reason.INVALID_CLAIMS),
        ({"sub": ""}, Reason.INVALID_CLAIMS),
        ({"scope": ["read:items"]}, Reason.INVALID_CLAIMS),
        ({"permissions": "read:items"}, Reason.INVALID_CLAIMS),
        ({"permissions": [{"scope": "read:items"}]}, Reason.INVALID_CLAIMS),
        ({"scp": [1]}, Reason.INVALID_CLAIMS),
        ({"azp": ["spa"]}, Reason.INVALID_CLAIMS),
    ],
)
def test_claim_failures_are_rejected_with_their_reason(
    verifier: TokenVerifier, issuer: Issuer, keys: Keys, overrides: dict[str, Any], reason: Reason
) -> None:
    assert rejection(verifier, mint(keys.rsa, claims(issuer, **overrides))) is reason


def test_issuer_must_match_exactly_including_the_trailing_slash(
    verifier: TokenVerifier, issuer: Issuer, keys: Keys
) -> None:
    assert (
        rejection(verifier, mint(keys.rsa, claims(issuer, iss=issuer.url.rstrip("/"))))
        is Reason.UNKNOWN_ISSUER
    )


def test_leeway_is_honoured_for_exp_nbf_and_iat(issuer: Issuer, keys: Keys) -> None:
    # GIVEN 60 s of leeway
    verifier = verifier_for(load_settings(environment(issuer, LEEWAY_SECONDS="60")))
    now = int(time.time())
    # THEN tokens within it pass and tokens beyond it fail
    assert verifier.verify(mint(keys.rsa, claims(issuer, exp=now - 30, nbf=now + 30, iat=now + 30))).subject
    assert rejection(verifier, mint(keys.rsa, claims(issuer, exp=now - 120))) is Reason.EXPIRED
    assert rejection(verifier, mint(keys.rsa, claims(issuer, nbf=now + 120))) is Reason.NOT_YET_VALID


def test_any_configured_audience_is_accepted(issuer: Issuer, keys: Keys) -> None:
    verifier = verifier_for(load_settings(environment(issuer, AUDIENCE=f"{API},second-api")))
    assert verifier.verify(mint(keys.rsa, claims(issuer, aud="second-api"))).subject == "auth0|user-1"
    assert verifier.verify(mint(keys.rsa, claims(issuer, aud=["x", API]))).subject == "auth0|user-1"


def test_algorithm_not_in_allowed_algorithms_is_rejected_even_with_a_valid_signature(
    issuer: Issuer, keys: Keys
) -> None:
    # GIVEN only RS256 is allowed
    verifier = verifier_for(load_settings(environment(issuer, ALLOWED_ALGORITHMS="RS256")))
    # THEN a correctly signed ES256 / EdDSA token is still refused
    assert rejection(verifier, mint(keys.ec, claims(issuer))) is Reason.BAD_ALGORITHM
    assert rejection(verifier, mint(keys.ed, claims(issuer))) is Reason.BAD_ALGORITHM
    assert verifier.verify(mint(keys.rsa, claims(issuer))).subject == "auth0|user-1"


@pytest.mark.parametrize(
    ("value", "token"),
    [
        ("Bearer abc.def.ghi", "abc.def.ghi"),
        ("bearer abc.def.ghi", "abc.def.ghi"),
        ("BEARER abc.def.ghi", "abc.def.ghi"),
        ("BeArEr   abc.def.ghi  ", "abc.def.ghi"),
    ],
)
def test_bearer_scheme_is_matched_case_insensitively(value: str, token: str) -> None:
    assert credentials(value) == (Scheme.BEARER, token)


@pytest.mark.parametrize("value", ["DPoP abc.def.ghi", "dpop abc.def.ghi", "DPOP  abc.def.ghi "])
def test_dpop_scheme_is_read_case_insensitively_and_left_to_the_sender_check(value: str) -> None:
    # RFC 9449 §7.1: the DPoP scheme; whether the issuer accepts it is oauth_authorizer.senders' to say
    assert credentials(value) == (Scheme.DPOP, "abc.def.ghi")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, Reason.MISSING_TOKEN),
        ("", Reason.MISSING_TOKEN),
        ("   ", Reason.MISSING_TOKEN),
        ("Basic dXNlcjpwYXNz", Reason.MISSING_TOKEN),
        ("abc.def.ghi", Reason.MISSING_TOKEN),
        ("Bearerabc.def.ghi", Reason.MISSING_TOKEN),
        ("DPoPabc.def.ghi", Reason.MISSING_TOKEN),
        ("DPoP abc.def.ghi extra", Reason.MALFORMED),
        ("Bearer", Reason.MALFORMED),
        ("Bearer abc.def.ghi extra", Reason.MALFORMED),
        # RFC 6750 §2.1: only spaces separate the scheme from the token
        ("Bearer\tabc.def.ghi", Reason.MISSING_TOKEN),
        ("Bearer\nabc.def.ghi", Reason.MISSING_TOKEN),
        ("\tBearer abc.def.ghi", Reason.MISSING_TOKEN),
        ("Bearer " + "a" * 20_000, Reason.MALFORMED),
    ],
)
def test_anything_but_one_bearer_token_is_rejected(value: str | None, reason: Reason) -> None:
    with pytest.raises(TokenRejected) as caught:
        credentials(value)
    assert caught.value.reason is reason


def test_inline_jwks_verifies_with_no_discovery_and_no_network(issuer: Issuer, keys: Keys) -> None:
    # GIVEN the issuer's public keys given inline (the issuer itself is up, and counts requests)
    verifier = verifier_for(load_settings(environment(issuer, JWKS=json.dumps(keys.jwks()))))
    # WHEN its tokens arrive, and one with a kid the set does not have
    assert verifier.verify(mint(keys.ec, claims(issuer))).subject == "auth0|user-1"
    with pytest.raises(TokenRejected) as caught:
        verifier.verify(mint(keys.spare, claims(issuer)))
    # THEN the unknown kid is refused without a refetch, and nothing was ever fetched
    assert (caught.value.reason, sum(issuer.hits.values())) == (Reason.UNKNOWN_KEY, 0)


@pytest.mark.parametrize(
    "value", ["Bearer \tTOKEN", "Bearer TOKEN\t", "Bearer TOKEN\n", "Bearer \u00a0TOKEN"]
)
def test_whitespace_other_than_spaces_around_a_valid_token_makes_it_malformed(
    verifier: TokenVerifier, issuer: Issuer, keys: Keys, value: str
) -> None:
    # GIVEN a valid token, already verified once (so a cache would know it)
    token = mint(keys.rsa, claims(issuer))
    assert verifier.verify(credentials(f"Bearer {token}").token).subject == "auth0|user-1"
    # WHEN it is sent with a tab, newline or no-break space beside it (only spaces separate, RFC 6750 §2.1)
    with pytest.raises(TokenRejected) as caught:
        verifier.verify(credentials(value.replace("TOKEN", token)).token)
    # THEN it is malformed
    assert caught.value.reason is Reason.MALFORMED


def ed25519_named(key: SigningKey, payload: dict[str, Any]) -> str:
    """A token under RFC 9864's fully-specified `alg: Ed25519`, which PyJWT cannot sign (signed by hand)."""
    import base64

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = {"alg": "Ed25519", "kid": key.kid, "typ": "JWT"}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    return f"{signing_input}.{b64(key.private.sign(signing_input.encode()))}"  # type: ignore[call-arg]


@pytest.mark.parametrize("allowed", ["EdDSA", "Ed25519"])
def test_an_ed25519_token_under_rfc_9864s_name_is_verified_where_eddsa_or_ed25519_is_allowed(
    issuer: Issuer, keys: Keys, allowed: str
) -> None:
    # oidc-provider signs so when asked (tests/interop); PyJWT 2.15 knows only `EdDSA`
    verifier = verifier_for(load_settings(environment(issuer, ALLOWED_ALGORITHMS=allowed)))
    assert verifier.verify(ed25519_named(keys.ed, claims(issuer))).subject == "auth0|user-1"


def test_an_ed25519_named_token_is_refused_where_only_other_algorithms_are_allowed(
    issuer: Issuer, keys: Keys
) -> None:
    verifier = verifier_for(load_settings(environment(issuer, ALLOWED_ALGORITHMS="RS256,ES256")))
    assert rejection(verifier, ed25519_named(keys.ed, claims(issuer))) is Reason.BAD_ALGORITHM


def test_an_ed25519_named_token_with_a_forged_signature_is_refused(issuer: Issuer, keys: Keys) -> None:
    verifier = verifier_for(load_settings(environment(issuer, ALLOWED_ALGORITHMS="EdDSA")))
    forger = ed25519_key(keys.ed.kid)  # the same kid, another key
    assert rejection(verifier, ed25519_named(forger, claims(issuer))) is Reason.BAD_SIGNATURE
