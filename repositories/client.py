"""The table the repositories use, from the same configuration as the CLI."""

from __future__ import annotations

from connectors.dynamodb import clients
from connectors.dynamodb.config import DynamoDBConfig


def table(endpoint_url: str | None = None, table_name: str | None = None, region: str | None = None):
    """A boto3 Table resource: DYNAMODB_ENDPOINT_URL / LOCALSTACK_URL / AWS, DYNAMODB_TABLE,
    AWS_DEFAULT_REGION, exactly as `algoitny-etl` resolves them."""
    return clients.table_resource(DynamoDBConfig.resolve(endpoint_url, table_name, region))
