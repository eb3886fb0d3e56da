import copy

from schema.table import TableSpec

SPEC = TableSpec(name="t")


def described(spec=SPEC):
    """A DescribeTable `Table` for a table created from the spec (as DynamoDB answers it)."""
    request = spec.create_table_request()
    return {
        "TableName": spec.name, "TableStatus": "ACTIVE",
        "AttributeDefinitions": request["AttributeDefinitions"],
        "KeySchema": list(reversed(request["KeySchema"])),  # order must not matter
        "GlobalSecondaryIndexes": [dict(i, IndexStatus="ACTIVE") for i in request["GlobalSecondaryIndexes"]],
    }


def test_create_request_matches_the_design():
    request = SPEC.create_table_request()
    assert request["BillingMode"] == "PAY_PER_REQUEST"
    assert request["KeySchema"] == [{"AttributeName": "PK", "KeyType": "HASH"},
                                    {"AttributeName": "SK", "KeyType": "RANGE"}]
    indexes = {i["IndexName"]: i for i in request["GlobalSecondaryIndexes"]}
    assert indexes["GSI1"]["Projection"] == {"ProjectionType": "ALL"}
    assert indexes["GSI2"]["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert [k["AttributeName"] for k in indexes["GSI2"]["KeySchema"]] == ["GSI2PK", "GSI2SK"]
    assert {d["AttributeType"] for d in request["AttributeDefinitions"]} == {"S"}
    assert request["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert "StreamSpecification" not in SPEC.create_table_request(with_stream=False)


def test_same_schema_has_no_differences():
    assert SPEC.differences(described()) == []


def test_differences_say_exactly_what_differs():
    table = copy.deepcopy(described())
    table["GlobalSecondaryIndexes"][1]["Projection"] = {"ProjectionType": "ALL"}
    table["GlobalSecondaryIndexes"][0]["KeySchema"][1]["AttributeName"] = "GSI1X"
    table["GlobalSecondaryIndexes"].append({"IndexName": "GSI3", "KeySchema": [], "Projection": {}})
    table["KeySchema"] = [{"AttributeName": "id", "KeyType": "HASH"}]
    assert SPEC.differences(table) == [
        "table keys are id (HASH), expected PK (HASH), SK (RANGE)",
        "GSI1 keys are GSI1PK (HASH), GSI1X (RANGE), expected GSI1PK (HASH), GSI1SK (RANGE)",
        "GSI2 projection is ALL, expected KEYS_ONLY",
        "unexpected global secondary index GSI3",
    ]


def test_missing_index_and_ttl_on_another_attribute():
    table = described()
    table["GlobalSecondaryIndexes"] = table["GlobalSecondaryIndexes"][:1]
    assert SPEC.differences(table) == ["global secondary index GSI2 is missing"]
    assert SPEC.ttl_difference({"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}) == (
        "TTL is on attribute 'expires', expected 'ttl'")
    assert SPEC.ttl_difference({"TimeToLiveStatus": "ENABLED", "AttributeName": "ttl"}) is None
    assert SPEC.ttl_needs_enabling({"TimeToLiveStatus": "DISABLED"})


def test_billing_mode_is_a_warning_and_may_be_absent():
    table = described()
    assert SPEC.warnings(table) == []  # DynamoDB Local never returns BillingModeSummary
    table["BillingModeSummary"] = {"BillingMode": "PROVISIONED"}
    assert SPEC.warnings(table) == ["billing mode is PROVISIONED, the design uses PAY_PER_REQUEST"]
