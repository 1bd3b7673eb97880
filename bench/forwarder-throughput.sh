#!/usr/bin/env bash
# Forwarder throughput: events/s from ecapture.parsed to a file (text, json), TCP (json) and HTTP
# push (json, protobuf), against a bare consumer reading the same records in the same run. Not
# part of the build (forwarder/src/bench/java, see forwarder/README.md).
# usage: bench/forwarder-throughput.sh [EVENTS]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
bench_java forwarder
exec "${JAVA[@]}" io.ecapture.kafka.forwarder.bench.ForwarderThroughputBench "$@"
