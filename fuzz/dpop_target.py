"""Fuzz target: the authorizer's DPoP (RFC 9449) and certificate binding (RFC 8705), in process.

Three kinds of input: (a) whole REQUEST events as raw JSON; (b) structured requests: an issuer-signed
token (bound to the client's key, to another key, unbound, with a malformed `cnf`, sometimes bound to a
client certificate) presented under a fuzzer-chosen Authorization scheme with zero, one or two DPoP
proofs, each built from fuzzer-chosen parts (typ, alg, jwk, signer, htm, htu, iat, jti, ath) and then
maybe one character changed; (c) `normalized_url` on raw strings.

Crash: any exception other than the `Unauthorized` the authorizer raises to deny. Oracle, written here
and not with the authorizer's code (no PyJWT): every request the authorizer answers (Allow, or a Deny
for scope, both mean the token and its proof passed) must be one an outside check accepts. For the DPoP
scheme: exactly one proof, its signature verified with `cryptography` against the client key generated
here, `typ` dpop+jwt, `htm` the method, `htu` the request's URL under the simple RFC 3986 normalisation
below (and free of whitespace and control characters, which no URI holds), `iat` within the window of
the moment of the call, `ath` the token's hash, the token's `cnf.jkt`
the RFC 7638 thumbprint computed here, and a (key, `jti`) not accepted before within its window. For the
Bearer scheme: a token without `cnf.jkt`. Either way the token itself independently valid (the
authorizer target's check) and, if it names a certificate, the request's certificate that one. Where
the oracle cannot be sure (a URL its simple normaliser does not handle, an `iat` a millisecond from the
edge, a jti the authorizer may have had to forget), it says nothing.

Two authorizers are loaded, one with the verified-token cache and one without, chosen per input (a cached
token must still need a fresh proof). The key sets are inline, nothing touches the network, and the
window is the largest allowed (600 s), so that the `jti`s accepted from `iat` = now stay remembered
for a whole CI run.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import importlib.util
import ipaddress
import itertools
import json
import os
import re
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import atheris  # type: ignore[import-untyped]  # atheris ships no type hints
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from fuzz.authorizer_target import (
    API,
    ARN_PREFIX,
    ATTACKER_KEY,
    ISSUER,
    ISSUER_KEY,
    ROUTE_SCOPES,
    ROUTES,
    Context,
    _allowed,
    _jwk,
    _sign,
    _strings,
    independently_valid,
)
from fuzz.common import ROOT, OracleViolation, pick, quiet_stdout

WINDOW = 600  # DPOP_IAT_WINDOW_SECONDS: the largest the settings allow (see the module docstring)
ALGORITHMS = ("ES256", "RS256", "PS256", "EdDSA")  # DPOP_ALGORITHMS, the contract's default
# The oracle's margin around the iat window, for the float arithmetic of the authorizer's own clock read.
IAT_SLACK = 0.001
# Past this many accepted proofs the authorizer's bounded memory (replay.DEFAULT_MAX_ENTRIES) may have
# dropped some, so a second acceptance is no longer a sure replay.
MEMORY_BOUND = 100_000
REST_DOMAIN = "abc123.execute-api.eu-west-1.amazonaws.com"
STAGE = "/v1"
PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")

Key = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
KEYS: dict[str, Key] = {
    "ec": ec.generate_private_key(ec.SECP256R1()),
    "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
    "ed": ed25519.Ed25519PrivateKey.generate(),
    "other": ec.generate_private_key(ec.SECP256R1()),  # a key no token is bound to... unless chosen
    "p384": ec.generate_private_key(ec.SECP384R1()),
}
CLIENTS = ("ec", "rsa", "ed")
NATURAL_ALG = {"ec": "ES256", "rsa": "RS256", "ed": "EdDSA", "other": "ES256", "p384": "ES384"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _int_b64(value: int, length: int | None = None) -> str:
    return _b64(value.to_bytes(length or (value.bit_length() + 7) // 8, "big"))


def public_jwk(name: str) -> dict[str, str]:
    key = KEYS[name]
    if isinstance(key, ec.EllipticCurvePrivateKey):
        numbers = key.public_key().public_numbers()
        size = (key.curve.key_size + 7) // 8
        crv = {"secp256r1": "P-256", "secp384r1": "P-384"}[key.curve.name]
        return {"kty": "EC", "crv": crv, "x": _int_b64(numbers.x, size), "y": _int_b64(numbers.y, size)}
    if isinstance(key, rsa.RSAPrivateKey):
        rsa_numbers = key.public_key().public_numbers()
        return {"kty": "RSA", "n": _int_b64(rsa_numbers.n), "e": _int_b64(rsa_numbers.e)}
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64(raw)}


def thumbprint(jwk: Mapping[str, Any]) -> str | None:
    """RFC 7638 §3, written out again: the required members only, sorted, no whitespace, SHA-256."""
    required = {"EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n"), "OKP": ("crv", "kty", "x")}
    members = required.get(jwk.get("kty"))  # type: ignore[arg-type]
    if members is None or not all(isinstance(jwk.get(name), str) for name in members):
        return None
    canonical = json.dumps({name: jwk[name] for name in members}, sort_keys=True, separators=(",", ":"))
    return _b64(hashlib.sha256(canonical.encode()).digest())


JKT = {name: thumbprint(public_jwk(name)) for name in KEYS}


def _certificate(common_name: str) -> tuple[str, str]:
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
        .not_valid_after(now + datetime.timedelta(days=2))
        .sign(private, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    return cert.public_bytes(serialization.Encoding.PEM).decode(), _b64(hashlib.sha256(der).digest())


CERTS = {"client": _certificate("client.example"), "other": _certificate("other.example")}


# --- signing (any alg with any key: a mismatch gives a signature that cannot verify) ---------------------


def _hash_for(alg: str) -> hashes.HashAlgorithm:
    return {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}.get(alg[-3:]) or (
        hashes.SHA256()
    )


def sign(alg: str, signer: str, signing_input: bytes) -> bytes:  # noqa: PLR0911 - one way per key type
    if signer == "none":
        return b""
    if signer == "garbage":
        return hashlib.sha512(signing_input).digest()
    key = KEYS[signer]
    if alg.startswith("HS"):  # the public key as an HMAC secret: the classic confusion
        return hmac.digest(json.dumps(public_jwk(signer)).encode(), signing_input, "sha256")
    if isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(_hash_for(alg))))
        size = (key.curve.key_size + 7) // 8
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")
    if isinstance(key, rsa.RSAPrivateKey):
        digest = _hash_for(alg)
        if alg.startswith("PS"):
            return key.sign(signing_input, padding.PSS(padding.MGF1(digest), digest.digest_size), digest)
        return key.sign(signing_input, padding.PKCS1v15(), digest)
    return key.sign(signing_input)


def verifies(alg: str, name: str, signing_input: bytes, signature: bytes) -> bool:
    """The oracle's signature check: `cryptography` only, this module's key `name`, RFC 7518's rules."""
    key = KEYS[name]
    try:
        if alg == "ES256" and isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size == 256:
            if len(signature) != 64:
                return False
            der = encode_dss_signature(int.from_bytes(signature[:32]), int.from_bytes(signature[32:]))
            key.public_key().verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
        elif alg == "RS256" and isinstance(key, rsa.RSAPrivateKey):
            key.public_key().verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
        elif alg == "PS256" and isinstance(key, rsa.RSAPrivateKey):
            pss = padding.PSS(padding.MGF1(hashes.SHA256()), 32)
            key.public_key().verify(signature, signing_input, pss, hashes.SHA256())
        elif alg == "EdDSA" and isinstance(key, ed25519.Ed25519PrivateKey):
            key.public_key().verify(signature, signing_input)
        else:
            return False
    except InvalidSignature:
        return False
    return True


# --- the oracle's own URL normalisation (RFC 3986 §6.2.2, simple: anything unusual is "unsure") ---------

_SIMPLE_URL = re.compile(
    r"(?P<scheme>[A-Za-z]+)://(?P<host>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(?::(?P<port>[0-9]{0,5}))?"
    r"(?P<path>/(?:[A-Za-z0-9._~!$&'()*+,;=:@/-]|%[0-9A-Fa-f]{2})*)?(?:\?[^#\s]*)?(?:#\S*)?"
)
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _remove_dots(path: str) -> str:
    """RFC 3986 §5.2.4, step by step as the RFC writes it."""
    rest, out = path, list[str]()
    while rest:
        if rest.startswith("../"):
            rest = rest[3:]
        elif rest.startswith("./"):
            rest = rest[2:]
        elif rest.startswith("/./"):
            rest = "/" + rest[3:]
        elif rest == "/.":
            rest = "/"
        elif rest.startswith("/../") or rest == "/..":
            rest = "/" + rest[4:] if rest.startswith("/../") else "/"
            if out:
                out.pop()
        elif rest in (".", ".."):
            rest = ""
        else:
            end = rest.find("/", 1)
            end = len(rest) if end < 0 else end
            out.append(rest[:end])
            rest = rest[end:]
    return "".join(out)


def simple_normal(url: str) -> str | None:
    """None: not a URL this simple normaliser is sure about."""
    match = _SIMPLE_URL.fullmatch(url)
    if match is None:
        return None
    scheme, host = match["scheme"].lower(), match["host"].lower()
    if scheme not in ("http", "https"):
        return None
    port = match["port"]
    if port and int(port) > 65535:
        return None
    if port and int(port) != {"http": 80, "https": 443}[scheme]:
        host = f"{host}:{int(port)}"

    def escape(m: re.Match[str]) -> str:
        char = chr(int(m[1], 16))
        return char if char in _UNRESERVED else f"%{m[1].upper()}"

    path = _remove_dots(_ESCAPE.sub(escape, match["path"] or "/"))
    return f"{scheme}://{host}{path or '/'}"


def _loopback(url: str) -> bool:
    """Whether a URL from simple_normal (so with a plain host, an IPv6 literal or a port) is on loopback."""
    netloc = url.split("://", 1)[1].split("/", 1)[0]
    host = netloc[1 : netloc.index("]")] if netloc.startswith("[") else netloc.partition(":")[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- the oracle ---------------------------------------------------------------------------------------


@dataclass
class Request:
    """What the oracle needs of one structured request, as it was sent."""

    event: dict[str, Any]
    authorization: str | None
    proofs: list[str]  # every DPoP header field value, as sent (two headers: two values)
    method: str | None
    domain: str | None
    path: str | None
    cert_pem: str | None


@dataclass
class Accepted:
    """The (key, jti) pairs one authorizer has accepted, each until its window closes."""

    until: dict[tuple[str, str], float] = field(default_factory=dict)
    count: int = 0


_SCHEME = re.compile(r" *([A-Za-z]+) +([^ ]+) *")


def _segments(jws: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes] | None:
    parts = jws.split(".")
    if len(parts) != 3 or not all(re.fullmatch(r"[A-Za-z0-9_-]+", p) for p in parts):
        return None
    try:
        header, claims = json.loads(_unb64(parts[0])), json.loads(_unb64(parts[1]))
        signature = _unb64(parts[2])
    except ValueError:
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    return header, claims, f"{parts[0]}.{parts[1]}".encode("ascii"), signature


def _cnf(token: str) -> dict[str, Any]:
    segments = _segments(token)
    cnf = segments[1].get("cnf") if segments else None
    return cnf if isinstance(cnf, dict) else {}


def _certificate_matches(pem: str | None, x5t: object) -> bool | None:
    if pem is None:
        return False
    try:
        der = x509.load_pem_x509_certificate(pem.encode()).public_bytes(serialization.Encoding.DER)
    except ValueError:
        return None  # not a PEM that `cryptography` reads: unsure whether the authorizer may read it
    return _b64(hashlib.sha256(der).digest()) == x5t


def check_answered(  # noqa: PLR0912 - one branch per rule of RFC 9449 §4.3
    request: Request, accepted: Accepted, before: float, after: float
) -> None:
    """The authorizer answered (did not deny): raise OracleViolation unless the outside check agrees."""

    def violation(why: str) -> OracleViolation:
        return OracleViolation(f"answered although {why}: {request.event!r:.800}")

    match = _SCHEME.fullmatch(request.authorization or "")
    if match is None or match[1].lower() not in ("bearer", "dpop"):
        raise violation("the Authorization value is not one Bearer or DPoP credential")
    token = match[2]
    if not independently_valid(token):
        raise violation("the token is not independently valid")
    cnf = _cnf(token)
    if "x5t#S256" in cnf and _certificate_matches(request.cert_pem, cnf["x5t#S256"]) is False:
        raise violation("the token is bound to another (or no) client certificate")
    if match[1].lower() == "bearer":
        if "jkt" in cnf:
            raise violation("a DPoP-bound token came as a Bearer token")
        return
    if len(request.proofs) != 1:
        raise violation(f"{len(request.proofs)} DPoP header fields")
    segments = _segments(request.proofs[0])
    if segments is None:
        raise violation("the proof is not a compact JWS of two JSON objects")
    header, claims, signing_input, signature = segments
    typ, alg, jwk = header.get("typ"), header.get("alg"), header.get("jwk")
    if not isinstance(typ, str) or typ.lower().removeprefix("application/") != "dpop+jwt":
        raise violation("the proof's typ is not dpop+jwt")
    if not isinstance(jwk, dict) or any(member in jwk for member in PRIVATE_MEMBERS):
        raise violation("the proof's jwk is not a public key")
    jkt = cnf.get("jkt")
    if not isinstance(jkt, str) or thumbprint(jwk) != jkt:
        raise violation("the proof's jwk is not the key the token is bound to")
    owner = next((name for name, value in JKT.items() if value == jkt), None)
    if owner is None or alg not in ALGORITHMS or not verifies(str(alg), owner, signing_input, signature):
        raise violation("the proof's signature does not verify with the client's key")
    if claims.get("htm") != request.method:
        raise violation("the proof's htm is not the method")
    _check_htu(claims.get("htu"), request, violation)
    iat = claims.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        raise violation("the proof's iat is not a number")
    if not before - WINDOW - IAT_SLACK <= iat <= after + WINDOW + IAT_SLACK:
        raise violation("the proof's iat is outside the window")
    if claims.get("ath") != _b64(hashlib.sha256(token.encode("ascii")).digest()):
        raise violation("the proof's ath is not the token's hash")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise violation("the proof has no jti")
    remembered = accepted.until.get((jkt, jti))
    if remembered is not None and before + 1 < remembered and accepted.count < MEMORY_BOUND:
        raise violation("the proof's (key, jti) was accepted before, within its window")
    accepted.until[(jkt, jti)] = iat + WINDOW
    accepted.count += 1


def _check_htu(htu: object, request: Request, violation: Callable[[str], OracleViolation]) -> None:
    if not isinstance(htu, str):
        raise violation("the proof's htu is not a string")
    if any(char.isspace() or not char.isprintable() for char in htu):
        # RFC 3986 §2: no URI holds whitespace or a control character, so such an htu names no request
        # (urllib.parse.urlsplit drops tabs and newlines anywhere and strips leading spaces, WHATWG-style).
        raise violation("the proof's htu holds whitespace or a control character: not a URI")
    domain, path = request.domain, request.path
    if not domain or not path or not path.startswith("/"):
        raise violation("the request has no domain and path to compare htu with")
    expected = simple_normal(f"https://{domain}{path}")
    got = simple_normal(htu)
    if expected is None or got is None:
        return  # beyond this simple normaliser: unsure
    urls = {expected}
    if _loopback(expected):
        urls.add("http" + expected.removeprefix("https"))
    if got not in urls:
        raise violation(f"the proof's htu {htu[:120]!r} is not the request's URL")


# --- inputs -------------------------------------------------------------------------------------------

START = int(time.time())  # the tokens' exp is START + 1 day: the same bytes for a whole run
_fresh = itertools.count()


@dataclass(frozen=True)
class App:
    name: str
    module: Any
    accepted: Accepted


def _load(name: str, cache_seconds: int) -> Any:
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
            "TOKEN_CACHE_SECONDS": str(cache_seconds),
            "DPOP": "allowed",
            "DPOP_IAT_WINDOW_SECONDS": str(WINDOW),
            "DPOP_ALGORITHMS": ",".join(ALGORITHMS),
            "DPOP_REPLAY_TABLE": "",
            # Its own logger name: the CRITICAL level must not reach the tests that replay the corpus.
            "POWERTOOLS_SERVICE_NAME": name,
            "POWERTOOLS_METRICS_NAMESPACE": "Fuzz",
            "POWERTOOLS_LOG_LEVEL": "CRITICAL",
            "POWERTOOLS_TRACE_DISABLED": "true",
        }
    )
    if str(ROOT / "authorizer") not in sys.path:
        sys.path.insert(0, str(ROOT / "authorizer"))
    spec = importlib.util.spec_from_file_location(name.replace("-", "_"), ROOT / "authorizer" / "app.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    # Coverage feedback from the authorizer's own package and PyJWT, which checks the JWS of each proof.
    with atheris.instrument_imports(include=["oauth_authorizer", "jwt"]):
        spec.loader.exec_module(module)
    return module


APPS: list[App] = []


def _apps() -> list[App]:
    if not APPS:
        APPS.extend(
            App(name, _load(name, seconds), Accepted())
            for name, seconds in (("fuzz-dpop", 0), ("fuzz-dpop-cached", 300))
        )
    return APPS


_CNF: dict[str, Any] = {
    "client": "client",
    "other": "other",
    "absent": None,
    "empty-jkt": {"jkt": ""},
    "number-jkt": {"jkt": 5},
    "string": "jkt",
    "empty": {},
    "jwk": {"jwk": {"kty": "EC"}},
    "padded": "padded",
    "client+cert": "client+cert",
    "cert": "cert",
    "cert-other": "cert-other",
}


@lru_cache(maxsize=512)
def token_for(client: str, cnf_choice: str, scope: str, signer: str, typ: str | None) -> str:
    """An access token; the same arguments give the same bytes (RS256 is deterministic)."""
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": API,
        "exp": START + 86400,
        "iat": START,
        "sub": "auth0|dpop-client",
        "scope": scope,
        "azp": "client",
    }
    cnf: Any = _CNF[cnf_choice]
    if cnf == "client":
        cnf = {"jkt": JKT[client]}
    elif cnf == "other":
        cnf = {"jkt": JKT["other" if client != "other" else "ec"]}
    elif cnf == "padded":
        cnf = {"jkt": f"{JKT[client]}="}
    elif cnf == "client+cert":
        cnf = {"jkt": JKT[client], "x5t#S256": CERTS["client"][1]}
    elif cnf == "cert":
        cnf = {"x5t#S256": CERTS["client"][1]}
    elif cnf == "cert-other":
        cnf = {"x5t#S256": CERTS["other"][1]}
    if cnf is not None:
        claims["cnf"] = cnf
    header: dict[str, Any] = {"alg": "RS256", "kid": "fuzz-key-1"}
    if typ is not None:
        header["typ"] = typ
    return _sign(ISSUER_KEY if signer == "issuer" else ATTACKER_KEY, header, claims)


def _jwk_header(fdp: atheris.FuzzedDataProvider, client: str, signer: str) -> object:
    choice = pick(
        fdp,
        ["signer", "signer", "signer", "client", "other", "private", "oct", "missing-y", "number-x",
         "string", "absent", "extra", "p384", "wrong-kty"],
    )  # fmt: skip
    base_name = signer if signer in KEYS else client
    if choice in ("signer", "client", "other", "p384"):
        return public_jwk({"signer": base_name, "client": client}.get(choice, choice))
    jwk: dict[str, Any] = dict(public_jwk(base_name))
    if choice == "private":
        jwk["d"] = jwk.get("x") or jwk.get("n")
    elif choice == "oct":
        return {"kty": "oct", "k": _b64(b"secret")}
    elif choice == "missing-y":
        jwk.pop("y" if "y" in jwk else "e", None)
    elif choice == "number-x":
        jwk["x" if "x" in jwk else "n"] = 5
    elif choice == "string":
        return json.dumps(jwk)
    elif choice == "absent":
        return None
    elif choice == "extra":
        jwk.update({"kid": "k1", "alg": NATURAL_ALG[base_name], "use": "sig"})
    else:
        jwk["kty"] = {"EC": "OKP", "OKP": "EC", "RSA": "EC"}[jwk["kty"]]
    return jwk


def _htu(fdp: atheris.FuzzedDataProvider, domain: str | None, path: str | None) -> object:
    host, where = domain or REST_DOMAIN, path if path and path.startswith("/") else f"{STAGE}/items"
    right = f"https://{host}{where}"
    variants: list[Callable[[], object]] = [
        lambda: right,
        lambda: right,
        lambda: f"http://{host}{where}",
        lambda: f"HTTPS://{host.upper()}{where}",
        lambda: f"https://{host}:443{where}" if ":" not in host else right,
        lambda: f"https://{host}:8443{where}",
        lambda: f"{right}?q=1",
        lambda: f"{right}#frag",
        lambda: f"{right}?q=1#f",
        lambda: f"https://{host}{STAGE}/./x/..{where.removeprefix(STAGE)}",
        lambda: f"https://{host}{where.replace('i', '%69', 1)}",
        lambda: f"https://{host}{where.replace('/', '%2F', 2).replace('%2F', '/', 1)}",
        lambda: f"https://{host}{where.replace('e', '%65', 1).upper()}",
        lambda: f"{right}/",
        lambda: f"{right}/..",
        lambda: f"https://{host}{where.upper()}",
        lambda: f"https://evil.example.com{where}",
        lambda: f"https://{host}{STAGE}/other",
        lambda: f"https://user@{host}{where}",
        lambda: f" {right}",
        lambda: f"{right[:-2]}\t{right[-2:]}",
        lambda: right.replace("https://", "https:/", 1),
        lambda: "",
        lambda: 5,
        lambda: None,
        lambda: [right],
        lambda: fdp.ConsumeUnicodeNoSurrogates(40),
    ]
    return pick(fdp, variants)()


def _iat(fdp: atheris.FuzzedDataProvider, now: float) -> object:
    whole = int(now)
    return pick(
        fdp,
        [whole, whole, now, whole - WINDOW + 2, whole + WINDOW - 2, whole - WINDOW - 2, whole + WINDOW + 2,
         now - WINDOW - 0.5, now - WINDOW, now + WINDOW, whole - 10 * WINDOW, str(whole), True, None,
         10**20, 10**400, -(10**400), float("nan"), float("inf"), -float("inf"), 1e308, -1, 0, [whole]],
    )  # fmt: skip


def _jti(fdp: atheris.FuzzedDataProvider) -> object:
    fresh = f"fresh-{next(_fresh)}-{START}"
    return pick(
        fdp,
        [fresh, fresh, fresh, "repeated-1", "repeated-2", fresh.rjust(256, "j"), fresh.rjust(257, "j"),
         "", None, 7, ["x"], {"a": 1}, fdp.ConsumeUnicodeNoSurrogates(12)],
    )  # fmt: skip


def structured_proof(
    fdp: atheris.FuzzedDataProvider,
    *,
    client: str,
    token: str,
    method: str,
    domain: str | None,
    path: str | None,
) -> str:
    """A proof from fuzzer-chosen parts, then maybe one character changed."""
    signer = pick(fdp, ["client", "client", "client", "other", "none", "garbage", "rsa", "ed", "ec"])
    signer = client if signer == "client" else signer
    alg = pick(
        fdp, ["natural", "natural", "ES256", "RS256", "PS256", "EdDSA", "none", "HS256", "ES384", "es256"]
    )
    alg = NATURAL_ALG.get(signer, NATURAL_ALG[client]) if alg == "natural" else alg
    if alg == "RS256" and KEYS.get(signer) is KEYS["rsa"] and fdp.ConsumeBool():
        alg = "PS256"
    header: dict[str, Any] = {}
    for name, value in (
        ("typ", pick(fdp, ["dpop+jwt", "dpop+jwt", "application/dpop+jwt", "DPoP+JWT", "jwt", None, 3])),
        ("alg", alg),
        ("jwk", _jwk_header(fdp, client, signer)),
    ):
        if value is not None:
            header[name] = value
    if fdp.ConsumeIntInRange(0, 7) == 0:
        header[pick(fdp, ["kid", "x5c", "crit", "jku", "b64"])] = pick(fdp, ["k1", ["x"], False])
    now = time.time()
    ath = _b64(hashlib.sha256(token.encode("ascii", "replace")).digest())
    other_method = "GET" if method != "GET" else "PUT"
    wrong_ath = _b64(hashlib.sha256(b"x").digest())
    claims: dict[str, Any] = {}
    for name, value in (
        ("jti", _jti(fdp)),
        ("htm", pick(fdp, [method, method, method, method.lower(), other_method, None])),
        ("htu", _htu(fdp, domain, path)),
        ("iat", _iat(fdp, now)),
        ("ath", pick(fdp, [ath, ath, ath, ath + "=", wrong_ath, None, ath.upper()])),
    ):
        if value is not None:
            claims[name] = value
    if fdp.ConsumeIntInRange(0, 7) == 0:
        claims[pick(fdp, ["nonce", "exp", "nbf", "cnf"])] = pick(fdp, ["n", 1, None])
    payload = json.dumps(claims).encode()
    if fdp.ConsumeIntInRange(0, 15) == 0:  # signed, but not a JSON object of claims
        payload = pick(fdp, [b"[1]", b"null", b'{"jti": ', b"\xff\xfe", b'"jti"', b"[" * 5000])
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(payload)}"
    proof = f"{signing_input}.{_b64(sign(str(alg), signer, signing_input.encode()))}"
    if fdp.ConsumeIntInRange(0, 5) == 0:
        index = fdp.ConsumeIntInRange(0, len(proof) - 1)
        proof = proof[:index] + fdp.ConsumeUnicode(1) + proof[index + 1 :]
    return proof


_DOMAINS = [REST_DOMAIN, REST_DOMAIN, "api.example.com", "API.Example.COM", f"{REST_DOMAIN}:443",
            "127.0.0.1:3000", "localhost:8080", "[::1]:3000", "127.0.0.2", "api.example.com:8443", "",
            None, "api.example.com/x", "user@api.example.com", "api.example.com:99999"]  # fmt: skip


def structured_request(fdp: atheris.FuzzedDataProvider) -> Request:
    route = pick(fdp, ROUTES)
    method, _, rest = route.partition("/")
    client = pick(fdp, CLIENTS)
    token = token_for(
        client,
        pick(fdp, list(_CNF)),
        pick(fdp, ["read:items write:items delete:items", "read:items"]),
        pick(fdp, ["issuer"] * 7 + ["attacker"]),
        pick(fdp, [None, "at+jwt"]),
    )
    if fdp.ConsumeIntInRange(0, 9) == 0:
        index = fdp.ConsumeIntInRange(0, len(token) - 1)
        token = token[:index] + fdp.ConsumeUnicode(1) + token[index + 1 :]
    scheme = pick(
        fdp, ["DPoP", "DPoP", "DPoP", "dpop", "DPOP", "Bearer", "Bearer", "bearer", "Basic", "DPoP-"]
    )
    spacing = pick(fdp, [(" ", ""), (" ", ""), ("  ", ""), ("\t", ""), (" ", " "), ("", ""), (" ", "\n")])
    authorization = f"{pick(fdp, ['', '', ' '])}{scheme}{spacing[0]}{token}{spacing[1]}"
    domain = pick(fdp, _DOMAINS)
    path = pick(fdp, [f"{STAGE}/{rest}", f"{STAGE}/{rest}", f"{STAGE}/./{rest}", f"{STAGE}/%69{rest[1:]}",
                      f"/{rest}", "", None, rest, f"{STAGE}/{rest}?x=1"])  # fmt: skip
    event_method = pick(fdp, [method, method, method, method.lower(), None])
    proofs = [
        structured_proof(fdp, client=client, token=token, method=method, domain=domain, path=path)
        for _ in range(pick(fdp, [1, 1, 1, 0, 2]))
    ]
    if len(proofs) == 2 and fdp.ConsumeBool():
        proofs[1] = proofs[0]  # the same proof twice
    cert_pem = _PEMS[pick(fdp, list(_PEMS))]
    request = Request({}, authorization, proofs, event_method, domain, path, cert_pem)
    shape = _http_event if pick(fdp, ["REST", "REST", "HTTP"]) == "HTTP" else _rest_event
    request.event = shape(fdp, request, route)
    return request


_PEMS = {
    "client": CERTS["client"][0],
    "client-again": CERTS["client"][0],
    "other": CERTS["other"][0],
    "absent": None,
    "crlf": CERTS["client"][0].replace("\n", "\r\n"),
    "garbage": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    "empty": "",
}


def _resource(route: str) -> tuple[str, str]:
    method, _, rest = route.partition("/")
    return method, "/items/{id}" if rest.count("/") else f"/{rest}"


def _http_event(fdp: atheris.FuzzedDataProvider, request: Request, route: str) -> dict[str, Any]:
    """HTTP API 2.0: lower-case header names, repeated headers joined with commas."""
    headers: dict[str, Any] = {"authorization": request.authorization}
    proofs = request.proofs
    if len(proofs) == 1 or (proofs and fdp.ConsumeBool()):
        headers["dpop"] = ",".join(proofs)
    elif proofs:
        headers.update({"dpop": proofs[0], "DPoP": proofs[1]})
    context: dict[str, Any] = {"requestId": "fuzz", "http": {"method": request.method}}
    if request.domain is not None:
        context["domainName"] = request.domain
    if request.cert_pem is not None:
        context["authentication"] = {"clientCert": {"clientCertPem": request.cert_pem}}
    method, resource = _resource(route)
    event: dict[str, Any] = {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": f"{ARN_PREFIX}/{route}",
        "routeKey": f"{method} {resource}",
        "headers": headers,
        "requestContext": context,
    }
    if request.path is not None:
        event["rawPath"] = request.path
    return event


def _rest_event(fdp: atheris.FuzzedDataProvider, request: Request, route: str) -> dict[str, Any]:
    """REST REQUEST: `headers` has the last of repeated headers, `multiValueHeaders` all of them."""
    name = pick(fdp, ["DPoP", "dpop", "DPOP"])
    headers: dict[str, Any] = {pick(fdp, ["Authorization", "authorization"]): request.authorization}
    multi: dict[str, Any] = {k: [v] for k, v in headers.items()}
    proofs = request.proofs
    placement = pick(fdp, ["both", "both", "headers", "multi", "names"]) if proofs else ""
    if placement in ("both", "headers"):
        headers[name] = proofs[-1] if placement == "both" else ",".join(proofs)
    if placement in ("both", "multi"):
        multi[name] = list(proofs)
    if placement == "names":
        headers.update(dict(zip(("DPoP", "dpop"), proofs, strict=False)))
    context: dict[str, Any] = {"requestId": "fuzz", "httpMethod": request.method}
    optional = (
        ("domainName", request.domain),
        ("path", request.path),
        (
            "identity",
            None if request.cert_pem is None else {"clientCert": {"clientCertPem": request.cert_pem}},
        ),
    )
    context.update({key: value for key, value in optional if value is not None})
    _, resource = _resource(route)
    return {
        "type": "REQUEST",
        "methodArn": f"{ARN_PREFIX}/{route}",
        "resource": resource,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi,
        "requestContext": context,
    }


def _call(app: App, event: Any) -> Any:
    """The authorizer's answer, or None when it denied (with `Unauthorized`, the one way to deny)."""
    try:
        return app.module.lambda_handler(event, Context())
    except Exception as exc:
        if type(exc) is Exception and exc.args == ("Unauthorized",):
            return None
        raise


def check_normalized_url(url: str) -> None:
    from oauth_authorizer.dpop import normalized_url  # noqa: PLC0415 - the instrumented module

    result = normalized_url(url)
    if result is None:
        return
    if not isinstance(result, str) or not result.startswith(("http://", "https://")):
        raise OracleViolation(f"normalized_url({url!r}) = {result!r}")
    if normalized_url(result) != result:
        raise OracleViolation(f"normalized_url is not idempotent on {url!r}: {result!r}")
    mine = simple_normal(url)
    if mine is not None and mine != result:
        raise OracleViolation(f"normalized_url({url!r}) = {result!r}, RFC 3986 says {mine!r}")


def test_one_input(data: bytes) -> None:
    apps = _apps()
    fdp = atheris.FuzzedDataProvider(data)
    mode = fdp.ConsumeIntInRange(0, 3)
    app = apps[fdp.ConsumeIntInRange(0, 1)]
    if mode == 0:  # a whole event: no token or proof in it can be signed with this run's keys
        raw = fdp.ConsumeBytes(fdp.remaining_bytes())
        try:
            event: Any = json.loads(raw)
        except (ValueError, RecursionError):
            return
        if _call(app, event) is not None:
            bearer = [
                m[2] for s in _strings(event) if (m := _SCHEME.fullmatch(s)) and m[1].lower() == "bearer"
            ]
            if not any(independently_valid(token) and "jkt" not in _cnf(token) for token in bearer):
                raise OracleViolation(f"answered a raw event without a valid unbound token: {event!r:.500}")
        return
    if mode == 3:  # normalized_url on any string
        check_normalized_url(fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 200)))
        return
    request = structured_request(fdp)
    for _ in range(2 if fdp.ConsumeIntInRange(0, 4) == 0 else 1):  # sometimes the same request again
        before = time.time()
        answer = _call(app, request.event)
        after = time.time()
        if answer is not None:
            _allowed(answer)  # an answer of the wrong shape is a violation too
            check_answered(request, app.accepted, before, after)


def main() -> None:
    quiet_stdout()
    _apps()
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
