"""The revocation list in the templates: its table, the layers both functions use, their settings and grants.

template.yaml owns the list (its API function reads it too) and gives its name to the nested authorizer
application; the application, nested alone, makes a list of its own.
"""

from __future__ import annotations

from typing import Any

from devstack.template import AUTHORIZER_APP_PATH, load_template
from token_revocation.entries import KEY, Revocation

ENTRY_ATTRIBUTE = "expires_at"


def test_the_revocation_table_is_on_demand_encrypted_recoverable_and_expires_entries_by_ttl() -> None:
    table = load_template()["Resources"]["RevocationTable"]
    properties = table["Properties"]
    assert properties["KeySchema"] == [{"AttributeName": KEY, "KeyType": "HASH"}]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["SSESpecification"] == {"SSEEnabled": True}
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    # the TTL attribute is the one every written entry carries
    assert properties["TimeToLiveSpecification"] == {"AttributeName": ENTRY_ATTRIBUTE, "Enabled": True}
    assert ENTRY_ATTRIBUTE in Revocation._fields
    # replacing the table would make revoked tokens work again
    assert table["UpdateReplacePolicy"] == "Retain"


def test_both_functions_get_a_layer_of_the_same_code_and_the_same_revocation_settings() -> None:
    resources = load_template()["Resources"]
    app = load_template(AUTHORIZER_APP_PATH)["Resources"]
    settings = {
        "REVOCATION_REFRESH_SECONDS": {"Ref": "RevocationRefreshSeconds"},
        "MAX_TOKEN_LIFETIME_SECONDS": {"Ref": "MaxTokenLifetime"},
    }
    api, authorizer = resources["ApiFunction"]["Properties"], app["AuthorizerFunction"]["Properties"]
    assert api["Layers"] == [{"Ref": "RevocationLayer"}]
    assert authorizer["Layers"] == [{"Ref": "RevocationCheckLayer"}]
    assert _revocation_variables(api) == {"REVOCATION_TABLE": {"Ref": "RevocationTable"}} | settings
    assert (
        _revocation_variables(authorizer)
        == {
            "REVOCATION_TABLE": {
                "Fn::If": [
                    "CreatesRevocationTable",
                    {"Ref": "RevocationTable"},
                    {"Ref": "RevocationTableName"},
                ]
            }
        }
        | settings
    )
    # template.yaml hands the application its own list and settings: one list for both functions
    passed = resources["AuthorizerApp"]["Properties"]["Parameters"]
    assert {
        name: passed[name] for name in ("RevocationTableName", "RevocationRefreshSeconds", "MaxTokenLifetime")
    } == {
        "RevocationTableName": {"Ref": "RevocationTable"},
        "RevocationRefreshSeconds": {"Ref": "RevocationRefreshSeconds"},
        "MaxTokenLifetime": {"Ref": "MaxTokenLifetime"},
    }
    # the same code: the application's layer is the same folder, relative to its own template
    for layer, content_uri in (
        (resources["RevocationLayer"], "layers/revocation/"),
        (app["RevocationCheckLayer"], "../layers/revocation/"),
    ):
        assert (layer["Properties"]["ContentUri"], layer["Metadata"]["BuildMethod"]) == (
            content_uri,
            "python3.13",
        )


def test_the_application_nested_alone_makes_its_own_list_and_reads_only_the_list_it_is_given() -> None:
    app = load_template(AUTHORIZER_APP_PATH)
    assert app["Conditions"]["CreatesRevocationTable"] == {"Fn::Equals": [{"Ref": "RevocationTableName"}, ""]}
    for name in ("RevocationTable", "RevocationAdminPolicy"):
        assert app["Resources"][name]["Condition"] == "CreatesRevocationTable"
    read = app["Resources"]["AuthorizerFunction"]["Properties"]["Policies"][-1]["Statement"]
    assert read == [
        {
            "Sid": "RevocationTableRead",
            "Effect": "Allow",
            "Action": ["dynamodb:Scan"],
            "Resource": {
                "Fn::If": [
                    "CreatesRevocationTable",
                    {"Fn::GetAtt": ["RevocationTable", "Arn"]},
                    {
                        "Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}"
                        ":table/${RevocationTableName}"
                    },
                ]
            },
        }
    ]
    assert (
        app["Resources"]["RevocationTable"]["Properties"]
        == load_template()["Resources"]["RevocationTable"]["Properties"]
    )


def _revocation_variables(properties: dict[str, Any]) -> dict[str, Any]:
    variables = properties["Environment"]["Variables"]
    return {name: variables[name] for name in variables if "REVOCATION" in name or "LIFETIME" in name}


def test_the_revoke_path_may_write_one_kind_of_item_and_read_and_delete_for_list_and_remove() -> None:
    table = {"Fn::GetAtt": ["RevocationTable", "Arn"]}
    for template in (load_template(), load_template(AUTHORIZER_APP_PATH)):
        policy = template["Resources"]["RevocationAdminPolicy"]["Properties"]["PolicyDocument"]
        assert [(s["Sid"], s["Action"], s["Resource"]) for s in policy["Statement"]] == [
            ("Revoke", ["dynamodb:PutItem"], table),
            ("ListAndRemove", ["dynamodb:Scan", "dynamodb:DeleteItem"], table),
            ("FindTheTable", ["cloudformation:DescribeStacks"], {"Ref": "AWS::StackId"}),
        ]


def test_the_outputs_name_the_table_the_lifetime_and_the_admin_policy() -> None:
    outputs = load_template()["Outputs"]
    assert outputs["RevocationTableName"]["Value"] == {"Ref": "RevocationTable"}
    assert outputs["MaxTokenLifetime"]["Value"] == {"Ref": "MaxTokenLifetime"}
    assert outputs["RevocationAdminPolicyArn"]["Value"] == {"Ref": "RevocationAdminPolicy"}
