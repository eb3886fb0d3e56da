#!/usr/bin/env bash
# One-command local rehearsal of the whole migration:
#   virtual environment + install, DynamoDB Local + MySQL, the `algoitny` sample database,
#   init, dry run, migrate, verify, and a short summary. Safe to run again.
#
# Environment (all optional):
#   SCALE=5                sample-data size (40 users, 15 problems, 400 usage logs ... per unit)
#   MYSQL_URL              source database (default mysql+pymysql://root@127.0.0.1:3306/algoitny);
#                          seed refuses to touch AlgoItny tables it did not create itself
#   LOCAL_DYNAMODB_PORT    DynamoDB Local port (default 8000)
#   DYNAMODB_TABLE         table name (default algoitny_main)
#   BEAM_ARGS              extra Beam options, e.g. "--direct_num_workers=2 --direct_running_mode=multi_processing"
set -euo pipefail
cd "$(dirname "$0")"

SCALE="${SCALE:-5}"
LOCAL_DYNAMODB_PORT="${LOCAL_DYNAMODB_PORT:-8000}"
export LOCAL_DYNAMODB_PORT
export MYSQL_URL="${MYSQL_URL:-mysql+pymysql://root@127.0.0.1:3306/algoitny}"
# The rehearsal always targets the DynamoDB Local it starts, never AWS or a shared LocalStack.
export DYNAMODB_ENDPOINT_URL="http://127.0.0.1:${LOCAL_DYNAMODB_PORT}"
unset LOCALSTACK_URL
export DYNAMODB_TABLE="${DYNAMODB_TABLE:-algoitny_main}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
read -r -a beam_args <<<"${BEAM_ARGS:-}"

step() { printf '\n==> %s\n' "$*"; }
started=$(date +%s)

step "Python environment (.venv)"
make --no-print-directory venv

step "Local services"
scripts/local_services.sh up

ETL=.venv/bin/algoitny-etl

step "Sample data (scale $SCALE)"
$ETL seed --scale "$SCALE" --replace

step "Table (recreated: a rehearsal starts from an empty table)"
$ETL init --recreate --yes

step "Dry run"
$ETL migrate --dry-run "${beam_args[@]}"

step "Migrate"
$ETL migrate "${beam_args[@]}"

step "Verify"
set +e
$ETL verify "${beam_args[@]}"
verify_status=$?
set -e

step "Summary"
echo "source:  $(printf '%s' "$MYSQL_URL" | sed -E 's#(://[^:/@]+):[^@]*@#\1:***@#')"
echo "target:  table $DYNAMODB_TABLE at $DYNAMODB_ENDPOINT_URL"
echo "elapsed: $(( $(date +%s) - started )) s"
if [ "$verify_status" -eq 0 ]; then
  echo "result:  migration rehearsal passed: every entity's counts are equal"
else
  echo "result:  verify found differences (exit $verify_status); see the table above" >&2
fi
exit "$verify_status"
