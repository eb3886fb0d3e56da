"""boto3 clients for the configured endpoint. Called in DoFn.setup(), never at construction.

One boto3 session per process: a session loads botocore's service model and endpoint data
(about 0.1 s of CPU) once, and every client after the first is made from what it holds. A
session is not thread-safe, so clients are made under a lock (the clients themselves are).
"""

from __future__ import annotations

import os
import threading

import boto3
from botocore.config import Config

from connectors.dynamodb.config import DynamoDBConfig

# DynamoDB Local and LocalStack accept any credentials; AWS needs real ones.
LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}


def local_credentials(config: DynamoDBConfig) -> dict:
    if config.is_local and not (os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE")):
        # Explicit dummy credentials: no slow credential-chain probing for a local endpoint.
        return dict(LOCAL_CREDENTIALS)
    return {}


_SESSION_LOCK = threading.Lock()
_SESSION: list = []  # the process's session, made on first use


def _made_in_session(make):
    """make(session) under the lock, with the process's one session."""
    with _SESSION_LOCK:
        if not _SESSION:
            _SESSION.append(boto3.session.Session())
        return make(_SESSION[0])


def client(config: DynamoDBConfig, *, max_pool_connections: int = 10, max_attempts: int = 3,
           connect_timeout: float = 5, read_timeout: float = 30):
    return _made_in_session(lambda session: session.client(
        "dynamodb",
        region_name=config.region,
        endpoint_url=config.endpoint_url,
        config=Config(
            retries={"total_max_attempts": max_attempts, "mode": "standard"},
            max_pool_connections=max_pool_connections,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        ),
        **local_credentials(config),
    ))


def session_credentials():
    """The credentials boto3's chain finds (environment, profile, role), or None."""
    return _made_in_session(lambda session: session.get_credentials())


def table_resource(config: DynamoDBConfig):
    """A boto3 Table resource, as the application's repositories take it."""
    resource = _made_in_session(lambda session: session.resource(
        "dynamodb", region_name=config.region, endpoint_url=config.endpoint_url, **local_credentials(config)))
    return resource.Table(config.table)


def streams_client(config: DynamoDBConfig, *, max_attempts: int = 5):
    """DynamoDB Streams (reverse sync reads the table's changes from it)."""
    return _made_in_session(lambda session: session.client(
        "dynamodbstreams", region_name=config.region, endpoint_url=config.endpoint_url,
        config=Config(retries={"total_max_attempts": max_attempts, "mode": "standard"}, connect_timeout=5,
                      read_timeout=30),
        **local_credentials(config),
    ))
