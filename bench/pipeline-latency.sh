#!/usr/bin/env bash
# End-to-end latency of the whole pipeline (probe -> ring buffer -> Kafka -> streams processor ->
# gateway -> WebSocket client), p50/p99 of (client receive time - kernel timestamp of the event).
# Needs root (eBPF). Not part of the build.
# usage: bench/pipeline-latency.sh [REQUESTS_PER_RUN [RATES]]   e.g. 2000 100,500,0  (0 = max)
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
./mvnw -B -q -DskipTests install
./mvnw -B -q -pl fleet-launcher test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/pipeline-bench.classpath >/dev/null
CP="fleet-launcher/target/test-classes:fleet-launcher/target/classes:$(cat fleet-launcher/target/pipeline-bench.classpath)"
exec "$JAVA_HOME/bin/java" -Xmx2g --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -Dlog4j2.configurationFile=fleet-launcher/src/test/resources/log4j2-test.xml \
  -cp "$CP" io.ecapture.kafka.launcher.PipelineLatencyBench "$@"
