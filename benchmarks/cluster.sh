#!/usr/bin/env bash
# Three brokers on this machine, replication factor 3, as docs/benchmarks.md ("Replication") describes.
# Usage: benchmarks/cluster.sh [produce|failover|all]. Starts brokers on ports 19201-19203 with fresh data directories
# and stops them at the end. N=records per run (default 5,000,000).
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
n=${N:-5000000}
# Producer batching for the measured runs (BATCH bytes, LINGER ms); the defaults are those of the figures in docs/benchmarks.md.
batch=${BATCH:-262144}
linger=${LINGER:-10}
dotnet build src/Host -c Release -v q -nologo >/dev/null
AB="dotnet src/Host/bin/Release/net10.0/akkabroker.dll"
data=$(mktemp -d /tmp/akkabroker-cluster-bench.XXXXXX)
conf="$data/bench.conf"
echo "akkabroker.broker.metrics.prometheus.port = 0" > "$conf"
[[ -n ${EXTRA_CONF:-} ]] && cat "$EXTRA_CONF" >> "$conf"
declare -A pids
start() { # id
  local id=$1 seeds=""
  [[ $id != 1 || -n ${2:-} ]] && seeds="--seed-nodes ${2:-127.0.0.1:19301}"
  $AB serve --port $((19200 + id)) --cluster-port $((19300 + id)) --broker-id "$id" $seeds --data-dir "$data/d$id" --config "$conf" >> "$data/broker$id.log" 2>&1 &
  pids[$id]=$!
}
ready() { # id
  for _ in $(seq 1 240); do [[ $(grep -c '^ready' "$data/broker$1.log") -ge ${2:-1} ]] && return 0; sleep 0.5; done
  cat "$data/broker$1.log"; exit 1
}
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$data"' EXIT
start 1; ready 1; start 2; start 3; ready 2; ready 3
BS=127.0.0.1:19202
until $AB cluster describe --bootstrap-server $BS 2>/dev/null | grep -q 'Brokers: 3'; do sleep 0.5; done
echo "brokers ${pids[*]}, data $data"
# CPU seconds (user + system) the three brokers have used so far, from /proc: the cost per record is much steadier
# than throughput on a shared machine, where it varies with what else runs.
broker_cpu() {
  local ticks=0 p
  for p in "${pids[@]}"; do ticks=$((ticks + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
  echo "$ticks $(getconf CLK_TCK)" | awk '{printf "%.2f", $1 / $2}'
}
in_sync() { # topic partitions
  until [[ $($AB topics describe --bootstrap-server $BS --topic "$1" | grep -cE 'Isr: [0-9]+,[0-9]+,[0-9]+') -eq $2 ]]; do sleep 0.5; done
}

if [[ $what == all || $what == produce ]]; then
  $AB topics create --bootstrap-server $BS --topic r3 --partitions 3 --replication-factor 3 --config min.insync.replicas=2
  in_sync r3 3
  # Fresh brokers run unoptimised (tier-0 JIT) code and grow new SQLite files for their first seconds: warm them up
  # first, as long-running brokers would be, so the first measured run is not also the warm-up.
  $AB topics create --bootstrap-server $BS --topic warm --partitions 3 --replication-factor 3
  in_sync warm 3
  echo "== warm-up: 1,000,000 records to topic warm (not measured)"
  $AB perf produce --bootstrap-server $BS --topic warm --num-records 1000000 --record-size 100 --throughput -1 \
      --producer-props acks=1 batch.size=262144 linger.ms=10 | grep -E 'records sent,.*99th'
  in_sync warm 3
  cpu_before=$(broker_cpu)
  echo "== produce $n records of 100 bytes, 3 partitions, replication factor 3, batch.size=$batch linger.ms=$linger, acks=1"
  $AB perf produce --bootstrap-server $BS --topic r3 --num-records "$n" --record-size 100 --throughput -1 \
      --producer-props acks=1 batch.size=$batch linger.ms=$linger | grep -E 'records sent,.*99th|batch-size-avg'
  in_sync r3 3
  echo "== the same with acks=all (idempotent), min.insync.replicas=2"
  $AB perf produce --bootstrap-server $BS --topic r3 --num-records "$n" --record-size 100 --throughput -1 \
      --producer-props acks=all batch.size=$batch linger.ms=$linger | grep -E 'records sent,.*99th|batch-size-avg'
  cpu_after=$(broker_cpu)
  echo "== broker CPU for the two measured runs: $(echo "$cpu_before $cpu_after $n" | awk '{printf "%.1f s, %.1f us per record produced (all three brokers)", $2 - $1, ($2 - $1) * 1e6 / (2 * $3)}')"
  echo "== consume all $((2 * n)) records back (from the leaders)"
  $AB perf consume --bootstrap-server $BS --topic r3 --messages $((2 * n)) | grep -A1 -E 'data.consumed'
fi
# A benchmark that overloads the machine can make brokers miss heartbeats; say so, since leaders would have moved.
echo "== brokers marked unreachable during the run: $(cat "$data"/broker*.log | grep -c 'Marking node(s) as UNREACHABLE' || true)"
echo "== leader elections during the run: $(cat "$data"/broker*.log | grep -cE '(^|\] )election: ' || true)"
