"""template.yaml: the route table, the API's auth wiring, least privilege and the table's safety settings.

The SAM checks run SAM's own translator, so they pin what CloudFormation will actually receive.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from samtranslator.translator.transform import transform

from devstack.template import load_template, route_scopes

REQUIRED_PARAMETERS = {"Issuer": "https://tenant.example.auth0.com/", "Audience": "https://items.example.com"}


class _NoManagedPolicies:
    """The translator only asks for managed policies named in `Policies`; the template names none."""

    def load(self) -> dict[str, str]:
        return {}


def _translate(**parameters: str) -> dict[str, Any]:
    template = json.loads(json.dumps(load_template()))
    for function in ("AuthorizerFunction", "ApiFunction"):
        # The translator wants packaged code; `sam package` would put an S3 URI here.
        template["Resources"][function]["Properties"]["CodeUri"] = f"s3://bucket/{function}.zip"
    translated = transform(template, {**REQUIRED_PARAMETERS, **parameters}, _NoManagedPolicies())
    resources: dict[str, Any] = translated["Resources"]
    return resources


@pytest.fixture(autouse=True)
def _region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


def _api_routes() -> set[str]:
    events = load_template()["Resources"]["ApiFunction"]["Properties"]["Events"]
    return {f"{e['Properties']['Method'].upper()} {e['Properties']['Path']}" for e in events.values()}


def _openapi_paths(resources: dict[str, Any]) -> dict[str, Any]:
    rest_api = resources["Api"]
    paths: dict[str, Any] = rest_api["Properties"]["Body"]["paths"]
    return paths


def test_route_scopes_and_api_events_name_the_same_routes() -> None:
    assert set(route_scopes()) == _api_routes()


def test_route_scopes_is_the_documented_table() -> None:
    assert route_scopes() == {
        "GET /me": [],
        "GET /items": ["read:items"],
        "POST /items": ["write:items"],
        "GET /items/{id}": ["read:items"],
        "DELETE /items/{id}": ["delete:items"],
    }


def test_every_route_is_behind_the_authorizer_and_cors_preflight_is_not() -> None:
    paths = _openapi_paths(_translate())
    secured = {
        f"{method.upper()} {path}": operation.get("security")
        for path, operations in paths.items()
        for method, operation in operations.items()
    }
    assert secured == {
        **{route: [{"OAuthAuthorizer": []}] for route in route_scopes()},
        "OPTIONS /me": None,
        "OPTIONS /items": None,
        "OPTIONS /items/{id}": None,
    }


@pytest.mark.parametrize(("ttl", "expected"), [(None, 300), ("0", 0), ("60", 60)])
def test_authorizer_is_a_token_authorizer_cached_for_the_ttl_parameter(
    ttl: str | None, expected: int
) -> None:
    resources = _translate(**({"AuthorizerCacheTtl": ttl} if ttl is not None else {}))
    security = resources["Api"]["Properties"]["Body"]["securityDefinitions"]["OAuthAuthorizer"]
    authorizer = security["x-amazon-apigateway-authorizer"]
    assert security["name"] == "Authorization"
    assert authorizer["type"] == "token"
    # CloudFormation hands parameter values to the SAM transform as strings; the default stays an int.
    assert int(authorizer["authorizerResultTtlInSeconds"]) == expected
    assert authorizer["identityValidationExpression"] == "^[Bb][Ee][Aa][Rr][Ee][Rr] [-0-9a-zA-Z._~+/]+=*$"


def test_gateway_responses_carry_rfc6750_bearer_challenges() -> None:
    responses = load_template()["Resources"]["Api"]["Properties"]["GatewayResponses"]
    assert responses["UNAUTHORIZED"]["StatusCode"] == 401
    assert responses["UNAUTHORIZED"]["ResponseParameters"]["Headers"]["WWW-Authenticate"] == (
        "'Bearer error=\"invalid_token\"'"
    )
    assert responses["ACCESS_DENIED"]["StatusCode"] == 403
    assert responses["ACCESS_DENIED"]["ResponseParameters"]["Headers"]["WWW-Authenticate"] == (
        "'Bearer error=\"insufficient_scope\"'"
    )
    for name in ("UNAUTHORIZED", "ACCESS_DENIED", "DEFAULT_4XX", "DEFAULT_5XX"):
        assert responses[name]["ResponseParameters"]["Headers"]["Access-Control-Allow-Origin"] == {
            "Fn::Sub": "'${CorsAllowOrigin}'"
        }


def test_authorizer_role_has_no_aws_permissions_beyond_its_own_logs() -> None:
    role = _translate()["AuthorizerFunctionRole"]["Properties"]
    assert role["ManagedPolicyArns"] == ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]
    assert "Policies" not in role


def test_api_role_may_touch_only_its_own_table() -> None:
    role = _translate()["ApiFunctionRole"]["Properties"]
    assert role["ManagedPolicyArns"] == ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]
    resources = [
        resource
        for policy in role["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
        for resource in statement["Resource"]
    ]
    assert resources == [
        {
            "Fn::Sub": [
                "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${tableName}",
                {"tableName": {"Ref": "ItemsTable"}},
            ]
        },
        {
            "Fn::Sub": [
                "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${tableName}/index/*",
                {"tableName": {"Ref": "ItemsTable"}},
            ]
        },
    ]


@pytest.mark.parametrize(
    ("tracing", "expected_config", "xray_policy"),
    [("Disabled", None, False), ("Active", {"Mode": {"Ref": "Tracing"}}, True)],
)
def test_tracing_is_off_by_default_and_grants_xray_only_when_on(
    tracing: str, expected_config: dict[str, Any] | None, xray_policy: bool
) -> None:
    resources = _translate(Tracing=tracing)
    for function in ("AuthorizerFunction", "ApiFunction"):
        assert resources[function]["Properties"].get("TracingConfig") == expected_config
        policies = resources[f"{function}Role"]["Properties"]["ManagedPolicyArns"]
        assert ("arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess" in policies) is xray_policy
    assert load_template()["Parameters"]["Tracing"]["Default"] == "Disabled"


def test_functions_run_python_3_13_on_arm64_by_default_with_explicit_log_groups() -> None:
    template = load_template()
    assert template["Globals"]["Function"]["Runtime"] == "python3.13"
    assert template["Parameters"]["Architecture"]["Default"] == "arm64"
    resources = template["Resources"]
    for function, log_group in (("AuthorizerFunction", "AuthorizerLogGroup"), ("ApiFunction", "ApiLogGroup")):
        properties = resources[log_group]["Properties"]
        assert properties["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/${{{function}}}"}
        assert properties["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_table_is_on_demand_encrypted_recoverable_and_never_deleted_with_the_stack() -> None:
    table = load_template()["Resources"]["ItemsTable"]
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"
    assert table["Properties"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["Properties"]["SSESpecification"] == {"SSEEnabled": True}
    assert table["Properties"]["KeySchema"] == [
        {"AttributeName": "owner", "KeyType": "HASH"},
        {"AttributeName": "id", "KeyType": "RANGE"},
    ]


def test_outputs_expose_the_url_the_table_and_the_authorizer_arn() -> None:
    outputs = load_template()["Outputs"]
    assert set(outputs) == {"ApiUrl", "TableName", "AuthorizerFunctionArn"}
    assert outputs["AuthorizerFunctionArn"]["Value"] == {"Fn::GetAtt": ["AuthorizerFunction", "Arn"]}


def test_page_token_key_is_one_generated_secret_resolved_at_deploy_time() -> None:
    resources = load_template()["Resources"]
    environment = resources["ApiFunction"]["Properties"]["Environment"]["Variables"]
    assert environment["PAGE_TOKEN_KEY"] == {
        "Fn::Sub": "{{resolve:secretsmanager:${PageTokenSecret}:SecretString}}"
    }
    generated = resources["PageTokenSecret"]["Properties"]["GenerateSecretString"]
    assert generated == {"PasswordLength": 64, "ExcludePunctuation": True}


def test_one_leeway_parameter_reaches_both_functions_with_their_range() -> None:
    from items_api import settings as handler_settings
    from oauth_authorizer import settings as authorizer_settings

    resources = _translate()
    for function in ("AuthorizerFunction", "ApiFunction"):
        variables = resources[function]["Properties"]["Environment"]["Variables"]
        assert variables["LEEWAY_SECONDS"] == {"Ref": "LeewaySeconds"}, function
    parameter = load_template()["Parameters"]["LeewaySeconds"]
    for module in (authorizer_settings, handler_settings):
        assert (parameter["Default"], parameter["MinValue"], parameter["MaxValue"]) == (
            module.DEFAULT_LEEWAY_SECONDS,
            0,
            module.MAX_LEEWAY_SECONDS,
        )
