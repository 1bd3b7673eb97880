# One image for every command of ecapture-kafka; the container's arguments pick it:
#   collector | processor | gateway | topics | broker | up ...   (README.md, "Running across a fleet")
#
# Build the jars first, then the image (checked against the build by ImageDefinitionIT; where no
# registry is reachable, deploy/image/podman-smoke.sh builds it with podman on a base it makes
# and runs the pipeline from it):
#   ./mvnw -B -q -DskipTests install && docker build -t ecapture-kafka:0.1.0 .
#
# Everything runs as the unprivileged user 10001 except the collector: loading eBPF and
# attaching uprobes needs root with CAP_SYS_ADMIN (README.md, "Kubernetes"), so its compose service
# and DaemonSet set user 0 and privileges explicitly.
# BASE_IMAGE: any image with a Java 25 runtime on its PATH and apt-get (Debian/Ubuntu);
# deploy/image/podman-smoke.sh builds one from a debootstrap root file system where no registry
# is reachable.
ARG BASE_IMAGE=eclipse-temurin:25-jre
FROM ${BASE_IMAGE}

# libbpf.so.1 for the collector's FFM bindings (the BPF object itself is inside the jar); the
# user and the writable state directories of the non-root components.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libbpf1 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 ecapture \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/ecapture-kafka --no-create-home \
      --shell /usr/sbin/nologin ecapture \
 && mkdir -p /var/lib/ecapture-kafka/streams \
 && chown -R 10001:10001 /var/lib/ecapture-kafka \
 && chmod -R 0700 /var/lib/ecapture-kafka

WORKDIR /opt/ecapture-kafka
# The launcher jar's manifest names its class path as lib/*.jar next to it.
COPY fleet-launcher/target/lib/ lib/
COPY fleet-launcher/target/ecapture-kafka.jar ecapture-kafka.jar
# Liveness/readiness check of /status from inside the container (loopback-only status ports).
COPY deploy/image/status-probe /opt/ecapture-kafka/bin/status-probe

USER 10001:10001
# The gateway's WebSocket, browser view, /status and /metrics (GatewayConfig.DEFAULT_PORT). The
# collector's (28258) and the processor's (28259) status ports listen on loopback only.
EXPOSE 28257
ENTRYPOINT ["java", "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-XX:MaxRAMPercentage=75", "-jar", "/opt/ecapture-kafka/ecapture-kafka.jar"]
CMD ["--help"]
