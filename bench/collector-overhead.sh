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
REQUESTS="${1:-20000}"
ROUNDS="${2:-3}"
STATUS_PORT=28399
WORK_PREFIX=collector-bench
source bench/collector/common.sh
start_broker
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

read -r a_rate a_us <<<"$(median_run)"
start_collector; read -r b_rate b_us <<<"$(median_run)"
status_b=$(status); stop_collector
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
