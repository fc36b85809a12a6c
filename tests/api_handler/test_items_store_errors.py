"""DynamoDB failures: throttling and no answer in time are 503 with Retry-After, anything else a generic 500;
details only in logs.

DynamoDB Local cannot throttle, so these tests stub the DynamoDB client with botocore's Stubber.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import ModuleType
from typing import TYPE_CHECKING

import pytest
from api_harness import ALICE, ApiClient, Shape, captured_log, load_app
from botocore.exceptions import ConnectTimeoutError
from botocore.stub import Stubber

from items_api.errors import StoreThrottled, StoreUnavailable
from items_api.store import ItemStore, dynamodb_client

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

THROTTLED = "Service temporarily unavailable, retry later"
SECRET_DETAIL = "Table arn:aws:dynamodb:eu-west-1:123456789012:table/items-Prod internal detail"


@pytest.fixture
def stubbed_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[ModuleType, Stubber]]:
    monkeypatch.setenv("TABLE_NAME", "items-stubbed")
    monkeypatch.setenv("DYNAMODB_ENDPOINT_URL", "http://127.0.0.1:9")  # never reached: the Stubber answers
    monkeypatch.setenv("CORS_ALLOW_ORIGIN", "https://app.example.com")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "items-api")
    app = load_app()
    # One client for every call budget, so that one Stubber answers every call.
    client = dynamodb_client("http://127.0.0.1:9")
    monkeypatch.setattr(app, "store", _fixed_client_store(client, "items-stubbed"))
    with Stubber(client) as stubber:
        yield app, stubber


def _fixed_client_store(client: DynamoDBClient, table_name: str) -> ItemStore:
    return ItemStore(lambda _budget: client, table_name)


OPERATIONS = [
    ("query", "GET", "/items"),
    ("put_item", "POST", "/items"),
    ("get_item", "GET", "/items/0b7e1c9e-4a55-4e0a-9d0f-2f6a1c3b8e21"),
    ("delete_item", "DELETE", "/items/0b7e1c9e-4a55-4e0a-9d0f-2f6a1c3b8e21"),
]


@pytest.mark.parametrize("shape", ["rest", "http"])
@pytest.mark.parametrize(("operation", "method", "path"), OPERATIONS)
@pytest.mark.parametrize(
    "code", ["ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"]
)
def test_throttling_is_503_with_retry_after(
    stubbed_app: tuple[ModuleType, Stubber], shape: Shape, operation: str, method: str, path: str, code: str
) -> None:
    app, stubber = stubbed_app
    stubber.add_client_error(
        operation, service_error_code=code, service_message=SECRET_DETAIL, http_status_code=400
    )

    response = ApiClient(app, shape).request(method, path, caller=ALICE, json_body={"name": "x"})

    assert (response.status, response.json) == (
        503,
        {"message": "Service temporarily unavailable, retry later"},
    )
    assert response.headers["retry-after"] == "1"
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize(("operation", "method", "path"), OPERATIONS)
@pytest.mark.parametrize(
    ("code", "status"),
    [("ValidationException", 400), ("ResourceNotFoundException", 400), ("InternalServerError", 500)],
)
def test_any_other_dynamodb_error_is_a_generic_500_without_details(
    stubbed_app: tuple[ModuleType, Stubber],
    operation: str,
    method: str,
    path: str,
    code: str,
    status: int,
) -> None:
    app, stubber = stubbed_app
    stubber.add_client_error(
        operation, service_error_code=code, service_message=SECRET_DETAIL, http_status_code=status
    )

    with captured_log(app) as log:
        response = ApiClient(app, "rest").request(method, path, caller=ALICE, json_body={"name": "x"})

    assert (response.status, response.json) == (500, {"message": "Internal server error"})
    assert "retry-after" not in response.headers
    # The details are in the log, with the request's correlation id, and only there.
    error = next(
        record for record in map(json.loads, log.getvalue().splitlines()) if record["level"] == "ERROR"
    )
    assert (error["message"], error["error_code"], error["correlation_id"]) == (
        "DynamoDB call failed",
        code,
        "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
    )
    assert SECRET_DETAIL in error["exception"]
    assert SECRET_DETAIL not in response.raw_body


def test_store_turns_throttling_into_store_throttled() -> None:
    client = dynamodb_client("http://127.0.0.1:9")
    store = _fixed_client_store(client, "items")
    with Stubber(client) as stubber:
        stubber.add_client_error("get_item", service_error_code="ThrottlingException", http_status_code=400)

        with pytest.raises(StoreThrottled) as caught:
            store.get("auth0|alice", "0b7e1c9e-4a55-4e0a-9d0f-2f6a1c3b8e21")

    assert (caught.value.operation, caught.value.code) == ("GetItem", "ThrottlingException")


def test_store_turns_a_connection_timeout_into_store_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a client whose HTTP layer cannot connect (botocore's own exception, raised by its sender)
    client = dynamodb_client("http://127.0.0.1:9")
    store = _fixed_client_store(client, "items")

    def refuse(**_: object) -> None:
        raise ConnectTimeoutError(endpoint_url="http://127.0.0.1:9")

    client.meta.events.register("before-send.dynamodb.Query", refuse)

    # WHEN / THEN: the caller may retry (503 with Retry-After), the code says why
    with pytest.raises(StoreUnavailable) as caught:
        store.list("auth0|alice", 10)
    assert (caught.value.status, caught.value.code) == (503, "ConnectTimeoutError")
    assert caught.value.headers() == {"Retry-After": "1"}


def test_an_unexpected_error_is_a_generic_json_500_without_its_text(
    stubbed_app: tuple[ModuleType, Stubber], monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a bug somewhere below a route (injected: the one way to reach the last-resort handler)
    app, _ = stubbed_app

    def broken(*_: object) -> None:
        raise RuntimeError("secret internal state 0xdeadbeef")

    monkeypatch.setattr(app.items, "me_view", broken)

    # WHEN
    with captured_log(app) as log:
        response = ApiClient(app, "rest").request("GET", "/me", caller=ALICE)

    # THEN the caller gets a generic JSON 500; the text and trace are only in the log
    assert (response.status, response.json) == (500, {"message": "Internal server error"})
    assert response.headers["content-type"] == "application/json"
    assert "0xdeadbeef" not in response.raw_body
    assert "0xdeadbeef" in log.getvalue()
