"""DPoP proofs (RFC 9449 §4.2) for the example client: one EC P-256 key per client, one proof per request.

Authlib, which the client uses for the OAuth part, has no DPoP support (its issue is open since 2021), so
this is the small proof builder on top of PyJWT (the JWS) and cryptography (the key):

    key = DPoPKey()                                      # a new key pair, in memory only
    key.proof("POST", token_url)                         # the token request's DPoP header (RFC 9449 §5)
    key.proof("GET", "https://api.example.com/items", access_token)   # a resource request's (§7.1)

Each proof is a JWT whose header carries `typ: dpop+jwt`, `alg: ES256` and the public key as `jwk`, and
whose claims are a fresh `jti`, `htm` (the method), `htu` (the URL called, without query and fragment,
§4.2), `iat` (now) and, on resource requests, `ath`: base64url(SHA-256(the access token)), unpadded.
The issuer binds the tokens it gives to this key (the token's `cnf.jkt`), so the key must live as long as
the tokens it asked for: a new key needs a new token.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

PROOF_TYPE = "dpop+jwt"
ALGORITHM = "ES256"


def htu(url: str) -> str:
    """The `htu` claim for a request to `url`: the URL without its query and fragment (RFC 9449 §4.2)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def ath(access_token: str) -> str:
    """The `ath` claim: base64url(SHA-256(ASCII access token)) without padding (RFC 9449 §4.2)."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class DPoPKey:
    """An EC P-256 key pair that signs DPoP proofs (ES256); the private key never leaves this object."""

    def __init__(
        self,
        private_key: ec.EllipticCurvePrivateKey | None = None,
        *,
        clock: Callable[[], float] = time.time,
        new_jti: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self._private_key = private_key or ec.generate_private_key(ec.SECP256R1())
        self._clock = clock
        self._new_jti = new_jti
        # The public members only (kty, crv, x, y): what the proof's header carries.
        self.public_jwk: dict[str, Any] = ECAlgorithm.to_jwk(self._private_key.public_key(), as_dict=True)

    def proof(self, method: str, url: str, access_token: str | None = None) -> str:
        """The DPoP header value for one request: `method` to `url`, with `ath` when a token goes along."""
        claims: dict[str, Any] = {
            "jti": self._new_jti(),
            "htm": method.upper(),
            "htu": htu(url),
            "iat": int(self._clock()),
        }
        if access_token is not None:
            claims["ath"] = ath(access_token)
        headers = {"typ": PROOF_TYPE, "jwk": self.public_jwk}
        return jwt.encode(claims, self._private_key, algorithm=ALGORITHM, headers=headers)
