#!/usr/bin/env bash
# Starts, stops or restarts the throwaway PostgreSQL server the tests use.
#   scripts/test-postgres.sh start|stop|restart|status|url
#   scripts/test-postgres.sh standby-start|standby-fresh|standby-stop|standby-url   (a hot standby of it, for read-replica
#   tests; standby-fresh discards any standby left before and takes a new base backup)
# It listens on 127.0.0.1:${GS_TEST_PG_PORT:-55432}, trusts local connections, and keeps its
# cluster under ${GS_TEST_PG_DIR:-/tmp/goldensignals-test-pg}. Run as root, the server runs as
# the unprivileged `postgres` user. Tests read GS_TEST_DATABASE_URL (printed by `url`).
# The standby is a streaming replica (pg_basebackup -R) on 127.0.0.1:${GS_TEST_PG_STANDBY_PORT:-PORT+1}, its
# cluster under $DIR/standby; tests read GS_TEST_STANDBY_URL (printed by `standby-url`).
set -euo pipefail
PORT="${GS_TEST_PG_PORT:-55432}"
DIR="${GS_TEST_PG_DIR:-/tmp/goldensignals-test-pg}"
DB=goldensignals_test
USER_NAME=goldensignals
BIN=""
for d in /usr/lib/postgresql/*/bin; do [ -x "$d/pg_ctl" ] && BIN="$d"; done
if [ -z "$BIN" ]; then
  echo "PostgreSQL server binaries not found: install the Debian package 'postgresql'" >&2
  exit 1
fi
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
url() { echo "postgresql://${USER_NAME}@127.0.0.1:${PORT}/${DB}"; }
psql_primary() { "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qAtX "$@"; }
start() {
  if [ ! -s "$DIR/data/PG_VERSION" ]; then
    mkdir -p "$DIR"
    [ "$(id -u)" = 0 ] && chown postgres: "$DIR"
    as_owner "$BIN/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 \
      || as_owner "$BIN/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 >"$DIR/initdb.log" 2>&1
  fi
  if ! as_owner "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
    as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 30 \
      -o "-p $PORT -c listen_addresses=127.0.0.1 -k $DIR -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
  fi
  [ "$(psql_primary -c "select 1 from pg_roles where rolname='${USER_NAME}'")" = 1 ] || psql_primary -c "create role ${USER_NAME} login superuser"
  [ "$(psql_primary -c "select 1 from pg_database where datname='${DB}'")" = 1 ] || psql_primary -c "create database ${DB} owner ${USER_NAME}"
  # A standby's slot left by a run killed before it removed its standby keeps every WAL segment from then on
  # (gigabytes, and every new segment written from scratch): with no standby, no slot.
  [ -d "$DIR/standby" ] || drop_slot
  url
}
STANDBY_PORT="${GS_TEST_PG_STANDBY_PORT:-$((PORT + 1))}"
standby_url() { echo "postgresql://${USER_NAME}@127.0.0.1:${STANDBY_PORT}/${DB}"; }
# The standby streams through a replication slot, so the primary keeps every WAL segment it has not received
# (a standby stopped and started by a test catches up however much was written meanwhile).
SLOT=gs_test_standby
drop_slot() {
  psql_primary -c "select pg_drop_replication_slot('$SLOT') from pg_replication_slots where slot_name = '$SLOT'" >/dev/null 2>&1 || true
}
standby_start() {
  if [ ! -s "$DIR/standby/PG_VERSION" ]; then
    rm -rf "$DIR/standby"
    drop_slot
    as_owner "$BIN/pg_basebackup" -h 127.0.0.1 -p "$PORT" -U postgres -D "$DIR/standby" -R -X stream -C -S "$SLOT" -c fast \
      >"$DIR/basebackup.log" 2>&1
  fi
  if ! as_owner "$BIN/pg_ctl" -D "$DIR/standby" status >/dev/null 2>&1; then
    as_owner "$BIN/pg_ctl" -D "$DIR/standby" -l "$DIR/standby.log" -w -t 60 \
      -o "-p $STANDBY_PORT -c listen_addresses=127.0.0.1 -k $DIR -c max_connections=300 -c hot_standby=on -c hot_standby_feedback=on" start >/dev/null
  fi
  standby_url
}
standby_stop() { as_owner "$BIN/pg_ctl" -D "$DIR/standby" -m fast -w stop >/dev/null 2>&1 || true; }
# The standby and its slot removed, so the slot holds no WAL while there is no standby.
standby_remove() { standby_stop; rm -rf "$DIR/standby"; drop_slot; }
# A new standby from a new base backup: a run never inherits one left by an earlier run (whose WAL is gone).
standby_fresh() { standby_remove; standby_start; }
# The standby goes with the run.
stop() {
  if [ -d "$DIR/standby" ]; then standby_remove; fi
  as_owner "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
}
case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  restart) as_owner "$BIN/pg_ctl" -D "$DIR/data" -m fast -w restart -o "-p $PORT -c listen_addresses=127.0.0.1 -k $DIR -c max_connections=300 -c fsync=off" >/dev/null ;;
  status) as_owner "$BIN/pg_ctl" -D "$DIR/data" status ;;
  url) url ;;
  standby-start) standby_start ;;
  standby-fresh) standby_fresh ;;
  standby-stop) standby_stop ;;
  standby-url) standby_url ;;
  *) echo "usage: $0 start|stop|restart|status|url|standby-start|standby-fresh|standby-stop|standby-url" >&2; exit 2 ;;
esac
