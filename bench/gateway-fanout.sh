#!/usr/bin/env bash
# Gateway fan-out benchmark: events/s delivered to 1, 10 and 100 WebSocket clients and latency
# p50/p99 from the event's timestamp to the client's receive time. Not part of the build
# (ecaptureq-gateway/src/bench/java, see ecaptureq-gateway/README.md).
# usage: bench/gateway-fanout.sh [EVENTS [RATE [SECONDS [PAYLOAD_BYTES]]]]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
bench_java ecaptureq-gateway
exec "${JAVA[@]}" io.ecapture.kafka.gateway.bench.GatewayFanoutBench "$@"
