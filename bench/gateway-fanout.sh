#!/usr/bin/env bash
# Gateway fan-out benchmark: events/s delivered to 1, 10 and 100 WebSocket clients and latency
# p50/p99 from the event's timestamp to the client's receive time. Not part of the build.
# usage: bench/gateway-fanout.sh [EVENTS [RATE [SECONDS [PAYLOAD_BYTES]]]]
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
# the module resolves its siblings (proto, embedded-kafka) from the local repository
./mvnw -B -q -DskipTests install
./mvnw -B -q -pl ecaptureq-gateway test-compile
./mvnw -B -q -pl ecaptureq-gateway dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/gateway-fanout.classpath >/dev/null
CP="ecaptureq-gateway/target/test-classes:ecaptureq-gateway/target/classes:$(cat ecaptureq-gateway/target/gateway-fanout.classpath)"
exec "$JAVA_HOME/bin/java" -Xmx2g --enable-native-access=ALL-UNNAMED \
  -Dlog4j2.configurationFile=ecaptureq-gateway/src/test/resources/log4j2-test.xml \
  -cp "$CP" io.ecapture.kafka.gateway.GatewayFanoutBench "$@"
