"""The hand-written read: SigV4 as botocore signs it, a real Scan of DynamoDB Local, and credentials."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotocoreCredentials
from revocations import revoke

from devstack.dynamodb_local import DynamoDBLocal
from token_revocation.dynamodb import (
    CONTENT_TYPE,
    TARGET,
    Credentials,
    EnvironmentCredentials,
    TableReader,
    TableUnavailable,
    sigv4_headers,
)
from token_revocation.entries import Kind, Revocation

ISS = "https://tenant.auth0.com/"


@pytest.mark.parametrize("token", [None, "session-token/with+odd=chars"])
def test_the_signature_is_the_one_botocore_computes(token: str | None) -> None:
    # GIVEN a DynamoDB Scan request signed by botocore's own SigV4Auth
    url = "https://dynamodb.eu-west-1.amazonaws.com/"
    body = b'{"TableName":"revocations"}'
    request = AWSRequest(
        method="POST", url=url, data=body, headers={"Content-Type": CONTENT_TYPE, "X-Amz-Target": TARGET}
    )
    SigV4Auth(
        BotocoreCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG", token), "dynamodb", "eu-west-1"
    ).add_auth(request)
    # WHEN the same request is signed here, at the same instant
    headers = sigv4_headers(
        url=url,
        region="eu-west-1",
        body=body,
        headers={"Content-Type": CONTENT_TYPE, "X-Amz-Target": TARGET},
        credentials=Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG", token),
        amz_date=request.headers["X-Amz-Date"],
    )
    # THEN the Authorization header is byte for byte botocore's
    assert headers["Authorization"] == request.headers["Authorization"]
    assert headers.get("X-Amz-Security-Token") == request.headers.get("X-Amz-Security-Token")


def test_the_reader_scans_every_page_of_the_table(dynamodb: DynamoDBLocal, revocation_table: str) -> None:
    # GIVEN 25 revocations written as the revoke commands write them, and a reader of 10 items per page
    client = dynamodb.client()
    written = {
        revoke(client, revocation_table, Kind.TOKEN, ISS, f"jti-{n}", max_token_lifetime=3600)
        for n in range(25)
    }
    client.put_item(TableName=revocation_table, Item={"id": {"S": "hand-written"}, "note": {"S": "not one"}})
    reader = TableReader(
        table=revocation_table,
        endpoint_url=dynamodb.endpoint_url,
        region="us-east-1",
        credentials=lambda _deadline: Credentials("local", "local"),
        page_limit=10,
    )
    # WHEN it reads the table
    entries = reader.read_all(5.0)
    # THEN it has every revocation (the other item skipped), over three pages
    assert (set(entries), reader.pages) == (written, 3)


def test_a_missing_table_is_unavailable_with_dynamodbs_error(dynamodb: DynamoDBLocal) -> None:
    reader = TableReader(
        table="no-such-table",
        endpoint_url=dynamodb.endpoint_url,
        region="us-east-1",
        credentials=lambda _deadline: Credentials("local", "local"),
    )
    with pytest.raises(TableUnavailable, match=r"^DynamoDB answered 400 ResourceNotFoundException$"):
        reader.read_all(5.0)


def test_an_endpoint_that_does_not_answer_is_unavailable_within_the_deadline() -> None:
    # GIVEN a listening socket that never answers
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    reader = TableReader(
        table="revocations",
        endpoint_url=f"http://127.0.0.1:{server.server_address[1]}",
        region="us-east-1",
        credentials=lambda _deadline: Credentials("local", "local"),
    )
    try:
        started = time.monotonic()
        with pytest.raises(TableUnavailable, match="cannot be reached"):
            reader.read_all(0.5)
        assert time.monotonic() - started < 5  # bounded by the deadline, not by a default timeout
    finally:
        server.server_close()


class _CredentialsEndpoint(BaseHTTPRequestHandler):
    seen: list[str | None] = []  # noqa: RUF012 - per-test state, reset by the fixture

    def do_GET(self) -> None:
        type(self).seen.append(self.headers.get("Authorization"))
        body = json.dumps(
            {
                "AccessKeyId": "ASIACONTAINER",
                "SecretAccessKey": "secret",
                "Token": "container-token",
                "Expiration": "2100-01-01T00:00:00Z",
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def credentials_endpoint() -> Iterator[str]:
    _CredentialsEndpoint.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CredentialsEndpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/2018-06-01/credentials"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_the_environments_keys_are_used_when_lambda_sets_them() -> None:
    source = EnvironmentCredentials(
        {"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "tok"}
    )
    assert source(time.monotonic() + 1) == Credentials("AKID", "secret", "tok")


def test_with_snapstart_the_container_endpoint_is_asked_once_with_its_token(
    credentials_endpoint: str,
) -> None:
    # GIVEN SnapStart's environment: no keys, the container credentials endpoint and its token
    source = EnvironmentCredentials(
        {
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": credentials_endpoint,
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "auth-token",
        }
    )
    # WHEN credentials are asked for twice
    first = source(time.monotonic() + 2)
    second = source(time.monotonic() + 2)
    # THEN the endpoint answered once (its credentials are kept until near their expiry)
    assert first == second == Credentials("ASIACONTAINER", "secret", "container-token", 4_102_444_800.0)
    assert _CredentialsEndpoint.seen == ["auth-token"]


def test_without_any_credentials_the_table_is_unavailable() -> None:
    with pytest.raises(TableUnavailable, match="no AWS credentials"):
        EnvironmentCredentials({})(time.monotonic() + 1)


def test_revocation_items_written_by_the_scripts_are_the_layers_items(
    dynamodb: DynamoDBLocal, revocation_table: str
) -> None:
    client = dynamodb.client()
    entry = revoke(client, revocation_table, Kind.SUBJECT, ISS, "auth0|alice", max_token_lifetime=60, now=1e9)
    stored = client.get_item(TableName=revocation_table, Key={"id": {"S": entry.key}})["Item"]
    assert (
        Revocation.from_item(stored)
        == entry
        == Revocation(Kind.SUBJECT, ISS, "auth0|alice", 10**9, 10**9 + 360)
    )
