#!/usr/bin/env bash
# Host tax of the collector (not part of the build; figures in collector/README.md). Needs root.
#   bench/collector-host-tax.sh [ITERATIONS] [ROUNDS] [EXECS]
# What a process that does no TLS pays while the collector runs: bench/collector/syscall_loop.c
# (read /dev/zero, write /dev/null, getppid; no socket) timed per system call, with the collector
# stopped (baseline) and running with its defaults (every probe attached, discovery on, exec watch
# on), in ROUNDS interleaved pairs whose order alternates (off-on, on-off, ...) so drift cancels.
# Each pair gives a ratio on/off; the median and the spread of the ratios are printed, for wall time
# and for the loop's own CPU time. A real broker (child JVM) runs throughout.
# Exec-heavy variant, in the same pairs and the same collector runs: bench/collector/exec_loop.c,
# EXECS (default 2000; 0: skip) fork + execve(/bin/true) + wait, timed per exec (wall, and CPU of
# the loop and its children). The exec watch's raw tracepoint runs on every exec; /bin/true and
# exec_loop are known files once examined (a warm-up of 50 execs per collector start, after its
# start-time scan has finished, which is not measured: it is the agent's start-up work).
set -euo pipefail
cd "$(dirname "$0")/.."
ITERATIONS="${1:-5000000}"
ROUNDS="${2:-7}"
EXECS="${3:-2000}"
STATUS_PORT=28397
WORK_PREFIX=collector-hosttax
source bench/collector/common.sh
gcc -O2 -Wall -o "$work/syscall_loop" bench/collector/syscall_loop.c
gcc -O2 -Wall -o "$work/exec_loop" bench/collector/exec_loop.c
start_broker
echo "broker at $bootstrap; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "syscall loop: $ITERATIONS iterations (3 syscalls each) per run, $ROUNDS interleaved pairs"

loop() { "$work/syscall_loop" "$ITERATIONS"; }
execs() { if [ "$EXECS" -gt 0 ]; then "$work/exec_loop" "$EXECS" /bin/true; else echo "1 1"; fi; }
# the collector with its start-up work done: the start-time scan finished, the loads' files known
on() {
  start_collector
  for _ in $(seq 120); do status | grep -q '"state":"running"' || break; sleep 0.5; done
  "$work/exec_loop" 50 /bin/true >/dev/null
  sleep 1
}
ratios_wall=(); ratios_cpu=(); exec_wall=(); exec_cpu=()
for round in $(seq "$ROUNDS"); do
  if (( round % 2 )); then
    read -r off_wall off_cpu <<<"$(loop)"; read -r off_ewall off_ecpu <<<"$(execs)"
    on; read -r on_wall on_cpu <<<"$(loop)"; read -r on_ewall on_ecpu <<<"$(execs)"; stop_collector
  else
    on; read -r on_wall on_cpu <<<"$(loop)"; read -r on_ewall on_ecpu <<<"$(execs)"; stop_collector
    read -r off_wall off_cpu <<<"$(loop)"; read -r off_ewall off_ecpu <<<"$(execs)"
  fi
  rw=$(awk -v a="$on_wall" -v b="$off_wall" 'BEGIN { printf "%.4f", a / b }')
  rc=$(awk -v a="$on_cpu" -v b="$off_cpu" 'BEGIN { printf "%.4f", a / b }')
  ratios_wall+=("$rw"); ratios_cpu+=("$rc")
  printf '  pair %d: off %6.1f ns/syscall (cpu %6.1f)  on %6.1f ns/syscall (cpu %6.1f)  on/off %s (cpu %s)\n' \
    "$round" "$off_wall" "$off_cpu" "$on_wall" "$on_cpu" "$rw" "$rc"
  if [ "$EXECS" -gt 0 ]; then
    ew=$(awk -v a="$on_ewall" -v b="$off_ewall" 'BEGIN { printf "%.4f", a / b }')
    ec=$(awk -v a="$on_ecpu" -v b="$off_ecpu" 'BEGIN { printf "%.4f", a / b }')
    exec_wall+=("$ew"); exec_cpu+=("$ec")
    printf '          exec: off %8.0f ns/exec (cpu %8.0f)  on %8.0f ns/exec (cpu %8.0f)  on/off %s (cpu %s)\n' \
      "$off_ewall" "$off_ecpu" "$on_ewall" "$on_ecpu" "$ew" "$ec"
  fi
done
summary() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
  printf "median %.3f  min %.3f  max %.3f", v[int((NR + 1) / 2)], v[1], v[NR] }'; }
echo
echo "host tax, per system call of a process that does no TLS (collector on / off):"
echo "  wall time  $(summary "${ratios_wall[@]}")"
echo "  cpu time   $(summary "${ratios_cpu[@]}")"
if [ "$EXECS" -gt 0 ]; then
  echo "exec cost, per fork + execve(/bin/true) + wait (collector on / off):"
  echo "  wall time  $(summary "${exec_wall[@]}")"
  echo "  cpu time   $(summary "${exec_cpu[@]}")"
fi
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
