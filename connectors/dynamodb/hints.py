"""What a failure to reach DynamoDB most likely means, and what to do next (no Beam here)."""

from __future__ import annotations

from botocore.exceptions import (
    ClientError, ConnectTimeoutError, EndpointConnectionError, NoCredentialsError, NoRegionError,
    PartialCredentialsError, ReadTimeoutError,
)

from connectors.dynamodb.config import DynamoDBConfig

_BY_CODE = {
    "UnrecognizedClientException": "the credentials were refused: check AWS_ACCESS_KEY_ID / AWS_PROFILE (on a "
                                   "local endpoint any key works only with -sharedDb, as `make local-up` starts it)",
    "InvalidSignatureException": "the secret key does not match the access key: check AWS_SECRET_ACCESS_KEY",
    "ExpiredTokenException": "the session token expired: renew the credentials (aws sso login, or the role)",
    "AccessDeniedException": "the credentials may not do this: give them the command's IAM policy "
                             "(deploy/iam/, README 'Least privilege')",
}


def explain(error: BaseException, config: DynamoDBConfig) -> str:
    """`error`'s own words, then the likely cause and the next step."""
    if isinstance(error, (EndpointConnectionError, ConnectTimeoutError)):
        where = config.endpoint_url or "AWS"
        step = (f"nothing answers at {where}: start DynamoDB Local (`make local-up` starts it on port 8000) or fix "
                "--endpoint-url / DYNAMODB_ENDPOINT_URL") if config.endpoint_url else \
            "AWS's DynamoDB endpoint cannot be reached: check the network, or set --endpoint-url for a local one"
    elif isinstance(error, ReadTimeoutError):
        step = "the endpoint accepted the connection but did not answer in time: is it overloaded, or not DynamoDB?"
    elif isinstance(error, (NoCredentialsError, PartialCredentialsError)):
        step = ("no AWS credentials were found: set AWS_PROFILE or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or run "
                "where a role gives them (--endpoint-url for a local endpoint needs none)")
    elif isinstance(error, NoRegionError):
        step = "no region: set AWS_DEFAULT_REGION or --aws-region"
    elif isinstance(error, ClientError):
        step = _BY_CODE.get(error.response.get("Error", {}).get("Code", ""))
    else:
        step = None
    return f"{error}" + (f". Likely: {step}" if step else "")
