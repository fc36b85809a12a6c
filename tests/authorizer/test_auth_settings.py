"""Settings: parsed once, and every bad value refused with an error naming its variable."""

from __future__ import annotations

import json

import pytest
from authorizer_harness import API, ROUTE_SCOPES, Issuer, environment

from oauth_authorizer.errors import ConfigurationError
from oauth_authorizer.settings import KeySetPolicy, load_settings


def test_valid_environment_is_parsed_into_settings(issuer: Issuer) -> None:
    # GIVEN the local issuer's environment with two audiences and a JWKS URI
    env = environment(
        issuer,
        AUDIENCE=f" {API} , other-api ",
        JWKS_URI=issuer.jwks_uri,
        LEEWAY_SECONDS="5",
        SIMPLE_RESPONSES="TRUE",
    )
    # WHEN it is loaded
    settings = load_settings(env)
    # THEN every value is typed and normalised
    (only,) = settings.issuers
    assert (only.issuer, only.audiences, only.jwks_uri, only.jwks, only.profile.name, only.scope_map) == (
        issuer.url,
        (API, "other-api"),
        issuer.jwks_uri,
        None,
        "oidc",
        {},
    )
    assert (only.algorithms, settings.leeway_seconds, settings.simple_responses) == (
        ("RS256", "ES256", "EdDSA"),
        5,
        True,
    )
    assert [route.key for route in settings.routes.routes] == list(ROUTE_SCOPES)
    assert only.discovery_uri == f"{issuer.url}.well-known/openid-configuration"
    assert settings.key_set == KeySetPolicy()


def test_optional_variables_have_safe_defaults(issuer: Issuer) -> None:
    env = environment(issuer)
    for name in ("ALLOWED_ALGORITHMS", "LEEWAY_SECONDS", "SIMPLE_RESPONSES", "JWKS_URI"):
        del env[name]
    settings = load_settings(env)
    only = settings.issuers[0]
    assert (only.algorithms, settings.leeway_seconds, settings.simple_responses, only.jwks_uri) == (
        ("RS256",),
        30,
        False,
        None,
    )


def test_empty_jwks_uri_means_discovery(issuer: Issuer) -> None:
    assert load_settings(environment(issuer, JWKS_URI="  ")).issuers[0].jwks_uri is None


def test_auth0_issuer_keeps_its_trailing_slash_and_discovery_url(issuer: Issuer) -> None:
    only = load_settings(environment(issuer, ISSUER="https://tenant.eu.auth0.com/")).issuers[0]
    assert only.issuer == "https://tenant.eu.auth0.com/"
    assert only.discovery_uri == "https://tenant.eu.auth0.com/.well-known/openid-configuration"


@pytest.mark.parametrize("variable", ["ISSUER", "AUDIENCE", "ROUTE_SCOPES"])
@pytest.mark.parametrize("value", [None, "", "   "])
def test_missing_required_variable_is_named(issuer: Issuer, variable: str, value: str | None) -> None:
    env = environment(issuer)
    if value is None:
        del env[variable]
    else:
        env[variable] = value
    with pytest.raises(
        ConfigurationError, match=f"^{variable}: is required( \\(or ISSUERS, for several issuers\\))?$"
    ) as caught:
        load_settings(env)
    assert caught.value.variable == variable


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("ISSUER", "http://issuer.example.com/", "must use https"),
        ("ISSUER", "tenant.auth0.com", "not an absolute https:// URL"),
        ("ISSUER", "ftp://issuer.example.com/", "not an absolute https:// URL"),
        ("JWKS_URI", "http://issuer.example.com/jwks.json", "must use https"),
        ("JWKS_URI", "http://127.0.0.1.example.com/jwks.json", "must use https"),
        ("JWKS_URI", "https://user:pw@issuer.example.com/jwks.json", "must not carry credentials"),
        ("AUDIENCE", "api,,other", "has an empty entry"),
        ("ALLOWED_ALGORITHMS", "none", "refused"),
        ("ALLOWED_ALGORITHMS", "RS256,None", "refused"),
        ("ALLOWED_ALGORITHMS", "HS256", "refused"),
        ("ALLOWED_ALGORITHMS", "RS256,hs512", "refused"),
        ("ALLOWED_ALGORITHMS", "rs256", "unknown algorithm"),
        ("ALLOWED_ALGORITHMS", "RS256,,ES256", "unknown algorithm"),
        ("LEEWAY_SECONDS", "ten", "not a whole number"),
        ("LEEWAY_SECONDS", "-1", "between 0 and 300"),
        ("LEEWAY_SECONDS", "301", "between 0 and 300"),
        ("SIMPLE_RESPONSES", "maybe", "not true or false"),
        ("TOKEN_CACHE_SECONDS", "5m", "not a whole number"),
        ("TOKEN_CACHE_SECONDS", "-1", "between 0 and 3600"),
        ("TOKEN_CACHE_SECONDS", "3601", "between 0 and 3600"),
    ],
)
def test_bad_value_is_refused_naming_the_variable(
    issuer: Issuer, variable: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message) as caught:
        load_settings(environment(issuer, **{variable: value}))
    assert caught.value.variable == variable
    assert str(caught.value).startswith(f"{variable}: ")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/",
        "http://127.3.4.5/",
        "http://localhost:9000/",
        "http://[::1]:9000/",
        "https://a.example/",
    ],
)
def test_plain_http_is_accepted_only_for_loopback_hosts(issuer: Issuer, url: str) -> None:
    settings = load_settings(environment(issuer, ISSUER=url, JWKS_URI=url + "jwks"))
    assert settings.issuers[0].jwks_uri == url + "jwks"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "non-empty JSON object"),
        ("{}", "non-empty JSON object"),
        ('{"GET": []}', 'must look like "METHOD /path"'),
        ('{"GET items": []}', 'must look like "METHOD /path"'),
        ('{"FETCH /items": []}', "unknown method 'FETCH'"),
        ('{"GET /items/": []}', "empty segment or a trailing slash"),
        ('{"GET /items//x": []}', "empty segment or a trailing slash"),
        ('{"GET /{proxy+}/x": []}', "must be the last segment"),
        ('{"GET /items/{id": []}', "is not literal"),
        ('{"GET /items/*": []}', "is not literal"),
        ('{"GET /items": "read:items"}', "list of scope strings"),
        ('{"GET /items": ["read items"]}', "list of scope strings"),
        ('{"GET /items": [""]}', "list of scope strings"),
        ('{"GET /items": [1]}', "list of scope strings"),
        ('{"GET /items/{id}": [], "GET /items/{itemId}": ["x"]}', "listed twice"),
        ('{"ANY /items": [], "* /items": []}', "listed twice"),
    ],
)
def test_bad_route_table_is_refused_naming_route_scopes(issuer: Issuer, table: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as caught:
        load_settings(environment(issuer, ROUTE_SCOPES=table))
    assert caught.value.variable == "ROUTE_SCOPES"


def test_template_route_table_parses(issuer: Issuer) -> None:
    from devstack.template import route_scopes

    settings = load_settings(environment(issuer, ROUTE_SCOPES=json.dumps(route_scopes())))
    assert {route.key: sorted(route.scopes) for route in settings.routes.routes} == route_scopes()


@pytest.mark.parametrize(("raw", "seconds"), [("", 300), ("0", 0), (" 60 ", 60), ("3600", 3600)])
def test_token_cache_lifetime_defaults_to_five_minutes_and_zero_turns_it_off(
    issuer: Issuer, raw: str, seconds: int
) -> None:
    assert load_settings(environment(issuer, TOKEN_CACHE_SECONDS=raw)).token_cache_seconds == seconds
