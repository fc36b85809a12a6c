"""The function's configuration, parsed and validated once at cold start from the environment."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:  # the revocation layer is imported only when REVOCATION_TABLE turns revocation on
    from token_revocation.settings import RevocationSettings

# An origin is scheme://host[:port], nothing more (no path, no trailing slash).
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")
MIN_PAGE_TOKEN_KEY_CHARS = 32
# LEEWAY_SECONDS: the same variable, range and default as the authorizer's (the template sets both).
DEFAULT_LEEWAY_SECONDS = 30
MAX_LEEWAY_SECONDS = 300


class SettingsError(ValueError):
    """An environment variable is missing or invalid; the message names it."""


@dataclass(frozen=True)
class Settings:
    """Typed configuration of the items API."""

    table_name: str
    cors_allow_origin: str
    dynamodb_endpoint_url: str | None
    # Keyed HMAC secret for pagination tokens; repr=False keeps it out of any log of the settings.
    # None when the key is the Secrets Manager secret `page_token_secret_arn` (read at run time).
    page_token_key: bytes | None = field(repr=False)
    page_token_key_is_ephemeral: bool
    leeway_seconds: int = DEFAULT_LEEWAY_SECONDS
    page_token_secret_arn: str | None = None
    # The Powertools Idempotency table (POST /items with Idempotency-Key); None: the header is refused (400).
    idempotency_table_name: str | None = None
    # The revocation list (REVOCATION_TABLE and companions, the authorizer's too); None: revocation off.
    revocation: RevocationSettings | None = None


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Parse the environment; raise SettingsError naming the first bad variable."""
    table_name = environ.get("TABLE_NAME", "").strip()
    if not table_name:
        raise SettingsError("TABLE_NAME must name the DynamoDB items table")

    cors_allow_origin = environ.get("CORS_ALLOW_ORIGIN", "").strip() or "*"
    if cors_allow_origin != "*" and not _ORIGIN.match(cors_allow_origin):
        raise SettingsError("CORS_ALLOW_ORIGIN must be '*' or an origin such as https://app.example.com")

    endpoint = environ.get("DYNAMODB_ENDPOINT_URL", "").strip() or None
    if endpoint is not None:
        parts = urlsplit(endpoint)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise SettingsError("DYNAMODB_ENDPOINT_URL must be empty or an http(s) URL")

    # PAGE_TOKEN_KEY (optional): a per-deployment secret that makes `next` tokens valid in every execution
    # environment. Without it, each environment draws its own random key at cold start: nothing secret lives
    # in code, but a token is then only accepted by the environment that issued it (another one answers 400
    # and the client restarts the listing). Owner isolation never depends on this key: the listing's
    # partition is always the caller's own `sub`.
    # In AWS the key is a Secrets Manager secret (PAGE_TOKEN_SECRET_ARN), read at run time and never in the
    # environment; a local PAGE_TOKEN_KEY (the local stack, `sam local invoke --env-vars`) takes its place.
    raw_key = environ.get("PAGE_TOKEN_KEY", "")
    secret_arn = environ.get("PAGE_TOKEN_SECRET_ARN", "").strip() or None
    page_token_key: bytes | None
    if raw_key:
        if len(raw_key) < MIN_PAGE_TOKEN_KEY_CHARS:
            raise SettingsError(f"PAGE_TOKEN_KEY must be at least {MIN_PAGE_TOKEN_KEY_CHARS} characters")
        page_token_key, ephemeral, secret_arn = raw_key.encode("utf-8"), False, None
    elif secret_arn is not None:
        page_token_key, ephemeral = None, False
    else:
        page_token_key, ephemeral = secrets.token_bytes(32), True

    idempotency_table_name = environ.get("IDEMPOTENCY_TABLE_NAME", "").strip() or None
    raw_leeway = environ.get("LEEWAY_SECONDS", "").strip()
    if not raw_leeway:
        leeway = DEFAULT_LEEWAY_SECONDS
    elif raw_leeway.isascii() and raw_leeway.isdigit() and int(raw_leeway) <= MAX_LEEWAY_SECONDS:
        leeway = int(raw_leeway)
    else:
        raise SettingsError(f"LEEWAY_SECONDS must be an integer from 0 to {MAX_LEEWAY_SECONDS}")

    return Settings(
        revocation=_revocation_settings(environ),
        idempotency_table_name=idempotency_table_name,
        table_name=table_name,
        cors_allow_origin=cors_allow_origin,
        dynamodb_endpoint_url=endpoint,
        page_token_key=page_token_key,
        page_token_key_is_ephemeral=ephemeral,
        leeway_seconds=leeway,
        page_token_secret_arn=secret_arn,
    )


def _revocation_settings(environ: Mapping[str, str]) -> RevocationSettings | None:
    """None unless REVOCATION_TABLE is set: only then is the revocation layer (token_revocation) needed."""
    if not environ.get("REVOCATION_TABLE", "").strip():
        return None
    from token_revocation.settings import RevocationSettingsError, load_revocation_settings  # noqa: PLC0415

    try:
        return load_revocation_settings(environ)
    except RevocationSettingsError as exc:
        raise SettingsError(str(exc)) from None
