"""The data layer: the items table on DynamoDB, through boto3.

Every item lives in its owner's partition (partition key `owner`, sort key `id`), and every call here takes
the owner explicitly, so no code path can read, list or delete across owners. boto3's ClientError and
BotoCoreError become StoreError / StoreThrottled; nothing above this module sees botocore.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from items_api.errors import StoreError, StoreThrottled

if TYPE_CHECKING:  # boto3-stubs is a development dependency only
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, QueryInputTypeDef

THROTTLING_CODES: Final = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)
# Bounded retries and timeouts keep a struggling table from eating the function's 10 s timeout.
CLIENT_CONFIG: Final = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=2,
    read_timeout=3,
)


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


def dynamodb_client(endpoint_url: str | None = None) -> DynamoDBClient:
    """A DynamoDB client; endpoint_url points it at DynamoDB Local (None means AWS)."""
    return boto3.client("dynamodb", endpoint_url=endpoint_url, config=CLIENT_CONFIG)


@contextmanager
def _dynamodb_call(operation: str) -> Iterator[None]:
    """Turn botocore's errors into the API's store errors, keeping the cause for the log."""
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "Unknown")
        if code in THROTTLING_CODES:
            raise StoreThrottled(operation, code) from exc
        raise StoreError(operation, code) from exc
    except BotoCoreError as exc:  # connection failures, timeouts: no HTTP answer from DynamoDB at all
        raise StoreError(operation, type(exc).__name__) from exc


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

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table_name = table_name

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
            self._client.put_item(
                TableName=self._table_name,
                Item=attributes,
                ConditionExpression="attribute_not_exists(#id)",
                ExpressionAttributeNames={"#id": "id"},
            )

    def get(self, owner: str, item_id: str) -> Item | None:
        """The owner's item with this id, or None."""
        with _dynamodb_call("GetItem"):
            response = self._client.get_item(
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
            response = self._client.query(**request)
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
            try:
                self._client.delete_item(
                    TableName=self._table_name,
                    Key=_key(owner, item_id),
                    ConditionExpression="attribute_exists(#id)",
                    ExpressionAttributeNames={"#id": "id"},
                )
            except self._client.exceptions.ConditionalCheckFailedException:
                return False
        return True
