"""Logs carry the correlation id and never the Authorization header or item bodies; metrics count requests
by route and status."""

from __future__ import annotations

import json
from typing import Any

import pytest
from api_harness import ALICE, ApiClient, captured_log

pytestmark = pytest.mark.slow

TOKEN = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXBheWxvYWQ.c2lnbmF0dXJlLXZhbHVl"
PRIVATE_NAME = "my-private-diary-entry"
PRIVATE_DESCRIPTION = "do-not-log-this-description"


def _emf_records(stdout: str) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    return [record for record in records if "_aws" in record]


def test_logs_never_contain_the_authorization_header_or_item_bodies(
    api: ApiClient, capfd: pytest.CaptureFixture[str]
) -> None:
    # GIVEN requests with a bearer token, carrying private item content
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with captured_log(api.app) as log:
        created = api.request(
            "POST",
            "/items",
            json_body={"name": PRIVATE_NAME, "description": PRIVATE_DESCRIPTION},
            headers=headers,
        )
        api.request("GET", f"/items/{created.json['id']}", headers=headers)
        api.request("GET", "/items", headers=headers)
        api.request("POST", "/items", json_body={"name": PRIVATE_NAME, "owner": "x"}, headers=headers)

    # THEN neither the logs nor anything else written to stdout/stderr contain them
    everything = log.getvalue() + "".join(capfd.readouterr())
    assert log.getvalue()
    for secret in [TOKEN, PRIVATE_NAME, PRIVATE_DESCRIPTION]:
        assert secret not in everything


def test_each_request_logs_route_status_and_correlation_id(api: ApiClient) -> None:
    with captured_log(api.app) as log:
        api.request("GET", "/items", caller=None)

    records = [json.loads(line) for line in log.getvalue().splitlines()]
    handled = [record for record in records if record["message"] == "Request handled"]
    assert len(handled) == 1
    expected_id = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef" if api.shape == "rest" else "JKJaXmPLvHcESHA="
    assert (handled[0]["route"], handled[0]["status"], handled[0]["correlation_id"]) == (
        "GET /items",
        401,
        expected_id,
    )


@pytest.mark.parametrize(
    ("method", "path", "route", "status"),
    [
        ("GET", "/me", "GET /me", "200"),
        ("GET", "/items", "GET /items", "200"),
        ("POST", "/items", "POST /items", "400"),
        ("GET", "/items/nope", "GET /items/{id}", "404"),
        ("DELETE", "/items/nope", "DELETE /items/{id}", "404"),
        ("GET", "/elsewhere", "unmatched", "404"),
    ],
)
def test_one_requests_metric_per_request_by_route_and_status(
    api: ApiClient, capsys: pytest.CaptureFixture[str], method: str, path: str, route: str, status: str
) -> None:
    capsys.readouterr()

    api.request(method, path, caller=ALICE)

    [record] = _emf_records(capsys.readouterr().out)
    assert (record["route"], record["status"], record["service"], record["Requests"]) == (
        route,
        status,
        "items-api",
        [1.0],
    )
    assert record["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["route", "status", "service"]]
