# AlgoItny MySQL -> DynamoDB migration. `make dynamodb-help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
ETL := $(VENV)/bin/algoitny-etl
LOCAL_DYNAMODB_PORT ?= 8000
ENTITY ?= all
# Extra flags for algoitny-etl, e.g. ARGS="--batch-size 10 --direct_num_workers=2"
ARGS ?=
# Extra flags for pytest, e.g. PYTEST_ARGS="-k verify -x"
PYTEST_ARGS ?=

export LOCAL_DYNAMODB_PORT

.PHONY: help dynamodb-help venv test local-up local-down local-status dynamodb-init dynamodb-migrate \
        dynamodb-migrate-dry-run dynamodb-migrate-users dynamodb-migrate-problems dynamodb-migrate-history \
        dynamodb-verify dynamodb-sync docs bench clean

help: dynamodb-help

dynamodb-help:
	@echo "Set-up and tests"
	@echo "  ./run_local.sh               rehearse the whole migration locally (services, sample data, init, migrate, verify)"
	@echo "  make test                    run the test suite (starts DynamoDB Local, needs MySQL/MariaDB)"
	@echo "  make local-up | local-down   start / stop DynamoDB Local (port $(LOCAL_DYNAMODB_PORT)) and check MySQL"
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
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	@touch $@

local-up: venv
	scripts/local_services.sh up

local-down:
	scripts/local_services.sh down

local-status:
	scripts/local_services.sh status

test: venv local-up
	ALGOITNY_REQUIRE_SERVICES=1 TEST_DYNAMODB_ENDPOINT_URL=$${TEST_DYNAMODB_ENDPOINT_URL:-http://127.0.0.1:$(LOCAL_DYNAMODB_PORT)} \
	  $(PY) -m pytest $(PYTEST_ARGS)

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
