#!/usr/bin/env bash
# TLS on the client endpoint against plain, as docs/benchmarks.md describes: one broker each way, the same producer and
# consumer runs alternating. Certificates are made here with openssl (a throwaway authority). Usage: benchmarks/tls.sh [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
dotnet build src/Host -c Release -v q -nologo >/dev/null
AB="dotnet src/Host/bin/Release/net10.0/akkabroker.dll"
data=$(mktemp -d /tmp/akkabroker-tls-bench.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$data"' EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench-ca \
  -keyout "$data/ca.key" -out "$data/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=broker -keyout "$data/broker.key" -out "$data/broker.csr" 2>/dev/null
printf "subjectAltName=IP:127.0.0.1\n" > "$data/san.ext"
openssl x509 -req -in "$data/broker.csr" -CA "$data/ca.pem" -CAkey "$data/ca.key" -CAcreateserial -days 2 -extfile "$data/san.ext" \
  -out "$data/broker.pem" 2>/dev/null

printf "akkabroker.broker.metrics.prometheus.port = 0\nakkabroker.broker.listeners = \"\"\n" > "$data/plain.conf"
cp "$data/plain.conf" "$data/tls.conf"
printf 'akkabroker.broker.client-endpoint.ssl { enabled = on, keystore.location = "%s", key.location = "%s" }\n' \
  "$data/broker.pem" "$data/broker.key" >> "$data/tls.conf"
printf "security.protocol=SSL\nssl.ca.location=%s\n" "$data/ca.pem" > "$data/client-tls.properties"
: > "$data/client-plain.properties"

start() { # name port
  $AB serve --port "$2" --cluster-port 0 --data-dir "$data/$1" --config "$data/$1.conf" > "$data/$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 120); do grep -q '^ready' "$data/$1.log" && return; sleep 0.5; done
  cat "$data/$1.log"; exit 1
}
start plain 19611
start tls 19612
for mode in plain tls; do
  port=$([[ $mode == plain ]] && echo 19611 || echo 19612)
  $AB topics create --bootstrap-server 127.0.0.1:$port --topic p6 --partitions 6 --command-config "$data/client-$mode.properties" > /dev/null
done
for round in $(seq 1 "$rounds"); do
  for mode in plain tls; do
    port=$([[ $mode == plain ]] && echo 19611 || echo 19612)
    echo "$mode produce (round $round): $($AB perf produce --bootstrap-server 127.0.0.1:$port --topic p6 --num-records 1000000 --record-size 100 \
      --throughput -1 --producer.config "$data/client-$mode.properties" | grep 'records/sec' | tail -1)"
  done
done
for mode in plain tls; do
  port=$([[ $mode == plain ]] && echo 19611 || echo 19612)
  echo "$mode consume: $($AB perf consume --bootstrap-server 127.0.0.1:$port --topic p6 --messages $((rounds * 1000000)) \
    --consumer.config "$data/client-$mode.properties" | tail -1)"
done
