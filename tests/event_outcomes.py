"""What each file in events/ must give, shared by the Docker-free twin's tests (tests/e2e) and the real
`sam local` ones (tests/docker): the authorizer's policy per token case, the API's answer per event."""

from __future__ import annotations

import json
from typing import Any

from devstack.make_events import API_ID, ITEM_ID
from devstack.template import route_scopes

AUTHORIZER_KINDS = ("token", "request", "httpv2")
TOKEN_CASES = ("valid", "expired", "missing-scope")
ALL_SCOPES = {"read:items", "write:items", "delete:items"}
# The scopes of each non-expired token case.
CASE_SCOPES = {"valid": ALL_SCOPES, "missing-scope": {"write:items"}}
IDENTITY = {
    "iss": "https://issuer.devstack.invalid/",
    "sub": "dev-admin@clients",
    "scopes": ["delete:items", "read:items", "write:items"],
    "client_id": "dev-admin",
}
# The API events in the order they run against one fresh table (the list comes before the create).
API_OUTCOMES: list[tuple[str, int, Any]] = [
    ("api-get-me.json", 200, IDENTITY),
    ("api-list-items.json", 200, {"items": [], "next": None}),
    ("api-create-item.json", 201, None),  # body checked field by field: the id is new each time
    ("api-get-item.json", 404, {"message": "Item not found"}),
    ("api-delete-item.json", 404, {"message": "Item not found"}),
    ("api-create-item-bad-body.json", 400, {"message": "Request body is not valid JSON"}),
]


def authorizer_events() -> list[str]:
    return [f"authorizer-{kind}-{case}.json" for kind in AUTHORIZER_KINDS for case in TOKEN_CASES]


def arn_prefix(kind: str) -> str:
    stage = "$default" if kind == "httpv2" else "v1"
    return f"arn:aws:execute-api:us-east-1:123456789012:{API_ID}/{stage}"


def expected_resources(kind: str, scopes: set[str]) -> set[str]:
    """The ARNs of every route of template.yaml the scopes permit, {id} as a wildcard."""
    resources = set()
    for route, needed in route_scopes().items():
        method, path = route.split(" ", 1)
        if set(needed) <= scopes:
            resources.add(f"{arn_prefix(kind)}/{method}{path.replace('{id}', '*')}")
    return resources


def allowed_resources(answer: dict[str, Any]) -> set[str]:
    resources: set[str] = set()
    for statement in answer["policyDocument"]["Statement"]:
        if statement["Effect"] == "Allow":
            listed = statement["Resource"]
            resources.update(listed if isinstance(listed, list) else [listed])
    return resources


def event_arn(event: dict[str, Any]) -> str:
    arn: str = event.get("methodArn") or event["routeArn"]
    return arn


def assert_api_answer(
    name: str, event: dict[str, Any], answer: dict[str, Any], status: int, body: Any
) -> None:
    """The API's answer to an events/api-*.json event is the one API_OUTCOMES gives it."""
    assert answer.get("statusCode") == status, (name, answer)
    if body is not None:
        assert json.loads(answer["body"]) == body, name
    else:
        created = json.loads(answer["body"])
        sent = json.loads(event["body"])
        assert {k: created[k] for k in sent} == sent, name
        assert created["id"] != ITEM_ID, name
