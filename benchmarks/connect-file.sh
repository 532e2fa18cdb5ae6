#!/usr/bin/env bash
# Connect: FileStreamSource -> topic -> FileStreamSink through one standalone worker, as docs/benchmarks.md describes.
# Usage: benchmarks/connect-file.sh [lines (default 2000000)] [worker key=value ...]
#   e.g. benchmarks/connect-file.sh 2000000 producer.batch.size=262144 producer.linger.ms=10
# Starts a broker on port 19492 with a fresh data directory, writes the lines (100 bytes each with the newline), runs
# `connect standalone` with both connectors (StringConverter, the worker's default producer and consumer settings) and
# times from the worker's start until the sink's file holds every line, then checks it equals the input.
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-2000000}
shift || true
dotnet build src/Host -c Release -v q -nologo >/dev/null
# AKKABROKER_DLL runs another build of the broker and worker instead of the Release build.
AB="dotnet ${AKKABROKER_DLL:-src/Host/bin/Release/net10.0/akkabroker.dll}"
data=$(mktemp -d /tmp/akkabroker-connect-bench.XXXXXX)
printf "akkabroker.broker.metrics.prometheus.port = 0\nakkabroker.broker.offsets.topic.replication.factor = 1\n" > "$data/broker.conf"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$data"
}
trap cleanup EXIT
$AB serve --port 19492 --cluster-port 0 --data-dir "$data/broker" --config "$data/broker.conf" > "$data/broker.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do grep -q '^ready' "$data/broker.log" && break; sleep 0.5; done
awk -v n="$lines" 'BEGIN { pad = sprintf("%088d", 0); for (i = 0; i < n; i++) printf "line %010d %s\n", i, pad }' > "$data/in.txt"
cat > "$data/worker.properties" <<PROPS
bootstrap.servers=127.0.0.1:19492
key.converter=org.apache.kafka.connect.storage.StringConverter
value.converter=org.apache.kafka.connect.storage.StringConverter
offset.storage.file.filename=$data/offsets
listeners=http://127.0.0.1:0
PROPS
for kv in "$@"; do echo "$kv" >> "$data/worker.properties"; done
printf "name=src\nconnector.class=FileStreamSource\nfile=%s\ntopic=bench\n" "$data/in.txt" > "$data/source.properties"
printf "name=sink\nconnector.class=FileStreamSink\nfile=%s\ntopics=bench\n" "$data/out.txt" > "$data/sink.properties"
echo "== $lines lines of 100 bytes: FileStreamSource -> topic bench -> FileStreamSink, one standalone worker ${*:-(default client settings)}"
start=$(date +%s.%N)
$AB connect standalone "$data/worker.properties" "$data/source.properties" "$data/sink.properties" > "$data/worker.log" 2>&1 &
worker=$!
pids+=($worker)
for _ in $(seq 1 6000); do
  [[ -f "$data/out.txt" ]] && [[ $(wc -l < "$data/out.txt") -ge $lines ]] && break
  sleep 0.1
done
end=$(date +%s.%N)
cpu=$(awk '{print ($14 + $15) / 100}' /proc/$worker/stat)
broker_cpu=$(awk '{print ($14 + $15) / 100}' /proc/${pids[0]}/stat)
got=$(wc -l < "$data/out.txt")
awk -v n="$got" -v s="$start" -v e="$end" -v c="$cpu" -v b="$broker_cpu" 'BEGIN { printf "%d lines in %.1f s: %.0f lines/s (%.1f MB/s); worker CPU %.1f s, broker CPU %.1f s (since its start)\n", n, e - s, n / (e - s), n * 100 / (e - s) / 1e6, c, b }'
cmp -s "$data/in.txt" "$data/out.txt" && echo "output equals input" || { echo "output differs from input"; exit 1; }
