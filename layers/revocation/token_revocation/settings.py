"""The revocation settings both functions read at cold start; a bad value names its variable."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple
from urllib.parse import urlsplit

DEFAULT_REFRESH_SECONDS = 5
MAX_REFRESH_SECONDS = 60
DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 86_400
MIN_MAX_TOKEN_LIFETIME_SECONDS = 60
MAX_MAX_TOKEN_LIFETIME_SECONDS = 30 * 86_400  # Auth0's own upper bound for an access token
_TABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")  # DynamoDB's table-name rule
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")


class RevocationSettingsError(ValueError):
    """An environment variable is missing or invalid; `variable` names it."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable
        self.problem = problem


class RevocationSettings(NamedTuple):
    """Where the list lives and how often it is read."""

    table: str
    endpoint_url: str  # https://dynamodb.REGION.amazonaws.com, or DYNAMODB_ENDPOINT_URL (DynamoDB Local)
    region: str
    refresh_seconds: int = DEFAULT_REFRESH_SECONDS
    max_token_lifetime_seconds: int = DEFAULT_MAX_TOKEN_LIFETIME_SECONDS


def load_revocation_settings(environ: Mapping[str, str]) -> RevocationSettings | None:
    """None when REVOCATION_TABLE is empty (revocation off); else every setting, checked."""
    table = environ.get("REVOCATION_TABLE", "").strip()
    if not table:
        return None
    if not _TABLE_NAME.fullmatch(table):
        raise RevocationSettingsError("REVOCATION_TABLE", f"{table!r} is not a DynamoDB table name")
    region = (environ.get("AWS_REGION", "") or environ.get("AWS_DEFAULT_REGION", "")).strip()
    if not _REGION.fullmatch(region):
        raise RevocationSettingsError("AWS_REGION", f"{region!r} is not an AWS region (Lambda sets it)")
    endpoint = environ.get("DYNAMODB_ENDPOINT_URL", "").strip()
    if endpoint:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RevocationSettingsError("DYNAMODB_ENDPOINT_URL", "must be empty or an http(s) URL")
    else:
        suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
        endpoint = f"https://dynamodb.{region}.{suffix}"
    return RevocationSettings(
        table=table,
        endpoint_url=endpoint,
        region=region,
        refresh_seconds=_whole(
            environ, "REVOCATION_REFRESH_SECONDS", DEFAULT_REFRESH_SECONDS, 1, MAX_REFRESH_SECONDS
        ),
        max_token_lifetime_seconds=_whole(
            environ,
            "MAX_TOKEN_LIFETIME_SECONDS",
            DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
            MIN_MAX_TOKEN_LIFETIME_SECONDS,
            MAX_MAX_TOKEN_LIFETIME_SECONDS,
        ),
    )


def _whole(environ: Mapping[str, str], variable: str, default: int, minimum: int, maximum: int) -> int:
    raw = environ.get(variable, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()):
        raise RevocationSettingsError(variable, f"{raw!r} is not a whole number of seconds")
    value = int(raw)
    if not minimum <= value <= maximum:
        raise RevocationSettingsError(variable, f"must be between {minimum} and {maximum}")
    return value
