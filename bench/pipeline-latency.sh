#!/usr/bin/env bash
# End-to-end latency of the whole pipeline (probe -> ring buffer -> Kafka -> streams processor ->
# gateway -> WebSocket client), p50/p99 of (client receive time - kernel timestamp of the event).
# Needs root (eBPF). Not part of the build.
# usage:
#   bench/pipeline-latency.sh [REQUESTS_PER_RUN [RATES]]   e.g. 2000 100,500,0  (0 = max)
#       one client, keep-alive requests at fixed rates, each guarantee with earlier/default tuning
#   bench/pipeline-latency.sh live [SECONDS [ROUNDS [VARIANT...]]]   e.g. live 60 3 defaults commit=100,poll=100
#       issue 14's live view: 200 WebSocket clients attached (-Dclients=N via BENCH_JAVA_OPTS), a
#       request every 500 ms for SECONDS (after 10 s warm-up), a fresh fleet per run, variants
#       interleaved ROUNDS times; knobs: commit= poll= plinger= pwait= clinger= drain= gwait= alo parts= batch=0
#       pace= burst= (the processor's commit requests after an emit; pace=-1: none), e.g. the
#       former defaults: live 60 3 defaults commit=20,poll=20,pace=-1
#       (LiveLatencyBench)
#   bench/pipeline-latency.sh first [ROUNDS]
#       the real `up` command from cold: time to "is up", then one request at once, time to the
#       first event at a client (FirstEventBench)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
bench_java fleet-launcher
read -r -a extra <<<"${BENCH_JAVA_OPTS:-}"
case "${1:-}" in
  live) shift; exec "${JAVA[@]}" "${extra[@]}" io.ecapture.kafka.launcher.LiveLatencyBench "$@" ;;
  first) shift; exec "${JAVA[@]}" "${extra[@]}" io.ecapture.kafka.launcher.FirstEventBench "$@" ;;
  *) exec "${JAVA[@]}" "${extra[@]}" io.ecapture.kafka.launcher.PipelineLatencyBench "$@" ;;
esac
