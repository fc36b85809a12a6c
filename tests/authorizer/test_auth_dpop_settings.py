"""DPoP settings (names are a contract): DPOP, an ISSUERS entry's `dpop`, DPOP_IAT_WINDOW_SECONDS,
DPOP_ALGORITHMS, DPOP_REPLAY_TABLE; each bad value refused naming its variable."""

from __future__ import annotations

import json

import pytest
from authorizer_harness import API, Issuer, environment

from oauth_authorizer.errors import ConfigurationError
from oauth_authorizer.settings import DpopMode, DpopSettings, load_settings


def refusal(env: dict[str, str]) -> str:
    with pytest.raises(ConfigurationError) as caught:
        load_settings(env)
    return str(caught.value)


def test_dpop_is_off_by_default_with_the_rfcs_algorithms_and_a_60_second_window(issuer: Issuer) -> None:
    settings = load_settings(environment(issuer))
    assert (settings.issuers[0].dpop, settings.dpop, settings.dpop_enabled) == (
        DpopMode.OFF,
        DpopSettings(
            iat_window_seconds=60,
            algorithms=("ES256", "RS256", "PS256", "EdDSA"),
            replay_table=None,
            dynamodb_endpoint_url=None,
        ),
        False,
    )


def test_every_dpop_variable_is_read(issuer: Issuer) -> None:
    settings = load_settings(
        environment(
            issuer,
            DPOP="required",
            DPOP_IAT_WINDOW_SECONDS="30",
            DPOP_ALGORITHMS="ES256, EdDSA",
            DPOP_REPLAY_TABLE="stack-DPoPReplayTable-1A2B3C",
            DYNAMODB_ENDPOINT_URL="http://127.0.0.1:8123",
        )
    )
    assert (settings.issuers[0].dpop, settings.dpop, settings.dpop_enabled) == (
        DpopMode.REQUIRED,
        DpopSettings(30, ("ES256", "EdDSA"), "stack-DPoPReplayTable-1A2B3C", "http://127.0.0.1:8123"),
        True,
    )


def test_dpop_is_the_default_of_issuer_entries_and_an_entrys_own_dpop_wins(issuer: Issuer) -> None:
    entries = [
        {"issuer": "https://a.example/", "audiences": [API]},
        {"issuer": "https://b.example/", "audiences": [API], "dpop": "off"},
        {"issuer": "https://c.example/", "audiences": [API], "dpop": "required"},
    ]
    env = {
        "ISSUERS": json.dumps(entries),
        "DPOP": "allowed",
        "ROUTE_SCOPES": environment(issuer)["ROUTE_SCOPES"],
    }
    assert [entry.dpop for entry in load_settings(env).issuers] == [
        DpopMode.ALLOWED,
        DpopMode.OFF,
        DpopMode.REQUIRED,
    ]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"DPOP": "on"}, "DPOP: 'on' is not one of off, allowed, required"),
        ({"DPOP": "Allowed"}, "DPOP: 'Allowed' is not one of off, allowed, required"),
        ({"DPOP_IAT_WINDOW_SECONDS": "0"}, "DPOP_IAT_WINDOW_SECONDS: must be between 1 and 600"),
        ({"DPOP_IAT_WINDOW_SECONDS": "601"}, "DPOP_IAT_WINDOW_SECONDS: must be between 1 and 600"),
        ({"DPOP_IAT_WINDOW_SECONDS": "1m"}, "DPOP_IAT_WINDOW_SECONDS: '1m' is not a whole number of seconds"),
        (
            {"DPOP_ALGORITHMS": "ES256,none"},
            "DPOP_ALGORITHMS: 'none' is refused: only asymmetric algorithms verify access tokens",
        ),
        (
            {"DPOP_ALGORITHMS": "HS256"},
            "DPOP_ALGORITHMS: 'HS256' is refused: only asymmetric algorithms verify access tokens",
        ),
        ({"DPOP_ALGORITHMS": "ES256K"}, "DPOP_ALGORITHMS: unknown algorithm 'ES256K'"),
        ({"DPOP_REPLAY_TABLE": "a b"}, "DPOP_REPLAY_TABLE: 'a b' is not a DynamoDB table name"),
        (
            {"DYNAMODB_ENDPOINT_URL": "127.0.0.1:8000"},
            "DYNAMODB_ENDPOINT_URL: must be empty or an http(s) URL",
        ),
    ],
)
def test_a_bad_dpop_setting_is_refused_by_name(
    issuer: Issuer, overrides: dict[str, str], message: str
) -> None:
    assert refusal(environment(issuer, **overrides)).startswith(message)
