#!/usr/bin/env bash
# Host tax of the collector (not part of the build; figures in collector/README.md). Needs root.
#   bench/collector-host-tax.sh [ITERATIONS] [ROUNDS]
# What a process that does no TLS pays while the collector runs: bench/collector/syscall_loop.c
# (read /dev/zero, write /dev/null, getppid; no socket) timed per system call, with the collector
# stopped (baseline) and running with its defaults (every probe attached, discovery on), in
# ROUNDS interleaved pairs whose order alternates (off-on, on-off, ...) so drift cancels. Each
# pair gives a ratio on/off; the median and the spread of the ratios are printed, for wall time
# and for the loop's own CPU time. A real broker (child JVM) runs throughout.
set -euo pipefail
cd "$(dirname "$0")/.."
ITERATIONS="${1:-5000000}"
ROUNDS="${2:-7}"
STATUS_PORT=28397
WORK_PREFIX=collector-hosttax
source bench/collector/common.sh
gcc -O2 -Wall -o "$work/syscall_loop" bench/collector/syscall_loop.c
start_broker
echo "broker at $bootstrap; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "syscall loop: $ITERATIONS iterations (3 syscalls each) per run, $ROUNDS interleaved pairs"

loop() { "$work/syscall_loop" "$ITERATIONS"; }
ratios_wall=(); ratios_cpu=()
for round in $(seq "$ROUNDS"); do
  if (( round % 2 )); then
    read -r off_wall off_cpu <<<"$(loop)"
    start_collector; sleep 1; read -r on_wall on_cpu <<<"$(loop)"; stop_collector
  else
    start_collector; sleep 1; read -r on_wall on_cpu <<<"$(loop)"; stop_collector
    read -r off_wall off_cpu <<<"$(loop)"
  fi
  rw=$(awk -v a="$on_wall" -v b="$off_wall" 'BEGIN { printf "%.4f", a / b }')
  rc=$(awk -v a="$on_cpu" -v b="$off_cpu" 'BEGIN { printf "%.4f", a / b }')
  ratios_wall+=("$rw"); ratios_cpu+=("$rc")
  printf '  pair %d: off %6.1f ns/syscall (cpu %6.1f)  on %6.1f ns/syscall (cpu %6.1f)  on/off %s (cpu %s)\n' \
    "$round" "$off_wall" "$off_cpu" "$on_wall" "$on_cpu" "$rw" "$rc"
done
summary() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
  printf "median %.3f  min %.3f  max %.3f", v[int((NR + 1) / 2)], v[1], v[NR] }'; }
echo
echo "host tax, per system call of a process that does no TLS (collector on / off):"
echo "  wall time  $(summary "${ratios_wall[@]}")"
echo "  cpu time   $(summary "${ratios_cpu[@]}")"
