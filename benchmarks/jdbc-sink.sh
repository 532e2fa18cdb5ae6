#!/usr/bin/env bash
# JdbcSinkTask upserting 100-byte rows into a throwaway PostgreSQL server (default settings, fsync on) with
# batch.size=3000. Usage: benchmarks/jdbc-sink.sh [rows, default 300000]. Needs Debian's postgresql (initdb, pg_ctl).
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-300000}
if command -v initdb >/dev/null 2>&1; then bin=$(dirname "$(readlink -f "$(command -v initdb)")")
else bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1); fi
[[ -x ${bin:-}/initdb ]] || { echo "error: initdb not found; apt-get install postgresql" >&2; exit 1; }
as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
dir=$(mktemp -d /tmp/akkabroker-jdbc-bench.XXXXXX)
[[ $(id -u) == 0 ]] && chown postgres: "$dir"
port=$(shuf -i 20000-60000 -n 1)
as_pg "$bin/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null
trap 'as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true; rm -rf "$dir"' EXIT
as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres bench
echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, $rows rows"
dotnet run --project benchmarks/jdbc-sink -c Release -- "jdbc:postgresql://127.0.0.1:$port/bench?user=postgres" "$rows"
