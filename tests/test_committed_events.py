"""The committed events/ work on any fresh clone, for years: their tokens verify against the inline key
set of the committed events/env.json, the valid ones for at least 5 more years, and no private key is in
git. Checked with PyJWT directly (the authorizer's own checks run on the same files in tests/e2e and, with
Docker, tests/docker)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from event_outcomes import API_OUTCOMES, TOKEN_CASES, authorizer_events

from devstack.make_events import (
    DOCKER_DYNAMODB_ENDPOINT,
    EVENTS_DIR,
    EVENTS_ISSUER,
    committed_token,
    write_events,
)

FIVE_YEARS = 5 * 365 * 86400
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k"}


def load(directory: Path, name: str) -> Any:
    return json.loads((directory / name).read_text(encoding="utf-8"))


def token_of(event: dict[str, Any]) -> str:
    header: str = (
        event.get("authorizationToken")
        or event["headers"].get("Authorization")
        or event["headers"]["authorization"]
    )
    assert header.startswith("Bearer ")
    return header.removeprefix("Bearer ")


def key_set(directory: Path) -> jwt.PyJWKSet:
    return jwt.PyJWKSet.from_json(load(directory, "env.json")["AuthorizerFunction"]["JWKS"])


def verify(token: str, keys: jwt.PyJWKSet) -> dict[str, Any]:
    """The token's claims once its signature, iss and aud check out (exp is each test's business)."""
    kid = jwt.get_unverified_header(token)["kid"]
    claims: dict[str, Any] = jwt.decode(
        token,
        keys[kid].key,
        algorithms=["RS256"],
        audience=load(EVENTS_DIR, "env.json")["AuthorizerFunction"]["AUDIENCE"],
        issuer=EVENTS_ISSUER,
        options={"verify_exp": False},
    )
    return claims


def tokens_by_case(directory: Path) -> dict[str, set[str]]:
    """Every token in the event files, by case ("valid" also covers the API events' token)."""
    found: dict[str, set[str]] = {case: set() for case in TOKEN_CASES}
    for name in authorizer_events():
        case = next(c for c in TOKEN_CASES if name.endswith(f"-{c}.json"))
        found[case].add(token_of(load(directory, name)))
    for name, _status, _body in API_OUTCOMES:
        found["valid"].add(token_of(load(directory, name)))
    return found


def test_committed_env_file_gives_the_authorizer_an_inline_public_key_set_and_no_fetch() -> None:
    authorizer = load(EVENTS_DIR, "env.json")["AuthorizerFunction"]
    keys = json.loads(authorizer["JWKS"])["keys"]

    assert authorizer["ISSUER"] == EVENTS_ISSUER
    assert authorizer["JWKS_URI"] == ""
    assert [key["kty"] for key in keys] == ["RSA"]
    assert set(keys[0]) & PRIVATE_MEMBERS == set()


def test_no_committed_event_file_holds_a_private_key() -> None:
    for path in EVENTS_DIR.iterdir():
        text = path.read_text(encoding="utf-8")
        assert '"d":' not in text.replace(" ", ""), path.name
        assert "PRIVATE KEY" not in text, path.name


def test_committed_issuer_is_one_no_real_deployment_can_have() -> None:
    assert EVENTS_ISSUER.removesuffix("/").endswith(".invalid")


def test_committed_env_file_points_the_api_at_dynamodb_local_and_at_no_aws_secret() -> None:
    api = load(EVENTS_DIR, "env.json")["ApiFunction"]

    assert api["DYNAMODB_ENDPOINT_URL"] == DOCKER_DYNAMODB_ENDPOINT
    assert api["PAGE_TOKEN_SECRET_ARN"] == ""
    assert "PAGE_TOKEN_KEY" not in api


def test_committed_valid_tokens_verify_and_stay_valid_for_five_more_years() -> None:
    keys = key_set(EVENTS_DIR)
    now = time.time()
    tokens = tokens_by_case(EVENTS_DIR)

    assert len(tokens["valid"]) == 1
    assert len(tokens["missing-scope"]) == 1
    for case in ("valid", "missing-scope"):
        for token in tokens[case]:
            claims = verify(token, keys)
            assert claims["exp"] >= now + FIVE_YEARS, case
            assert claims["iat"] <= now, case


def test_committed_expired_tokens_verify_but_are_past_their_exp() -> None:
    keys = key_set(EVENTS_DIR)
    (token,) = tokens_by_case(EVENTS_DIR)["expired"]

    claims = verify(token, keys)

    assert claims["exp"] < time.time()
    key = keys[jwt.get_unverified_header(token)["kid"]].key
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(token, key, algorithms=["RS256"], audience=claims["aud"])


def test_token_flag_prints_the_committed_valid_token() -> None:
    assert committed_token() in tokens_by_case(EVENTS_DIR)["valid"]


def test_make_events_draws_a_new_key_and_rewrites_tokens_and_env_file_together(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    write_events(first)
    write_events(second)

    # THEN each set verifies against its own env.json only, and the files are the committed set
    first_token = next(iter(tokens_by_case(first)["valid"]))
    verify(first_token, key_set(first))
    assert {k.key_id for k in key_set(first).keys} != {k.key_id for k in key_set(second).keys}
    with pytest.raises(KeyError):
        key_set(second)[jwt.get_unverified_header(first_token)["kid"]]
    assert sorted(p.name for p in first.iterdir()) == sorted(p.name for p in EVENTS_DIR.iterdir())
    committed_env = load(EVENTS_DIR, "env.json")
    regenerated_env = load(first, "env.json")
    for env in (committed_env, regenerated_env):
        env["AuthorizerFunction"].pop("JWKS")
    assert regenerated_env == committed_env
