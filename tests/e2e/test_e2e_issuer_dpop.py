"""The local issuer's DPoP token requests (RFC 9449 §5): a valid proof binds the token to its key (cnf.jkt,
token_type DPoP) as Auth0 does; each single defect of a proof is a 400 invalid_dpop_proof."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec
from dpop import DPoPKey

from devstack.issuer import RunningIssuer, start_issuer

SECRETS = {"dev-admin": "admin-secret"}
INVALID_PROOF = "invalid_dpop_proof"


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningIssuer]:
    running = start_issuer(client_secrets=SECRETS, key_path=tmp_path_factory.mktemp("key") / "key.json")
    yield running
    running.stop()


def rfc7638_thumbprint(public_jwk: dict[str, Any]) -> str:
    """RFC 7638 §3 for an EC key, written out here so that the test does not trust the issuer's library."""
    members = {name: public_jwk[name] for name in ("crv", "kty", "x", "y")}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()


def token_request(issuer: RunningIssuer, headers: dict[str, str] | None = None) -> requests.Response:
    return requests.post(
        issuer.token_endpoint,
        data={"grant_type": "client_credentials"},
        auth=("dev-admin", SECRETS["dev-admin"]),
        headers=headers or {},
        timeout=10,
    )


def claims_of(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return decoded


def test_a_valid_proof_binds_the_token_to_the_proofs_key(issuer: RunningIssuer) -> None:
    key = DPoPKey()

    response = token_request(issuer, {"DPoP": key.proof("POST", issuer.token_endpoint)})

    body = response.json()
    assert response.status_code == 200
    assert (body["token_type"], body["expires_in"]) == ("DPoP", 3600)
    assert claims_of(body["access_token"])["cnf"] == {"jkt": rfc7638_thumbprint(key.public_jwk)}


def test_without_a_proof_the_token_is_an_unbound_bearer_token(issuer: RunningIssuer) -> None:
    response = token_request(issuer)

    assert response.status_code == 200
    assert response.json()["token_type"] == "Bearer"
    assert "cnf" not in claims_of(response.json()["access_token"])


def test_discovery_lists_the_proof_algorithms(issuer: RunningIssuer) -> None:
    discovery = requests.get(issuer.config.base_url + "/.well-known/openid-configuration", timeout=10).json()

    assert discovery["dpop_signing_alg_values_supported"] == ["ES256", "RS256", "PS256", "EdDSA"]


def _proof(
    issuer: RunningIssuer,
    *,
    header: dict[str, Any] | None = None,
    claims: dict[str, Any] | None = None,
    drop: str | None = None,
    signer: ec.EllipticCurvePrivateKey | None = None,
) -> str:
    """A token-request proof by a new P-256 key, with one part changed (header, claims, or signer)."""
    private = ec.generate_private_key(ec.SECP256R1())
    public_jwk = jwt.algorithms.ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
    payload: dict[str, Any] = {
        "jti": str(uuid.uuid4()),
        "htm": "POST",
        "htu": issuer.token_endpoint,
        "iat": int(time.time()),
        **(claims or {}),
    }
    if drop is not None:
        del payload[drop]
    headers = {"typ": "dpop+jwt", "jwk": public_jwk, **(header or {})}
    return jwt.encode(payload, signer or private, algorithm="ES256", headers=headers)


def _private_jwk() -> dict[str, Any]:
    private = ec.generate_private_key(ec.SECP256R1())
    full: dict[str, Any] = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private))
    return full


def _hs256_proof(issuer: RunningIssuer) -> str:
    payload = {"jti": "j", "htm": "POST", "htu": issuer.token_endpoint, "iat": int(time.time())}
    return jwt.encode(payload, "k" * 32, algorithm="HS256", headers={"typ": "dpop+jwt"})


DEFECTS: dict[str, Any] = {
    "not a JWS": lambda _issuer: "not-a-jws",
    "typ JWT": lambda issuer: _proof(issuer, header={"typ": "JWT"}),
    "no jwk": lambda issuer: _proof(issuer, header={"jwk": None}),
    "private jwk": lambda issuer: _proof(issuer, header={"jwk": _private_jwk()}),
    "symmetric alg": _hs256_proof,
    "signed by another key": lambda issuer: _proof(issuer, signer=ec.generate_private_key(ec.SECP256R1())),
    "htm GET": lambda issuer: _proof(issuer, claims={"htm": "GET"}),
    "htu of another URL": lambda issuer: _proof(issuer, claims={"htu": "http://127.0.0.1:1/oauth/token"}),
    "iat 2 minutes old": lambda issuer: _proof(issuer, claims={"iat": int(time.time()) - 120}),
    "iat 2 minutes ahead": lambda issuer: _proof(issuer, claims={"iat": int(time.time()) + 120}),
    "no jti": lambda issuer: _proof(issuer, drop="jti"),
    "no htu": lambda issuer: _proof(issuer, drop="htu"),
}


@pytest.mark.parametrize("defect", DEFECTS)
def test_a_proof_with_one_defect_is_a_400_invalid_dpop_proof(issuer: RunningIssuer, defect: str) -> None:
    response = token_request(issuer, {"DPoP": DEFECTS[defect](issuer)})

    assert response.status_code == 400
    assert response.json()["error"] == INVALID_PROOF
    assert set(response.json()) == {"error", "error_description"}


def test_a_replayed_proof_is_refused(issuer: RunningIssuer) -> None:
    proof = DPoPKey().proof("POST", issuer.token_endpoint)

    first = token_request(issuer, {"DPoP": proof})
    second = token_request(issuer, {"DPoP": proof})

    assert (first.status_code, second.status_code) == (200, 400)
    assert second.json() == {
        "error": INVALID_PROOF,
        "error_description": "The DPoP proof's jti was already used.",
    }


def test_two_dpop_headers_are_refused(issuer: RunningIssuer) -> None:
    key = DPoPKey()
    url = urllib.parse.urlsplit(issuer.token_endpoint)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    body = "grant_type=client_credentials"
    basic = base64.b64encode(f"dev-admin:{SECRETS['dev-admin']}".encode()).decode()
    try:
        connection.putrequest("POST", url.path)
        for header, value in (
            ("Authorization", f"Basic {basic}"),
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Content-Length", str(len(body))),
            ("DPoP", key.proof("POST", issuer.token_endpoint)),
            ("DPoP", key.proof("POST", issuer.token_endpoint)),
        ):
            connection.putheader(header, value)
        connection.endheaders(body.encode())
        response = connection.getresponse()
        answer = json.loads(response.read())
    finally:
        connection.close()

    assert (response.status, answer["error"]) == (400, INVALID_PROOF)
