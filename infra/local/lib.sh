# shellcheck shell=bash disable=SC2034  # variables are used by the scripts that source this file
# Shared settings and helpers for infra/local/up and infra/local/down. Sourced, not executed.

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KAFKA_INFRA_DIR="$INFRA_DIR/kafka"

# ---- configuration (env overridable) ---------------------------------------------------------
ZOCKET_LOCAL_DIR="${ZOCKET_LOCAL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/zocket-local}"
PG_PORT="${PG_PORT:-5432}"
REDIS_PORT="${REDIS_PORT:-6379}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
S3_PORT="${S3_PORT:-9000}"
READY_TIMEOUT="${READY_TIMEOUT:-90}"   # seconds each service may take to become ready

S3PROXY_VERSION="4.1.0"                # org.gaul:s3proxy, jar-with-dependencies classifier
S3_ACCESS_KEY_ID="zocket"
S3_SECRET_ACCESS_KEY="zocketsecret"
S3_REGION="us-east-1"
S3_BUCKET="zocket"

DB_USER="zocket"
DB_PASSWORD="zocket"
DB_NAME="zocket"

# ---- state layout (everything lives under ZOCKET_LOCAL_DIR) ----------------------------------
# Cached downloads (kept by `down --purge`):
M2_DIR="$ZOCKET_LOCAL_DIR/m2"                  # Maven local repository
KAFKA_LIBS="$ZOCKET_LOCAL_DIR/kafka-libs"      # broker + tools jars
S3PROXY_LIBS="$ZOCKET_LOCAL_DIR/s3proxy-libs"  # s3proxy jar-with-dependencies
CACHE_ENTRIES=(m2 kafka-libs s3proxy-libs)
# Runtime state (deleted by `down --purge`):
PG_DIR="$ZOCKET_LOCAL_DIR/postgres"
PG_DATA="$PG_DIR/data"
PG_RUN="$PG_DIR/run"                           # unix socket directory
PG_LOG="$PG_DIR/postgres.log"
REDIS_DIR="$ZOCKET_LOCAL_DIR/redis"
REDIS_PID="$REDIS_DIR/redis.pid"
REDIS_LOG="$REDIS_DIR/redis.log"
KAFKA_DIR="$ZOCKET_LOCAL_DIR/kafka"
KAFKA_DATA="$KAFKA_DIR/data"
KAFKA_LOGS="$KAFKA_DIR/logs"
KAFKA_PID="$KAFKA_DIR/kafka.pid"
KAFKA_OUT="$KAFKA_LOGS/kafka.out"
S3_DIR="$ZOCKET_LOCAL_DIR/s3"
S3_DATA="$S3_DIR/data"
S3_PID="$S3_DIR/s3proxy.pid"
S3_LOG="$S3_DIR/s3proxy.log"

# ---- helpers ---------------------------------------------------------------------------------
log() { printf '[zocket-local] %s\n' "$*" >&2; }
die() { printf '[zocket-local] ERROR: %s\n' "$*" >&2; exit 1; }

# Print the last lines of a log file to stderr (used when a service fails).
show_log_tail() {
  local f
  for f in "$@"; do
    if [ -f "$f" ]; then
      printf -- '----- last 40 lines of %s -----\n' "$f" >&2
      tail -n 40 "$f" >&2 || true
      printf -- '----- end of %s -----\n' "$f" >&2
    fi
  done
}

# Close every file descriptor above 2 in the current (sub)shell, so that a service started from it
# holds none of the caller's pipes (a leaked pipe makes `$(infra/local/up)` or a CI runner hang).
# Call it inside a subshell right before exec'ing the service. (bash marks its own fd 255 close-on-exec.)
close_extra_fds() {
  local fd
  for fd in "/proc/$BASHPID/fd/"*; do
    fd=${fd##*/}
    [ "$fd" -gt 2 ] 2>/dev/null || continue
    [ "$fd" -ne 255 ] || continue
    eval "exec $fd>&-" 2>/dev/null || true
  done
}

# Is something accepting TCP connections on 127.0.0.1:$1 ?
port_open() { (exec 9<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pid_alive PIDFILE PATTERN: the pid in PIDFILE is running and its command line contains PATTERN
# (guards against a stale pid file whose pid was reused by something else).
pid_alive() {
  local pidfile="$1" pattern="$2" pid
  [ -s "$pidfile" ] || return 1
  pid="$(cat "$pidfile" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$pattern"
}

pid_of() { cat "$1" 2>/dev/null || true; }

# stop_pidfile NAME PIDFILE PATTERN [TIMEOUT]: SIGTERM, wait, SIGKILL after TIMEOUT seconds.
stop_pidfile() {
  local name="$1" pidfile="$2" pattern="$3" timeout="${4:-60}" pid i
  if ! pid_alive "$pidfile" "$pattern"; then
    rm -f "$pidfile"
    log "$name: not running"
    return 0
  fi
  pid="$(pid_of "$pidfile")"
  log "$name: stopping (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < timeout * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name: still running after ${timeout}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
  log "$name: stopped"
}

# PostgreSQL server binaries (Debian layout: /usr/lib/postgresql/<major>/bin): the major version
# that created $PG_DATA if it is installed, else the newest installed server.
pg_bindir() {
  local d v best=""
  v="$(cat "$PG_DATA/PG_VERSION" 2>/dev/null || true)"
  if [ -n "$v" ] && [ -x "/usr/lib/postgresql/$v/bin/postgres" ] && [ -x "/usr/lib/postgresql/$v/bin/pg_ctl" ]; then
    printf '%s\n' "/usr/lib/postgresql/$v/bin"
    return 0
  fi
  for d in /usr/lib/postgresql/*/bin; do
    if [ ! -x "$d/initdb" ] || [ ! -x "$d/pg_ctl" ] || [ ! -x "$d/postgres" ]; then continue; fi
    best="$(printf '%s\n%s\n' "$best" "$d" | sed '/^$/d' | sort -V | tail -n 1)"
  done
  [ -n "$best" ] && printf '%s\n' "$best"
}

# Postgres refuses to run as root: when we are root, run its tools as the `postgres` OS user.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}
