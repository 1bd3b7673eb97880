# Shared by every benchmark script (sourced, not run). bench_java MODULE sets JAVA to a java
# command line whose classpath holds MODULE's classes, its test helpers and its benchmarks
# (src/bench/java, compiled with mvn -Pbench into target/bench-test-classes).
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"

bench_java() {
  local module="$1" heap="${2:-2g}"
  # the module resolves its siblings from the local repository; BENCH_NO_BUILD=1 reuses this
  # checkout's last build (several benchmarks in a row); only the module and what it needs is built
  if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
    ./mvnw -B -q -pl "$module" -am -DskipTests install
    ./mvnw -B -q -pl "$module" -Pbench test-compile
  fi
  ./mvnw -B -q -pl "$module" -Pbench dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile=target/bench.classpath >/dev/null
  # this checkout's sibling modules first: ~/.m2 is shared, and another checkout may install a
  # different snapshot of them (e.g. another BPF object) between the install above and the run
  local siblings
  siblings=$(ls -d */target/classes 2>/dev/null | grep -v "^$module/" | tr '\n' ':')
  local cp="$module/target/bench-test-classes:$module/target/classes:$siblings$(cat "$module/target/bench.classpath")"
  JAVA=("$JAVA_HOME/bin/java" "-Xmx$heap" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow
    "-Dlog4j2.configurationFile=$module/src/test/resources/log4j2-test.xml" -cp "$cp")
  # extra JVM options for one run (e.g. -Dbench.streams.commit.interval.ms=100 for the processor
  # throughput bench), split on spaces
  if [ -n "${BENCH_JAVA_OPTIONS:-}" ]; then
    local extra
    read -r -a extra <<< "$BENCH_JAVA_OPTIONS"
    JAVA=("${JAVA[0]}" "${extra[@]}" "${JAVA[@]:1}")
  fi
}
