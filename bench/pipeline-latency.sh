#!/usr/bin/env bash
# End-to-end latency of the whole pipeline (probe -> ring buffer -> Kafka -> streams processor ->
# gateway -> WebSocket client), p50/p99 of (client receive time - kernel timestamp of the event).
# Needs root (eBPF). Not part of the build.
# usage: bench/pipeline-latency.sh [REQUESTS_PER_RUN [RATES]]   e.g. 2000 100,500,0  (0 = max)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
bench_java fleet-launcher
exec "${JAVA[@]}" io.ecapture.kafka.launcher.PipelineLatencyBench "$@"
