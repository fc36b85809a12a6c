"""Read template.yaml, the single source of truth for the table schema and the route table."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from samcli.yamlhelper import yaml_parse

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = ROOT / "template.yaml"


@cache
def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The template as a dict; CloudFormation short tags (!Ref, !Sub, …) become their long forms."""
    parsed: dict[str, Any] = yaml_parse(path.read_text(encoding="utf-8"))
    return parsed


def resource_properties(logical_id: str, path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    props: dict[str, Any] = load_template(path)["Resources"][logical_id]["Properties"]
    return props


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


def route_scopes(path: Path = TEMPLATE_PATH) -> dict[str, list[str]]:
    """The ROUTE_SCOPES table, parsed from the authorizer's environment."""
    env = resource_properties("AuthorizerFunction", path)["Environment"]["Variables"]
    table: dict[str, list[str]] = json.loads(env["ROUTE_SCOPES"])
    return table
