"""Settings are parsed once from the environment; a bad value fails loudly and names its variable."""

from __future__ import annotations

import pytest

from items_api.settings import Settings, SettingsError, load_settings


def test_minimal_environment() -> None:
    settings = load_settings({"TABLE_NAME": "items"})

    assert (settings.table_name, settings.cors_allow_origin, settings.dynamodb_endpoint_url) == (
        "items",
        "*",
        None,
    )
    assert settings.page_token_key is not None
    assert (len(settings.page_token_key), settings.page_token_key_is_ephemeral) == (32, True)


def test_full_environment() -> None:
    settings = load_settings(
        {
            "TABLE_NAME": "items",
            "CORS_ALLOW_ORIGIN": "https://app.example.com",
            "DYNAMODB_ENDPOINT_URL": "http://127.0.0.1:8000",
            "PAGE_TOKEN_KEY": "s" * 32,
        }
    )

    assert settings == Settings(
        table_name="items",
        cors_allow_origin="https://app.example.com",
        dynamodb_endpoint_url="http://127.0.0.1:8000",
        page_token_key=b"s" * 32,
        page_token_key_is_ephemeral=False,
    )


@pytest.mark.parametrize(("raw", "leeway"), [("", 30), ("0", 0), ("300", 300), (" 45 ", 45)])
def test_leeway_has_the_authorizers_default_and_range(raw: str, leeway: int) -> None:
    from items_api import settings as handler_settings
    from oauth_authorizer.settings import DEFAULT_LEEWAY_SECONDS, MAX_LEEWAY_SECONDS

    assert (handler_settings.DEFAULT_LEEWAY_SECONDS, handler_settings.MAX_LEEWAY_SECONDS) == (
        DEFAULT_LEEWAY_SECONDS,
        MAX_LEEWAY_SECONDS,
    )
    assert load_settings({"TABLE_NAME": "t", "LEEWAY_SECONDS": raw}).leeway_seconds == leeway


def test_the_template_s_empty_endpoint_means_aws() -> None:
    assert load_settings({"TABLE_NAME": "items", "DYNAMODB_ENDPOINT_URL": ""}).dynamodb_endpoint_url is None


def test_each_cold_start_without_a_key_draws_a_new_one() -> None:
    assert (
        load_settings({"TABLE_NAME": "t"}).page_token_key != load_settings({"TABLE_NAME": "t"}).page_token_key
    )


def test_the_page_token_key_never_appears_in_the_settings_repr() -> None:
    settings = load_settings(
        {"TABLE_NAME": "items", "PAGE_TOKEN_KEY": "very-secret-page-token-key-0123456789"}
    )

    assert "very-secret" not in repr(settings)


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({}, "TABLE_NAME"),
        ({"TABLE_NAME": "  "}, "TABLE_NAME"),
        ({"TABLE_NAME": "t", "CORS_ALLOW_ORIGIN": "app.example.com"}, "CORS_ALLOW_ORIGIN"),
        ({"TABLE_NAME": "t", "CORS_ALLOW_ORIGIN": "https://app.example.com/"}, "CORS_ALLOW_ORIGIN"),
        ({"TABLE_NAME": "t", "CORS_ALLOW_ORIGIN": "'*'"}, "CORS_ALLOW_ORIGIN"),
        ({"TABLE_NAME": "t", "DYNAMODB_ENDPOINT_URL": "localhost:8000"}, "DYNAMODB_ENDPOINT_URL"),
        ({"TABLE_NAME": "t", "DYNAMODB_ENDPOINT_URL": "ftp://127.0.0.1"}, "DYNAMODB_ENDPOINT_URL"),
        ({"TABLE_NAME": "t", "PAGE_TOKEN_KEY": "short"}, "PAGE_TOKEN_KEY"),
        ({"TABLE_NAME": "t", "LEEWAY_SECONDS": "301"}, "LEEWAY_SECONDS"),
        ({"TABLE_NAME": "t", "LEEWAY_SECONDS": "-1"}, "LEEWAY_SECONDS"),
        ({"TABLE_NAME": "t", "LEEWAY_SECONDS": "30s"}, "LEEWAY_SECONDS"),
    ],
)
def test_a_bad_value_names_its_variable(environ: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError, match=f"^{variable} "):
        load_settings(environ)
