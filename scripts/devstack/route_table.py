"""`python -m devstack.route_table OPENAPI` (`make route-table`): an OpenAPI 3 document → ROUTE_SCOPES.

Each operation's `security` requirement of the OAuth 2.0 scheme (an `oauth2` or `openIdConnect` entry of
`components.securitySchemes`) gives the scopes its route needs; `oauth2: []` needs a valid token and no
scope. The output is the JSON object the authorizer's ROUTE_SCOPES (the application's RouteScopes
parameter) takes, in the document's order.

Never silently open: an operation without its own `security` entry, an empty requirement (`{}`, which
OpenAPI reads as "anonymous allowed"), `security: []`, alternatives (ROUTE_SCOPES has no "or"), or a scheme
the command does not know is an error that names the operation. Hand-written: no maintained library maps
OpenAPI security requirements to an API Gateway route table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from samcli.yamlhelper import yaml_parse

# The HTTP methods an OpenAPI path item may hold (OpenAPI 3.0 and 3.1).
OPENAPI_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# The scheme types whose requirements list scopes (OpenAPI 3: "for other types, the array MUST be empty").
SCOPED_SCHEME_TYPES = frozenset({"oauth2", "openIdConnect"})


class RouteTableError(ValueError):
    """The document cannot be turned into a route table; the message names the operation."""


def _operation_name(route: str, operation: Mapping[str, Any]) -> str:
    operation_id = operation.get("operationId")
    return f"{route} (operationId {operation_id})" if isinstance(operation_id, str) else route


def oauth_schemes(document: Mapping[str, Any]) -> frozenset[str]:
    """The names of the document's OAuth 2.0 (and OpenID Connect) security schemes."""
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    if not isinstance(schemes, Mapping):
        raise RouteTableError("components.securitySchemes must be an object")
    found = frozenset(
        name
        for name, scheme in schemes.items()
        if isinstance(scheme, Mapping) and scheme.get("type") in SCOPED_SCHEME_TYPES
    )
    if not found:
        raise RouteTableError("components.securitySchemes has no oauth2 or openIdConnect scheme")
    return found


def operation_scopes(name: str, security: object, schemes: frozenset[str]) -> list[str]:
    """The scopes one operation needs: its single requirement of a known scheme, else RouteTableError."""
    if security is None:
        raise RouteTableError(
            f"{name}: no security entry (the route would be open); add one, e.g. oauth2: []"
        )
    if not isinstance(security, list) or not security:
        raise RouteTableError(f"{name}: security is empty (the route would be open)")
    if len(security) > 1:
        raise RouteTableError(f"{name}: {len(security)} alternative requirements; ROUTE_SCOPES has no 'or'")
    requirement = security[0]
    if not isinstance(requirement, Mapping) or not requirement:
        raise RouteTableError(
            f"{name}: an empty requirement {{}} (anonymous access; the route would be open)"
        )
    unknown = sorted(str(scheme) for scheme in requirement if scheme not in schemes)
    if unknown:
        raise RouteTableError(
            f"{name}: unknown security scheme {', '.join(unknown)} (known: {', '.join(sorted(schemes))})"
        )
    scopes: list[str] = []
    for scheme, listed in requirement.items():
        if not isinstance(listed, list) or not all(isinstance(s, str) and s for s in listed):
            raise RouteTableError(f"{name}: {scheme}'s scopes must be a list of strings")
        scopes.extend(s for s in listed if s not in scopes)
    return sorted(scopes)


def route_table(document: Mapping[str, Any]) -> dict[str, list[str]]:
    """ROUTE_SCOPES for every operation of the document, as {"METHOD /path": [scopes, sorted]}."""
    if not str(document.get("openapi", "")).startswith("3."):
        raise RouteTableError("not an OpenAPI 3 document (no openapi: 3.x)")
    schemes = oauth_schemes(document)
    paths = document.get("paths")
    if not isinstance(paths, Mapping) or not paths:
        raise RouteTableError("the document has no paths")
    table: dict[str, list[str]] = {}
    for path, item in paths.items():
        if not isinstance(item, Mapping):
            raise RouteTableError(f"paths.{path} must be an object")
        if "$ref" in item:
            raise RouteTableError(f"paths.{path}: a $ref path item is not supported; inline its operations")
        for method in OPENAPI_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            route = f"{method.upper()} {path}"
            name = _operation_name(route, operation)
            table[route] = operation_scopes(name, operation.get("security"), schemes)
    return table


def route_table_json(table: Mapping[str, Sequence[str]]) -> str:
    """The table as ROUTE_SCOPES' JSON: one route a line, as the templates write it."""
    lines = [f"{json.dumps(route)}: {json.dumps(list(scopes))}" for route, scopes in table.items()]
    return "{" + ",\n".join(lines) + "}"


def load_document(path: Path) -> dict[str, Any]:
    """A YAML or JSON OpenAPI document (CloudFormation-style YAML parsing, as the templates are read)."""
    parsed: Any = yaml_parse(path.read_text(encoding="utf-8"))
    if not isinstance(parsed, dict):
        raise RouteTableError(f"{path}: not an OpenAPI document (a mapping at the top)")
    return parsed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.route_table", description=__doc__.splitlines()[0]
    )
    parser.add_argument("openapi", type=Path, help="the OpenAPI 3 document (YAML or JSON)")
    parser.add_argument("-o", "--output", type=Path, help="write the JSON here (default: standard output)")
    args = parser.parse_args(argv)
    try:
        text = route_table_json(route_table(load_document(args.openapi)))
    except (OSError, RouteTableError) as error:
        parser.exit(2, f"{parser.prog}: error: {args.openapi}: {error}\n")
    if args.output is None:
        try:
            sys.stdout.write(text + "\n")
            sys.stdout.flush()
        except BrokenPipeError:  # `... | head`: the reader left; no traceback (Python's documented idiom)
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1
    else:
        args.output.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
