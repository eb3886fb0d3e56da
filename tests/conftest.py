"""Real services for integration tests: a MySQL server and DynamoDB Local (never mocks).

The suite has servers of its own, which `make test` starts (`scripts/local_services.sh up
tests`) and the rehearsal never uses: MySQL at TEST_MYSQL_URL (default the project's plain
MariaDB on 127.0.0.1:3316, root, no password; where it does not answer and Docker runs, a MySQL
8 testcontainer), a server with the binary log on for sync at TEST_BINLOG_MYSQL_URL (default
127.0.0.1:3317) and DynamoDB Local at TEST_DYNAMODB_ENDPOINT_URL (default
http://127.0.0.1:8100). Tests never touch AWS.

When a service is missing the tests that need it fail, saying which and how to start it: a
test that needs a real service never passes, nor skips, without it.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from connectors.dynamodb import clients
from connectors.dynamodb.config import DynamoDBConfig
from connectors.mysql.config import MySQLConfig
from tests.support.mariadb import MariaDBMissing, ThrowawayMariaDB

DEFAULT_TEST_MYSQL_URL = f"mysql+pymysql://root@127.0.0.1:{os.environ.get('TEST_MYSQL_PORT', '3316')}/"
DEFAULT_TEST_BINLOG_MYSQL_URL = f"mysql+pymysql://root@127.0.0.1:{os.environ.get('TEST_BINLOG_MYSQL_PORT', '3317')}/"
DEFAULT_TEST_DYNAMODB = f"http://127.0.0.1:{os.environ.get('TEST_DYNAMODB_PORT', '8100')}"
START_THEM = "`make test-services` starts the suite's own (or run `make test`)"


def pytest_collection_finish(session):
    """Under `-n N` (make test) each xdist_group's tests run on one worker, in order (pytest.ini:
    --dist loadgroup): the Flink tests share one cluster, and some modules build a fixture once and
    use it in order. pytest-xdist marks a grouped test by its id; where the installed pytest and
    pytest-xdist cannot (setup.py says which), stop instead of running the groups side by side."""
    if getattr(session.config.option, "loadgroup", False):  # set in an xdist worker under loadgroup
        lost = [item.nodeid for item in session.items
                if item.get_closest_marker("xdist_group") and "@" not in item.nodeid]
        if lost:
            raise pytest.UsageError(f"--dist loadgroup did not group {lost[0]} (and {len(lost) - 1} more): this "
                                    "pytest-xdist cannot group tests on this pytest; install the versions in "
                                    "constraints.txt (make venv)")


_STARTED = time.time()


def pytest_sessionfinish(session):
    """Beam makes a `beam-pipeline-temp*` folder in the system temp for every Pipeline object and
    removes it only when that pipeline runs to its end; the suite's failing and refused runs leave
    hundreds of empty ones. Once every xdist worker is done, the empty ones made since the suite
    began are removed (a folder with something in it is not this suite's to judge)."""
    if hasattr(session.config, "workerinput"):  # an xdist worker: the controller cleans up last
        return
    for path in glob.glob(os.path.join(tempfile.gettempdir(), "beam-pipeline-temp*")):
        try:
            if os.stat(path).st_mtime >= _STARTED:
                os.rmdir(path)  # only if empty
        except OSError:
            pass


def _unavailable(message: str):
    pytest.fail(f"required service missing: {message}", pytrace=False)


def _server_answers(url: str) -> str | None:
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3}, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return None
    except sa.exc.OperationalError as error:
        return str(error.orig)
    finally:
        engine.dispose()


def _docker_runs() -> bool:
    if not shutil.which("docker"):
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0


@pytest.fixture(scope="session")
def mysql_server_url():
    """A SQLAlchemy URL of a MySQL server (no database selected)."""
    url = os.environ.get("TEST_MYSQL_URL", DEFAULT_TEST_MYSQL_URL)
    parsed = make_url(url)
    server = URL.create(parsed.drivername, parsed.username, parsed.password, parsed.host, parsed.port, None,
                        parsed.query).render_as_string(hide_password=False)
    problem = _server_answers(server)
    if problem is None:
        yield server
        return
    if _docker_runs():
        from testcontainers.mysql import MySqlContainer

        with MySqlContainer("mysql:8.0", username="root", password="test", dbname="test") as container:
            url = make_url(container.get_connection_url()).set(drivername="mysql+pymysql", database=None)
            yield URL.create("mysql+pymysql", url.username, url.password, url.host, url.port).render_as_string(
                hide_password=False)
        return
    _unavailable(f"no MySQL server at {make_url(server).render_as_string(hide_password=True)} ({problem}) "
                 f"and no Docker for a MySQL container; {START_THEM}, or set TEST_MYSQL_URL")


def _database_factory(server_url: str, default_prefix: str):
    """Yields a factory of fresh, empty databases on `server_url`; drops them all at the end."""
    created = []
    admin = sa.create_engine(server_url, poolclass=sa.pool.NullPool)

    def make(prefix: str = default_prefix) -> MySQLConfig:
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        created.append(name)
        return MySQLConfig(make_url(server_url).set(database=name).render_as_string(hide_password=False))

    yield make
    with admin.begin() as conn:
        for name in created:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
    admin.dispose()


@pytest.fixture(scope="session")
def new_database(mysql_server_url):
    """Factory: a fresh, empty database on the test server; all are dropped at the end."""
    yield from _database_factory(mysql_server_url, "algoitny_it")


def _seeded_copies(new_database_factory):
    """Factory of databases holding the sample data at `scale`: each scale is seeded once (per
    session, per xdist worker) into a template database that no test touches, and every call gets
    a copy of it (tests/integration/helpers.py: copy_database)."""
    from tests.integration.helpers import copy_database, seeded

    templates: dict[int, MySQLConfig] = {}

    def make(scale: int = 1, prefix: str | None = None) -> MySQLConfig:
        if scale not in templates:
            templates[scale] = seeded(new_database_factory(f"algoitny_tpl{scale}"), scale)
        copy = new_database_factory(prefix) if prefix else new_database_factory()
        return copy_database(templates[scale], copy)

    return make


@pytest.fixture(scope="session")
def seeded_database(new_database):
    """Factory: a database on the test server with the sample data at `scale` (default 1), a copy
    of one seeded once per scale; the copies are dropped at the end with the rest."""
    return _seeded_copies(new_database)


@pytest.fixture(scope="session")
def binlog_server_url():
    """A MySQL/MariaDB server with the binary log on, for sync (no database selected).

    TEST_BINLOG_MYSQL_URL, by default the suite's MariaDB on 127.0.0.1:3317 (the plain one on
    3316 has its binlog off)."""
    url = os.environ.get("TEST_BINLOG_MYSQL_URL", DEFAULT_TEST_BINLOG_MYSQL_URL)
    problem = _server_answers(url)
    if problem is not None:
        _unavailable(f"no MySQL server with the binlog on at {make_url(url).render_as_string(hide_password=True)} "
                     f"({problem}); {START_THEM}, or set TEST_BINLOG_MYSQL_URL")
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        log_bin = conn.exec_driver_sql("SELECT @@log_bin").scalar()
    engine.dispose()
    if not log_bin:
        _unavailable(f"the server at {make_url(url).render_as_string(hide_password=True)} has its binlog off")
    return url


@pytest.fixture(scope="session")
def new_binlog_database(binlog_server_url):
    """Factory: a fresh, empty database on the binlog server; all are dropped at the end."""
    yield from _database_factory(binlog_server_url, "algoitny_sync")


@pytest.fixture(scope="session")
def seeded_binlog_database(new_binlog_database):
    """seeded_database's twin on the binlog server."""
    return _seeded_copies(new_binlog_database)


@pytest.fixture
def new_own_binlog_database():
    """Factory: fresh databases on a MariaDB with the binlog on that is this test's alone
    (tests/support/mariadb.py), for a test that purges binary logs: on the suite's binlog
    server that would cut the window of every sync running beside it."""
    try:
        server = ThrowawayMariaDB().__enter__()
    except MariaDBMissing as error:
        _unavailable(str(error))
    try:
        yield from _database_factory(server.url, "algoitny_own")
    finally:
        server.__exit__()


@pytest.fixture(scope="session")
def dynamodb_endpoint():
    endpoint = os.environ.get("TEST_DYNAMODB_ENDPOINT_URL", DEFAULT_TEST_DYNAMODB)
    config = DynamoDBConfig(table="probe", endpoint_url=endpoint)
    try:
        clients.client(config, max_attempts=1, connect_timeout=2, read_timeout=5).list_tables(Limit=1)
    except Exception as error:  # noqa: BLE001 - any failure means the endpoint is unusable for tests
        _unavailable(f"DynamoDB Local does not answer at {endpoint} ({error}); {START_THEM}")
    return endpoint


@pytest.fixture(scope="session")
def new_table_config(dynamodb_endpoint):
    """Factory: a DynamoDBConfig naming a fresh table (not created); all are deleted at the end."""
    names = []

    def make(prefix: str = "it") -> DynamoDBConfig:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        names.append(name)
        return DynamoDBConfig(table=name, endpoint_url=dynamodb_endpoint)

    yield make
    client = clients.client(DynamoDBConfig(endpoint_url=dynamodb_endpoint))
    for name in names:
        try:
            client.delete_table(TableName=name)
        except client.exceptions.ResourceNotFoundException:
            pass
