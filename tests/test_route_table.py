"""The route-table command (devstack.route_table): OpenAPI 3 → ROUTE_SCOPES, never silently open."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
from docs_pages import command_blocks

from devstack.route_table import RouteTableError, load_document, main, route_table, route_table_json
from devstack.template import ROOT, route_scopes
from items_api.scopes import ROUTE_SCOPES


def _document(**operations: Any) -> dict[str, Any]:
    """A minimal OpenAPI 3.1 document: an oauth2 and an apiKey scheme, the given operations on /things."""
    return {
        "openapi": "3.1.0",
        "components": {
            "securitySchemes": {
                "oauth2": {"type": "oauth2", "flows": {}},
                "key": {"type": "apiKey", "in": "header", "name": "X-Key"},
            }
        },
        "paths": {"/things": operations},
    }


def test_our_openapi_document_gives_exactly_the_route_scopes_of_the_template_and_the_handler() -> None:
    table = route_table(load_document(ROOT / "openapi.yaml"))

    assert table == route_scopes()
    assert table == {route: sorted(scopes) for route, scopes in ROUTE_SCOPES.items()}


def test_the_output_is_the_json_object_route_scopes_takes_in_document_order() -> None:
    text = route_table_json(route_table(load_document(ROOT / "openapi.yaml")))

    assert text == (
        '{"GET /me": [],\n"GET /items": ["read:items"],\n"POST /items": ["write:items"],\n'
        '"GET /items/{id}": ["read:items"],\n"DELETE /items/{id}": ["delete:items"]}'
    )
    assert json.loads(text) == route_scopes()


def test_an_empty_oauth2_requirement_needs_a_token_and_no_scope() -> None:
    document = _document(get={"operationId": "list", "security": [{"oauth2": []}]})

    assert route_table(document) == {"GET /things": []}


def test_scopes_are_sorted_and_deduplicated_across_the_requirement() -> None:
    document = _document(post={"security": [{"oauth2": ["write", "read", "write"]}]})

    assert route_table(document) == {"POST /things": ["read", "write"]}


def test_an_openid_connect_scheme_gives_scopes_too() -> None:
    document = _document(get={"security": [{"oidc": ["read"]}]})
    document["components"]["securitySchemes"] = {"oidc": {"type": "openIdConnect", "openIdConnectUrl": "x"}}

    assert route_table(document) == {"GET /things": ["read"]}


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        pytest.param(
            {"operationId": "listThings"},
            "GET /things (operationId listThings): no security entry (the route would be open); "
            "add one, e.g. oauth2: []",
            id="no security entry, even with a top-level one",
        ),
        pytest.param(
            {"operationId": "listThings", "security": []},
            "GET /things (operationId listThings): security is empty (the route would be open)",
            id="security: []",
        ),
        pytest.param(
            {"security": [{}]},
            "GET /things: an empty requirement {} (anonymous access; the route would be open)",
            id="empty requirement",
        ),
        pytest.param(
            {"security": [{"oauth2": ["read"]}, {}]},
            "GET /things: 2 alternative requirements; ROUTE_SCOPES has no 'or'",
            id="alternatives",
        ),
        pytest.param(
            {"operationId": "listThings", "security": [{"key": []}]},
            "GET /things (operationId listThings): unknown security scheme key (known: oauth2)",
            id="a scheme that is not OAuth 2.0",
        ),
        pytest.param(
            {"security": [{"oauth2": ["read"], "basic": []}]},
            "GET /things: unknown security scheme basic (known: oauth2)",
            id="an undeclared scheme beside oauth2",
        ),
        pytest.param(
            {"security": [{"oauth2": "read"}]},
            "GET /things: oauth2's scopes must be a list of strings",
            id="scopes not a list",
        ),
    ],
)
def test_an_operation_that_would_be_left_open_or_unreadable_is_an_error_naming_it(
    operation: dict[str, Any], message: str
) -> None:
    document = _document(get=operation)
    document["security"] = [{"oauth2": []}]  # a top-level requirement does not stand in for the operation's

    with pytest.raises(RouteTableError) as raised:
        route_table(document)

    assert str(raised.value) == message


def test_a_document_without_an_oauth2_scheme_is_refused() -> None:
    document = _document(get={"security": [{"key": []}]})
    del document["components"]["securitySchemes"]["oauth2"]

    with pytest.raises(RouteTableError, match=r"^components.securitySchemes has no oauth2 or openIdConnect"):
        route_table(document)


def test_a_swagger_2_document_is_refused() -> None:
    with pytest.raises(RouteTableError, match=r"^not an OpenAPI 3 document"):
        route_table({"swagger": "2.0", "paths": {}})


def test_the_command_prints_the_table_and_fails_with_one_line_naming_the_operation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_document(get={"security": [{"oauth2": ["read"]}]})), encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_document(get={"operationId": "listThings"})), encoding="utf-8")

    assert main([str(good)]) == 0
    assert capsys.readouterr().out == '{"GET /things": ["read"]}\n'
    with pytest.raises(SystemExit) as exited:
        main([str(bad)])
    assert exited.value.code == 2
    assert capsys.readouterr().err == (
        f"python -m devstack.route_table: error: {bad}: GET /things (operationId listThings): "
        "no security entry (the route would be open); add one, e.g. oauth2: []\n"
    )


def test_the_command_writes_the_table_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "routes.json"

    assert main([str(ROOT / "openapi.yaml"), "--output", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8")) == route_scopes()


def test_the_attaching_pages_route_table_commands_print_the_tables_the_templates_hold() -> None:
    # GIVEN the commands of docs/attaching.md's "route table from OpenAPI" block, as written
    (block,) = [b for b in command_blocks(ROOT / "docs" / "attaching.md") if "make route-table" in b.text]
    lines = [line.split("#", 1)[0].strip() for line in block.text.splitlines() if line.strip()]
    assert lines == ["make route-table", "make route-table OPENAPI=examples/http-api/openapi.yaml"]
    # WHEN each runs, as in a user's shell (not inside `make test`'s make, whose MAKEFLAGS would make the
    # inner make print "Entering directory" lines)
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MAKELEVEL", "MFLAGS"}}
    printed = [
        subprocess.run(
            shlex.split(line), cwd=ROOT, env=env, capture_output=True, text=True, check=True
        ).stdout
        for line in lines
    ]
    # THEN the first prints exactly template.yaml's RouteScopes, the second the example's route_scopes.json
    assert json.loads(printed[0]) == route_scopes()
    assert printed[1] == (ROOT / "examples" / "http-api" / "route_scopes.json").read_text(encoding="utf-8")
