# One image for every component (the command picks which): build the jars first with
#   ./mvnw -B -q -DskipTests install
# then `docker build -t ecapture-kafka:0.1.0 .` (needs a Docker engine; not exercised in CI here).
FROM eclipse-temurin:25-jre
# libbpf.so.1 for the collector's FFM bindings; the BPF object itself is inside the jar.
RUN apt-get update && apt-get install -y --no-install-recommends libbpf1 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/ecapture-kafka
COPY fleet-launcher/target/lib/ lib/
COPY fleet-launcher/target/ecapture-kafka.jar ecapture-kafka.jar
ENTRYPOINT ["java", "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-jar", "ecapture-kafka.jar"]
CMD ["--help"]
