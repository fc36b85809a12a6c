"""Provider profiles against the token shapes each provider documents (provider_shapes.py cites each one):
the access tokens they issue are accepted with the right scopes and client, their ID tokens are refused."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import jwt
import pytest
from authorizer_harness import ROUTE_SCOPES, Keys, SigningKey
from provider_shapes import SHAPES

from oauth_authorizer.errors import Reason, TokenRejected
from oauth_authorizer.keys import key_resolvers
from oauth_authorizer.settings import load_settings
from oauth_authorizer.tokens import Claims, TokenVerifier

AUTH0 = "https://my-domain.auth0.com/"
OKTA = "https://example.okta.com/oauth2/0oacqf8qaJw56czJi0g4"
COGNITO = "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_example"
COGNITO_EAST = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_example"
ENTRA_V1 = "https://sts.windows.net/fa15d692-e9c7-4460-a743-29f29522229/"
ENTRA_V2 = "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0"
KEYCLOAK = "http://localhost:8080/realms/demo"
FIREBASE = "https://securetoken.google.com/my-project-id"
GOOGLE = "https://accounts.google.com"
COGNITO_CLIENT = "57cbishk4j24pabc1234567890"
ENTRA_API = "6e74172b-be56-4843-9ff4-e66a39bb12e3"


def issuers(keys: Keys) -> list[dict[str, Any]]:
    """One deployment trusting every provider, each configured as the README's provider table says.
    Inline key sets (our test key under each issuer's name): nothing here needs the network."""
    jwks = keys.jwks(keys.rsa)
    return [
        {"issuer": AUTH0, "audiences": ["https://example.com/health-api"], "profile": "auth0", "jwks": jwks},
        {"issuer": OKTA, "audiences": ["https://api.example.com"], "profile": "okta", "jwks": jwks},
        {
            "issuer": COGNITO,
            "audiences": [COGNITO_CLIENT, "https://solar-system-data-api.example.com"],
            "profile": "cognito",
            "scope_map": {"solar-system-data/asteroids.add": "write:items"},
            "jwks": jwks,
        },
        # The Cognito ID-token sample's pool, its app client trusted as an audience (the usual set-up).
        {"issuer": COGNITO_EAST, "audiences": ["xxxxxxxxxxxxexample"], "profile": "cognito", "jwks": jwks},
        {
            "issuer": ENTRA_V1,
            "audiences": ["ef1da9d4-ff77-4c3e-a005-840c3f830745"],
            "profile": "entra",
            "jwks": jwks,
        },
        {
            "issuer": ENTRA_V2,
            "audiences": [ENTRA_API],
            "profile": "entra",
            "scope_map": {"Data.Read.All": "read:items", "access_as_user": "read:items"},
            "jwks": jwks,
        },
        # Keycloak: aud comes from an audience mapper; "account" is what the documented sample carries.
        {"issuer": KEYCLOAK, "audiences": ["account", "demo-app"], "profile": "keycloak", "jwks": jwks},
        {"issuer": FIREBASE, "audiences": ["my-project-id"], "jwks": jwks},
        {"issuer": GOOGLE, "audiences": ["1234987819200.apps.googleusercontent.com"], "jwks": jwks},
    ]


@pytest.fixture
def verifier(keys: Keys) -> TokenVerifier:
    env = {
        "ISSUERS": json.dumps(issuers(keys)),
        "ROUTE_SCOPES": json.dumps(ROUTE_SCOPES),
        "LEEWAY_SECONDS": "0",
    }
    settings = load_settings(env)
    return TokenVerifier(settings, key_resolvers(settings))


def shaped(key: SigningKey, provider: str, kind: str, jose_typ: object = "documented", **changes: Any) -> str:
    """The provider's documented token (header and claims), times made current, signed with `key`;
    `changes` replace claims (None removes one), `jose_typ` the header's `typ` (None removes it)."""
    shape = copy.deepcopy(SHAPES[provider][kind])
    now = int(time.time())
    times = {"<iat>": now, "<nbf>": now, "<auth_time>": now - 5, "<exp>": now + 600}
    claims = {
        name: times.get(value, value) if isinstance(value, str) else value
        for name, value in shape["claims"].items()
    }
    typ = shape["header"].get("typ") if jose_typ == "documented" else jose_typ
    claims.update(changes)
    claims = {name: value for name, value in claims.items() if value is not None}
    header = {name: value for name, value in shape["header"].items() if name not in ("alg", "typ")}
    header.update(kid=key.kid, typ=typ)  # typ None: PyJWT leaves the header without one
    return jwt.encode(claims, key.private, algorithm=key.alg, headers=header)


def rejection(verifier: TokenVerifier, token: str) -> Reason:
    with pytest.raises(TokenRejected) as caught:
        verifier.verify(token)
    return caught.value.reason


# --- access tokens, as each provider documents them --------------------------------------------------


def test_auth0_access_token_grants_scope_and_rbac_permissions_with_azp_as_client(
    verifier: TokenVerifier, keys: Keys
) -> None:
    claims = verifier.verify(shaped(keys.rsa, "auth0", "access_token", iss=AUTH0))
    assert (claims.subject, claims.client_id, claims.issuer) == ("auth0|123456", "my_client_id", AUTH0)
    assert claims.scopes == {
        "openid",
        "profile",
        "read:patients",
        "read:admin",
        "create:bar",
        "create:foo",
        "read:bar",
        "read:foo",
    }


def test_auth0_rfc9068_access_token_is_at_jwt_with_client_id(verifier: TokenVerifier, keys: Keys) -> None:
    claims = verifier.verify(shaped(keys.rsa, "auth0", "access_token_rfc9068", iss=AUTH0))
    assert (claims.client_id, claims.scopes) == (
        "my_client_id",
        frozenset({"openid", "profile", "read:patients", "read:admin"}),
    )


def test_auth0_client_credentials_token_names_the_client_and_grant(
    verifier: TokenVerifier, keys: Keys
) -> None:
    token = shaped(
        keys.rsa, "auth0", "client_credentials_access_token", iss=AUTH0, aud="https://example.com/health-api"
    )
    assert verifier.verify(token) == Claims(
        subject="awZfdIir8YFdGZWkvCejDoUb7SjTDicx@clients",
        expires_at=jwt.decode(token, options={"verify_signature": False})["exp"],
        scopes=frozenset({"read:bar", "read:foo"}),
        client_id="awZfdIir8YFdGZWkvCejDoUb7SjTDicx",
        grant_type="client-credentials",
        issuer=AUTH0,
        issued_at=jwt.decode(token, options={"verify_signature": False})["iat"],
    )


def test_okta_access_token_carries_scp_as_an_array_and_its_client_in_cid(
    verifier: TokenVerifier, keys: Keys
) -> None:
    claims = verifier.verify(shaped(keys.rsa, "okta", "access_token"))  # Okta's header has no typ
    assert (claims.subject, claims.client_id, claims.scopes) == (
        "00ujmkLgagxeRrAg20g3",
        "nmdP1fcyvdVO11AL7ECm",
        frozenset({"openid", "email", "flights", "custom"}),
    )


def test_cognito_access_token_without_aud_is_bound_by_its_client_id(
    verifier: TokenVerifier, keys: Keys
) -> None:
    claims = verifier.verify(shaped(keys.rsa, "cognito", "access_token"))
    assert (claims.subject, claims.client_id, claims.scopes) == (
        "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        COGNITO_CLIENT,
        frozenset({"aws.cognito.signin.user.admin"}),
    )


def test_cognito_client_credentials_scopes_are_mapped_to_route_scopes(
    verifier: TokenVerifier, keys: Keys
) -> None:
    claims = verifier.verify(shaped(keys.rsa, "cognito", "client_credentials_access_token"))
    assert (claims.client_id, claims.scopes) == (COGNITO_CLIENT, frozenset({"write:items"}))


def test_cognito_access_token_with_aud_must_match_by_aud(verifier: TokenVerifier, keys: Keys) -> None:
    # Resource binding: aud names the resource, and then it is aud that must be accepted
    assert verifier.verify(shaped(keys.rsa, "cognito", "access_token_with_aud")).scopes == {"write:items"}
    other = shaped(keys.rsa, "cognito", "access_token_with_aud", aud="https://another-api.example.com")
    assert rejection(verifier, other) is Reason.WRONG_AUDIENCE


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"client_id": "another-app-client"}, Reason.WRONG_AUDIENCE),
        ({"client_id": None}, Reason.WRONG_AUDIENCE),
        ({"token_use": None}, Reason.WRONG_TOKEN_TYPE),
        ({"token_use": "refresh"}, Reason.WRONG_TOKEN_TYPE),
    ],
)
def test_cognito_access_token_needs_an_accepted_client_and_token_use_access(
    verifier: TokenVerifier, keys: Keys, changes: dict[str, Any], reason: Reason
) -> None:
    assert rejection(verifier, shaped(keys.rsa, "cognito", "access_token", **changes)) is reason


def test_an_aud_less_token_is_refused_by_every_profile_but_cognito(
    verifier: TokenVerifier, keys: Keys
) -> None:
    token = shaped(keys.rsa, "okta", "access_token", aud=None, client_id="https://api.example.com")
    assert rejection(verifier, token) is Reason.WRONG_AUDIENCE


def test_entra_v1_access_token_names_its_client_in_appid(verifier: TokenVerifier, keys: Keys) -> None:
    claims = verifier.verify(shaped(keys.rsa, "entra", "v1_access_token"))
    assert (claims.issuer, claims.client_id, claims.scopes) == (
        ENTRA_V1,
        "75dbe77f-10a3-4e59-85fd-8c127544f17c",
        frozenset({"user_impersonation"}),
    )


def test_entra_v2_access_token_names_its_client_in_azp(verifier: TokenVerifier, keys: Keys) -> None:
    claims = verifier.verify(shaped(keys.rsa, "entra", "v2_access_token"))
    assert (claims.issuer, claims.client_id, claims.scopes) == (
        ENTRA_V2,
        ENTRA_API,
        frozenset({"read:items"}),
    )


def test_entra_app_only_token_gets_its_roles_as_scopes(verifier: TokenVerifier, keys: Keys) -> None:
    claims = verifier.verify(shaped(keys.rsa, "entra", "v2_app_only_access_token"))
    assert (claims.client_id, claims.scopes) == (
        "75dbe77f-10a3-4e59-85fd-8c127544f17c",
        frozenset({"read:items"}),
    )


def test_entra_roles_must_be_an_array_of_scope_strings(verifier: TokenVerifier, keys: Keys) -> None:
    token = shaped(keys.rsa, "entra", "v2_app_only_access_token", roles="Data.Read.All")
    assert rejection(verifier, token) is Reason.INVALID_CLAIMS


def test_keycloak_access_token_is_typ_bearer_with_azp_as_client(verifier: TokenVerifier, keys: Keys) -> None:
    claims = verifier.verify(shaped(keys.rsa, "keycloak", "access_token"))
    assert (claims.client_id, claims.scopes) == ("demo-app", frozenset({"openid", "email", "profile"}))
    # AND before Keycloak 25 its access tokens also carried the request's nonce (25's upgrading notes)
    assert (
        verifier.verify(shaped(keys.rsa, "keycloak", "access_token", nonce="j3c47ia97u")).client_id
        == "demo-app"
    )


@pytest.mark.parametrize("typ", [None, "Refresh", "Offline", "bearer"])
def test_keycloak_token_of_another_type_is_refused(
    verifier: TokenVerifier, keys: Keys, typ: str | None
) -> None:
    assert (
        rejection(verifier, shaped(keys.rsa, "keycloak", "access_token", typ=typ)) is Reason.WRONG_TOKEN_TYPE
    )


def test_firebase_id_token_is_accepted_as_firebase_intends_and_grants_no_scope(
    verifier: TokenVerifier, keys: Keys
) -> None:
    # Firebase's ID token is the credential its clients send to a backend, and it carries none of the ID-token
    # marks: it reaches routes that need no scope only.
    claims = verifier.verify(shaped(keys.rsa, "firebase", "id_token"))
    assert (claims.subject, claims.scopes, claims.client_id) == (
        "Xh6a1ZHLXbVzkB1QMmB3S1mZ3sA2",
        frozenset(),
        "",
    )


# --- ID tokens are refused -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "changes"),
    [
        # Auth0: with the nonce an OIDC client sends (required for the implicit flow), aud the API
        ("auth0", {"iss": AUTH0, "aud": "https://example.com/health-api", "nonce": "n-0S6_WzA2Mj"}),
        ("okta", {"iss": OKTA, "aud": "https://api.example.com"}),  # at_hash and nonce
        ("cognito", {}),  # token_use: id, aud = the app client, which is an accepted audience
        ("entra", {"aud": ENTRA_API}),  # nonce; aud = the client id, also the API's with one registration
        ("keycloak", {}),  # typ: ID (nonce alone would pass the keycloak profile)
        ("google", {}),  # at_hash and nonce
    ],
)
def test_each_providers_id_token_is_refused_even_where_its_audience_is_accepted(
    verifier: TokenVerifier, keys: Keys, provider: str, changes: dict[str, Any]
) -> None:
    assert rejection(verifier, shaped(keys.rsa, provider, "id_token", **changes)) is Reason.ID_TOKEN


def test_auth0_id_token_without_marks_is_still_refused_by_its_audience(
    verifier: TokenVerifier, keys: Keys
) -> None:
    # The documented sample has no nonce: its aud (the application's client id) is what keeps it out
    token = shaped(keys.rsa, "auth0", "id_token", iss=AUTH0)
    assert rejection(verifier, token) is Reason.WRONG_AUDIENCE


@pytest.mark.parametrize("mark", ["nonce", "at_hash", "c_hash"])
@pytest.mark.parametrize(
    ("provider", "kind", "changes"),
    [
        ("auth0", "access_token", {"iss": AUTH0}),
        ("okta", "access_token", {}),
        ("cognito", "access_token", {}),
        ("entra", "v2_access_token", {}),
    ],
)
def test_an_oidc_id_token_claim_marks_an_id_token(
    verifier: TokenVerifier, keys: Keys, mark: str, provider: str, kind: str, changes: dict[str, Any]
) -> None:
    assert rejection(verifier, shaped(keys.rsa, provider, kind, **changes, **{mark: "x"})) is Reason.ID_TOKEN


@pytest.mark.parametrize("claim", [{"token_use": "id"}, {"typ": "ID"}])
def test_provider_id_token_types_are_refused_under_any_profile(
    verifier: TokenVerifier, keys: Keys, claim: dict[str, str]
) -> None:
    assert rejection(verifier, shaped(keys.rsa, "okta", "access_token", **claim)) is Reason.ID_TOKEN


# --- the JOSE typ header ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typ", ["JWT", "jwt", "at+jwt", "AT+JWT", "application/at+jwt", "application/JWT", None]
)
def test_access_token_types_and_no_typ_are_accepted(
    verifier: TokenVerifier, keys: Keys, typ: str | None
) -> None:
    assert (
        verifier.verify(shaped(keys.rsa, "okta", "access_token", jose_typ=typ)).subject
        == "00ujmkLgagxeRrAg20g3"
    )


@pytest.mark.parametrize(
    "typ",
    ["dpop+jwt", "logout+jwt", "secevent+jwt", "id_token+jwt", "JOSE", "application/jose", 1, ["JWT"]],
)
def test_another_kind_of_jwt_is_refused_by_its_typ(verifier: TokenVerifier, keys: Keys, typ: object) -> None:
    assert (
        rejection(verifier, shaped(keys.rsa, "okta", "access_token", jose_typ=typ)) is Reason.WRONG_TOKEN_TYPE
    )


def test_require_at_jwt_accepts_only_rfc9068_typed_tokens(keys: Keys) -> None:
    entry = {"issuer": AUTH0, "audiences": ["https://example.com/health-api"], "require_at_jwt": True}
    env = {
        "ISSUERS": json.dumps([{**entry, "jwks": keys.jwks(keys.rsa)}]),
        "ROUTE_SCOPES": json.dumps(ROUTE_SCOPES),
    }
    settings = load_settings(env)
    strict = TokenVerifier(settings, key_resolvers(settings))
    assert (
        strict.verify(shaped(keys.rsa, "auth0", "access_token_rfc9068", iss=AUTH0)).client_id
        == "my_client_id"
    )
    prefixed = shaped(keys.rsa, "auth0", "access_token_rfc9068", iss=AUTH0, jose_typ="application/at+jwt")
    assert strict.verify(prefixed).client_id == "my_client_id"
    for typ in ("JWT", None):
        assert rejection(strict, shaped(keys.rsa, "auth0", "access_token", iss=AUTH0, jose_typ=typ)) is (
            Reason.WRONG_TOKEN_TYPE
        )
