"""read_event: the three API Gateway authorizer payloads, read by hand into one AuthorizationRequest."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import pytest
from authorizer_harness import ARN_PREFIX, HTTP_DOMAIN, REST_DOMAIN, http_v2_event, request_event, token_event

from oauth_authorizer.errors import BadEvent, Reason
from oauth_authorizer.events import AuthorizationRequest, EventKind, read_event

HTTP_ARN = "arn:aws:execute-api:eu-west-1:123456789012:abc123/$default/GET/items/42"
MORE_THAN_ONE = "the request has more than one Authorization header"
UNKNOWN_SHAPE = "not a TOKEN, REQUEST or HTTP API 2.0 authorizer event"


def bad_event(event: Any) -> str:
    """The message read_event refuses `event` with (always a BadEvent, so a bad_event 401)."""
    with pytest.raises(BadEvent) as caught:
        read_event(event)
    assert caught.value.reason is Reason.BAD_EVENT
    return str(caught.value)


def test_rest_token_event_gives_the_token_and_the_method_arn() -> None:
    assert read_event(token_event("Bearer abc.def.ghi", "GET", "items/42")) == AuthorizationRequest(
        kind=EventKind.REST_TOKEN,
        authorization="Bearer abc.def.ghi",
        arn=f"{ARN_PREFIX}/GET/items/42",
        route_key=None,
        request_id=None,
    )


@pytest.mark.parametrize("header", ["Authorization", "authorization", "AUTHORIZATION", "aUtHoRiZaTiOn"])
def test_rest_request_event_reads_the_header_in_any_case_with_route_and_request_id(header: str) -> None:
    event = request_event({header: "Bearer abc.def.ghi", "Accept": "*/*"}, "GET", "/items/{id}")
    assert read_event(event) == AuthorizationRequest(
        kind=EventKind.REST_REQUEST,
        authorization="Bearer abc.def.ghi",
        arn=f"{ARN_PREFIX}/GET/items/42",
        route_key="GET /items/{id}",
        request_id="rest-request-1",
        method="GET",
        domain_name=REST_DOMAIN,
        path="/v1/items/42",
    )


def test_http_api_event_gives_its_route_arn_route_key_and_request_id() -> None:
    event = http_v2_event({"authorization": "Bearer abc.def.ghi", "accept": "*/*"}, "GET", "/items/{id}")
    assert read_event(event) == AuthorizationRequest(
        kind=EventKind.HTTP_V2,
        authorization="Bearer abc.def.ghi",
        arn=HTTP_ARN,
        route_key="GET /items/{id}",
        request_id="http-request-1",
        method="GET",
        domain_name=HTTP_DOMAIN,
        path="/items/42",
    )


def test_a_read_only_mapping_is_read_like_a_dict() -> None:
    event: Mapping[str, Any] = MappingProxyType(token_event("Bearer t", "GET", "me"))
    assert read_event(event) == AuthorizationRequest(
        EventKind.REST_TOKEN, "Bearer t", f"{ARN_PREFIX}/GET/me", None, None
    )


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (
            {"type": "TOKEN", "methodArn": f"{ARN_PREFIX}/GET/me"},
            AuthorizationRequest(EventKind.REST_TOKEN, None, f"{ARN_PREFIX}/GET/me", None, None),
        ),
        (
            token_event("x") | {"authorizationToken": 42},
            AuthorizationRequest(EventKind.REST_TOKEN, None, f"{ARN_PREFIX}/GET/items", None, None),
        ),
        (
            request_event({"Accept": "*/*"}),
            AuthorizationRequest(
                EventKind.REST_REQUEST,
                None,
                f"{ARN_PREFIX}/GET/items",
                "GET /items",
                "rest-request-1",
                method="GET",
                domain_name=REST_DOMAIN,
                path="/v1/items",
            ),
        ),
        (
            request_event({}) | {"headers": None, "multiValueHeaders": None},
            AuthorizationRequest(
                EventKind.REST_REQUEST,
                None,
                f"{ARN_PREFIX}/GET/items",
                "GET /items",
                "rest-request-1",
                method="GET",
                domain_name=REST_DOMAIN,
                path="/v1/items",
            ),
        ),
        (
            http_v2_event({}, "GET", "/items/{id}"),
            AuthorizationRequest(
                EventKind.HTTP_V2,
                None,
                HTTP_ARN,
                "GET /items/{id}",
                "http-request-1",
                method="GET",
                domain_name=HTTP_DOMAIN,
                path="/items/42",
            ),
        ),
        (
            {k: v for k, v in http_v2_event({}, "GET", "/items/{id}").items() if k != "headers"},
            AuthorizationRequest(
                EventKind.HTTP_V2,
                None,
                HTTP_ARN,
                "GET /items/{id}",
                "http-request-1",
                method="GET",
                domain_name=HTTP_DOMAIN,
                path="/items/42",
            ),
        ),
    ],
    ids=[
        "token_without_token",
        "token_not_a_string",
        "request_without_header",
        "request_null_headers",
        "http_without_header",
        "http_without_headers",
    ],
)
def test_a_missing_authorization_header_reads_as_none_not_an_error(
    event: dict[str, Any], expected: AuthorizationRequest
) -> None:
    # The decision turns a None into a missing_token 401; reading the event is not where that is decided.
    assert read_event(event) == expected


def test_optional_fields_of_the_wrong_type_read_as_absent() -> None:
    # GIVEN a REQUEST event whose header value, resource and request context are not what they should be
    event = request_event({"Authorization": "Bearer t"}) | {
        "headers": {"Authorization": ["Bearer t"], 7: "Bearer u"},
        "multiValueHeaders": {"Authorization": "Bearer t"},
        "resource": None,
        "requestContext": "rest-request-1",
    }
    # THEN only what is well-typed is read
    assert read_event(event) == AuthorizationRequest(
        EventKind.REST_REQUEST, None, f"{ARN_PREFIX}/GET/items", None, None, method="GET"
    )


def test_http_api_empty_or_non_string_route_key_reads_as_none() -> None:
    assert [
        read_event(http_v2_event({"authorization": "Bearer t"}) | {"routeKey": value}).route_key
        for value in ("", None, 42, "$default")
    ] == [None, None, None, "$default"]


def test_two_authorization_headers_differing_only_in_case_are_refused() -> None:
    # GIVEN a REST REQUEST event carrying Authorization twice, under two letter cases
    event = request_event({"Authorization": "Bearer a.b.c", "authorization": "Bearer x.y.z"})
    # THEN neither is picked
    assert bad_event(event) == MORE_THAN_ONE


def test_two_authorization_headers_in_an_http_api_event_are_refused() -> None:
    event = http_v2_event({"authorization": "Bearer a.b.c", "AUTHORIZATION": "Bearer x.y.z"})
    assert bad_event(event) == MORE_THAN_ONE


def test_two_authorization_values_in_multi_value_headers_are_refused() -> None:
    # GIVEN API Gateway's REST event for a request with the header twice: `headers` keeps the last value,
    # `multiValueHeaders` both
    event = request_event({"Authorization": "Bearer x.y.z"}) | {
        "multiValueHeaders": {"authorization": ["Bearer a.b.c", "Bearer x.y.z"]}
    }
    assert bad_event(event) == MORE_THAN_ONE


def test_authorization_values_under_names_differing_in_case_are_counted_together() -> None:
    event = request_event({"Authorization": "Bearer x.y.z"}) | {
        "multiValueHeaders": {"Authorization": ["Bearer x.y.z"], "authorization": ["Bearer a.b.c"]}
    }
    assert bad_event(event) == MORE_THAN_ONE


def test_one_authorization_value_in_multi_value_headers_is_read() -> None:
    event = request_event({"Authorization": "Bearer a.b.c"}) | {
        "multiValueHeaders": {"Authorization": ["Bearer a.b.c"], "Accept": ["a", "b"]}
    }
    assert read_event(event).authorization == "Bearer a.b.c"


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"type": "TOKEN", "authorizationToken": "Bearer t"}, "the event lacks 'methodArn'"),
        (
            {"type": "TOKEN", "authorizationToken": "Bearer t", "methodArn": None},
            "the event lacks 'methodArn'",
        ),
        (token_event("Bearer t") | {"methodArn": 42}, "the event's 'methodArn' is not a string"),
        (
            token_event("Bearer t") | {"methodArn": [f"{ARN_PREFIX}/GET/items"]},
            "the event's 'methodArn' is not a string",
        ),
        (request_event({}) | {"methodArn": None}, "the event lacks 'methodArn'"),
        (request_event({}) | {"methodArn": {"arn": "x"}}, "the event's 'methodArn' is not a string"),
        (http_v2_event({}) | {"routeArn": None}, "the event lacks 'routeArn'"),
        (http_v2_event({}) | {"routeArn": 1}, "the event's 'routeArn' is not a string"),
    ],
    ids=[
        "token_without_method_arn",
        "token_null_method_arn",
        "token_int_method_arn",
        "token_list_method_arn",
        "request_null_method_arn",
        "request_dict_method_arn",
        "http_null_route_arn",
        "http_int_route_arn",
    ],
)
def test_a_missing_or_non_string_arn_is_refused_by_name(event: dict[str, Any], message: str) -> None:
    assert bad_event(event) == message


@pytest.mark.parametrize(
    "event",
    [None, "TOKEN", 42, ["type", "TOKEN"], [("type", "TOKEN"), ("methodArn", ARN_PREFIX)], b"{}"],
    ids=["null", "string", "number", "list", "pairs", "bytes"],
)
def test_an_event_that_is_not_a_json_object_is_refused(event: Any) -> None:
    assert bad_event(event) == "the event is not a JSON object"


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"hello": "world"},
        {"type": "token", "authorizationToken": "Bearer t", "methodArn": ARN_PREFIX},
        {k: v for k, v in request_event({}).items() if k != "methodArn"},  # REQUEST without methodArn
        http_v2_event({}) | {"version": "1.0", "type": "HTTP"},  # a 2.0 event's fields, another version
        {k: v for k, v in http_v2_event({}).items() if k != "routeArn"},  # 2.0 without routeArn
    ],
    ids=["empty", "unrelated", "lower_case_type", "request_without_arn", "other_version", "v2_without_arn"],
)
def test_an_unknown_event_shape_is_refused(event: dict[str, Any]) -> None:
    assert bad_event(event) == UNKNOWN_SHAPE


def test_dpop_headers_are_read_in_any_case_without_surrounding_whitespace() -> None:
    # RFC 9110 §5.5: a field value has no leading or trailing whitespace (OWS is not part of it)
    event = request_event({"Authorization": "DPoP t", "dpop": " a.b.c\t"})
    assert read_event(event).dpop_proofs == ("a.b.c",)


def test_every_dpop_value_is_kept_so_that_two_can_be_refused() -> None:
    # REST keeps the last of repeated headers in `headers` and all in `multiValueHeaders`; HTTP API joins
    # them with commas
    rest = request_event({"Authorization": "DPoP t", "DPoP": "x.y.z"}) | {
        "multiValueHeaders": {"Authorization": ["DPoP t"], "DPoP": ["a.b.c", "x.y.z"]}
    }
    http = http_v2_event({"authorization": "DPoP t", "dpop": "a.b.c,x.y.z"})
    assert [read_event(rest).dpop_proofs, read_event(http).dpop_proofs] == [("a.b.c", "x.y.z")] * 2


def test_the_client_certificate_is_read_where_each_api_kind_puts_it() -> None:
    rest = request_event({"Authorization": "Bearer t"})
    rest["requestContext"]["identity"]["clientCert"] = {"clientCertPem": "PEM-REST"}
    http = http_v2_event({"authorization": "Bearer t"})
    http["requestContext"]["authentication"] = {"clientCert": {"clientCertPem": "PEM-HTTP"}}
    assert [read_event(rest).client_cert_pem, read_event(http).client_cert_pem] == ["PEM-REST", "PEM-HTTP"]
