"""Sender-constrained tokens: is the caller the one the token was issued to?

Checked on every request, after the token itself (whose verification may come from the verified-token
cache; this never does): a cached token is only the token, the proof and the certificate are the
request's.

The rules, by the token's issuer's DPoP policy (RFC 9449 §7.1, RFC 8705 §3):

| presented as | token's cnf          | off            | allowed         | required        |
|--------------|----------------------|----------------|-----------------|-----------------|
| Bearer       | none                 | ok             | ok              | dpop_binding    |
| Bearer       | jkt                  | dpop_binding   | dpop_binding    | dpop_binding    |
| DPoP         | any                  | dpop_invalid   | proof + binding | proof + binding |

`cnf["x5t#S256"]`, whatever the DPoP policy: the client certificate of the mutual-TLS connection must
be the one the token names (cert_binding).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from oauth_authorizer.errors import Reason, TokenRejected
from oauth_authorizer.events import AuthorizationRequest
from oauth_authorizer.settings import DpopMode, Settings
from oauth_authorizer.tokens import Claims, Credentials, Scheme

if TYPE_CHECKING:
    from oauth_authorizer.dpop import ProofChecker
    from oauth_authorizer.replay import ReplayGuard

_PEM_CERTIFICATE = re.compile(
    r"\s*-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----\s*"
)


def certificate_thumbprint(pem: str) -> str | None:
    """base64url(SHA-256(DER)) of a PEM certificate (RFC 8705 §3.1), or None if it is not one.

    The DER is the PEM's base64 body (RFC 7468 §2), so no X.509 parser is loaded: API Gateway has
    already verified the certificate against the truststore, and only its exact bytes matter here.
    """
    from oauth_authorizer.dpop import b64url_sha256  # noqa: PLC0415 - only for certificate-bound tokens

    match = _PEM_CERTIFICATE.fullmatch(pem)
    if match is None:
        return None
    try:
        der = base64.b64decode("".join(match.group(1).split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    return b64url_sha256(der) if der else None


class SenderConstraints:
    """The check above, for one configuration. DPoP's modules are loaded only if an issuer uses DPoP."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], float] | None = None,
        replays: ReplayGuard | None = None,
    ) -> None:
        self._modes = {issuer.issuer: issuer.dpop for issuer in settings.issuers}
        self._required = frozenset(
            issuer.issuer for issuer in settings.issuers if issuer.dpop is DpopMode.REQUIRED
        )
        self._window = settings.dpop.iat_window_seconds
        self._proofs: ProofChecker | None = None
        self._expected_urls: Callable[[str | None, str | None], frozenset[str]] = _no_urls
        self.replays: ReplayGuard | None = None
        if settings.dpop_enabled:
            import time  # noqa: PLC0415

            from oauth_authorizer.dpop import ProofChecker, expected_urls  # noqa: PLC0415
            from oauth_authorizer.replay import (  # noqa: PLC0415
                DynamoDbReplayTable,
                ReplayGuard,
                SeenProofs,
            )

            now = clock or time.time
            self._expected_urls = expected_urls
            self._proofs = ProofChecker(settings.dpop, now)
            table = settings.dpop.replay_table
            self.replays = replays or ReplayGuard(
                SeenProofs(clock=now),
                DynamoDbReplayTable(table, endpoint_url=settings.dpop.dynamodb_endpoint_url)
                if table
                else None,
            )

    def check(self, request: AuthorizationRequest, credentials: Credentials, claims: Claims) -> None:
        """Raises TokenRejected unless the caller may use this token."""
        if claims.x5t_s256 is not None:
            _check_certificate(request.client_cert_pem, claims.x5t_s256)
        if credentials.scheme is Scheme.BEARER:
            if claims.jkt is not None:
                raise TokenRejected("a DPoP-bound token presented as a Bearer token", Reason.DPOP_BINDING)
            if claims.issuer in self._required:
                raise TokenRejected("DPoP is required: a plain bearer token", Reason.DPOP_BINDING)
            return
        proofs, replays = self._proofs, self.replays
        if proofs is None or replays is None or self._modes.get(claims.issuer) is DpopMode.OFF:
            raise TokenRejected("the DPoP scheme, and DPoP is off for this issuer", Reason.DPOP_INVALID)
        if claims.jkt is None:
            raise TokenRejected("the DPoP scheme with a token not bound to a key", Reason.DPOP_BINDING)
        if not request.dpop_proofs:
            where = " (a TOKEN authorizer never sees one: use REQUEST)" if request.method is None else ""
            raise TokenRejected(f"no DPoP header{where}", Reason.DPOP_INVALID)
        if len(request.dpop_proofs) > 1:
            raise TokenRejected("more than one DPoP header", Reason.DPOP_INVALID)
        urls = self._expected_urls(request.domain_name, request.path)
        if not urls:
            raise TokenRejected("the event has no domain and path for htu", Reason.DPOP_INVALID)
        token = credentials.token
        proof = proofs.check(request.dpop_proofs[0], method=request.method, urls=urls, token=token)
        if proof.jkt != claims.jkt:  # public values (thumbprints): no constant-time need
            raise TokenRejected("the proof's key is not the token's", Reason.DPOP_BINDING)
        # Last: only a proof that passed every other check is remembered.
        replays.first_use(proof.jkt, proof.jti, proof.iat + self._window)


def _no_urls(domain_name: str | None, path: str | None) -> frozenset[str]:
    return frozenset()


def _check_certificate(pem: str | None, x5t_s256: str) -> None:
    if pem is None:
        raise TokenRejected("a certificate-bound token without a client certificate", Reason.CERT_BINDING)
    thumbprint = certificate_thumbprint(pem)
    if thumbprint is None:
        raise TokenRejected("the client certificate is not a PEM certificate", Reason.CERT_BINDING)
    if thumbprint != x5t_s256:
        raise TokenRejected("the client certificate is not the token's", Reason.CERT_BINDING)
