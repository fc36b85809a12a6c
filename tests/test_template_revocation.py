"""The revocation list in the template: its table, the layer both functions use, their settings and grants."""

from __future__ import annotations

from devstack.template import load_template
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


def test_both_functions_get_the_layer_and_the_same_revocation_settings() -> None:
    resources = load_template()["Resources"]
    for function in ("AuthorizerFunction", "ApiFunction"):
        properties = resources[function]["Properties"]
        assert properties["Layers"] == [{"Ref": "RevocationLayer"}]
        variables = properties["Environment"]["Variables"]
        assert {
            name: variables[name] for name in variables if "REVOCATION" in name or "LIFETIME" in name
        } == {
            "REVOCATION_TABLE": {"Ref": "RevocationTable"},
            "REVOCATION_REFRESH_SECONDS": {"Ref": "RevocationRefreshSeconds"},
            "MAX_TOKEN_LIFETIME_SECONDS": {"Ref": "MaxTokenLifetime"},
        }
    layer = resources["RevocationLayer"]
    assert (layer["Properties"]["ContentUri"], layer["Metadata"]["BuildMethod"]) == (
        "layers/revocation/",
        "python3.13",
    )


def test_the_revoke_path_may_write_one_kind_of_item_and_read_and_delete_for_list_and_remove() -> None:
    statements = load_template()["Resources"]["RevocationAdminPolicy"]["Properties"]["PolicyDocument"][
        "Statement"
    ]
    table = {"Fn::GetAtt": ["RevocationTable", "Arn"]}
    assert [(s["Sid"], s["Action"], s["Resource"]) for s in statements] == [
        ("Revoke", ["dynamodb:PutItem"], table),
        ("ListAndRemove", ["dynamodb:Scan", "dynamodb:DeleteItem"], table),
        ("FindTheTable", ["cloudformation:DescribeStacks"], {"Ref": "AWS::StackId"}),
    ]


def test_the_outputs_name_the_table_the_lifetime_and_the_admin_policy() -> None:
    outputs = load_template()["Outputs"]
    assert outputs["RevocationTableName"]["Value"] == {"Ref": "RevocationTable"}
    assert outputs["MaxTokenLifetime"]["Value"] == {"Ref": "MaxTokenLifetime"}
    assert outputs["RevocationAdminPolicyArn"]["Value"] == {"Ref": "RevocationAdminPolicy"}
