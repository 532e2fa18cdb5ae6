#!/usr/bin/env bash
# A real Kafka client (Confluent.Kafka) against librdkafka's in-process mock cluster and against the broker's Kafka
# listener, and the AkkaBroker client (`akkabroker perf`) against the same broker, side by side in one run, as
# docs/benchmarks.md describes. Usage: benchmarks/kafka-client.sh [records] [partitions]
# Starts its own broker (AkkaBroker port 19192, Kafka listener 19092, fresh data directory) and stops it at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000000}
parts=${2:-6}
size=100
warm=${WARMUP:-500000}
dotnet build src/Host -c Release -v q -nologo >/dev/null
dotnet build benchmarks/KafkaClientBench -c Release -v q -nologo >/dev/null
AB="dotnet src/Host/bin/Release/net10.0/akkabroker.dll"
KB="dotnet benchmarks/KafkaClientBench/bin/Release/net10.0/kafka-client-bench.dll"
BS=127.0.0.1:${PORT:-19192}
KBS=127.0.0.1:${KAFKA_PORT:-19092}
default_props="acks=1"
tuned_props="acks=1 batch.size=262144 linger.ms=10"
backoff_props="fetch.queue.backoff.ms=10"
data=$(mktemp -d /tmp/akkabroker-kbench.XXXXXX)
conf="$data/bench.conf"
printf 'akkabroker.broker.metrics.prometheus.port = 0\nakkabroker.broker.offsets.topic.replication.factor = 1\nakkabroker.broker.listeners = "PLAINTEXT://%s"\n' "$KBS" > "$conf"
$AB serve --port "${BS##*:}" --cluster-port 0 --data-dir "$data/d" --config "$conf" > "$data/broker.log" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null || true; wait $broker 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 120); do grep -q '^ready' "$data/broker.log" && break; sleep 0.5; done
grep -q '^ready' "$data/broker.log" || { cat "$data/broker.log"; exit 1; }
grep -q "Kafka protocol on $KBS" "$data/broker.log" || { echo "the Kafka listener is not on $KBS:"; cat "$data/broker.log"; exit 1; }
echo "$(date -u '+%F %T') UTC, $(git rev-parse --short HEAD), broker pid $broker, $n records of $size bytes, $parts partitions; load:$(uptime | sed 's/.*load average://')"

# Runs a command whose output is not measured, showing it only if the command fails.
quiet() { "$@" > "$data/quiet" 2>&1 || { cat "$data/quiet"; exit 1; }; }
for t in warm kd kt ad at; do quiet $AB topics create --bootstrap-server "$BS" --topic $t --partitions "$parts"; done

hz=$(getconf CLK_TCK)
broker_ticks() { awk '{ print $14 + $15 }' "/proc/$broker/stat"; }
rows=()
# phase ROW DESCRIPTION KIND(produce|consume) USES_BROKER(yes|no) COMMAND...: runs the command, shows its summary
# lines and adds a table row with its rate and the CPU the broker and the client process spent on it (user + system).
phase() {
  local label=$1 description=$2 kind=$3 uses_broker=$4
  shift 4
  echo "== $description"
  local b0 b1 out rate client broker_s
  b0=$(broker_ticks)
  /usr/bin/time -f '%U %S' -o "$data/time" "$@" > "$data/out" 2> "$data/err" || { cat "$data/out" "$data/err"; exit 1; }
  b1=$(broker_ticks)
  # The summaries only: `perf produce` also prints a line every 5 s, and the mock's consume run a line for its fill.
  grep -E '^[0-9]+ records sent,.*(99th|process CPU)|^(start.time, end.time, )?data.consumed|^[0-9].*, [0-9.]+, [0-9]+|^process CPU' "$data/out" || true
  if [[ $kind == produce ]]; then
    rate=$(grep -E '^[0-9]+ records sent,.*(99th|process CPU)' "$data/out" | head -1 | sed -E 's/.* ([0-9.]+) records\/sec.*/\1/')
  else
    # The nMsg.sec column of the line after the header: kafka-client-bench and `perf consume` place it differently.
    rate=$(awk -F', ' '/data.consumed.in.MB/ { for (i = 1; i <= NF; i++) if ($i == "nMsg.sec") col = i; next }
                       col { print $col; exit }' "$data/out")
    [[ -n $rate ]] || { echo "no consume rate in the output of: $*"; cat "$data/out"; exit 1; }
  fi
  client=$(awk '{ print $1 + $2 }' "$data/time")
  # The mock's consume run fills the mock first: count the consuming part only, as the client measured it.
  grep -q '^fill' "$data/out" && client=$(grep 'process CPU' "$data/out" | tail -1 | sed -E 's/.*process CPU ([0-9.]+) s.*/\1/')
  if [[ $uses_broker == yes ]]; then
    broker_s=$(awk -v t=$((b1 - b0)) -v hz="$hz" 'BEGIN { printf "%.1f", t / hz }')
  else
    broker_s="-"
  fi
  rows+=("$label|$rate|$broker_s|$client")
}

echo "== warm-up: $warm records produced and consumed through each path (not measured)"
quiet $KB produce --bootstrap-servers "$KBS" --topic warm --num-records "$warm" --record-size $size --producer-props $tuned_props
quiet $AB perf produce --bootstrap-server "$BS" --topic warm --num-records "$warm" --record-size $size --throughput -1 --producer-props $tuned_props
quiet $KB consume --bootstrap-servers "$KBS" --topic warm --num-records "$warm"
quiet $AB perf consume --bootstrap-server "$BS" --topic warm --messages "$warm"

# The three targets of each workload run one after another, so that a change in this machine's other load between
# workloads moves all three together rather than one target's figures.
phase "produce, defaults: mock" "mock: Confluent.Kafka produce, librdkafka defaults, $default_props" produce no \
  $KB produce --bootstrap-servers mock --topic kd --partitions "$parts" --num-records "$n" --record-size $size --producer-props $default_props
phase "produce, defaults: Kafka listener" "Kafka listener: Confluent.Kafka produce, librdkafka defaults, $default_props" produce yes \
  $KB produce --bootstrap-servers "$KBS" --topic kd --num-records "$n" --record-size $size --producer-props $default_props
phase "produce, defaults: Akka client" "Akka client: perf produce, client defaults, $default_props" produce yes \
  $AB perf produce --bootstrap-server "$BS" --topic ad --num-records "$n" --record-size $size --throughput -1 --producer-props $default_props
phase "produce, tuned: mock" "mock: Confluent.Kafka produce, $tuned_props" produce no \
  $KB produce --bootstrap-servers mock --topic kt --partitions "$parts" --num-records "$n" --record-size $size --producer-props $tuned_props
phase "produce, tuned: Kafka listener" "Kafka listener: Confluent.Kafka produce, $tuned_props" produce yes \
  $KB produce --bootstrap-servers "$KBS" --topic kt --num-records "$n" --record-size $size --producer-props $tuned_props
phase "produce, tuned: Akka client" "Akka client: perf produce, $tuned_props" produce yes \
  $AB perf produce --bootstrap-server "$BS" --topic at --num-records "$n" --record-size $size --throughput -1 --producer-props $tuned_props
phase "consume: mock" "mock: Confluent.Kafka consume (filled with librdkafka defaults, $default_props)" consume no \
  $KB consume --bootstrap-servers mock --topic kd --partitions "$parts" --num-records "$n" --record-size $size --producer-props $default_props
phase "consume: Kafka listener" "Kafka listener: Confluent.Kafka consume (topic kd, written with librdkafka defaults)" consume yes \
  $KB consume --bootstrap-servers "$KBS" --topic kd --num-records "$n"
phase "consume: Akka client" "Akka client: perf consume (topic kd, as the Kafka consumer above)" consume yes \
  $AB perf consume --bootstrap-server "$BS" --topic kd --messages "$n"
# librdkafka stops fetching a partition for fetch.queue.backoff.ms (1000) once its prefetch queue is over
# queued.min.messages, so with its defaults a broker that answers faster than the application reads leaves the
# consumer idle; the same three with that backoff short measure the path to the broker rather than that pause.
phase "consume, short backoff: mock" "mock: Confluent.Kafka consume, $backoff_props" consume no \
  $KB consume --bootstrap-servers mock --topic kd --partitions "$parts" --num-records "$n" --record-size $size --producer-props $default_props --consumer-props $backoff_props
phase "consume, short backoff: Kafka listener" "Kafka listener: Confluent.Kafka consume, $backoff_props" consume yes \
  $KB consume --bootstrap-servers "$KBS" --topic kd --num-records "$n" --consumer-props $backoff_props
phase "consume, short backoff: Akka client" "Akka client: perf consume (as above)" consume yes \
  $AB perf consume --bootstrap-server "$BS" --topic kd --messages "$n"

echo
echo "load:$(uptime | sed 's/.*load average://')"
echo "(defaults: each client's own, with $default_props; tuned: $tuned_props; short backoff: $backoff_props; CPU: user + system seconds of the"
echo " broker process and of the client process, for the mock the mock broker inside it, and per record)"
printf '%-40s %10s %9s %8s %9s %8s\n' "" "records/s" "broker s" "µs/rec" "client s" "µs/rec"
for row in "${rows[@]}"; do
  IFS='|' read -r label rate broker_s client <<< "$row"
  awk -v l="$label" -v r="$rate" -v b="$broker_s" -v c="$client" -v n="$n" 'BEGIN {
    bu = (b == "-") ? "-" : sprintf("%.2f", b * 1e6 / n)
    printf "%-40s %10.0f %9s %8s %9.1f %8.2f\n", l, r, b, bu, c, c * 1e6 / n }'
done
# Rows come in threes per workload: mock, Kafka listener, Akka client.
echo "Kafka listener against the targets (at least 0.5 of the mock, at least 1.0 of the Akka client):"
for i in 0 3 6 9; do
  IFS='|' read -r label mock _ _ <<< "${rows[i]}"
  IFS='|' read -r _ kafka _ _ <<< "${rows[i + 1]}"
  IFS='|' read -r _ akka _ _ <<< "${rows[i + 2]}"
  awk -v l="${label%%:*}" -v m="$mock" -v k="$kafka" -v a="$akka" \
    'BEGIN { printf "  %-24s %.2f of the mock, %.2f of the Akka client\n", l ":", k / m, k / a }'
done
