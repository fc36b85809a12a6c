"""Documented JWT shapes (JOSE header + claims) of the identity providers the profiles cover, cited.

Each entry in ``SHAPES`` holds ``header`` and ``claims`` dicts copied from the provider's own
sample tokens where one exists (NumericDate values replaced by "<iat>", "<exp>", "<nbf>", and
"<auth_time>" for auth_time), plus a ``source`` string: URL, title and a short verbatim quote.
Where a field could not be confirmed from a provider document, the ``source`` says so
("UNCONFIRMED: ...") and an ``unconfirmed`` list names the fields. Intended as test fixtures only.
"""

# ruff: noqa: E501 - sources are quoted verbatim
from typing import Any

SHAPES: dict[str, dict[str, dict[str, Any]]] = {
    "auth0": {
        # Default "Auth0 token profile" (dialects access_token / access_token_authz).
        "access_token": {
            "header": {"alg": "RS256", "typ": "JWT", "kid": "<kid>"},
            "claims": {
                "iss": "https://my-domain.auth0.com/",
                "sub": "auth0|123456",
                "aud": ["https://example.com/health-api", "https://my-domain.auth0.com/userinfo"],
                "azp": "my_client_id",
                "exp": "<exp>",
                "iat": "<iat>",
                "scope": "openid profile read:patients read:admin",
                # access_token_authz dialect (RBAC + "Add permissions in the Access Token"):
                "permissions": ["create:bar", "create:foo", "read:bar", "read:foo"],
                "my_custom_claim": "my_custom_value",
            },
            "unconfirmed": ["kid (value)"],
            "source": (
                "https://auth0.com/docs/secure/tokens/access-tokens/access-token-profiles "
                "(Access Token Profiles). Quote: 'The Auth0 token profile is associated with two token "
                "dialects: access_token; access_token_authz, or the access_token profile with the "
                "permissions claim included'; header table: 'type | at+jwt | JWT' (RFC 9068 | Auth0); "
                "'The Auth0 profile uses the azp claim to represent the client ID'. permissions sample "
                "value from the same page's claims table."
            ),
        },
        # "RFC 9068 token profile" (dialects rfc9068_profile / rfc9068_profile_authz).
        "access_token_rfc9068": {
            "header": {"alg": "RS256", "typ": "at+jwt", "kid": "<kid>"},
            "claims": {
                "iss": "https://my-domain.auth0.com/",
                "sub": "auth0|123456",
                "aud": ["https://example.com/health-api", "https://my-domain.auth0.com/userinfo"],
                "client_id": "my_client_id",
                "exp": "<exp>",
                "iat": "<iat>",
                "jti": "73WakrfVbNJBaAmhQtEeDv",
                "scope": "openid profile read:patients read:admin",
                "my_custom_claim": "my_custom_value",
            },
            "unconfirmed": ["kid (value)"],
            "source": (
                "https://auth0.com/docs/secure/tokens/access-tokens/access-token-profiles "
                "(Access Token Profiles, 'RFC 9068 profile sample token'). Quote: 'The RFC 9068 profile "
                "incorporates the jti claim'; 'the RFC 9068 profile uses the client_id claim'; "
                "'The RFC 9068 profile does not use the gty claim'; header 'type' = 'at+jwt'."
            ),
        },
        # M2M / client-credentials token under the default Auth0 profile.
        "client_credentials_access_token": {
            "header": {"alg": "RS256", "typ": "JWT", "kid": "<kid>"},
            "claims": {
                "iss": "https://my-domain.auth0.com/",
                "sub": "awZfdIir8YFdGZWkvCejDoUb7SjTDicx@clients",
                "aud": "https://test-server/api",
                "iat": "<iat>",
                "exp": "<exp>",
                "scope": "read:bar read:foo",
                "gty": "client-credentials",
                "azp": "awZfdIir8YFdGZWkvCejDoUb7SjTDicx",
            },
            "unconfirmed": ["gty value 'client-credentials' (not in an Auth0 document read here)", "kid"],
            "source": (
                "https://auth0.com/docs/secure/tokens/access-tokens/access-token-profiles "
                "(Access Token Profiles, claims table). Quote: 'For Machine-to-Machine apps using Client "
                "Credentials (no end user), the sub claim is a unique identifier for the app' with sample "
                "'awZfdIir8YFdGZWkvCejDoUb7SjTDicx@clients'. UNCONFIRMED: the same table says gty is "
                "'Only present for password and refresh_token'; the value 'client-credentials' is seen only "
                "in third-party decoded tokens, not in an Auth0 document found in this search."
            ),
        },
        "id_token": {
            "header": {"alg": "RS256", "typ": "JWT", "kid": "<kid>"},
            "claims": {
                "iss": "http://my-domain.auth0.com",
                "sub": "auth0|123456",
                "aud": "my_client_id",
                "exp": "<exp>",
                "iat": "<iat>",
                "name": "Jane Doe",
                "given_name": "Jane",
                "family_name": "Doe",
                "gender": "female",
                "birthdate": "0000-10-31",
                "email": "janedoe@example.com",
                "picture": "http://example.com/janedoe/me.jpg",
            },
            "unconfirmed": ["header (not shown on the page)", "nonce/at_hash (not in sample)"],
            "source": (
                "https://auth0.com/docs/secure/tokens/id-tokens/id-token-structure (ID Token Structure, "
                "'Sample ID Token'). Quote: 'the audience value (located in the aud claim) is set to the "
                "application's identifier'. Note: the sample's iss is literally 'http://my-domain.auth0.com' "
                "(no https, no trailing slash) - real tenants issue 'https://{domain}/'."
            ),
        },
    },
    "okta": {
        # Custom authorization server: iss https://{yourOktaDomain}/oauth2/{authServerId}.
        "access_token": {
            "header": {"alg": "RS256", "kid": "45js03w0djwedsw"},
            "claims": {
                "ver": 1,
                "jti": "AT.0mP4JKAZX1iACIT4vbEDF7LpvDVjxypPMf0D7uX39RE",
                "iss": "https://example.okta.com/oauth2/0oacqf8qaJw56czJi0g4",
                "aud": "https://api.example.com",
                "sub": "00ujmkLgagxeRrAg20g3",
                "iat": "<iat>",
                "exp": "<exp>",
                "cid": "nmdP1fcyvdVO11AL7ECm",
                "uid": "00ujmkLgagxeRrAg20g3",
                "scp": ["openid", "email", "flights", "custom"],
                "custom_claim": "CustomValue",
            },
            "source": (
                "https://developer.okta.com/docs/reference/api/oidc/ (OpenID Connect & OAuth 2.0 API, "
                "'Access Token Payload'; {yourOktaDomain} replaced by example.okta.com). Quote: 'cid | Client "
                "ID of the client that requested the access token'; 'uid | ... It isn't included in the access "
                "token if there is no user bound to it'; 'scp | Array of scopes'; 'ver | ... Integer'. Header "
                "shown without typ: 'The header only includes the following reserved claims: alg, kid'."
            ),
        },
        # Org authorization server: iss https://{yourOktaDomain} (no /oauth2/...).
        "org_access_token": {
            "header": {"alg": "RS256", "kid": "45js03w0djwedsw"},
            "claims": {
                "ver": 1,
                "jti": "AT.0mP4JKAZX1iACIT4vbEDF7LpvDVjxypPMf0D7uX39RE",
                "iss": "https://example.okta.com",
                "aud": "https://example.okta.com",
                "sub": "00ujmkLgagxeRrAg20g3",
                "iat": "<iat>",
                "exp": "<exp>",
                "cid": "nmdP1fcyvdVO11AL7ECm",
                "uid": "00ujmkLgagxeRrAg20g3",
                "scp": ["openid", "email"],
            },
            "unconfirmed": ["aud value", "whole payload: Okta says the org AS token structure may change"],
            "source": (
                "https://developer.okta.com/docs/reference/api/oidc/ (OpenID Connect & OAuth 2.0 API, "
                "'Composing Your Base URL' / 'Access Token'). Quote: 'the structure of the access token "
                "issued by the Okta org authorization server is subject to change'; org AS URL "
                "'https://{yourOktaDomain}/oauth2/v1/authorize'. UNCONFIRMED: aud for org-AS tokens; resource "
                "servers should not validate org-AS access tokens (they are meant for Okta APIs)."
            ),
        },
        "id_token": {
            "header": {"alg": "RS256", "kid": "45js03w0djwedsw"},
            "claims": {
                "ver": 1,
                "sub": "00uid4BxXw6I6TV4m0g3",
                "iss": "https://example.okta.com",
                "aud": "uAaunofWkaDJxukCFeBx",
                "iat": "<iat>",
                "exp": "<exp>",
                "amr": ["pwd"],
                "jti": "ID.4eAWJOCMB3SX8XewDfVR",
                "auth_time": "<auth_time>",
                "at_hash": "cpqKfdQA5eH891Ff5oJr_Q",
                "nonce": "<nonce from /authorize>",
                "name": "John Doe",
                "preferred_username": "john.doe@example.com",
                "email": "john.doe@example.com",
                "email_verified": True,
            },
            "unconfirmed": ["nonce is not in the sample; added per the doc text quoted below"],
            "source": (
                "https://developer.okta.com/docs/reference/api/oidc/ (OpenID Connect & OAuth 2.0 API, "
                "'ID Token Payload', trimmed). Quote: 'the ID token includes a nonce claim that should be "
                "validated'; 'Both an ID and and access token were requested. If so, the ID token includes the "
                "at_hash parameter'; aud 'is one of your application's OAuth 2.0 client IDs'."
            ),
        },
    },
    "cognito": {
        "access_token": {
            "header": {"kid": "1234example=", "alg": "RS256"},
            "claims": {
                "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                "device_key": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                "cognito:groups": ["admin"],
                "token_use": "access",
                "scope": "aws.cognito.signin.user.admin",
                "auth_time": "<auth_time>",
                "iss": "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_example",
                "exp": "<exp>",
                "iat": "<iat>",
                "origin_jti": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                "event_id": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                "jti": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                "client_id": "57cbishk4j24pabc1234567890",
                "username": "janedoe@example.com",
                "version": 2,
            },
            "unconfirmed": ["event_id", "version"],
            "source": (
                "https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-"
                "the-access-token.html (Using/Understanding the access token, 'Access token payload'). Quote: "
                "'Its value is always access in the case of the access token'; 'https://cognito-idp.{region}"
                '.amazonaws.com/{userPoolId}\'; header \'{"kid" : "1234example=" "alg" : "RS256"}\' (no typ). '
                "No aud claim in the sample. UNCONFIRMED: event_id and version are absent from the stored "
                "AWS sample read here (seen only in third-party decoded tokens)."
            ),
        },
        "client_credentials_access_token": {
            "header": {"kid": "1234example=", "alg": "RS256"},
            "claims": {
                "sub": "57cbishk4j24pabc1234567890",
                "token_use": "access",
                "scope": "solar-system-data/asteroids.add",
                "auth_time": "<auth_time>",
                "iss": "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_example",
                "exp": "<exp>",
                "iat": "<iat>",
                "jti": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                "client_id": "57cbishk4j24pabc1234567890",
                "version": 2,
            },
            "unconfirmed": ["sub == client_id", "absence of username/cognito:groups", "auth_time", "version"],
            "source": (
                "https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-define-"
                "resource-servers.html (Scopes, M2M, and resource servers). Quote: 'For client credentials "
                "grants, you can only authorize custom scopes from resource servers in access tokens'; "
                "'Amazon Cognito represents scopes in the access token in the format "
                "$resource-server-identifier/$scope'. UNCONFIRMED: no AWS sample M2M payload was found; "
                "claim set is inferred."
            ),
        },
        "access_token_with_aud": {
            "header": {"kid": "1234example=", "alg": "RS256"},
            "claims": {
                "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                "token_use": "access",
                "scope": "solar-system-data/asteroids.add",
                "aud": "https://solar-system-data-api.example.com",
                "auth_time": "<auth_time>",
                "iss": "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_example",
                "exp": "<exp>",
                "iat": "<iat>",
                "jti": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                "client_id": "57cbishk4j24pabc1234567890",
                "username": "janedoe@example.com",
            },
            "unconfirmed": ["aud as string vs list", "exact claim set (no AWS sample payload found)"],
            "source": (
                "AWS What's New, 'Amazon Cognito now supports resource indicators to simplify enhancing "
                "protection of OAuth 2.0 resources' (mirrored at cloudsteak.com); developer guide section "
                "'Resource binding' in https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-"
                "user-pools-define-resource-servers.html. Quote: 'After validation, Cognito issues an access "
                "token with the audience claim set to the specific resource'; 'authorization code grant and "
                "implicit grant flows'; 'Managed Login customers using Essentials or Plus tiers'."
            ),
        },
        "id_token": {
            "header": {"kid": "1234example=", "alg": "RS256"},
            "claims": {
                "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                "aud": "xxxxxxxxxxxxexample",
                "email_verified": True,
                "token_use": "id",
                "auth_time": "<auth_time>",
                "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_example",
                "cognito:username": "janedoe",
                "exp": "<exp>",
                "given_name": "Jane",
                "iat": "<iat>",
                "email": "janedoe@example.com",
                "jti": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                "origin_jti": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                "at_hash": "<at_hash>",
            },
            "unconfirmed": ["at_hash (not in the AWS sample read here)"],
            "source": (
                "https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-"
                "the-id-token.html (Using the ID token, 'ID Token Payload'). Quote: 'The aud claim contains "
                "the client_id that is used in the user authentication'; 'Its value is always id in the case "
                "of the ID token'."
            ),
        },
    },
    "entra": {
        "v1_access_token": {
            "header": {
                "typ": "JWT",
                "alg": "RS256",
                "x5t": "i6lGk3FZzxRcUb2C3nEQ7syHJlY",
                "kid": "i6lGk3FZzxRcUb2C3nEQ7syHJlY",
            },
            "claims": {
                "aud": "ef1da9d4-ff77-4c3e-a005-840c3f830745",
                "iss": "https://sts.windows.net/fa15d692-e9c7-4460-a743-29f29522229/",
                "iat": "<iat>",
                "nbf": "<nbf>",
                "exp": "<exp>",
                "acr": "1",
                "aio": "AXQAi/8IAAAAFm+E/QTG+gFnVxLjWdw8K+61AGrSOuMMF6ebaMj7XO3IbmD3fGmrOyD+NvZyGn2VaT/kDKXw4M",
                "amr": ["wia"],
                "appid": "75dbe77f-10a3-4e59-85fd-8c127544f17c",
                "appidacr": "0",
                "email": "AbeLi@microsoft.com",
                "family_name": "Lincoln",
                "given_name": "Abe (MSFT)",
                "idp": "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd0122247/",
                "ipaddr": "222.222.222.22",
                "name": "abeli",
                "oid": "02223b6b-aa1d-42d4-9ec0-1b2bb9194438",
                "rh": "I",
                "scp": "user_impersonation",
                "sub": "l3_roISQU222bULS9yi2k0XpqpOiMz5H3ZACo1GeXA",
                "tid": "fa15d692-e9c7-4460-a743-29f2956fd429",
                "unique_name": "abeli@microsoft.com",
                "uti": "FVsGxYXI30-TuikuuUoFAA",
                "ver": "1.0",
            },
            "source": (
                "https://learn.microsoft.com/en-us/entra/identity-platform/access-tokens (Access tokens in "
                "the Microsoft identity platform, decoded v1.0 sample token; aio truncated) and .../access-"
                "token-claims-reference. Quote: 'typ | String - always JWT'; 'x5t ... is a legacy claim "
                "emitted only in v1.0 access tokens'; 'appid | String, a GUID, only present in v1.0 tokens'. "
                "Note: the doc's sample iss tenant GUID is truncated/edited by Microsoft and differs from tid."
            ),
        },
        "v2_access_token": {
            "header": {"typ": "JWT", "alg": "RS256", "kid": "i6lGk3FZzxRcUb2C3nEQ7syHJlY"},
            "claims": {
                "aud": "6e74172b-be56-4843-9ff4-e66a39bb12e3",
                "iss": "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0",
                "iat": "<iat>",
                "nbf": "<nbf>",
                "exp": "<exp>",
                "aio": "AXQAi/8IAAAAtAaZLo3ChMif6KOnttRB7eBq4/DccQzjcJGxPYy/C3jDaNGxXd6wNIIVGRghNRnwJ1lOcA",
                "azp": "6e74172b-be56-4843-9ff4-e66a39bb12e3",
                "azpacr": "0",
                "name": "Abe Lincoln",
                "oid": "690222be-ff1a-4d56-abd1-7e4f7d38e474",
                "preferred_username": "abeli@microsoft.com",
                "rh": "I",
                "scp": "access_as_user",
                "sub": "HKZpfaHyWadeOouYlitjrI-KffTm222X5rrV3xDqfKQ",
                "tid": "72f988bf-86f1-41af-91ab-2d7cd011db47",
                "uti": "fqiBqXLPj0eQa82S-IYFAA",
                "ver": "2.0",
            },
            "source": (
                "https://learn.microsoft.com/en-us/entra/identity-platform/access-tokens (decoded v2.0 "
                "sample token; aio truncated). Quote: 'azp | String, a GUID, only present in v2.0 tokens | A "
                "replacement for appid'; 'If the token issued is a v2.0 token (see the ver claim), the URI "
                "ends in /v2.0'; 'In v2.0 tokens, this value [aud] is always the client ID of the API'."
            ),
        },
        "v2_app_only_access_token": {
            "header": {"typ": "JWT", "alg": "RS256", "kid": "i6lGk3FZzxRcUb2C3nEQ7syHJlY"},
            "claims": {
                "aud": "6e74172b-be56-4843-9ff4-e66a39bb12e3",
                "iss": "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0",
                "iat": "<iat>",
                "nbf": "<nbf>",
                "exp": "<exp>",
                "azp": "75dbe77f-10a3-4e59-85fd-8c127544f17c",
                "azpacr": "1",
                "oid": "02223b6b-aa1d-42d4-9ec0-1b2bb9194438",
                "roles": ["Data.Read.All"],
                "sub": "02223b6b-aa1d-42d4-9ec0-1b2bb9194438",
                "tid": "72f988bf-86f1-41af-91ab-2d7cd011db47",
                "uti": "fqiBqXLPj0eQa82S-IYFAA",
                "ver": "2.0",
                "idtyp": "app",
            },
            "unconfirmed": [
                "whole payload (no Microsoft sample found)",
                "sub == oid",
                "idtyp (optional claim)",
            ],
            "source": (
                "https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference "
                "(Access token claims reference). Quote: 'scp ... Only included for user tokens'; 'The client "
                "credential flow uses this set of permission [roles] in place of user scopes for application "
                "tokens'; 'idtyp optional claim (which identifies whether the token is an app or app+user "
                "token)'. Values are illustrative, built from the reference table."
            ),
        },
        "id_token": {
            "header": {"typ": "JWT", "alg": "RS256", "kid": "i6lGk3FZzxRcUb2C3nEQ7syHJlY"},
            "claims": {
                "aud": "6e74172b-be56-4843-9ff4-e66a39bb12e3",
                "iss": "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0",
                "iat": "<iat>",
                "nbf": "<nbf>",
                "exp": "<exp>",
                "aio": "<opaque>",
                "name": "Abe Lincoln",
                "nonce": "<nonce from /authorize>",
                "oid": "690222be-ff1a-4d56-abd1-7e4f7d38e474",
                "preferred_username": "abeli@microsoft.com",
                "rh": "I",
                "sub": "HKZpfaHyWadeOouYlitjrI-KffTm222X5rrV3xDqfKQ",
                "tid": "72f988bf-86f1-41af-91ab-2d7cd011db47",
                "uti": "fqiBqXLPj0eQa82S-IYFAA",
                "ver": "2.0",
            },
            "unconfirmed": ["values (no decoded sample read; built from the claims table)"],
            "source": (
                "https://learn.microsoft.com/en-us/entra/identity-platform/id-token-claims-reference (ID "
                "token claims reference). Quote: 'typ | String - always \"JWT\"'; 'In id_tokens, the audience "
                "is your app's Application ID'; 'The nonce matches the parameter included in the original "
                "authorize request'; c_hash/at_hash 'isn't returned on ID tokens from the /token endpoint'."
            ),
        },
    },
    "keycloak": {
        "access_token": {
            "header": {"alg": "RS256", "typ": "JWT", "kid": "<kid>"},
            "claims": {
                "exp": "<exp>",
                "iat": "<iat>",
                "jti": "d58f5dc8-fd8f-462b-8a19-716f8f83985b",
                "iss": "http://localhost:8080/realms/demo",
                "aud": "account",
                "sub": "36fa0f91-f94d-4a0c-afed-6b7d952e47da",
                "typ": "Bearer",
                "azp": "demo-app",
                "session_state": "2a88c258-f73a-4103-b862-e1fbd8f4e04e",
                "acr": "1",
                "allowed-origins": ["http://localhost:5173"],
                "realm_access": {"roles": ["offline_access", "default-roles-demo", "uma_authorization"]},
                "resource_access": {
                    "account": {"roles": ["manage-account", "manage-account-links", "view-profile"]}
                },
                "scope": "openid email profile",
                "sid": "2a88c258-f73a-4103-b862-e1fbd8f4e04e",
                "email_verified": True,
                "preferred_username": "alice",
            },
            "unconfirmed": [
                "JOSE header typ",
                "session_state (dropped in newer releases' lightweight work; not verified)",
                "aud 'account' (present only via the default audience resolution of the account client)",
            ],
            "source": (
                "No official Keycloak sample payload was found; shape taken from user-posted decoded tokens "
                "(e.g. gist.github.com/phacman/bd288c7abac1d3fc1694b7e191e27e4c). nonce deliberately absent: "
                "Keycloak 25 upgrading notes, https://www.keycloak.org/docs/25.0.0/upgrading/#nonce-claim-is-"
                "only-added-to-the-id-token (PR keycloak/keycloak#27588, issue #26893). Quote: 'The nonce "
                "claim is now only added to the ID token strictly following the OpenID Connect Core 1.0 "
                "specification' ('Nonce backwards compatible' mapper restores the old behaviour)."
            ),
        },
        "id_token": {
            "header": {"alg": "RS256", "typ": "JWT", "kid": "<kid>"},
            "claims": {
                "exp": "<exp>",
                "iat": "<iat>",
                "auth_time": "<auth_time>",
                "jti": "1546abd9-68c8-4167-a094-05bc09ca4811",
                "iss": "http://localhost:8080/realms/demo",
                "aud": "demo-app",
                "sub": "36fa0f91-f94d-4a0c-afed-6b7d952e47da",
                "typ": "ID",
                "azp": "demo-app",
                "nonce": "j3c47ia97u",
                "session_state": "2a88c258-f73a-4103-b862-e1fbd8f4e04e",
                "at_hash": "<at_hash>",
                "acr": "1",
                "sid": "2a88c258-f73a-4103-b862-e1fbd8f4e04e",
                "email_verified": True,
                "preferred_username": "alice",
            },
            "unconfirmed": ["whole payload, incl. typ 'ID' and at_hash (no Keycloak document read)"],
            "source": (
                "UNCONFIRMED from a Keycloak document in this search. nonce-in-ID-token-only: Keycloak 25 "
                "upgrading notes (see access_token source). Quote: 'this claim is compulsory inside the ID "
                "token when the same parameter was sent in the authorization request'."
            ),
        },
    },
    "firebase": {
        "id_token": {
            "header": {"alg": "RS256", "kid": "<kid from securetoken@system.gserviceaccount.com certs>"},
            "claims": {
                "iss": "https://securetoken.google.com/my-project-id",
                "aud": "my-project-id",
                "auth_time": "<auth_time>",
                "user_id": "Xh6a1ZHLXbVzkB1QMmB3S1mZ3sA2",
                "sub": "Xh6a1ZHLXbVzkB1QMmB3S1mZ3sA2",
                "iat": "<iat>",
                "exp": "<exp>",
                "email": "user@example.com",
                "email_verified": True,
                "firebase": {"identities": {"email": ["user@example.com"]}, "sign_in_provider": "password"},
            },
            "unconfirmed": ["header typ (not confirmed)", "example values"],
            "source": (
                "https://firebase.google.com/docs/reference/js/v8/firebase.FirebaseIdToken (FirebaseIdToken). "
                "Quote: 'aud Always set to PROJECT_ID'; 'iss Always set to https://securetoken.google.com/"
                "PROJECT_ID'; 'user_id The user's unique ID. Must be equal to sub'; 'firebase Information on "
                "all identities linked to this user'. Keys: https://www.googleapis.com/robot/v1/metadata/x509/"
                "securetoken@system.gserviceaccount.com (per firebase.google.com/docs/auth/admin/verify-id-"
                "tokens, as cited by verifier libraries; page body not read here)."
            ),
        },
    },
    "google": {
        "id_token": {
            "header": {"alg": "RS256", "kid": "08d3245c62f86b6362afcbbffe1d069826dd1dc1", "typ": "JWT"},
            "claims": {
                "iss": "https://accounts.google.com",
                "azp": "1234987819200.apps.googleusercontent.com",
                "aud": "1234987819200.apps.googleusercontent.com",
                "sub": "10769150350006150715113082367",
                "at_hash": "HK6E_P6Dh8Y93mRNtsDB1Q",
                "hd": "example.com",
                "email": "jsmith@example.com",
                "email_verified": "true",
                "iat": "<iat>",
                "exp": "<exp>",
                "nonce": "0394852-3190485-2490358",
            },
            "unconfirmed": ["header (only from a third-party decode)"],
            "source": (
                "https://developers.google.com/identity/openid-connect/openid-connect (OpenID Connect, 'An ID "
                "token's payload'; read via mirrors/translations). Quote (reference page): 'The modern value "
                "is https://accounts.google.com; however, accounts.google.com is also returned for legacy "
                "implementations'. Note email_verified is the string \"true\" in Google's sample. Discovery: "
                "https://accounts.google.com/.well-known/openid-configuration. Google OAuth access tokens are "
                "not JWTs (opaque) - no Google document confirming that was read in this search."
            ),
        },
    },
}
