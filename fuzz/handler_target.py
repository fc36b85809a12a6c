"""Fuzz target: the API handler, in process, against DynamoDB Local (DYNAMODB_ENDPOINT_URL, from the runner).

Bodies, paths, query strings (limit, next), Idempotency-Key values and authorizer contexts (iss, sub,
scope, odd ones included) in REST and HTTP API event shapes. Crash: any 5xx (the handler's last-resort
500 is how a bug shows) or an answer that is not JSON. Oracle: a listing only ever holds items its caller
created (owner isolation, checked against what this process created for each owner).
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections import defaultdict
from typing import Any

import atheris  # type: ignore[import-untyped]  # atheris ships no type hints

from fuzz.common import ROOT, OracleViolation, pick, quiet_stdout

for folder in ("scripts", "tests", "tests/api_handler", "api_handler"):
    sys.path.insert(0, str(ROOT / folder))

# The API tests' event builders (REST v1 and HTTP API 2.0 shapes), reused rather than written twice.
from api_harness import (  # type: ignore[import-not-found, unused-ignore]  # noqa: E402 - see above
    Caller,
    EventSpec,
    api_context,
    http_event,
    load_app,
    rest_event,
)

ISSUERS = ["https://tenant.auth0.com/", "https://other.example.com/", "", "x", "https://a.example.com/\u2028"]
SUBS = ["auth0|alice", "auth0|bob", "", "\ud800", 'a"b\\c', '["iss", "sub"]', "x" * 2000, "\u0000", "é|ü"]
SCOPES = [
    "read:items write:items delete:items",
    "read:items",
    "",
    "write:items",
    "*",
    "read:items\u00a0write:items",
]

APP: Any = None
CREATED: dict[str, set[str]] = defaultdict(set)  # owner (iss, sub) -> ids this process created


def _load() -> Any:
    endpoint = os.environ["DYNAMODB_ENDPOINT_URL"]
    os.environ.update(
        {
            "TABLE_NAME": os.environ.get("FUZZ_TABLE_NAME", "items-fuzz"),
            "IDEMPOTENCY_TABLE_NAME": os.environ.get("FUZZ_IDEMPOTENCY_TABLE_NAME", "idempotency-fuzz"),
            "DYNAMODB_ENDPOINT_URL": endpoint,
            "CORS_ALLOW_ORIGIN": "https://app.example.com",
            # Its own logger name: the CRITICAL level must not reach the tests that replay the corpus.
            "POWERTOOLS_SERVICE_NAME": "fuzz-items-api",
            "POWERTOOLS_LOG_LEVEL": "CRITICAL",
            "POWERTOOLS_METRICS_NAMESPACE": "Fuzz",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",  # DynamoDB Local ignores credentials
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    )
    os.environ.pop("PAGE_TOKEN_KEY", None)
    with atheris.instrument_imports(include=["items_api"]):
        return load_app()


def _text(fdp: atheris.FuzzedDataProvider, length: int) -> str:
    # What arrives from a URL: any Unicode except lone surrogates (no UTF-8 byte sequence decodes to one).
    text: str = fdp.ConsumeUnicodeNoSurrogates(length)
    return text


def _caller(fdp: atheris.FuzzedDataProvider) -> tuple[Caller | None, dict[str, Any] | None]:
    kind = fdp.ConsumeIntInRange(0, 3)
    if kind == 0:
        return Caller(pick(fdp, SUBS), iss=pick(fdp, ISSUERS)), None
    if kind == 1:
        sub = fdp.ConsumeUnicode(fdp.ConsumeIntInRange(0, 80))
        iss = fdp.ConsumeUnicode(fdp.ConsumeIntInRange(0, 40))
        return Caller(sub, scopes=tuple(pick(fdp, SCOPES).split(" ")), iss=iss), None
    if kind == 2:  # a raw context: any keys, any scalar values
        context: dict[str, Any] = {}
        for _ in range(fdp.ConsumeIntInRange(0, 6)):
            key = pick(fdp, ["sub", "iss", "scope", "client_id", "exp", "principalId", fdp.ConsumeUnicode(6)])
            context[key] = pick(fdp, [fdp.ConsumeUnicode(20), fdp.ConsumeInt(4), True, None, 1.5])
        return None, context
    return None, None


def _invoke(shape: str, spec: EventSpec) -> dict[str, Any]:
    event = rest_event(spec) if shape == "rest" else http_event(spec)
    raw: dict[str, Any] = APP.lambda_handler(event, api_context())
    status = int(raw["statusCode"])
    body = raw.get("body") or ""
    if status >= 500:
        raise AssertionError(f"{status} for {spec!r:.400}: {body[:300]}")
    if body and not raw.get("isBase64Encoded"):
        json.loads(body)  # every answer is JSON
    return raw


def _owner(caller: Caller | None) -> str | None:
    return json.dumps([caller.iss, caller.sub]) if caller is not None and caller.iss and caller.sub else None


def test_one_input(data: bytes) -> None:  # noqa: PLR0912 - one branch per action, read top to bottom
    global APP  # noqa: PLW0603 - loaded once per process
    if APP is None:
        APP = _load()
    fdp = atheris.FuzzedDataProvider(data)
    shape = pick(fdp, ["rest", "http"])
    caller, context = _caller(fdp)
    common: dict[str, Any] = {"caller": caller}
    if context is not None:
        common["authorizer_context"] = context
    action = fdp.ConsumeIntInRange(0, 4)
    if action == 0:  # POST with a fuzzed body (and maybe a key)
        body = pick(fdp, [None, fdp.ConsumeUnicode(200), json.dumps({"name": fdp.ConsumeUnicode(30)})])
        headers = {"Idempotency-Key": fdp.ConsumeUnicode(20)} if fdp.ConsumeBool() else {}
        raw = _invoke(shape, EventSpec("POST", "/items", body=body, headers=headers, **common))
        owner = _owner(caller)
        if raw["statusCode"] == 201 and owner is not None:
            CREATED[owner].add(json.loads(raw["body"])["id"])
    elif action == 1:  # a listing, with fuzzed limit and next
        query = {}
        if fdp.ConsumeBool():
            query["limit"] = pick(fdp, ["1", "100", "0", "101", "-1", "1e2", _text(fdp, 5)])
        if fdp.ConsumeBool():
            query["next"] = _text(fdp, fdp.ConsumeIntInRange(0, 600))
        raw = _invoke(shape, EventSpec("GET", "/items", query=query or None, **common))
        _check_isolation(caller, raw)
    elif (
        action == 2
    ):  # two pages: a real next token for this caller, maybe altered (odd subs meet tokens here)
        for _ in range(2):
            _invoke(shape, EventSpec("POST", "/items", body=json.dumps({"name": "p"}), **common))
        first = _invoke(shape, EventSpec("GET", "/items", query={"limit": "1"}, **common))
        token = json.loads(first["body"]).get("next") if first["statusCode"] == 200 else None
        if token:
            if fdp.ConsumeBool() and len(token) > 1:
                index = fdp.ConsumeIntInRange(0, len(token) - 1)
                token = token[:index] + _text(fdp, 1) + token[index + 1 :]
            other, _ = _caller(fdp)  # replayed by the same caller, or by another one
            replay: dict[str, Any] = {"caller": other if fdp.ConsumeBool() else caller}
            raw = _invoke(shape, EventSpec("GET", "/items", query={"limit": "1", "next": token}, **replay))
            _check_isolation(replay["caller"], raw)
    elif action == 3:  # item routes with fuzzed ids
        method = pick(fdp, ["GET", "DELETE"])
        item_id = pick(fdp, [str(uuid.uuid4()), _text(fdp, 40), "", "%2e%2e"])
        _invoke(shape, EventSpec(method, f"/items/{item_id}", **common))
    else:  # anything else: other methods and paths
        method = pick(fdp, ["GET", "PUT", "PATCH", "OPTIONS", "HEAD", "POST"])
        path = pick(fdp, ["/me", "/", "/items/", "/unknown", "/" + _text(fdp, 20)])
        _invoke(shape, EventSpec(method, path, body=fdp.ConsumeUnicode(50) or None, **common))


def _check_isolation(caller: Caller | None, raw: dict[str, Any]) -> None:
    owner = _owner(caller)
    if raw["statusCode"] != 200 or owner is None:
        return
    listed = {item["id"] for item in json.loads(raw["body"])["items"]}
    foreign = listed - CREATED[owner]
    # Items made by the two-page action are not tracked per id; they are the caller's own by construction,
    # so only ids created for some *other* owner count as a leak.
    leaked = {i for i in foreign if any(i in ids for o, ids in CREATED.items() if o != owner)}
    if leaked:
        raise OracleViolation(f"{owner} listed another owner's items: {sorted(leaked)[:3]}")


def main() -> None:
    global APP  # noqa: PLW0603
    quiet_stdout()
    APP = _load()
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
