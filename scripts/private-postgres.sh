#!/usr/bin/env bash
# A throwaway PostgreSQL cluster with production-like memory settings, for benchmarks that must not
# touch (or depend on) the machine's shared server.
#
#   scripts/private-postgres.sh start [PORT] [SHARED_BUFFERS]   # prints its DATABASE_URL base
#   scripts/private-postgres.sh stop  [PORT]                     # stops it and deletes its data
#   scripts/private-postgres.sh halt  [PORT]                     # stops it (fast shutdown), keeps its data for `start`
#   scripts/private-postgres.sh replica PORT PRIMARY_PORT [APPLY_DELAY]
#                                     # a streaming hot standby of the cluster on PRIMARY_PORT (pg_basebackup -R),
#                                     # replaying each commit APPLY_DELAY (e.g. 2s) after the primary made it
#   scripts/private-postgres.sh crash PORT                       # SIGKILL to its postmaster and every backend (a dead host);
#                                     # returns once the postmaster is gone, so `start` can follow
#   scripts/private-postgres.sh pause|resume PORT                # SIGSTOP/SIGCONT to them (a hung host: connections stay open, nothing answers)
#
# Production-like memory: 1GB of shared_buffers by default, where Debian's 128MB leaves most of a
# large seed to the OS page cache.
set -euo pipefail
cmd="${1:?usage: private-postgres.sh start|stop|halt [PORT] [SHARED_BUFFERS]}"
port="${2:-55432}"
shared_buffers="${3:-1GB}"
bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
dir="/tmp/transcript-api-pg-$port"
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start_cluster() {
  as_postgres "$bindir/pg_ctl" -D "$dir" -l "$dir/server.log" -w \
    -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c shared_buffers=$1 -c effective_cache_size=4GB -c work_mem=32MB -c fsync=off -c synchronous_commit=off" \
    start >/dev/null
  echo "postgres://postgres@127.0.0.1:$port"
}

case "$cmd" in
  start)
    if [ ! -d "$dir" ]; then
      mkdir -p "$dir"
      [ "$(id -u)" = 0 ] && chown postgres "$dir"
      as_postgres "$bindir/initdb" -D "$dir" -U postgres --auth=trust >/dev/null
    fi
    start_cluster "$shared_buffers"
    ;;
  replica)
    primary_port="${3:?usage: private-postgres.sh replica PORT PRIMARY_PORT [APPLY_DELAY]}"
    rm -rf "$dir" && mkdir -p "$dir" && chmod 0700 "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    # -R writes primary_conninfo and standby.signal (initdb's pg_hba trusts replication from 127.0.0.1);
    # -c fast: a spread checkpoint after the test's seed took 30 s here.
    as_postgres "$bindir/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$dir" -R -X stream -c fast >/dev/null
    echo "recovery_min_apply_delay = '${4:-0}'" >>"$dir/postgresql.auto.conf"
    start_cluster 128MB
    ;;
  crash | pause | resume)
    signal=$(case "$cmd" in crash) echo KILL ;; pause) echo STOP ;; resume) echo CONT ;; esac)
    postmaster=$(head -n 1 "$dir/postmaster.pid")
    kill -"$signal" "$postmaster" $(ps -o pid= --ppid "$postmaster") 2>/dev/null || true
    # A crash is over once the postmaster is gone (reaped): until then its postmaster.pid blocks `start`.
    if [ "$cmd" = crash ]; then
      for _ in $(seq 100); do kill -0 "$postmaster" 2>/dev/null || break; sleep 0.1; done
    fi
    ;;
  halt)
    as_postgres "$bindir/pg_ctl" -D "$dir" -m fast -w stop >/dev/null
    ;;
  stop)
    as_postgres "$bindir/pg_ctl" -D "$dir" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
