#!/usr/bin/env bash
# Broker and client on this machine, as docs/benchmarks.md describes. Usage: benchmarks/run.sh [all|produce|consume|latency|memory|groups|cleaner]
# Starts its own broker on port 19192 with a fresh data directory and stops it at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
dotnet build src/Host -c Release -v q -nologo >/dev/null
# AKKABROKER_DLL runs another build of the broker and tools (a ReadyToRun publish, say) instead of the Release build.
AB="dotnet ${AKKABROKER_DLL:-src/Host/bin/Release/net10.0/akkabroker.dll}"
BS=127.0.0.1:19192
data=$(mktemp -d /tmp/akkabroker-bench.XXXXXX)
conf="$data/bench.conf"
printf "akkabroker.broker.metrics.prometheus.port = 0\nakkabroker.broker.offsets.topic.replication.factor = 1\n" > "$conf"
[[ -n ${EXTRA_CONF:-} ]] && cat "$EXTRA_CONF" >> "$conf"
# The cleaner benchmark reads the cleaner's own report (an INFO line) from the broker's log.
[[ $what == cleaner ]] && printf "akka.loglevel = INFO\nakkabroker.broker.log.cleaner.backoff.ms = 1000\n" >> "$conf"
$AB serve --port 19192 --cluster-port 0 --data-dir "$data/d" --config "$conf" > "$data/broker.log" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null || true; wait $broker 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 120); do grep -q '^ready' "$data/broker.log" && break; sleep 0.5; done
grep -q '^ready' "$data/broker.log" || { cat "$data/broker.log"; exit 1; }
echo "broker pid $broker, data $data/d"

if [[ $what == all || $what == produce || $what == consume ]]; then
  $AB topics create --bootstrap-server $BS --topic p1 --partitions 1
  $AB topics create --bootstrap-server $BS --topic p4 --partitions 4
  echo "== produce, 1 partition, Kafka's default producer settings, acks=1"
  $AB perf produce --bootstrap-server $BS --topic p1 --num-records 1000000 --record-size 100 --throughput -1 \
      --producer-props acks=1 | grep -E 'records sent,.*99th|batch-size-avg|request-latency-avg'
  echo "== produce, 4 partitions, batch.size=262144 linger.ms=10, acks=1"
  $AB perf produce --bootstrap-server $BS --topic p4 --num-records 10000000 --record-size 100 --throughput -1 \
      --producer-props acks=1 batch.size=262144 linger.ms=10 | grep -E 'records sent,.*99th|batch-size-avg|request-latency-avg'
  echo "== produce, 4 partitions, batch.size=262144 linger.ms=10, acks=all (idempotent)"
  $AB perf produce --bootstrap-server $BS --topic p4 --num-records 10000000 --record-size 100 --throughput -1 \
      --producer-props acks=all batch.size=262144 linger.ms=10 | grep -E 'records sent,.*99th|batch-size-avg|request-latency-avg'
fi
if [[ $what == all || $what == consume ]]; then
  echo "== consume 20,000,000 records of 100 bytes from 4 partitions (mostly from the journal, the newest from the tail cache)"
  $AB perf consume --bootstrap-server $BS --topic p4 --messages 20000000 --print-metrics | grep -A1 -E '^start.time|fetch-size-avg|fetch-latency-avg'
fi
if [[ $what == all || $what == latency ]]; then
  $AB topics create --bootstrap-server $BS --topic lat --partitions 1
  # A fresh broker runs tier-0 JIT code for its first seconds; warm it up as a long-running broker would be.
  echo "== warm-up: 100,000 records at 10,000 records/s (not measured)"
  $AB perf produce --bootstrap-server $BS --topic lat --num-records 100000 --record-size 100 --throughput 10000 \
      --producer-props acks=1 linger.ms=1 | grep -E 'records sent,.*99th'
  echo "== end-to-end latency at 10,000 records/s (producer acks=1 linger.ms=1; consumer fetch.min.bytes=1)"
  echo "   fresh producer and consumer processes; the first 50,000 records (5 s) are their warm-up, reported apart"
  $AB perf consume --bootstrap-server $BS --topic lat --messages 350000 --warmup-messages 50000 --from-end --timeout-ms 20000 > "$data/e2e.txt" &
  consumer=$!
  sleep 3
  $AB perf produce --bootstrap-server $BS --topic lat --num-records 350000 --warmup-records 50000 --record-size 100 --throughput 10000 \
      --producer-props acks=1 linger.ms=1 | grep -E 'records sent,.*99th'
  wait $consumer
  grep -E 'end-to-end' "$data/e2e.txt"
fi
if [[ $what == all || $what == memory ]]; then
  gb=${GB:-5}
  n=$(( gb * 10000000 ))
  $AB topics create --bootstrap-server $BS --topic big --partitions 4
  echo "== broker memory (RSS, MiB) every 15 s while $gb GB of 100-byte records are written"
  ( while kill -0 $broker 2>/dev/null; do echo "rss_mib=$(( $(awk '/VmRSS/{print $2}' /proc/$broker/status) / 1024 )) db_mib=$(( $(du -sk "$data/d" | cut -f1) / 1024 ))"; sleep 15; done ) &
  sampler=$!
  $AB perf produce --bootstrap-server $BS --topic big --num-records $n --record-size 100 --throughput -1 \
      --producer-props acks=1 batch.size=262144 linger.ms=10 | grep -E 'records sent,.*99th'
  kill $sampler
fi
if [[ $what == all || $what == groups ]]; then
  $AB topics create --bootstrap-server $BS --topic r100 --partitions 100
  echo "== rebalance: 3 members, 100 partitions, one leaves and one joins per round (Kafka's default heartbeat.interval.ms=3000)"
  $AB perf rebalance --bootstrap-server $BS --topic r100 --members 3 --rounds 5 | grep -E '^round|median'
  echo "== rebalance, the same with heartbeat.interval.ms=100 (members learn of the rebalance sooner)"
  $AB perf rebalance --bootstrap-server $BS --topic r100 --members 3 --rounds 5 --consumer-props heartbeat.interval.ms=100 | grep -E '^round|median'
  echo "== rebalance, cooperative-sticky, heartbeat.interval.ms=100"
  $AB perf rebalance --bootstrap-server $BS --topic r100 --members 3 --rounds 5 \
      --consumer-props heartbeat.interval.ms=100 partition.assignment.strategy=cooperative-sticky | grep -E 'median'
  $AB topics create --bootstrap-server $BS --topic c4 --partitions 4
  echo "== offset commits to one coordinator: 200,000 async commits, 256 in flight, one client (a group member)"
  $AB perf commit --bootstrap-server $BS --topic c4 --group commit-bench --commits 200000 --in-flight 256
  echo "== offset commits to one coordinator from two client processes at once (outside group management), 200,000 each"
  $AB perf commit --bootstrap-server $BS --topic c4 --group commit-shared --commits 200000 --in-flight 256 --assign &
  other=$!
  $AB perf commit --bootstrap-server $BS --topic c4 --group commit-shared --commits 200000 --in-flight 256 --assign
  wait $other
  echo "== one consumer: assigned vs. the only member of a group (5,000,000 records of 100 bytes, 4 partitions)"
  $AB perf produce --bootstrap-server $BS --topic c4 --num-records 5000000 --record-size 100 --throughput -1 \
      --producer-props acks=1 batch.size=262144 linger.ms=10 | grep -E 'records sent,.*99th'
  for round in 1 2; do
    echo "assigned:"; $AB perf consume --bootstrap-server $BS --topic c4 --messages 5000000 | grep -A1 -E '^start.time' | tail -1
    echo "group:";    $AB perf consume --bootstrap-server $BS --topic c4 --messages 5000000 --group "perf-$round" | grep -A1 -E '^start.time' | tail -1
  done
fi
if [[ $what == cleaner ]]; then
  # Kafka's cleaner target: clean at least 50 MB/s of log while a producer writes at half its maximum rate, and the
  # producer loses no more than 20% of its throughput meanwhile.
  records=${RECORDS:-3000000}
  $AB topics create --bootstrap-server $BS --topic rate --partitions 1
  props="acks=1 batch.size=262144 linger.ms=10"
  echo "== the producer's maximum rate: 3,000,000 records of 100 bytes, 1 partition, $props"
  max=$($AB perf produce --bootstrap-server $BS --topic rate --num-records 3000000 --record-size 100 --throughput -1 \
      --producer-props $props | grep -E 'records sent,.*99th' | tee /dev/stderr | sed -E 's/.* ([0-9.]+) records\/sec.*/\1/')
  half=$(awk -v m="$max" 'BEGIN { printf "%d", m / 2 }')
  window=$(( half * 30 ))
  echo "== $records updates of 100 bytes over 10,000 keys to a compacted topic (100 MB segments), not yet cleanable (min.compaction.lag.ms)"
  $AB topics create --bootstrap-server $BS --topic compacted --partitions 1 \
      --config cleanup.policy=compact --config segment.bytes=104857600 --config min.compaction.lag.ms=3600000
  $AB perf produce --bootstrap-server $BS --topic compacted --num-records "$records" --record-size 100 --throughput -1 --key-space 10000 \
      --producer-props acks=1 batch.size=262144 linger.ms=10 | grep -E 'records sent,.*99th'
  $AB topics describe --bootstrap-server $BS --topic compacted | grep -oE 'LogEndOffset: [0-9]+.*Segments: [0-9]+'
  echo "== baseline: 30 s at half the maximum rate ($half records/s), no cleaning"
  $AB perf produce --bootstrap-server $BS --topic rate --num-records "$window" --record-size 100 --throughput "$half" \
      --producer-props $props | grep -E 'records/sec'
  echo "== the same while the cleaner compacts the topic (min.compaction.lag.ms set to 0 five seconds in)"
  ( sleep 5; $AB topics alter --bootstrap-server $BS --topic compacted --config min.compaction.lag.ms=0 >/dev/null; echo "   ($(date +%T) cleaning enabled)" ) &
  $AB perf produce --bootstrap-server $BS --topic rate --num-records "$window" --record-size 100 --throughput "$half" \
      --producer-props $props | grep -E 'records/sec'
  for _ in $(seq 1 120); do grep -q 'compacted-0\] cleaned up to' "$data/broker.log" && break; sleep 1; done
  raw=$(grep -E 'compacted-0\] cleaned up to' "$data/broker.log" | head -1)
  line=$(echo "$raw" | sed -E 's/.*\] \[compacted-0\] //')
  echo "   ($(echo "$raw" | sed -E 's/^\[INFO\]\[[0-9/]+ ([0-9:]+)\.[0-9]+Z\].*/\1/') cleaning finished) $line"
  echo "$line" | sed -E 's/.*: ([0-9]+) -> ([0-9]+) bytes.* keys, ([0-9]+) ms.*/\1 \3/' \
      | awk '{ printf "log cleaned: %.0f MB in %.1f s = %.1f MB/s\n", $1 / 1e6, $2 / 1000, $1 / 1e6 / ($2 / 1000) }'
  $AB topics describe --bootstrap-server $BS --topic compacted | grep -oE 'LogEndOffset: [0-9]+.*'
fi
