"""The whole revocation table in one paginated DynamoDB Scan, signed with SigV4, over http.client.

Hand-written on purpose, and only this read. botocore is what every AWS SDK for Python signs with, but
importing it and making a DynamoDB client costs about three times the authorizer's whole cold start
(docs/revocation.md: measured CPU time), and the authorizer must read the list before its first
decision. No maintained library signs a request without botocore (or requests). What is written here is
small and fixed: one POST of the DynamoDB JSON protocol (`X-Amz-Target: DynamoDB_20120810.Scan`), the
SigV4 signature (tests/revocation compares it with botocore's SigV4Auth byte for byte), and the two
credential sources a Lambda function has: the AWS_* variables, or with SnapStart the container
credentials endpoint. http.client and ssl are loaded by the authorizer anyway (its key-set fetch).
Writes (the revoke commands) use boto3: they are not on any request's path.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import ssl
import time
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from token_revocation.entries import ATTRIBUTES, Revocation

SERVICE = "dynamodb"
TARGET = "DynamoDB_20120810.Scan"
CONTENT_TYPE = "application/x-amz-json-1.0"
# A response page is at most 1 MB (DynamoDB's limit); anything much larger is not DynamoDB.
MAX_RESPONSE_BYTES = 4 * 1024 * 1024
# Container credentials (SnapStart) are renewed this long before they expire.
CREDENTIALS_MARGIN_SECONDS = 300


class TableUnavailable(Exception):
    """The table could not be read (network, credentials, throttling, a refused request, a deadline)."""


class Credentials(NamedTuple):
    access_key: str
    secret_key: str = ""
    token: str | None = None
    expires_at: float | None = None  # epoch seconds; None: for the life of the environment


def sigv4_headers(
    *,
    url: str,
    region: str,
    body: bytes,
    headers: Mapping[str, str],
    credentials: Credentials,
    amz_date: str,
) -> dict[str, str]:
    """`headers` plus Host, X-Amz-Date, X-Amz-Security-Token and the SigV4 Authorization of a POST to `url`.

    The canonical request, string to sign and signing key of AWS's "Signature Version 4" specification,
    for a request without query string (every DynamoDB call)."""
    parts = urlsplit(url)
    signed = {name.lower(): " ".join(value.split()) for name, value in headers.items()}
    signed["host"] = parts.netloc
    signed["x-amz-date"] = amz_date
    if credentials.token:
        signed["x-amz-security-token"] = credentials.token
    names = sorted(signed)
    canonical = "\n".join(
        [
            "POST",
            parts.path or "/",
            "",
            "".join(f"{name}:{signed[name]}\n" for name in names),
            ";".join(names),
            hashlib.sha256(body).hexdigest(),
        ]
    )
    day = amz_date[:8]
    scope = f"{day}/{region}/{SERVICE}/aws4_request"
    to_sign = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    key = ("AWS4" + credentials.secret_key).encode()
    for part in (day, region, SERVICE, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    authorization = (
        f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    result = {**headers, "Host": parts.netloc, "X-Amz-Date": amz_date, "Authorization": authorization}
    if credentials.token:
        result["X-Amz-Security-Token"] = credentials.token
    return result


class EnvironmentCredentials:
    """What Lambda gives a function: AWS_ACCESS_KEY_ID and friends, or (SnapStart) the container
    credentials endpoint, AWS_CONTAINER_CREDENTIALS_FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN."""

    def __init__(
        self, environ: Mapping[str, str] = os.environ, clock: Callable[[], float] = time.time
    ) -> None:
        self._environ = environ
        self._clock = clock
        self._cached: Credentials | None = None

    def __call__(self, deadline: float) -> Credentials:
        access_key = self._environ.get("AWS_ACCESS_KEY_ID", "")
        if access_key:
            token = self._environ.get("AWS_SESSION_TOKEN") or None
            return Credentials(access_key, self._environ.get("AWS_SECRET_ACCESS_KEY", ""), token)
        cached = self._cached
        if cached is not None and (
            cached.expires_at is None or self._clock() < cached.expires_at - CREDENTIALS_MARGIN_SECONDS
        ):
            return cached
        uri = self._environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI", "")
        if not uri:
            raise TableUnavailable("no AWS credentials (AWS_ACCESS_KEY_ID or the container endpoint)")
        headers = {}
        authorization = self._environ.get("AWS_CONTAINER_AUTHORIZATION_TOKEN", "")
        if authorization:
            headers["Authorization"] = authorization
        connection = _connect(uri, max(deadline - time.monotonic(), 0.001))
        try:
            status, body = _request(connection, "GET", uri, body=b"", headers=headers, deadline=deadline)
        finally:
            connection.close()
        if status != 200:
            raise TableUnavailable(f"the container credentials endpoint answered {status}")
        try:
            document = json.loads(body)
            expiration = document.get("Expiration")
            self._cached = Credentials(
                document["AccessKeyId"],
                document["SecretAccessKey"],
                document.get("Token"),
                _epoch(expiration) if isinstance(expiration, str) else None,
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            raise TableUnavailable("the container credentials are not readable") from None
        return self._cached


def _epoch(timestamp: str) -> float:
    from datetime import datetime  # noqa: PLC0415 - only with SnapStart's container credentials

    return datetime.fromisoformat(timestamp).timestamp()


def _connect(url: str, timeout: float) -> http.client.HTTPConnection:
    """A connection to `url`'s host: one per refresh, for all its pages, closed at its end (a connection
    kept across refreshes would be one a frozen Lambda environment finds dead)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return http.client.HTTPSConnection(
            parts.hostname or "", parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    return http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)


def _request(
    connection: http.client.HTTPConnection,
    method: str,
    url: str,
    *,
    body: bytes,
    headers: Mapping[str, str],
    deadline: float,
) -> tuple[int, bytes]:
    """One HTTP exchange on `connection`, before `deadline` (time.monotonic)."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TableUnavailable("the read deadline passed")
    try:
        connection.timeout = remaining
        if connection.sock is not None:
            connection.sock.settimeout(remaining)
        connection.request(method, urlsplit(url).path or "/", body=body, headers=dict(headers))
        response = connection.getresponse()
        data = response.read(MAX_RESPONSE_BYTES + 1)
    except (OSError, http.client.HTTPException) as exc:  # timeouts, refused connections, TLS, resets
        raise TableUnavailable(f"the table cannot be reached ({type(exc).__name__})") from None
    if len(data) > MAX_RESPONSE_BYTES:
        raise TableUnavailable("the answer is too large")
    return response.status, data


class TableReader:
    """Reads every item of the revocation table, each refresh within one deadline."""

    def __init__(
        self,
        *,
        table: str,
        endpoint_url: str,
        region: str,
        credentials: Callable[[float], Credentials] | None = None,
        wall_clock: Callable[[], float] = time.time,
        page_limit: int | None = None,
    ) -> None:
        self._table = table
        self._url = endpoint_url.rstrip("/") + "/"
        self._region = region
        self._credentials = credentials or EnvironmentCredentials()
        self._wall_clock = wall_clock
        self._page_limit = page_limit  # Scan's Limit (tests); None: DynamoDB's 1 MB pages
        self.pages = 0  # pages read by the last call (the bench reports it)

    def read_all(self, timeout_seconds: float) -> list[Revocation]:
        """Every revocation item (items that are not one are skipped); TableUnavailable otherwise."""
        deadline = time.monotonic() + timeout_seconds
        entries: list[Revocation] = []
        request: dict[str, Any] = {
            "TableName": self._table,
            "ProjectionExpression": ", ".join(f"#a{index}" for index in range(len(ATTRIBUTES))),
            "ExpressionAttributeNames": {f"#a{index}": name for index, name in enumerate(ATTRIBUTES)},
        }
        if self._page_limit is not None:
            request["Limit"] = self._page_limit
        self.pages = 0
        connection = _connect(self._url, timeout_seconds)
        try:
            while True:
                page = self._scan(connection, request, deadline)
                self.pages += 1
                for item in page.get("Items", ()):
                    try:
                        entries.append(Revocation.from_item(item))
                    except ValueError:
                        continue
                last_key = page.get("LastEvaluatedKey")
                if not last_key:
                    return entries
                request["ExclusiveStartKey"] = last_key
        finally:
            connection.close()

    def _scan(
        self, connection: http.client.HTTPConnection, request: Mapping[str, Any], deadline: float
    ) -> dict[str, Any]:
        body = json.dumps(request, separators=(",", ":")).encode()
        credentials = self._credentials(deadline)
        amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(self._wall_clock()))
        headers = sigv4_headers(
            url=self._url,
            region=self._region,
            body=body,
            headers={"Content-Type": CONTENT_TYPE, "X-Amz-Target": TARGET},
            credentials=credentials,
            amz_date=amz_date,
        )
        status, data = _request(connection, "POST", self._url, body=body, headers=headers, deadline=deadline)
        try:
            page = json.loads(data)
        except ValueError:
            raise TableUnavailable(f"DynamoDB answered {status} with no JSON") from None
        if status != 200 or not isinstance(page, dict):
            error = page.get("__type", "") if isinstance(page, dict) else ""
            raise TableUnavailable(f"DynamoDB answered {status} {str(error).rpartition('#')[2]}".rstrip())
        return page
