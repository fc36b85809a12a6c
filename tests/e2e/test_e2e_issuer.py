"""The local issuer's OAuth 2.0 token endpoint (RFC 6749 §4.4, §5.1, §5.2), discovery and JWKS."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from e2e_client import http, token_request

from devstack.issuer import DEFAULT_AUDIENCE, RunningIssuer, load_signing_key, start_issuer

SECRETS = {"dev-admin": "admin-secret", "dev-reader": "reader-secret", "dev-noscope": "noscope-secret"}


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningIssuer]:
    running = start_issuer(client_secrets=SECRETS, key_path=tmp_path_factory.mktemp("key") / "key.json")
    yield running
    running.stop()


def test_client_credentials_token_response_shape(issuer: RunningIssuer) -> None:
    response = token_request(issuer.token_endpoint, "dev-reader", "reader-secret", audience=DEFAULT_AUDIENCE)

    body = response.json()
    assert response.status == 200
    assert (response.headers.get("Cache-Control"), response.headers.get("Pragma")) == ("no-store", "no-cache")
    assert {k: v for k, v in body.items() if k != "access_token"} == {
        "token_type": "Bearer",
        "expires_in": 3600,
        "scope": "read:items",
    }


def test_access_token_is_an_auth0_shaped_rs256_jwt_verifiable_with_the_jwks(issuer: RunningIssuer) -> None:
    token = token_request(issuer.token_endpoint, "dev-admin", "admin-secret").json()["access_token"]
    jwks = jwt.PyJWKClient(issuer.jwks_uri)

    header = jwt.get_unverified_header(token)
    claims = jwt.decode(
        token,
        jwks.get_signing_key_from_jwt(token).key,
        algorithms=["RS256"],
        audience=DEFAULT_AUDIENCE,
        issuer=issuer.config.issuer,
    )

    assert header == {"alg": "RS256", "typ": "at+jwt", "kid": issuer.config.key.kid}
    assert issuer.config.issuer.endswith("/")
    assert claims["exp"] - claims["iat"] == 3600
    assert {k: v for k, v in claims.items() if k not in {"iat", "exp", "jti"}} == {
        "iss": issuer.config.issuer,
        "sub": "dev-admin@clients",
        "aud": DEFAULT_AUDIENCE,
        "azp": "dev-admin",
        "client_id": "dev-admin",
        "gty": "client-credentials",
        "scope": "read:items write:items delete:items",
        "permissions": ["read:items", "write:items", "delete:items"],
    }


def test_client_secret_post_is_accepted_and_scope_can_be_narrowed(issuer: RunningIssuer) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": "dev-admin",
        "client_secret": "admin-secret",
        "scope": "read:items",
    }
    response = http("POST", issuer.token_endpoint, data=urllib.parse.urlencode(form).encode())

    assert response.status == 200
    token = response.json()["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["scope"], claims["permissions"]) == ("read:items", ["read:items"])


def test_client_without_scopes_gets_a_token_without_scope(issuer: RunningIssuer) -> None:
    response = token_request(issuer.token_endpoint, "dev-noscope", "noscope-secret")

    claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
    assert (response.status, "scope" in claims, claims["permissions"]) == (200, False, [])


def test_wrong_secret_is_401_invalid_client(issuer: RunningIssuer) -> None:
    response = token_request(issuer.token_endpoint, "dev-admin", "wrong")

    assert response.status == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers.get("WWW-Authenticate", "").startswith("Basic ")


def test_unknown_client_is_401_invalid_client(issuer: RunningIssuer) -> None:
    response = token_request(issuer.token_endpoint, "nobody", "x")

    assert (response.status, response.json()["error"]) == (401, "invalid_client")


def test_unsupported_grant_type(issuer: RunningIssuer) -> None:
    basic = base64.b64encode(b"dev-admin:admin-secret").decode()
    form = urllib.parse.urlencode({"grant_type": "password", "username": "u", "password": "p"}).encode()
    response = http("POST", issuer.token_endpoint, headers={"Authorization": f"Basic {basic}"}, data=form)

    assert (response.status, response.json()) == (400, {"error": "unsupported_grant_type"})


def test_scope_outside_the_clients_scopes_is_invalid_scope(issuer: RunningIssuer) -> None:
    response = token_request(
        issuer.token_endpoint, "dev-reader", "reader-secret", scope="read:items write:items"
    )

    assert (response.status, response.json()["error"]) == (400, "invalid_scope")


def test_unknown_audience_is_invalid_target(issuer: RunningIssuer) -> None:
    response = token_request(
        issuer.token_endpoint, "dev-admin", "admin-secret", audience="https://other.example"
    )

    assert (response.status, response.json()["error"]) == (400, "invalid_target")


def test_discovery_document_points_at_the_jwks_and_token_endpoint(issuer: RunningIssuer) -> None:
    base = issuer.config.issuer
    response = http("GET", base + ".well-known/openid-configuration")

    document = response.json()
    assert response.status == 200
    assert {k: document[k] for k in ("issuer", "jwks_uri", "token_endpoint")} == {
        "issuer": base,
        "jwks_uri": base + ".well-known/jwks.json",
        "token_endpoint": base + "oauth/token",
    }
    assert document["grant_types_supported"] == ["client_credentials", "authorization_code", "refresh_token"]


def test_jwks_holds_only_the_public_key(issuer: RunningIssuer) -> None:
    keys = http("GET", issuer.jwks_uri).json()["keys"]

    assert len(keys) == 1
    assert {"kty", "n", "e", "kid"} <= keys[0].keys()
    assert not {"d", "p", "q", "dp", "dq", "qi"} & keys[0].keys()


def test_signing_key_is_created_once_and_persisted(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "key.json"

    first = load_signing_key(path)
    second = load_signing_key(path)

    assert first.kid == second.kid == first.thumbprint()
    assert json.loads(path.read_text())["kid"] == first.kid


def test_auth0s_json_body_token_request_is_accepted(issuer: RunningIssuer) -> None:
    # Auth0's documented client-credentials request: the parameters as a JSON object, audience included.
    body = {
        "client_id": "dev-admin",
        "client_secret": "admin-secret",
        "audience": issuer.config.audience,
        "grant_type": "client_credentials",
    }
    response = http(
        "POST",
        issuer.token_endpoint,
        headers={"Content-Type": "application/json"},
        data=json.dumps(body).encode(),
    )

    assert response.status == 200
    claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
    assert (claims["sub"], claims["aud"]) == ("dev-admin@clients", issuer.config.audience)


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (b"{not json", 400, "invalid_request"),
        (b'["client_credentials"]', 400, "invalid_request"),
        (b'{"grant_type": "client_credentials", "client_id": 7}', 400, "invalid_request"),
        (
            b'{"grant_type": "client_credentials", "client_id": "dev-admin", "client_secret": "no"}',
            401,
            "invalid_client",
        ),
        (
            b'{"grant_type": "password", "client_id": "dev-admin", "client_secret": "admin-secret"}',
            400,
            "unsupported_grant_type",
        ),
    ],
)
def test_a_bad_json_token_request_gets_the_rfc6749_error(
    issuer: RunningIssuer, body: bytes, status: int, error: str
) -> None:
    response = http("POST", issuer.token_endpoint, headers={"Content-Type": "application/json"}, data=body)

    assert (response.status, response.json()["error"]) == (status, error)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("bogus=x", "unknown development client(s): bogus (known: dev-admin, dev-reader, dev-noscope)"),
        ("dev-admin", "--client-secret expects CLIENT_ID=SECRET, got 'dev-admin'=..."),
        ("dev-admin=", "--client-secret expects CLIENT_ID=SECRET, got 'dev-admin'=..."),
    ],
)
@pytest.mark.parametrize("module", ["devstack", "devstack.issuer"])
def test_a_bad_client_secret_option_is_one_line_on_stderr(module: str, value: str, message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", module, "--client-secret", value],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        f"python -m {module}: error: {message}\n",
    )
