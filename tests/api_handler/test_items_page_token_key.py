"""Where the pagination key comes from: a Secrets Manager secret read at run time and cached, or a local key.

Secrets Manager itself is not reachable from here (nothing may leave 127.0.0.1): botocore's Stubber stands in
for its answers, behind Powertools' real SecretsProvider and its cache.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, cast

import boto3
import pytest
from api_harness import ALICE, ApiClient, load_app
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from botocore.stub import Stubber

from items_api.page_token_key import PageTokenSecretError, SecretPageTokenKey, page_token_key
from items_api.settings import load_settings

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager.client import SecretsManagerClient

SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:PageTokenSecret-AbCdEf"
SECRET_VALUE = "S" * 64


@pytest.fixture
def stubber() -> Iterator[Stubber]:
    client = boto3.client(
        "secretsmanager",
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",  # the Stubber answers every call
    )
    with Stubber(client) as stub:
        yield stub
        stub.assert_no_pending_responses()


def _client(stubber: Stubber) -> SecretsManagerClient:
    return cast("SecretsManagerClient", stubber.client)


def _answer(stubber: Stubber, value: str) -> None:
    stubber.add_response(
        "get_secret_value",
        {"ARN": SECRET_ARN, "Name": "PageTokenSecret", "SecretString": value},
        {"SecretId": SECRET_ARN},
    )


def test_the_template_s_secret_arn_means_no_key_in_the_settings() -> None:
    settings = load_settings({"TABLE_NAME": "t", "PAGE_TOKEN_SECRET_ARN": SECRET_ARN, "PAGE_TOKEN_KEY": ""})

    assert (
        settings.page_token_key,
        settings.page_token_key_is_ephemeral,
        settings.page_token_secret_arn,
    ) == (
        None,
        False,
        SECRET_ARN,
    )


def test_a_local_key_takes_the_secret_s_place() -> None:
    settings = load_settings(
        {"TABLE_NAME": "t", "PAGE_TOKEN_SECRET_ARN": SECRET_ARN, "PAGE_TOKEN_KEY": "k" * 32}
    )

    assert (settings.page_token_key, settings.page_token_secret_arn) == (b"k" * 32, None)
    assert page_token_key(settings)() == b"k" * 32


def test_the_secret_is_read_once_and_then_served_from_the_cache(stubber: Stubber) -> None:
    _answer(stubber, SECRET_VALUE)  # one answer only: a second GetSecretValue would fail the Stubber
    key = SecretPageTokenKey(SECRET_ARN, SecretsProvider(boto3_client=_client(stubber)))

    assert (key(), key()) == (SECRET_VALUE.encode(), SECRET_VALUE.encode())


def test_a_secret_too_short_for_a_key_fails_without_quoting_it(stubber: Stubber) -> None:
    _answer(stubber, "short-secret-value")
    key = SecretPageTokenKey(SECRET_ARN, SecretsProvider(boto3_client=_client(stubber)))

    with pytest.raises(PageTokenSecretError) as raised:
        key()
    assert "short-secret-value" not in str(raised.value)


@pytest.mark.slow
def test_listings_sign_and_accept_next_tokens_with_the_secret_s_key(
    monkeypatch: pytest.MonkeyPatch, api: ApiClient, stubber: Stubber
) -> None:
    # GIVEN a cold start as in AWS: no local key, the secret's ARN
    monkeypatch.setenv("PAGE_TOKEN_SECRET_ARN", SECRET_ARN)
    app = load_app()
    assert app.settings.page_token_key is None
    _answer(stubber, SECRET_VALUE)
    secret_key = SecretPageTokenKey(SECRET_ARN, SecretsProvider(boto3_client=_client(stubber)))
    monkeypatch.setattr(app, "page_token_key_source", secret_key)
    client = ApiClient(app, api.shape)
    for n in range(2):
        client.create(ALICE, f"item {n}")

    # WHEN paging with a token it signed
    token = client.request("GET", "/items", query={"limit": "1"}).json["next"]
    response = client.request("GET", "/items", query={"limit": "1", "next": token})

    # THEN the token verifies, and the secret was read once for both listings
    assert (response.status, len(response.json["items"]), response.json["next"]) == (200, 1, None)
