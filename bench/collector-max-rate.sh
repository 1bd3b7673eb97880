#!/usr/bin/env bash
# Highest event rate the collector sustains without kernel-side loss (not part of the build;
# figures in collector/README.md). Needs root.
#   bench/collector-max-rate.sh [STEP_SECONDS] [THREADS]
# Load: bench/collector/ssl_flood.c (C, system libssl), THREADS TLS connections on loopback, each
# SSL_write of 128 B is one captured event (the server side drains ciphertext with plain recv()).
# First the generator's no-collector maximum, then, for a 16 MiB ring (default) and a 1 MiB ring
# (the smallest --ring-buffer-mb), a ramp of offered rates ending unpaced with THREADS and 2x THREADS
# writers ("max", "max2x"), reading
# /status before and after each step: captured events/s, kernel drops, and whether the Kafka
# side keeps up (backlog = captured - sent once the step's events are read; key-log lines are sent
# too, so a producer that keeps up shows a small negative number; send errors).
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
STEP_S="${1:-6}"
THREADS="${2:-2}"
STEPS=(25000 50000 100000 150000 200000 300000 max max2x) # max: unpaced; max2x: unpaced, 2x threads
STATUS_PORT=28398
work=$(mktemp -d /tmp/collector-maxrate.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

if [ ! -f /usr/include/openssl/ssl.h ]; then
  [ "$(id -u)" -eq 0 ] || { echo "libssl-dev missing; run as root" >&2; exit 1; }
  apt-get install -y -q libssl-dev >/dev/null
fi
gcc -O2 -o "$work/ssl_flood" bench/collector/ssl_flood.c -lssl -lcrypto -lpthread
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 1 \
  -subj /CN=localhost 2>/dev/null
flood() { "$work/ssl_flood" "$work/cert.pem" "$work/key.pem" "${2:-$THREADS}" "$STEP_S" "$1" 128; }

./mvnw -B -q -f collector/pom.xml test-compile
./mvnw -B -q -f collector/pom.xml dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/collector-bench.classpath >/dev/null
CP="collector/target/test-classes:collector/target/classes:$(cat collector/target/collector-bench.classpath)"
JAVA=("$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow
  -Dlog4j2.configurationFile=collector/src/test/resources/log4j2-test.xml -cp "$CP")

echo "load before start: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
read -r _ _ base_rate <<<"$(flood 0)"
echo "no collector: $THREADS threads unpaced, $base_rate SSL_write/s"

coproc BROKER { "${JAVA[@]}" io.ecapture.kafka.collector.bench.BenchBroker "$work/kafka" 2>"$work/broker.err"; }
pids+=("$BROKER_PID")
read -r bootstrap <&"${BROKER[0]}"

start_collector() {
  "${JAVA[@]}" io.ecapture.kafka.collector.CollectorCommand --bootstrap "$bootstrap" --host-id bench \
    --status-port "$STATUS_PORT" --spool-dir "$work/spool" --discover-interval-s 0 --stats-interval-s 60 "$@" \
    >"$work/collector.log" 2>&1 &
  collector=$!
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$STATUS_PORT/status" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "collector did not start; see $work/collector.log" >&2; cat "$work/collector.log" >&2; exit 1
}
stop_collector() { kill "$collector"; wait "$collector" 2>/dev/null || true; }
status() { curl -s "http://127.0.0.1:$STATUS_PORT/status"; }
field() { sed -E "s/.*\"$1\":(-?[0-9]+).*/\1/"; }
settle() { # until the collector has read every event of the step (captured stops moving)
  local prev=-1 cur
  while :; do cur=$(status | field captured); [ "$cur" = "$prev" ] && break; prev=$cur; sleep 0.5; done
}

for ring in 16 1; do
  start_collector --ring-buffer-mb "$ring"
  "$work/ssl_flood" "$work/cert.pem" "$work/key.pem" 1 3 20000 128 >/dev/null # warm-up (JIT), not reported
  settle
  max_ok=none; first_drop=none
  echo
  echo "collector on, ring ${ring} MiB, $THREADS threads, ${STEP_S} s steps"
  printf '  %-9s %12s %12s %12s %12s %9s %8s\n' offered offered/s captured/s dropped captured/call backlog sendErrors
  for label in "${STEPS[@]}"; do
    before=$(status)
    case "$label" in
      max) args=(0) ;;
      max2x) args=(0 $((THREADS * 2))) ;;
      *) args=("$label") ;;
    esac
    read -r calls secs offered <<<"$(flood "${args[@]}")"
    settle
    after=$(status)
    d() { echo $(( $(field "$1" <<<"$after") - $(field "$1" <<<"$before") )); }
    captured=$(d captured); drops=$(d droppedInKernel); send_errors=$(d sendErrors)
    backlog=$(( $(field captured <<<"$after") - $(field sent <<<"$after") ))
    cap_rate=$(awk -v e="$captured" -v s="$secs" 'BEGIN { printf "%.0f", e / s }')
    per_call=$(awk -v e="$captured" -v c="$calls" 'BEGIN { printf "%.3f", e / c }')
    printf '  %-9s %12s %12s %12s %12s %9s %8s\n' "$label" "$offered" "$cap_rate" "$drops" "$per_call" "$backlog" "$send_errors"
    if [ "$drops" -eq 0 ]; then [ "$first_drop" = none ] && max_ok="$offered/s (step $label)"
    elif [ "$first_drop" = none ]; then first_drop="$offered/s (step $label)"; fi
  done
  echo "  ring ${ring} MiB: highest step without kernel drops $max_ok; first step with drops $first_drop"
  echo "  (last step vs no collector: $(awk -v x="$offered" -v y="$base_rate" 'BEGIN { printf "%.3f", x / y }'))"
  stop_collector
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
