#!/usr/bin/env bash
# Idle CPU of `up` for several variants, interleaved: bench/idle-cpu.sh (EMPTY_CGROUP=1) once per
# variant per round, then per variant the median total (% of a core) with its spread. Needs root
# and a built jar (or UP_CLASSPATH, as bench/idle-cpu.sh). Not part of the build.
#   bench/idle-cpu-compare.sh ROUNDS SECONDS SETTLE_SECONDS VARIANT...
# A variant is NAME=BROKER_JAVA_OPTIONS|UP_OPTIONS: the broker child's extra JVM options
# (ECAPTURE_KAFKA_BROKER_JAVA_OPTIONS; -Decapture.broker.NAME=VALUE sets a broker property) and
# extra `up` options, e.g.
#   bench/idle-cpu-compare.sh 3 60 30 'defaults=|' 'g1=-XX:+UseG1GC|' \
#     'poll50=|--kafka-property poll.ms=50'
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="$1"; SECONDS_TO_MEASURE="$2"; SETTLE="$3"; shift 3
work="$(mktemp -d /tmp/idle-compare.XXXXXX)"
trap 'rm -rf "$work"' EXIT
echo "idle CPU, ${ROUNDS} rounds of ${#@} variants interleaved, ${SECONDS_TO_MEASURE} s each after ${SETTLE} s; load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
  i=0
  for variant in "$@"; do
    name="${variant%%=*}"; rest="${variant#*=}"
    broker_opts="${rest%%|*}"; up_opts="${rest#*|}"
    read -r -a up_args <<<"$up_opts"
    out="$work/$i.$round"
    ECAPTURE_KAFKA_BROKER_JAVA_OPTIONS="$broker_opts" EMPTY_CGROUP=1 \
      bench/idle-cpu.sh "$SECONDS_TO_MEASURE" "$SETTLE" -- "${up_args[@]}" >"$out" 2>&1 || true
    total="$(awk '/^  total/ { print $2 }' "$out")"
    parts="$(awk '/^  (launcher|broker) / { printf "%s %s  ", $1, $4 }' "$out")"
    printf 'round %d  %-28s total %6s %%  (%s) %s\n' "$round" "$name" "${total:-failed}" "$parts" \
      "$(grep -o 'captured=[0-9]*' "$out" | tail -1)"
    [[ -n "$total" ]] || tail -5 "$out"
    echo "$total" >>"$work/totals.$i"
    i=$((i + 1))
  done
done
echo "summary (median [min-max] of the total, % of a core; load now $(cut -d' ' -f1-3 /proc/loadavg)):"
i=0
for variant in "$@"; do
  sort -n "$work/totals.$i" | grep . | awk -v n="${variant%%=*}" '{ v[NR] = $1 } END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "  %-28s %6.2f [%.2f-%.2f]\n", n, m, v[1], v[NR] }'
  i=$((i + 1))
done
