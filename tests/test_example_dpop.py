"""examples/dpop.py: the example client's DPoP proofs are what RFC 9449 §4.2 asks for, checked with PyJWT."""

from __future__ import annotations

import itertools
from typing import Any

import jwt
import pytest
from dpop import DPoPKey, ath, htu

# RFC 9449 §7.1's example: this access token's ath.
RFC_9449_TOKEN = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"
RFC_9449_ATH = "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
NOW = 1_767_225_600


def _key() -> DPoPKey:
    counter = itertools.count(1)
    return DPoPKey(clock=lambda: NOW + 0.75, new_jti=lambda: f"jti-{next(counter)}")


def _decode(proof: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The proof's header and claims, its signature verified under the public key its header carries."""
    header = jwt.get_unverified_header(proof)
    key = jwt.PyJWK(header["jwk"], algorithm="ES256")
    claims = jwt.decode(proof, key, algorithms=["ES256"], options={"verify_iat": False})
    return header, claims


def test_a_resource_request_proof_verifies_under_its_embedded_public_key_with_every_claim() -> None:
    key = _key()
    proof = key.proof("get", "http://127.0.0.1:8080/items?limit=2#top", RFC_9449_TOKEN)

    header, claims = _decode(proof)

    assert header == {"typ": "dpop+jwt", "alg": "ES256", "jwk": key.public_jwk}
    assert set(key.public_jwk) == {"kty", "crv", "x", "y"}  # public members only, no "d"
    assert (key.public_jwk["kty"], key.public_jwk["crv"]) == ("EC", "P-256")
    assert claims == {
        "jti": "jti-1",
        "htm": "GET",
        "htu": "http://127.0.0.1:8080/items",
        "iat": NOW,
        "ath": RFC_9449_ATH,
    }


def test_a_token_request_proof_has_no_ath() -> None:
    _, claims = _decode(_key().proof("POST", "https://tenant.auth0.com/oauth/token"))

    assert claims == {
        "jti": "jti-1",
        "htm": "POST",
        "htu": "https://tenant.auth0.com/oauth/token",
        "iat": NOW,
    }


def test_every_proof_has_its_own_jti_and_one_key_signs_them_all() -> None:
    key = _key()
    first, second = (key.proof("POST", "http://127.0.0.1:1/items", "t") for _ in range(2))

    (h1, c1), (h2, c2) = _decode(first), _decode(second)

    assert (c1["jti"], c2["jti"]) == ("jti-1", "jti-2")
    assert h1["jwk"] == h2["jwk"]
    assert DPoPKey().public_jwk != key.public_jwk  # a new key each time one is made
    # The default jti is random: two proofs of one key in the same second still differ.
    default = DPoPKey()
    assert (
        _decode(default.proof("GET", "http://a/"))[1]["jti"]
        != _decode(default.proof("GET", "http://a/"))[1]["jti"]
    )


def test_a_proof_does_not_verify_under_another_key() -> None:
    proof = _key().proof("GET", "http://127.0.0.1:1/me", "t")
    other = jwt.PyJWK(DPoPKey().public_jwk, algorithm="ES256")

    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(proof, other, algorithms=["ES256"], options={"verify_iat": False})


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8080/items", "http://127.0.0.1:8080/items"),
        ("http://127.0.0.1:8080/items?limit=1&next=abc", "http://127.0.0.1:8080/items"),
        ("https://api.example.com/v1/items/42#frag", "https://api.example.com/v1/items/42"),
        ("https://api.example.com/v1/items/?", "https://api.example.com/v1/items/"),
    ],
)
def test_htu_is_the_url_without_query_or_fragment(url: str, expected: str) -> None:
    assert htu(url) == expected


def test_ath_is_the_unpadded_base64url_sha256_of_the_token() -> None:
    assert ath(RFC_9449_TOKEN) == RFC_9449_ATH
    assert "=" not in ath("x")
