"""_StrictJWS: PyJWT's strict base64url segment decoding, made fast, must stay PyJWT's rule for rule."""

from __future__ import annotations

import base64
import itertools
from typing import Any

import jwt
import pytest
from authorizer_harness import API, Issuer, Keys, SigningKey, claims, mint
from jwt.api_jws import PyJWS

from oauth_authorizer.errors import Reason, TokenRejected
from oauth_authorizer.keys import key_resolvers
from oauth_authorizer.settings import Settings
from oauth_authorizer.tokens import Claims, TokenVerifier, _StrictJWS, _unverified_header

BASE64URL = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
LONG = bytes(range(256)) * 16  # 4 KiB: every byte value, a segment longer than any header or claim set
Outcome = bytes | tuple[str, str]
PARTS = ("header", "payload", "crypto")  # PyJWT's names of the three segments


def outcome(decode: Any, segment: bytes, name: str = "crypto") -> Outcome:
    """What a decoder makes of `segment`: its bytes, or ("DecodeError", message)."""
    try:
        decoded: bytes = decode(segment, name)
    except jwt.DecodeError as exc:
        return ("DecodeError", str(exc))
    return decoded


def pyjwt(segment: bytes, name: str = "crypto") -> Outcome:
    return outcome(PyJWS._decode_base64url_segment, segment, name)


def strict(segment: bytes, name: str = "crypto") -> Outcome:
    return outcome(_StrictJWS._decode_base64url_segment, segment, name)


def test_agrees_with_pyjwt_on_every_short_segment_over_an_edge_alphabet() -> None:
    # GIVEN every byte string of length 0..5 over valid letters (canonical or not as a last character),
    # both base64url specials, `=`, a standard-alphabet `+` and the segment separator `.`
    segments = [
        bytes(chars) for length in range(6) for chars in itertools.product(b"Aw_-=+Q8z.", repeat=length)
    ]
    # WHEN both decoders read each
    outcomes = [(segment, pyjwt(segment), strict(segment)) for segment in segments]
    # THEN the fast decoder gives PyJWT's exact outcome on each: the same bytes, or the same error
    assert [(segment, ours) for segment, theirs, ours in outcomes if ours != theirs] == []
    # AND the sweep is not vacuous: both outcomes occur
    accepted = sum(isinstance(ours, bytes) for _, _, ours in outcomes)
    assert (len(outcomes), accepted) == (111_111, 2_836)


@pytest.mark.parametrize("prefix", [b"", b"Q", b"QU", b"QUJ", b"QUJD", b"QUJDR", b"QUJDRE"])
def test_agrees_with_pyjwt_on_every_last_character_and_padding(prefix: bytes) -> None:
    # GIVEN every base64url letter, and a few outsiders, as the last character, bare and padded
    lasts = [bytes([c]) for c in BASE64URL + b"+/=. \n\x00\xff"]
    segments = [prefix + last + pad for last in lasts for pad in (b"", b"=", b"==", b"===")]
    # THEN each decodes, or fails, exactly as with PyJWT
    assert [(s, strict(s)) for s in segments] == [(s, pyjwt(s)) for s in segments]


def padding_error(name: str) -> tuple[str, str]:
    return ("DecodeError", f"Invalid {name} padding")


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        (b"", b""),
        (b"QQ", b"A"),
        (b"QUI", b"AB"),
        (b"QUJD", b"ABC"),
        (b"AA", b"\x00"),
        (b"-_8", b"\xfb\xff"),
        (b"QQ==", b"A"),  # issuers such as AWS ALB pad
        (b"QUI=", b"AB"),
        (b"QQ=", None),  # padding on a segment that is not 4-aligned
        (b"QUJD=", None),
        (b"QUJD==", None),
        (b"Q===", None),  # more than two `=`
        (b"QUJD====", None),
        (b"=", None),
        (b"==", None),
        (b"===", None),
        (b"====", None),
        (b"QQ==QQ==", None),  # padding in the middle
        (b"Q", None),  # length ≡ 1 mod 4 cannot carry whole bytes
        (b"QUJDR", None),
        (b"Q=", None),
        (b"AB", None),  # non-canonical: unused low bits set (AA is canonical)
        (b"QR", None),  # decodes to b"A" like QQ, which is canonical
        (b"QUJ", None),  # decodes to b"AB" like QUI
        (b"QUL", None),
        (b"QUJD" * 8 + b"QR", None),
        (b"!!!!", None),  # GHSA-hxm8-2xgr-2p9m
        (b"QU I", None),
        (b" QUI", None),
        (b"QUI\n", None),
        (b"QUI\t", None),
        (b"\x00", None),
        (b"QUI\x00", None),
        (b"QUI\xc3\xa9", None),
        (b"+/8=", None),  # the standard alphabet, not base64url
        (b"QU.I", None),
        (base64.urlsafe_b64encode(LONG).rstrip(b"="), LONG),
        (base64.urlsafe_b64encode(LONG + b"x"), LONG + b"x"),  # padded, 4-aligned
        (base64.urlsafe_b64encode(LONG + b"x").rstrip(b"=")[:-1] + b"R", None),
    ],
)
@pytest.mark.parametrize("name", ["header", "payload", "crypto"])
def test_named_edge_cases_decode_exactly_as_pyjwt(segment: bytes, expected: bytes | None, name: str) -> None:
    exact = padding_error(name) if expected is None else expected
    assert (pyjwt(segment, name), strict(segment, name)) == (exact, exact)


def test_verification_decodes_every_segment_through_the_override(
    settings: Settings, issuer: Issuer, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the override wrapped to record its calls (a PyJWT that renamed the method would bypass it)
    original = _StrictJWS._decode_base64url_segment
    calls: list[tuple[bytes, str]] = []

    def recording(segment: bytes, name: str) -> bytes:
        calls.append((segment, name))
        return original(segment, name)

    monkeypatch.setattr(_StrictJWS, "_decode_base64url_segment", staticmethod(recording))
    verifier = TokenVerifier(settings, key_resolvers(settings))
    first = mint(keys.rsa, claims(issuer, exp=2_000_000_000))
    second = mint(keys.rsa, claims(issuer, exp=2_000_000_000, iat=1_700_000_000, jti="second"))
    _unverified_header.cache_clear()
    # WHEN a token is verified with its header not yet seen
    assert verifier.verify(first).subject == "auth0|user-1"
    # THEN the header was read alone (with an empty payload and signature), then the token decoded whole
    header, payload, signature = (segment.encode() for segment in first.split("."))
    assert calls == [
        (header, "header"),
        (b"", "payload"),
        (b"", "crypto"),
        (header, "header"),
        (payload, "payload"),
        (signature, "crypto"),
    ]
    # AND a token under an already seen header goes through it exactly once per segment
    calls.clear()
    assert verifier.verify(second) == Claims(
        subject="auth0|user-1",
        expires_at=2_000_000_000,
        scopes=frozenset({"openid", "read:items"}),
        client_id="spa-client",
        grant_type="",
        issuer=issuer.url,
        issued_at=1_700_000_000,
        token_id="second",
    )
    assert calls == [(segment.encode(), name) for segment, name in zip(second.split("."), PARTS, strict=True)]


def non_canonical(segment: str) -> str:
    """`segment` with its last character's unused low bits set: other text, the same bytes."""
    assert len(segment) % 4 in (2, 3)
    last = BASE64URL.index(segment[-1].encode())
    assert last % (16 if len(segment) % 4 == 2 else 4) == 0  # canonical to start with
    changed = segment[:-1] + chr(BASE64URL[last + 1])
    assert base64.urlsafe_b64decode(changed + "==") == base64.urlsafe_b64decode(segment + "==")
    return changed


def token_with_unaligned(key: SigningKey, issuer: Issuer, part: int) -> list[str]:
    """The segments of a valid token whose segment `part` has unused bits in its last character."""
    for filler in range(4):
        segments = mint(key, claims(issuer, jti="j" * filler), x="x" * filler).split(".")
        if len(segments[part]) % 4 in (2, 3):
            return segments
    raise AssertionError("no filler length leaves the segment unaligned")


@pytest.mark.parametrize("which", ["rsa", "ec", "ed"])
@pytest.mark.parametrize("part", [0, 1, 2], ids=PARTS)
def test_a_non_canonical_segment_is_malformed_exactly_as_with_pyjwt(
    settings: Settings, issuer: Issuer, keys: Keys, which: str, part: int
) -> None:
    # GIVEN a validly signed token, then the same token with one segment's last character changed to
    # one that decodes to the same bytes
    key: SigningKey = getattr(keys, which)
    segments = token_with_unaligned(key, issuer, part)
    valid = ".".join(segments)
    segments[part] = non_canonical(segments[part])
    altered = ".".join(segments)
    verifier = TokenVerifier(settings, key_resolvers(settings))
    assert verifier.verify(valid).subject == "auth0|user-1"
    # WHEN the altered one is verified
    with pytest.raises(TokenRejected) as caught:
        verifier.verify(altered)
    # THEN it is refused as malformed, with PyJWT's own message
    message = f"Invalid {PARTS[part]} padding"
    assert (caught.value.reason, str(caught.value)) == (
        Reason.MALFORMED,
        f"unreadable header: {message}" if part == 0 else message,
    )
    with pytest.raises(jwt.DecodeError) as by_pyjwt:
        jwt.decode(
            altered,
            key.private.public_key(),
            algorithms=[key.alg],
            audience=API,
            issuer=issuer.url,
        )
    assert str(by_pyjwt.value) == message
