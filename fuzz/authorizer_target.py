"""Fuzz target: the authorizer, in process, on whole events, Authorization values and structured tokens.

Crash: any exception other than the `Unauthorized` the authorizer raises to deny. Oracle: every Allow must
be for a token that an independent check accepts: the RS256 signature verified with `cryptography` alone
(not PyJWT, which the authorizer uses) against the issuer's public key, and iss, aud, exp and nbf right.
The key set is inline (JWKS), so nothing touches the network.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import re
import sys
import time
from dataclasses import dataclass
from typing import Any

import atheris  # type: ignore[import-untyped]  # atheris ships no type hints
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from fuzz.common import ROOT, OracleViolation, code_roots, pick, quiet_stdout

ISSUER = "https://tenant.example.com/"
API = "https://api.example.com/"
KID = "fuzz-key-1"
ARN_PREFIX = "arn:aws:execute-api:eu-west-1:123456789012:abc123/v1"
ROUTES = [
    "GET/me",
    "GET/items",
    "POST/items",
    "GET/items/0b7e1c9e-4a55-4e0a-9d0f-2f6a1c3b8e21",
    "DELETE/items/x",
]


def template_route_scopes() -> dict[str, list[str]]:
    """The route table where template.yaml defines it, so the fuzzer checks the policies a deployment gets."""
    code_roots()
    from devstack.template import route_scopes  # noqa: PLC0415 - needs scripts/ on sys.path first

    return route_scopes()


ROUTE_SCOPES = template_route_scopes()
# RFC 6750 §2.1: `Bearer 1*SP b64token`; the authorizer also allows spaces before and after (only spaces).
_BEARER = re.compile(r" *[Bb][Ee][Aa][Rr][Ee][Rr] +([A-Za-z0-9\-._~+/]+=*) *")

ISSUER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ATTACKER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _jwk(key: rsa.RSAPrivateKey) -> dict[str, str]:
    numbers = key.public_key().public_numbers()
    n = numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
    e = numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")
    return {"kty": "RSA", "n": _b64(n), "e": _b64(e), "kid": KID, "alg": "RS256", "use": "sig"}


def _load_authorizer() -> Any:
    os.environ.update(
        {
            "ISSUER": ISSUER,
            "AUDIENCE": API,
            "JWKS_URI": "",
            "JWKS": json.dumps({"keys": [_jwk(ISSUER_KEY)]}),
            "ALLOWED_ALGORITHMS": "RS256",
            "LEEWAY_SECONDS": "0",
            "ROUTE_SCOPES": json.dumps(ROUTE_SCOPES),
            "SIMPLE_RESPONSES": "false",
            "TOKEN_CACHE_SECONDS": "0",
            # Its own logger name: the CRITICAL level must not reach the tests that replay the corpus.
            "POWERTOOLS_SERVICE_NAME": "fuzz-authorizer",
            "POWERTOOLS_METRICS_NAMESPACE": "Fuzz",
            "POWERTOOLS_LOG_LEVEL": "CRITICAL",
            "POWERTOOLS_TRACE_DISABLED": "true",
        }
    )
    sys.path.insert(0, str(ROOT / "authorizer"))
    spec = importlib.util.spec_from_file_location("authorizer_app", ROOT / "authorizer" / "app.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["authorizer_app"] = module
    # Coverage feedback from the authorizer's own package and PyJWT, which it drives.
    with atheris.instrument_imports(include=["oauth_authorizer", "jwt"]):
        spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Context:
    function_name: str = "fuzz-authorizer"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:fuzz-authorizer"
    aws_request_id: str = "fuzz-request"

    def get_remaining_time_in_millis(self) -> int:
        return 6000


def _sign(key: rsa.RSAPrivateKey, header: dict[str, Any], claims: dict[str, Any]) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


def structured_token(fdp: atheris.FuzzedDataProvider) -> str:
    """A token from fuzzer-chosen parts: header, claims, signer, then maybe one byte changed."""
    now = int(time.time())
    header: dict[str, Any] = {"alg": pick(fdp, ["RS256", "RS384", "HS256", "none", "ES256", "rs256", ""])}
    kid = pick(fdp, [KID, "other", "", None, 7])
    if kid is not None:
        header["kid"] = kid
    typ = pick(fdp, [None, "JWT", "at+jwt", "application/at+jwt", "id_token+jwt", "JWS"])
    if typ is not None:
        header["typ"] = typ
    if fdp.ConsumeBool():
        header[fdp.ConsumeUnicodeNoSurrogates(8) or "x5u"] = fdp.ConsumeUnicodeNoSurrogates(16)
    claims: dict[str, Any] = {}
    for name, options in (
        ("iss", [ISSUER, ISSUER.rstrip("/"), "https://evil.example.com/", None, 5, [ISSUER]]),
        ("aud", [API, [API, "other"], "other", None, [], 7, [None]]),
        ("exp", [now + 600, now - 1, now - 600, None, str(now + 600), 10**20, 1.5e9, True]),
        ("nbf", [None, None, now - 10, now + 600, "0"]),
        ("iat", [None, now, now + 3600, "x"]),
        ("sub", ["auth0|user", "", None, 42, "a" * 300, "\u2028|\u00e9"]),
        ("scope", ["read:items", "read:items write:items delete:items", "", None, ["read:items"], "*"]),
        ("azp", [None, "client", 1]),
    ):
        value = pick(fdp, options)
        if value is not None:
            claims[name] = value
    if fdp.ConsumeBool():
        claims[fdp.ConsumeUnicodeNoSurrogates(12)] = fdp.ConsumeUnicodeNoSurrogates(24)
    signer = pick(fdp, ["issuer", "issuer", "attacker", "none", "hmac-public-key", "garbage"])
    if signer == "issuer":
        token = _sign(ISSUER_KEY, header, claims)
    elif signer == "attacker":
        token = _sign(ATTACKER_KEY, header, claims)
    elif signer == "none":
        token = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}."
    elif signer == "hmac-public-key":
        import hmac  # noqa: PLC0415

        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        secret = json.dumps(_jwk(ISSUER_KEY)).encode()
        token = f"{signing_input}.{_b64(hmac.digest(secret, signing_input.encode(), 'sha256'))}"
    else:
        token = fdp.ConsumeUnicode(64)
    if token and fdp.ConsumeBool():
        index = fdp.ConsumeIntInRange(0, len(token) - 1)
        token = token[:index] + fdp.ConsumeUnicode(1) + token[index + 1 :]
    return token


def _event(fdp: atheris.FuzzedDataProvider, authorization: str | None) -> dict[str, Any]:
    route = pick(fdp, ROUTES)
    method, _, path = route.partition("/")
    arn = f"{ARN_PREFIX}/{route}"
    shape = pick(fdp, ["TOKEN", "REQUEST", "HTTP"])
    if shape == "TOKEN":
        event: dict[str, Any] = {"type": "TOKEN", "methodArn": arn}
        if authorization is not None:
            event["authorizationToken"] = authorization
        return event
    headers = {} if authorization is None else {pick(fdp, ["Authorization", "authorization"]): authorization}
    resource = "/items/{id}" if path.count("/") else f"/{path}"
    if shape == "REQUEST":
        return {
            "type": "REQUEST",
            "methodArn": arn,
            "resource": resource,
            "httpMethod": method,
            "headers": headers,
            "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "requestContext": {"requestId": "fuzz"},
        }
    return {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": arn,
        "routeKey": f"{method} {resource}",
        "headers": {k.lower(): v for k, v in headers.items()},
        "requestContext": {"requestId": "fuzz"},
    }


def independently_valid(token: str) -> bool:
    """The outside check: RS256 with the issuer's key (cryptography only), iss, aud, exp, nbf."""
    parts = token.split(".")
    if len(parts) != 3:
        return False
    try:
        header = json.loads(_unb64(parts[0]))
        claims = json.loads(_unb64(parts[1]))
        signature = _unb64(parts[2])
    except ValueError:
        return False
    if not isinstance(header, dict) or header.get("alg") != "RS256" or not isinstance(claims, dict):
        return False
    try:
        ISSUER_KEY.public_key().verify(
            signature, f"{parts[0]}.{parts[1]}".encode("ascii"), padding.PKCS1v15(), hashes.SHA256()
        )
    except Exception:  # any failure is "not valid"
        return False
    now = time.time()
    aud = claims.get("aud")
    exp, nbf = claims.get("exp"), claims.get("nbf", 0)
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (exp, nbf)):
        return False
    assert isinstance(exp, int | float)
    assert isinstance(nbf, int | float)
    return (
        claims.get("iss") == ISSUER
        and (aud == API or (isinstance(aud, list) and API in aud))
        and float(exp) > now
        and float(nbf) <= now
    )


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _allowed(answer: Any) -> bool:
    if not isinstance(answer, dict):
        raise OracleViolation(f"the authorizer answered a {type(answer).__name__}")
    statements = (answer.get("policyDocument") or {}).get("Statement") or []
    return any(s.get("Effect") == "Allow" for s in statements) or answer.get("isAuthorized") is True


APP = None


def test_one_input(data: bytes) -> None:
    global APP  # noqa: PLW0603 - loaded once per process, lazily so that seeds can be replayed too
    if APP is None:
        APP = _load_authorizer()
    fdp = atheris.FuzzedDataProvider(data)
    mode = fdp.ConsumeIntInRange(0, 2)
    if mode == 0:  # a whole event
        raw = fdp.ConsumeBytes(fdp.remaining_bytes())
        try:
            event: Any = json.loads(raw)
        except ValueError:
            event = {
                "type": "TOKEN",
                "methodArn": f"{ARN_PREFIX}/GET/me",
                "authorizationToken": raw.decode("latin-1"),
            }
        candidates = _strings(event)
    elif mode == 1:  # an Authorization value, any characters (lone surrogates included)
        value = fdp.ConsumeUnicode(fdp.ConsumeIntInRange(0, 600))
        event = _event(fdp, value)
        candidates = [value]
    else:  # a structured token
        prefix = pick(fdp, ["Bearer ", "bearer ", "Bearer  ", "", "Basic ", "Bearer\t", "DPoP "])
        value = prefix + structured_token(fdp)
        event = _event(fdp, value)
        candidates = [value]
    try:
        answer = APP.lambda_handler(event, Context())
    except Exception as exc:
        if type(exc) is Exception and exc.args == ("Unauthorized",):
            return  # the one way to deny
        raise
    if _allowed(answer):
        tokens = [m.group(1) for s in candidates if (m := _BEARER.fullmatch(s))]
        if not any(independently_valid(token) for token in tokens):
            raise OracleViolation(f"Allow without an independently valid token: {event!r:.500}")


def main() -> None:
    global APP  # noqa: PLW0603
    quiet_stdout()
    APP = _load_authorizer()
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
