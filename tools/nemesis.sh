#!/usr/bin/env bash
# Runs the nemesis workload (docs/nemesis.md): three brokers under kill -9, SIGSTOP/SIGCONT and link cuts while an
# acks=all producer and a consumer group run, then checks the final log. Prints the report and exits non-zero when a
# count is not zero or a broker did not come back.
#   tools/nemesis.sh [--duration SECONDS] [--seed N] [--no-link-cuts] [--report FILE]
set -euo pipefail
cd "$(dirname "$0")/.."

duration=600
seed=""
report="$(mktemp -t nemesis-report.XXXXXX)"
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --no-link-cuts) export AKKABROKER_NEMESIS_LINK_CUTS=0; shift ;;
    --report) report="$2"; shift 2 ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "error: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
done
case "$duration" in ''|*[!0-9]*) echo "error: --duration must be a whole number of seconds, got '$duration'" >&2; exit 2 ;; esac

export AKKABROKER_NEMESIS_SECONDS="$duration" AKKABROKER_NEMESIS_REPORT="$report"
[ -n "$seed" ] && export AKKABROKER_NEMESIS_SEED="$seed"
if [ "$(id -u)" != 0 ] && [ "${AKKABROKER_NEMESIS_LINK_CUTS:-}" != 0 ]; then
  echo "note: not root, so no network namespaces: the run goes without link cuts" >&2
fi

# The test project builds the broker (src/Host) it starts.
dotnet build tests/AkkaBroker.EndToEnd.Tests -c Release -v quiet -nologo
status=0
dotnet test tests/AkkaBroker.EndToEnd.Tests -c Release --no-build -nologo \
  --filter "FullyQualifiedName~AkkaBroker.EndToEnd.Tests.Nemesis.NemesisTests" >"$report.test-output" 2>&1 || status=$?
if [ -s "$report" ]; then
  cat "$report"
else
  # The test ended before it wrote a report (e.g. it could not build or start): show why.
  cat "$report.test-output"
fi
echo "report: $report; test output: $report.test-output"
exit "$status"
