#!/usr/bin/env bash
# One-command local rehearsal of the whole migration, as it will happen for real:
#   virtual environment + install, DynamoDB Local + the local MariaDB with its binary log on,
#   the `algoitny` sample database, init, dry run, the bulk load, a burst of application
#   activity while the table is live, a sync that carries it over, then verify (counts) and
#   verify --deep. Safe to run again.
#
# Environment (all optional):
#   SCALE=5                sample-data size (40 users, 15 problems, 400 usage logs ... per unit)
#   ACTIVITY=400           row changes the application makes after the load (0: none)
#   MYSQL_URL              source database (default: the project's MariaDB with the binlog on,
#                          mysql+pymysql://root@127.0.0.1:${LOCAL_BINLOG_MYSQL_PORT:-3307}/algoitny);
#                          seed refuses to touch AlgoItny tables it did not create itself. With a
#                          server whose binlog is off the activity and sync steps are skipped.
#   LOCAL_BINLOG_MYSQL_PORT  the binlog MariaDB's port (default 3307); "none": no such server,
#                          the source defaults to 127.0.0.1:3306 and sync is skipped
#   LOCAL_DYNAMODB_PORT    DynamoDB Local port (default 8000)
#   DYNAMODB_TABLE         table name (default algoitny_main)
#   BEAM_ARGS              extra Beam options, e.g. "--direct_num_workers=2 --direct_running_mode=multi_processing"
set -euo pipefail
cd "$(dirname "$0")"

SCALE="${SCALE:-5}"
ACTIVITY="${ACTIVITY:-400}"
LOCAL_DYNAMODB_PORT="${LOCAL_DYNAMODB_PORT:-8000}"
export LOCAL_DYNAMODB_PORT
if [ "${LOCAL_BINLOG_MYSQL_PORT:-}" = "none" ]; then
  export MYSQL_URL="${MYSQL_URL:-mysql+pymysql://root@127.0.0.1:3306/algoitny}"  # no binlog server: no sync step
else
  export MYSQL_URL="${MYSQL_URL:-mysql+pymysql://root@127.0.0.1:${LOCAL_BINLOG_MYSQL_PORT:-3307}/algoitny}"
fi
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

binlog_on=$(.venv/bin/python - <<'PY'
# Asked after seed, so the database exists; through the project's own config, so a password
# from MYSQL_PASSWORD / MYSQL_PASSWORD_FILE is used the same way the pipelines use it.
import sqlalchemy as sa
from connectors.mysql.config import MySQLConfig
engine = sa.create_engine(MySQLConfig.resolve().server_url(), poolclass=sa.pool.NullPool)
with engine.connect() as conn:
    print("yes" if conn.exec_driver_sql("SELECT @@log_bin").scalar() else "no")
PY
)

step "Table (recreated: a rehearsal starts from an empty table)"
$ETL init --recreate --yes

step "Dry run"
$ETL migrate --dry-run "${beam_args[@]}"

step "Migrate (the bulk load; it records where the binlog stood when it started)"
$ETL migrate "${beam_args[@]}"

if [ "$binlog_on" = "yes" ] && [ "$ACTIVITY" -gt 0 ]; then
  step "Application activity while the table is live ($ACTIVITY row changes)"
  $ETL seed --activity "$ACTIVITY"

  step "Sync (carries every insert, update and delete since the load began)"
  $ETL sync "${beam_args[@]}"
else
  step "Activity and sync skipped (the source's binary log is off, or ACTIVITY=0)"
fi

step "Verify (counts)"
set +e
$ETL verify "${beam_args[@]}"
verify_status=$?

step "Verify --deep (every item against its row)"
$ETL verify --deep "${beam_args[@]}"
deep_status=$?
set -e

step "Summary"
echo "source:  $(printf '%s' "$MYSQL_URL" | sed -E 's#(://[^:/@]+):[^@]*@#\1:***@#')"
echo "target:  table $DYNAMODB_TABLE at $DYNAMODB_ENDPOINT_URL"
echo "elapsed: $(( $(date +%s) - started )) s"
if [ "$verify_status" -eq 0 ] && [ "$deep_status" -eq 0 ]; then
  echo "result:  migration rehearsal passed: every entity's counts are equal and every item matches its row"
  exit 0
fi
echo "result:  verify found differences (counts exit $verify_status, deep exit $deep_status); see above" >&2
exit $(( verify_status > deep_status ? verify_status : deep_status ))
