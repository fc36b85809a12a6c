"""The committed seed corpus of fuzz/dpop_target.py, replayed through its target and oracle, and the
defects its runs found, pinned as fixed (a huge or NaN iat, an htu with whitespace, the window's edge).

The oracle itself is tested here too: a valid proof passes it, and each single defect it must catch
makes it raise, so a seed replay that passes means something.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "fuzz" / "corpus" / "dpop"
HTU = "https://abc123.execute-api.eu-west-1.amazonaws.com/v1/items"


@pytest.fixture
def target(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    # The target configures the authorizer through the environment; keep that to this test.
    monkeypatch.setattr(os, "environ", dict(os.environ))
    from fuzz import dpop_target

    dpop_target._apps()
    return dpop_target


def test_the_committed_dpop_corpus_replays_without_a_crash_or_an_oracle_violation(
    target: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    answered: list[str] = []
    check = target.check_answered

    def counted(request: Any, *args: Any) -> None:
        check(request, *args)  # the oracle, unchanged
        answered.append(request.authorization.split()[0].lower())

    monkeypatch.setattr(target, "check_answered", counted)
    seeds = sorted(CORPUS.iterdir())
    assert 100 <= len(seeds) < 200
    for seed in seeds:
        target.test_one_input(seed.read_bytes())
    # The seeds reach the oracle with valid DPoP proofs (each key type) and with plain bearer tokens.
    assert answered.count("dpop") >= 5
    assert answered.count("bearer") >= 5


def _proof(target: ModuleType, token: str, **claims: Any) -> str:
    header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": target.public_jwk("ec")}
    payload = {
        "jti": f"pinned-{time.time_ns()}",
        "htm": "GET",
        "htu": HTU,
        "iat": int(time.time()),
        "ath": target._b64(hashlib.sha256(token.encode()).digest()),
        **claims,
    }
    signing_input = f"{target._b64(json.dumps(header).encode())}.{target._b64(json.dumps(payload).encode())}"
    return f"{signing_input}.{target._b64(target.sign('ES256', 'ec', signing_input.encode()))}"


def _request(target: ModuleType, proof: str, token: str) -> Any:
    authorization = f"DPoP {token}"
    event = {
        "type": "REQUEST",
        "methodArn": f"{target.ARN_PREFIX}/GET/items",
        "resource": "/items",
        "httpMethod": "GET",
        "headers": {"Authorization": authorization, "DPoP": proof},
        "multiValueHeaders": {"Authorization": [authorization], "DPoP": [proof]},
        "requestContext": {"requestId": "pinned", "domainName": target.REST_DOMAIN, "path": "/v1/items"},
    }
    return target.Request(event, authorization, [proof], "GET", target.REST_DOMAIN, "/v1/items", None)


def _bound_token(target: ModuleType) -> str:
    token: str = target.token_for("ec", "client", "read:items", "issuer", None)
    return token


def _answer(target: ModuleType, request: Any) -> tuple[Any, float, float]:
    app = target.APPS[0]
    before = time.time()
    answer = target._call(app, request.event)
    return answer, before, time.time()


def test_a_valid_proof_is_answered_and_passes_the_oracle_once_and_its_replay_is_denied(
    target: ModuleType,
) -> None:
    token = _bound_token(target)
    request = _request(target, _proof(target, token), token)
    answer, before, after = _answer(target, request)
    assert answer is not None
    target.check_answered(request, target.Accepted(), before, after)
    assert _answer(target, request)[0] is None  # the authorizer's own replay guard


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        ({"htm": "POST"}, "htm is not the method"),
        ({"htu": "https://evil.example.com/v1/items"}, "htu"),
        ({"iat": int(time.time()) - 700}, "iat is outside the window"),
        ({"ath": "x"}, "ath is not the token's hash"),
        ({"iat": float("nan")}, "iat is outside the window"),
        ({"htu": f" {HTU}"}, "htu holds whitespace"),
    ],
)
def test_the_oracle_refuses_a_proof_with_one_defect(
    target: ModuleType, claims: dict[str, Any], why: str
) -> None:
    token = _bound_token(target)
    request = _request(target, _proof(target, token, **claims), token)
    now = time.time()
    with pytest.raises(target.OracleViolation, match=why):
        target.check_answered(request, target.Accepted(), now, now)


def test_the_oracle_refuses_a_second_acceptance_of_one_jti(target: ModuleType) -> None:
    token = _bound_token(target)
    request = _request(target, _proof(target, token), token)
    accepted, now = target.Accepted(), time.time()
    target.check_answered(request, accepted, now, now)
    with pytest.raises(target.OracleViolation, match="accepted before"):
        target.check_answered(request, accepted, now, now)


def test_the_oracle_refuses_a_bound_token_as_bearer(target: ModuleType) -> None:
    token = _bound_token(target)
    request = _request(target, _proof(target, token), token)
    request.authorization = f"Bearer {token}"
    now = time.time()
    with pytest.raises(target.OracleViolation, match="DPoP-bound token came as a Bearer token"):
        target.check_answered(request, target.Accepted(), now, now)


def test_the_oracles_url_normalisation_follows_rfc_3986() -> None:
    from fuzz.dpop_target import simple_normal

    assert simple_normal("HTTPS://API.Example.com:443/v1/./x/../%69tems%2f?q#f") == (
        "https://api.example.com/v1/items%2F"
    )
    assert simple_normal("http://127.0.0.1:3000") == "http://127.0.0.1:3000/"
    assert simple_normal("https://a/b/c/./../../g") == "https://a/g"  # RFC 3986 §5.4.2
    assert simple_normal("https://user@a/") is None  # beyond it: unsure, never a verdict


# Found by `python -m fuzz dpop`, fixed in authorizer/oauth_authorizer/dpop.py and replay.py.
def test_a_proof_whose_iat_is_a_huge_integer_is_denied_not_a_crash(target: ModuleType) -> None:
    token = _bound_token(target)
    answer, _, _ = _answer(target, _request(target, _proof(target, token, iat=10**400), token))
    assert answer is None


def test_a_proof_whose_iat_is_nan_is_denied(target: ModuleType) -> None:
    token = _bound_token(target)
    answer, _, _ = _answer(target, _request(target, _proof(target, token, iat=float("nan")), token))
    assert answer is None


@pytest.mark.parametrize("htu", [f" {HTU}", HTU.replace("items", "it\tems"), f"{HTU}\n"])
def test_a_proof_whose_htu_holds_whitespace_is_denied(target: ModuleType, htu: str) -> None:
    token = _bound_token(target)
    answer, _, _ = _answer(target, _request(target, _proof(target, token, htu=htu), token))
    assert answer is None


def test_a_proof_at_the_very_edge_of_its_window_is_accepted_once(target: ModuleType) -> None:
    from oauth_authorizer.dpop import ProofChecker
    from oauth_authorizer.errors import TokenRejected
    from oauth_authorizer.replay import ReplayGuard, SeenProofs
    from oauth_authorizer.settings import DpopSettings

    now = 1_800_000_000.0
    token = _bound_token(target)
    proof = _proof(target, token, iat=int(now) - 60)
    checker = ProofChecker(DpopSettings(iat_window_seconds=60), clock=lambda: now)
    guard = ReplayGuard(SeenProofs(clock=lambda: now))
    urls = frozenset({HTU})
    outcomes = []
    for _ in range(2):  # what SenderConstraints.check does per request: check, then first use
        checked = checker.check(proof, method="GET", urls=urls, token=token)
        try:
            guard.first_use(checked.jkt, checked.jti, checked.iat + 60)
            outcomes.append("accepted")
        except TokenRejected as exc:
            outcomes.append(exc.reason.value)
    assert outcomes == ["accepted", "dpop_replay"]
