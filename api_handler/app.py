"""API handler Lambda: each caller's own items, behind the OAuth 2.0 authorizer.

Thin by design: a route reads the request, calls one function of `items_api`, and answers. REST API (v1)
proxy events and HTTP API payload 2.0 events share the same routes, registered on one resolver of each kind.
"""

# ruff: noqa: E402 - the Powertools imports follow defer_package_inits() on purpose (below)
from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from items_api.lazy_packages import defer_package_inits

# Before the first Powertools import: three package inits this function does not need run on first use.
defer_package_inits()

from aws_lambda_powertools.event_handler import content_types
from aws_lambda_powertools.event_handler.api_gateway import (
    APIGatewayHttpResolver,
    ApiGatewayResolver,
    APIGatewayRestResolver,
    CORSConfig,
    Response,
)
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import Logger, correlation_paths
from aws_lambda_powertools.metrics import Metrics, MetricUnit
from aws_lambda_powertools.utilities.data_classes.api_gateway_proxy_event import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from items_api import idempotency, items
from items_api.deadline import Deadline
from items_api.errors import BadRequest, ItemsApiError, StoreError, StoreUnavailable
from items_api.identity import Caller, caller_from_authorizer_context
from items_api.page_token_key import page_token_key
from items_api.pagination import page_query, parse_limit
from items_api.scopes import ROUTE_SCOPES, require_scopes
from items_api.settings import load_settings
from items_api.snapstart import register as register_snapstart_hook
from items_api.store import DynamoDBClients, ItemStore
from items_api.validation import body_bytes, new_item_from_body, parse_json_object

logger = Logger()
metrics = Metrics()

# Cold start: configuration and the DynamoDB client, once per execution environment.
settings = load_settings(os.environ)
# Each invocation's calls run under its deadline (`store.within`): clients are sized from the time left.
store = ItemStore(DynamoDBClients(settings.dynamodb_endpoint_url), settings.table_name)
# Where each listing gets its HMAC key (in AWS: Secrets Manager, read on first use and cached)
page_token_key_source = page_token_key(settings)
# Only run with SnapStart: after a restore, the random state drawn at init is drawn anew.
SNAPSTART_HOOK = register_snapstart_hook(page_token_key_source)
cors = CORSConfig(
    allow_origin=settings.cors_allow_origin,
    allow_headers=["Authorization", "Content-Type", idempotency.HEADER],
    expose_headers=["Location", "Retry-After"],
    max_age=600,
)


# ---- Revocation (docs/revocation.md): the list is read on the first request, then every few seconds.
def _on_revocation_list(event: str, detail: str) -> None:
    # token_revocation.cache.ListEvent: read, read_failed, serving_stale.
    if event == "read":
        logger.info("revocation list read", extra={"revocation_list": detail})
        return
    logger.warning(f"revocation list {event}", extra={"revocation_list": detail})
    metrics.add_metric(name=f"RevocationList_{event}", unit=MetricUnit.Count, value=1)


def _on_revoked(kind: str) -> None:
    logger.warning("unauthorized", extra={"reason": "revoked", "revoked_by": kind})
    metrics.add_metric(name="Revoked", unit=MetricUnit.Count, value=1)


revocation_guard = None
if settings.revocation is not None:  # the revocation layer's modules: only when revocation is on
    from items_api.revocation import RevocationGuard

    revocation_guard = RevocationGuard.from_settings(settings.revocation, _on_revocation_list, _on_revoked)


def check_not_revoked(caller: Caller) -> None:
    """Revoked (401) for a covered token, StoreUnavailable (503) while no list was read; off: nothing."""
    if revocation_guard is not None:
        revocation_guard.check(caller)


# ---- end of revocation

if settings.page_token_key_is_ephemeral:
    logger.debug("PAGE_TOKEN_KEY unset: next tokens are valid in this execution environment only")

JsonResponse = Response[Any]


@dataclass(frozen=True)
class Request:
    """What a route gets: the event, the scope-checked caller, the path parameters, the store for this call.

    `store` is bounded by the invocation's deadline (the Lambda context's remaining time minus a margin).
    """

    event: BaseProxyEvent
    caller: Caller
    params: Mapping[str, str]
    store: ItemStore
    context: LambdaContext


def _json(status: int, body: Any, headers: Mapping[str, str] | None = None) -> JsonResponse:
    # Every answer, 204 included, says it is JSON; an empty string keeps a 204 without a body.
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers
    )


def _authorizer_context(event: BaseProxyEvent) -> Mapping[str, Any]:
    # REST: requestContext.authorizer; HTTP API 2.0: requestContext.authorizer.lambda.
    if isinstance(event, APIGatewayProxyEventV2):
        return event.request_context.authorizer.get_context()
    authorizer = (event.get("requestContext") or {}).get("authorizer")
    return authorizer if isinstance(authorizer, Mapping) else {}


def authenticated_caller(event: BaseProxyEvent) -> Caller:
    """The caller the authorizer let through (401 without one), unless revoked since: API Gateway may
    serve a cached Allow for the whole cache TTL, so the revocation list is checked on every request."""
    caller = caller_from_authorizer_context(_authorizer_context(event), leeway=settings.leeway_seconds)
    check_not_revoked(caller)
    return caller


def _request_path(event: BaseProxyEvent) -> str:
    # The path as the client sent it, with the stage or custom-domain base path, for the Location header.
    if isinstance(event, APIGatewayProxyEventV2):
        return event.raw_path
    path = (event.get("requestContext") or {}).get("path")
    return path if isinstance(path, str) and path else event.path


def _powertools_rule(path: str) -> str:
    """Template path syntax (/items/{id}) to Powertools' (/items/<id>)."""
    return re.sub(r"\{(\w+)\}", r"<\1>", path)


def build_resolver(resolver: ApiGatewayResolver) -> ApiGatewayResolver:
    """Register the routes, the error mapping and the 404 answer on a resolver."""

    def protected(route_key: str) -> Callable[[Callable[[Request], JsonResponse]], None]:
        """Register a route under its ROUTE_SCOPES key; identity (401) and scopes (403) come first."""
        method, path = route_key.split(" ", 1)
        if route_key not in ROUTE_SCOPES:
            raise LookupError(f"route {route_key!r} has no entry in ROUTE_SCOPES")

        def register(func: Callable[[Request], JsonResponse]) -> None:
            @functools.wraps(func)
            def route(**params: str) -> JsonResponse:
                event = resolver.current_event
                caller = authenticated_caller(event)
                require_scopes(caller, route_key)
                context: LambdaContext = resolver.lambda_context
                deadline = Deadline.from_remaining_millis(context.get_remaining_time_in_millis())
                bounded = store.within(deadline)
                return func(Request(event, caller, params, bounded, context))

            resolver.route(_powertools_rule(path), method)(route)

        return register

    @protected("GET /me")
    def get_me(request: Request) -> JsonResponse:
        return _json(HTTPStatus.OK, items.me_view(request.caller))

    @protected("GET /items")
    def list_items(request: Request) -> JsonResponse:
        query = page_query(request.event.resolved_query_string_parameters)
        page = items.list_items(
            request.store,
            page_token_key_source(),
            request.caller.owner,
            parse_limit(query),
            query.get("next"),
        )
        return _json(HTTPStatus.OK, page)

    @protected("POST /items")
    def create_item(request: Request) -> JsonResponse:
        event = request.event
        key = idempotency.idempotency_key(event.headers)
        body = parse_json_object(body_bytes(event.body, bool(event.is_base64_encoded)))
        new = new_item_from_body(body)
        owner = request.caller.owner

        def create(new_id: Callable[[], str] = items.new_item_id) -> dict[str, Any]:
            item = items.create_item(request.store, owner, new, new_id=new_id)
            location = f"{_request_path(event).rstrip('/')}/{item.id}"
            return {"status": HTTPStatus.CREATED, "body": items.item_view(item), "location": location}

        if key is None:
            answer = create()
        elif settings.idempotency_table_name is None:
            raise BadRequest("Idempotency-Key is not supported here: IDEMPOTENCY_TABLE_NAME is not set")
        else:
            item_id = idempotency.item_id_for(owner, key)
            answer = idempotency.once_per_key(
                request.store.deadline_client("Idempotency"),
                settings.idempotency_table_name,
                request.context,
                owner,
                key,
                {"name": new.name, "description": new.description},
                lambda: create(lambda: item_id),
            )
        return _json(answer["status"], answer["body"], {"Location": answer["location"]})

    @protected("GET /items/{id}")
    def get_item(request: Request) -> JsonResponse:
        item = items.get_item(request.store, request.caller.owner, request.params["id"])
        return _json(HTTPStatus.OK, items.item_view(item))

    @protected("DELETE /items/{id}")
    def delete_item(request: Request) -> JsonResponse:
        items.delete_item(request.store, request.caller.owner, request.params["id"])
        return _json(HTTPStatus.NO_CONTENT, "")

    def api_error(exc: ItemsApiError) -> JsonResponse:
        if isinstance(exc, StoreUnavailable):
            # No answer from DynamoDB in time (or too little time left for a call): 503 + Retry-After,
            # answered before the function's timeout. Logged as a warning: the caller is told to retry.
            logger.warning(
                "DynamoDB unavailable: answered 503 with Retry-After",
                extra={"operation": exc.operation, "error_code": exc.code},
                exc_info=exc,
            )
        elif isinstance(exc, StoreError):
            # Details (operation, DynamoDB's code, the cause's traceback) go to the log with the correlation
            # id; the caller only gets the fixed public message.
            logger.exception(
                "DynamoDB call failed", extra={"operation": exc.operation, "error_code": exc.code}
            )
        return _json(exc.status, {"message": exc.message}, exc.headers())

    def unexpected_error(exc: Exception) -> JsonResponse:
        # Last resort, so that even a bug answers JSON without a stack trace; the trace goes to the log.
        logger.exception("Unexpected error", extra={"error_type": type(exc).__name__})
        return _json(HTTPStatus.INTERNAL_SERVER_ERROR, {"message": "Internal server error"})

    def not_found(_: NotFoundError) -> JsonResponse:
        return _json(HTTPStatus.NOT_FOUND, {"message": "Not found"})

    resolver.exception_handler(ItemsApiError)(api_error)
    resolver.exception_handler(Exception)(unexpected_error)
    resolver.not_found(not_found)
    return resolver


rest_api = build_resolver(APIGatewayRestResolver(cors=cors))
http_api = build_resolver(APIGatewayHttpResolver(cors=cors))


def route_label(event: Mapping[str, Any]) -> str:
    """The API Gateway route of an event, for metrics: a ROUTE_SCOPES key, or "unmatched"."""
    if event.get("version") == "2.0":
        label = str(event.get("routeKey"))
    else:
        label = f"{event.get('httpMethod')} {event.get('resource')}"
    return label if label in ROUTE_SCOPES else "unmatched"


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    resolver = http_api if event.get("version") == "2.0" else rest_api
    response = resolver.resolve(event, context)
    route, status = route_label(event), int(response["statusCode"])
    metrics.add_dimension(name="route", value=route)
    metrics.add_dimension(name="status", value=str(status))
    metrics.add_metric(name="Requests", unit=MetricUnit.Count, value=1)
    logger.info("Request handled", extra={"route": route, "status": status})
    return response
