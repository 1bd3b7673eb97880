#!/usr/bin/env bash
# The collector's own footprint, as a fleet operator sizes an agent (not part of the build; figures
# in collector/README.md). Needs root.
#   bench/collector-footprint.sh [WINDOW_SECONDS [ROUNDS]]
# A real broker (child JVM) and a real collector (default options: discovery every 15 s, exec
# watch and its hold guard, spool), measured in windows of WINDOW_SECONDS (default 60):
#   idle  no captured traffic
#   1k    ~1,000 captured events/s
#   10k   ~10,000 captured events/s
# The load is bench/collector/ssl_flood.c (C, system libssl): one TLS connection on loopback,
# SSL_write of 128 B paced to the target rate; each call is one captured event, and the achieved
# rate is the collector's own "captured" counter (/status) over the window. CPU is utime+stime of
# the collector and every descendant (the hold guard) from /proc/PID/stat over the window, in
# cores; RSS is VmRSS summed over the same processes (peak of 5 s samples), PSS from smaps_rollup.
# Before the windows, 20 s at 10k/s warm the JIT up and SETTLE (default 30) s pass (not reported).
# Each round runs the collector twice, once with the agent flags (AGENT_FLAGS below, the ones
# ./ecapture-kafka collector and the deploy files use) and once with the JVM's defaults; prints
# every window, then per flag set and window the median and the range over ROUNDS (default 3).
# The collector captures only a new, empty cgroup that the load runs in, so other processes'
# TLS calls on a shared machine are filtered in the kernel (they still hit the uprobes).
set -euo pipefail
cd "$(dirname "$0")/.."
WINDOW="${1:-60}"
ROUNDS="${2:-3}"
SETTLE="${SETTLE:-30}"
FLAG_SETS="${FLAG_SETS:-agent default}" # FLAG_SETS=agent: the agent flags only (half the time)
STATUS_PORT=28399
WORK_PREFIX=collector-footprint
# keep in step with COLLECTOR_JAVA_OPTS in ./ecapture-kafka (DeploymentConsistencyTest checks the
# deploy files against that one)
AGENT_FLAGS=$(sed -n 's/^COLLECTOR_JAVA_OPTS="\(.*\)"$/\1/p' ecapture-kafka)
[ -n "$AGENT_FLAGS" ] || { echo "no COLLECTOR_JAVA_OPTS in ./ecapture-kafka" >&2; exit 1; }
AGENT_ARENAS=$(sed -n 's/^COLLECTOR_MALLOC_ARENA_MAX="\(.*\)"$/\1/p' ecapture-kafka)
source bench/collector/common.sh

if [ ! -f /usr/include/openssl/ssl.h ]; then
  [ "$(id -u)" -eq 0 ] || { echo "libssl-dev missing; run as root" >&2; exit 1; }
  apt-get install -y -q libssl-dev >/dev/null
fi
gcc -O2 -o "$work/ssl_flood" bench/collector/ssl_flood.c -lssl -lcrypto -lpthread

mount_point="$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)"
[ -n "$mount_point" ] || { echo "needs a cgroup2 mount" >&2; exit 1; }
cgroup="$mount_point/ecapture-footprint-bench-$$"
mkdir "$cgroup"
trap 'cleanup; rmdir "$cgroup" 2>/dev/null || true' EXIT
# the load, inside the captured cgroup
flood() { (echo "$BASHPID" >"$cgroup/cgroup.procs"; exec "$work/ssl_flood" "$work/cert.pem" "$work/key.pem" 1 "${2:-$WINDOW}" "$1" 128); }

hz=$(getconf CLK_TCK)
descendants() { # $1 and every process below it
  echo "$1"
  local c
  for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do descendants "$c"; done
}
ticks() { local p t=0; for p in $(descendants "$1"); do
  t=$(( t + $(sed 's/.*) //' /proc/"$p"/stat 2>/dev/null | awk '{ print $12 + $13 }' || echo 0) )); done; echo "$t"; }
kb() { local p t=0; for p in $(descendants "$1"); do
  t=$(( t + $(awk -v k="$2" '$1 == k":" { print $2 }' /proc/"$p"/"$3" 2>/dev/null || echo 0) )); done; echo "$t"; }

start_agent() { # $1: agent|default
  local flags=() env=()
  [ "$1" = agent ] && read -r -a flags <<<"$AGENT_FLAGS"
  [ "$1" = agent ] && [ -n "$AGENT_ARENAS" ] && env=("MALLOC_ARENA_MAX=$AGENT_ARENAS")
  # ${JAVA[1]} is bench_java's -Xmx2g: replaced by the flag set under test
  env "${env[@]}" "${JAVA[0]}" "${flags[@]}" "${JAVA[@]:2}" io.ecapture.kafka.collector.CollectorCommand --bootstrap "$bootstrap" \
    --host-id bench --status-port "$STATUS_PORT" --spool-dir "$work/spool" --cgroup "${cgroup#"$mount_point"}" \
    >"$work/collector.log" 2>&1 &
  collector=$!
  for _ in $(seq 600); do curl -sf "http://127.0.0.1:$STATUS_PORT/status" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "collector did not start; see $work/collector.log" >&2; cat "$work/collector.log" >&2; exit 1
}

measure() { # $1 flags, $2 window name, $3 rate (none = idle)
  local t0 t1 c0 c1 rss=0 pss=0 r p load=""
  c0=$(status | field captured); t0=$(ticks "$collector")
  [ "$3" != none ] && { flood "$3" >"$work/flood.out" & load=$!; }
  local end=$(( $(date +%s) + WINDOW ))
  while [ "$(date +%s)" -lt "$end" ]; do
    sleep 5
    r=$(kb "$collector" VmRSS status); p=$(kb "$collector" Pss smaps_rollup)
    [ "$r" -gt "$rss" ] && rss=$r; [ "$p" -gt "$pss" ] && pss=$p
  done
  [ -n "$load" ] && wait "$load"
  t1=$(ticks "$collector"); c1=$(status | field captured)
  awk -v f="$1" -v w="$2" -v dt=$((t1 - t0)) -v hz="$hz" -v s="$WINDOW" -v ev=$((c1 - c0)) -v rss="$rss" -v pss="$pss" \
    'BEGIN { printf "%s %s %.4f %.0f %.1f %.1f\n", f, w, dt / hz / s, ev / s, rss / 1024, pss / 1024 }' | tee -a "$work/results"
}

echo "load before start: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores; agent flags: $AGENT_FLAGS MALLOC_ARENA_MAX=$AGENT_ARENAS"
start_broker
printf '%-8s %-5s %8s %10s %8s %8s\n' flags window cores events/s RSS_MiB PSS_MiB
for round in $(seq "$ROUNDS"); do
  for flags in $FLAG_SETS; do
    start_agent "$flags"
    # a running agent has its hot paths compiled: 20 s at 10k/s first (not reported), then SETTLE
    # s so start-up work (the exec scan, JIT, producer metadata) is not idle cost
    flood 10000 20 >/dev/null
    sleep "$SETTLE"
    measure "$flags" idle none
    measure "$flags" 1k 1000
    measure "$flags" 10k 10000
    guard=$(( $(descendants "$collector" | wc -l) - 1 ))
    stop_collector
  done
  echo "round $round done ($guard child process(es) of the collector counted; load $(cut -d' ' -f1-3 /proc/loadavg))"
done

echo
echo "median [min-max] over $ROUNDS rounds, ${WINDOW} s windows"
printf '%-8s %-5s %-22s %-20s %-20s %-20s\n' flags window cores events/s RSS_MiB PSS_MiB
for flags in $FLAG_SETS; do
  for w in idle 1k 10k; do
    line="$(printf '%-8s %-5s' "$flags" "$w")"
    for col in 3 4 5 6; do
      line+=" $(awk -v f="$flags" -v w="$w" -v c="$col" '$1 == f && $2 == w { print $c }' "$work/results" | sort -g |
        awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
          printf "%-20s", sprintf("%g [%g-%g]", m, v[1], v[NR]) }')"
    done
    echo "$line"
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
