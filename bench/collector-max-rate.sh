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
STEP_S="${1:-6}"
THREADS="${2:-2}"
STEPS=(25000 50000 100000 150000 200000 300000 max max2x) # max: unpaced; max2x: unpaced, 2x threads
STATUS_PORT=28398
WORK_PREFIX=collector-maxrate
source bench/collector/common.sh

if [ ! -f /usr/include/openssl/ssl.h ]; then
  [ "$(id -u)" -eq 0 ] || { echo "libssl-dev missing; run as root" >&2; exit 1; }
  apt-get install -y -q libssl-dev >/dev/null
fi
gcc -O2 -o "$work/ssl_flood" bench/collector/ssl_flood.c -lssl -lcrypto -lpthread
flood() { "$work/ssl_flood" "$work/cert.pem" "$work/key.pem" "${2:-$THREADS}" "$STEP_S" "$1" 128; }


echo "load before start: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
read -r _ _ base_rate <<<"$(flood 0)"
echo "no collector: $THREADS threads unpaced, $base_rate SSL_write/s"

start_broker

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
