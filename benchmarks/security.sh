#!/usr/bin/env bash
# Authentication and ACLs against none, as docs/benchmarks.md describes: one broker open, one requiring SASL/SCRAM-SHA-512
# with ACLs checked on every request (the client a user granted Write, Read and its group by ACL), the same producer and
# consumer runs alternating between them. Usage: benchmarks/security.sh [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
dotnet build src/Host -c Release -v q -nologo >/dev/null
AB="dotnet src/Host/bin/Release/net10.0/akkabroker.dll"
data=$(mktemp -d /tmp/akkabroker-security-bench.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$data"' EXIT

printf "akkabroker.broker.metrics.prometheus.port = 0\nakkabroker.broker.listeners = \"\"\n" > "$data/open.conf"
cp "$data/open.conf" "$data/secure.conf"
cat >> "$data/secure.conf" <<'CONF'
akkabroker.broker.client-endpoint.sasl.enabled = on
akkabroker.broker.authorizer.class.name = StandardAuthorizer
akkabroker.broker.super.users = "User:admin"
akkabroker.broker.sasl.add-scram = ["SCRAM-SHA-512=[name=admin,password=admin-secret]", "SCRAM-SHA-512=[name=bench,password=bench-secret]"]
CONF
printf "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\nsasl.username=admin\nsasl.password=admin-secret\n" > "$data/admin-secure.properties"
printf "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\nsasl.username=bench\nsasl.password=bench-secret\n" > "$data/client-secure.properties"
: > "$data/admin-open.properties"
: > "$data/client-open.properties"

start() { # name port
  $AB serve --port "$2" --cluster-port 0 --data-dir "$data/$1" --config "$data/$1.conf" > "$data/$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 120); do grep -q '^ready' "$data/$1.log" && return; sleep 0.5; done
  cat "$data/$1.log"; exit 1
}
start open 19621
start secure 19622
for mode in open secure; do
  port=$([[ $mode == open ]] && echo 19621 || echo 19622)
  # The secure broker checks logins once it has read the cluster metadata: retried until then.
  for _ in $(seq 1 60); do
    $AB topics create --bootstrap-server 127.0.0.1:$port --topic p6 --partitions 6 --command-config "$data/admin-$mode.properties" > /dev/null 2>&1 && break
    sleep 0.5
  done
done
$AB acls add --bootstrap-server 127.0.0.1:19622 --command-config "$data/admin-secure.properties" --allow-principal User:bench \
  --producer --consumer --topic p6 --group '*' > /dev/null
for round in $(seq 1 "$rounds"); do
  for mode in open secure; do
    port=$([[ $mode == open ]] && echo 19621 || echo 19622)
    echo "$mode produce (round $round): $($AB perf produce --bootstrap-server 127.0.0.1:$port --topic p6 --num-records 1000000 --record-size 100 \
      --throughput -1 --producer.config "$data/client-$mode.properties" | grep 'records/sec' | tail -1)"
  done
done
for mode in open secure; do
  port=$([[ $mode == open ]] && echo 19621 || echo 19622)
  echo "$mode consume: $($AB perf consume --bootstrap-server 127.0.0.1:$port --topic p6 --messages $((rounds * 1000000)) \
    --consumer.config "$data/client-$mode.properties" | tail -1)"
done
