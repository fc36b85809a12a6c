"""The one error model of the items API: each error knows its HTTP status and its public message.

The public message is fixed per class, so an answer never carries an exception's own text, a stack trace
or a DynamoDB detail; `detail` is an optional, safe, caller-facing hint (e.g. which field is wrong).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import ClassVar

RETRY_AFTER_SECONDS = 1


class ItemsApiError(Exception):
    """Base class of every error the API answers with."""

    status: ClassVar[HTTPStatus] = HTTPStatus.INTERNAL_SERVER_ERROR
    public_message: ClassVar[str] = "Internal server error"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.public_message)
        self.detail = detail

    @property
    def message(self) -> str:
        """What the caller reads: the class's public message, or the safe detail when there is one."""
        return self.detail or self.public_message

    def headers(self) -> dict[str, str]:
        """Extra response headers this error calls for."""
        return {}


class Unauthenticated(ItemsApiError):
    """The request carries no usable caller identity from the authorizer."""

    status = HTTPStatus.UNAUTHORIZED
    public_message = "Unauthorized"

    def headers(self) -> dict[str, str]:
        # RFC 6750 §3, as the gateway's own 401 (the template's UNAUTHORIZED response).
        return {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class InsufficientScope(ItemsApiError):
    """The caller's token lacks a scope the route requires."""

    status = HTTPStatus.FORBIDDEN
    public_message = "Forbidden"

    def __init__(self, required: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.required = required

    def headers(self) -> dict[str, str]:
        # RFC 6750 §3: the gateway's 403 says insufficient_scope; the handler also knows which scopes the
        # route needs (scope names are printable ASCII without quotes or backslashes, RFC 6749 §3.3).
        challenge = 'Bearer error="insufficient_scope"'
        if self.required:
            challenge += f', scope="{" ".join(sorted(self.required))}"'
        return {"WWW-Authenticate": challenge}


class BadRequest(ItemsApiError):
    """The request is malformed: body, fields or query parameters."""

    status = HTTPStatus.BAD_REQUEST
    public_message = "Bad request"


class InvalidPageToken(BadRequest):
    """The `next` token was tampered with, is malformed, or belongs to another caller."""

    public_message = "Invalid next token"


class PayloadTooLarge(ItemsApiError):
    """The request body exceeds the size limit."""

    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    public_message = "Request body too large"


class IdempotencyKeyReused(ItemsApiError):
    """The Idempotency-Key was used before with a different body (draft-ietf-httpapi-idempotency-key)."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY
    public_message = "Idempotency-Key already used with a different request body"


class IdempotencyKeyInProgress(ItemsApiError):
    """A request with this Idempotency-Key is still being processed; the caller may retry later."""

    status = HTTPStatus.CONFLICT
    public_message = "A request with this Idempotency-Key is in progress, retry later"

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(RETRY_AFTER_SECONDS)}


class ItemNotFound(ItemsApiError):
    """No such item for this caller (whether it does not exist or belongs to someone else)."""

    status = HTTPStatus.NOT_FOUND
    public_message = "Item not found"


class StoreError(ItemsApiError):
    """The data store failed; the details go to the log, never to the caller."""

    status = HTTPStatus.INTERNAL_SERVER_ERROR
    public_message = "Internal server error"

    def __init__(self, operation: str, code: str) -> None:
        # Log-only context: the operation and DynamoDB's error code, never shown to the caller.
        super().__init__()
        self.operation = operation
        self.code = code


class StoreThrottled(StoreError):
    """DynamoDB throttled the request; the caller may retry later."""

    status = HTTPStatus.SERVICE_UNAVAILABLE
    public_message = "Service temporarily unavailable, retry later"

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(RETRY_AFTER_SECONDS)}


class StoreUnavailable(StoreError):
    """DynamoDB did not answer in time (or at all), or too little of the invocation is left for a call.

    The write may or may not have happened: a retry with the same Idempotency-Key tells which, safely.
    """

    status = HTTPStatus.SERVICE_UNAVAILABLE
    public_message = "Service temporarily unavailable, retry later"

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(RETRY_AFTER_SECONDS)}
