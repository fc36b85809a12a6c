"""Every route and scope, end to end through the handler, against DynamoDB Local, in both event shapes."""

from __future__ import annotations

import re
import uuid
from types import ModuleType

import pytest
from api_harness import ALICE, ALLOWED_ORIGIN, CLIENT_ID, ISSUER, ApiClient, Caller, EventSpec

pytestmark = pytest.mark.slow

ISO_UTC_MILLIS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_get_me_returns_the_caller_as_the_authorizer_saw_it(api: ApiClient) -> None:
    response = api.request("GET", "/me", caller=Caller("auth0|carol", ("write:items", "read:items")))

    assert (response.status, response.json) == (
        200,
        {
            "iss": ISSUER,
            "sub": "auth0|carol",
            "scopes": ["read:items", "write:items"],
            "client_id": CLIENT_ID,
        },
    )
    assert response.headers["content-type"] == "application/json"


def test_get_me_needs_no_scope(api: ApiClient) -> None:
    response = api.request("GET", "/me", caller=Caller("auth0|dave", ()))

    assert (response.status, response.json) == (
        200,
        {"iss": ISSUER, "sub": "auth0|dave", "scopes": [], "client_id": CLIENT_ID},
    )


def test_post_items_creates_the_item_with_server_assigned_fields_and_location(api: ApiClient) -> None:
    # WHEN
    response = api.request("POST", "/items", json_body={"name": "Milk", "description": "2 litres"})

    # THEN
    assert response.status == 201
    item = response.json
    assert set(item) == {"id", "name", "description", "created_at"}
    assert str(uuid.UUID(item["id"])) == item["id"]
    assert ISO_UTC_MILLIS.match(item["created_at"])
    assert (item["name"], item["description"]) == ("Milk", "2 litres")
    # REST: the stage is part of the client's URL; HTTP API ($default stage): it is not.
    prefix = "/v1" if api.shape == "rest" else ""
    assert response.headers["location"] == f"{prefix}/items/{item['id']}"
    assert response.headers["content-type"] == "application/json"


def test_post_items_without_description_stores_null_description(api: ApiClient) -> None:
    created = api.create(ALICE, "Eggs")

    assert created["description"] is None
    assert api.request("GET", f"/items/{created['id']}").json == created


def test_post_items_with_null_description_is_the_same_as_none(api: ApiClient) -> None:
    # An item shows "no description" as null, so a client may send back exactly what it read.
    response = api.request("POST", "/items", json_body={"name": "Eggs", "description": None})

    assert (response.status, response.json["description"]) == (201, None)
    assert api.request("GET", f"/items/{response.json['id']}").json == response.json


def test_get_item_returns_the_stored_item(api: ApiClient) -> None:
    created = api.create(ALICE, "Bread", "wholemeal")

    response = api.request("GET", f"/items/{created['id']}")

    assert (response.status, response.json) == (200, created)


def test_get_items_lists_the_callers_items(api: ApiClient) -> None:
    first, second = api.create(ALICE, "one"), api.create(ALICE, "two")

    response = api.request("GET", "/items")

    assert response.status == 200
    assert response.json == {"items": sorted([first, second], key=lambda item: item["id"]), "next": None}


def test_get_items_of_a_new_caller_is_an_empty_page(api: ApiClient) -> None:
    response = api.request("GET", "/items", caller=Caller("auth0|newcomer"))

    assert (response.status, response.json) == (200, {"items": [], "next": None})


def test_delete_item_answers_204_then_the_item_is_gone(api: ApiClient) -> None:
    created = api.create(ALICE, "to delete")

    deleted = api.request("DELETE", f"/items/{created['id']}")

    assert (deleted.status, deleted.raw_body) == (204, "")
    assert deleted.headers["content-type"] == "application/json"
    gone = api.request("GET", f"/items/{created['id']}")
    assert (gone.status, gone.json) == (404, {"message": "Item not found"})


def test_delete_twice_answers_204_then_404(api: ApiClient) -> None:
    created = api.create(ALICE, "once")

    first = api.request("DELETE", f"/items/{created['id']}")
    second = api.request("DELETE", f"/items/{created['id']}")

    assert (first.status, second.status, second.json) == (204, 404, {"message": "Item not found"})


@pytest.mark.parametrize(
    "item_id",
    [
        str(uuid.uuid4()),  # well-formed, never created
        "not-a-uuid",
        str(uuid.uuid4()).upper(),  # not the canonical form the server issues
        "x" * 2000,  # longer than a DynamoDB sort key may be: never reaches DynamoDB
    ],
)
def test_unknown_item_id_is_404_on_get_and_delete(api: ApiClient, item_id: str) -> None:
    assert api.request("GET", f"/items/{item_id}").json == {"message": "Item not found"}
    response = api.request("DELETE", f"/items/{item_id}")
    assert (response.status, response.json) == (404, {"message": "Item not found"})


# Each protected route with a caller holding every scope except the one it needs.
ROUTES_AND_SCOPES = [
    ("GET", "/items", "read:items"),
    ("POST", "/items", "write:items"),
    ("GET", "/items/{id}", "read:items"),
    ("DELETE", "/items/{id}", "delete:items"),
]


@pytest.mark.parametrize(("method", "resource", "scope"), ROUTES_AND_SCOPES)
def test_missing_scope_is_403_before_any_data_access_even_for_the_owner(
    api: ApiClient, method: str, resource: str, scope: str
) -> None:
    # GIVEN Alice's own item, and Alice again with every scope but the route's
    created = api.create(ALICE, "mine")
    weaker_alice = Caller(ALICE.sub, tuple(s for s in ALICE.scopes if s != scope))

    # WHEN
    response = api.request(
        method,
        resource.replace("{id}", created["id"]),
        caller=weaker_alice,
        json_body={"name": "x"} if method == "POST" else None,
    )

    # THEN nothing was read, written or deleted, and the challenge names the route's scope (RFC 6750 §3)
    assert (response.status, response.json) == (403, {"message": "Forbidden"})
    assert response.headers["www-authenticate"] == f'Bearer error="insufficient_scope", scope="{scope}"'
    listing = api.request("GET", "/items").json
    assert listing == {"items": [created], "next": None}


@pytest.mark.parametrize(("method", "resource", "scope"), ROUTES_AND_SCOPES)
def test_the_routes_scope_alone_is_enough(api: ApiClient, method: str, resource: str, scope: str) -> None:
    created = api.create(ALICE, "mine")
    only = Caller(ALICE.sub, (scope,))

    response = api.request(
        method,
        resource.replace("{id}", created["id"]),
        caller=only,
        json_body={"name": "x"} if method == "POST" else None,
    )

    assert response.status == {"GET": 200, "POST": 201, "DELETE": 204}[method]


ALL_ROUTES = [("GET", "/me"), *[(method, resource) for method, resource, _ in ROUTES_AND_SCOPES]]


@pytest.mark.parametrize(("method", "resource"), ALL_ROUTES)
@pytest.mark.parametrize(
    "context",
    [None, {}, {"sub": ""}, {"scope": "read:items"}, {"sub": 42, "scope": "read:items"}],
    ids=["absent", "empty", "empty-sub", "no-sub", "non-string-sub"],
)
def test_missing_or_empty_authorizer_context_is_401(
    api: ApiClient, method: str, resource: str, context: dict[str, object] | None
) -> None:
    path = resource.replace("{id}", str(uuid.uuid4()))

    response = api.request(method, path, authorizer_context=context, json_body={"name": "x"})

    assert (response.status, response.json) == (401, {"message": "Unauthorized"})
    assert response.headers["content-type"] == "application/json"
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_an_expired_token_from_a_stale_authorizer_cache_is_401(api: ApiClient) -> None:
    response = api.request("GET", "/me", caller=Caller(ALICE.sub, expires_at=1_600_000_000))

    assert (response.status, response.json) == (401, {"message": "Unauthorized"})
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_principal_id_that_contradicts_sub_is_401(api: ApiClient) -> None:
    context = {"principalId": "auth0|mallory", "sub": "auth0|alice", "scope": "read:items"}

    response = api.request("GET", "/items", authorizer_context=context)

    assert (response.status, response.json) == (401, {"message": "Unauthorized"})


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nope"), ("GET", "/items/a/b"), ("PUT", "/items"), ("PATCH", "/me"), ("POST", "/me")],
)
def test_unknown_route_or_method_is_404_json(api: ApiClient, method: str, path: str) -> None:
    response = api.request(method, path)

    assert (response.status, response.json) == (404, {"message": "Not found"})
    assert response.headers["content-type"] == "application/json"


def test_cors_headers_come_from_the_configured_origin(api: ApiClient) -> None:
    response = api.request("GET", "/me", headers={"Origin": ALLOWED_ORIGIN})

    assert response.status == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert response.headers["access-control-expose-headers"] == "Location,Retry-After"


def test_cors_headers_are_absent_for_another_origin(api: ApiClient) -> None:
    response = api.request("GET", "/me", headers={"Origin": "https://evil.example.net"})

    assert response.status == 200
    assert "access-control-allow-origin" not in response.headers


def test_cors_headers_are_on_error_answers_too(api: ApiClient) -> None:
    response = api.request("GET", "/items", caller=None, headers={"Origin": ALLOWED_ORIGIN})

    assert response.status == 401
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN


def test_http_api_on_a_named_stage_routes_and_locates_with_the_stage(app: ModuleType) -> None:
    # GIVEN an HTTP API event on stage "v1": rawPath carries the stage prefix
    client = ApiClient(app, "http")
    event = client.event(EventSpec("POST", "/items", body='{"name": "staged"}'))
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/v1/items"
    event["requestContext"]["stage"] = "v1"

    # WHEN
    response = client.invoke(event)

    # THEN
    assert response.status == 201
    assert response.headers["location"] == f"/v1/items/{response.json['id']}"
