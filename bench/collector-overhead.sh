#!/usr/bin/env bash
# Collector overhead benchmark (not part of the build; figures in collector/README.md). Needs root.
#   bench/collector-overhead.sh [REQUESTS] [ROUNDS]
#   bench/collector-overhead.sh --go-client [REQUESTS] [ROUNDS]   (Go crypto/tls client, see below)
#   bench/collector-overhead.sh --module-clients [REQUESTS] [ROUNDS]   (GnuTLS and NSS clients, see below)
# A keep-alive HTTPS client/server pair on loopback (CPython, system libssl: both sides probed),
# REQUESTS GET /small over one connection per run. Each round runs, in a rotating order:
#   (a) no probes   (e) bare traps: count-only uprobe+uretprobe on the same four SSL functions
#   (b) the collector attached (its defaults), publishing to a real broker (child JVM)
# and reports CPU per request (client + server, user + system: traps and BPF programs run in the
# probed processes). The figure that matters is the added-cost ratio (b-a)/(e-a): what a captured
# call costs over the bare traps of the same probes, median and spread over ROUNDS rounds.
# Then once each: (c) attached, filtered out by --pid (per-PID uprobes) and (d) attached, filtered
# out in the kernel by --comm (every call still traps), and a ramp of parallel clients.
set -euo pipefail
cd "$(dirname "$0")/.."
GO_CLIENT=
MODULE_CLIENTS=
if [ "${1:-}" = "--go-client" ]; then GO_CLIENT=1; shift; fi
if [ "${1:-}" = "--module-clients" ]; then MODULE_CLIENTS=1; shift; fi
REQUESTS="${1:-30000}"
ROUNDS="${2:-5}"
STATUS_PORT=28399
WORK_PREFIX=collector-bench
source bench/collector/common.sh
start_broker
echo "broker at $bootstrap; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"

# A fresh server per run: a process that once had uprobes in its address space stays slower after
# they are gone (measured: the no-probe baseline of one long-lived server drifted up by 40% after
# the first probed run), which would bias every later mode.
start_server() {
  rm -f "$work/server.port"
  python3 bench/collector/https_server.py "$work/cert.pem" "$work/key.pem" >"$work/server.port" &
  server=$!
  while [ ! -s "$work/server.port" ]; do sleep 0.05; done
  port=$(cat "$work/server.port")
}
stop_server() { kill "$server"; wait "$server" 2>/dev/null || true; }
sleep 1000 & unrelated=$!
pids+=("$unrelated")

# steal ticks of the whole machine so far (a shared VM: other guests take CPU from this one)
steal() { awk '/^cpu / { print $9 }' /proc/stat; }
# prints "req_per_s us_per_req cpu_us_per_req steal_ticks" (cpu = client + server)
run() {
  start_server
  local s0; s0=$(steal)
  python3 bench/collector/https_client.py "$port" "$REQUESTS" | awk -v s="$(( $(steal) - s0 ))" '{ printf "%s %s %.2f %s\n", $1, $2, $3 + $4, s }'
  stop_server
}
stop_bare() {
  kill "$bare"; wait "$bare" 2>/dev/null || true
  # the next run must not see its probes (a leaked BareTraps JVM made the no-probe baseline drift)
  for _ in $(seq 100); do bpftool prog show | grep -q bare_entry || return 0; sleep 0.1; done
  echo "bare-trap programs still loaded after stopping them" >&2; exit 1
}
start_bare() {
  # exec: BARE_PID must be the JVM itself, or killing it leaves the JVM (and its probes) behind
  coproc BARE { exec "${JAVA[@]}" io.ecapture.kafka.collector.bench.BareTraps "$@" 2>"$work/bare.err"; }
  bare=$BARE_PID
  read -r line <&"${BARE[0]}"
  [[ "$line" == attached* ]] || { echo "bare traps did not attach: $line" >&2; cat "$work/bare.err" >&2; exit 1; }
}
mode() {
  case "$1" in
    a) run ;;
    e) start_bare; run; stop_bare ;;
    b) start_collector; sleep 1; run; status >"$work/status_b"; stop_collector ;;
  esac
}

# --go-client: the client is Go (bench/collector/go_https_client.go, built here with the Go
# toolchain on PATH), probed by the Go crypto/tls module (--gotls-binary); the server stays the
# CPython one (OpenSSL probes). Per round, in a rotating order: (a) no probes, (b) the collector
# attached; reported: the Go client's CPU per request (it pays its own uprobe traps and BPF
# programs) and the server's, and the added cost b-a. There is no bare-trap mode for Go: the
# bare-trap object probes the OpenSSL functions only.
if [ -n "$GO_CLIENT" ]; then
  command -v go >/dev/null || { echo "--go-client needs the Go toolchain (Debian: golang-go)" >&2; exit 1; }
  mkdir -p "$work/go"
  cp bench/collector/go_https_client.go "$work/go/main.go"
  printf 'module gobench\n\ngo 1.19\n' >"$work/go/go.mod"
  (cd "$work/go" && GOCACHE="$work/go/cache" GOPATH="$work/go/path" GOFLAGS=-mod=mod GOPROXY=off CGO_ENABLED=0 \
    go build -o "$work/go-client" .)
  go_run() {
    start_server
    "$work/go-client" "$port" "$REQUESTS"
    stop_server
  }
  echo "keep-alive HTTPS, Go client, $REQUESTS requests over one connection per run, $ROUNDS rounds"
  adds=()
  for round in $(seq "$ROUNDS"); do
    declare -A cl=() sv=() rate=()
    for m in $( ((round % 2)) && echo "a b" || echo "b a"); do
      if [ "$m" = b ]; then start_collector --gotls-binary "$work/go-client"; sleep 1; fi
      read -r r _ c s <<<"$(go_run)"
      if [ "$m" = b ]; then status >"$work/status_go"; stop_collector; fi
      cl[$m]=$c; sv[$m]=$s; rate[$m]=$r
    done
    add=$(awk -v a="${cl[a]}" -v b="${cl[b]}" 'BEGIN { printf "%.2f", b - a }')
    adds+=("$add")
    printf '  round %d: Go client cpu us/req  a %6.2f  b %6.2f (+%s)   server a %6.2f  b %6.2f   req/s a %s b %s\n' \
      "$round" "${cl[a]}" "${cl[b]}" "$add" "${sv[a]}" "${sv[b]}" "${rate[a]}" "${rate[b]}"
    unset cl sv rate
  done
  printf '%s\n' "${adds[@]}" | sort -n | awk '{ v[NR] = $1 } END {
    printf "\nadded Go client CPU per request with the collector (b-a): median %.2f us  min %.2f  max %.2f\n", v[int((NR + 1) / 2)], v[1], v[NR] }'
  grep -o '"gotls":{[^]]*]' "$work/status_go" | head -c 600; echo
  echo "(b, last round) captured $(field captured <"$work/status_go"), dropped in kernel $(field droppedInKernel <"$work/status_go")"
  exit 0
fi

# --module-clients: the client is gnutls-cli (GnuTLS) or tstclnt (NSS), driven one request at a
# time through its stdin by bench/collector/tls_cli_client.py against the same CPython server
# (not probed: the collector runs --modules gnutls or --modules nss only). Per module and round,
# in a rotating order: (a) no probes, (e) bare traps (count-only entry + return probes on the
# module's functions: gnutls_record_send/recv, or NSPR's PR_Write/PR_Read/PR_Send/PR_Recv),
# (b) the collector's module attached, (f) attached, filtered out in the kernel (--comm of another
# program: every call still traps). Reported: the client's CPU per request and, per module, the
# median of (b-a)/(e-a) (capture over bare traps) and (f-a)/(e-a) (the filter's cost).
if [ -n "$MODULE_CLIENTS" ]; then
  for tool in gnutls-cli tstclnt certutil; do
    command -v "$tool" >/dev/null || { echo "--module-clients needs $tool (Debian: gnutls-bin, libnss3-tools)" >&2; exit 1; }
  done
  mkdir -p "$work/nssdb"
  certutil -N -d "sql:$work/nssdb" --empty-password
  libdir=/usr/lib/x86_64-linux-gnu
  cli_run() {
    start_server
    python3 bench/collector/tls_cli_client.py "$port" "$REQUESTS" "$1" "$work/nssdb"
    stop_server
  }
  echo "keep-alive HTTPS, gnutls-cli and tstclnt, $REQUESTS requests (one at a time) over one connection per run, $ROUNDS rounds"
  for module in gnutls nss; do
    if [ "$module" = gnutls ]; then bare_args=(--functions gnutls_record_send,gnutls_record_recv "$libdir/libgnutls.so.30")
    else bare_args=(--functions PR_Write,PR_Read,PR_Send,PR_Recv "$libdir/libnspr4.so"); fi
    ratios=(); filtered=()
    declare -A modeall=()
    for round in $(seq "$ROUNDS"); do
      order=$(case $(( (round - 1) % 3 )) in 0) echo aebf ;; 1) echo ebfa ;; *) echo bfae ;; esac)
      declare -A cpu=() rate=()
      for m in $(grep -o . <<<"$order"); do
        case "$m" in
          a) read -r r _ c <<<"$(cli_run "$module")" ;;
          e) start_bare "${bare_args[@]}"; read -r r _ c <<<"$(cli_run "$module")"; stop_bare ;;
          b) start_collector --modules "$module"; sleep 1; read -r r _ c <<<"$(cli_run "$module")"
             status >"$work/status_$module"; stop_collector ;;
          f) start_collector --modules "$module" --comm no-such-comm; sleep 1; read -r r _ c <<<"$(cli_run "$module")"
             stop_collector ;;
        esac
        cpu[$m]=$c; rate[$m]=$r
        modeall[$m]+="$c "
      done
      ratio=$(awk -v a="${cpu[a]}" -v e="${cpu[e]}" -v b="${cpu[b]}" 'BEGIN { printf "%.3f", (b - a) / (e - a) }')
      fratio=$(awk -v a="${cpu[a]}" -v e="${cpu[e]}" -v f="${cpu[f]}" 'BEGIN { printf "%.3f", (f - a) / (e - a) }')
      ratios+=("$ratio"); filtered+=("$fratio")
      printf '  %-6s round %d (%s): client cpu us/req  a %7.2f  e %7.2f  b %7.2f  f %7.2f   (b-a)/(e-a) %s  (f-a)/(e-a) %s   req/s a %s b %s\n' \
        "$module" "$round" "$order" "${cpu[a]}" "${cpu[e]}" "${cpu[b]}" "${cpu[f]}" "$ratio" "$fratio" "${rate[a]}" "${rate[b]}"
      unset cpu rate
    done
    printf '%s\n' "${ratios[@]}" | sort -n | awk -v m="$module" '{ v[NR] = $1 } END {
      printf "%s: added client CPU per request, collector over bare traps (b-a)/(e-a): median %.3f  min %.3f  max %.3f\n", m, v[int((NR + 1) / 2)], v[1], v[NR] }'
    printf '%s\n' "${filtered[@]}" | sort -n | awk -v m="$module" '{ v[NR] = $1 } END {
      printf "%s: filtered out in the kernel over bare traps (f-a)/(e-a): median %.3f  min %.3f  max %.3f\n", m, v[int((NR + 1) / 2)], v[1], v[NR] }'
    # per-mode medians: with a few us of traps against a client's ~100-200 us per request, the
    # ratios of single rounds are noise on a loaded machine; these say the added us directly
    cmed() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
    awk -v m="$module" -v a="$(cmed <<<"${modeall[a]}")" -v e="$(cmed <<<"${modeall[e]}")" \
      -v b="$(cmed <<<"${modeall[b]}")" -v f="$(cmed <<<"${modeall[f]}")" 'BEGIN {
      printf "%s: per-mode medians a %.2f  e %.2f (%+.2f)  b %.2f (%+.2f)  f %.2f (%+.2f) us/req\n", m, a, e, e - a, b, b - a, f, f - a }'
    unset modeall
    echo "$module (b, last round): captured $(field captured <"$work/status_$module"), dropped in kernel $(field droppedInKernel <"$work/status_$module")"
  done
  exit 0
fi

echo "keep-alive HTTPS, $REQUESTS requests over one connection per run, $ROUNDS rounds"
ratios=()
declare -A all=()
orders=(aeb eba bae)
for round in $(seq "$ROUNDS"); do
  order=${orders[$(( (round - 1) % 3 ))]}
  declare -A cpu=() rate=() st=()
  for m in $(grep -o . <<<"$order"); do
    read -r r _ c s <<<"$(mode "$m")"
    cpu[$m]=$c; rate[$m]=$r; st[$m]=$s
    all[$m]+="$c "
  done
  ratio=$(awk -v a="${cpu[a]}" -v e="${cpu[e]}" -v b="${cpu[b]}" 'BEGIN { printf "%.3f", (b - a) / (e - a) }')
  ratios+=("$ratio")
  printf '  round %d (%s): cpu us/req  a %6.2f  e %6.2f (+%.2f)  b %6.2f (+%.2f)   (b-a)/(e-a) %s   req/s a %s e %s b %s  steal ticks a %s e %s b %s\n' \
    "$round" "$order" "${cpu[a]}" "${cpu[e]}" "$(awk -v x="${cpu[e]}" -v y="${cpu[a]}" 'BEGIN{print x-y}')" \
    "${cpu[b]}" "$(awk -v x="${cpu[b]}" -v y="${cpu[a]}" 'BEGIN{print x-y}')" "$ratio" "${rate[a]}" "${rate[e]}" "${rate[b]}" \
    "${st[a]}" "${st[e]}" "${st[b]}"
  unset cpu rate st
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END {
  printf "\nadded CPU per request, collector over bare traps (b-a)/(e-a): median %.3f  min %.3f  max %.3f\n", v[int((NR + 1) / 2)], v[1], v[NR] }'
med() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ma=$(med <<<"${all[a]}"); me=$(med <<<"${all[e]}"); mb=$(med <<<"${all[b]}")
awk -v a="$ma" -v e="$me" -v b="$mb" 'BEGIN { printf "per-mode medians: a %.2f  e %.2f  b %.2f us/req; (med b - med a)/(med e - med a) %.3f\n", a, e, b, (b - a) / (e - a) }'
status_b=$(cat "$work/status_b")
calls=$(field sslCalls <<<"$status_b"); hits=$(field uprobeHits <<<"$status_b")
echo "(b, last round) SSL calls seen $calls, uprobe hits $hits, captured $(field captured <<<"$status_b")," \
  "dropped in kernel $(field droppedInKernel <<<"$status_b"), socket from the BIO $(field bioSocketCalls <<<"$status_b")," \
  "writes captured at entry $(field entryOnlyWrites <<<"$status_b")"

[ -n "${OVERHEAD_ONLY:-}" ] && exit 0
echo
read -r a_rate _ a_cpu _ <<<"$(run)"
start_collector --pid "$unrelated"; read -r c_rate _ c_cpu _ <<<"$(run)"; stop_collector
start_collector --comm no-such-comm; read -r d_rate _ d_cpu _ <<<"$(run)"; stop_collector
printf '%-44s cpu %6.2f us/req  %s req/s\n' "(a) no probes" "$a_cpu" "$a_rate"
printf '%-44s cpu %6.2f us/req  %s req/s\n' "(c) attached, other pid (--pid)" "$c_cpu" "$c_rate"
printf '%-44s cpu %6.2f us/req  %s req/s\n' "(d) attached, filtered in kernel (--comm)" "$d_cpu" "$d_rate"

echo
echo "ramp: parallel keep-alive clients with the collector on (events/s = captured records / wall time)"
start_server
start_collector
for clients in 1 2 4 8; do
  before=$(status)
  t0=$(date +%s.%N)
  cpids=()
  for _ in $(seq "$clients"); do python3 bench/collector/https_client.py "$port" "$REQUESTS" >/dev/null & cpids+=($!); done
  wait "${cpids[@]}"
  t1=$(date +%s.%N)
  sleep 0.3
  after=$(status)
  events=$(( $(field captured <<<"$after") - $(field captured <<<"$before") ))
  drops=$(( $(field droppedInKernel <<<"$after") - $(field droppedInKernel <<<"$before") ))
  rate=$(awk -v e="$events" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", e / (b - a) }')
  echo "  $clients clients: $events events, $rate events/s, kernel drops $drops"
  [ "$drops" -gt 0 ] && break
done
stop_collector
stop_server
