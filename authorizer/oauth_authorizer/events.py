"""The three authorizer event shapes, read with Powertools' data classes into one plain request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerEventV2,
    APIGatewayAuthorizerRequestEvent,
    APIGatewayAuthorizerTokenEvent,
)

from oauth_authorizer.errors import BadEvent


class EventKind(StrEnum):
    """Which API Gateway authorizer payload arrived."""

    REST_TOKEN = "rest_token"  # noqa: S105 - an event kind, not a secret
    REST_REQUEST = "rest_request"
    HTTP_V2 = "http_v2"


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """What the decision needs from an event (the logic never sees the event itself)."""

    kind: EventKind
    authorization: str | None
    arn: str
    route_key: str | None
    request_id: str | None


def read_event(event: Mapping[str, Any]) -> AuthorizationRequest:
    if not isinstance(event, Mapping):
        raise BadEvent("the event is not a JSON object")
    try:
        if event.get("version") == "2.0" and "routeArn" in event:
            v2 = APIGatewayAuthorizerEventV2(dict(event))
            return AuthorizationRequest(
                kind=EventKind.HTTP_V2,
                authorization=_header(v2.get("headers"), v2),
                arn=_text(v2.route_arn),
                route_key=_text(v2.route_key) if v2.get("routeKey") else None,
                request_id=_request_id(v2.get("requestContext")),
            )
        if event.get("type") == "TOKEN":
            token_event = APIGatewayAuthorizerTokenEvent(dict(event))
            return AuthorizationRequest(
                kind=EventKind.REST_TOKEN,
                authorization=_optional_text(token_event.get("authorizationToken")),
                arn=_text(token_event.method_arn),
                route_key=None,
                request_id=None,
            )
        if event.get("type") == "REQUEST" and "methodArn" in event:
            request = APIGatewayAuthorizerRequestEvent(dict(event))
            resource, method = request.get("resource"), request.get("httpMethod")
            return AuthorizationRequest(
                kind=EventKind.REST_REQUEST,
                authorization=_header(request.get("headers"), request),
                arn=_text(request.method_arn),
                route_key=f"{method} {resource}"
                if isinstance(resource, str) and isinstance(method, str)
                else None,
                request_id=_request_id(request.get("requestContext")),
            )
    except KeyError as exc:
        raise BadEvent(f"the event lacks {exc}") from exc
    raise BadEvent("not a TOKEN, REQUEST or HTTP API 2.0 authorizer event")


def _header(
    raw_headers: object, event: APIGatewayAuthorizerEventV2 | APIGatewayAuthorizerRequestEvent
) -> str | None:
    # The data classes' `headers` is case-insensitive (HTTP header names are).
    if not isinstance(raw_headers, Mapping):
        return None
    return _optional_text(event.headers.get("authorization"))


def _request_id(context: object) -> str | None:
    if isinstance(context, Mapping):
        return _optional_text(context.get("requestId"))
    return None


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise BadEvent("a field of the event is not a string")
    return value


def _optional_text(value: object) -> str | None:
    return value if isinstance(value, str) else None
