#!/usr/bin/env bash
# Streams-processor benchmarks (not part of the build; see streams-processor/README.md).
#   bench/processor.sh throughput driver|broker [CONNECTIONS [EXCHANGES]]
#       (a) pass-through vs (b) full parse topology: records/s, MB/s, ratio, CPU/record
#   bench/processor.sh jmh [JMH options]
#       per-parser MB/s (JMH), e.g. bench/processor.sh jmh -f 1 -wi 2 -i 3 -w 1s -r 2s
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
# the module resolves its siblings (proto, embedded-kafka) from the local repository
./mvnw -B -q -DskipTests install
./mvnw -B -q -pl streams-processor -Pbench test-compile
./mvnw -B -q -pl streams-processor -Pbench dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/processor-bench.classpath >/dev/null
CP="streams-processor/target/bench-test-classes:streams-processor/target/classes:$(cat streams-processor/target/processor-bench.classpath)"
JAVA=("$JAVA_HOME/bin/java" -Xmx4g --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow
  -Dlog4j2.configurationFile=streams-processor/src/test/resources/log4j2-test.xml -cp "$CP")
what="${1:-throughput}"; shift || true
case "$what" in
  throughput) exec "${JAVA[@]}" io.ecapture.kafka.processor.bench.ProcessorThroughputBench "$@" ;;
  jmh) exec "${JAVA[@]}" org.openjdk.jmh.Main 'io.ecapture.kafka.processor.bench.ParserBenchmarks' "$@" ;;
  *) echo "usage: $0 throughput|jmh ..." >&2; exit 2 ;;
esac
