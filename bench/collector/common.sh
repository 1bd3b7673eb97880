# Shared by the collector benchmarks (sourced, not run). Before sourcing set STATUS_PORT and
# WORK_PREFIX; afterwards: $work (removed on exit), pids (killed on exit), JAVA (bench_java of
# bench/lib.sh: the collector's classes, test helpers and benchmarks, src/bench/java, on the class
# path), $work/cert.pem + key.pem, start_broker, start_collector ARGS..., stop_collector, status,
# field NAME.
source bench/lib.sh
work=$(mktemp -d "/tmp/$WORK_PREFIX.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

bench_java collector

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 1 \
  -subj /CN=localhost 2>/dev/null

# A real broker in a child JVM; sets $bootstrap.
start_broker() {
  # exec: BROKER_PID must be the JVM itself, or the cleanup leaves it running
  coproc BROKER { exec "${JAVA[@]}" io.ecapture.kafka.collector.bench.BenchBroker "$work/kafka" 2>"$work/broker.err"; }
  pids+=("$BROKER_PID")
  read -r bootstrap <&"${BROKER[0]}"
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
status() { curl -s "http://127.0.0.1:$STATUS_PORT/status"; }
field() { sed -E "s/.*\"$1\":(-?[0-9]+).*/\1/"; }
