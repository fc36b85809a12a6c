"""Read template.yaml, the single source of truth for the table schema and the route table.

The authorizer is a SAM application of its own (authorizer_app/template.yaml), nested by template.yaml
with a local Location: a resource is looked up in the template first, then in its nested applications.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from samcli.yamlhelper import yaml_parse

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = ROOT / "template.yaml"
AUTHORIZER_APP_PATH = ROOT / "authorizer_app" / "template.yaml"
APPLICATION_TYPE = "AWS::Serverless::Application"


@cache
def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The template as a dict; CloudFormation short tags (!Ref, !Sub, …) become their long forms."""
    parsed: dict[str, Any] = yaml_parse(path.read_text(encoding="utf-8"))
    return parsed


def nested_applications(path: Path = TEMPLATE_PATH) -> dict[str, Path]:
    """The template's AWS::Serverless::Application resources with a local Location, by logical id."""
    found: dict[str, Path] = {}
    for logical_id, resource in (load_template(path).get("Resources") or {}).items():
        location = (resource.get("Properties") or {}).get("Location")
        if resource.get("Type") == APPLICATION_TYPE and isinstance(location, str) and "://" not in location:
            found[logical_id] = (path.parent / location).resolve()
    return found


def resource_properties(logical_id: str, path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """A resource's Properties, from the template or (when it has none of that id) a nested application."""
    resources = load_template(path)["Resources"]
    if logical_id in resources:
        props: dict[str, Any] = resources[logical_id]["Properties"]
        return props
    for nested in nested_applications(path).values():
        try:
            return resource_properties(logical_id, nested)
        except KeyError:
            continue
    raise KeyError(f"no resource {logical_id} in {path} or its nested applications")


def table_definition(logical_id: str = "ItemsTable", path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """CreateTable arguments for a table of the template (ItemsTable, IdempotencyTable), keys as defined."""
    props = resource_properties(logical_id, path)
    return {
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props["BillingMode"],
    }


def time_to_live(logical_id: str, path: Path = TEMPLATE_PATH) -> dict[str, Any] | None:
    """UpdateTimeToLive's specification for a table of the template, or None when it has no TTL."""
    spec: dict[str, Any] | None = resource_properties(logical_id, path).get("TimeToLiveSpecification")
    return spec


def authorizer_application(path: Path = TEMPLATE_PATH) -> str:
    """The logical id of the template's nested authorizer application (Location authorizer_app/...)."""
    names = [name for name, nested in nested_applications(path).items() if nested == AUTHORIZER_APP_PATH]
    if len(names) != 1:
        raise KeyError(f"{path} nests the authorizer application {len(names)} times (expected once)")
    return names[0]


def route_scopes(path: Path = TEMPLATE_PATH) -> dict[str, list[str]]:
    """The ROUTE_SCOPES table: the RouteScopes parameter the template gives its authorizer application."""
    application = resource_properties(authorizer_application(path), path)
    table: dict[str, list[str]] = json.loads(application["Parameters"]["RouteScopes"])
    return table
