"""The pieces of the DPoP check, against the RFCs' own worked examples where they give one."""

from __future__ import annotations

import pytest
from authorizer_harness import ec_key
from dpop_harness import certificate, proof

from oauth_authorizer.dpop import ProofChecker, b64url_sha256, expected_urls, jwk_thumbprint, normalized_url
from oauth_authorizer.errors import Reason, TokenRejected
from oauth_authorizer.senders import certificate_thumbprint
from oauth_authorizer.settings import DpopSettings

# RFC 7638 §3.1: the example RSA key (RFC 7517 Appendix A.1) and its published SHA-256 thumbprint.
RFC7638_JWK = {
    "kty": "RSA",
    "n": (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWK"
        "RXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMic"
        "AtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3"
        "XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    ),
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}
# RFC 9449 §4.1 (Figure 4): the example proof of a token request, its key, and that key's jkt (§6.1).
RFC9449_PROOF = (
    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0Rs"
    "cEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19"
    ".eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0"
    "IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg"
)
RFC9449_JWK = {
    "kty": "EC",
    "x": "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",
    "y": "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA",
    "crv": "P-256",
}
RFC9449_JKT = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
RFC9449_IAT = 1562262616
NOW = 1_800_000_000
URLS = frozenset({"https://api.example.com/items"})


def checker(window: int = 60) -> ProofChecker:
    return ProofChecker(DpopSettings(iat_window_seconds=window), clock=lambda: NOW)


def refusal(check: ProofChecker, value: str, token: str, **request: object) -> str:
    with pytest.raises(TokenRejected) as caught:
        check.check(value, method=request.get("method", "GET"), urls=URLS, token=token)  # type: ignore[arg-type]
    assert caught.value.reason is Reason.DPOP_INVALID
    return str(caught.value)


def test_the_thumbprint_of_rfc_7638s_example_key_is_the_published_one() -> None:
    assert jwk_thumbprint(RFC7638_JWK) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_the_thumbprint_of_rfc_9449s_example_key_is_its_published_jkt() -> None:
    assert jwk_thumbprint(RFC9449_JWK) == RFC9449_JKT


def test_ath_of_rfc_9449s_example_token_is_the_published_one() -> None:
    # RFC 9449 §4.2, Figure 7: the access token and the `ath` of a proof that goes with it
    assert (
        b64url_sha256(b"Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU")
        == "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
    )


def test_rfc_9449s_example_proof_passes_every_check_up_to_the_ath_it_does_not_carry() -> None:
    # GIVEN the RFC's token-request proof, checked at its own iat as if it were sent to a resource
    example = ProofChecker(DpopSettings(), clock=lambda: RFC9449_IAT)
    with pytest.raises(TokenRejected) as caught:
        example.check(
            RFC9449_PROOF, method="POST", urls=frozenset({"https://server.example.com/token"}), token="t"
        )
    # THEN typ, alg, jwk, signature, jti, htm, htu and iat pass: only `ath`, which a token request has not
    assert (caught.value.reason, str(caught.value)) == (
        Reason.DPOP_INVALID,
        "the proof's ath is not the access token's hash",
    )


@pytest.mark.parametrize("offset", [-60, -1, 0, 1, 60])
def test_an_iat_within_the_window_either_side_is_accepted(offset: int) -> None:
    client = ec_key("client")
    accepted = checker().check(
        proof(client, "t.o.k", htu="https://api.example.com/items", iat=NOW + offset),
        method="GET",
        urls=URLS,
        token="t.o.k",
    )
    assert accepted.iat == NOW + offset


@pytest.mark.parametrize(("window", "offset"), [(60, -61), (60, 61), (5, 6), (5, -6)])
def test_an_iat_just_outside_the_window_is_refused(window: int, offset: int) -> None:
    client = ec_key("client")
    value = proof(client, "t.o.k", htu="https://api.example.com/items", iat=NOW + offset)
    assert refusal(checker(window), value, "t.o.k") == "the proof's iat is outside the accepted window"


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        ("https://api.example.com/items", "https://api.example.com/items"),
        ("HTTPS://API.Example.COM/items", "https://api.example.com/items"),
        ("https://api.example.com:443/items", "https://api.example.com/items"),
        ("http://127.0.0.1:80/items", "http://127.0.0.1/items"),
        ("https://api.example.com:8443/items", "https://api.example.com:8443/items"),
        ("https://api.example.com/items?x=1#y", "https://api.example.com/items"),
        ("https://api.example.com", "https://api.example.com/"),
        ("https://api.example.com/%7Euser/%2f", "https://api.example.com/~user/%2F"),
        ("https://api.example.com/a b", "https://api.example.com/a%20b"),
        ("https://api.example.com/a/./b/../c", "https://api.example.com/a/c"),
        ("https://[::1]:8080/items", "https://[::1]:8080/items"),
        ("https://API.Example.COM/Items", "https://api.example.com/Items"),  # the path keeps its case
    ],
)
def test_urls_are_normalised_as_rfc_3986_section_6_2_2_says(url: str, normal: str) -> None:
    assert normalized_url(url) == normal


@pytest.mark.parametrize(
    "url",
    [
        "ftp://api.example.com/items",
        "//api.example.com/items",
        "/items",
        "https://",
        "https://user@host/x",
        "https://h:99999/",
    ],
)
def test_what_is_not_an_http_url_with_a_host_normalises_to_nothing(url: str) -> None:
    assert normalized_url(url) is None


def test_a_loopback_domain_also_accepts_plain_http_and_others_only_https() -> None:
    assert expected_urls("127.0.0.1:40123", "/items") == {
        "https://127.0.0.1:40123/items",
        "http://127.0.0.1:40123/items",
    }
    assert expected_urls("api.example.com", "/v1/items") == {"https://api.example.com/v1/items"}
    assert [expected_urls(None, "/x"), expected_urls("h", None), expected_urls("h", "x")] == [frozenset()] * 3


def test_a_certificates_thumbprint_is_the_sha_256_of_its_der() -> None:
    pem, x5t = certificate()
    assert certificate_thumbprint(pem) == x5t
    assert certificate_thumbprint(pem.replace("\n", "\r\n")) == x5t  # line endings are not the certificate


@pytest.mark.parametrize(
    "pem",
    [
        "",
        "not a certificate",
        "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
        "-----BEGIN CERTIFICATE-----\n\n-----END CERTIFICATE-----\n",
    ],
    ids=["empty", "text", "not_base64", "no_body"],
)
def test_what_is_not_a_pem_certificate_has_no_thumbprint(pem: str) -> None:
    assert certificate_thumbprint(pem) is None


@pytest.mark.parametrize("iat", [float("nan"), float("inf"), float("-inf")], ids=["nan", "inf", "-inf"])
def test_an_iat_that_is_not_a_finite_number_is_refused(iat: float) -> None:
    # Python's JSON reads NaN and Infinity; a window check written as abs(now - iat) > window lets NaN in.
    value = proof(ec_key("client"), "t.o.k", htu="https://api.example.com/items", iat=iat)
    assert refusal(checker(), value, "t.o.k") == "the proof's iat is outside the accepted window"


def test_an_rsa_proof_key_larger_than_any_client_key_is_refused_before_it_costs_a_verification() -> None:
    client = ec_key("client")
    huge = {"kty": "RSA", "n": "A" * 1367, "e": "AQAB"}
    value = proof(client, "t.o.k", htu="https://api.example.com/items", headers={"jwk": huge, "alg": "ES256"})
    assert refusal(checker(), value, "t.o.k").startswith("the proof is refused: the RSA jwk is larger")
