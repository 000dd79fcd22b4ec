#!/usr/bin/env bash
# Start (or reuse) a throwaway PostgreSQL cluster for the test suite and print its URL.
# Usage: infra/testdb.sh start|stop|url.  Runs the server as the 'postgres' user when we are root
# (initdb refuses root). Data lives in $SSK_PG_DIR (default /tmp/ssk-test-pg), port $SSK_PG_PORT.
set -euo pipefail
dir=${SSK_PG_DIR:-/tmp/ssk-test-pg}
port=${SSK_PG_PORT:-54329}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
url="postgresql://postgres@127.0.0.1:${port}/postgres"
case "${1:-start}" in
  start)
    if [ ! -s "$dir/PG_VERSION" ]; then
      mkdir -p "$dir"; [ "$(id -u)" = 0 ] && chown postgres: "$dir"
      as_pg "$bin/initdb" -D "$dir" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
      # Tests want speed, not durability: a crashed test cluster is thrown away.
      cat >> "$dir/postgresql.conf" <<CONF
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_buffers = 256MB
unix_socket_directories = '$dir'
listen_addresses = '127.0.0.1'
port = $port
CONF
    fi
    if ! as_pg "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
      if ! as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w start >/dev/null; then
        # a cluster left broken by a killed session: it only ever holds throwaway test data
        rm -rf "$dir"
        exec "$0" start
      fi
    fi
    echo "$url";;
  stop) as_pg "$bin/pg_ctl" -D "$dir" -m fast stop >/dev/null || true;;
  url) echo "$url";;
esac
