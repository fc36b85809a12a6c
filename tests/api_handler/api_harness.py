"""Drive the API handler as API Gateway would: real-shaped REST (v1) and HTTP API (2.0) events, in process.

The events start from the JSON files under events/ and are adjusted per request (method, path, route,
query, body, authorizer context). The handler module is loaded by file path under a unique name, so it
never collides with the authorizer's app.py and each load is a fresh cold start.
"""

from __future__ import annotations

import base64
import copy
import io
import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Literal
from urllib.parse import urlencode

from lambda_loader import API_APP, LambdaContext, load_lambda_app

EVENTS_DIR = Path(__file__).resolve().parent / "events"
CLIENT_ID = "k3Yb7cQx9pL2mN8rT4vW"
ALL_SCOPES = ("read:items", "write:items", "delete:items")
ALLOWED_ORIGIN = "https://app.example.com"
ISSUER = "https://tenant.auth0.com/"
# The API's resources, as template.yaml declares them: what API Gateway puts in `resource` / `routeKey`.
RESOURCES = ("/me", "/items", "/items/{id}")

Shape = Literal["rest", "http"]


@dataclass(frozen=True)
class Caller:
    """A caller as the authorizer describes it."""

    sub: str
    scopes: tuple[str, ...] = ALL_SCOPES
    client_id: str = CLIENT_ID
    expires_at: int = 4102444800  # 2100-01-01
    iss: str = ISSUER

    def context(self) -> dict[str, Any]:
        """The authorizer's context entries (REST: flat in requestContext.authorizer)."""
        return {
            "sub": self.sub,
            "iss": self.iss,
            "scope": " ".join(self.scopes),
            "client_id": self.client_id,
            "exp": self.expires_at,
        }


ALICE = Caller("auth0|alice")
BOB = Caller("auth0|bob")


def api_context(remaining_millis: int = 10_000) -> LambdaContext:
    """The API function's context: its name and ARN, and `remaining_millis` of its 10 s timeout left."""
    return LambdaContext(
        function_name="items-api-ApiFunction-Tst",
        invoked_function_arn="arn:aws:lambda:eu-west-1:123456789012:function:items-api-ApiFunction-Tst",
        aws_request_id="52fdfc07-2182-154f-163f-5f0f9a621d72",
        remaining_millis=remaining_millis,
    )


@dataclass(frozen=True)
class HttpResponse:
    """A handler answer, whichever the payload format: status, headers (lower-case names) and body."""

    status: int
    headers: dict[str, str]
    raw_body: str
    is_base64_encoded: bool

    @property
    def json(self) -> Any:
        return json.loads(self.raw_body)


def load_event(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS_DIR / name).read_text(encoding="utf-8"))
    return loaded


def load_app() -> ModuleType:
    """Import api_handler/app.py afresh (a cold start) under a unique module name."""
    return load_lambda_app(API_APP, "items_api_app")


@contextmanager
def captured_log(app: ModuleType) -> Iterator[io.StringIO]:
    """Everything the handler's Powertools Logger writes during the block, formatted as in CloudWatch."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(app.logger.registered_formatter)
    app.logger.addHandler(handler)
    try:
        yield stream
    finally:
        app.logger.removeHandler(handler)


def _resource(path: str) -> tuple[str, dict[str, str] | None]:
    """The template resource a concrete path falls under, and its path parameters."""
    for resource in RESOURCES:
        pattern = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", resource) + "$"
        match = re.match(pattern, path)
        if match:
            return resource, (match.groupdict() or None)
    return "/{proxy+}", {"proxy": path.lstrip("/")}


_NO_CHANGE: Any = object()


@dataclass
class EventSpec:
    """One request, before it becomes a REST or an HTTP API event."""

    method: str
    path: str
    caller: Caller | None = ALICE
    authorizer_context: dict[str, Any] | None = field(default=_NO_CHANGE)
    query: dict[str, str] | None = None
    body: str | None = None
    is_base64_encoded: bool = False
    headers: dict[str, str] = field(default_factory=dict)

    def context(self) -> dict[str, Any] | None:
        if self.authorizer_context is not _NO_CHANGE:
            return self.authorizer_context
        return None if self.caller is None else self.caller.context()


def rest_event(spec: EventSpec) -> dict[str, Any]:
    """A REST API (v1) Lambda proxy event, from events/rest_v1_get_item.json."""
    event = load_event("rest_v1_get_item.json")
    resource, path_parameters = _resource(spec.path)
    headers = {**event["headers"], **spec.headers}
    event.update(
        resource=resource,
        path=spec.path,
        httpMethod=spec.method,
        headers=headers,
        multiValueHeaders={name: [value] for name, value in headers.items()},
        queryStringParameters=spec.query or None,
        multiValueQueryStringParameters={k: [v] for k, v in spec.query.items()} if spec.query else None,
        pathParameters=path_parameters,
        body=spec.body,
        isBase64Encoded=spec.is_base64_encoded,
    )
    request_context = event["requestContext"]
    request_context.update(resourcePath=resource, httpMethod=spec.method, path=f"/v1{spec.path}")
    context = spec.context()
    if context is None:
        del request_context["authorizer"]
    else:
        principal = {"principalId": context["sub"]} if "sub" in context else {}
        # REST APIs pass numeric context values to the integration as strings.
        exp = {"exp": str(context["exp"])} if isinstance(context.get("exp"), int) else {}
        request_context["authorizer"] = {**principal, **context, **exp, "integrationLatency": 12}
    return event


def http_event(spec: EventSpec) -> dict[str, Any]:
    """An HTTP API payload 2.0 event, from events/http_v2_get_item.json."""
    event = load_event("http_v2_get_item.json")
    resource, path_parameters = _resource(spec.path)
    route_key = f"{spec.method} {resource}" if resource in RESOURCES else "$default"
    event.update(
        routeKey=route_key,
        rawPath=spec.path,
        rawQueryString=urlencode(spec.query or {}),
        headers={**event["headers"], **{name.lower(): value for name, value in spec.headers.items()}},
        isBase64Encoded=spec.is_base64_encoded,
    )
    if spec.query:
        event["queryStringParameters"] = dict(spec.query)
    if path_parameters is not None:
        event["pathParameters"] = path_parameters
    if spec.body is not None:
        event["body"] = spec.body
    request_context = event["requestContext"]
    request_context["routeKey"] = route_key
    request_context["http"].update(method=spec.method, path=spec.path)
    context = spec.context()
    if context is None:
        del request_context["authorizer"]
    else:
        request_context["authorizer"] = {"lambda": context}
    return event


def to_response(raw: dict[str, Any]) -> HttpResponse:
    if "multiValueHeaders" in raw:
        headers = {name.lower(): ", ".join(values) for name, values in raw["multiValueHeaders"].items()}
    else:
        headers = {name.lower(): value for name, value in raw["headers"].items()}
    return HttpResponse(
        status=raw["statusCode"],
        headers=headers,
        raw_body=raw["body"],
        is_base64_encoded=raw["isBase64Encoded"],
    )


class ApiClient:
    """Calls the handler with REST or HTTP API events and returns normalised responses."""

    def __init__(self, app: ModuleType, shape: Shape) -> None:
        self.app = app
        self.shape = shape

    def event(self, spec: EventSpec) -> dict[str, Any]:
        return rest_event(spec) if self.shape == "rest" else http_event(spec)

    def invoke(self, event: dict[str, Any]) -> HttpResponse:
        raw: dict[str, Any] = self.app.lambda_handler(copy.deepcopy(event), api_context())
        return to_response(raw)

    def request(
        self,
        method: str,
        path: str,
        *,
        caller: Caller | None = ALICE,
        json_body: Any = _NO_CHANGE,
        body: str | None = None,
        base64_body: bytes | None = None,
        **options: Any,
    ) -> HttpResponse:
        is_base64 = False
        if json_body is not _NO_CHANGE:
            body = json.dumps(json_body)
        if base64_body is not None:
            body, is_base64 = base64.b64encode(base64_body).decode("ascii"), True
        spec = EventSpec(method, path, caller=caller, body=body, is_base64_encoded=is_base64, **options)
        return self.invoke(self.event(spec))

    def create(self, caller: Caller, name: str, description: str | None = None) -> dict[str, Any]:
        """POST /items that must succeed; the created item."""
        payload = {"name": name} if description is None else {"name": name, "description": description}
        response = self.request("POST", "/items", caller=caller, json_body=payload)
        assert response.status == 201, response
        created: dict[str, Any] = response.json
        return created
