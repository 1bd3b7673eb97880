#!/usr/bin/env bash
# Per-call capture cost against the bare-trap floor, in one run (not part of the build; figures in
# collector/README.md). Needs root, gcc and libssl-dev.
#   bench/collector-call-cost.sh [ROUNDS] [BATCHES] [BATCH]
# Load: bench/collector/ssl_pingpong.c, one C process with a TLS client and server thread on one
# loopback connection (system libssl, blocking socket BIOs): 64-byte request, 64-byte answer, four
# SSL calls per request, both ends probed. Its CPU time (both threads, user + system: uprobe traps
# and BPF programs run there) is taken per batch of BATCH requests, BATCHES batches per run; a
# batch on a shared machine only gets slower, so the 10th percentile of the batches is the run's
# figure (the median is printed too). Each round runs, in a rotating order, a fresh process under
#   (a) no probes   (e) bare traps: count-only uprobe+uretprobe on SSL_write/_read(_ex)
#   (b) the collector (its defaults), publishing to a real broker (child JVM)
# and prints (b-a)/(e-a): what a captured call adds over what the bare traps of the same probe
# points add. With kernel.bpf_stats_enabled (set for the run, restored after) it also prints the
# BPF programs' own run time per SSL call of the uprobe programs each mode loaded, read from the
# kernel (run_time_ns of the program ids in the JVM's fdinfo): independent of scheduling noise.
# A/B of BPF objects in the same run: BASELINE_BPF=DIR (a directory holding
# io/ecapture/kafka/bpf/tlscapture.bpf.o, e.g. copied from an older build's bpf/target/classes)
# adds a mode (o), the collector with that object first on its class path, to every round, and
# prints (o-a)/(e-a) next to (b-a)/(e-a).
# PRIVATE_LIBSSL=1 (default 0: the system file): every mode's load runs on a fresh copy of the
# system libssl (new inode, LD_LIBRARY_PATH), and the bare traps and the collector probe that copy
# (--libssl): other engineers' collectors on a shared machine probe the system file by path, so
# their uprobes no longer fire in the load (only their /proc rescan could find a copy, which the
# foreign-uprobe check below still reports; on the shared machine of 2026-12-06 they found the copy
# in every round).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${1:-9}"
BATCHES="${2:-150}"
BATCH="${3:-400}"
STATUS_PORT=28398
WORK_PREFIX=collector-callcost
source bench/collector/common.sh
gcc -O2 -o "$work/ssl_pingpong" bench/collector/ssl_pingpong.c -lssl -lcrypto -lpthread
old_stats=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1
trap 'sysctl -qw kernel.bpf_stats_enabled="$old_stats"; cleanup' EXIT
if [ -n "${BASELINE_BPF:-}" ]; then
  [ -f "$BASELINE_BPF/io/ecapture/kafka/bpf/tlscapture.bpf.o" ] || { echo "no tlscapture.bpf.o under $BASELINE_BPF" >&2; exit 1; }
  JAVA_NEW=("${JAVA[@]}")
  JAVA_OLD=()
  for arg in "${JAVA[@]}"; do
    if [ "${prev:-}" = "-cp" ]; then JAVA_OLD+=("$BASELINE_BPF:$arg"); else JAVA_OLD+=("$arg"); fi
    prev=$arg
  done
fi
start_broker
echo "broker at $bootstrap; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"

# "run_time_ns run_cnt" summed over the uprobe programs (ssl_* / bare_*) process $1 holds
bpf_time() {
  local ids
  ids=$(grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -u)
  local t=0 c=0
  for id in $ids; do
    read -r name rt rc <<<"$(bpftool prog show id "$id" -j | python3 -c '
import json, sys
p = json.load(sys.stdin)
print(p.get("name", "?"), p.get("run_time_ns", 0), p.get("run_cnt", 0))')"
    case "$name" in ssl_*|bare_*) t=$((t + rt)); c=$((c + rc)) ;; esac
  done
  echo "$t $c"
}
# perf-event uprobes held by processes other than $1 (other collectors on this shared machine: the
# load's SSL calls would trap into them too, in every mode)
foreign_uprobes() {
  if [ "${PRIVATE_LIBSSL:-0}" = 1 ]; then
    bpftool perf show 2>/dev/null | grep -E "uprobe|uretprobe" | grep -v "^pid ${1:-0} " | grep -c "$lib_dir" || true
  else
    bpftool perf show 2>/dev/null | grep -E "uprobe|uretprobe" | grep -v "^pid ${1:-0} " | wc -l
  fi
}
system_libssl=$(ldd "$work/ssl_pingpong" | awk '$1 == "libssl.so.3" { print $3 }')
system_libcrypto=$(ldd "$work/ssl_pingpong" | awk '$1 == "libcrypto.so.3" { print $3 }')
lib_dir=""
fresh_libssl() { # a new copy (new inode) per mode
  lib_dir=$(mktemp -d "$work/lib.XXXXXX")
  cp "$system_libssl" "$lib_dir/libssl.so.3"
  # the collector learns the BIO layout from the libcrypto next to a shared libssl
  cp "$system_libcrypto" "$lib_dir/libcrypto.so.3"
}
# QUIET_WAIT_S (default 90): how long each mode waits for other processes' uprobes to go
wait_quiet() { for _ in $(seq "${QUIET_WAIT_S:-90}"); do [ "$(foreign_uprobes "$1")" -eq 0 ] && return 0; sleep 1; done; return 0; }
# PIN_CPU=N runs the ping-pong's two threads on CPU N only (taskset): no cross-CPU wake-ups, whose
# cost on an idle VM CPU (halt exits) otherwise lands in the modes that leave CPUs idle, (a) and (e)
pin() { if [ -n "${PIN_CPU:-}" ]; then taskset -c "$PIN_CPU" "$@"; else "$@"; fi; }
pingpong() {
  if [ "${PRIVATE_LIBSSL:-0}" = 1 ]; then
    LD_LIBRARY_PATH="$lib_dir" pin "$work/ssl_pingpong" "$work/cert.pem" "$work/key.pem" "$BATCHES" "$BATCH" 64
  else
    pin "$work/ssl_pingpong" "$work/cert.pem" "$work/key.pem" "$BATCHES" "$BATCH" 64
  fi
}
lib_args() { [ "${PRIVATE_LIBSSL:-0}" = 1 ] && echo "${1:-} $lib_dir/libssl.so.3"; return 0; }
start_bare() {
  # exec: BARE_PID must be the JVM itself, or killing it leaves the JVM (and its probes) behind
  # shellcheck disable=SC2046
  coproc BARE { exec "${JAVA[@]}" io.ecapture.kafka.collector.bench.BareTraps $(lib_args) 2>"$work/bare.err"; }
  bare=$BARE_PID
  read -r line <&"${BARE[0]}"
  [[ "$line" == attached* ]] || { echo "bare traps did not attach: $line" >&2; cat "$work/bare.err" >&2; exit 1; }
}
stop_bare() {
  kill "$bare"; wait "$bare" 2>/dev/null || true
  for _ in $(seq 100); do bpftool prog show | grep -q bare_entry || return 0; sleep 0.1; done
  echo "bare-trap programs still loaded after stopping them" >&2; exit 1
}
# prints "p10 p25 median min bpf_ns_per_call foreign_uprobes" (waits up to 90 s for other
# processes' uprobes to go first)
mode() {
  local holder="" before after out
  fresh_libssl
  case "$1" in
    e) start_bare; holder=$bare ;;
    # shellcheck disable=SC2046
    b) start_collector $(lib_args --libssl); holder=$collector; sleep 1 ;;
    # shellcheck disable=SC2046
    o) JAVA=("${JAVA_OLD[@]}"); start_collector $(lib_args --libssl); JAVA=("${JAVA_NEW[@]}"); holder=$collector; sleep 1 ;;
  esac
  [ -n "$holder" ] && before=$(bpf_time "$holder")
  wait_quiet "$holder"
  local foreign; foreign=$(foreign_uprobes "$holder")
  out=$(pingpong)
  foreign=$(( foreign + $(foreign_uprobes "$holder") ))
  if [ -n "$holder" ]; then
    after=$(bpf_time "$holder")
    per_call=$(awk -v b="$before" -v a="$after" -v n="$(awk '{ print $5 }' <<<"$out")" 'BEGIN {
      split(b, x, " "); split(a, y, " "); printf "%.0f", (y[1] - x[1]) / (n * 4) }')
  else
    per_call=0
  fi
  case "$1" in
    e) stop_bare ;;
    b) status >"$work/status_b"; stop_collector ;;
    o) status >"$work/status_o"; stop_collector ;;
  esac
  awk -v p="$per_call" -v f="$foreign" '{ print $1, $2, $3, $4, p, f }' <<<"$out"
}

echo "$ROUNDS rounds; per run $BATCHES batches of $BATCH requests (4 SSL calls each); CPU us per request"
orders=(aeb eba bae)
[ -n "${BASELINE_BPF:-}" ] && orders=(aebo eboa boae oaeb)
ratios=(); mratios=(); ebpf=(); bbpf=(); oratios=(); omratios=(); obpf=(); all_ratios=(); all_oratios=()
for round in $(seq "$ROUNDS"); do
  order=${orders[$(( (round - 1) % ${#orders[@]} ))]}
  declare -A p10=() med=()
  dirty=0
  for m in $(grep -o . <<<"$order"); do
    read -r q1 _ q2 _ ns foreign <<<"$(mode "$m")"
    p10[$m]=$q1; med[$m]=$q2
    [ "$foreign" -gt 0 ] && dirty=1
    [ "$m" = e ] && ebpf+=("$ns")
    [ "$m" = b ] && bbpf+=("$ns")
    [ "$m" = o ] && obpf+=("$ns")
  done
  r=$(awk -v a="${p10[a]}" -v e="${p10[e]}" -v b="${p10[b]}" 'BEGIN { printf "%.3f", (b - a) / (e - a) }')
  rm=$(awk -v a="${med[a]}" -v e="${med[e]}" -v b="${med[b]}" 'BEGIN { printf "%.3f", (b - a) / (e - a) }')
  if [ "$dirty" -eq 0 ]; then ratios+=("$r"); mratios+=("$rm"); fi
  all_ratios+=("$r")
  if [ -n "${BASELINE_BPF:-}" ]; then
    ro=$(awk -v a="${p10[a]}" -v e="${p10[e]}" -v b="${p10[o]}" 'BEGIN { printf "%.3f", (b - a) / (e - a) }')
    rmo=$(awk -v a="${med[a]}" -v e="${med[e]}" -v b="${med[o]}" 'BEGIN { printf "%.3f", (b - a) / (e - a) }')
    if [ "$dirty" -eq 0 ]; then oratios+=("$ro"); omratios+=("$rmo"); fi
    all_oratios+=("$ro")
    printf '  round %d baseline object (o): p10 %7.2f (o-a)/(e-a) %s | median %7.2f ratio %s\n' \
      "$round" "${p10[o]}" "$ro" "${med[o]}" "$rmo"
  fi
  printf '  round %d (%s): p10 a %7.2f  e %7.2f  b %7.2f  (b-a)/(e-a) %s | median a %7.2f e %7.2f b %7.2f ratio %s | load %s%s\n' \
    "$round" "$order" "${p10[a]}" "${p10[e]}" "${p10[b]}" "$r" "${med[a]}" "${med[e]}" "${med[b]}" "$rm" \
    "$(cut -d' ' -f1 /proc/loadavg)" "$([ "$dirty" -eq 1 ] && echo '  (other uprobes were attached: not counted)')"
  unset p10 med
done
summary() { sort -n | awk -v what="$1" '{ v[NR] = $1 } END {
  printf "%s: median %.3f  min %.3f  max %.3f  (%d rounds)\n", what, v[int((NR + 1) / 2)], v[1], v[NR], NR }'; }
echo
printf '%s\n' "${ratios[@]}" | summary "added CPU per request, collector / bare traps (b-a)/(e-a), p10 of batches"
printf '%s\n' "${mratios[@]}" | summary "the same from the batches' medians"
printf '%s\n' "${ebpf[@]}" | summary "BPF run time per SSL call, bare-trap programs (ns)"
printf '%s\n' "${bbpf[@]}" | summary "BPF run time per SSL call, collector uprobe programs (ns)"
if [ -n "${BASELINE_BPF:-}" ]; then
  printf '%s\n' "${oratios[@]}" | summary "baseline object: (o-a)/(e-a), p10 of batches"
  printf '%s\n' "${omratios[@]}" | summary "baseline object: the same from the batches' medians"
  printf '%s\n' "${obpf[@]}" | summary "baseline object: BPF run time per SSL call, collector uprobe programs (ns)"
fi
# rounds with other processes' uprobes attached too: those trap into every mode alike (a busy
# shared machine may have no clean round at all)
printf '%s\n' "${all_ratios[@]}" | summary "every round, other uprobes or not: (b-a)/(e-a), p10 of batches"
[ -n "${BASELINE_BPF:-}" ] && printf '%s\n' "${all_oratios[@]}" | summary "every round, other uprobes or not: (o-a)/(e-a)"
s=$(cat "$work/status_b")
echo "(b, last round) SSL calls $(field sslCalls <<<"$s"), uprobe hits $(field uprobeHits <<<"$s")," \
  "socket from the BIO $(field bioSocketCalls <<<"$s"), writes captured at entry $(field entryOnlyWrites <<<"$s")," \
  "captured $(field captured <<<"$s"), dropped in kernel $(field droppedInKernel <<<"$s")"
