# AlgoItny MySQL -> DynamoDB migration. `make dynamodb-help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
ETL := $(VENV)/bin/algoitny-etl
LOCAL_DYNAMODB_PORT ?= 8000
# The test suite's own services (scripts/local_services.sh up tests), never the rehearsal's
TEST_DYNAMODB_PORT ?= 8100
TEST_MYSQL_PORT ?= 3316
TEST_BINLOG_MYSQL_PORT ?= 3317
ENTITY ?= all
# Extra flags for algoitny-etl, e.g. ARGS="--batch-size 10 --direct_num_workers=2"
ARGS ?=
# Extra flags for pytest, e.g. PYTEST_ARGS="-k verify -x"
PYTEST_ARGS ?=
# pytest-xdist workers for make test / test-fast: most tests wait (rate limits, backoff, Beam
# start-up, DynamoDB Local), so three share the 2 cores well; TEST_WORKERS=0 runs in one process
TEST_WORKERS ?= 3
# make test-fast: the edit loop's subset (README, "Tests")
FAST_TESTS ?= tests/unit tests/transforms tests/integration/test_wording.py
TEST_ENV = TEST_DYNAMODB_ENDPOINT_URL=$${TEST_DYNAMODB_ENDPOINT_URL:-http://127.0.0.1:$(TEST_DYNAMODB_PORT)} \
	TEST_MYSQL_URL=$${TEST_MYSQL_URL:-mysql+pymysql://root@127.0.0.1:$(TEST_MYSQL_PORT)/} \
	TEST_BINLOG_MYSQL_URL=$${TEST_BINLOG_MYSQL_URL:-mysql+pymysql://root@127.0.0.1:$(TEST_BINLOG_MYSQL_PORT)/}

export LOCAL_DYNAMODB_PORT TEST_DYNAMODB_PORT TEST_MYSQL_PORT TEST_BINLOG_MYSQL_PORT

.PHONY: help dynamodb-help venv test test-fast test-services flink-up flink-down prism-up prism-down spark-up spark-down local-up local-down local-status dynamodb-init dynamodb-migrate \
        dynamodb-migrate-dry-run dynamodb-migrate-users dynamodb-migrate-problems dynamodb-migrate-history \
        dynamodb-verify dynamodb-sync docs bench clean

help: dynamodb-help

dynamodb-help:
	@echo "Set-up and tests"
	@echo "  ./run_local.sh               rehearse the whole migration locally (services, sample data, init, migrate, verify)"
	@echo "  make test                    run the test suite on services of its own (DynamoDB Local $(TEST_DYNAMODB_PORT), MariaDB $(TEST_MYSQL_PORT) and $(TEST_BINLOG_MYSQL_PORT), Flink, Spark)"
	@echo "  make test-fast               the edit loop's subset: unit, transforms, each command once (no Flink; about a minute)"
	@echo "  make local-up                start the rehearsal's services: DynamoDB Local ($(LOCAL_DYNAMODB_PORT)), MariaDB with binlog (3307)"
	@echo "  make local-down              stop every service the project started (rehearsal's and tests')"
	@echo "  make local-status            say which of them answer"
	@echo "  make flink-up | flink-down   a Flink 1.19 session cluster (JobManager + 2 TaskManagers) and Beam's job server"
	@echo "  make prism-up | prism-down   Beam's Prism runner, built from the Go module proxy (refused by the tool: README)"
	@echo "  make spark-up | spark-down   a Spark 3.5 standalone cluster (master + 1 worker) and Beam's job server"
	@echo "  make docs                    regenerate docs/data-model.md from the specs"
	@echo "Migration (configure with MYSQL_URL, DYNAMODB_ENDPOINT_URL or LOCALSTACK_URL, DYNAMODB_TABLE, AWS_DEFAULT_REGION)"
	@echo "  make dynamodb-init               create the table (idempotent)"
	@echo "  make dynamodb-migrate-dry-run    read, map, validate everything; write nothing"
	@echo "  make dynamodb-migrate            migrate ENTITY (default all)"
	@echo "  make dynamodb-migrate-users      users (+ Google-id look-ups)"
	@echo "  make dynamodb-migrate-problems   problems and their test cases"
	@echo "  make dynamodb-migrate-history    search history"
	@echo "  make dynamodb-verify             compare counts per entity on both sides"
	@echo "  make dynamodb-sync               carry MySQL's changes since the last run (binary log) to the table"
	@echo "  ENTITY=usage,jobs ARGS='--batch-size 10' make dynamodb-migrate   (entities: all plans users problems history usage jobs tasks)"

venv: $(VENV)/.installed

$(VENV)/.installed: setup.py constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { echo "'$(PYTHON) -m venv' failed: install Python 3.10+ with venv (Debian/Ubuntu: apt-get install -y python3-venv), or set PYTHON=" >&2; rm -rf $(VENV); exit 1; }
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	@touch $@

local-up: venv
	scripts/local_services.sh up rehearsal

test-services: venv
	scripts/local_services.sh up tests
	python3 scripts/engines.py up flink
	python3 scripts/engines.py up spark

flink-up:
	python3 scripts/engines.py up flink

flink-down:
	python3 scripts/engines.py down flink

prism-up:
	python3 scripts/engines.py up prism

prism-down:
	python3 scripts/engines.py down prism

spark-up:
	python3 scripts/engines.py up spark

spark-down:
	python3 scripts/engines.py down spark

local-down:
	scripts/local_services.sh down
	python3 scripts/engines.py down flink
	python3 scripts/engines.py down prism
	python3 scripts/engines.py down spark

local-status:
	scripts/local_services.sh status all
	-python3 scripts/engines.py status flink
	-python3 scripts/engines.py status prism
	-python3 scripts/engines.py status spark

test: venv test-services
	$(TEST_ENV) $(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

test-fast: venv
	scripts/local_services.sh up tests
	$(TEST_ENV) $(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS) $(FAST_TESTS)

dynamodb-init: venv
	$(ETL) init $(ARGS)

dynamodb-migrate: venv
	$(ETL) migrate --entity $(ENTITY) $(ARGS)

dynamodb-migrate-dry-run: venv
	$(ETL) migrate --dry-run --entity $(ENTITY) $(ARGS)

dynamodb-migrate-users: venv
	$(ETL) migrate --entity users $(ARGS)

dynamodb-migrate-problems: venv
	$(ETL) migrate --entity problems $(ARGS)

dynamodb-migrate-history: venv
	$(ETL) migrate --entity history $(ARGS)

dynamodb-verify: venv
	$(ETL) verify --entity $(ENTITY) $(ARGS)

dynamodb-sync: venv
	$(ETL) sync --entity $(ENTITY) $(ARGS)

docs: venv
	$(ETL) describe --output docs/data-model.md

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis *.egg-info dead-letters
