"""`python -m devstack.make_events` (`make events`): draw a new development key, rewrite events/*.json.

The committed events are made to work on any fresh clone, for years, with nothing else running:
  * a new RSA key is drawn on each run and thrown away after signing: only its public JWKS is written
    (inline, in events/env.json as AuthorizerFunction's JWKS), so no private key is ever in git;
  * the "valid" and "missing-scope" tokens expire EVENT_TOKEN_LIFETIME (20 years) after signing, the
    "expired" ones a day before it; their issuer is EVENTS_ISSUER, under .invalid (RFC 6761), a name no
    real deployment can have;
  * tokens and env.json are rewritten together, so they always match (tests/test_committed_events.py
    checks that the committed events verify against the committed env.json for at least 5 more years).

Files written:

  authorizer-{token,request,httpv2}-{valid,expired,missing-scope}.json   REST TOKEN, REST REQUEST and
      HTTP API 2.0 authorizer events for GET /items: a valid token (all scopes), an expired one, and one
      without read:items (allowed POST /items and GET /me only)
  api-get-me.json, api-list-items.json, api-create-item.json, api-get-item.json, api-delete-item.json,
  api-create-item-bad-body.json   REST proxy events with the authorizer's context in
      requestContext.authorizer, as API Gateway passes it on
  env.json   per-function environment overrides in the `sam local invoke --env-vars` format:
      AuthorizerFunction gets ISSUER, AUDIENCE and the inline JWKS (JWKS_URI empty: nothing is fetched);
      ApiFunction gets TABLE_NAME, DYNAMODB_ENDPOINT_URL = DOCKER_DYNAMODB_ENDPOINT (DynamoDB Local as
      a container on the Docker network DOCKER_NETWORK, `python -m devstack.docker_local up`) and an empty
      PAGE_TOKEN_SECRET_ARN (no Secrets Manager call: a pagination key per execution environment)

Without Docker (the twin, `make invoke`: the function in the Lambda RIE, DynamoDB Local on loopback):

  python -m devstack.invoke AuthorizerFunction -e events/authorizer-token-valid.json
  python -m devstack.invoke ApiFunction -e events/api-list-items.json

With Docker, the real SAM CLI (docs/local-development.md; samconfig.toml passes the env file and the network):

  python -m devstack.docker_local up
  sam build --parameter-overrides Architecture=$ARCH
  sam local invoke AuthorizerFunction -e events/authorizer-token-valid.json \\
      --parameter-overrides Architecture=$ARCH

`--token` prints the committed valid token (every scope), e.g. for curl against `sam local start-api`.
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

from joserfc.jwk import RSAKey

from devstack.issuer import ALL_SCOPES, DEFAULT_AUDIENCE, AccessTokenGenerator, DevClient, public_jwks
from devstack.template import ROOT

EVENTS_DIR = ROOT / "events"
# A stable issuer identifier for committed events; .invalid (RFC 6761) can never resolve to anything.
EVENTS_ISSUER = "https://issuer.devstack.invalid/"
# The committed valid tokens outlive any clone of this repository: 20 years (the test asks for 5 more).
EVENT_TOKEN_LIFETIME = 20 * 365 * 86400
# The expired tokens: issued two days before signing, expired one day before it.
EXPIRED_TOKEN_AGE = 2 * 86400
EXPIRED_TOKEN_LIFETIME = 86400
TABLE_NAME = "ItemsTable"  # what !Ref ItemsTable resolves to in sam local
# DynamoDB Local as a container that `sam local` containers reach by name on a user-defined Docker network
# (SAM CLI 1.170 connects its containers to --docker-network NAME; it ignores `host`, aws-sam-cli#4236).
DOCKER_NETWORK = "oauth-protected-api"
DOCKER_DYNAMODB_HOST = "oauth-protected-api-dynamodb"
DOCKER_DYNAMODB_ENDPOINT = f"http://{DOCKER_DYNAMODB_HOST}:8000"

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


def development_key() -> RSAKey:
    """A new 2048-bit RSA signing key (kid = its RFC 7638 thumbprint); it lives only in memory."""
    key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"}, private=True)
    return RSAKey.import_key({**key.as_dict(private=True), "kid": key.thumbprint()})


def tokens(key: RSAKey, now: int | None = None) -> dict[str, tuple[str, dict[str, Any]]]:
    """(token, claims) for valid (every scope), expired and missing-scope (write:items only)."""
    long_lived = AccessTokenGenerator(EVENTS_ISSUER, DEFAULT_AUDIENCE, key, EVENT_TOKEN_LIFETIME)
    expired = AccessTokenGenerator(EVENTS_ISSUER, DEFAULT_AUDIENCE, key, EXPIRED_TOKEN_LIFETIME)
    now = int(time.time()) if now is None else now
    cases = {
        "valid": (long_lived, long_lived.claims(ADMIN, " ".join(ALL_SCOPES), issued_at=now)),
        "expired": (
            expired,
            expired.claims(ADMIN, " ".join(ALL_SCOPES), issued_at=now - EXPIRED_TOKEN_AGE),
        ),
        "missing-scope": (long_lived, long_lived.claims(WRITER, "write:items", issued_at=now)),
    }
    return {case: (generator.sign(claims), claims) for case, (generator, claims) in cases.items()}


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
        # The revocation check's facts (docs/revocation.md), as the authorizer passes them on.
        "iat": str(token_claims["iat"]),
        "jti": token_claims["jti"],
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


def env_vars(key: RSAKey) -> dict[str, dict[str, str]]:
    """events/env.json: what `sam local invoke --env-vars` needs for these events (public key only)."""
    return {
        "AuthorizerFunction": {
            "ISSUER": EVENTS_ISSUER,
            "AUDIENCE": DEFAULT_AUDIENCE,
            # The key set inline: no discovery, no fetch, no network (JWKS and JWKS_URI exclude each other).
            "JWKS": json.dumps(public_jwks(key), separators=(",", ":"), sort_keys=True),
            "JWKS_URI": "",
            # Revocation off (docs/revocation.md): these events' tokens live 20 years, longer than
            # MAX_TOKEN_LIFETIME_SECONDS allows, and an authorizer invoke has no table to read.
            "REVOCATION_TABLE": "",
        },
        # The twin (`make invoke`) replaces the endpoint with its own DynamoDB Local on loopback. No
        # pagination secret to read from Secrets Manager (nothing local may reach AWS): each execution
        # environment draws its own key (the twin gives a random PAGE_TOKEN_KEY instead).
        "ApiFunction": {
            "TABLE_NAME": TABLE_NAME,
            "DYNAMODB_ENDPOINT_URL": DOCKER_DYNAMODB_ENDPOINT,
            "PAGE_TOKEN_SECRET_ARN": "",
            # Off as for the authorizer: the events carry no `iat` and no list is kept here.
            "REVOCATION_TABLE": "",
        },
    }


def build_events(key: RSAKey, now: int | None = None) -> dict[str, Any]:
    """Every event file's name and content, the tokens signed with `key`."""
    now = int(time.time()) if now is None else now
    now_ms = now * 1000
    signed = tokens(key, now)
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
    events["env.json"] = env_vars(key)
    return events


def write_events(out_dir: Path = EVENTS_DIR, key: RSAKey | None = None) -> list[Path]:
    """Write every event file and env.json, signed with `key` (default: a new development key)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in build_events(key or development_key()).items():
        path = out_dir / name
        path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written


def committed_token(events_dir: Path = EVENTS_DIR) -> str:
    """The valid token (every scope) of the committed events, without its `Bearer ` prefix."""
    event = json.loads((events_dir / "authorizer-token-valid.json").read_text(encoding="utf-8"))
    header: str = event["authorizationToken"]
    return header.removeprefix("Bearer ")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.make_events", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--out", type=Path, default=EVENTS_DIR, help="where to write (default: events/)")
    parser.add_argument(
        "--token", action="store_true", help="only print the committed valid token (every scope), no write"
    )
    args = parser.parse_args(argv)
    if args.token:
        print(committed_token(args.out))
        return 0
    written = write_events(args.out)
    years = EVENT_TOKEN_LIFETIME // (365 * 86400)
    print(
        f"Wrote {len(written)} files to {args.out}: a new key (public JWKS in env.json, private key "
        f"discarded), valid tokens for {years} years."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
