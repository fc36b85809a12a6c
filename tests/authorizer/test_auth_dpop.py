"""DPoP (RFC 9449) and certificate-bound tokens (RFC 8705) through the real handler: real keys (EC P-256,
RSA, Ed25519), real signed tokens and proofs, the issuer's keys over HTTP on 127.0.0.1.

Each refusal is asserted by the reason of its decision line (the `reason` dimension of the Decision
metric), never only by the 401.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from authorizer_harness import (
    ARN_PREFIX,
    HTTP_DOMAIN,
    Issuer,
    Keys,
    SigningKey,
    claims,
    ec_key,
    ed25519_key,
    environment,
    http_v2_event,
    iam_allows,
    load_app,
    mint,
    request_event,
    route_logs_to,
    rsa_key,
    token_event,
)
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from dpop_harness import (
    REST_HTU,
    ath,
    b64url,
    certificate,
    decision,
    fully_specified_proof,
    proof,
    public_jwk,
    thumbprint,
    unsigned_proof,
)
from jwt.warnings import InsecureKeyLengthWarning

from lambda_loader import LambdaContext

Outcome = tuple[str, str]  # (the decision line's reason, everything the handler printed)


@pytest.fixture
def client_keys() -> dict[str, SigningKey]:
    """The clients' DPoP keys, one of each kind RFC 9449 §4.2 names (and PS256 on the RSA key)."""
    return {
        "ES256": ec_key("client-ec"),
        "RS256": rsa_key("client-rsa"),
        "PS256": SigningKey(
            "client-ps", "PS256", rsa.generate_private_key(public_exponent=65537, key_size=2048)
        ),
        "EdDSA": ed25519_key("client-ed"),
    }


@pytest.fixture
def start(issuer: Issuer, monkeypatch: pytest.MonkeyPatch) -> Callable[..., ModuleType]:
    """Cold-start the authorizer with DPOP and any other variables set."""

    def cold_start(dpop: str = "allowed", **overrides: str) -> ModuleType:
        for name, value in environment(issuer, DPOP=dpop, **overrides).items():
            monkeypatch.setenv(name, value)
        return load_app()

    return cold_start


@pytest.fixture
def decide(capsys: pytest.CaptureFixture[str]) -> Callable[[ModuleType, dict[str, Any]], Outcome]:
    def call(app: ModuleType, event: dict[str, Any]) -> Outcome:
        return decision(app, event, capsys)

    return call


def answer(app: ModuleType, event: dict[str, Any]) -> dict[str, Any]:
    """The handler's response (logs to this test's capture)."""
    route_logs_to(sys.stdout)
    response: dict[str, Any] = app.lambda_handler(event, LambdaContext())
    return response


def bound_token(issuer: Issuer, keys: Keys, client: SigningKey, **overrides: Any) -> str:
    return mint(keys.rsa, claims(issuer, cnf={"jkt": thumbprint(client)}, **overrides))


def dpop_event(token: str, *proofs: str, scheme: str = "DPoP", method: str = "GET") -> dict[str, Any]:
    """API Gateway's REST REQUEST event for `GET https://<domain>/v1/items` with these headers."""
    headers = {"Authorization": f"{scheme} {token}", "Accept": "*/*"}
    event = request_event(headers, method)
    if proofs:
        event["headers"]["DPoP"] = proofs[-1]  # REST's `headers` keeps the last value of a repeated one
        event["multiValueHeaders"]["DPoP"] = list(proofs)
    return event


# --- A valid proof, every key type, both event kinds ---------------------------------------------


@pytest.mark.parametrize("alg", ["ES256", "RS256", "PS256", "EdDSA"])
def test_a_bound_token_with_a_valid_proof_is_allowed_for_each_key_type(
    start: Callable[..., ModuleType],
    decide: Callable[[ModuleType, dict[str, Any]], Outcome],
    issuer: Issuer,
    keys: Keys,
    client_keys: dict[str, SigningKey],
    alg: str,
) -> None:
    app = start()
    client = client_keys[alg]
    token = bound_token(issuer, keys, client)
    response = answer(app, dpop_event(token, proof(client, token)))
    assert iam_allows(response, f"{ARN_PREFIX}/GET/items")
    assert response["context"]["sub"] == "auth0|user-1"


def test_an_ed25519_proof_under_rfc_9864s_fully_specified_name_is_allowed_with_eddsa(
    start: Callable[..., ModuleType],
    decide: Callable[[ModuleType, dict[str, Any]], Outcome],
    issuer: Issuer,
    keys: Keys,
) -> None:
    # panva's `dpop` (used by oidc-provider's clients) signs Ed25519 proofs as `alg: Ed25519` (RFC 9864)
    client = ed25519_key("client-ed")
    token = bound_token(issuer, keys, client)
    outcomes = [
        decide(start(), dpop_event(token, fully_specified_proof(client, token)))[0],
        decide(start(DPOP_ALGORITHMS="ES256"), dpop_event(token, fully_specified_proof(client, token)))[0],
    ]
    assert outcomes == ["allowed", "dpop_invalid"]


def test_an_ed25519_named_proof_whose_jwk_is_another_key_type_is_refused(
    start: Callable[..., ModuleType],
    decide: Callable[[ModuleType, dict[str, Any]], Outcome],
    issuer: Issuer,
    keys: Keys,
) -> None:
    # GIVEN a proof named Ed25519, validly signed with an Ed25519 key, whose jwk is swapped for an EC key
    client = ec_key("client")
    token = bound_token(issuer, keys, client)
    _, payload, signature = fully_specified_proof(ed25519_key("x"), token).split(".")
    header = b64url(json.dumps({"typ": "dpop+jwt", "alg": "Ed25519", "jwk": public_jwk(client)}).encode())
    # THEN it is refused: an Ed25519 proof's key must be an OKP Ed25519 key
    assert decide(start(), dpop_event(token, f"{header}.{payload}.{signature}"))[0] == "dpop_invalid"


def test_an_http_api_event_is_checked_against_its_raw_path_and_domain(
    start: Callable[..., ModuleType], issuer: Issuer, keys: Keys
) -> None:
    app = start()
    client = ec_key("client")
    token = bound_token(issuer, keys, client)
    headers = {
        "authorization": f"DPoP {token}",
        "dpop": proof(client, token, htu=f"https://{HTTP_DOMAIN}/items"),
    }
    response = answer(app, http_v2_event(headers))
    assert iam_allows(response, "arn:aws:execute-api:eu-west-1:123456789012:abc123/$default/GET/items")


def test_header_names_are_read_in_any_letter_case(
    start: Callable[..., ModuleType], issuer: Issuer, keys: Keys
) -> None:
    app = start()
    client = ec_key("client")
    token = bound_token(issuer, keys, client)
    event = request_event({"AUTHORIZATION": f"dpop {token}", "dPoP": proof(client, token)})
    assert iam_allows(answer(app, event), f"{ARN_PREFIX}/GET/items")


# --- Each single defect of a proof ---------------------------------------------------------------

DEFECTS: dict[str, dict[str, Any]] = {
    "typ_missing": {"headers": {"typ": None}},
    "typ_jwt": {"headers": {"typ": "JWT"}},
    "typ_at_jwt": {"headers": {"typ": "at+jwt"}},
    "jwk_missing": {"headers": {"jwk": None}},
    "jwk_not_an_object": {"headers": {"jwk": "key"}},
    "jti_missing": {"drop": ("jti",)},
    "jti_not_a_string": {"claims": {"jti": 12345}},
    "jti_too_long": {"jti": "j" * 257},
    "htm_missing": {"drop": ("htm",)},
    "htm_other_method": {"htm": "POST"},
    "htm_lower_case": {"htm": "get"},
    "htu_missing": {"drop": ("htu",)},
    "htu_other_host": {"htu": "https://other.example.com/v1/items"},
    "htu_other_path": {"htu": f"{REST_HTU}/42"},
    "htu_without_stage": {"htu": REST_HTU.replace("/v1", "")},
    "htu_plain_http": {"htu": REST_HTU.replace("https:", "http:")},
    "htu_other_port": {"htu": REST_HTU.replace(".com/", ".com:8443/")},
    "htu_not_a_url": {"htu": "items"},
    "htu_with_a_tab": {"htu": REST_HTU.replace("/items", "/it\tems")},  # urlsplit drops tabs
    "htu_with_a_newline": {"htu": REST_HTU + "\n"},
    "htu_with_a_space": {"htu": REST_HTU.replace("/items", "/it ems")},
    "iat_missing": {"drop": ("iat",)},
    # Seconds from when the proof is made (the exact edges: test_auth_dpop_proofs.py, on a fixed clock)
    "iat_too_old": {"iat_offset": -120},
    "iat_in_the_future": {"iat_offset": 120},
    "iat_a_string": {"iat": str(int(time.time()))},
    "iat_a_boolean": {"claims": {"iat": True}},
    "ath_missing": {"drop": ("ath",)},
    "ath_of_another_token": {"claims": {"ath": ath("another.token.value")}},
    "ath_padded": {"claims": {"ath": "="}},
}


@pytest.mark.parametrize("defect", DEFECTS.values(), ids=DEFECTS.keys())
def test_each_single_defect_of_a_proof_is_refused_as_dpop_invalid(
    start: Callable[..., ModuleType],
    decide: Callable[[ModuleType, dict[str, Any]], Outcome],
    issuer: Issuer,
    keys: Keys,
    defect: dict[str, Any],
) -> None:
    app = start()
    client = ec_key("client")
    token = bound_token(issuer, keys, client)
    # GIVEN the same request with a faultless proof is allowed
    good, _ = decide(app, dpop_event(token, proof(client, token)))
    # WHEN one part of the proof is wrong
    defect = dict(defect)
    if "iat_offset" in defect:
        defect["iat"] = int(time.time()) + defect.pop("iat_offset")
    reason, output = decide(app, dpop_event(token, proof(client, token, **defect)))
    # THEN it is refused for that, and neither the token nor the proof is in the logs
    assert (good, reason) == ("allowed", "dpop_invalid")
    assert token not in output
    assert token.split(".")[2] not in output


def test_a_proof_signed_by_another_key_than_its_jwk_is_refused(
    start: Callable[..., ModuleType],
    decide: Callable[[ModuleType, dict[str, Any]], Outcome],
    issuer: Issuer,
    keys: Keys,
) -> None:
    app = start()
    client, thief = ec_key("client"), ec_key("thief")
    token = bound_token(issuer, keys, client)
    forged = proof(thief, token, headers={"jwk": public_jwk(client)})
    assert decide(app, dpop_event(token, forged))[0] == "dpop_invalid"


def test_a_tampered_proof_signature_is_refused(
    start: Callable[..., ModuleType],
    decide: Callable[[ModuleType, dict[str, Any]], Outcome],
    issuer: Issuer,
    keys: Keys,
) -> None:
    app = start()
    client = ec_key("client")
    token = bound_token(issuer, keys, client)
    head, body, signature = proof(client, token).split(".")
    tampered = f"{head}.{body}.{signature[:-4]}{'AAAA' if signature[-4:] != 'AAAA' else 'BBBB'}"
    assert decide(app, dpop_event(token, tampered))[0] == "dpop_invalid"


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "ES384"},  # a real algorithm, outside DPOP_ALGORITHMS
        {"jwk": {"kty": "oct", "k": "c2VjcmV0"}},  # a symmetric key
    ],
    ids=["alg_not_allowed", "symmetric_jwk"],
)
def test_a_proof_with_a_refused_algorithm_or_key_is_refused(
    start: Callable[..., ModuleType],
    decide: Callable[[ModuleType, dict[str, Any]], Outcome],
    issuer: Issuer,
    keys: Keys,
    header: dict[str, Any],
) -> None:
    app = start()
    client = SigningKey("client-384", "ES384", ec.generate_private_key(ec.SECP384R1()))
    if "jwk" in header:
        client = ec_key("client")
    token = bound_token(issuer, keys, client)
    assert decide(app, dpop_event(token, proof(client, token, headers=header)))[0] == "dpop_invalid"


def test_an_unsigned_proof_is_refused(
    start: Callable[..., ModuleType],
    decide: Callable[[ModuleType, dict[str, Any]], Outcome],
    issuer: Issuer,
    keys: Keys,
) -> None:
    app = start()
    client = ec_key("client")
    token = bound_token(issuer, keys, client)
    assert decide(app, dpop_event(token, unsigned_proof(client, token)))[0] == "dpop_invalid"


def test_a_proof_whose_jwk_holds_the_private_key_is_refused(
    start: Callable[..., ModuleType],
    decide: Callable[[ModuleType, dict[str, Any]], Outcome],
    issuer: Issuer,
    keys: Keys,
) -> None:
    app = start()
    client = ec_key("client")
    token = bound_token(issuer, keys, client)
    private_number = client.private.private_numbers().private_value  # type: ignore[union-attr]
    leaked = {**public_jwk(client), "d": b64url(private_number.to_bytes(32, "big"))}
    assert decide(app, dpop_event(token, proof(client, token, headers={"jwk": leaked})))[0] == "dpop_invalid"


def test_a_proof_signed_with_a_short_rsa_key_is_refused(
    start: Callable[..., ModuleType],
    decide: Callable[[ModuleType, dict[str, Any]], Outcome],
    issuer: Issuer,
    keys: Keys,
) -> None:
    app = start()
    weak = SigningKey("weak", "RS256", rsa.generate_private_key(public_exponent=65537, key_size=1024))
    token = bound_token(issuer, keys, weak)
    with pytest.warns(InsecureKeyLengthWarning):  # PyJWT signs with it, and says so
        weak_proof = proof(weak, token)
    assert decide(app, dpop_event(token, weak_proof))[0] == "dpop_invalid"


def test_no_proof_or_two_proofs_are_refused(
    start: Callable[..., ModuleType],
    decide: Callable[[ModuleType, dict[str, Any]], Outcome],
    issuer: Issuer,
    keys: Keys,
) -> None:
    app = start()
    client = ec_key("client")
    token = bound_token(issuer, keys, client)
    two = dpop_event(token, proof(client, token), proof(client, token))
    http_two = http_v2_event(
        {"authorization": f"DPoP {token}", "dpop": f"{proof(client, token)},{proof(client, token)}"}
    )
    assert [decide(app, event)[0] for event in (dpop_event(token), two, http_two)] == ["dpop_invalid"] * 3


def test_the_dpop_scheme_on_a_token_authorizer_is_refused_and_says_why(
    start: Callable[..., ModuleType],
    decide: Callable[[ModuleType, dict[str, Any]], Outcome],
    issuer: Issuer,
    keys: Keys,
) -> None:
    app = start()
    token = bound_token(issuer, keys, ec_key("client"))
    reason, output = decide(app, token_event(f"DPoP {token}"))
    assert reason == "dpop_invalid"
    assert "use REQUEST" in output


# --- Replays and the verified-token cache --------------------------------------------------------


def test_a_replayed_proof_is_refused(
    start: Callable[..., ModuleType],
    decide: Callable[[ModuleType, dict[str, Any]], Outcome],
    issuer: Issuer,
    keys: Keys,
) -> None:
    app = start()
    client = ec_key("client")
    token = bound_token(issuer, keys, client)
    once = proof(client, token)
    assert [decide(app, dpop_event(token, once))[0] for _ in range(2)] == ["allowed", "dpop_replay"]


def test_a_cached_token_still_needs_a_fresh_valid_proof_on_every_request(
    start: Callable[..., ModuleType],
    decide: Callable[[ModuleType, dict[str, Any]], Outcome],
    issuer: Issuer,
    keys: Keys,
) -> None:
    # GIVEN a DPoP request that succeeded, so its token is in the verified-token cache
    app = start()
    client = ec_key("client")
    token = bound_token(issuer, keys, client)
    first = proof(client, token)
    assert decide(app, dpop_event(token, first))[0] == "allowed"
    assert len(app.TOKENS) == 1
    # WHEN the same token comes without a proof, with the same proof, as Bearer, with a thief's proof
    outcomes = [
        decide(app, dpop_event(token))[0],
        decide(app, dpop_event(token, first))[0],
        decide(app, dpop_event(token, scheme="Bearer"))[0],
        decide(app, dpop_event(token, proof(ec_key("thief"), token)))[0],
        decide(app, dpop_event(token, proof(client, token)))[0],
    ]
    # THEN only the fresh proof by the bound key passes
    assert outcomes == ["dpop_invalid", "dpop_replay", "dpop_binding", "dpop_binding", "allowed"]


def test_the_same_jti_from_two_keys_is_not_a_replay(
    start: Callable[..., ModuleType],
    decide: Callable[[ModuleType, dict[str, Any]], Outcome],
    issuer: Issuer,
    keys: Keys,
) -> None:
    app = start()
    first, second = ec_key("first"), ec_key("second")
    tokens = [bound_token(issuer, keys, first), bound_token(issuer, keys, second)]
    outcomes = [
        decide(app, dpop_event(token, proof(client, token, jti="shared")))[0]
        for client, token in zip((first, second), tokens, strict=True)
    ]
    assert outcomes == ["allowed", "allowed"]


# --- Binding, by DPoP policy --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("off", ["allowed", "dpop_binding", "dpop_invalid", "dpop_invalid"]),
        ("allowed", ["allowed", "dpop_binding", "allowed", "dpop_binding"]),
        ("required", ["dpop_binding", "dpop_binding", "allowed", "dpop_binding"]),
    ],
)
def test_the_dpop_policy_decides_what_each_presentation_gets(
    start: Callable[..., ModuleType],
    decide: Callable[[ModuleType, dict[str, Any]], Outcome],
    issuer: Issuer,
    keys: Keys,
    mode: str,
    expected: list[str],
) -> None:
    app = start(mode)
    client = ec_key("client")
    plain = mint(keys.rsa, claims(issuer))
    bound = bound_token(issuer, keys, client)
    outcomes = [
        decide(app, dpop_event(plain, scheme="Bearer"))[0],  # an unbound bearer token
        decide(app, dpop_event(bound, scheme="Bearer"))[0],  # a DPoP-bound token as Bearer
        decide(app, dpop_event(bound, proof(client, bound)))[0],  # as it should be
        decide(app, dpop_event(plain, proof(client, plain)))[0],  # an unbound token with the DPoP scheme
    ]
    assert outcomes == expected


def test_a_token_bound_to_another_key_is_refused(
    start: Callable[..., ModuleType],
    decide: Callable[[ModuleType, dict[str, Any]], Outcome],
    issuer: Issuer,
    keys: Keys,
) -> None:
    app = start()
    client = ec_key("client")
    token = bound_token(issuer, keys, ec_key("other"))
    assert decide(app, dpop_event(token, proof(client, token)))[0] == "dpop_binding"


def test_each_issuer_has_its_own_dpop_policy(
    issuer: Issuer,
    keys: Keys,
    monkeypatch: pytest.MonkeyPatch,
    decide: Callable[[ModuleType, dict[str, Any]], Outcome],
) -> None:
    # GIVEN DPoP required by default (DPOP), and one issuer entry that keeps it off
    entries = [
        {
            "issuer": issuer.url,
            "audiences": ["https://api.example.com/"],
            "algorithms": ["RS256"],
            "dpop": "off",
        },
        {"issuer": "https://strict.example/", "audiences": ["x"], "jwks": keys.jwks(keys.spare)},
    ]
    env = environment(issuer, DPOP="required", ISSUERS=json.dumps(entries))
    for name in ("ISSUER", "AUDIENCE", "JWKS_URI", "ALLOWED_ALGORITHMS"):
        env.pop(name)
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    app = load_app()
    # WHEN a plain bearer token of each arrives
    lax = mint(keys.rsa, claims(issuer))
    strict = mint(keys.spare, claims(issuer, iss="https://strict.example/", aud="x"))
    outcomes = [decide(app, dpop_event(token, scheme="Bearer"))[0] for token in (lax, strict)]
    # THEN the entry's own `dpop` wins, and DPOP is the default of the others
    assert outcomes == ["allowed", "dpop_binding"]


# --- htu --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "htu",
    [
        "HTTPS://ABC123.EXECUTE-API.EU-WEST-1.AMAZONAWS.COM/v1/items",
        REST_HTU.replace(".com/", ".com:443/"),
        f"{REST_HTU}?page=2",
        f"{REST_HTU}#top",
        REST_HTU.replace("/items", "/%69tems"),  # an escaped unreserved character (RFC 3986 §6.2.2.2)
        REST_HTU.replace("/items", "/./items"),
    ],
    ids=[
        "upper_case_scheme_and_host",
        "default_port",
        "query",
        "fragment",
        "escaped_unreserved",
        "dot_segment",
    ],
)
def test_htu_is_compared_after_rfc_3986_normalisation_without_query_or_fragment(
    start: Callable[..., ModuleType],
    decide: Callable[[ModuleType, dict[str, Any]], Outcome],
    issuer: Issuer,
    keys: Keys,
    htu: str,
) -> None:
    app = start()
    client = ec_key("client")
    token = bound_token(issuer, keys, client)
    assert decide(app, dpop_event(token, proof(client, token, htu=htu)))[0] == "allowed"


def test_plain_http_is_accepted_only_on_a_loopback_domain(
    start: Callable[..., ModuleType],
    decide: Callable[[ModuleType, dict[str, Any]], Outcome],
    issuer: Issuer,
    keys: Keys,
) -> None:
    # GIVEN the local stack's event: the domain is the Host header, 127.0.0.1 with its port
    app = start()
    client = ec_key("client")
    token = bound_token(issuer, keys, client)
    event = dpop_event(token)
    event["requestContext"] |= {"domainName": "127.0.0.1:40123", "path": "/items"}
    outcomes = []
    for htu in ("http://127.0.0.1:40123/items", "https://127.0.0.1:40123/items", "http://127.0.0.1/items"):
        event["headers"]["DPoP"] = proof(client, token, htu=htu)
        event["multiValueHeaders"]["DPoP"] = [event["headers"]["DPoP"]]
        outcomes.append(decide(app, event)[0])
    assert outcomes == ["allowed", "allowed", "dpop_invalid"]


# --- Certificate-bound tokens (RFC 8705) -------------------------------------------------------


@pytest.mark.parametrize("mode", ["off", "allowed", "required"])
def test_a_certificate_bound_token_needs_its_own_client_certificate_whatever_dpop_says(
    start: Callable[..., ModuleType],
    decide: Callable[[ModuleType, dict[str, Any]], Outcome],
    issuer: Issuer,
    keys: Keys,
    mode: str,
) -> None:
    app = start(mode)
    pem, x5t = certificate()
    other_pem, _ = certificate("other.example")
    client = ec_key("client")
    cnf = {"x5t#S256": x5t} if mode != "required" else {"x5t#S256": x5t, "jkt": thumbprint(client)}
    token = mint(keys.rsa, claims(issuer, cnf=cnf))

    def presented(cert: str | None) -> str:
        event = (
            dpop_event(token, proof(client, token))
            if mode == "required"
            else dpop_event(token, scheme="Bearer")
        )
        event["requestContext"]["identity"]["clientCert"] = None if cert is None else {"clientCertPem": cert}
        return decide(app, event)[0]

    assert [presented(pem), presented(other_pem), presented(None), presented("not a certificate")] == [
        "allowed",
        "cert_binding",
        "cert_binding",
        "cert_binding",
    ]


def test_an_http_api_client_certificate_is_read_from_its_authentication_context(
    start: Callable[..., ModuleType],
    decide: Callable[[ModuleType, dict[str, Any]], Outcome],
    issuer: Issuer,
    keys: Keys,
) -> None:
    app = start("off")
    pem, x5t = certificate()
    token = mint(keys.rsa, claims(issuer, cnf={"x5t#S256": x5t}))
    event = http_v2_event({"authorization": f"Bearer {token}"})
    event["requestContext"]["authentication"] = {"clientCert": {"clientCertPem": pem}}
    assert decide(app, event)[0] == "allowed"


@pytest.mark.parametrize(
    ("cnf", "reason"),
    [
        ({"jwk": {"kty": "EC"}}, "unsupported_binding"),  # RFC 7800's raw key: not checkable here
        ({"kid": "k1"}, "unsupported_binding"),
        ({}, "invalid_claims"),
        ("jkt", "invalid_claims"),
        ({"jkt": 42}, "invalid_claims"),
    ],
    ids=["jwk", "kid", "empty", "string", "jkt_not_a_string"],
)
def test_a_confirmation_that_cannot_be_checked_refuses_the_token(
    start: Callable[..., ModuleType],
    decide: Callable[[ModuleType, dict[str, Any]], Outcome],
    issuer: Issuer,
    keys: Keys,
    cnf: Any,
    reason: str,
) -> None:
    app = start()
    token = mint(keys.rsa, claims(issuer, cnf=cnf))
    assert decide(app, dpop_event(token, scheme="Bearer"))[0] == reason


def test_no_proof_checker_or_replay_guard_is_built_when_no_issuer_uses_dpop(
    start: Callable[..., ModuleType],
) -> None:
    app = start("off")
    assert app.SENDERS.replays is None
    assert start("allowed").SENDERS.replays is not None
