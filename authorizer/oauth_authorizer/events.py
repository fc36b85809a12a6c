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
_DPOP = "dpop"


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
    # What a DPoP proof (RFC 9449 §4.3) and a certificate binding (RFC 8705 §3) are checked against;
    # a TOKEN event has none of them (API Gateway gives a TOKEN authorizer the Authorization header only).
    dpop_proofs: tuple[str, ...] = ()  # every DPoP header value sent (exactly one is valid)
    method: str | None = None
    domain_name: str | None = None  # requestContext.domainName: the host the client called
    path: str | None = None  # REST requestContext.path, HTTP API rawPath: the path the client called
    client_cert_pem: str | None = None  # mutual TLS: the certificate API Gateway verified


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
        context = _mapping(event.get("requestContext"))
        authorization, proofs = _credentials(event.get("headers"), None)
        return AuthorizationRequest(
            kind=EventKind.HTTP_V2,
            authorization=authorization,
            arn=_required_text(event, "routeArn"),
            route_key=route_key if isinstance(route_key, str) and route_key else None,
            request_id=_optional_text(context.get("requestId")),
            dpop_proofs=proofs,
            method=_optional_text(_mapping(context.get("http")).get("method")),
            domain_name=_optional_text(context.get("domainName")),
            path=_optional_text(event.get("rawPath")),
            client_cert_pem=_client_cert(context.get("authentication")),
        )
    if kind == "REQUEST" and "methodArn" in event:
        resource, method = event.get("resource"), event.get("httpMethod")
        context = _mapping(event.get("requestContext"))
        authorization, proofs = _credentials(event.get("headers"), event.get("multiValueHeaders"))
        return AuthorizationRequest(
            kind=EventKind.REST_REQUEST,
            authorization=authorization,
            arn=_required_text(event, "methodArn"),
            route_key=f"{method} {resource}"
            if isinstance(resource, str) and isinstance(method, str)
            else None,
            request_id=_optional_text(context.get("requestId")),
            dpop_proofs=proofs,
            method=_optional_text(method),
            domain_name=_optional_text(context.get("domainName")),
            path=_optional_text(context.get("path")),
            client_cert_pem=_client_cert(context.get("identity")),
        )
    raise BadEvent("not a TOKEN, REQUEST or HTTP API 2.0 authorizer event")


def _credentials(headers: object, multi_value_headers: object) -> tuple[str | None, tuple[str, ...]]:
    """The Authorization header and every DPoP header, their names in any letter case (RFC 9110 §5.1).

    Two Authorization headers are refused rather than one picked: RFC 6750 §2 allows one method of
    sending the token, and whichever we picked may not be the one the API later reads. Every DPoP value is
    kept, so that more than one is refused where a proof is checked (RFC 9449 §4.3, check 1): REST's
    `headers` holds the last of repeated headers and `multiValueHeaders` all of them; HTTP API joins
    repeated headers with commas (which no compact JWS holds).
    """
    authorization: list[object] = []
    proofs: list[str] = []
    for name, value in _items(headers):
        lowered = name.lower()
        if lowered == _AUTHORIZATION:
            authorization.append(value)
        elif lowered == _DPOP and isinstance(value, str):
            proofs.extend(part.strip(" \t") for part in value.split(","))  # RFC 9110 §5.5: OWS
    sent = 0
    multi_proofs: list[str] = []
    for name, multi in _items(multi_value_headers):
        lowered = name.lower()
        if lowered == _AUTHORIZATION:
            sent += len(multi) if isinstance(multi, list) else 1
        elif lowered == _DPOP and isinstance(multi, list):
            multi_proofs.extend(value.strip(" \t") for value in multi if isinstance(value, str))
    if len(authorization) > 1 or sent > 1:
        raise BadEvent("the request has more than one Authorization header")
    if len(multi_proofs) > len(proofs):
        proofs = multi_proofs
    return (_optional_text(authorization[0]) if authorization else None), tuple(proofs)


def _client_cert(identity: object) -> str | None:
    """The PEM of the client certificate API Gateway verified with mutual TLS (REST
    requestContext.identity.clientCert, HTTP API requestContext.authentication.clientCert)."""
    return _optional_text(_mapping(_mapping(identity).get("clientCert")).get("clientCertPem"))


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _items(headers: object) -> list[tuple[str, object]]:
    if not isinstance(headers, Mapping):
        return []
    return [(name, value) for name, value in headers.items() if isinstance(name, str)]


def _required_text(event: Mapping[str, Any], field: str) -> str:
    value = event.get(field)
    if value is None:
        raise BadEvent(f"the event lacks '{field}'")
    if not isinstance(value, str):
        raise BadEvent(f"the event's '{field}' is not a string")
    return value


def _optional_text(value: object) -> str | None:
    return value if isinstance(value, str) else None
