#!/usr/bin/env bash
# Streams-processor benchmarks (not part of the build; see streams-processor/README.md).
#   bench/processor.sh throughput driver|broker [CONNECTIONS [EXCHANGES]]
#       (a) pass-through vs (b) full parse topology: records/s, MB/s, ratio, CPU/record
#   bench/processor.sh jmh [JMH options]
#       per-parser MB/s (JMH), e.g. bench/processor.sh jmh -f 1 -wi 2 -i 3 -w 1s -r 2s
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
bench_java streams-processor 4g
what="${1:-throughput}"; shift || true
case "$what" in
  throughput) exec "${JAVA[@]}" io.ecapture.kafka.processor.bench.ProcessorThroughputBench "$@" ;;
  jmh) exec "${JAVA[@]}" org.openjdk.jmh.Main 'io.ecapture.kafka.processor.bench.ParserBenchmarks' "$@" ;;
  *) echo "usage: $0 throughput|jmh ..." >&2; exit 2 ;;
esac
