"""The revocation settings: defaults, the endpoint from the region, and errors naming the variable."""

from __future__ import annotations

import pytest

from token_revocation.settings import RevocationSettings, RevocationSettingsError, load_revocation_settings


def test_revocation_is_off_without_a_table() -> None:
    assert load_revocation_settings({"AWS_REGION": "eu-west-1"}) is None


@pytest.mark.parametrize(
    ("region", "endpoint"),
    [
        ("eu-west-1", "https://dynamodb.eu-west-1.amazonaws.com"),
        ("cn-north-1", "https://dynamodb.cn-north-1.amazonaws.com.cn"),
    ],
)
def test_the_defaults_and_the_regions_endpoint(region: str, endpoint: str) -> None:
    settings = load_revocation_settings({"REVOCATION_TABLE": "stack-RevocationTable-1", "AWS_REGION": region})
    assert settings == RevocationSettings("stack-RevocationTable-1", endpoint, region, 5, 86_400)


def test_dynamodb_local_and_every_setting_given() -> None:
    environ = {
        "REVOCATION_TABLE": "revocations",
        "AWS_REGION": "us-east-1",
        "DYNAMODB_ENDPOINT_URL": "http://127.0.0.1:8000",
        "REVOCATION_REFRESH_SECONDS": "2",
        "MAX_TOKEN_LIFETIME_SECONDS": "3600",
    }
    assert load_revocation_settings(environ) == RevocationSettings(
        "revocations", "http://127.0.0.1:8000", "us-east-1", 2, 3600
    )


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("REVOCATION_TABLE", "a b", "REVOCATION_TABLE: 'a b' is not a DynamoDB table name"),
        ("AWS_REGION", "", "AWS_REGION: '' is not an AWS region (Lambda sets it)"),
        ("DYNAMODB_ENDPOINT_URL", "ftp://x", "DYNAMODB_ENDPOINT_URL: must be empty or an http(s) URL"),
        ("REVOCATION_REFRESH_SECONDS", "0", "REVOCATION_REFRESH_SECONDS: must be between 1 and 60"),
        ("REVOCATION_REFRESH_SECONDS", "soon", "REVOCATION_REFRESH_SECONDS: 'soon' is not a whole number"),
        (
            "MAX_TOKEN_LIFETIME_SECONDS",
            "2592001",
            "MAX_TOKEN_LIFETIME_SECONDS: must be between 60 and 2592000",
        ),
    ],
)
def test_a_bad_value_names_its_variable(variable: str, value: str, message: str) -> None:
    environ = {"REVOCATION_TABLE": "revocations", "AWS_REGION": "us-east-1", variable: value}
    with pytest.raises(RevocationSettingsError) as caught:
        load_revocation_settings(environ)
    assert (caught.value.variable, str(caught.value).startswith(message)) == (variable, True)
