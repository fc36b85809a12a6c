"""Warm authorization: the whole lambda_handler call next to its physical floor, one RSA verify.

The floor is what no authorizer can avoid for a token it has never seen: one RSA-2048 PKCS#1 v1.5 /
SHA-256 signature check with `cryptography` and a preloaded public key. Everything else the handler
does (base64url and JSON, the claim checks, the key lookup, the policy, the log line and the metric)
is measured as a multiple of it.

These ratios are timed, and reported only: the machine moves them. The batches built here are also
counted in instructions by bench/counted.py, and the budgets are enforced on those counts.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import importlib
import importlib.util
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from jwt.algorithms import ECAlgorithm
from jwt.utils import raw_to_der_signature

from bench.issuer import AUDIENCE, BenchKey, serve_issuer
from bench.measure import Batch, Figure, interleaved_ratios
from bench.reference import SERVICE as REFERENCE_SERVICE
from bench.reference import reference_authorizer

AUTHORIZER = Path(__file__).resolve().parents[1] / "authorizer"
# A 12-route table: the template's five routes and seven more of the kinds real APIs have.
ROUTE_SCOPES: dict[str, list[str]] = {
    "GET /me": [],
    "GET /items": ["read:items"],
    "POST /items": ["write:items"],
    "GET /items/{id}": ["read:items"],
    "PUT /items/{id}": ["write:items"],
    "PATCH /items/{id}": ["write:items"],
    "DELETE /items/{id}": ["delete:items"],
    "GET /items/{id}/history": ["read:items", "read:history"],
    "GET /reports": ["read:reports"],
    "POST /reports": ["write:reports"],
    "GET /admin/users": ["admin"],
    "DELETE /admin/users/{id}": ["admin"],
}
SCOPE = "read:items write:items delete:items"
SIX_ISSUERS_SERVICE = "authorizer-six-issuers"
DPOP_SERVICE = "authorizer-dpop"
METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/v1/GET/items/42"
DOMAIN = "abc123.execute-api.us-east-1.amazonaws.com"


class BenchContext:
    """The fields of the Lambda context object that the handler reads."""

    function_name = "authorizer"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:authorizer"
    aws_request_id = "bench-request"


def environment(issuer_url: str) -> dict[str, str]:
    """The authorizer's environment as template.yaml sets it (logging at INFO, tracing off)."""
    return {
        "ISSUER": issuer_url,
        "AUDIENCE": AUDIENCE,
        "JWKS_URI": "",
        "ALLOWED_ALGORITHMS": "RS256",
        "ROUTE_SCOPES": json.dumps(ROUTE_SCOPES),
        "POWERTOOLS_SERVICE_NAME": "authorizer",
        "POWERTOOLS_METRICS_NAMESPACE": "Bench",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def token_event(token: str) -> dict[str, Any]:
    return {"type": "TOKEN", "authorizationToken": f"Bearer {token}", "methodArn": METHOD_ARN}


@contextlib.contextmanager
def lines_to_devnull(service_logger: logging.Logger) -> Iterator[None]:
    """Log lines are written as in Lambda, one write per line (Lambda's stdout is unbuffered), to
    /dev/null instead of the Lambda log pipe."""
    with open(os.devnull, "w", buffering=1) as sink:
        handlers = [h for h in service_logger.handlers if isinstance(h, logging.StreamHandler)]
        previous = [h.setStream(sink) for h in handlers]
        try:
            yield
        finally:
            for handler, stream in zip(handlers, previous, strict=True):
                handler.setStream(stream)


def import_authorizer(env: dict[str, str], name: str = "app") -> ModuleType:
    """authorizer/app.py, imported in this process with its environment under the module name `name`
    (then the environment and sys.path are put back, so that processes started later do not inherit
    them). Each name is a cold start of its own; the oauth_authorizer package is shared."""
    saved_environ, saved_path = dict(os.environ), list(sys.path)
    os.environ.update(env)
    sys.path.insert(0, str(AUTHORIZER))
    try:
        spec = importlib.util.spec_from_file_location(name, AUTHORIZER / "app.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module
    finally:
        os.environ.clear()
        os.environ.update(saved_environ)
        sys.path[:] = saved_path


def six_issuers_environment(issuer_url: str, others: list[tuple[str, BenchKey]]) -> dict[str, str]:
    """The same authorizer trusting six issuers (ISSUERS): the served one, and five with inline keys."""
    entries: list[dict[str, Any]] = [{"issuer": issuer_url, "audiences": [AUDIENCE], "profile": "auth0"}]
    entries += [{"issuer": url, "audiences": [AUDIENCE], "jwks": key.jwks()} for url, key in others]
    env = environment(issuer_url)
    for name in ("ISSUER", "AUDIENCE", "JWKS_URI", "ALLOWED_ALGORITHMS"):
        del env[name]
    return {**env, "ISSUERS": json.dumps(entries), "POWERTOOLS_SERVICE_NAME": SIX_ISSUERS_SERVICE}


Handler = Callable[[dict[str, Any], Any], Any]


def handler_calls(handler: Handler, events: list[dict[str, Any]], context: Any) -> Batch:
    """A batch that answers the next `n` events of `events` (each taken off its end, never twice)."""

    def batch(n: int) -> None:
        for _ in range(n):
            handler(events.pop(), context)

    return batch


def same_event_calls(handler: Handler, event: dict[str, Any], context: Any) -> Batch:
    """A batch that answers the same event `n` times."""

    def batch(n: int) -> None:
        for _ in range(n):
            handler(event, context)

    return batch


def at_warning(service_logger: logging.Logger, batch: Batch) -> Batch:
    """`batch` with the service's log level at WARNING (the decision line keeps only its metric)."""

    def quiet(n: int) -> None:
        service_logger.setLevel(logging.WARNING)
        try:
            batch(n)
        finally:
            service_logger.setLevel(logging.INFO)

    return quiet


def _signature(jws: str) -> tuple[bytes, bytes]:
    signing_input, _, signature = jws.rpartition(".")
    return signing_input.encode(), base64.urlsafe_b64decode(signature + "==")


def rsa_floor(public: rsa.RSAPublicKey, token: str) -> Batch:
    """The floor: one RSA-2048 PKCS#1 v1.5 / SHA-256 verify of `token`'s signature, key preloaded."""
    message, signature = _signature(token)

    def floor(n: int) -> None:
        for _ in range(n):
            public.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())

    return floor


def dpop_floor(
    rsa_public: rsa.RSAPublicKey, token: str, ec_public: ec.EllipticCurvePublicKey, proof: str
) -> Batch:
    """The DPoP floor: the token's RSA-2048 verify + the proof's ES256 verify, keys preloaded."""
    rsa_message, rsa_signature = _signature(token)
    ec_message, ec_raw = _signature(proof)
    ec_der = raw_to_der_signature(ec_raw, ec_public.curve)

    def floor(n: int) -> None:
        for _ in range(n):
            rsa_public.verify(rsa_signature, rsa_message, padding.PKCS1v15(), hashes.SHA256())
            ec_public.verify(ec_der, ec_message, ec.ECDSA(hashes.SHA256()))

    return floor


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class DpopClient:
    """A client's DPoP key (EC P-256, ES256: what Auth0's SDKs use) and its proofs (RFC 9449 §4.2)."""

    def __init__(self) -> None:
        self.private = ec.generate_private_key(ec.SECP256R1())
        jwk = ECAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        self.jwk = {name: jwk[name] for name in ("kty", "crv", "x", "y")}
        canonical = json.dumps({name: self.jwk[name] for name in sorted(self.jwk)}, separators=(",", ":"))
        self.jkt = _b64url(hashlib.sha256(canonical.encode()).digest())  # RFC 7638

    def proof(self, token: str) -> str:
        claims = {
            "jti": uuid.uuid4().hex,
            "htm": "GET",
            "htu": f"https://{DOMAIN}/v1/items/42",
            "iat": int(time.time()),
            "ath": _b64url(hashlib.sha256(token.encode()).digest()),
        }
        return jwt.encode(
            claims, self.private, algorithm="ES256", headers={"typ": "dpop+jwt", "jwk": self.jwk}
        )


def dpop_event(token: str, proof: str) -> dict[str, Any]:
    """API Gateway's REST REQUEST event for GET /items/42 with `Authorization: DPoP` and a proof."""
    headers = {"Authorization": f"DPoP {token}", "DPoP": proof, "Accept": "application/json"}
    return {
        "type": "REQUEST",
        "methodArn": METHOD_ARN,
        "resource": "/items/{id}",
        "path": "/items/42",
        "httpMethod": "GET",
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "requestContext": {"requestId": "bench", "domainName": DOMAIN, "path": "/v1/items/42", "stage": "v1"},
    }


def dpop_environment(issuer_url: str) -> dict[str, str]:
    """DPoP allowed, as the template sets it; the window at its widest so that proofs minted before the
    measurement are still fresh when it ends (the window's size costs nothing per request)."""
    return {
        **environment(issuer_url),
        "DPOP": "allowed",
        "DPOP_IAT_WINDOW_SECONDS": "600",
        "POWERTOOLS_SERVICE_NAME": DPOP_SERVICE,
    }


def dpop(*, rounds: int, calls: int) -> list[Figure]:
    """A DPoP request next to its floor: one RSA-2048 verify (the token) + one ES256 verify (the proof)."""
    key = BenchKey.generate()
    client = DpopClient()
    with serve_issuer(key) as issuer_url:
        app = import_authorizer(dpop_environment(issuer_url), "app_dpop")
        context = BenchContext()
        serial = iter(range(10**9))
        count = (rounds + 2) * calls
        tokens = [key.token(issuer_url, SCOPE, next(serial), cnf={"jkt": client.jkt}) for _ in range(count)]
        new_tokens = [dpop_event(token, client.proof(token)) for token in tokens]
        new_tokens.reverse()
        again = key.token(issuer_url, SCOPE, next(serial), cnf={"jkt": client.jkt})
        same_token = [dpop_event(again, client.proof(again)) for _ in range(count)]
        # The floor: the two signature checks no DPoP authorizer can avoid for a new token and proof.
        floor = dpop_floor(key.public, tokens[0], client.private.public_key(), client.proof(tokens[0]))
        new_token = handler_calls(app.lambda_handler, new_tokens, context)
        repeated_token = handler_calls(app.lambda_handler, same_token, context)

        with lines_to_devnull(logging.getLogger(DPOP_SERVICE)):
            app.lambda_handler(same_token.pop(), context)  # fetch the key set, cache `again`
            (fresh, repeated), (floor_s, *_) = interleaved_ratios(
                floor, [new_token, repeated_token], rounds=rounds, calls=calls
            )
    return [
        Figure(
            "dpop_floor_us", floor_s * 1e6, "µs", "one RSA-2048 verify + one ES256 verify (the DPoP floor)"
        ),
        Figure(
            "dpop_request_ratio",
            fresh,
            "x",
            "lambda_handler, REQUEST event, new DPoP-bound token + new ES256 proof / DPoP floor",
            timed_budget=4.0,
        ),
        Figure(
            "dpop_repeated_token_ratio",
            repeated,
            "x",
            "the same, the token already verified (cache): only the proof is new / DPoP floor",
        ),
    ]


def warm(*, rounds: int, calls: int) -> list[Figure]:
    key = BenchKey.generate()
    public = key.public
    with serve_issuer(key) as issuer_url:
        app = import_authorizer(environment(issuer_url))
        service_logger = logging.getLogger("authorizer")
        context = BenchContext()
        extra_issuers = [(f"https://issuer-{n}.bench.invalid/", BenchKey.generate()) for n in range(1, 6)]
        six = import_authorizer(six_issuers_environment(issuer_url, extra_issuers), "app_six_issuers")
        signers = [(issuer_url, key), *extra_issuers]

        # Every new-token call gets a token never seen before (a distinct jti): minted up front.
        serial = iter(range(10**9))
        fresh = [
            token_event(key.token(issuer_url, SCOPE, next(serial))) for _ in range(3 * (rounds + 1) * calls)
        ]
        fresh.reverse()
        # The six-issuer deployment gets new tokens from each of its issuers in turn.
        fresh_six = [
            token_event(signer.token(url, SCOPE, next(serial)))
            for _ in range((rounds + 1) * calls // len(signers) + 1)
            for url, signer in signers
        ]
        repeated = token_event(key.token(issuer_url, SCOPE, next(serial)))
        floor = rsa_floor(public, key.token(issuer_url, SCOPE, next(serial)))
        new_token = handler_calls(app.lambda_handler, fresh, context)
        new_token_quiet = at_warning(service_logger, new_token)
        new_token_six_issuers = handler_calls(six.lambda_handler, fresh_six, context)
        repeated_token = same_event_calls(app.lambda_handler, repeated, context)
        typical = reference_authorizer(issuer_url)
        reference = handler_calls(lambda event, _context: typical(event), fresh, context)

        with (
            lines_to_devnull(service_logger),
            lines_to_devnull(logging.getLogger(REFERENCE_SERVICE)),
            lines_to_devnull(logging.getLogger(SIX_ISSUERS_SERVICE)),
        ):
            app.lambda_handler(repeated, context)  # fetch the key set: everything after is warm
            six.lambda_handler(repeated, context)
            typical(repeated)
            (shipped, quiet, six_issuers, again), (floor_s, *_) = interleaved_ratios(
                floor,
                [new_token, new_token_quiet, new_token_six_issuers, repeated_token],
                rounds=rounds,
                calls=calls,
            )
            # Apart: its heavier code would leave the caches colder for whichever batch follows it.
            (others,), _ = interleaved_ratios(floor, [reference], rounds=rounds, calls=calls)
    return [
        Figure("floor_us", floor_s * 1e6, "µs", "one RSA-2048 PKCS#1 v1.5 verify, key preloaded (the floor)"),
        Figure(
            "new_token_ratio",
            shipped,
            "x",
            "lambda_handler, token never seen before, logging as shipped (INFO) / floor",
            stretch=3.0,
            timed_budget=4.0,
        ),
        Figure("new_token_ratio_quiet", quiet, "x", "the same with logging at WARNING / floor"),
        Figure(
            "new_token_ratio_six_issuers",
            six_issuers,
            "x",
            "the same with six issuers configured (ISSUERS), new tokens from each in turn / floor",
            timed_budget=4.0,
        ),
        Figure(
            "repeated_token_ratio",
            again,
            "x",
            "lambda_handler, the same token again (verified-token cache) / floor",
            timed_budget=0.5,
        ),
        Figure(
            "reference_new_token_ratio",
            others,
            "x",
            "for comparison: a typical PyJWT authorizer (PyJWKClient, jwt.decode, Powertools) / floor",
        ),
    ]
