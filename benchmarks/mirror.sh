#!/usr/bin/env bash
# MirrorMaker between two single-broker clusters on this machine, as docs/benchmarks.md describes.
# Usage: benchmarks/mirror.sh [records (default 5000000)] [num.streams (default 2)]
# Starts a source broker on port 19292 and a target broker on 19392 with fresh data directories, stops them at the end.
#  1. reference: one producer (the mirror's settings: acks=all, idempotent, batch.size 256 KiB, linger.ms 10) into the
#     target, and the source producer that fills the topic;
#  2. throughput: the mirror copies the filled 6-partition topic; the rate is taken from its own metrics endpoint, from
#     its first record to its last;
#  3. latency: records produced on the source at 10,000/s and consumed on the target while the mirror runs: end-to-end
#     latency (source record timestamp to the target consumer) after a warm-up.
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-5000000}
streams=${2:-2}
dotnet build src/Host -c Release -v q -nologo >/dev/null
AB="dotnet src/Host/bin/Release/net10.0/akkabroker.dll"
SRC=127.0.0.1:19292
DST=127.0.0.1:19392
METRICS=19405
data=$(mktemp -d /tmp/akkabroker-mirror-bench.XXXXXX)
printf "akkabroker.broker.metrics.prometheus.port = 0\nakkabroker.broker.offsets.topic.replication.factor = 1\n" > "$data/broker.conf"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$data"
}
trap cleanup EXIT
start_broker() { # name port
  $AB serve --port "$2" --cluster-port 0 --data-dir "$data/$1" --config "$data/broker.conf" > "$data/$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 120); do grep -q '^ready' "$data/$1.log" && return; sleep 0.5; done
  cat "$data/$1.log"; exit 1
}
start_broker source 19292
start_broker target 19392
$AB topics create --bootstrap-server $SRC --topic m6 --partitions 6
$AB topics create --bootstrap-server $SRC --topic lat --partitions 1
$AB topics create --bootstrap-server $DST --topic ref --partitions 6

echo "== reference: one producer into the target with the mirror's producer settings (acks=all, idempotent, batch.size=262144, linger.ms=10)"
$AB perf produce --bootstrap-server $DST --topic ref --num-records "$records" --record-size 100 --throughput -1 \
    --producer-props acks=all batch.size=262144 linger.ms=10 | grep -E 'records sent,'
echo "== source producer filling m6 (6 partitions, 100-byte records, acks=1, batch.size=262144, linger.ms=10)"
$AB perf produce --bootstrap-server $SRC --topic m6 --num-records "$records" --record-size 100 --throughput -1 \
    --producer-props acks=1 batch.size=262144 linger.ms=10 | grep -E 'records sent,'

printf "bootstrap.servers=%s\ngroup.id=bench-mirror\nauto.offset.reset=earliest\n" $SRC > "$data/consumer.properties"
printf "bootstrap.servers=%s\nbatch.size=262144\nlinger.ms=10\n" $DST > "$data/producer.properties"
$AB mirror-maker --consumer.config "$data/consumer.properties" --producer.config "$data/producer.properties" \
    --whitelist 'm6|lat' --num.streams "$streams" --metrics-port $METRICS > "$data/mirror.log" 2>&1 &
pids+=($!)
mirrored() { # records the target acknowledged for the topic, from the mirror's metrics
  { curl -s "http://127.0.0.1:$METRICS/metrics" 2>/dev/null || true; } | awk -v t="$1" '/^akkabroker_mirror_records_total\{/ && $0 ~ "topic=\""t"\"" { s += $NF } END { printf "%d", s }'
}
echo "== mirror: $records records of m6 with --num.streams $streams (producer batch.size=262144 linger.ms=10)"
first=""
for _ in $(seq 1 1200); do
  n=$(mirrored m6)
  now=$(date +%s.%N)
  if [[ -z $first && $n -gt 0 ]]; then first=$now; first_n=$n; fi
  [[ $n -ge $records ]] && break
  sleep 0.25
done
[[ $n -ge $records ]] || { echo "the mirror copied $n of $records records in 300 s"; tail -20 "$data/mirror.log"; exit 1; }
awk -v a="$first" -v b="$now" -v n="$((records - first_n))" 'BEGIN { printf "mirrored %d records in %.1f s: %.0f records/s\n", n, b - a, n / (b - a) }'
grep -E 'waited on the source' "$data/mirror.log" | tail -"$streams" || true

echo "== warm-up: 100,000 records at 10,000 records/s through the mirror (not measured)"
$AB perf produce --bootstrap-server $SRC --topic lat --num-records 100000 --record-size 100 --throughput 10000 \
    --producer-props acks=1 linger.ms=1 | grep -E 'records sent,'
echo "== mirror latency at 10,000 records/s: source producer (acks=1 linger.ms=1) to a consumer on the target"
$AB perf consume --bootstrap-server $DST --topic lat --messages 350000 --warmup-messages 50000 --from-end --timeout-ms 20000 > "$data/e2e.txt" &
consumer=$!
sleep 3
$AB perf produce --bootstrap-server $SRC --topic lat --num-records 350000 --warmup-records 50000 --record-size 100 --throughput 10000 \
    --producer-props acks=1 linger.ms=1 | grep -E 'records sent,'
wait $consumer
grep -E 'end-to-end' "$data/e2e.txt"
