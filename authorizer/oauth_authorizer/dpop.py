"""DPoP proofs (RFC 9449 §4.3): one proof JWT, checked against the request and the access token.

Hand-written on top of PyJWT because no maintained Python library checks DPoP proofs: Authlib has none
(its issue is open since 2021), and PyJWT, which does every JWS step here (strict decoding, the
algorithm allowlist, minimum key sizes, the signature), has no notion of a proof. What is ours is what
RFC 9449 adds: the `typ`, the embedded public `jwk`, its RFC 7638 thumbprint, and the `htm`, `htu`,
`iat`, `ath` claims. `jti` replay is oauth_authorizer.replay's; the binding to the token (`cnf.jkt`) is
oauth_authorizer.senders'.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import jwt

from oauth_authorizer.errors import Reason, TokenRejected
from oauth_authorizer.keys import admitted, pyjwk_for
from oauth_authorizer.profiles import media_type
from oauth_authorizer.settings import PRIVATE_JWK_MEMBERS, DpopSettings, is_loopback
from oauth_authorizer.tokens import JWS, SIGNATURE_OPTIONS

PROOF_TYPE = "dpop+jwt"
# A proof is a header with one public key, four or five short claims and a signature: 8 KiB is ample.
MAX_PROOF_LENGTH = 8 * 1024
MAX_JTI_LENGTH = 256
# An RSA verification's cost grows with the key: a client key is at most 8192 bits with a small exponent
# (65537 is 4 base64url characters), so nobody makes each proof check cost milliseconds.
MAX_RSA_MODULUS_CHARS = 1366  # ceil(8192 / 6)
MAX_RSA_EXPONENT_CHARS = 8
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
# RFC 7638 §3.2: the members of each key type that its thumbprint hashes, in lexicographic order.
THUMBPRINT_MEMBERS = {"EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x"), "RSA": ("e", "kty", "n")}
_DEFAULT_PORTS = {"https": 443, "http": 80}
_URI = re.compile(r"[\x21-\x7e]{1,4096}")
_decode_json = json.JSONDecoder().decode


class Proof(NamedTuple):
    """A proof that passed every check but replay: its key's thumbprint, `jti` and `iat`."""

    jkt: str
    jti: str
    iat: float


def b64url_sha256(data: bytes) -> str:
    """base64url(SHA-256(data)) without padding: `ath` (RFC 9449 §4.2), `jkt` and `x5t#S256`."""
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """The RFC 7638 SHA-256 thumbprint of a public JWK (its required members, sorted, no whitespace).

    PyJWT has no thumbprint function; the canonical form is a few lines of JSON.
    """
    members = THUMBPRINT_MEMBERS.get(jwk.get("kty"))  # type: ignore[arg-type]
    if members is None:
        raise TokenRejected("the proof's jwk is not an EC, OKP or RSA key", Reason.DPOP_INVALID)
    values = {name: jwk.get(name) for name in members}
    if not all(isinstance(value, str) and value for value in values.values()):
        raise TokenRejected("the proof's jwk lacks a member its key type requires", Reason.DPOP_INVALID)
    return b64url_sha256(json.dumps(values, separators=(",", ":")).encode())


_UNRESERVED_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]")


def _normalize_escape(match: re.Match[str]) -> str:
    char = chr(int(match.group(1), 16))
    if char.isascii() and (char.isalnum() or char in "-._~"):
        return char  # RFC 3986 §6.2.2.2: an escaped unreserved character is that character
    return "%" + match.group(1).upper()  # §6.2.2.1: escapes compare in upper case


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4, on an absolute path."""
    output: list[str] = []
    for segment in path.split("/")[1:]:
        if segment == "..":
            if output:
                output.pop()
        elif segment != ".":
            output.append(segment)
    ends_in_dot = path.endswith(("/.", "/.."))
    return "/" + "/".join(output) + ("/" if ends_in_dot and output else "")


# Pure, and the same few URLs come again and again (each route's, each client's): computed once each.
@lru_cache(maxsize=512)
def normalized_url(url: str) -> str | None:
    """An http(s) URL after RFC 3986 §6.2.2 syntax-based normalisation, without query and fragment
    (RFC 9449 §4.3, check 9): scheme and host in lower case, the default port dropped, escapes of
    unreserved characters decoded, other escapes in upper case, dot segments removed. None: not an
    http(s) URL with a host."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname  # lower-cased, IPv6 brackets removed
    if scheme not in _DEFAULT_PORTS or not host or "@" in parts.netloc:
        return None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    path = _NOT_ALLOWED.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), parts.path)
    path = _remove_dot_segments(_UNRESERVED_ESCAPE.sub(_normalize_escape, path or "/"))
    return f"{scheme}://{netloc}{path}"


@lru_cache(maxsize=512)
def expected_urls(domain_name: str | None, path: str | None) -> frozenset[str]:
    """The `htu` values that name this request: `https://` + domainName + path (API Gateway terminates
    TLS). On a loopback domain (the local stack, which serves plain http) `http://` too."""
    if not domain_name or not path or not path.startswith("/"):
        return frozenset()
    https = normalized_url(f"https://{domain_name}{path}")
    if https is None:
        return frozenset()
    urls = {https}
    host = urlsplit(https).hostname
    if host and is_loopback(host):
        urls.add("http" + https.removeprefix("https"))
    return frozenset(urls)


class _ProofKey(NamedTuple):
    alg: str
    key: jwt.PyJWK
    jkt: str


class ProofChecker:
    """Checks DPoP proofs for one configuration (the window, the algorithms) and one clock."""

    def __init__(self, settings: DpopSettings, clock: Callable[[], float] = time.time) -> None:
        self._algorithms = admitted(settings.algorithms)  # EdDSA admits RFC 9864's Ed25519 (keys.py)
        self._window = settings.iat_window_seconds
        self._clock = clock
        # A client signs every proof under the same header (typ, alg, jwk): its key is built once.
        self._key_for = lru_cache(maxsize=256)(self._proof_key)

    def check(self, proof: str, *, method: str | None, urls: frozenset[str], token: str) -> Proof:
        """Every check of RFC 9449 §4.3 but `jti` replay; raises TokenRejected(dpop_invalid)."""
        if len(proof) > MAX_PROOF_LENGTH or _COMPACT_JWS.fullmatch(proof) is None:
            raise _invalid("the proof is not a compact JWS")
        header_segment = proof.partition(".")[0]
        try:
            proof_key = self._key_for(header_segment)
            decoded = JWS.decode_complete(
                proof, key=proof_key.key, algorithms=[proof_key.alg], options=SIGNATURE_OPTIONS
            )
        except jwt.PyJWTError as exc:
            raise _invalid(f"the proof is refused: {exc}") from None
        claims = _claims(decoded["payload"])
        jti, htm, htu, iat = claims.get("jti"), claims.get("htm"), claims.get("htu"), claims.get("iat")
        if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_LENGTH:
            raise _invalid("the proof's jti is missing or not a short string")
        if not isinstance(htm, str) or htm != method:
            raise _invalid("the proof's htm is not the request's method")
        # A URI is printable ASCII (RFC 3986 §2); urlsplit would silently drop a tab or a newline.
        if not isinstance(htu, str) or _URI.fullmatch(htu) is None or normalized_url(htu) not in urls:
            raise _invalid("the proof's htu is not the request's URL")
        if isinstance(iat, bool) or not isinstance(iat, int | float):
            raise _invalid("the proof's iat is missing or not a NumericDate")
        now = self._clock()
        # Written so that NaN (which Python's JSON reads) fails it too: every comparison with NaN is false.
        if not now - self._window <= iat <= now + self._window:
            raise _invalid("the proof's iat is outside the accepted window")
        ath = claims.get("ath")
        if not isinstance(ath, str) or ath != b64url_sha256(token.encode()):  # a public hash
            raise _invalid("the proof's ath is not the access token's hash")
        return Proof(proof_key.jkt, jti, float(iat))

    def _proof_key(self, header_segment: str) -> _ProofKey:
        """The key a proof header names, once the header passes RFC 9449 §4.3 checks 4 to 7."""
        header = JWS.get_unverified_header(f"{header_segment}..")
        typ, alg, jwk = header.get("typ"), header.get("alg"), header.get("jwk")
        if not isinstance(typ, str) or media_type(typ) != PROOF_TYPE:
            raise jwt.InvalidTokenError("typ is not dpop+jwt")
        if not isinstance(alg, str) or alg not in self._algorithms:
            raise jwt.InvalidAlgorithmError("alg is not an accepted DPoP algorithm")
        if not isinstance(jwk, dict):
            raise jwt.InvalidKeyError("no jwk header")
        private = sorted(PRIVATE_JWK_MEMBERS.intersection(jwk))
        if private:
            raise jwt.InvalidKeyError(f"the jwk holds private members {private}")
        if jwk.get("kty") == "RSA" and not (
            isinstance(jwk.get("n"), str)
            and len(jwk["n"]) <= MAX_RSA_MODULUS_CHARS
            and isinstance(jwk.get("e"), str)
            and len(jwk["e"]) <= MAX_RSA_EXPONENT_CHARS
        ):
            raise jwt.InvalidKeyError("the RSA jwk is larger than any client key (8192 bits, e of 6 bytes)")
        try:
            jkt = jwk_thumbprint(jwk)
        except TokenRejected as exc:
            raise jwt.InvalidKeyError(str(exc)) from None
        return _ProofKey(alg, pyjwk_for(jwk, alg), jkt)


def _claims(payload: bytes) -> dict[str, Any]:
    try:
        claims = _decode_json(payload.decode())
    except (ValueError, RecursionError):
        raise _invalid("the proof's claims are not JSON") from None
    if type(claims) is not dict:
        raise _invalid("the proof's claims are not a JSON object")
    return claims


def _invalid(detail: str) -> TokenRejected:
    return TokenRejected(detail, Reason.DPOP_INVALID)
