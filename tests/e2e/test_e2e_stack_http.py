"""The local stack used over HTTP as a client would: token from the issuer, then every route."""

from __future__ import annotations

import time
import uuid

import pytest
from e2e_client import StackClient

from devstack.issuer import DevClient

pytestmark = pytest.mark.slow

UNAUTHORIZED = {"WWW-Authenticate": 'Bearer error="invalid_token"', "Access-Control-Allow-Origin": "*"}
FORBIDDEN = {"WWW-Authenticate": 'Bearer error="insufficient_scope"', "Access-Control-Allow-Origin": "*"}


def picked(headers: dict[str, str] | object, expected: dict[str, str]) -> dict[str, str | None]:
    assert isinstance(headers, dict)
    return {name: headers.get(name) for name in expected}


def test_every_route_round_trips_through_dynamodb_local(client: StackClient) -> None:
    # GIVEN a token with every scope
    token = client.token("dev-admin")

    # WHEN the client creates, reads, lists and deletes an item
    created = client.call("POST", "/items", token, {"name": "e2e item", "description": "round trip"})
    item = created.json()
    fetched = client.call("GET", f"/items/{item['id']}", token)
    listed = client.call("GET", "/items", token)
    deleted = client.call("DELETE", f"/items/{item['id']}", token)
    after = client.call("GET", f"/items/{item['id']}", token)

    # THEN each answer is the API's, from the data in DynamoDB Local
    assert created.status == 201
    assert uuid.UUID(item["id"]).version == 4
    assert {k: item[k] for k in ("name", "description")} == {"name": "e2e item", "description": "round trip"}
    assert (fetched.status, fetched.json()) == (200, item)
    assert listed.status == 200
    assert item in listed.json()["items"]
    assert deleted.status == 204
    assert (after.status, after.json()) == (404, {"message": "Item not found"})


def test_me_answers_with_the_tokens_subject_and_scopes(client: StackClient) -> None:
    response = client.call("GET", "/me", client.token("dev-reader"))

    assert (response.status, response.json()) == (
        200,
        {
            "iss": client.stack.issuer.config.issuer,
            "sub": "dev-reader@clients",
            "scopes": ["read:items"],
            "client_id": "dev-reader",
        },
    )


def test_missing_token_is_401_with_www_authenticate(client: StackClient) -> None:
    response = client.call("GET", "/items")

    assert (response.status, response.json()) == (401, {"message": "Unauthorized"})
    assert picked(response.headers, UNAUTHORIZED) == UNAUTHORIZED


def test_garbage_token_is_401(client: StackClient) -> None:
    response = client.call("GET", "/items", "not-a-jwt")

    assert (response.status, response.json()) == (401, {"message": "Unauthorized"})
    assert picked(response.headers, UNAUTHORIZED) == UNAUTHORIZED


def test_expired_token_is_401(client: StackClient) -> None:
    # GIVEN a token the issuer signed, but which expired an hour ago
    generator = client.stack.issuer.config.generator()
    admin: DevClient = client.stack.issuer.config.clients["dev-admin"]
    claims = generator.claims(admin, "read:items", issued_at=int(time.time()) - 2 * generator.lifetime)
    expired = generator.sign(claims)

    response = client.call("GET", "/items", expired)

    assert (response.status, response.json()) == (401, {"message": "Unauthorized"})
    assert picked(response.headers, UNAUTHORIZED) == UNAUTHORIZED


def test_missing_scope_is_403_insufficient_scope(client: StackClient) -> None:
    response = client.call("POST", "/items", client.token("dev-reader"), {"name": "not allowed"})

    assert (response.status, response.json()) == (403, {"message": "Forbidden"})
    assert picked(response.headers, FORBIDDEN) == FORBIDDEN


def test_token_without_scopes_may_call_me_only(client: StackClient) -> None:
    token = client.token("dev-noscope")

    me = client.call("GET", "/me", token)
    items = client.call("GET", "/items", token)

    assert me.status == 200
    assert (items.status, items.json()) == (403, {"message": "Forbidden"})


def test_cors_preflight_is_not_authorized(client: StackClient) -> None:
    before = client.authorizer_invocations
    preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}

    response = client.call("OPTIONS", "/items", headers=preflight)

    assert response.status == 200
    assert picked(response.headers, {"Access-Control-Allow-Origin": "*"}) == {
        "Access-Control-Allow-Origin": "*"
    }
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
    assert client.authorizer_invocations == before


def test_unknown_route_or_method_is_404_not_found_with_cors(client: StackClient) -> None:
    for method, path in (("GET", "/nowhere"), ("PUT", "/me")):
        response = client.call(method, path, client.token("dev-admin"))

        assert (response.status, response.json()) == (404, {"message": "Not found"})
        assert picked(response.headers, {"Access-Control-Allow-Origin": "*"}) == {
            "Access-Control-Allow-Origin": "*"
        }


def test_callers_only_see_their_own_items(client: StackClient) -> None:
    # GIVEN an item of dev-admin
    admin, reader = client.token("dev-admin"), client.token("dev-reader")
    item = client.call("POST", "/items", admin, {"name": "admin's"}).json()

    # WHEN dev-reader lists items and asks for that item
    listed = client.call("GET", "/items", reader)
    fetched = client.call("GET", f"/items/{item['id']}", reader)
    deleted_by_other = client.call("DELETE", f"/items/{item['id']}", reader)

    # THEN it sees nothing of dev-admin's (and cannot even learn that the item exists)
    assert (listed.status, listed.json()) == (200, {"items": [], "next": None})
    assert (fetched.status, fetched.json()) == (404, {"message": "Item not found"})
    assert deleted_by_other.status == 403  # no delete:items scope: stopped by the cached policy
    assert client.call("GET", f"/items/{item['id']}", admin).status == 200


def test_cached_policy_serves_a_second_route(client: StackClient) -> None:
    # GIVEN a fresh token
    token = client.token("dev-admin")
    before = client.authorizer_invocations

    # WHEN it calls two different routes within the cache TTL
    first = client.call("GET", "/items", token)
    second = client.call("GET", "/me", token)

    # THEN the authorizer ran once: its cached policy authorized the second route
    assert (first.status, second.status) == (200, 200)
    assert client.authorizer_invocations == before + 1


def test_cached_policy_denies_a_route_the_token_may_not_call(client: StackClient) -> None:
    # GIVEN a read-only token whose policy was cached by a first call
    token = client.token("dev-reader")
    before = client.authorizer_invocations
    first = client.call("GET", "/items", token)

    # WHEN it calls a route its scopes do not cover
    second = client.call("POST", "/items", token, {"name": "x"})

    # THEN the cached policy (not a second authorizer run) denies it
    assert (first.status, second.status) == (200, 403)
    assert client.authorizer_invocations == before + 1


def test_dynamic_references_get_a_random_local_value(client: StackClient) -> None:
    # {{resolve:secretsmanager:...}} is resolved by CloudFormation at deploy time; locally it must not
    # reach the function as the same literal text in every run.
    key = client.stack.specs["ApiFunction"].environment["PAGE_TOKEN_KEY"]

    assert len(key) >= 32
    assert not key.startswith("{{")


def test_a_body_that_is_not_utf8_is_the_handlers_400_with_cors(client: StackClient) -> None:
    token = client.token("dev-admin")

    response = client.call(
        "POST", "/items", token, headers={"Content-Type": "application/json"}, data=b'{"name": "\xff"}'
    )

    assert (response.status, response.json()) == (400, {"message": "Request body is not valid UTF-8"})
    assert response.headers.get("Access-Control-Allow-Origin") == "*"


def test_a_6_mib_body_is_413_with_cors(client: StackClient) -> None:
    token = client.token("dev-admin")

    response = client.call(
        "POST", "/items", token, headers={"Content-Type": "application/json"}, data=b"x" * (6 * 1024 * 1024)
    )

    assert (response.status, response.json()) == (413, {"message": "Request Too Long"})
    assert response.headers.get("Access-Control-Allow-Origin") == "*"


def test_a_body_between_16_kib_and_6_mb_is_the_handlers_413(client: StackClient) -> None:
    response = client.call("POST", "/items", client.token("dev-admin"), {"name": "x" * (1024 * 1024)})

    assert (response.status, response.json()) == (413, {"message": "Request body too large"})


@pytest.mark.parametrize(("method", "path"), [("HEAD", "/items"), ("PUT", "/me"), ("PATCH", "/items/1")])
def test_head_and_unknown_methods_are_the_unknown_route_answer(
    client: StackClient, method: str, path: str
) -> None:
    unknown = client.call("GET", "/nowhere", client.token("dev-admin"))

    response = client.call(method, path, client.token("dev-admin"))

    assert response.status == unknown.status
    assert response.headers.get("Content-Type") == "application/json"
    assert response.headers.get("Access-Control-Allow-Origin") == "*"
    if method != "HEAD":
        assert response.json() == unknown.json()


@pytest.mark.parametrize(
    ("segment", "message"),
    [
        ("a%20b", "Item not found"),
        # Powertools' resolver matches `{id}` over RFC 3986 characters only, so for these its own 404 answers;
        # either way a 404 from the handler, never the gateway's 403 (its wildcards match any character).
        ("a%0Ab", "Not found"),
        ("a%0Db", "Not found"),
        ("%09", "Not found"),
        ("%E2%80%A8", "Not found"),
    ],
)
def test_any_character_in_an_id_reaches_the_handler_as_a_404(
    client: StackClient, segment: str, message: str
) -> None:
    response = client.call("GET", f"/items/{segment}", client.token("dev-admin"))

    assert (response.status, response.json()) == (404, {"message": message})
