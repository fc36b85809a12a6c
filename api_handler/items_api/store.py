"""The data layer: the items table on DynamoDB, through boto3.

Every item lives in its owner's partition (partition key `owner`, sort key `id`), and every call here takes
the owner explicitly, so no code path can read, list or delete across owners. boto3's ClientError and
BotoCoreError become StoreError / StoreThrottled / StoreUnavailable; nothing above this module sees botocore.

Every call runs under the invocation's Deadline (items_api/deadline.py): its client's retries and timeouts
are sized from the time left, and no call starts when too little is left (DeadlineNear).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, cast

from items_api.deadline import CallBudget, Deadline, DeadlineNear
from items_api.errors import StoreError, StoreThrottled, StoreUnavailable

# boto3 and botocore are imported on the first DynamoDB call, not at cold start: together they are most of
# what importing this function cost, and a request that reads no item (GET /me, a 400, a 401) needs neither.
# Every name below that needs botocore runs only once a client exists (a call failed), so botocore is
# imported by then.

if TYPE_CHECKING:  # boto3-stubs is a development dependency only
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, QueryInputTypeDef

THROTTLING_CODES: Final = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)


def unavailable_errors() -> tuple[type[Exception], ...]:
    """botocore's errors for no answer from DynamoDB in time, or no connection at all (503, retry later)."""
    from botocore.exceptions import (  # noqa: PLC0415
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        ReadTimeoutError,
    )

    return (ConnectTimeoutError, ReadTimeoutError, EndpointConnectionError, ConnectionClosedError)


def call_errors() -> tuple[type[Exception], ...]:
    """What a DynamoDB call may raise that becomes a store error: botocore's two bases, and DeadlineNear."""
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    return (ClientError, BotoCoreError, DeadlineNear)


# Outside an invocation (scripts, tests without a deadline): the budget of a full 10 s function.
UNBOUNDED_BUDGET: Final = CallBudget(attempts=3, connect_timeout=1.0, read_timeout=3.0)


class ItemExists(Exception):
    """An item with this id is stored already (a PutItem's condition failed)."""


@dataclass(frozen=True)
class Item:
    """One stored item."""

    owner: str
    id: str
    name: str
    description: str | None
    created_at: str


@dataclass(frozen=True)
class Page:
    """A page of one owner's items; `last_id` is set when more items may follow it."""

    items: list[Item]
    last_id: str | None


def dynamodb_client(endpoint_url: str | None = None, budget: CallBudget = UNBOUNDED_BUDGET) -> DynamoDBClient:
    """A DynamoDB client sized for `budget`; endpoint_url points it at DynamoDB Local (None means AWS)."""
    import boto3  # noqa: PLC0415 - on the first call, not at cold start (above)

    return boto3.client("dynamodb", endpoint_url=endpoint_url, config=budget.config())


ClientFor = Callable[[CallBudget], "DynamoDBClient"]


class DynamoDBClients:
    """One client per call budget, built on first use and kept for the execution environment."""

    def __init__(self, endpoint_url: str | None = None) -> None:
        self._endpoint_url = endpoint_url
        self._clients: dict[CallBudget, DynamoDBClient] = {}
        self._lock = threading.Lock()

    def __call__(self, budget: CallBudget) -> DynamoDBClient:
        with self._lock:
            client = self._clients.get(budget)
            if client is None:
                client = self._clients[budget] = dynamodb_client(self._endpoint_url, budget)
            return client


def store_error(operation: str, exc: Exception) -> StoreError:
    """The API's store error for a botocore failure (or a deadline), keeping the cause for the log."""
    if isinstance(exc, DeadlineNear):
        return StoreUnavailable(operation, "DeadlineNear")
    from botocore.exceptions import ClientError  # noqa: PLC0415 - any other cause comes from botocore

    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "Unknown")
        if code in THROTTLING_CODES:
            return StoreThrottled(operation, code)
        return StoreError(operation, code)
    if isinstance(exc, unavailable_errors()):
        return StoreUnavailable(operation, type(exc).__name__)
    return StoreError(operation, type(exc).__name__)


@contextmanager
def _dynamodb_call(operation: str) -> Iterator[None]:
    """Turn botocore's errors into the API's store errors, keeping the cause for the log."""
    try:
        yield
    except call_errors() as exc:  # evaluated only when the call raised: botocore is imported by then
        raise store_error(operation, exc) from exc


def _key(owner: str, item_id: str) -> dict[str, AttributeValueTypeDef]:
    return {"owner": {"S": owner}, "id": {"S": item_id}}


def _to_item(attributes: dict[str, AttributeValueTypeDef]) -> Item:
    description = attributes.get("description")
    return Item(
        owner=attributes["owner"]["S"],
        id=attributes["id"]["S"],
        name=attributes["name"]["S"],
        description=description["S"] if description is not None else None,
        created_at=attributes["created_at"]["S"],
    )


class ItemStore:
    """The items table, one owner's partition at a time."""

    def __init__(self, clients: ClientFor, table_name: str, deadline: Deadline | None = None) -> None:
        self._clients = clients
        self._table_name = table_name
        self._deadline = deadline

    def within(self, deadline: Deadline) -> ItemStore:
        """This store, with every call bounded by `deadline`."""
        return ItemStore(self._clients, self._table_name, deadline)

    def deadline_client(self, operation: str) -> DynamoDBClient:
        """A client for another library's calls (Powertools Idempotency), each sized from the deadline."""
        return cast("DynamoDBClient", _DeadlineBoundClient(self, operation))

    def _client(self, operation: str) -> DynamoDBClient:
        """The client for the next call: sized from the time left (DeadlineNear when none is)."""
        budget = self._deadline.budget(operation) if self._deadline is not None else UNBOUNDED_BUDGET
        return self._clients(budget)

    def put_new_or_find(self, item: Item) -> Item:
        """Store a new item; when its id is taken already, the stored item instead (nothing is overwritten).

        A retried write (botocore's own retry after a lost answer, or a client retrying an Idempotency-Key)
        finds what the first attempt stored, so it never fails nor stores twice.
        """
        try:
            self.put_new(item)
        except ItemExists:
            stored = self.get(item.owner, item.id)
            if stored is None:  # deleted in between: an id is used once, never again
                raise StoreError("PutItem", "ItemDeleted") from None
            return stored
        return item

    def put_new(self, item: Item) -> None:
        """Store a new item; never overwrites an existing one."""
        attributes: dict[str, AttributeValueTypeDef] = {
            **_key(item.owner, item.id),
            "name": {"S": item.name},
            "created_at": {"S": item.created_at},
        }
        if item.description is not None:
            attributes["description"] = {"S": item.description}
        with _dynamodb_call("PutItem"):
            client = self._client("PutItem")
            try:
                client.put_item(
                    TableName=self._table_name,
                    Item=attributes,
                    ConditionExpression="attribute_not_exists(#id)",
                    ExpressionAttributeNames={"#id": "id"},
                )
            except client.exceptions.ConditionalCheckFailedException as exc:
                raise ItemExists(item.id) from exc

    def get(self, owner: str, item_id: str) -> Item | None:
        """The owner's item with this id, or None."""
        with _dynamodb_call("GetItem"):
            response = self._client("GetItem").get_item(
                TableName=self._table_name, Key=_key(owner, item_id), ConsistentRead=True
            )
        found = response.get("Item")
        return _to_item(found) if found is not None else None

    def list(self, owner: str, limit: int, after_id: str | None = None) -> Page:
        """Up to `limit` of the owner's items in id order, starting after `after_id`."""
        # One extra item tells whether another page exists, so the last page never links to an empty one.
        request: QueryInputTypeDef = {
            "TableName": self._table_name,
            "KeyConditionExpression": "#owner = :owner",
            "ExpressionAttributeNames": {"#owner": "owner"},
            "ExpressionAttributeValues": {":owner": {"S": owner}},
            "Limit": limit + 1,
            "ConsistentRead": True,
        }
        if after_id is not None:
            request["ExclusiveStartKey"] = _key(owner, after_id)
        with _dynamodb_call("Query"):
            response = self._client("Query").query(**request)
        items = [_to_item(attributes) for attributes in response["Items"]]
        if len(items) > limit:
            return Page(items=items[:limit], last_id=items[limit - 1].id)
        # DynamoDB also stops at 1 MB per call; then it says where it stopped.
        more = "LastEvaluatedKey" in response and bool(items)
        return Page(items=items, last_id=items[-1].id if more else None)

    def delete(self, owner: str, item_id: str) -> bool:
        """Delete the owner's item; False when there was none.

        The delete is conditional, so of two concurrent deletes of one item exactly one returns True.
        """
        with _dynamodb_call("DeleteItem"):
            client = self._client("DeleteItem")
            try:
                client.delete_item(
                    TableName=self._table_name,
                    Key=_key(owner, item_id),
                    ConditionExpression="attribute_exists(#id)",
                    ExpressionAttributeNames={"#id": "id"},
                )
            except client.exceptions.ConditionalCheckFailedException:
                return False
        return True


class _DeadlineBoundClient:
    """Stands in for a DynamoDB client: each method is looked up on the client sized for the time left."""

    def __init__(self, store: ItemStore, operation: str) -> None:
        self._store = store
        self._operation = operation

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store._client(self._operation), name)
