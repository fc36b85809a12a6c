"""template.yaml and the authorizer application it nests (authorizer_app/template.yaml): the route table, the
API's auth wiring, least privilege and the table's safety settings.

The SAM checks run SAM's own translator on both templates (the application with the parameters template.yaml
gives it), so they pin what CloudFormation will actually receive.
"""

from __future__ import annotations

import io
import json
import logging
import re
from typing import Any

import pytest
from samtranslator.translator.transform import transform

from devstack.template import AUTHORIZER_APP_PATH, ROOT, load_template, route_scopes
from lambda_loader import LambdaContext
from oauth_authorizer.errors import Reason
from oauth_authorizer.settings import (
    DEFAULT_DPOP_ALGORITHMS,
    DEFAULT_DPOP_IAT_WINDOW_SECONDS,
    DEFAULT_METRICS_NAMESPACE,
    MAX_DPOP_IAT_WINDOW_SECONDS,
    DpopMode,
    load_settings,
)
from oauth_authorizer.telemetry import DECISION_METRIC, Telemetry

# The nested authorizer's grant on template.yaml's revocation list (here the table's name is its logical id).
REVOCATION_TABLE_ARN = "arn:aws:dynamodb:us-east-1:${AWS::AccountId}:table/RevocationTable"
REQUIRED_PARAMETERS = {"Issuer": "https://tenant.example.auth0.com/", "Audience": "https://items.example.com"}


class _NoManagedPolicies:
    """The translator only asks for managed policies named in `Policies`; the template names none."""

    def load(self) -> dict[str, str]:
        return {}


EXAMPLE_TEMPLATE = ROOT / "examples" / "http-api" / "template.yaml"
# What CloudFormation's pseudo parameters are in these tests.
PSEUDO_PARAMETERS = {"AWS::StackName": "stack", "AWS::Region": "us-east-1", "AWS::Partition": "aws"}


def _app_template() -> dict[str, Any]:
    return load_template(AUTHORIZER_APP_PATH)


def _parameter_values(template: dict[str, Any], **parameters: str) -> dict[str, str]:
    defaults = {name: str(p.get("Default", "")) for name, p in template["Parameters"].items()}
    return PSEUDO_PARAMETERS | defaults | parameters


def _app_parameters(**parameters: str) -> dict[str, str]:
    """The parameters template.yaml gives the authorizer application, for its own parameter values."""
    template = load_template()
    values = _parameter_values(template, **parameters)
    passed = template["Resources"]["AuthorizerApp"]["Properties"]["Parameters"]
    evaluated = {name: _evaluate(value, values, template["Conditions"]) for name, value in passed.items()}
    # A resource's Ref (RevocationTable) stands for its physical name: here, its logical id.
    return {
        name: value["Ref"] if isinstance(value, dict) and set(value) == {"Ref"} else str(value)
        for name, value in evaluated.items()
    }


def _translate_one(template: dict[str, Any], parameters: dict[str, str]) -> dict[str, Any]:
    template = json.loads(json.dumps(template))
    for name, resource in template["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            # The translator wants packaged code; `sam package` would put an S3 URI here.
            resource["Properties"]["CodeUri"] = f"s3://bucket/{name}.zip"
        if resource["Type"] == "AWS::Serverless::LayerVersion":
            resource["Properties"]["ContentUri"] = f"s3://bucket/{name}.zip"
        if resource["Type"] == "AWS::Serverless::Application":
            # `sam package` uploads the nested template and puts its URL here.
            resource["Properties"]["Location"] = f"https://bucket.s3.amazonaws.com/{name}.yaml"
    translated = transform(template, parameters, _NoManagedPolicies())
    resources: dict[str, Any] = translated["Resources"]
    return resources


def _translate(**parameters: str) -> dict[str, Any]:
    """template.yaml's resources and the nested authorizer application's, each translated by SAM (the
    application with the parameters template.yaml gives it); no logical id is in both."""
    parent = _translate_one(load_template(), {**REQUIRED_PARAMETERS, **parameters})
    app_parameters = _app_parameters(**(REQUIRED_PARAMETERS | parameters))
    application = _translate_one(_app_template(), app_parameters)
    # Without the resources CloudFormation leaves out (the application's own revocation list: template.yaml
    # gives it one), as the translator keeps every resource and its Condition.
    conditions = _app_template()["Conditions"]
    values = _parameter_values(_app_template(), **app_parameters)
    application = {
        name: resource
        for name, resource in application.items()
        if "Condition" not in resource or _evaluate(conditions[resource["Condition"]], values, conditions)
    }
    assert not set(parent) & set(application)
    return parent | application


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


def _security_definition(**parameters: str) -> dict[str, Any]:
    """The REST API's OAuthAuthorizer as CloudFormation creates it: translated, then its Fn::If evaluated."""
    template = load_template()
    values = {name: str(p.get("Default", "")) for name, p in template["Parameters"].items()}
    values |= REQUIRED_PARAMETERS | parameters
    security = _translate(**parameters)["Api"]["Properties"]["Body"]["securityDefinitions"]["OAuthAuthorizer"]
    evaluated: dict[str, Any] = _evaluate(security, values, template["Conditions"])
    return evaluated


@pytest.mark.parametrize(("ttl", "expected"), [(None, 300), ("0", 0), ("60", 60)])
def test_authorizer_is_a_token_authorizer_cached_for_the_ttl_parameter(
    ttl: str | None, expected: int
) -> None:
    security = _security_definition(**({"AuthorizerCacheTtl": ttl} if ttl is not None else {}))
    authorizer = security["x-amazon-apigateway-authorizer"]
    assert security["name"] == "Authorization"
    assert authorizer["type"] == "token"
    assert "identitySource" not in authorizer
    # CloudFormation hands parameter values to the SAM transform as strings; the default stays an int.
    assert int(authorizer["authorizerResultTtlInSeconds"]) == expected
    assert authorizer["identityValidationExpression"] == "^[Bb][Ee][Aa][Rr][Ee][Rr] [-0-9a-zA-Z._~+/]+=*$"
    assert load_template()["Parameters"]["AuthorizerType"]["Default"] == "TOKEN"


@pytest.mark.parametrize(
    ("parameters", "expected_ttl"),
    [
        # Without DPoP a REQUEST authorizer is cached as a TOKEN one is: per Authorization header value.
        ({"AuthorizerType": "REQUEST"}, 300),
        ({"AuthorizerType": "REQUEST", "AuthorizerCacheTtl": "60"}, 60),
        # With DPoP every request carries a new proof: API Gateway's cache is off, whatever the TTL says.
        ({"AuthorizerType": "REQUEST", "DPoP": "allowed"}, 0),
        ({"AuthorizerType": "REQUEST", "DPoP": "required", "AuthorizerCacheTtl": "600"}, 0),
    ],
)
def test_a_request_authorizer_has_the_authorization_header_as_identity_source_and_no_cache_with_dpop(
    parameters: dict[str, str], expected_ttl: int
) -> None:
    security = _security_definition(**parameters)
    authorizer = security["x-amazon-apigateway-authorizer"]
    assert authorizer["type"] == "request"
    # A request without Authorization is API Gateway's 401, without invoking the function.
    assert authorizer["identitySource"] == "method.request.header.Authorization"
    assert int(authorizer["authorizerResultTtlInSeconds"]) == expected_ttl
    # A TOKEN-only setting: the DPoP scheme must reach the function.
    assert "identityValidationExpression" not in authorizer


@pytest.mark.parametrize(
    ("dpop", "authorizer_type", "allowed"),
    [
        ("off", "TOKEN", True),
        ("off", "REQUEST", True),
        ("allowed", "REQUEST", True),
        ("required", "REQUEST", True),
        ("allowed", "TOKEN", False),
        ("required", "TOKEN", False),
    ],
)
def test_the_stack_refuses_dpop_on_a_token_authorizer(dpop: str, authorizer_type: str, allowed: bool) -> None:
    template = load_template()
    values = {name: str(p.get("Default", "")) for name, p in template["Parameters"].items()}
    values |= {"DPoP": dpop, "AuthorizerType": authorizer_type}
    (assertion,) = template["Rules"]["DPoPNeedsRequestAuthorizer"]["Assertions"]
    assert _evaluate(assertion["Assert"], values, template["Conditions"]) is allowed


def test_cors_lets_browsers_send_the_dpop_header() -> None:
    cors = load_template()["Resources"]["Api"]["Properties"]["Cors"]
    assert cors["AllowHeaders"] == "'Authorization,Content-Type,DPoP'"


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


def _authorizer_role(**parameters: str) -> dict[str, Any]:
    template = _app_template()
    values = _parameter_values(template, **_app_parameters(**(REQUIRED_PARAMETERS | parameters)))
    role = _translate(**parameters)["AuthorizerFunctionRole"]["Properties"]
    evaluated: dict[str, Any] = _evaluate(role, values, template["Conditions"])
    return evaluated


def test_authorizer_role_has_no_aws_permissions_beyond_its_own_logs_and_reading_the_revocation_list() -> None:
    role = _authorizer_role()
    assert role["ManagedPolicyArns"] == ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]
    # The DPoP statement's Fn::If gives AWS::NoValue; the revocation list's one read (a Scan) remains.
    statements = [
        statement for policy in role["Policies"] for statement in policy["PolicyDocument"]["Statement"]
    ]
    assert statements == [
        {
            "Sid": "RevocationTableRead",
            "Effect": "Allow",
            "Action": ["dynamodb:Scan"],
            # the list template.yaml gives the application (its RevocationTable), by name
            "Resource": REVOCATION_TABLE_ARN,
        },
    ]


@pytest.mark.parametrize("dpop", ["allowed", "required"])
def test_with_dpop_the_authorizer_may_only_put_items_into_the_replay_table(dpop: str) -> None:
    role = _authorizer_role(AuthorizerType="REQUEST", DPoP=dpop)
    assert role["ManagedPolicyArns"] == ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]
    statements = [
        statement for policy in role["Policies"] for statement in policy["PolicyDocument"]["Statement"]
    ]
    assert statements == [
        {
            "Sid": "DPoPReplayTable",
            "Effect": "Allow",
            "Action": ["dynamodb:PutItem"],
            "Resource": {"Fn::GetAtt": ["DPoPReplayTable", "Arn"]},
        },
        {
            "Sid": "RevocationTableRead",
            "Effect": "Allow",
            "Action": ["dynamodb:Scan"],
            "Resource": REVOCATION_TABLE_ARN,
        },
    ]


def test_the_replay_table_policy_names_every_call_the_replay_guard_makes() -> None:
    source = (ROOT / "authorizer" / "oauth_authorizer" / "replay.py").read_text(encoding="utf-8")
    calls = set(re.findall(r"self\._dynamodb\(\)\.(\w+)\(", source))
    assert calls == {"put_item"}
    assert 'ConditionExpression="attribute_not_exists(id)"' in source


def test_the_replay_table_exists_only_with_dpop_keyed_by_id_expiring_on_expires_at() -> None:
    template = _app_template()
    table = template["Resources"]["DPoPReplayTable"]
    assert table["Condition"] == "DPoPOn"
    assert template["Conditions"]["DPoPOn"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "DPoP"}, "off"]}]}
    properties = table["Properties"]
    assert properties["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]
    assert properties["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    # replay.py writes {"id": S, "expires_at": N (epoch seconds)}: the TTL attribute is its expiry.
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    source = (ROOT / "authorizer" / "oauth_authorizer" / "replay.py").read_text(encoding="utf-8")
    assert 'Item={"id": {"S": key.hex()}, "expires_at": {"N":' in source
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["SSESpecification"] == {"SSEEnabled": True}
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Delete", "Delete")


def test_api_role_allows_exactly_the_table_calls_the_store_and_idempotency_make_and_reading_its_secret() -> (
    None
):
    role = _translate()["ApiFunctionRole"]["Properties"]
    assert role["ManagedPolicyArns"] == ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]
    statements = [
        statement for policy in role["Policies"] for statement in policy["PolicyDocument"]["Statement"]
    ]
    assert statements == [
        {
            "Sid": "ItemsTable",
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Query"],
            "Resource": {"Fn::GetAtt": ["ItemsTable", "Arn"]},
        },
        {
            # Powertools' DynamoDBPersistenceLayer: get_item, put_item, update_item, delete_item.
            "Sid": "IdempotencyTable",
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
            "Resource": {"Fn::GetAtt": ["IdempotencyTable", "Arn"]},
        },
        {
            "Action": ["secretsmanager:GetSecretValue"],
            "Effect": "Allow",
            "Resource": {"Fn::Sub": ["${secretArn}", {"secretArn": {"Ref": "PageTokenSecret"}}]},
        },
        {
            "Sid": "RevocationTableRead",
            "Effect": "Allow",
            "Action": ["dynamodb:Scan"],
            "Resource": {"Fn::GetAtt": ["RevocationTable", "Arn"]},
        },
    ]


def test_the_table_policy_names_every_call_the_store_makes() -> None:
    source = (ROOT / "api_handler" / "items_api" / "store.py").read_text(encoding="utf-8")
    # Every call goes through self._client("Operation"), which sizes its client from the deadline.
    calls = set(re.findall(r'self\._client\("(\w+)"\)', source))
    assert calls == {"PutItem", "GetItem", "Query", "DeleteItem"}
    actions = load_template()["Resources"]["ApiFunction"]["Properties"]["Policies"][0]["Statement"][0][
        "Action"
    ]
    assert {f"dynamodb:{call}" for call in calls} == set(actions)


def test_idempotency_table_is_keyed_by_id_with_ttl_on_powertools_expiration_attribute() -> None:
    table = load_template()["Resources"]["IdempotencyTable"]["Properties"]
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    # Powertools' DynamoDBPersistenceLayer defaults: key_attr "id", expiry_attr "expiration".
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    env = load_template()["Resources"]["ApiFunction"]["Properties"]["Environment"]["Variables"]
    assert env["IDEMPOTENCY_TABLE_NAME"] == {"Ref": "IdempotencyTable"}


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
    resources = _translate()
    for template in (load_template(), _app_template()):
        assert template["Parameters"]["Architecture"]["Default"] == "arm64"
    assert _app_parameters()["Architecture"] == "arm64"
    for function, log_group in (("AuthorizerFunction", "AuthorizerLogGroup"), ("ApiFunction", "ApiLogGroup")):
        assert resources[function]["Properties"]["Runtime"] == "python3.13"
        assert resources[function]["Properties"]["Architectures"] == [{"Ref": "Architecture"}]
        properties = resources[log_group]["Properties"]
        assert properties["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/${{{function}}}"}
        assert properties["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert _app_parameters(LogRetentionDays="7")["LogRetentionDays"] == "7"


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
    # (and the revocation list's: tests/test_template_revocation.py)
    assert set(outputs) == {
        "ApiUrl",
        "TableName",
        "AuthorizerFunctionArn",
        "RevocationTableName",
        "MaxTokenLifetime",
        "RevocationAdminPolicyArn",
    }
    assert outputs["AuthorizerFunctionArn"]["Value"] == {
        "Fn::GetAtt": ["AuthorizerApp", "Outputs.AuthorizerFunctionArn"]
    }


def test_the_authorizer_application_outputs_what_an_api_wires_in() -> None:
    outputs = _app_template()["Outputs"]
    assert {name: output["Value"] for name, output in outputs.items() if not name.endswith("AlarmArn")} == {
        "AuthorizerFunctionArn": {"Fn::GetAtt": ["AuthorizerFunction", "Arn"]},
        "AuthorizerFunctionName": {"Ref": "AuthorizerFunction"},
        "AuthorizerAliasArn": {"Ref": "AuthorizerFunction.Alias"},
        "AuthorizerInvokeArn": {
            "Fn::If": [
                "SnapStartOn",
                {"Ref": "AuthorizerFunction.Alias"},
                {"Fn::GetAtt": ["AuthorizerFunction", "Arn"]},
            ]
        },
        "AlarmEmailTopicArn": {"Fn::If": ["HasAlarmEmail", {"Ref": "AlarmTopic"}, ""]},
        "RevocationTableName": {
            "Fn::If": ["CreatesRevocationTable", {"Ref": "RevocationTable"}, {"Ref": "RevocationTableName"}]
        },
        "RevocationAdminPolicyArn": {
            "Fn::If": ["CreatesRevocationTable", {"Ref": "RevocationAdminPolicy"}, ""]
        },
        "MaxTokenLifetime": {"Ref": "MaxTokenLifetime"},
    }


def test_the_api_names_the_nested_function_and_waits_for_the_application() -> None:
    # SAM CLI skips an authorizer whose ARN is another stack's output (and serves the route without it):
    # the API names the function by the FunctionName it gives the application instead.
    template = load_template()
    assert template["Resources"]["Api"]["DependsOn"] == "AuthorizerApp"
    assert _app_parameters()["FunctionName"] == "stack-authorizer"
    assert _app_template()["Resources"]["AuthorizerFunction"]["Properties"]["FunctionName"] == {
        "Ref": "FunctionName"
    }
    authorizer = template["Resources"]["Api"]["Properties"]["Auth"]["Authorizers"]["OAuthAuthorizer"]
    values = _parameter_values(template)
    function_arn = _evaluate(authorizer["FunctionArn"], values, template["Conditions"])
    assert function_arn == "arn:aws:lambda:us-east-1:${AWS::AccountId}:function:stack-authorizer"
    values["SnapStart"] = "PublishedVersions"
    alias_arn = _evaluate(authorizer["FunctionArn"], values, template["Conditions"])
    assert alias_arn == "arn:aws:lambda:us-east-1:${AWS::AccountId}:function:stack-authorizer:live"


def test_page_token_key_is_one_generated_secret_that_only_its_arn_names() -> None:
    resources = _translate()
    environment = resources["ApiFunction"]["Properties"]["Environment"]["Variables"]
    assert environment["PAGE_TOKEN_SECRET_ARN"] == {"Ref": "PageTokenSecret"}
    assert environment["PAGE_TOKEN_KEY"] == ""
    generated = resources["PageTokenSecret"]["Properties"]["GenerateSecretString"]
    assert generated == {"PasswordLength": 64, "ExcludePunctuation": True}


def test_one_leeway_parameter_reaches_both_functions_with_their_range() -> None:
    from items_api import settings as handler_settings
    from oauth_authorizer import settings as authorizer_settings

    resources = _translate()
    for function in ("AuthorizerFunction", "ApiFunction"):
        variables = resources[function]["Properties"]["Environment"]["Variables"]
        assert variables["LEEWAY_SECONDS"] == {"Ref": "LeewaySeconds"}, function
    assert _app_parameters(LeewaySeconds="5")["LeewaySeconds"] == "5"
    for template in (load_template(), _app_template()):
        parameter = template["Parameters"]["LeewaySeconds"]
        for module in (authorizer_settings, handler_settings):
            assert (parameter["Default"], parameter["MinValue"], parameter["MaxValue"]) == (
                module.DEFAULT_LEEWAY_SECONDS,
                0,
                module.MAX_LEEWAY_SECONDS,
            )


def _references(value: Any) -> set[str]:
    """Every resource or parameter a (translated) value refers to, through Ref, GetAtt or Sub."""
    if isinstance(value, list):
        return set().union(*map(_references, value)) if value else set()
    if not isinstance(value, dict):
        return set(re.findall(r"\$\{([A-Za-z0-9]+)", value)) if isinstance(value, str) else set()
    if set(value) == {"Ref"}:
        return {value["Ref"]}
    if set(value) == {"Fn::GetAtt"}:
        return {value["Fn::GetAtt"][0]}
    return set().union(*map(_references, value.values())) if value else set()


@pytest.mark.parametrize("function", ["AuthorizerFunction", "ApiFunction"])
def test_no_environment_variable_holds_a_secret_value(function: str) -> None:
    resources = _translate()
    variables = resources[function]["Properties"]["Environment"]["Variables"]
    secrets = {name for name, r in resources.items() if r["Type"] == "AWS::SecretsManager::Secret"}
    for name, value in variables.items():
        text = json.dumps(value)
        # No dynamic reference (CloudFormation would put the secret's value into the configuration)…
        assert "{{resolve:" not in text, name
        # …and a secret may be named only by its ARN (Ref of the secret), under a name that says so.
        if _references(value) & secrets:
            assert (name, value) == ("PAGE_TOKEN_SECRET_ARN", {"Ref": "PageTokenSecret"})


# ---- Running it in production: logs, throttling, tracing, WAF, the 404, alarms, dashboard, checkov

ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "requestTime": "$context.requestTime",
    "ip": "$context.identity.sourceIp",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "integrationStatus": "$context.integration.status",
    "principalId": "$context.authorizer.principalId",
    "authorizerStatus": "$context.authorizer.status",
    "authorizerError": "$context.authorizer.error",
    "authorizerLatency": "$context.authorizer.latency",
    "authorizeStatus": "$context.authorize.status",
    "authorizeError": "$context.authorize.error",
    "responseType": "$context.error.responseType",
    "errorMessage": "$context.error.message",
    "xrayTraceId": "$context.xrayTraceId",
}


def _stage(resources: dict[str, Any]) -> dict[str, Any]:
    stage: dict[str, Any] = resources["Apiv1Stage"]["Properties"]
    return stage


def test_access_log_is_one_json_line_per_request_with_the_listed_fields() -> None:
    resources = _translate()
    setting = _stage(resources)["AccessLogSetting"]
    assert "\n" not in setting["Format"]
    assert json.loads(setting["Format"]) == ACCESS_LOG_FIELDS
    assert setting["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    log_group = resources["ApiAccessLogGroup"]["Properties"]
    assert log_group["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_execution_log_group_is_the_one_api_gateway_writes_to_with_the_retention_parameter() -> None:
    log_group = _translate()["ApiExecutionLogGroup"]["Properties"]
    assert log_group == {
        "LogGroupName": {"Fn::Sub": "API-Gateway-Execution-Logs_${Api}/v1"},
        "RetentionInDays": {"Ref": "LogRetentionDays"},
    }


def test_stage_throttles_and_logs_errors_without_bodies_by_default() -> None:
    template = load_template()
    assert _stage(_translate())["MethodSettings"] == [
        {
            "ResourcePath": "/*",
            "HttpMethod": "*",
            "ThrottlingRateLimit": {"Ref": "ThrottlingRateLimit"},
            "ThrottlingBurstLimit": {"Ref": "ThrottlingBurstLimit"},
            "LoggingLevel": {"Ref": "ExecutionLogLevel"},
            "DataTraceEnabled": False,
            "MetricsEnabled": False,
        }
    ]
    defaults = {name: p.get("Default") for name, p in template["Parameters"].items()}
    assert (defaults["ThrottlingRateLimit"], defaults["ThrottlingBurstLimit"]) == (100, 200)
    assert defaults["ExecutionLogLevel"] == "ERROR"


@pytest.mark.parametrize(
    ("function", "parameter", "condition", "stack_parameter"),
    [
        (
            "AuthorizerFunction",
            "ReservedConcurrency",
            "HasReservedConcurrency",
            "AuthorizerReservedConcurrency",
        ),
        ("ApiFunction", "ApiReservedConcurrency", "HasApiReservedConcurrency", "ApiReservedConcurrency"),
    ],
)
def test_reserved_concurrency_is_optional_and_off_by_default(
    function: str, parameter: str, condition: str, stack_parameter: str
) -> None:
    template = load_template() if function == "ApiFunction" else _app_template()
    assert template["Parameters"][parameter]["Default"] == 0
    assert load_template()["Parameters"][stack_parameter]["Default"] == 0
    if function == "AuthorizerFunction":
        assert _app_parameters(AuthorizerReservedConcurrency="7")[parameter] == "7"
    assert template["Conditions"][condition] == {"Fn::Not": [{"Fn::Equals": [{"Ref": parameter}, "0"]}]}
    assert _translate()[function]["Properties"]["ReservedConcurrentExecutions"] == {
        "Fn::If": [condition, {"Ref": parameter}, {"Ref": "AWS::NoValue"}]
    }


def test_stage_tracing_is_on_exactly_when_tracing_is_active() -> None:
    template = load_template()
    assert template["Conditions"]["TracingEnabled"] == {"Fn::Equals": [{"Ref": "Tracing"}, "Active"]}
    assert _stage(_translate())["TracingEnabled"] == {"Fn::If": ["TracingEnabled", True, False]}


def test_an_optional_web_acl_is_associated_with_the_stage() -> None:
    resources = _translate()
    association = resources["WebAclAssociation"]
    assert association["Condition"] == "HasWebAcl"
    assert association["Properties"] == {
        "ResourceArn": {
            "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}::"
            "/restapis/${Api}/stages/${Apiv1Stage}"
        },
        "WebACLArn": {"Ref": "WebAclArn"},
    }
    assert load_template()["Parameters"]["WebAclArn"]["Default"] == ""


def test_unknown_route_or_method_answers_404_not_found_with_cors() -> None:
    responses = load_template()["Resources"]["Api"]["Properties"]["GatewayResponses"]
    assert responses["MISSING_AUTHENTICATION_TOKEN"] == {
        "StatusCode": 404,
        "ResponseParameters": {
            "Headers": {"Access-Control-Allow-Origin": {"Fn::Sub": "'${CorsAllowOrigin}'"}}
        },
        "ResponseTemplates": {"application/json": '{"message": "Not found"}'},
    }
    # What API Gateway makes of it: the 404 on the REST API itself.
    gateway = _translate()["Api"]["Properties"]["Body"]["x-amazon-apigateway-gateway-responses"]
    assert gateway["MISSING_AUTHENTICATION_TOKEN"]["statusCode"] == "404"


def test_table_has_deletion_protection() -> None:
    assert load_template()["Resources"]["ItemsTable"]["Properties"]["DeletionProtectionEnabled"] is True


def test_a_guided_deploy_needs_nothing_but_the_issuer_and_the_audience() -> None:
    parameters = load_template()["Parameters"]
    # Issuer and Audience default to empty only so that Issuers can replace them (the OneIssuerForm rule).
    assert {name for name, p in parameters.items() if p.get("Default", "") == ""} >= {"Issuer", "Audience"}
    assert all("Default" in p for p in parameters.values())


def test_api_gateway_logging_role_is_created_by_default_and_outlives_the_stack() -> None:
    resources = _translate()
    assert load_template()["Parameters"]["CreateApiGatewayLoggingRole"]["Default"] == "true"
    for name in ("ApiGatewayLoggingRole", "ApiGatewayAccount"):
        assert resources[name]["Condition"] == "CreatesLoggingRole"
        assert (resources[name]["DeletionPolicy"], resources[name]["UpdateReplacePolicy"]) == (
            "Retain",
            "Retain",
        )
    assert resources["ApiGatewayLoggingRole"]["Properties"]["ManagedPolicyArns"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"}
    ]
    # The stage (through its access log destination) waits for the account's role when the stack sets it.
    assert _stage(resources)["AccessLogSetting"]["DestinationArn"] == {
        "Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]
    }
    assert resources["ApiAccessLogGroup"]["Metadata"]["WaitsFor"] == {
        "Fn::If": ["CreatesLoggingRole", {"Ref": "ApiGatewayAccount"}, ""]
    }


# ---- Alarms: each watches a metric exactly as it is emitted (telemetry.py's EMF lines, or AWS's own)


def _emitted_lines(level: int) -> list[dict[str, Any]]:
    """The authorizer's own decision lines (a 401 for a dead JWKS, one for an unreadable revocation list, and
    an allow) at a log level."""
    stream = io.StringIO()
    logger = logging.Logger("authorizer-test", level=level)
    logger.addHandler(logging.StreamHandler(stream))
    environment = _authorizer_variables()
    telemetry = Telemetry(
        service=environment["POWERTOOLS_SERVICE_NAME"],
        namespace=environment["POWERTOOLS_METRICS_NAMESPACE"],
        logger=logger,
    )
    telemetry.rejected(Reason.JWKS_UNAVAILABLE, LambdaContext(), "request-1", "key set unavailable")
    telemetry.rejected(Reason.REVOCATION_UNAVAILABLE, LambdaContext(), "request-3", "list unreadable")
    telemetry.decided(
        Reason.ALLOWED,
        LambdaContext(),
        "request-2",
        issuer="https://issuer.example/",
        subject="s",
        client_id="c",
        route="GET /me",
    )
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def _alarm(name: str) -> dict[str, Any]:
    properties: dict[str, Any] = _translate()[name]["Properties"]
    return properties


def _dimensions(metric: dict[str, Any]) -> dict[str, Any]:
    return {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}


def _metric_stats(alarm: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["Id"]: m["MetricStat"] for m in alarm["Metrics"] if "MetricStat" in m}


def _returned_expression(alarm: dict[str, Any]) -> str:
    (returned,) = [m for m in alarm["Metrics"] if m["ReturnData"]]
    expression: str = returned["Expression"]
    return expression


@pytest.mark.parametrize(
    ("alarm_name", "reason"),
    [
        ("JwksUnavailableAlarm", Reason.JWKS_UNAVAILABLE),
        ("RevocationUnavailableAlarm", Reason.REVOCATION_UNAVAILABLE),
    ],
)
def test_the_fail_closed_alarms_watch_the_decision_metric_exactly_as_telemetry_emits_it(
    alarm_name: str, reason: Reason
) -> None:
    line = next(line for line in _emitted_lines(logging.INFO) if line.get("reason") == reason.value)
    (directive,) = line["_aws"]["CloudWatchMetrics"]
    (dimension_set,) = directive["Dimensions"]
    (metric,) = directive["Metrics"]
    alarm = _alarm(alarm_name)

    namespace = _evaluate(alarm["Namespace"], _parameter_values(_app_template()), {})
    assert (namespace, alarm["MetricName"]) == (directive["Namespace"], metric["Name"])
    assert (namespace, alarm["MetricName"]) == (DEFAULT_METRICS_NAMESPACE, DECISION_METRIC)
    # CloudWatch matches a metric on its whole dimension set: names and values both.
    assert _dimensions(alarm) == {name: line[name] for name in dimension_set}
    assert _dimensions(alarm) == {"service": "authorizer", "reason": reason.value}
    assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
        "Sum",
        "GreaterThanThreshold",
        0,
    )


@pytest.mark.parametrize("level", [logging.INFO, logging.ERROR])
def test_the_decision_line_filter_matches_every_decision_line_at_any_log_level(level: int) -> None:
    resources = _translate()
    metric_filter = resources["AuthorizerDecisionLines"]["Properties"]
    assert metric_filter["LogGroupName"] == {"Ref": "AuthorizerLogGroup"}
    assert metric_filter["FilterPattern"] == f"{{ $.{DECISION_METRIC} = 1 }}"
    lines = _emitted_lines(level)

    assert [line.get(DECISION_METRIC) for line in lines] == [1, 1, 1]


def test_the_authorizer_errors_alarm_counts_invocations_that_wrote_no_decision_line() -> None:
    resources = _translate()
    (transformation,) = resources["AuthorizerDecisionLines"]["Properties"]["MetricTransformations"]
    alarm = _alarm("AuthorizerErrorsAlarm")
    stats = _metric_stats(alarm)

    assert stats["invocations"]["Metric"] == {
        "Namespace": "AWS/Lambda",
        "MetricName": "Invocations",
        "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": "AuthorizerFunction"}}],
    }
    assert stats["decisions"]["Metric"] == {
        "Namespace": transformation["MetricNamespace"],
        "MetricName": transformation["MetricName"],
    }
    assert {stat["Stat"] for stat in stats.values()} == {"Sum"}
    assert len({stat["Period"] for stat in stats.values()}) == 1
    assert _returned_expression(alarm) == "FILL(invocations, 0) - FILL(decisions, 0)"
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)


def test_the_5xx_alarm_watches_the_share_of_5xx_answers_of_this_api_stage() -> None:
    resources = _translate()
    alarm = _alarm("Api5xxRateAlarm")
    stats = _metric_stats(alarm)
    stage = {"ApiName": {"Ref": "AWS::StackName"}, "Stage": {"Ref": "Apiv1Stage"}}

    assert resources["Api"]["Properties"]["Name"] == {"Ref": "AWS::StackName"}
    assert {k: (s["Metric"]["Namespace"], s["Metric"]["MetricName"]) for k, s in stats.items()} == {
        "errors": ("AWS/ApiGateway", "5XXError"),
        "requests": ("AWS/ApiGateway", "Count"),
    }
    assert all(_dimensions(s["Metric"]) == stage for s in stats.values())
    assert _returned_expression(alarm) == "IF(requests >= 20, errors / requests, 0)"
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0.01)


def test_the_throttles_alarm_watches_both_functions() -> None:
    stats = _metric_stats(_alarm("LambdaThrottlesAlarm"))

    assert {k: (s["Metric"]["MetricName"], _dimensions(s["Metric"])) for k, s in stats.items()} == {
        "authorizer": (
            "Throttles",
            {"FunctionName": {"Fn::GetAtt": ["AuthorizerApp", "Outputs.AuthorizerFunctionName"]}},
        ),
        "api": ("Throttles", {"FunctionName": {"Ref": "ApiFunction"}}),
    }
    assert _returned_expression(_alarm("LambdaThrottlesAlarm")) == "FILL(authorizer, 0) + FILL(api, 0)"


def test_the_duration_alarm_watches_the_authorizers_p99_against_its_parameter() -> None:
    alarm = _alarm("AuthorizerDurationAlarm")

    assert (alarm["Namespace"], alarm["MetricName"], alarm["ExtendedStatistic"]) == (
        "AWS/Lambda",
        "Duration",
        "p99",
    )
    assert _dimensions(alarm) == {"FunctionName": {"Ref": "AuthorizerFunction"}}
    assert alarm["Threshold"] == {"Ref": "P99DurationMs"}
    assert _app_parameters(AuthorizerP99DurationMs="250")["P99DurationMs"] == "250"


ALARMS = [
    "AuthorizerErrorsAlarm",
    "JwksUnavailableAlarm",
    "RevocationUnavailableAlarm",
    "Api5xxRateAlarm",
    "LambdaThrottlesAlarm",
    "AuthorizerDurationAlarm",
]
# The API's own alarms (template.yaml); the others are the authorizer application's.
API_ALARMS = ["Api5xxRateAlarm", "LambdaThrottlesAlarm"]


def test_every_alarm_notifies_the_given_topic_and_the_stack_made_email_topic() -> None:
    resources = _translate(AlarmEmail="ops@example.com")
    assert sorted(n for n, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm") == sorted(ALARMS)
    topic_arn = {"Fn::If": ["HasAlarmTopicArn", {"Ref": "AlarmTopicArn"}, {"Ref": "AWS::NoValue"}]}
    # One email topic, made by the authorizer application; the API's alarms notify it through its output.
    email = {
        "Fn::If": [
            "HasAlarmEmail",
            {"Fn::GetAtt": ["AuthorizerApp", "Outputs.AlarmEmailTopicArn"]},
            {"Ref": "AWS::NoValue"},
        ]
    }
    app_email = {"Fn::If": ["HasAlarmEmail", {"Ref": "AlarmTopic"}, {"Ref": "AWS::NoValue"}]}
    assert {
        name: _app_parameters(AlarmTopicArn="arn:t", AlarmEmail="a@b")[name]
        for name in ("AlarmTopicArn", "AlarmEmail")
    } == {
        "AlarmTopicArn": "arn:t",
        "AlarmEmail": "a@b",
    }
    for name in ALARMS:
        actions = [topic_arn, email if name in API_ALARMS else app_email]
        assert (
            resources[name]["Properties"]["AlarmActions"],
            resources[name]["Properties"]["OKActions"],
        ) == (
            actions,
            actions,
        )
        assert resources[name]["Properties"]["TreatMissingData"] == "notBreaching"
    topic = resources["AlarmTopic"]
    assert topic["Condition"] == "HasAlarmEmail"
    assert topic["Properties"]["Subscription"] == [{"Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}}]


def test_the_dashboard_is_valid_json_showing_decisions_by_reason_latency_and_the_alarms() -> None:
    body, variables = _translate()["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    dashboard = json.loads(re.sub(r"\$\{[^}]+\}", "x", body))
    titles = [widget["properties"]["title"] for widget in dashboard["widgets"]]
    assert titles == ["Authorizer decisions by reason", "Latency (ms)", "Requests and errors", "Alarms"]
    (search,) = dashboard["widgets"][0]["properties"]["metrics"][0]
    assert search["expression"] == (
        f'SEARCH(\'{{{DEFAULT_METRICS_NAMESPACE},reason,service}} MetricName="{DECISION_METRIC}" '
        "service=\"authorizer\"', 'Sum', 60)"
    )
    alarms = [name.removesuffix("Arn").removesuffix(".") for name in re.findall(r"\$\{(\w+\.?Arn)\}", body)]
    assert alarms == ALARMS
    assert variables == {
        "AuthorizerFunction": {"Fn::GetAtt": ["AuthorizerApp", "Outputs.AuthorizerFunctionName"]},
        **{
            f"{name}Arn": {"Fn::GetAtt": ["AuthorizerApp", f"Outputs.{name}Arn"]}
            for name in ALARMS
            if name not in API_ALARMS
        },
    }


# ---- checkov: a skip only where a check truly does not apply, with its reason, listed in the README

ACCEPTED_SKIPS = {
    "CKV_AWS_116": "DLQ on a synchronously invoked function",
    "CKV_AWS_117": "VPC placement",
    "CKV_AWS_120": "API caching of per-caller data",
    "CKV_AWS_158": "customer managed KMS key",
    "CKV_AWS_149": "customer managed KMS key",
    "CKV_AWS_119": "customer managed KMS key",
    "CKV_AWS_173": "customer managed KMS key",
    "CKV_AWS_26": "customer managed KMS key",
    "CKV_AWS_73": "stage tracing follows the Tracing parameter",
}


def _checkov_skips() -> dict[tuple[str, str], str]:
    return {
        (name, skip["id"]): skip["comment"]
        for template in (load_template(), _app_template(), load_template(EXAMPLE_TEMPLATE))
        for name, resource in template["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    }


def test_every_checkov_skip_is_an_accepted_one_with_a_reason() -> None:
    skips = _checkov_skips()
    assert {check for _, check in skips} <= set(ACCEPTED_SKIPS)
    assert all(len(comment) > 40 for comment in skips.values())


def test_the_deploying_page_lists_every_checkov_skip() -> None:
    page = (ROOT / "docs" / "deploying.md").read_text(encoding="utf-8")
    section = page[page.index("## Running it in production") :]
    listed = set(re.findall(r"^\| `(CKV_AWS_\d+)` \| ([^|]+) \|", section, flags=re.MULTILINE))
    expected: dict[str, set[str]] = {}
    for resource, check in _checkov_skips():
        expected.setdefault(check, set()).add(resource)
    assert {(check, ", ".join(sorted(resources))) for check, resources in expected.items()} == {
        (check, ", ".join(sorted(r.strip("` ") for r in cell.split(",")))) for check, cell in listed
    }


# --- one issuer or several: the authorizer's environment in both forms -------------------------------


NO_VALUE = {"Ref": "AWS::NoValue"}
_OPERATORS: dict[str, Any] = {
    "Fn::Equals": lambda operands: operands[0] == operands[1],
    "Fn::Not": lambda operands: not operands[0],
    "Fn::And": all,
    "Fn::Or": any,
}


def _evaluate(value: Any, parameters: dict[str, str], conditions: dict[str, Any]) -> Any:
    """CloudFormation's Ref / Fn::If / Fn::Equals / Fn::Not / Fn::And / Fn::Or / Condition, and
    AWS::NoValue dropping its key or list item, enough to read the authorizer's environment, role and
    authorizer, and the template's rules, for given parameter values."""
    if isinstance(value, list):
        evaluated = [_evaluate(item, parameters, conditions) for item in value]
        return [item for item in evaluated if item != NO_VALUE]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((name, argument),) = value.items()
        if name == "Ref":
            # A parameter's value; a resource's Ref (its physical name) and AWS::NoValue stay as written.
            return parameters.get(argument, value)
        if name == "Condition":
            return _evaluate(conditions[argument], parameters, conditions)
        if name == "Fn::Sub" and isinstance(argument, str):
            return re.sub(r"\$\{([^}]+)\}", lambda m: parameters.get(m.group(1), m.group(0)), argument)
        if name == "Fn::If":
            condition, when_true, when_false = argument
            chosen = when_true if _evaluate(conditions[condition], parameters, conditions) else when_false
            return _evaluate(chosen, parameters, conditions)
        if name in _OPERATORS:
            return _OPERATORS[name]([_evaluate(item, parameters, conditions) for item in argument])
    members = {key: _evaluate(item, parameters, conditions) for key, item in value.items()}
    return {key: item for key, item in members.items() if item != NO_VALUE}


def _authorizer_variables(**parameters: str) -> dict[str, Any]:
    """The authorizer's environment as CloudFormation sets it (a resource's Ref left as {"Ref": name}), for
    template.yaml's parameters: through the parameters it gives the nested authorizer application."""
    template = _app_template()
    values = _parameter_values(template, **_app_parameters(**parameters))
    variables = template["Resources"]["AuthorizerFunction"]["Properties"]["Environment"]["Variables"]
    return {name: _evaluate(value, values, template["Conditions"]) for name, value in variables.items()}


def _authorizer_environment(**parameters: str) -> tuple[dict[str, str], bool]:
    """The authorizer's environment and the OneIssuerForm rule's verdict, for parameter overrides."""
    template = load_template()
    values = {name: str(p.get("Default", "")) for name, p in template["Parameters"].items()} | parameters
    conditions = template["Conditions"]
    environment = {
        # A resource's Ref is its physical name; Lambda sets AWS_REGION.
        name: f"stack-{value['Ref']}-1A2B3C" if isinstance(value, dict) else str(value)
        for name, value in _authorizer_variables(**parameters).items()
    } | {"AWS_REGION": "us-east-1"}
    (assertion,) = template["Rules"]["OneIssuerForm"]["Assertions"]
    verdict = bool(_evaluate(assertion["Assert"], values, conditions))
    # The application refuses the same (a team nesting it gets the same rule).
    app = _app_template()
    (app_assertion,) = app["Rules"]["OneIssuerForm"]["Assertions"]
    app_values = _parameter_values(app, **_app_parameters(**parameters))
    assert bool(_evaluate(app_assertion["Assert"], app_values, app["Conditions"])) is verdict
    return environment, verdict


ISSUERS_JSON = json.dumps(
    [
        {
            "issuer": "https://tenant.auth0.com/",
            "audiences": ["https://items.example.com"],
            "profile": "auth0",
        },
        {
            "issuer": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_A",
            "audiences": ["c"],
            "profile": "cognito",
        },
    ]
)


def test_the_single_issuer_parameters_reach_the_authorizer_and_load() -> None:
    environment, allowed = _authorizer_environment(
        Issuer="https://tenant.auth0.com/", Audience="https://items.example.com", TokenProfile="auth0"
    )
    settings = load_settings(environment)
    assert allowed
    assert [(i.issuer, i.audiences, i.profile.name, i.algorithms) for i in settings.issuers] == [
        ("https://tenant.auth0.com/", ("https://items.example.com",), "auth0", ("RS256",))
    ]


def test_the_issuers_parameter_alone_reaches_the_authorizer_and_loads() -> None:
    environment, allowed = _authorizer_environment(Issuers=ISSUERS_JSON)
    settings = load_settings(environment)  # the defaults of the single form are not passed along
    assert allowed
    assert [(i.issuer, i.profile.name) for i in settings.issuers] == [
        ("https://tenant.auth0.com/", "auth0"),
        ("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_A", "cognito"),
    ]


@pytest.mark.parametrize(
    "parameters",
    [
        {},
        {"Issuer": "https://tenant.auth0.com/"},
        {"Audience": "https://items.example.com"},
        {
            "Issuer": "https://tenant.auth0.com/",
            "Audience": "https://items.example.com",
            "Issuers": ISSUERS_JSON,
        },
        {"Issuer": "https://tenant.auth0.com/", "Issuers": ISSUERS_JSON},
    ],
)
def test_the_stack_refuses_neither_or_both_issuer_forms(parameters: dict[str, str]) -> None:
    assert _authorizer_environment(**parameters)[1] is False


# --- DPoP: the parameters reach the authorizer under the contract's names, with its defaults -----------


def test_dpop_is_off_by_default_with_no_replay_table() -> None:
    environment, _ = _authorizer_environment(**REQUIRED_PARAMETERS)
    settings = load_settings(environment)
    assert {name: environment[name] for name in environment if name.startswith("DPOP")} == {
        "DPOP": "off",
        "DPOP_IAT_WINDOW_SECONDS": "60",
        "DPOP_ALGORITHMS": "ES256,RS256,PS256,EdDSA",
        "DPOP_REPLAY_TABLE": "",
    }
    assert environment["DYNAMODB_ENDPOINT_URL"] == ""
    assert [issuer.dpop for issuer in settings.issuers] == [DpopMode.OFF]
    assert settings.dpop.replay_table is None


def test_the_dpop_parameters_reach_the_authorizer_with_the_replay_table_and_load() -> None:
    variables = _authorizer_variables(
        **REQUIRED_PARAMETERS,
        AuthorizerType="REQUEST",
        DPoP="required",
        DPoPIatWindowSeconds="30",
        DPoPAlgorithms="ES256,EdDSA",
    )
    assert variables["DPOP_REPLAY_TABLE"] == {"Ref": "DPoPReplayTable"}
    # CloudFormation puts the table's name there (a Ref of a table is its name).
    settings = load_settings(
        {**variables, "DPOP_REPLAY_TABLE": "stack-DPoPReplayTable-1A2B3C", "REVOCATION_TABLE": ""}
    )
    assert [issuer.dpop for issuer in settings.issuers] == [DpopMode.REQUIRED]
    assert (settings.dpop.iat_window_seconds, settings.dpop.algorithms, settings.dpop.replay_table) == (
        30,
        ("ES256", "EdDSA"),
        "stack-DPoPReplayTable-1A2B3C",
    )


def test_the_dpop_parameters_match_the_authorizers_defaults_and_bounds() -> None:
    parameters = load_template()["Parameters"]
    assert parameters["DPoP"]["Default"] == DpopMode.OFF.value
    assert parameters["DPoP"]["AllowedValues"] == [mode.value for mode in DpopMode]
    window = parameters["DPoPIatWindowSeconds"]
    assert (window["Default"], window["MinValue"], window["MaxValue"]) == (
        DEFAULT_DPOP_IAT_WINDOW_SECONDS,
        1,
        MAX_DPOP_IAT_WINDOW_SECONDS,
    )
    assert parameters["DPoPAlgorithms"]["Default"] == ",".join(DEFAULT_DPOP_ALGORITHMS)
