"""ISSUERS, TOKEN_PROFILE, SCOPE_MAP and JWKS: parsed once; a bad value is refused naming entry and field."""

from __future__ import annotations

import json
from typing import Any

import pytest
from authorizer_harness import API, ROUTE_SCOPES, Issuer, Keys, environment

from oauth_authorizer.errors import ConfigurationError
from oauth_authorizer.keys import InlineKeys, KeySetCache, key_resolvers
from oauth_authorizer.settings import SINGLE_ISSUER_VARIABLES, load_settings

COGNITO = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"


def several(*entries: dict[str, Any], **extra: str) -> dict[str, str]:
    """An environment in the several-issuers form (no single-issuer variable set)."""
    return {
        "ISSUERS": json.dumps(list(entries)),
        "ROUTE_SCOPES": json.dumps(ROUTE_SCOPES),
        "LEEWAY_SECONDS": "0",
        **extra,
    }


def entry(**fields: Any) -> dict[str, Any]:
    return {"issuer": "https://tenant.auth0.com/", "audiences": [API], **fields}


def refusal(env: dict[str, str]) -> str:
    with pytest.raises(ConfigurationError) as caught:
        load_settings(env)
    return str(caught.value)


def test_issuers_entries_are_parsed_with_their_defaults_and_options(keys: Keys) -> None:
    settings = load_settings(
        several(
            entry(),
            {
                "issuer": COGNITO,
                "audiences": ["client-a", "client-b"],
                "profile": "cognito",
                "jwks_uri": f"{COGNITO}/.well-known/jwks.json",
                "algorithms": ["RS256", "ES256"],
                "require_at_jwt": True,
                "scope_map": {"items-api/read:items": "read:items"},
                "dpop": "off",
            },
            {
                "issuer": "https://inline.example.invalid/",
                "audiences": [API],
                "algorithms": ["ES256"],
                "jwks": keys.jwks(keys.ec),
            },
        )
    )
    auth0, cognito, inline = settings.issuers
    assert (auth0.issuer, auth0.audiences, auth0.profile.name, auth0.jwks_uri, auth0.jwks) == (
        "https://tenant.auth0.com/",
        (API,),
        "oidc",
        None,
        None,
    )
    assert (auth0.algorithms, auth0.require_at_jwt, auth0.scope_map, auth0.source) == (
        ("RS256",),
        False,
        {},
        "ISSUERS[0]",
    )
    assert (cognito.profile.name, cognito.audiences, cognito.jwks_uri, cognito.algorithms) == (
        "cognito",
        ("client-a", "client-b"),
        f"{COGNITO}/.well-known/jwks.json",
        ("RS256", "ES256"),
    )
    assert (cognito.require_at_jwt, cognito.scope_map) == (True, {"items-api/read:items": "read:items"})
    assert inline.jwks == keys.jwks(keys.ec)
    # AND the key sets: discovered or fetched ones wait for a token, the inline one is parsed now
    resolvers = key_resolvers(settings)
    assert [type(resolvers[issuer.issuer]) for issuer in settings.issuers] == [
        KeySetCache,
        KeySetCache,
        InlineKeys,
    ]


def test_single_issuer_form_takes_token_profile_scope_map_and_inline_jwks(issuer: Issuer, keys: Keys) -> None:
    settings = load_settings(
        environment(
            issuer,
            TOKEN_PROFILE="entra",
            SCOPE_MAP=json.dumps({"Items.Read": "read:items"}),
            JWKS=json.dumps(keys.jwks()),
        )
    )
    (only,) = settings.issuers
    assert (only.profile.name, only.scope_map, only.jwks, only.source) == (
        "entra",
        {"Items.Read": "read:items"},
        keys.jwks(),
        "ISSUER",
    )


@pytest.mark.parametrize(
    ("issuers", "message"),
    [
        ("", None),  # empty: the single-issuer form
        ("[]", "ISSUERS: is an empty array (configure at least one issuer)"),
        ("{", "ISSUERS: is not valid JSON"),
        ('{"issuer": "https://a.example/"}', "ISSUERS: is not a JSON array of issuer objects"),
        ('["https://a.example/"]', "ISSUERS[0]: is not a JSON object"),
    ],
)
def test_issuers_must_be_a_non_empty_json_array(issuers: str, message: str | None, issuer: Issuer) -> None:
    if message is None:
        assert load_settings(environment(issuer, ISSUERS=issuers)).issuers[0].source == "ISSUER"
        return
    assert refusal(several() | {"ISSUERS": issuers}) == message


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            entry(audience=[API]),
            "ISSUERS[1]: unknown key 'audience' (known: algorithms, audiences, dpop, issuer, jwks, jwks_uri,"
            " profile, require_at_jwt, scope_map)",
        ),
        (
            entry(profile="google"),
            "ISSUERS[1].profile: unknown profile 'google' (one of oidc, auth0, okta,"
            " cognito, entra, keycloak)",
        ),
        (entry(profile=3), "ISSUERS[1].profile: is not a string"),
        ({"audiences": [API]}, "ISSUERS[1].issuer: is required (a string)"),
        ({"issuer": 5, "audiences": [API]}, "ISSUERS[1].issuer: is required (a string)"),
        (
            {"issuer": "https://b.example/"},
            "ISSUERS[1].audiences: is required (a non-empty array of strings)",
        ),
        (entry(audiences=[]), "ISSUERS[1].audiences: is empty (list at least one accepted audience)"),
        (entry(audiences=API), "ISSUERS[1].audiences: is not an array of strings"),
        (entry(audiences=[API, 7]), "ISSUERS[1].audiences: holds something other than non-empty strings"),
        (entry(audiences=[" "]), "ISSUERS[1].audiences: holds something other than non-empty strings"),
        (
            entry(issuer="http://issuer.example.com/"),
            "ISSUERS[1].issuer: 'http://issuer.example.com/' must use https"
            " (plain http is for loopback hosts only)",
        ),
        (
            entry(issuer="tenant.auth0.com"),
            "ISSUERS[1].issuer: 'tenant.auth0.com' is not an absolute https:// URL",
        ),
        (
            entry(jwks_uri="https://a.example/jwks", jwks={"keys": []}),
            "ISSUERS[1].jwks: cannot be combined with jwks_uri (an inline key set is not fetched)",
        ),
        (entry(jwks_uri=7), "ISSUERS[1].jwks_uri: is not a string"),
        (
            entry(jwks_uri="http://a.example/jwks"),
            "ISSUERS[1].jwks_uri: 'http://a.example/jwks' must use https"
            " (plain http is for loopback hosts only)",
        ),
        (
            entry(algorithms=["RS256", "HS256"]),
            "ISSUERS[1].algorithms: 'HS256' is refused: only asymmetric algorithms verify access tokens",
        ),
        (
            entry(algorithms=["none"]),
            "ISSUERS[1].algorithms: 'none' is refused: only asymmetric algorithms verify access tokens",
        ),
        (entry(algorithms=[]), "ISSUERS[1].algorithms: is not a non-empty array of algorithm names"),
        (entry(algorithms="RS256"), "ISSUERS[1].algorithms: is not a non-empty array of algorithm names"),
        (entry(require_at_jwt="yes"), "ISSUERS[1].require_at_jwt: is not true or false"),
        (
            entry(scope_map={"Items.Read": ["read:items"]}),
            "ISSUERS[1].scope_map: entry 'Items.Read' does not map a scope name to a scope name",
        ),
        (
            entry(scope_map={"Items Read": "read:items"}),
            "ISSUERS[1].scope_map: entry 'Items Read' does not map a scope name to a scope name",
        ),
        (entry(scope_map=["Items.Read"]), "ISSUERS[1].scope_map: is not a JSON object of scope names"),
        (
            entry(dpop="on"),
            "ISSUERS[1].dpop: 'on' is not one of off, allowed, required",
        ),
        (
            entry(dpop=True),
            "ISSUERS[1].dpop: True is not one of off, allowed, required",
        ),
    ],
)
def test_a_bad_entry_is_refused_naming_the_entry_and_field(bad: dict[str, Any], message: str) -> None:
    assert refusal(several(entry(issuer="https://first.example/"), bad)) == message


def test_a_duplicate_issuer_is_refused() -> None:
    assert refusal(several(entry(), entry(audiences=["other"]))) == (
        "ISSUERS[1].issuer: 'https://tenant.auth0.com/' is already configured by ISSUERS[0]"
    )


@pytest.mark.parametrize("variable", SINGLE_ISSUER_VARIABLES)
def test_issuers_cannot_be_combined_with_a_single_issuer_variable(variable: str) -> None:
    assert refusal(several(entry(), **{variable: "x"})) == (
        f"ISSUERS: cannot be combined with the single-issuer variables ({variable})"
    )


def test_single_issuer_variables_left_empty_beside_issuers_are_not_set() -> None:
    # The template passes every variable; the unused form's are empty.
    env = several(entry(), **dict.fromkeys(SINGLE_ISSUER_VARIABLES, " "))
    assert [issuer.issuer for issuer in load_settings(env).issuers] == ["https://tenant.auth0.com/"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"TOKEN_PROFILE": "azure"},
            "TOKEN_PROFILE: unknown profile 'azure' (one of oidc, auth0, okta, cognito, entra, keycloak)",
        ),
        ({"SCOPE_MAP": "[1]"}, "SCOPE_MAP: is not a JSON object of scope names"),
        ({"SCOPE_MAP": "{"}, "SCOPE_MAP: is not valid JSON"),
        ({"JWKS": "{"}, "JWKS: is not valid JSON"),
        ({"JWKS": '{"keys": []}'}, 'JWKS: is not a JWK Set ({"keys": [...]} with at least one key)'),
        ({"JWKS": "[]"}, 'JWKS: is not a JWK Set ({"keys": [...]} with at least one key)'),
        ({"JWKS": '{"keys": ["k"]}'}, "JWKS: key 0 is not a JSON object"),
        (
            {"JWKS": '{"keys": [{"kty": "RSA"}]}', "JWKS_URI": "https://a.example/jwks"},
            "JWKS: cannot be combined with JWKS_URI (an inline key set is not fetched)",
        ),
    ],
)
def test_bad_single_issuer_options_are_refused(
    issuer: Issuer, overrides: dict[str, str], message: str
) -> None:
    assert refusal(environment(issuer, **overrides)) == message


@pytest.mark.parametrize("member", ["d", "p", "q", "dp", "dq", "qi", "k"])
def test_an_inline_key_with_a_private_member_fails_the_cold_start(
    issuer: Issuer, keys: Keys, member: str
) -> None:
    leaked = {"keys": [keys.ec.jwk, {**keys.rsa.jwk, member: "AQAB"}]}
    assert refusal(environment(issuer, JWKS=json.dumps(leaked))) == (
        f"JWKS: key 1 has private members ['{member}']: it is a leaked private key"
        " (publish the public key only)"
    )
    assert refusal(several(entry(jwks=leaked))) == (
        f"ISSUERS[0].jwks: key 1 has private members ['{member}']: it is a leaked private key"
        " (publish the public key only)"
    )


def test_an_inline_key_that_suits_no_allowed_algorithm_fails_the_cold_start(
    issuer: Issuer, keys: Keys
) -> None:
    # GIVEN an EC key inline while only RS256 is allowed
    settings = load_settings(environment(issuer, ALLOWED_ALGORITHMS="RS256", JWKS=json.dumps(keys.jwks())))
    with pytest.raises(ConfigurationError) as caught:
        key_resolvers(settings)
    assert str(caught.value) == "JWKS: key 1 (kid 'ec-1') cannot verify any of ['RS256']"
    # AND in the several-issuers form the entry is named
    settings = load_settings(several(entry(jwks=keys.jwks(keys.rsa, keys.ed))))
    with pytest.raises(ConfigurationError) as caught:
        key_resolvers(settings)
    assert str(caught.value) == "ISSUERS[0].jwks: key 1 (kid 'ed-1') cannot verify any of ['RS256']"


def test_an_inline_kid_given_twice_fails_the_cold_start(issuer: Issuer, keys: Keys) -> None:
    settings = load_settings(
        environment(issuer, JWKS=json.dumps(keys.jwks(keys.rsa, keys.spare, keys.attacker)))
    )
    with pytest.raises(ConfigurationError) as caught:
        key_resolvers(settings)
    assert str(caught.value) == "JWKS: key 2 (kid 'rsa-1') appears twice"
