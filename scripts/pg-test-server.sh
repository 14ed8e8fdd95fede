#!/usr/bin/env bash
# A throwaway PostgreSQL server for riskseg's integration tests (tests marked `postgres`).
#
#   scripts/pg-test-server.sh [start]   install if needed, init, start; last stdout line is the URL
#   scripts/pg-test-server.sh url       print the URL of the running server (fails if not running)
#   scripts/pg-test-server.sh stop      stop the server (the data directory is kept)
#   scripts/pg-test-server.sh destroy   stop it and delete its directory
#
#   export RISKSEG_TEST_PG_URL=$(scripts/pg-test-server.sh | tail -n 1)
#
# Idempotent: a second `start` reuses the data directory and, if the server is up, only
# prints the URL. It never touches the distro's own clusters: it runs its own data
# directory with pg_ctl from /usr/lib/postgresql/<version>/bin, listening on 127.0.0.1 only.
#
# Settings (environment):
#   RISKSEG_PG_DIR   where the server lives (default /tmp/riskseg-pg; must be reachable by the
#                    `postgres` user when run as root)
#   RISKSEG_PG_PORT  TCP port (default 54329; if the default is taken by something else, the
#                    next free port is used; an explicitly set port that is taken is an error)
#
# Everything but the URL goes to stderr, so `| tail -n 1` or `$(...)` gets just the URL.
# The password is random, made once per data directory: this server holds test data only.
set -euo pipefail

PG_DIR=${RISKSEG_PG_DIR:-/tmp/riskseg-pg}
DATA=$PG_DIR/data
LOG=$PG_DIR/server.log
DB_USER=riskseg
DB_NAME=riskseg_test
DEFAULT_PORT=54329

say() { echo "pg-test-server: $*" >&2; }
die() {
    say "ERROR: $*"
    exit 1
}

# --- who runs the server -------------------------------------------------------------------
# initdb and postgres refuse to run as root, so as root they run as the `postgres` user
# (created by Debian's package); as anyone else, as that user.
if [ "$(id -u)" -eq 0 ]; then
    RUN_AS=postgres
else
    RUN_AS=$(id -un)
fi

own() {
    # Hand files to the server's owner (only needed, and only possible, as root).
    if [ "$(id -u)" -eq 0 ]; then chown "$RUN_AS:" "$@"; fi
}

as_owner() {
    # Run a command as the server's owner, from a directory that owner can read.
    if [ "$(id -u)" -eq 0 ]; then
        (cd / && runuser -u "$RUN_AS" -- "$@")
    else
        (cd / && "$@")
    fi
}

# --- binaries ---------------------------------------------------------------------------------
newest_bin_dir() {
    local postgres
    postgres=$(ls -1 /usr/lib/postgresql/*/bin/postgres 2>/dev/null | sort -V | tail -n 1 || true)
    [ -n "$postgres" ] && dirname "$postgres"
}

install_postgres() {
    say "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin: installing Debian's postgresql"
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || die "not root and no sudo: install Debian's 'postgresql' package first"
        sudo=(sudo)
    fi
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install a PostgreSQL server (>= 13) by hand"
    local apt_log
    apt_log=$(mktemp)
    if ! { "${sudo[@]}" apt-get update -qq &&
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends postgresql; } >"$apt_log" 2>&1; then
        tail -n 40 "$apt_log" >&2
        rm -f "$apt_log"
        die "apt-get could not install postgresql (output above)"
    fi
    rm -f "$apt_log"
    say "installed: $(ls -1d /usr/lib/postgresql/*/bin/postgres | tr '\n' ' ')"
}

bin_dir_for_data() {
    # A data directory must be run by the major version that made it.
    if [ -f "$DATA/PG_VERSION" ]; then
        local version dir
        version=$(cat "$DATA/PG_VERSION")
        dir=/usr/lib/postgresql/$version/bin
        [ -x "$dir/postgres" ] ||
            die "$DATA was made by PostgreSQL $version, whose binaries are gone; run '$0 destroy' first"
        echo "$dir"
    else
        newest_bin_dir
    fi
}

# --- state ------------------------------------------------------------------------------------
is_running() {
    [ -f "$DATA/postmaster.pid" ] && as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

port_in_use() {
    # Something accepts TCP connections on 127.0.0.1:$1 (bash's /dev/tcp; no ss/netstat needed).
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

running_port() {
    # Line 4 of postmaster.pid is the port the server really listens on.
    sed -n 4p "$DATA/postmaster.pid"
}

url() {
    echo "postgresql://$DB_USER:$(cat "$PG_DIR/password")@127.0.0.1:$(running_port)/$DB_NAME"
}

choose_port() {
    if [ -n "${RISKSEG_PG_PORT:-}" ]; then
        port_in_use "$RISKSEG_PG_PORT" &&
            die "port $RISKSEG_PG_PORT (RISKSEG_PG_PORT) is already in use on 127.0.0.1"
        echo "$RISKSEG_PG_PORT"
        return
    fi
    local port
    for port in $(seq "$DEFAULT_PORT" $((DEFAULT_PORT + 100))); do
        if ! port_in_use "$port"; then
            echo "$port"
            return
        fi
    done
    die "no free port in $DEFAULT_PORT-$((DEFAULT_PORT + 100)) on 127.0.0.1; set RISKSEG_PG_PORT"
}

init_cluster() {
    say "initialising $DATA"
    mkdir -p "$PG_DIR"
    if [ "$(id -u)" -eq 0 ]; then
        id -u "$RUN_AS" >/dev/null 2>&1 || die "no '$RUN_AS' user to run the server as"
        chown -R "$RUN_AS:" "$PG_DIR"
        as_owner test -w "$PG_DIR" ||
            die "user '$RUN_AS' cannot write $PG_DIR (is a parent directory private?); set RISKSEG_PG_DIR"
    fi
    chmod 700 "$PG_DIR"
    if [ ! -s "$PG_DIR/password" ]; then
        # hex only, so the URL needs no escaping
        od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$PG_DIR/password"
        chmod 600 "$PG_DIR/password"
        own "$PG_DIR/password"
    fi
    local pwfile=$PG_DIR/initdb.pw
    (umask 077 && cat "$PG_DIR/password" >"$pwfile")
    own "$pwfile"
    # The superuser is the OS user (peer auth on the private socket); TCP needs a password.
    if ! as_owner "$BIN/initdb" -D "$DATA" -U "$RUN_AS" --auth-local=peer \
        --auth-host=scram-sha-256 --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
        >"$PG_DIR/initdb.log" 2>&1; then
        rm -f "$pwfile"
        cat "$PG_DIR/initdb.log" >&2
        rm -rf "$DATA"
        die "initdb failed (output above)"
    fi
    rm -f "$pwfile"
    # Test server: listen on loopback only, socket in our own directory (/var/run/postgresql
    # may not exist), and trade durability for speed.
    cat >>"$DATA/postgresql.conf" <<CONF

# --- riskseg test server (scripts/pg-test-server.sh) ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 50
CONF
}

ensure_role_and_db() {
    local password
    password=$(cat "$PG_DIR/password")
    as_owner "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR" -p "$(running_port)" -d postgres \
        -v user="$DB_USER" -v db="$DB_NAME" -v pw="$password" >/dev/null <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'user')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'user') \gexec
ALTER ROLE :"user" LOGIN PASSWORD :'pw';
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'user')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
SQL
}

start() {
    BIN=$(newest_bin_dir || true)
    if [ -z "$BIN" ]; then
        install_postgres
        BIN=$(newest_bin_dir || true)
        [ -n "$BIN" ] || die "postgresql was installed but no server binary is under /usr/lib/postgresql"
    fi
    BIN=$(bin_dir_for_data)
    [ -f "$DATA/PG_VERSION" ] || init_cluster

    if is_running; then
        say "already running ($DATA, $("$BIN/postgres" --version))"
    else
        local port
        port=$(choose_port)
        say "starting $("$BIN/postgres" --version) on 127.0.0.1:$port (log: $LOG)"
        touch "$LOG"
        own "$LOG"
        if ! as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 -o "-p $port" start >/dev/null; then
            tail -n 30 "$LOG" >&2 || true
            die "pg_ctl could not start the server (log above)"
        fi
    fi
    local i
    for i in $(seq 1 60); do
        as_owner "$BIN/pg_isready" -q -h 127.0.0.1 -p "$(running_port)" && break
        [ "$i" -eq 60 ] && die "server did not accept connections within 30 s (log: $LOG)"
        sleep 0.5
    done
    ensure_role_and_db
    url
}

stop() {
    if [ ! -f "$DATA/PG_VERSION" ]; then
        say "nothing to stop: no server in $DATA"
        return
    fi
    BIN=$(bin_dir_for_data)
    if is_running; then
        as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null
        say "stopped ($DATA)"
    else
        say "not running ($DATA)"
    fi
}

case "${1:-start}" in
start) start ;;
stop) stop ;;
url)
    [ -f "$DATA/PG_VERSION" ] || die "no server in $DATA; run '$0' first"
    BIN=$(bin_dir_for_data)
    is_running || die "server in $DATA is not running; run '$0' first"
    url
    ;;
destroy)
    stop
    rm -rf "$PG_DIR"
    say "removed $PG_DIR"
    ;;
*) die "usage: $0 [start|url|stop|destroy]" ;;
esac
