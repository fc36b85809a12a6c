"""Where the pagination tokens' HMAC key comes from (how tokens are made is pagination.py's business).

In AWS the key is a Secrets Manager secret. It is read at run time, on the first listing that needs it,
through Powertools Parameters, which caches it in the execution environment for MAX_AGE_SECONDS: never
in the environment, where anyone allowed lambda:GetFunctionConfiguration could read it, and never on the
cold start of a request that does not list. Locally, or without a secret, the settings hold the key.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from items_api.settings import MIN_PAGE_TOKEN_KEY_CHARS, Settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

# A rotated key reaches every execution environment within this many seconds.
MAX_AGE_SECONDS: Final = 300
# Bounded like the DynamoDB client: a slow Secrets Manager cannot eat the function's timeout. Given to
# botocore's Config on first use (botocore.config is not imported by a cold start that lists nothing).
CLIENT_CONFIG: Final[dict[str, Any]] = {
    "retries": {"mode": "standard", "max_attempts": 3},
    "connect_timeout": 2,
    "read_timeout": 3,
}

PageTokenKey = Callable[[], bytes]


class PageTokenSecretError(ValueError):
    """The secret's value cannot be a page token key (its value is never part of the message)."""


class SecretPageTokenKey:
    """The key as the Secrets Manager secret `secret_id` holds it, cached by Powertools Parameters."""

    def __init__(self, secret_id: str, provider: SecretsProvider | None = None) -> None:
        self._secret_id = secret_id
        self._provider = provider

    def __call__(self) -> bytes:
        if self._provider is None:
            # Imported on first use: a cold start that serves no listing does not pay for it.
            from aws_lambda_powertools.utilities.parameters import SecretsProvider  # noqa: PLC0415
            from botocore.config import Config  # noqa: PLC0415

            self._provider = SecretsProvider(boto_config=Config(**CLIENT_CONFIG))
        value = self._provider.get(self._secret_id, max_age=MAX_AGE_SECONDS)
        if not isinstance(value, str) or len(value) < MIN_PAGE_TOKEN_KEY_CHARS:
            raise PageTokenSecretError(
                f"the page token secret must be a string of at least {MIN_PAGE_TOKEN_KEY_CHARS} characters"
            )
        return value.encode("utf-8")


class EphemeralPageTokenKey:
    """A random key of this execution environment alone (neither PAGE_TOKEN_KEY nor a secret is set)."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def __call__(self) -> bytes:
        return self._key

    def redraw(self) -> None:
        """A new random key: after a SnapStart restore, every environment restored from one snapshot
        would otherwise share the key drawn at its init (items_api/snapstart.py)."""
        self._key = secrets.token_bytes(len(self._key))


def page_token_key(settings: Settings, provider: SecretsProvider | None = None) -> PageTokenKey:
    """The key's source for these settings: the secret when they name one, else their own key."""
    if settings.page_token_secret_arn is not None:
        return SecretPageTokenKey(settings.page_token_secret_arn, provider)
    key = settings.page_token_key
    if key is None:
        raise ValueError("settings name neither a page token key nor a secret")
    if settings.page_token_key_is_ephemeral:
        return EphemeralPageTokenKey(key)
    return lambda: key
