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


def table_definition(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """CreateTable arguments for the items table, exactly as the template defines its keys."""
    props = resource_properties("ItemsTable", path)
    return {
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props["BillingMode"],
    }


def route_scopes(path: Path = TEMPLATE_PATH) -> dict[str, list[str]]:
    """The ROUTE_SCOPES table, parsed from the authorizer's environment."""
    env = resource_properties("AuthorizerFunction", path)["Environment"]["Variables"]
    table: dict[str, list[str]] = json.loads(env["ROUTE_SCOPES"])
    return table
