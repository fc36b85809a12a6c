"""Revoke, list and remove revocations in a deployed stack's table (docs/revocation.md, "Revoking access").

    .venv/bin/python scripts/revocations.py [--stack NAME] [--region REGION] revoke --sub SUB [--iss ISSUER]
    .venv/bin/python scripts/revocations.py revoke --client CLIENT_ID | --jti JTI [--iss ISSUER]
    .venv/bin/python scripts/revocations.py list
    .venv/bin/python scripts/revocations.py remove --sub SUB | --client CLIENT_ID | --jti JTI [--iss ISSUER]

The table, the maximum token lifetime and the default issuer come from the stack (its outputs
RevocationTableName and MaxTokenLifetime, its Issuer parameter); the stack name defaults to samconfig.toml's.
Credentials are boto3's usual ones; the stack's RevocationAdminPolicy grants exactly these calls. The same
functions write to DynamoDB Local for `python -m devstack revoke`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# The item format is the layer's (layers/revocation/token_revocation/entries.py): written once, read there.
sys.path.insert(0, str(ROOT / "layers" / "revocation"))

from token_revocation.entries import KEY, Kind, Revocation  # noqa: E402

DEFAULT_STACK = "oauth-protected-api"  # samconfig.toml's stack_name
KIND_FLAGS = {"--sub": Kind.SUBJECT, "--client": Kind.CLIENT, "--jti": Kind.TOKEN}


def revoke(
    client: Any,
    table: str,
    kind: Kind,
    issuer: str,
    value: str,
    *,
    max_token_lifetime: int,
    now: float | None = None,
) -> Revocation:
    """Store one revocation (PutItem: revoking again moves its time on); returns what was stored."""
    entry = Revocation.new(
        kind, issuer, value, now=time.time() if now is None else now, max_token_lifetime=max_token_lifetime
    )
    client.put_item(TableName=table, Item=entry.item())
    return entry


def list_revocations(client: Any, table: str, now: float | None = None) -> list[Revocation]:
    """Every live revocation (expired ones wait for DynamoDB's TTL and are left out), oldest first."""
    current = time.time() if now is None else now
    entries: list[Revocation] = []
    for page in client.get_paginator("scan").paginate(TableName=table):
        for item in page.get("Items", []):
            try:
                entry = Revocation.from_item(item)
            except ValueError:
                continue
            if entry.expires_at >= current:
                entries.append(entry)
    return sorted(entries, key=lambda entry: (entry.revoked_at, entry.key))


def remove(client: Any, table: str, kind: Kind, issuer: str, value: str) -> bool:
    """Delete one revocation; False when there was none."""
    key = Revocation(kind, issuer, value, 0, 0).key
    answer = client.delete_item(TableName=table, Key={KEY: {"S": key}}, ReturnValues="ALL_OLD")
    return bool(answer.get("Attributes"))


def add_target_arguments(parser: argparse.ArgumentParser, *, default_issuer: str | None) -> None:
    """--sub | --client | --jti (one of them) and --iss: the devstack command line and this script's."""
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--sub", metavar="SUB", help="every token of this subject issued until now")
    group.add_argument("--client", metavar="CLIENT_ID", help="every token issued to this client until now")
    group.add_argument("--jti", metavar="JTI", help="the one token with this jti")
    where = f"default: {default_issuer}" if default_issuer else "default: the stack's Issuer parameter"
    parser.add_argument("--iss", metavar="ISSUER", default=default_issuer, help=f"the issuer ({where})")


def target(args: argparse.Namespace) -> tuple[Kind, str]:
    for flag, kind in KIND_FLAGS.items():
        value = getattr(args, flag.removeprefix("--"))
        if value is not None:
            if not value:
                raise SystemExit(f"{flag} needs a non-empty value")
            return kind, value
    raise SystemExit("one of --sub, --client or --jti is required")  # argparse refuses this first


def stack_facts(cloudformation: Any, stack: str) -> tuple[str, int, str]:
    """(table, maximum token lifetime, Issuer parameter) from the deployed stack."""
    described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    outputs = {output["OutputKey"]: output["OutputValue"] for output in described.get("Outputs", [])}
    parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in described.get("Parameters", [])}
    missing = [name for name in ("RevocationTableName", "MaxTokenLifetime") if name not in outputs]
    if missing:
        raise SystemExit(
            f"stack {stack} has no output {missing[0]}: deploy this version of the template first"
        )
    return outputs["RevocationTableName"], int(outputs["MaxTokenLifetime"]), parameters.get("Issuer", "")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/revocations.py", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default=DEFAULT_STACK, help=f"the stack's name (default {DEFAULT_STACK})")
    parser.add_argument("--region", help="the stack's region (default: boto3's)")
    commands = parser.add_subparsers(dest="command", required=True)
    add_target_arguments(
        commands.add_parser("revoke", help="revoke a subject, a client or a token"), default_issuer=None
    )
    commands.add_parser("list", help="the live revocations")
    add_target_arguments(commands.add_parser("remove", help="take a revocation back"), default_issuer=None)
    args = parser.parse_args(argv)

    import boto3  # noqa: PLC0415 - only once the command line is valid

    session = boto3.Session(region_name=args.region)
    table, max_lifetime, stack_issuer = stack_facts(session.client("cloudformation"), args.stack)
    dynamodb = session.client("dynamodb")
    if args.command == "list":
        for entry in list_revocations(dynamodb, table):
            print(f"{entry.kind.value}\t{entry.issuer}\t{entry.target}\trevoked_at={entry.revoked_at}")
        return 0
    kind, value = target(args)
    issuer = args.iss or stack_issuer
    if not issuer:
        raise SystemExit("--iss is required: the stack has several issuers (Issuers), name the one")
    if args.command == "revoke":
        entry = revoke(dynamodb, table, kind, issuer, value, max_token_lifetime=max_lifetime)
        print(f"revoked: {entry.describe()}")
        return 0
    if remove(dynamodb, table, kind, issuer, value):
        print(f"removed the {kind.name.lower()} revocation of {value!r} (issuer {issuer!r})")
        return 0
    print(f"no {kind.name.lower()} revocation of {value!r} (issuer {issuer!r})")
    return 1


if __name__ == "__main__":
    sys.exit(main())
