"""DPoP materials for the authorizer tests: proofs signed with real keys, with any single defect.

Built here, not with the authorizer's own code, so that a test never checks the code with itself: the
thumbprint is RFC 7638's worked rule written out again, the signature is PyJWT's encode.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import sys
import time
import uuid
from types import ModuleType
from typing import Any

import jwt
import pytest
from authorizer_harness import REST_DOMAIN, SigningKey, emf_records, route_logs_to
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from lambda_loader import LambdaContext

REST_HTU = f"https://{REST_DOMAIN}/v1/items"


def decision(app: ModuleType, event: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    """Run the handler on `event`: (its one decision line's reason, everything it printed). A refusal must be
    API Gateway's 401 (`Unauthorized`), nothing else."""
    route_logs_to(sys.stdout)  # sys.stdout is capsys's only while the test runs
    capsys.readouterr()
    failure: Exception | None = None
    try:
        app.lambda_handler(event, LambdaContext())
    except Exception as exc:  # the 401 is the outcome under test
        failure = exc
    assert failure is None or failure.args == ("Unauthorized",)
    output = capsys.readouterr().out
    (reason,) = [record["reason"] for record in emf_records(output) if "Decision" in record]
    return str(reason), output


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk(key: SigningKey) -> dict[str, Any]:
    """The proof header's jwk: the key's public members only (no kid, alg or use needed)."""
    return {name: value for name, value in key.jwk.items() if name not in ("kid", "alg", "use")}


def thumbprint(key: SigningKey) -> str:
    """RFC 7638 §3: SHA-256 over the required members, sorted, without whitespace."""
    jwk = public_jwk(key)
    required = {"EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x"), "RSA": ("e", "kty", "n")}
    members = {name: jwk[name] for name in required[jwk["kty"]]}
    return b64url(
        hashlib.sha256(json.dumps(members, separators=(",", ":"), sort_keys=True).encode()).digest()
    )


def ath(token: str) -> str:
    return b64url(hashlib.sha256(token.encode()).digest())


def proof(
    key: SigningKey,
    token: str,
    *,
    htm: Any = "GET",
    htu: Any = REST_HTU,
    iat: Any = None,
    jti: Any = None,
    claims: dict[str, Any] | None = None,
    headers: dict[str, Any] | None = None,
    drop: tuple[str, ...] = (),
) -> str:
    """A DPoP proof for `token` (RFC 9449 §4.2), valid unless an argument makes it otherwise: `claims`
    and `headers` override members (a value of None removes one), `drop` removes claims."""
    payload: dict[str, Any] = {
        "jti": jti if jti is not None else uuid.uuid4().hex,
        "htm": htm,
        "htu": htu,
        "iat": iat if iat is not None else int(time.time()),
        "ath": ath(token),
    }
    payload.update(claims or {})
    payload = {name: value for name, value in payload.items() if name not in drop and value is not None}
    header: dict[str, Any] = {"typ": "dpop+jwt", "jwk": public_jwk(key)}
    header.update(headers or {})
    # PyJWT sets `alg` from `algorithm`, and `typ` unless given; a None here is removed afterwards.
    encoded = jwt.encode(payload, key.private, algorithm=key.alg, headers=header)
    if any(value is None for value in header.values()):
        return _without_header_members(encoded, key, payload, header)
    return encoded


def _without_header_members(
    encoded: str, key: SigningKey, payload: dict[str, Any], header: dict[str, Any]
) -> str:
    """Re-signs with exactly the header given, its None members removed (PyJWT always adds `typ`)."""
    members = {"alg": key.alg, **{name: value for name, value in header.items() if value is not None}}
    signing_input = f"{b64url(json.dumps(members).encode())}.{encoded.split('.')[1]}"
    algorithm = jwt.get_algorithm_by_name(key.alg)
    signature = algorithm.sign(signing_input.encode(), algorithm.prepare_key(key.private))
    return f"{signing_input}.{b64url(signature)}"


def fully_specified_proof(key: SigningKey, token: str, *, alg: str = "Ed25519", htu: str = REST_HTU) -> str:
    """An Ed25519 proof under RFC 9864's fully-specified name `Ed25519` (PyJWT cannot sign one)."""
    header = {"typ": "dpop+jwt", "alg": alg, "jwk": public_jwk(key)}
    payload = {"jti": uuid.uuid4().hex, "htm": "GET", "htu": htu, "iat": int(time.time()), "ath": ath(token)}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}"
    signature = key.private.sign(signing_input.encode())  # type: ignore[call-arg]
    return f"{signing_input}.{b64url(signature)}"


def unsigned_proof(key: SigningKey, token: str) -> str:
    """A proof with `alg: none` and no signature (RFC 8725 §3.1 says never to accept one)."""
    header = {"typ": "dpop+jwt", "alg": "none", "jwk": public_jwk(key)}
    payload = {
        "jti": uuid.uuid4().hex,
        "htm": "GET",
        "htu": REST_HTU,
        "iat": int(time.time()),
        "ath": ath(token),
    }
    return f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}."


def certificate(common_name: str = "client.example") -> tuple[str, str]:
    """A self-signed client certificate as API Gateway passes it (PEM), and its x5t#S256 (RFC 8705 §3.1)."""
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(private, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    return cert.public_bytes(serialization.Encoding.PEM).decode(), b64url(hashlib.sha256(der).digest())
