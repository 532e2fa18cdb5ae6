#!/usr/bin/env bash
# Mutual TLS on the cluster endpoint against plain, as docs/benchmarks.md describes: benchmarks/cluster.sh (three
# brokers, replication factor 3, acks=1 and acks=all, then consuming back) run alternately without and with TLS between
# the brokers (clients connect plainly to both). Certificates are made here with openssl (a throwaway authority).
# Usage: benchmarks/tls-cluster.sh [rounds]; N=records per run (default 2,000,000).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
export N=${N:-2000000}
certs=$(mktemp -d /tmp/akkabroker-tls-cluster-bench.XXXXXX)
trap 'rm -rf "$certs"' EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench-cluster-ca \
  -keyout "$certs/ca.key" -out "$certs/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=broker -keyout "$certs/node.key" -out "$certs/node.csr" 2>/dev/null
printf "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n" > "$certs/san.ext"
openssl x509 -req -in "$certs/node.csr" -CA "$certs/ca.pem" -CAkey "$certs/ca.key" -CAcreateserial -days 2 -extfile "$certs/san.ext" \
  -out "$certs/node.pem" 2>/dev/null
printf 'akkabroker.broker.cluster-endpoint.ssl { enabled = on, keystore.location = "%s", key.location = "%s", truststore.location = "%s" }\n' \
  "$certs/node.pem" "$certs/node.key" "$certs/ca.pem" > "$certs/tls.conf"
: > "$certs/plain.conf"

for round in $(seq 1 "$rounds"); do
  for mode in plain tls; do
    echo "######## $mode between the brokers, round $round"
    EXTRA_CONF="$certs/$mode.conf" benchmarks/cluster.sh produce
  done
done
