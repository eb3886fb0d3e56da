#!/usr/bin/env bash
# One-command local rehearsal of the whole migration, as it will happen for real:
#   virtual environment + install, DynamoDB Local + the local MariaDB with its binary log on,
#   the `algoitny` sample database, init, dry run, the bulk load, a burst of application
#   activity while the table is live, a sync that carries it over, verify (counts) and verify
#   --deep; then past the cut-over: status, cutover, the application writing to the table
#   through repositories/, reverse sync, verify --deep (MySQL holds those writes), rollback,
#   and sync again. Stops at the first step that fails. Safe to run again.
#
# Environment (all optional):
#   SCALE=5                sample-data size (40 users, 15 problems, 400 usage logs ... per unit)
#   ACTIVITY=400           row changes the application makes after the load (0: none)
#   APP_ROUNDS=5           rounds of the application's writes to the table after the cut-over
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
APP_ROUNDS="${APP_ROUNDS:-5}"
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
$ETL verify "${beam_args[@]}"

step "Verify --deep (every item against its row; a clean run records what it proved)"
$ETL verify --deep "${beam_args[@]}"

if [ "$binlog_on" = "yes" ]; then
  step "Status"
  $ETL status --max-lag 3600

  step "Cut-over (the application has stopped writing to MySQL: quiet check, last sync, verify, stream on)"
  $ETL cutover --quiet-seconds 2 --report .local/rehearsal-cutover.json "${beam_args[@]}"
  freeze=$(.venv/bin/python -c "import json; print(json.load(open('.local/rehearsal-cutover.json'))['freeze_seconds'])")

  step "The application on the table: $APP_ROUNDS rounds of writes through repositories/"
  $ETL seed --app-activity "$APP_ROUNDS"

  step "Reverse sync (the table's stream -> MySQL; MySQL stays a complete way back)"
  $ETL reverse-sync

  step "Verify --deep (MySQL holds every write the application made to the table)"
  $ETL verify --deep "${beam_args[@]}"

  step "Rollback (the way back: last reverse window, verify, sync may run again)"
  $ETL rollback

  step "Sync after the rollback (the application writes to MySQL again)"
  $ETL seed --activity 20
  $ETL sync "${beam_args[@]}"
  $ETL verify --deep "${beam_args[@]}"
  $ETL status
fi

step "Summary"
echo "source:  $(printf '%s' "$MYSQL_URL" | sed -E 's#(://[^:/@]+):[^@]*@#\1:***@#')"
echo "target:  table $DYNAMODB_TABLE at $DYNAMODB_ENDPOINT_URL"
echo "elapsed: $(( $(date +%s) - started )) s"
if [ "$binlog_on" = "yes" ]; then
  echo "freeze:  the cut-over froze the application for ${freeze} s inside the command"
fi
echo "result:  migration rehearsal passed: every item matches its row, before and after the cut-over, and back"
