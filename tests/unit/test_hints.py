"""Connection failures name their likely cause and the next step: a refused password is not a
stopped server, an endpoint that does not answer is not missing credentials."""

import pymysql
import pytest
import sqlalchemy as sa
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from connectors.dynamodb import hints as dynamodb_hints
from connectors.dynamodb.config import DynamoDBConfig
from connectors.mysql import hints as mysql_hints


def _wrapped(number: int, text: str) -> sa.exc.OperationalError:
    return sa.exc.OperationalError("SELECT 1", {}, pymysql.err.OperationalError(number, text))


@pytest.mark.parametrize("number, says, never", [
    (1045, "refused this user and password", "make local-up"),
    (2003, "make local-up", "password"),
    (1049, "database does not exist", "make local-up"),
])
def test_mysql_failures_name_their_cause(number, says, never):
    message = mysql_hints.explain(_wrapped(number, "the server's own words"))
    assert "the server's own words" in message and says in message and never not in message


def test_an_unknown_mysql_failure_keeps_its_own_words_only():
    assert mysql_hints.explain(_wrapped(1234, "odd")) == "(1234, 'odd')"


LOCAL = DynamoDBConfig(table="t", endpoint_url="http://127.0.0.1:8999")
AWS = DynamoDBConfig(table="t", region="eu-west-1")


@pytest.mark.parametrize("error, config, says", [
    (EndpointConnectionError(endpoint_url="http://127.0.0.1:8999"), LOCAL, "start DynamoDB Local"),
    (EndpointConnectionError(endpoint_url="https://dynamodb.eu-west-1.amazonaws.com"), AWS, "check the network"),
    (NoCredentialsError(), AWS, "AWS_PROFILE"),
    (ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "DescribeTable"), AWS, "deploy/iam/"),
])
def test_dynamodb_failures_name_their_cause(error, config, says):
    assert says in dynamodb_hints.explain(error, config)
