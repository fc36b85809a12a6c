"""The e2e tests' client for the local stack: fixed development secrets over devstack.client."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from devstack.client import HttpResponse, api_call, http, token_request
from devstack.stack import LocalStack

__all__ = ["CLIENT_SECRETS", "HttpResponse", "StackClient", "http", "token_request"]

# Fixed for the session so tests can authenticate; they are development secrets of a loopback issuer.
CLIENT_SECRETS = {
    "dev-admin": "e2e-admin-secret",
    "dev-reader": "e2e-reader-secret",
    "dev-noscope": "e2e-noscope-secret",
}


@dataclass(frozen=True)
class StackClient:
    stack: LocalStack

    def token(self, client_id: str) -> str:
        response = token_request(self.stack.issuer.token_endpoint, client_id, CLIENT_SECRETS[client_id])
        assert response.status == 200, response.body
        token: str = response.json()["access_token"]
        return token

    def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        data: bytes | None = None,
    ) -> HttpResponse:
        return api_call(self.stack.api_url, method, path, token=token, body=body, headers=headers, data=data)

    @property
    def authorizer_invocations(self) -> int:
        return self.stack.gateway.service.authorizer_invocations["OAuthAuthorizer"]
