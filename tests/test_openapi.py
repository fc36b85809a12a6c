"""openapi.yaml stays equal to what the code does: the template's routes and ROUTE_SCOPES, the handler's
validation limits, the error model and its RFC 6750 challenges. (tests/e2e/test_e2e_contract.py then runs
schemathesis on it against the local stack.)
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from samcli.yamlhelper import yaml_parse

from devstack.template import ROOT, load_template, route_scopes
from items_api import errors, pagination, validation
from items_api.scopes import ROUTE_SCOPES

OPENAPI_PATH = ROOT / "openapi.yaml"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@cache
def document(path: Path = OPENAPI_PATH) -> dict[str, Any]:
    parsed: dict[str, Any] = yaml_parse(path.read_text(encoding="utf-8"))
    return parsed


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    """A local $ref followed (one level at a time, as deep as it goes)."""
    while "$ref" in node:
        target: Any = document()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def operations() -> dict[str, dict[str, Any]]:
    """Every operation as "METHOD /path" (the ROUTE_SCOPES spelling)."""
    return {
        f"{method.upper()} {path}": operation
        for path, item in document()["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def schema(name: str) -> dict[str, Any]:
    found: dict[str, Any] = document()["components"]["schemas"][name]
    return found


def test_the_document_is_valid_openapi_3_1() -> None:
    loaded = schemathesis.openapi.from_path(str(OPENAPI_PATH))

    assert document()["openapi"] == "3.1.0"
    assert loaded.validate() is None


def test_operations_are_exactly_the_templates_routes() -> None:
    events = load_template()["Resources"]["ApiFunction"]["Properties"]["Events"]
    template_routes = {
        f"{e['Properties']['Method'].upper()} {e['Properties']['Path']}" for e in events.values()
    }

    assert set(operations()) == template_routes == set(route_scopes())


def test_each_operation_needs_exactly_the_scopes_of_route_scopes() -> None:
    documented = {route: op["security"] for route, op in operations().items()}

    assert documented == {route: [{"oauth2": sorted(scopes)}] for route, scopes in route_scopes().items()}
    assert {route: sorted(scopes) for route, scopes in ROUTE_SCOPES.items()} == route_scopes()


def test_the_security_scheme_is_client_credentials_with_every_scope_and_the_token_url_variable() -> None:
    scheme = document()["components"]["securitySchemes"]["oauth2"]
    flow = scheme["flows"]["clientCredentials"]
    variables = document()["servers"][0]["variables"]

    assert (scheme["type"], list(scheme["flows"])) == ("oauth2", ["clientCredentials"])
    assert set(flow["scopes"]) == {scope for scopes in route_scopes().values() for scope in scopes}
    assert variables["tokenUrl"]["default"] == flow["tokenUrl"]
    assert document()["servers"][0]["url"] == "{apiUrl}"


@pytest.mark.parametrize("route", sorted(route_scopes()))
def test_every_operation_documents_401_and_403_with_their_challenges(route: str) -> None:
    responses = operations()[route]["responses"]
    unauthorized, forbidden = resolve(responses["401"]), resolve(responses["403"])

    challenge_401 = resolve(unauthorized["headers"]["WWW-Authenticate"])
    challenge_403 = resolve(forbidden["headers"]["WWW-Authenticate"])
    assert (challenge_401["required"], challenge_403["required"]) == (True, True)
    # The patterns accept exactly what the gateway and the handler send.
    assert re.fullmatch(
        challenge_401["schema"]["pattern"], errors.Unauthenticated().headers()["WWW-Authenticate"]
    )
    for refusal in (errors.InsufficientScope(), errors.InsufficientScope(frozenset({"a:b", "c"}))):
        assert re.fullmatch(challenge_403["schema"]["pattern"], refusal.headers()["WWW-Authenticate"])
    gateway = load_template()["Resources"]["Api"]["Properties"]["GatewayResponses"]
    for name, challenge in (("UNAUTHORIZED", challenge_401), ("ACCESS_DENIED", challenge_403)):
        sent = gateway[name]["ResponseParameters"]["Headers"]["WWW-Authenticate"].strip("'")
        assert re.fullmatch(challenge["schema"]["pattern"], sent), name


@pytest.mark.parametrize("route", sorted(route_scopes()))
def test_every_error_answer_is_the_one_error_model(route: str) -> None:
    for status, response in operations()[route]["responses"].items():
        if status.startswith(("4", "5")):
            content = resolve(response)["content"]
            assert list(content) == ["application/json"], (route, status)
            assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_error_statuses_are_the_ones_each_route_can_answer() -> None:
    documented = {route: sorted(op["responses"]) for route, op in operations().items()}
    common = ["401", "403", "429", "500"]

    assert documented == {
        "GET /me": sorted(["200", *common]),
        "GET /items": sorted(["200", "400", *common, "503"]),
        # 409 and 422: the Idempotency-Key in progress, or reused with another body.
        "POST /items": sorted(["201", "400", "409", "413", "422", *common, "503"]),
        "GET /items/{id}": sorted(["200", "404", *common, "503"]),
        "DELETE /items/{id}": sorted(["204", "404", *common, "503"]),
    }
    unavailable = resolve(operations()["GET /items"]["responses"]["503"])
    assert resolve(unavailable["headers"]["Retry-After"])["required"] is True
    retry_after = {"Retry-After": str(errors.RETRY_AFTER_SECONDS)}
    assert errors.StoreThrottled("Query", "ThrottlingException").headers() == retry_after
    assert errors.StoreUnavailable("Query", "ReadTimeoutError").headers() == retry_after
    assert errors.IdempotencyKeyInProgress().headers() == retry_after
    in_progress = resolve(operations()["POST /items"]["responses"]["409"])
    assert resolve(in_progress["headers"]["Retry-After"])["required"] is True
    assert (errors.IdempotencyKeyInProgress.status, errors.IdempotencyKeyReused.status) == (409, 422)


def test_new_item_limits_are_the_handlers() -> None:
    new_item = schema("NewItem")
    name, description = new_item["properties"]["name"], new_item["properties"]["description"]
    create = operations()["POST /items"]["requestBody"]

    assert set(new_item["properties"]) == validation.CLIENT_FIELDS
    assert (new_item["required"], new_item["additionalProperties"]) == (["name"], False)
    assert (name["minLength"], name["maxLength"]) == (1, validation.MAX_NAME_CHARS)
    assert (description["type"], description["maxLength"]) == (
        ["string", "null"],
        validation.MAX_DESCRIPTION_CHARS,
    )
    assert create["x-max-body-bytes"] == validation.MAX_BODY_BYTES
    assert create["required"] is True


def test_the_not_blank_pattern_is_pythons_whitespace_exactly() -> None:
    # The handler refuses a name that str.strip() empties; the document's pattern must say the same.
    pattern = re.compile(schema("NewItem")["properties"]["name"]["pattern"])
    every_char = (chr(code) for code in range(0x110000) if not 0xD800 <= code <= 0xDFFF)

    assert [c for c in every_char if c.isspace() != (pattern.search(c) is None)] == []


def test_list_parameters_are_the_handlers() -> None:
    parameters = {p["name"]: p for p in operations()["GET /items"]["parameters"]}
    limit, next_token = parameters["limit"]["schema"], parameters["next"]["schema"]

    assert set(parameters) == set(pagination.QUERY_PARAMETERS)
    assert (limit["type"], limit["minimum"], limit["maximum"], limit["default"]) == (
        "integer",
        1,
        pagination.MAX_LIMIT,
        pagination.DEFAULT_LIMIT,
    )
    assert next_token["maxLength"] == pagination.MAX_TOKEN_CHARS
    token = pagination.encode_page_token(b"k" * 32, "auth0|alice", "0b7e1c9e-4a55-4e0a-9d0f-2f6a1c3b8e21")
    assert re.search(next_token["pattern"], token)


def test_the_item_schema_is_the_handlers_item_view() -> None:
    from items_api.identity import Caller
    from items_api.items import item_view, me_view
    from items_api.store import Item

    item = item_view(Item("o", "0b7e1c9e-4a55-4e0a-9d0f-2f6a1c3b8e21", "n", None, "2025-02-03T10:15:30.123Z"))
    item_schema = schema("Item")
    me_schema = schema("Me")

    assert set(item_schema["required"]) == set(item_schema["properties"]) == set(item)
    assert re.search(item_schema["properties"]["created_at"]["pattern"], item["created_at"])
    me = me_view(Caller(iss="https://issuer.example/", sub="s", scopes=frozenset(), client_id=None))
    assert set(me_schema["required"]) == set(me) == set(me_schema["properties"])


def test_stateful_links_create_then_get_then_delete() -> None:
    created = operations()["POST /items"]["responses"]["201"]["links"]
    got = operations()["GET /items/{id}"]["responses"]["200"]["links"]
    ids = {op["operationId"] for op in operations().values()}

    assert {(link["operationId"], link["parameters"]["id"]) for link in created.values()} == {
        ("getItem", "$response.body#/id"),
        ("deleteItem", "$response.body#/id"),
    }
    assert [link["operationId"] for link in got.values()] == ["deleteItem"]
    every_link = [
        link
        for op in operations().values()
        for response in op["responses"].values()
        for link in response.get("links", {}).values()
    ]
    assert {link["operationId"] for link in every_link} <= ids
