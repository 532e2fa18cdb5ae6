#!/usr/bin/env bash
# CPU per record and where it goes, in the broker and in the client, as docs/benchmarks.md reports them.
# Usage: benchmarks/profile.sh [produce|consume]
#   produce: one producer with Kafka's default producer settings (batch.size 16 KiB, linger.ms 5), acks=1, into a
#            6-partition topic, 100-byte records (RECORDS, default 3,000,000), after a warm-up of WARMUP records
#            (default 500,000).
#   consume: one consumer reading them back (default settings).
# PRODUCER_PROPS (default "acks=1") replaces the producer's settings, e.g. "acks=1 batch.size=262144 linger.ms=10";
# TRACE=0 measures CPU without a profiler attached; TRACE=perf samples both processes with Linux perf (kernel and
# native frames included, JIT frames named through DOTNET_PerfMapEnabled) into $TRACE_DIR/{broker,client}-$what.perf.data.
# Starts its own broker on port 19292 with a fresh data directory and stops it at the end. dotnet-trace and
# dotnet-counters come from .config/dotnet-tools.json (dotnet tool restore). Traces stay in TRACE_DIR (default /tmp).
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-produce}
props=${PRODUCER_PROPS:-acks=1}
trace=${TRACE:-1}
records=${RECORDS:-3000000}
warmup=${WARMUP:-500000}
out=${TRACE_DIR:-/tmp}
dotnet tool restore >/dev/null
dotnet build src/Host -c Release -v q -nologo >/dev/null
# AKKABROKER_DLL runs another build of the broker and tools (a ReadyToRun publish, say) instead of the Release build.
AB="dotnet ${AKKABROKER_DLL:-src/Host/bin/Release/net10.0/akkabroker.dll}"
BS=127.0.0.1:19292
data=$(mktemp -d /tmp/akkabroker-profile.XXXXXX)
printf "akkabroker.broker.metrics.prometheus.port = 0\nakkabroker.broker.offsets.topic.replication.factor = 1\n" > "$data/bench.conf"
# W^X off: with it on, JIT code runs from an anonymous double mapping that perf cannot name.
[[ $trace == perf ]] && export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
$AB serve --port 19292 --cluster-port 0 --data-dir "$data/d" --config "$data/bench.conf" > "$data/broker.log" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null || true; wait $broker 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 120); do grep -q '^ready' "$data/broker.log" && break; sleep 0.5; done
grep -q '^ready' "$data/broker.log" || { cat "$data/broker.log"; exit 1; }

# CPU seconds (user + system) a process has used, from /proc.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }

$AB topics create --bootstrap-server $BS --topic p6 --partitions 6 >/dev/null
echo "== warm-up: $warmup records (not measured)"
$AB perf produce --bootstrap-server $BS --topic p6 --num-records "$warmup" --record-size 100 --throughput -1 --producer-props $props \
    | grep -E 'records sent,.*99th'

if [[ $what == produce ]]; then
  client_cmd=($AB perf produce --bootstrap-server $BS --topic p6 --num-records "$records" --record-size 100 --throughput -1 --producer-props $props)
else
  $AB perf produce --bootstrap-server $BS --topic p6 --num-records "$records" --record-size 100 --throughput -1 --producer-props $props >/dev/null
  client_cmd=($AB perf consume --bootstrap-server $BS --topic p6 --messages "$records")
fi
echo "== $what: $records records of 100 bytes, 6 partitions, producer settings: $props"
before=$(cpu $broker)
"${client_cmd[@]}" > "$data/client.txt" &
client=$!
# The client's CPU is read until it exits (its /proc entry goes with it).
( while kill -0 $client 2>/dev/null; do cpu $client > "$data/client.cpu.next" 2>/dev/null && mv "$data/client.cpu.next" "$data/client.cpu"; sleep 0.1; done ) &
sampler=$!
sleep 1
tracer=; broker_tracer=
if [[ $trace == perf ]]; then
  perf record -F 997 -g -p $client -o "$out/client-$what.perf.data" -- sleep 8 >/dev/null 2>&1 &
  tracer=$!
  perf record -F 997 -g -p $broker -o "$out/broker-$what.perf.data" -- sleep 8 >/dev/null 2>&1 &
  broker_tracer=$!
elif [[ $trace == 1 ]]; then
# Eight seconds of the run (or less, if it ends first), sampled every millisecond (threads that wait are sampled too:
# benchmarks/TraceTop reports only the samples of running threads).
dotnet tool run dotnet-trace collect -p $client --profile dotnet-sampled-thread-time --duration 00:00:00:08 -o "$out/client-$what.nettrace" >/dev/null 2>&1 &
tracer=$!
dotnet tool run dotnet-trace collect -p $broker --profile dotnet-sampled-thread-time --duration 00:00:00:08 -o "$out/broker-$what.nettrace" >/dev/null 2>&1 &
broker_tracer=$!
fi
wait $client
after=$(cpu $broker)
wait $sampler
[[ -n $tracer ]] && { wait $tracer || true; }
[[ -n $broker_tracer ]] && { wait $broker_tracer || true; }
client_cpu=$(cat "$data/client.cpu" 2>/dev/null || echo 0)
grep -E 'records sent|records/sec|^[0-9]' "$data/client.txt" | tail -2
awk -v b="$before" -v a="$after" -v c="$client_cpu" -v n="$records" 'BEGIN {
  printf "broker CPU: %.2f s = %.2f us per record; client CPU (whole process, start included): %.2f s = %.2f us per record\n", a - b, (a - b) * 1e6 / n, c, c * 1e6 / n }'
if [[ $trace == perf ]]; then echo "profiles: perf report -i $out/broker-$what.perf.data --no-children --sort dso,sym (and client-$what)"; fi
if [[ $trace == 1 ]]; then echo "traces: $out/broker-$what.nettrace, $out/client-$what.nettrace"; fi
