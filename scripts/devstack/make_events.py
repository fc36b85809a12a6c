"""`python -m devstack.make_events` (`make events`): regenerate events/*.json with fresh tokens.

The tokens are signed by the local issuer's persisted key (.local/issuer-key.json, created on first use),
for a stable issuer identifier (EVENTS_ISSUER below, never fetched: the invoke twin points JWKS_URI at
the key), so events/env.json can name it whatever port a later run uses. Tokens expire; that is why
the committed events go stale and why this script exists. Files written:

  authorizer-{token,request,httpv2}-{valid,expired,missing-scope}.json   REST TOKEN, REST REQUEST and
      HTTP API 2.0 authorizer events for GET /items: a valid token (all scopes), an expired one, and one
      without read:items (allowed GET /me only)
  api-get-me.json, api-list-items.json, api-create-item.json, api-get-item.json, api-delete-item.json,
  api-create-item-bad-body.json   REST proxy events with the authorizer's context in
      requestContext.authorizer, as API Gateway passes it on
  env.json   per-function environment overrides in the `sam local invoke --env-vars` format

Without Docker (the twin: serves the JWKS, starts DynamoDB Local, runs the function in the Lambda RIE):

  python -m devstack.invoke AuthorizerFunction -e events/authorizer-token-valid.json
  python -m devstack.invoke ApiFunction -e events/api-list-items.json

With Docker, the real SAM CLI: the functions in Docker reach the JWKS and DynamoDB Local on the host's
loopback through `--docker-network host`; `--sidecars` starts both and writes .local/env.json with their
live URLs:

  python -m devstack.invoke --sidecars          # keep it running, then in another shell:
  sam build
  sam local invoke AuthorizerFunction -e events/authorizer-token-valid.json \\
      --env-vars .local/env.json --docker-network host
  sam local invoke ApiFunction -e events/api-create-item.json --env-vars .local/env.json --docker-network host

and the whole API in Docker, called with a fresh token for the same issuer:

  sam local start-api --env-vars .local/env.json --docker-network host
  curl -H "Authorization: Bearer $(python -m devstack.make_events --token)" http://127.0.0.1:3000/items
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack.issuer import (
    ALL_SCOPES,
    DEFAULT_AUDIENCE,
    KEY_PATH,
    AccessTokenGenerator,
    DevClient,
    load_signing_key,
)
from devstack.template import ROOT

EVENTS_DIR = ROOT / "events"
# A stable issuer identifier for committed events; .invalid (RFC 6761) can never resolve to anything.
EVENTS_ISSUER = "https://issuer.devstack.invalid/"
# Auth0's default access-token lifetime, so committed events stay valid for a day.
EVENT_TOKEN_LIFETIME = 86400
TABLE_NAME = "ItemsTable"  # what !Ref ItemsTable resolves to in sam local

REGION = "us-east-1"
ACCOUNT = "123456789012"
API_ID = "a1b2c3d4e5"
STAGE = "v1"
ITEM_ID = "3f2b6c1e-8d4a-4c7e-9b1a-2e5f7d9c0a11"
SOURCE_IP = "203.0.113.10"
USER_AGENT = "curl/8.5.0"

ADMIN = DevClient("dev-admin", "", ALL_SCOPES)
WRITER = DevClient("dev-writer", "", ("write:items",))


def method_arn(method: str, path: str, stage: str = STAGE) -> str:
    return f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/{stage}/{method}{path}"


def tokens(key_path: Path = KEY_PATH, now: int | None = None) -> dict[str, tuple[str, dict[str, Any]]]:
    """(token, claims) for valid (every scope), expired and missing-scope (write:items only)."""
    generator = AccessTokenGenerator(
        EVENTS_ISSUER, DEFAULT_AUDIENCE, load_signing_key(key_path), EVENT_TOKEN_LIFETIME
    )
    now = int(time.time()) if now is None else now
    cases = {
        "valid": generator.claims(ADMIN, " ".join(ALL_SCOPES), issued_at=now),
        "expired": generator.claims(ADMIN, " ".join(ALL_SCOPES), issued_at=now - 2 * EVENT_TOKEN_LIFETIME),
        "missing-scope": generator.claims(WRITER, "write:items", issued_at=now),
    }
    return {case: (generator.sign(claims), claims) for case, claims in cases.items()}


def _request_context_v1(method: str, resource: str, path: str, now_ms: int) -> dict[str, Any]:
    return {
        "resourceId": "r3s0ur",
        "resourcePath": resource,
        "httpMethod": method,
        "extendedRequestId": "aBcDeFgHiJkLmNo=",
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now_ms / 1000)),
        "path": f"/{STAGE}{path}",
        "accountId": ACCOUNT,
        "protocol": "HTTP/1.1",
        "stage": STAGE,
        "domainPrefix": API_ID,
        "requestTimeEpoch": now_ms,
        "requestId": str(uuid.uuid4()),
        "identity": {
            "cognitoIdentityPoolId": None,
            "accountId": None,
            "cognitoIdentityId": None,
            "caller": None,
            "sourceIp": SOURCE_IP,
            "principalOrgId": None,
            "accessKey": None,
            "cognitoAuthenticationType": None,
            "cognitoAuthenticationProvider": None,
            "userArn": None,
            "userAgent": USER_AGENT,
            "user": None,
        },
        "domainName": f"{API_ID}.execute-api.{REGION}.amazonaws.com",
        "apiId": API_ID,
    }


def _headers_v1(token: str, body: bool) -> dict[str, str]:
    headers = {
        "Accept": "application/json",
        "Authorization": f"Bearer {token}",
        "Host": f"{API_ID}.execute-api.{REGION}.amazonaws.com",
        "User-Agent": USER_AGENT,
        "X-Forwarded-For": SOURCE_IP,
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
    }
    if body:
        headers["Content-Type"] = "application/json"
    return headers


def rest_request_authorizer_event(token: str, now_ms: int) -> dict[str, Any]:
    headers = _headers_v1(token, body=False)
    return {
        "type": "REQUEST",
        "methodArn": method_arn("GET", "/items"),
        "resource": "/items",
        "path": "/items",
        "httpMethod": "GET",
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {},
        "multiValueQueryStringParameters": {},
        "pathParameters": {},
        "stageVariables": {},
        "requestContext": _request_context_v1("GET", "/items", "/items", now_ms),
    }


def http_v2_authorizer_event(token: str, now_ms: int) -> dict[str, Any]:
    return {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": method_arn("GET", "/items", stage="$default"),
        "identitySource": [f"Bearer {token}"],
        "routeKey": "GET /items",
        "rawPath": "/items",
        "rawQueryString": "",
        "cookies": [],
        "headers": {
            "accept": "application/json",
            "authorization": f"Bearer {token}",
            "host": f"{API_ID}.execute-api.{REGION}.amazonaws.com",
            "user-agent": USER_AGENT,
            "x-forwarded-for": SOURCE_IP,
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
        },
        "queryStringParameters": {},
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": API_ID,
            "domainName": f"{API_ID}.execute-api.{REGION}.amazonaws.com",
            "domainPrefix": API_ID,
            "http": {
                "method": "GET",
                "path": "/items",
                "protocol": "HTTP/1.1",
                "sourceIp": SOURCE_IP,
                "userAgent": USER_AGENT,
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": "GET /items",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now_ms / 1000)),
            "timeEpoch": now_ms,
        },
        "pathParameters": {},
        "stageVariables": {},
    }


def authorizer_context(token_claims: dict[str, Any]) -> dict[str, str]:
    """requestContext.authorizer as API Gateway hands it to the API: the context as strings + principalId."""
    context = {
        "sub": token_claims["sub"],
        "iss": token_claims["iss"],
        "scope": " ".join(sorted(token_claims.get("scope", "").split())),
        "client_id": token_claims["azp"],
        "grant_type": token_claims["gty"],
        "exp": str(token_claims["exp"]),
    }
    return {**context, "principalId": token_claims["sub"]}


@dataclass(frozen=True)
class Caller:
    """Who calls (the token, and the context the authorizer gave it) and when."""

    token: str
    context: dict[str, str]
    now_ms: int


def rest_proxy_event(
    caller: Caller,
    method: str,
    resource: str,
    path: str,
    *,
    body: str | None = None,
    path_parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    headers = _headers_v1(caller.token, body=body is not None)
    request_context = _request_context_v1(method, resource, path, caller.now_ms)
    request_context["authorizer"] = caller.context
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": request_context,
        "body": body,
        "isBase64Encoded": False,
    }


def env_vars() -> dict[str, dict[str, str]]:
    """events/env.json: what `sam local invoke --env-vars` needs for these events."""
    return {
        "AuthorizerFunction": {
            "ISSUER": EVENTS_ISSUER,
            "AUDIENCE": DEFAULT_AUDIENCE,
            # Empty: the twin (python -m devstack.invoke) serves the key and sets it; for Docker, see
            # `python -m devstack.invoke --sidecars`, which writes .local/env.json with the live URL.
            "JWKS_URI": "",
        },
        "ApiFunction": {"TABLE_NAME": TABLE_NAME, "DYNAMODB_ENDPOINT_URL": ""},
    }


def build_events(key_path: Path = KEY_PATH, now: int | None = None) -> dict[str, Any]:
    """Every event file's name and content."""
    now = int(time.time()) if now is None else now
    now_ms = now * 1000
    signed = tokens(key_path, now)
    events: dict[str, Any] = {}
    for case, (token, _claims) in signed.items():
        events[f"authorizer-token-{case}.json"] = {
            "type": "TOKEN",
            "authorizationToken": f"Bearer {token}",
            "methodArn": method_arn("GET", "/items"),
        }
        events[f"authorizer-request-{case}.json"] = rest_request_authorizer_event(token, now_ms)
        events[f"authorizer-httpv2-{case}.json"] = http_v2_authorizer_event(token, now_ms)

    valid, valid_claims = signed["valid"]
    caller = Caller(valid, authorizer_context(valid_claims), now_ms)
    item_path = f"/items/{ITEM_ID}"
    item_params = {"id": ITEM_ID}
    new_item = json.dumps({"name": "first item", "description": "made by sam local invoke"})
    events["api-get-me.json"] = rest_proxy_event(caller, "GET", "/me", "/me")
    events["api-list-items.json"] = rest_proxy_event(caller, "GET", "/items", "/items")
    events["api-create-item.json"] = rest_proxy_event(caller, "POST", "/items", "/items", body=new_item)
    events["api-create-item-bad-body.json"] = rest_proxy_event(
        caller, "POST", "/items", "/items", body='{"name": '
    )
    events["api-get-item.json"] = rest_proxy_event(
        caller, "GET", "/items/{id}", item_path, path_parameters=item_params
    )
    events["api-delete-item.json"] = rest_proxy_event(
        caller, "DELETE", "/items/{id}", item_path, path_parameters=item_params
    )
    events["env.json"] = env_vars()
    return events


def write_events(out_dir: Path = EVENTS_DIR, key_path: Path = KEY_PATH) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in build_events(key_path).items():
        path = out_dir / name
        path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.make_events", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--out", type=Path, default=EVENTS_DIR, help="where to write (default: events/)")
    parser.add_argument(
        "--token", action="store_true", help="only print a fresh valid token (every scope) for EVENTS_ISSUER"
    )
    args = parser.parse_args(argv)
    if args.token:
        print(tokens()["valid"][0])
        return 0
    written = write_events(args.out)
    print(f"Wrote {len(written)} files to {args.out} (tokens valid for {EVENT_TOKEN_LIFETIME // 3600} h).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
