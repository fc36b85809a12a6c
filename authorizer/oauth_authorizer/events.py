"""The three authorizer event shapes (REST TOKEN, REST REQUEST, HTTP API 2.0), read into one request.

Read by hand rather than with Powertools' event data classes: importing any of them imports the whole
`data_classes` package (every event type of every AWS service), about a quarter of this function's
cold start, to read three or four fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, NamedTuple

from oauth_authorizer.errors import BadEvent

_AUTHORIZATION = "authorization"


class EventKind(StrEnum):
    """Which API Gateway authorizer payload arrived."""

    REST_TOKEN = "rest_token"  # noqa: S105 - an event kind, not a secret
    REST_REQUEST = "rest_request"
    HTTP_V2 = "http_v2"


class AuthorizationRequest(NamedTuple):
    """What the decision needs from an event (the logic never sees the event itself)."""

    kind: EventKind
    authorization: str | None
    arn: str
    route_key: str | None
    request_id: str | None


def read_event(event: Mapping[str, Any]) -> AuthorizationRequest:
    if type(event) is not dict and not isinstance(event, Mapping):  # Lambda's events are dicts
        raise BadEvent("the event is not a JSON object")
    kind = event.get("type")
    if kind == "TOKEN":  # the most common shape first, positional: this runs on every request
        token = event.get("authorizationToken")
        arn = event.get("methodArn")
        if type(arn) is not str:
            arn = _required_text(event, "methodArn")
        return AuthorizationRequest(
            EventKind.REST_TOKEN, token if type(token) is str else None, arn, None, None
        )
    if event.get("version") == "2.0" and "routeArn" in event:
        route_key = event.get("routeKey")
        return AuthorizationRequest(
            kind=EventKind.HTTP_V2,
            authorization=_authorization(event.get("headers"), None),
            arn=_required_text(event, "routeArn"),
            route_key=route_key if isinstance(route_key, str) and route_key else None,
            request_id=_request_id(event.get("requestContext")),
        )
    if kind == "REQUEST" and "methodArn" in event:
        resource, method = event.get("resource"), event.get("httpMethod")
        return AuthorizationRequest(
            kind=EventKind.REST_REQUEST,
            authorization=_authorization(event.get("headers"), event.get("multiValueHeaders")),
            arn=_required_text(event, "methodArn"),
            route_key=f"{method} {resource}"
            if isinstance(resource, str) and isinstance(method, str)
            else None,
            request_id=_request_id(event.get("requestContext")),
        )
    raise BadEvent("not a TOKEN, REQUEST or HTTP API 2.0 authorizer event")


def _authorization(headers: object, multi_value_headers: object) -> str | None:
    """The Authorization header, its name in any letter case (RFC 9110 §5.1).

    Two Authorization headers are refused rather than one picked: RFC 6750 §2 allows one method of
    sending the token, and whichever we picked may not be the one the API later reads.
    """
    values = [value for name, value in _items(headers) if name.lower() == _AUTHORIZATION]
    sent = sum(
        len(multi) if isinstance(multi, list) else 1
        for name, multi in _items(multi_value_headers)
        if name.lower() == _AUTHORIZATION
    )
    if len(values) > 1 or sent > 1:
        raise BadEvent("the request has more than one Authorization header")
    return _optional_text(values[0]) if values else None


def _items(headers: object) -> list[tuple[str, object]]:
    if not isinstance(headers, Mapping):
        return []
    return [(name, value) for name, value in headers.items() if isinstance(name, str)]


def _request_id(context: object) -> str | None:
    if isinstance(context, Mapping):
        return _optional_text(context.get("requestId"))
    return None


def _required_text(event: Mapping[str, Any], field: str) -> str:
    value = event.get(field)
    if value is None:
        raise BadEvent(f"the event lacks '{field}'")
    if not isinstance(value, str):
        raise BadEvent(f"the event's '{field}' is not a string")
    return value


def _optional_text(value: object) -> str | None:
    return value if isinstance(value, str) else None
