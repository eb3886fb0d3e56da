import pytest

from connectors.dynamodb.config import DynamoDBConfig
from connectors.errors import ConfigError
from connectors.mysql.config import MySQLConfig


def test_mysql_url_from_flag_env_or_default_and_never_shown_with_its_password():
    env = {"MYSQL_URL": "mysql+pymysql://etl:s3cret@db:3306/algoitny"}
    config = MySQLConfig.resolve(env=env)
    assert config.masked() == "mysql+pymysql://etl:***@db:3306/algoitny"
    assert "s3cret" not in repr(config)
    assert config.database == "algoitny"
    assert "algoitny" not in config.server_url() and "s3cret" in config.server_url()
    assert MySQLConfig.resolve(env={}).url == "mysql+pymysql://root@127.0.0.1:3306/algoitny"
    assert MySQLConfig.resolve("mysql+pymysql://u@h/x", env=env).database == "x"


def test_mysql_url_errors_are_clear():
    with pytest.raises(ConfigError, match="names no database"):
        MySQLConfig.resolve("mysql+pymysql://root@127.0.0.1:3306", env={})
    with pytest.raises(ConfigError, match="not a SQLAlchemy URL"):
        MySQLConfig.resolve("not a url", env={})


def test_dynamodb_endpoint_precedence():
    env = {"DYNAMODB_ENDPOINT_URL": "http://ddb:8000", "LOCALSTACK_URL": "http://ls:4566"}
    assert DynamoDBConfig.resolve(env=env).endpoint_url == "http://ddb:8000"
    assert DynamoDBConfig.resolve(env={"LOCALSTACK_URL": "http://ls:4566"}).endpoint_url == "http://ls:4566"
    assert DynamoDBConfig.resolve("http://flag:1", env=env).endpoint_url == "http://flag:1"
    local = DynamoDBConfig.resolve(env={"LOCALSTACK_URL": "http://ls:4566"})
    assert local.region == "us-east-1" and local.table == "algoitny_main"


def test_aws_needs_a_region():
    with pytest.raises(ConfigError, match="AWS_DEFAULT_REGION"):
        DynamoDBConfig.resolve(env={})
    aws = DynamoDBConfig.resolve(env={"AWS_DEFAULT_REGION": "ap-northeast-2", "DYNAMODB_TABLE": "tbl"})
    assert aws.endpoint_url is None and aws.region == "ap-northeast-2" and aws.table == "tbl"
    assert aws.describe() == "table tbl at AWS ap-northeast-2"


def test_endpoint_must_be_http():
    with pytest.raises(ConfigError, match="not an http"):
        DynamoDBConfig.resolve("localhost:8000", env={})


def test_table_names_are_checked_before_any_call():
    with pytest.raises(ConfigError, match="table name 't1' is not valid"):
        DynamoDBConfig.resolve("http://x:1", table="t1", env={})


def test_the_mysql_password_is_found_where_the_connection_is_made(tmp_path):
    config = MySQLConfig.resolve("mysql+pymysql://etl@db:3306/algoitny", env={})
    assert not config.has_password
    assert config.connect_url(env={}).password is None
    assert config.connect_url(env={"MYSQL_PASSWORD": "from-env"}).password == "from-env"
    secret = tmp_path / "password"
    secret.write_text("from-file\n")
    assert config.connect_url(env={"MYSQL_PASSWORD_FILE": str(secret)}).password == "from-file"
    assert config.connect_url(env={"MYSQL_PASSWORD": "from-env", "MYSQL_PASSWORD_FILE": str(secret)}).password \
        == "from-env"
    in_url = MySQLConfig.resolve("mysql+pymysql://etl:in-url@db:3306/algoitny", env={})
    assert in_url.has_password and in_url.connect_url(env={"MYSQL_PASSWORD": "from-env"}).password == "in-url"
    assert MySQLConfig.resolve(env={"MYSQL_PASSWORD_SECRET": "prod/mysql"}).password_secret == "prod/mysql"
