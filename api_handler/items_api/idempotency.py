"""POST /items that is safe to retry: the Idempotency-Key header (draft-ietf-httpapi-idempotency-key-header).

Powertools' Idempotency utility keeps each key's first answer in its own DynamoDB table for 24 h:
  * the same key with the same body returns the stored answer (status, body, Location), creating nothing;
  * the same key with another body is 422 (IdempotencyKeyReused);
  * a key whose first request is still running is 409 (IdempotencyKeyInProgress).
The record's key is the hash of (owner, key), the owner being the caller's (iss, sub): one caller can never
reach another caller's answer, whatever key they send.

Belt and braces for the answered-but-stored case (DynamoDB stored the item, but its answer was lost, and
Powertools' in-progress record is deleted on the error): the item's id is derived from (owner, key), and the
store never writes over an existing id. A retry then finds the first item instead of making a second one.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from items_api.errors import BadRequest, IdempotencyKeyInProgress, IdempotencyKeyReused, StoreError
from items_api.store import store_error

# Powertools' Idempotency utility is imported by the first POST with an Idempotency-Key, not at cold start:
# it imports boto3 (its DynamoDB persistence layer), which no other route needs before its first call.

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from mypy_boto3_dynamodb.client import DynamoDBClient

HEADER: Final = "Idempotency-Key"
# The draft makes the key a Structured Field String; we accept its printable-ASCII content, quoted or not
# (clients commonly send a bare UUID), up to 255 characters.
_KEY: Final = re.compile(r'"?([\x21\x23-\x5b\x5d-\x7e][\x20\x21\x23-\x5b\x5d-\x7e]{0,254})"?')
EXPIRES_AFTER_SECONDS: Final = 24 * 3600
# Namespace of the ids derived from (owner, key); fixed forever, or retries across a deploy would differ.
ITEM_ID_NAMESPACE: Final = uuid.UUID("6f1c4f0e-3b7a-5d2e-9c41-8a0b7d5e2f13")

Answer = dict[str, Any]


def idempotency_key(headers: Mapping[str, str]) -> str | None:
    """The request's Idempotency-Key (None without one); BadRequest when it is malformed."""
    raw = next((value for name, value in headers.items() if name.lower() == HEADER.lower()), None)
    if raw is None:
        return None
    match = _KEY.fullmatch(raw.strip())
    if match is None:
        raise BadRequest("Idempotency-Key must be 1 to 255 printable ASCII characters")
    return match.group(1)


def item_id_for(owner: str, key: str) -> str:
    """The id of the item that (owner, key) creates: the same on every retry, distinct across owners."""
    return str(uuid.uuid5(ITEM_ID_NAMESPACE, json.dumps([owner, key])))


def config(context: LambdaContext) -> IdempotencyConfig:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig  # noqa: PLC0415

    idempotency = IdempotencyConfig(
        event_key_jmespath="[owner, key]",
        payload_validation_jmespath="request",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=EXPIRES_AFTER_SECONDS,
    )
    # An in-progress record expires with the invocation, so a crashed first attempt blocks no retry for long.
    idempotency.register_lambda_context(context)
    return idempotency


def once_per_key(  # noqa: PLR0917 - one call site, every argument a distinct role
    client: DynamoDBClient,
    table_name: str,
    context: LambdaContext,
    owner: str,
    key: str,
    request: Mapping[str, Any],
    create: Callable[[], Answer],
) -> Answer:
    """`create()`'s answer for (owner, key): computed the first time, replayed after.

    `request` is what must be equal on a retry (the validated body); `create` makes the item and returns the
    answer to store (JSON-serialisable: status, body, location).
    """
    from aws_lambda_powertools.utilities.idempotency import (  # noqa: PLC0415
        DynamoDBPersistenceLayer,
        idempotent_function,
    )
    from aws_lambda_powertools.utilities.idempotency.exceptions import (  # noqa: PLC0415
        IdempotencyAlreadyInProgressError,
        IdempotencyPersistenceLayerError,
        IdempotencyValidationError,
    )

    persistence = DynamoDBPersistenceLayer(table_name=table_name, boto3_client=client)

    def create_once(data: dict[str, Any]) -> Answer:
        return create()

    once = idempotent_function(
        create_once, data_keyword_argument="data", persistence_store=persistence, config=config(context)
    )

    try:
        answer: Answer = once(data={"owner": owner, "key": key, "request": dict(request)})
    except IdempotencyValidationError as exc:
        raise IdempotencyKeyReused from exc
    except IdempotencyAlreadyInProgressError as exc:
        raise IdempotencyKeyInProgress from exc
    except IdempotencyPersistenceLayerError as exc:
        # Powertools raises it from the botocore error (or DeadlineNear): 503 when DynamoDB did not answer.
        cause = exc.__cause__
        raise (
            store_error("Idempotency", cause)
            if isinstance(cause, Exception)
            else StoreError("Idempotency", "PersistenceLayer")
        ) from exc
    return answer
