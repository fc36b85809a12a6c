"""The SnapStart parameter, through the real SAM transform: versions, the alias, and what the API invokes."""

from __future__ import annotations

from typing import Any

import pytest
from test_template import _translate


@pytest.fixture(autouse=True)
def _region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


def _of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {name: resource for name, resource in resources.items() if resource["Type"] == kind}


@pytest.mark.parametrize("value", ["None", "PublishedVersions"])
def test_snapstart_parameter_sets_apply_on_and_publishes_a_version_behind_the_alias(value: str) -> None:
    resources = _translate(SnapStart=value)
    function = resources["AuthorizerFunction"]["Properties"]
    assert function["SnapStart"] == {"ApplyOn": {"Ref": "SnapStart"}}
    versions = _of_type(resources, "AWS::Lambda::Version")
    assert [name for name in versions if name.startswith("AuthorizerFunctionVersion")] != []
    alias = resources["AuthorizerFunctionAliaslive"]["Properties"]
    assert alias["Name"] == "live"
    assert alias["FunctionVersion"]["Fn::GetAtt"][0].startswith("AuthorizerFunctionVersion")


def test_switching_snapstart_on_alone_publishes_a_new_version() -> None:
    # A version is immutable: only a new one gets a snapshot.
    def version_of(value: str) -> str:
        return next(
            name
            for name in _of_type(_translate(SnapStart=value), "AWS::Lambda::Version")
            if name.startswith("AuthorizerFunctionVersion")
        )

    assert version_of("None") != version_of("PublishedVersions")


def test_the_api_invokes_the_alias_with_snapstart_and_the_function_without() -> None:
    # The nested application's function by the name the stack gives it (tests/test_template.py: SAM CLI
    # follows an authorizer across stacks only by name); SAM resolves the region in the transform.
    function = "arn:aws:lambda:us-east-1:${AWS::AccountId}:function:${AWS::StackName}-authorizer"
    target = {"Fn::If": ["SnapStartOn", {"Fn::Sub": f"{function}:live"}, {"Fn::Sub": function}]}
    resources = _translate(SnapStart="PublishedVersions")
    body = resources["Api"]["Properties"]["Body"]
    uri = body["securityDefinitions"]["OAuthAuthorizer"]["x-amazon-apigateway-authorizer"]["authorizerUri"]
    assert uri["Fn::Sub"][1] == {"__FunctionArn__": target}
    permission = resources["ApiOAuthAuthorizerAuthorizerPermission"]["Properties"]
    assert permission["FunctionName"] == target
