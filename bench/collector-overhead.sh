#!/usr/bin/env bash
# Collector overhead benchmark (not part of the build; figures in collector/README.md). Needs root.
#   bench/collector-overhead.sh [REQUESTS] [ROUNDS]
# A keep-alive HTTPS client/server pair on loopback (CPython, system libssl: both sides probed),
# REQUESTS GET /small over one connection, the median of ROUNDS runs per mode:
#   (a) no collector  (b) collector attached  (c) attached, filtered out by --pid (per-PID uprobes)
#   (d) attached, filtered out in the kernel by --comm (every call still traps)
# then a ramp of parallel clients with the collector on, reading /status for the event rate and
# kernel drops. A real broker (child JVM) receives the events.
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
REQUESTS="${1:-20000}"
ROUNDS="${2:-3}"
STATUS_PORT=28399
work=$(mktemp -d /tmp/collector-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

./mvnw -B -q -f collector/pom.xml test-compile
./mvnw -B -q -f collector/pom.xml dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/collector-bench.classpath >/dev/null
CP="collector/target/test-classes:collector/target/classes:$(cat collector/target/collector-bench.classpath)"
JAVA=("$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow
  -Dlog4j2.configurationFile=collector/src/test/resources/log4j2-test.xml -cp "$CP")

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 1 \
  -subj /CN=localhost 2>/dev/null
coproc BROKER { "${JAVA[@]}" io.ecapture.kafka.collector.bench.BenchBroker "$work/kafka" 2>"$work/broker.err"; }
pids+=("$BROKER_PID")
read -r bootstrap <&"${BROKER[0]}"
echo "broker at $bootstrap"

python3 bench/collector/https_server.py "$work/cert.pem" "$work/key.pem" >"$work/server.port" &
pids+=($!)
while [ ! -s "$work/server.port" ]; do sleep 0.1; done
port=$(cat "$work/server.port")
sleep 1000 & unrelated=$!
pids+=("$unrelated")

median_run() { # prints "req_per_s us_per_req" of the median round (by req/s)
  for _ in $(seq "$ROUNDS"); do python3 bench/collector/https_client.py "$port" "$REQUESTS"; done \
    | sort -n | sed -n "$(( (ROUNDS + 1) / 2 ))p"
}
start_collector() {
  "${JAVA[@]}" io.ecapture.kafka.collector.CollectorCommand --bootstrap "$bootstrap" --host-id bench \
    --status-port "$STATUS_PORT" --spool-dir "$work/spool" --discover-interval-s 0 --stats-interval-s 60 "$@" \
    >"$work/collector.log" 2>&1 &
  collector=$!
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$STATUS_PORT/status" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "collector did not start; see $work/collector.log" >&2; cat "$work/collector.log" >&2; exit 1
}
stop_collector() { kill "$collector"; wait "$collector" 2>/dev/null || true; }
field() { sed -E "s/.*\"$1\":(-?[0-9]+).*/\1/"; }

read -r a_rate a_us <<<"$(median_run)"
start_collector; read -r b_rate b_us <<<"$(median_run)"
status_b=$(curl -s "http://127.0.0.1:$STATUS_PORT/status"); stop_collector
start_collector --pid "$unrelated"; read -r c_rate c_us <<<"$(median_run)"; stop_collector
start_collector --comm no-such-comm; read -r d_rate d_us <<<"$(median_run)"; stop_collector

ratio() { awk -v x="$1" -v y="$2" 'BEGIN { printf "%.3f", x / y }'; }
added() { awk -v x="$1" -v y="$2" 'BEGIN { printf "%.1f", x - y }'; }
calls=$(field sslCalls <<<"$status_b"); hits=$(field uprobeHits <<<"$status_b")
echo
echo "keep-alive HTTPS, $REQUESTS requests over one connection, median of $ROUNDS rounds"
printf '%-44s %8s req/s %8s us/req\n' "(a) no collector" "$a_rate" "$a_us"
printf '%-44s %8s req/s %8s us/req  b/a=%s  +%s us/req\n' "(b) collector attached" "$b_rate" "$b_us" "$(ratio "$b_rate" "$a_rate")" "$(added "$b_us" "$a_us")"
printf '%-44s %8s req/s %8s us/req  c/a=%s  +%s us/req\n' "(c) attached, other pid (--pid)" "$c_rate" "$c_us" "$(ratio "$c_rate" "$a_rate")" "$(added "$c_us" "$a_us")"
printf '%-44s %8s req/s %8s us/req  d/a=%s  +%s us/req\n' "(d) attached, filtered in kernel (--comm)" "$d_rate" "$d_us" "$(ratio "$d_rate" "$a_rate")" "$(added "$d_us" "$a_us")"
echo "(b) SSL calls seen $calls, uprobe hits $hits ($(ratio "$hits" "$calls") per SSL call)," \
  "captured $(field captured <<<"$status_b"), dropped in kernel $(field droppedInKernel <<<"$status_b")"

echo
echo "ramp: parallel keep-alive clients with the collector on (events/s = captured records / wall time)"
start_collector
for clients in 1 2 4 8; do
  before=$(curl -s "http://127.0.0.1:$STATUS_PORT/status")
  t0=$(date +%s.%N)
  cpids=()
  for _ in $(seq "$clients"); do python3 bench/collector/https_client.py "$port" "$REQUESTS" >/dev/null & cpids+=($!); done
  wait "${cpids[@]}"
  t1=$(date +%s.%N)
  sleep 0.3
  after=$(curl -s "http://127.0.0.1:$STATUS_PORT/status")
  events=$(( $(field captured <<<"$after") - $(field captured <<<"$before") ))
  drops=$(( $(field droppedInKernel <<<"$after") - $(field droppedInKernel <<<"$before") ))
  rate=$(awk -v e="$events" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", e / (b - a) }')
  echo "  $clients clients: $events events, $rate events/s, kernel drops $drops"
  [ "$drops" -gt 0 ] && break
done
stop_collector
