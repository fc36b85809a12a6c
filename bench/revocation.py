"""Revocation on: the warm decision next to its floor with 10,000 live revocations, and the refresh's cost.

The list lives in DynamoDB Local (docs/revocation.md): 10,000 live entries (subjects, clients and
token ids of the bench issuer, none covering the bench tokens), read by the authorizer on its first
decision. The warm ratios are the decisions between two refreshes (the refresh interval is set to its
maximum, 60 s, so that none falls inside a batch): the revocation check is then the lifetime rule and
three lookups. The refresh is timed apart, end to end (every page of the signed Scan, the parse, the
list built): one decision per refresh interval and execution environment pays it. It is taken against
DynamoDB Local, which answers a Scan far more slowly than DynamoDB does.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from bench.issuer import BenchKey, serve_issuer
from bench.measure import Figure, interleaved_ratios
from bench.warm import SCOPE, BenchContext, environment, import_authorizer, lines_to_devnull, token_event
from devstack.dynamodb_local import DynamoDBLocal, dynamodb_local

LAYER = Path(__file__).resolve().parents[1] / "layers" / "revocation"
LIVE_ENTRIES = 10_000
TABLE = "bench-revocations"


def layer_on_path() -> None:
    """The revocation layer importable, as Lambda's /opt/python makes it."""
    if str(LAYER) not in sys.path:
        sys.path.insert(0, str(LAYER))


def fill(dynamodb: DynamoDBLocal, issuer_url: str, count: int) -> None:
    """`count` live revocations, of every kind, none of them covering the bench tokens."""
    layer_on_path()
    from token_revocation.entries import Kind, Revocation  # noqa: PLC0415 - the layer is on sys.path now

    kinds = (Kind.SUBJECT, Kind.SUBJECT, Kind.CLIENT, Kind.TOKEN, Kind.TOKEN)
    now = time.time()
    entries = [
        Revocation.new(kinds[n % len(kinds)], issuer_url, f"revoked-{n}", now=now, max_token_lifetime=86_400)
        for n in range(count)
    ]
    client = dynamodb.client()
    for start in range(0, count, 25):
        requests = [{"PutRequest": {"Item": entry.item()}} for entry in entries[start : start + 25]]
        pending = {TABLE: requests}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def revocation_environment(issuer_url: str, endpoint_url: str) -> dict[str, str]:
    """The bench authorizer with revocation on, its list in DynamoDB Local's TABLE at `endpoint_url`."""
    return {
        **environment(issuer_url),
        "REVOCATION_TABLE": TABLE,
        "REVOCATION_REFRESH_SECONDS": "60",  # no refresh inside a batch: it is measured apart
        "DYNAMODB_ENDPOINT_URL": endpoint_url,
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
    }


@contextlib.contextmanager
def filled_table(issuer_url: str, entries: int) -> Iterator[DynamoDBLocal]:
    """DynamoDB Local, its TABLE holding `entries` live revocations of `issuer_url`, none of the bench's."""
    with dynamodb_local() as dynamodb:
        dynamodb.create_table(TABLE, "RevocationTable")
        fill(dynamodb, issuer_url, entries)
        yield dynamodb


def revocation(*, rounds: int, calls: int, entries: int = LIVE_ENTRIES) -> list[Figure]:
    layer_on_path()
    from token_revocation.dynamodb import Credentials, TableReader  # noqa: PLC0415
    from token_revocation.entries import RevocationList  # noqa: PLC0415

    key = BenchKey.generate()
    public = key.public
    with serve_issuer(key) as issuer_url, contextlib.ExitStack() as local:
        dynamodb = local.enter_context(filled_table(issuer_url, entries))

        # The refresh: every page of the table, parsed into the list the check looks up.
        reader = TableReader(
            table=TABLE,
            endpoint_url=dynamodb.endpoint_url,
            region="us-east-1",
            credentials=lambda _deadline: Credentials("local", "local"),
        )
        refresh_seconds: list[float] = []
        refresh_cpu_seconds: list[float] = []  # this process's share: signing, parsing, building the list
        for _ in range(max(3, rounds // 4)):
            started, started_cpu = time.perf_counter(), time.process_time()
            read = RevocationList.of(reader.read_all(60.0), now=time.time())
            refresh_seconds.append(time.perf_counter() - started)
            refresh_cpu_seconds.append(time.process_time() - started_cpu)
        assert read.size == entries, read.size

        app = import_authorizer(revocation_environment(issuer_url, dynamodb.endpoint_url), "app_revocation")
        # The credentials are read per refresh from the environment, as Lambda keeps them there.
        saved = {name: os.environ.get(name) for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
        os.environ.update(AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local")
        service_logger = logging.getLogger("authorizer")
        context = BenchContext()
        serial = iter(range(10**9))
        fresh = [
            token_event(key.token(issuer_url, SCOPE, next(serial))) for _ in range(2 * (rounds + 1) * calls)
        ]
        fresh.reverse()
        repeated = token_event(key.token(issuer_url, SCOPE, next(serial)))
        floor_token = key.token(issuer_url, SCOPE, next(serial))
        signing_input, _, signature_b64 = floor_token.rpartition(".")
        signature = base64.urlsafe_b64decode(signature_b64 + "==")
        message = signing_input.encode()

        def floor(n: int) -> None:
            for _ in range(n):
                public.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())

        def new_token(n: int) -> None:
            for _ in range(n):
                app.lambda_handler(fresh.pop(), context)

        def repeated_token(n: int) -> None:
            for _ in range(n):
                app.lambda_handler(repeated, context)

        with lines_to_devnull(service_logger):
            try:
                result = app.lambda_handler(repeated, context)  # the key set and the list: warm after
                assert "policyDocument" in result
                assert app.REVOCATIONS.cache.current().size == entries
                # The list is in memory (no refresh due for 60 s): DynamoDB Local's JVM stops, so that it
                # does not compete with the measurement for the CPU.
                local.close()
                (new, again), _ = interleaved_ratios(
                    floor, [new_token, repeated_token], rounds=rounds, calls=calls
                )
            finally:
                for name, value in saved.items():
                    if value is None:
                        os.environ.pop(name, None)
                    else:
                        os.environ[name] = value
    refresh_ms = statistics.median(refresh_seconds) * 1e3
    return [
        Figure(
            "revocation_new_token_ratio",
            new,
            "x",
            f"new_token_ratio with revocation on ({entries:,} live entries, between refreshes) / floor",
            timed_budget=4.0,
        ),
        Figure(
            "revocation_repeated_token_ratio",
            again,
            "x",
            f"repeated_token_ratio with revocation on ({entries:,} live entries, between refreshes) / floor",
            timed_budget=0.5,
        ),
        Figure(
            "revocation_refresh_ms",
            refresh_ms,
            "ms",
            f"one refresh at {entries:,} live entries: {reader.pages} pages of a signed Scan"
            " of DynamoDB Local, parsed into the list",
        ),
        Figure(
            "revocation_refresh_cpu_ms",
            statistics.median(refresh_cpu_seconds) * 1e3,
            "ms",
            "the same refresh's CPU time in the function's process (signing, JSON, building the list)",
        ),
    ]
