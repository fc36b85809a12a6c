"""`python -m devstack.docker_local up|down`: DynamoDB Local in Docker, for the real `sam local`.

SAM CLI 1.170 runs each function in a container on Docker's default bridge, where 127.0.0.1 is the
container itself, and it ignores `--docker-network host` (samcli/local/docker/container.py connects a
container to `--docker-network NAME` only when NAME is not "host"; aws-sam-cli#4236). What it does
support is a user-defined network: it connects every function container to it, and Docker's embedded DNS
resolves the other containers there by name. So:

`up` creates the network DOCKER_NETWORK, runs DynamoDB Local (amazon/dynamodb-local, in memory, one shared
database for every access key) as the container DOCKER_DYNAMODB_HOST on it, which is the endpoint
events/env.json gives ApiFunction (http://oauth-protected-api-dynamodb:8000), publishes its port on
127.0.0.1 only, on a port the kernel picks (for us: the function containers use the network), creates the
items table through that port, and prints the port. samconfig.toml passes the network to `sam local`.
`down` removes the container and the network. `up` replaces a container left from an earlier run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

import boto3
import botocore.exceptions

from devstack.dynamodb_local import LOCAL_REGION
from devstack.make_events import DOCKER_DYNAMODB_HOST, DOCKER_NETWORK, TABLE_NAME
from devstack.ports import LOOPBACK
from devstack.template import table_definition

DYNAMODB_IMAGE = "amazon/dynamodb-local:latest"
CONTAINER_PORT = 8000
# The image's entrypoint is `java`; these are its arguments (the image's own CMD lacks -sharedDb, and
# DynamoDB Local would otherwise send telemetry).
DYNAMODB_ARGS = (
    "-Djava.library.path=./DynamoDBLocal_lib",
    "-jar",
    "DynamoDBLocal.jar",
    "-sharedDb",
    "-inMemory",
    "-disableTelemetry",
)


class DockerError(RuntimeError):
    """A docker command failed; the message carries its stderr."""


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=120, check=False)
    if check and result.returncode != 0:
        raise DockerError(f"docker {' '.join(args)}: {result.stderr.strip()}")
    return result


def published_port(container: str = DOCKER_DYNAMODB_HOST) -> int:
    """The 127.0.0.1 port Docker published the container's DynamoDB port on."""
    mapping = docker("port", container, f"{CONTAINER_PORT}/tcp").stdout.split()
    for address in mapping:
        host, _, port = address.rpartition(":")
        if host == LOOPBACK:
            return int(port)
    raise DockerError(f"{container} publishes {CONTAINER_PORT} on no {LOOPBACK} port: {mapping}")


def dynamodb_client(port: int) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=f"http://{LOOPBACK}:{port}",
        region_name=LOCAL_REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - not a secret: DynamoDB Local ignores it
    )


def create_table(port: int, table_name: str = TABLE_NAME, timeout: float = 60.0) -> None:
    """Create the items table (template.yaml's definition) once DynamoDB Local answers."""
    client = dynamodb_client(port)
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.create_table(TableName=table_name, **table_definition())
            break
        except (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectionClosedError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
    client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 0.2})


def down() -> None:
    docker("rm", "--force", DOCKER_DYNAMODB_HOST, check=False)
    docker("network", "rm", DOCKER_NETWORK, check=False)


def up(image: str = DYNAMODB_IMAGE) -> int:
    """Network + DynamoDB Local container + table; the published 127.0.0.1 port."""
    docker("rm", "--force", DOCKER_DYNAMODB_HOST, check=False)
    if docker("network", "inspect", DOCKER_NETWORK, check=False).returncode != 0:
        docker("network", "create", DOCKER_NETWORK)
    docker(
        "run",
        "--detach",
        "--name",
        DOCKER_DYNAMODB_HOST,
        "--network",
        DOCKER_NETWORK,
        # Host port left to the kernel, and bound to loopback only.
        "--publish",
        f"{LOOPBACK}::{CONTAINER_PORT}",
        image,
        *DYNAMODB_ARGS,
    )
    port = published_port()
    create_table(port)
    return port


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.docker_local", description=__doc__.splitlines()[0]
    )
    parser.add_argument("action", choices=("up", "down"))
    parser.add_argument(
        "--image", default=DYNAMODB_IMAGE, help=f"DynamoDB Local image (default {DYNAMODB_IMAGE})"
    )
    args = parser.parse_args(argv)
    try:
        if args.action == "down":
            down()
            print(f"Removed {DOCKER_DYNAMODB_HOST} and the network {DOCKER_NETWORK}.")
            return 0
        port = up(args.image)
    except DockerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"DynamoDB Local runs as {DOCKER_DYNAMODB_HOST} on the Docker network {DOCKER_NETWORK} "
        f"(http://{DOCKER_DYNAMODB_HOST}:{CONTAINER_PORT} for `sam local`, "
        f"http://{LOOPBACK}:{port} from here), table {TABLE_NAME} created.\n"
        "Stop it with: python -m devstack.docker_local down"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
