#!/usr/bin/env bash
# CPU an idle `ecapture-kafka up` uses (no traffic): the launcher JVM and its broker child JVM,
# in % of one core over SECONDS, from utime+stime in /proc/PID/stat, plus the busiest threads of
# each so a polling thread is easy to spot. Needs root (the collector's eBPF) and a built
# fleet-launcher/target/ecapture-kafka.jar (./ecapture-kafka build). Not part of the build.
#   bench/idle-cpu.sh [SECONDS [SETTLE_SECONDS]] [-- extra up options]
# SETTLE_SECONDS (default 15) pass after `up` reported it is up and before measuring: start-up
# work (JIT, topic creation, the first rebalance) is not idle cost. UP_CLASSPATH, when set, runs
# `up` from that class path instead of the jar (e.g. module target/classes ahead of target/lib/*).
# On a machine where other processes make TLS calls, `up` is not idle: EMPTY_CGROUP=1 restricts
# capture to a new, empty cgroup (`up --cgroup`), so those calls are filtered in the kernel and
# nothing reaches the collector. The last status line tells what flowed during the run.
# TOP_THREADS=N lists the N busiest threads of each JVM (default 8). WINDOWS=N measures N
# consecutive windows of SECONDS each (default 1), so one run shows the JIT's share shrink.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_MEASURE="${1:-60}"
SETTLE="${2:-15}"
shift $(( $# > 2 ? 2 : $# ))
[[ "${1:-}" == "--" ]] && shift
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
JAR=fleet-launcher/target/ecapture-kafka.jar
if [[ -n "${UP_CLASSPATH:-}" ]]; then
  launch=(-cp "$UP_CLASSPATH" io.ecapture.kafka.launcher.Main)
else
  [[ -f "$JAR" ]] || { echo "no $JAR: build first (./ecapture-kafka build)" >&2; exit 1; }
  launch=(-jar "$JAR")
fi

work="$(mktemp -d /tmp/idle-cpu.XXXXXX)"
up_pid=""
cgroup=""
cleanup() {
  if [[ -n "$up_pid" ]] && kill -0 "$up_pid" 2>/dev/null; then
    kill -TERM "$up_pid"; wait "$up_pid" 2>/dev/null || true
  fi
  [[ -n "$cgroup" ]] && rmdir "$cgroup" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
if [[ "${EMPTY_CGROUP:-0}" == 1 ]]; then
  mount_point="$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)"
  [[ -n "$mount_point" ]] || { echo "EMPTY_CGROUP=1 needs a cgroup2 mount" >&2; exit 1; }
  cgroup="$mount_point/ecapture-idle-bench-$$"
  mkdir "$cgroup"
  set -- --cgroup "${cgroup#"$mount_point"}" "$@"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
kafka_port="$(free_port)"
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  "${launch[@]}" up --data-dir "$work/data" --kafka-port "$kafka_port" --listen 127.0.0.1:0 \
  --collector-status-port -1 --status-interval-s 5 "$@" >"$work/up.out" 2>"$work/up.err" &
up_pid=$!
for _ in $(seq 180); do
  grep -q "ecapture-kafka is up" "$work/up.out" 2>/dev/null && break
  kill -0 "$up_pid" 2>/dev/null || { echo "up exited:" >&2; tail -20 "$work/up.err" >&2; exit 1; }
  sleep 1
done
grep -q "ecapture-kafka is up" "$work/up.out" || { echo "up did not start in 180 s" >&2; exit 1; }
# the broker child runs EmbeddedKafkaMain (the collector's hold guard is another child JVM)
broker_pid="$(pgrep -P "$up_pid" -f EmbeddedKafkaMain | head -1 || true)"
grep "capture  " "$work/up.out" | sed 's/^ */up: /' || true
sleep "$SETTLE"

hz="$(getconf CLK_TCK)"
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }  # comm has no spaces here ("java")
threads() {  # tid ticks name, for every thread of $1
  local t
  for t in /proc/"$1"/task/*; do
    [[ -r "$t/stat" ]] || continue
    printf '%s %s %s\n' "${t##*/}" "$(sed 's/.*) //' "$t/stat" | awk '{ print $12 + $13 }')" \
      "$(tr ' ' '_' <"$t/comm")"
  done 2>/dev/null
}
pids=("$up_pid"); names=(launcher)
[[ -n "$broker_pid" ]] && { pids+=("$broker_pid"); names+=(broker); }
pct() { awk -v u="$1" -v hz="$hz" -v s="$SECONDS_TO_MEASURE" 'BEGIN { printf "%.2f", 100 * u / hz / s }'; }
declare -A before
for window in $(seq "${WINDOWS:-1}"); do
for i in "${!pids[@]}"; do
  before[$i]="$(ticks "${pids[$i]}")"
  threads "${pids[$i]}" >"$work/threads.$i.before"
done
sleep "$SECONDS_TO_MEASURE"
total=0
jit=0
echo "idle CPU of ecapture-kafka up over ${SECONDS_TO_MEASURE} s (window ${window} of ${WINDOWS:-1}, after ${SETTLE} s settling; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)):"
for i in "${!pids[@]}"; do
  after="$(ticks "${pids[$i]}")"
  used=$(( after - ${before[$i]} ))
  total=$(( total + used ))
  threads "${pids[$i]}" >"$work/threads.$i.after"
  printf '  %-8s pid %-7s %6.2f %% of a core\n' "${names[$i]}" "${pids[$i]}" "$(pct "$used")"
  # busiest threads: ticks used during the window, by thread name
  join <(sort "$work/threads.$i.before") <(sort "$work/threads.$i.after") \
    | awk '{ d = $4 - $2; if (d > 0) print d, $3 }' >"$work/used.$i"
  awk -v hz="$hz" -v s="$SECONDS_TO_MEASURE" '{ printf "      %6.2f %%  %s\n", 100 * $1 / hz / s, $2 }' \
    "$work/used.$i" | sort -rn | head -"${TOP_THREADS:-8}"
  jit=$(( jit + $(awk '$2 ~ /^C[12]_CompilerThre/ { t += $1 } END { print t + 0 }' "$work/used.$i") ))
done
printf '  total                %6.2f %% of a core\n' "$(pct "$total")"
# the JIT compiler threads still compile code the idle loops made hot minutes after start; that
# cost ends as the JVMs warm up (later windows, or a longer SETTLE_SECONDS, show it shrink)
printf '  of which JIT         %6.2f %%; without it %.2f %%\n' "$(pct "$jit")" "$(pct $(( total - jit )))"
done
echo "last status: $(grep '^status:' "$work/up.err" | tail -1 \
  | grep -oE 'collector\[captured=[0-9]+|processor\[[A-Z_]+ in=[0-9]+ out=[0-9]+' | tr '\n' ' ')"
