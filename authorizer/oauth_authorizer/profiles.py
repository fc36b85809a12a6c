"""Token profiles: what each identity provider puts where in its access tokens, as one table of data.

A profile says which claims carry the granted scopes, which claim names the OAuth client, whether a
token without `aud` may be bound to the API through its client id instead (Cognito), and which claim
values an access token of that provider must carry. The verifier reads these fields; no provider is
named anywhere else in the code.

Every profile refuses OpenID Connect ID tokens (RFC 9068 §4, RFC 8725 §3.11: a token of one kind must
not be accepted as another). The marks are the claims OpenID Connect Core defines for ID tokens only
(`nonce` §2, `at_hash` §3.1.3.6, `c_hash` §3.3.2.11), the providers' own type claims (Cognito's
`token_use: id`, Keycloak's `typ: ID`), and a JOSE `typ` header naming another kind of JWT. A profile
may list marks that its provider's documented access tokens carry anyway (`access_token_marks`); the
tests cite the document for each.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from types import MappingProxyType
from typing import NamedTuple

# Claims OpenID Connect Core defines for ID tokens only.
ID_TOKEN_CLAIMS = ("nonce", "at_hash", "c_hash")
_ID_TOKEN_CLAIM_SET = frozenset(ID_TOKEN_CLAIMS)


class ScopeForm(Enum):
    """How a claim carries scopes."""

    SPACE_DELIMITED = "space-delimited string"  # RFC 9068 §2.2.3 `scope`
    ARRAY = "array of strings"  # Auth0 `permissions`, Entra `roles`
    EITHER = "space-delimited string or array"  # `scp`: Entra sends a string, Okta an array


# Records are NamedTuples, not dataclasses: cheaper to create at import (docs/performance.md, "Performance").
class Profile(NamedTuple):
    """Where one provider's access tokens carry what the authorizer needs."""

    name: str
    # (claim, form) pairs; the granted scopes are the union of all of them.
    scope_claims: tuple[tuple[str, ScopeForm], ...]
    # The first of these claims that is present names the OAuth client (context `client_id`).
    client_id_claims: tuple[str, ...]
    # A token without `aud` is bound to the API by this claim instead, matched against the audiences.
    audience_fallback_claim: str | None = None
    # Claims every access token of this provider carries, with the value an access token has.
    required_values: Mapping[str, str] = MappingProxyType({})
    # ID-token marks that this provider's documented access tokens carry too (so they do not refuse).
    access_token_marks: frozenset[str] = frozenset()

    @property
    def id_token_claims(self) -> frozenset[str]:
        """The claims whose presence marks an ID token under this profile."""
        return _ID_TOKEN_CLAIM_SET - self.access_token_marks


_STANDARD_SCOPES = (
    ("scope", ScopeForm.SPACE_DELIMITED),
    ("scp", ScopeForm.EITHER),
    ("permissions", ScopeForm.ARRAY),
)

PROFILES: Mapping[str, Profile] = MappingProxyType(
    {
        profile.name: profile
        for profile in (
            Profile("oidc", _STANDARD_SCOPES, ("azp", "client_id")),
            Profile("auth0", _STANDARD_SCOPES, ("azp", "client_id")),
            Profile("okta", _STANDARD_SCOPES, ("azp", "client_id", "cid")),
            Profile(
                "cognito",
                _STANDARD_SCOPES,
                ("client_id", "azp"),
                audience_fallback_claim="client_id",
                required_values=MappingProxyType({"token_use": "access"}),
            ),
            Profile("entra", (("scp", ScopeForm.EITHER), ("roles", ScopeForm.ARRAY)), ("azp", "appid")),
            Profile(
                "keycloak",
                _STANDARD_SCOPES,
                ("azp",),
                required_values=MappingProxyType({"typ": "Bearer"}),
                # Keycloak before 25 copied the request's nonce into access tokens (25's upgrading notes);
                # its ID tokens still say `typ: ID`, which is refused.
                access_token_marks=frozenset({"nonce"}),
            ),
        )
    }
)
DEFAULT_PROFILE = "oidc"

# Providers' own claims that say "this is an ID token".
ID_TOKEN_VALUES: Mapping[str, str] = MappingProxyType({"token_use": "id", "typ": "ID"})
# JOSE `typ` values of access tokens (RFC 7519 §5.1 `JWT`, RFC 9068 §2.1 `at+jwt`), compared without
# case and without an `application/` prefix (RFC 7515 §4.1.9).
ACCESS_TOKEN_TYPES = frozenset({"jwt", "at+jwt"})
RFC9068_TYPE = "at+jwt"


def media_type(typ: str) -> str:
    """A JOSE `typ` as a comparable media type: lower case, without the `application/` prefix."""
    typ = typ.lower()
    return typ[len("application/") :] if typ.startswith("application/") else typ
