#!/usr/bin/env bash
# Builds the repository's Dockerfile with podman where no registry is reachable, and runs the
# pipeline from that image for real: a broker, the topics, a processor, a privileged collector
# (host PID namespace, the host's BTF and cgroup tree) and `forward` to a file; a curl of a
# marker over TLS on the host must come out of `forward` as a parsed request and response.
#
#   ./mvnw -B -q -o -pl fleet-launcher -am package -DskipTests   # the jars the image copies
#   sudo deploy/image/podman-smoke.sh                               # as root
#
# The base image (eclipse-temurin:25-jre on a registry) is replaced by one made here: a Debian
# bookworm root file system from the Debian mirror (debootstrap --variant=minbase) with a Java 25
# runtime linked from $JAVA_HOME (jlink), imported into podman as localhost/ecapture-base:25-jre,
# and passed as the Dockerfile's BASE_IMAGE build argument. Cached in $WORK between runs.
#
# Needs: root, podman, runc, debootstrap, curl, openssl, the Debian mirror (debootstrap, and the
# Dockerfile's apt-get install libbpf1). Everything it starts is named eck-smoke-$RUN and removed
# at exit. Prints one line per step and "podman smoke: OK" at the end; exits non-zero with the
# failing step's reason otherwise.
#
# Settings for this machine kind (found here, Debian 12 with hybrid cgroups in a sandbox):
# - runc, not crun: crun 1.8 refuses hybrid cgroup hierarchies ("cgroups in hybrid mode not
#   supported, drop all controllers from cgroupv2");
# - explicit --ulimit nofile/nproc at or under the caller's: podman's defaults (1048576 files) are
#   above this sandbox's hard limits and it lacks CAP_SYS_RESOURCE, so runc's setrlimit fails;
# - host networking: no bridge or port mapping needed, and the collector sees the host's sockets.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${WORK:-/var/tmp/ecapture-kafka-podman}
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
BASE=localhost/ecapture-base:25-jre
IMAGE=localhost/ecapture-kafka:smoke
RUN=$(date +%s)-$$
LIMITS=(--ulimit "nofile=4096:4096" --ulimit "nproc=4096:4096")
PODMAN=(podman --runtime runc)

step() { echo "podman smoke: $*"; }
fail() { echo "podman smoke: FAILED: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "run as root (the collector loads eBPF; podman runs rootful)"
for tool in podman runc debootstrap curl openssl; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (apt-get install podman runc debootstrap curl openssl)"
done
[ -x "$JAVA_HOME/bin/jlink" ] || fail "no jlink in JAVA_HOME=$JAVA_HOME (a JDK 25)"
[ -f "$ROOT/fleet-launcher/target/ecapture-kafka.jar" ] && [ -d "$ROOT/fleet-launcher/target/lib" ] \
  || fail "build the launcher first: ./mvnw -B -q -o -pl fleet-launcher -am package -DskipTests"
mkdir -p "$WORK"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
CONTAINERS=()
cleanup() {
  for c in "${CONTAINERS[@]}"; do "${PODMAN[@]}" rm -f "$c" >/dev/null 2>&1 || true; done
  [ -n "${SERVER_PID:-}" ] && kill "$SERVER_PID" 2>/dev/null || true
}
trap cleanup EXIT

# 1. the base image: Debian root file system + a Java 25 runtime
if ! "${PODMAN[@]}" image exists "$BASE"; then
  rootfs="$WORK/rootfs"
  if [ ! -x "$rootfs/usr/bin/apt-get" ]; then
    step "debootstrap bookworm (minbase) from $MIRROR into $rootfs"
    rm -rf "$rootfs"
    debootstrap --variant=minbase bookworm "$rootfs" "$MIRROR" > "$WORK/debootstrap.log" 2>&1 \
      || fail "debootstrap (log: $WORK/debootstrap.log)"
    rm -f "$rootfs"/var/cache/apt/archives/*.deb
  fi
  if [ ! -x "$rootfs/opt/java/openjdk/bin/java" ]; then
    step "jlink a Java runtime from $JAVA_HOME"
    # every module of the JDK but the linker itself (a JDK without jmods cannot link jdk.jlink)
    modules=$("$JAVA_HOME/bin/java" --list-modules | sed 's/@.*//' | grep -v -x -e jdk.jlink -e jdk.jpackage | paste -sd,)
    "$JAVA_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
      --output "$rootfs/opt/java/openjdk" 2>/dev/null || fail "jlink"
  fi
  step "import $BASE"
  tar -C "$rootfs" -c . | "${PODMAN[@]}" import \
    --change 'ENV JAVA_HOME=/opt/java/openjdk' \
    --change 'ENV PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    - "$BASE" >/dev/null || fail "podman import"
fi

# 2. the image, from a snapshot of the build context (a running build may rewrite target/)
context="$WORK/context"
rm -rf "$context" && mkdir -p "$context/fleet-launcher/target" "$context/deploy/image"
cp "$ROOT/Dockerfile" "$ROOT/.dockerignore" "$context/"
cp -r "$ROOT/fleet-launcher/target/lib" "$ROOT/fleet-launcher/target/ecapture-kafka.jar" "$context/fleet-launcher/target/"
cp -p "$ROOT/deploy/image/status-probe" "$context/deploy/image/"
step "podman build $IMAGE (BASE_IMAGE=$BASE)"
"${PODMAN[@]}" build --network host --build-arg "BASE_IMAGE=$BASE" -t "$IMAGE" "$context" > "$WORK/build.log" 2>&1 \
  || fail "podman build (log: $WORK/build.log)"
user=$("${PODMAN[@]}" image inspect --format '{{.Config.User}}' "$IMAGE")
[ "$user" = "10001:10001" ] || fail "image user is '$user', not 10001:10001"

run() { # name, then podman run options and the command's arguments
  local name=eck-smoke-$RUN-$1; shift
  CONTAINERS+=("$name")
  "${PODMAN[@]}" run -d --name "$name" --network host "${LIMITS[@]}" "$@" >/dev/null
}
logs_of() { "${PODMAN[@]}" logs "eck-smoke-$RUN-$1" 2>&1 | tail -20; }
wait_for() { # what, seconds, command...
  local what=$1 seconds=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 1
  done
}

# 3. the pipeline from the image
kafka_port=$(free_port); processor_port=$(free_port); collector_port=$(free_port)
bootstrap=127.0.0.1:$kafka_port
step "broker on $bootstrap (user 10001)"
run broker "$IMAGE" broker --host 127.0.0.1 --port "$kafka_port" --data-dir /var/lib/ecapture-kafka/broker
wait_for broker 180 "${PODMAN[@]}" run --rm --network host "${LIMITS[@]}" "$IMAGE" topics --bootstrap "$bootstrap" --partitions 2 \
  || fail "topics never created on $bootstrap; broker log: $(logs_of broker)"
step "topics created"
run processor "$IMAGE" processor --bootstrap "$bootstrap" --state-dir /var/lib/ecapture-kafka/streams \
  --status-port "$processor_port"
out="$WORK/forward-$RUN"
mkdir -p "$out" && chown 10001:10001 "$out"
run forward -v "$out:/out" "$IMAGE" forward --bootstrap "$bootstrap" --events /out/events.txt --from earliest
# the host's libssl bind-mounted (the same inode, so the uprobes hit the host's processes); the
# compose file's /proc/1/root/... path needs PID 1 to be ptrace-readable, which it is not where
# PID 1 is a sandbox's own agent (this machine: "Permission denied" even for root on the host)
libssl=$(readlink -f /lib/x86_64-linux-gnu/libssl.so.3)
run collector --user 0:0 --privileged --pid host -v /sys/kernel/btf:/sys/kernel/btf:ro \
  -v /sys/fs/cgroup:/sys/fs/cgroup:ro -v "$libssl:/host/libssl.so.3:ro" \
  "$IMAGE" collector --bootstrap "$bootstrap" --host-id "podman-smoke-$RUN" \
  --libssl /host/libssl.so.3 --comm curl --status-port "$collector_port" \
  --data-dir /var/lib/ecapture-kafka/collector
wait_for collector 180 curl -sf "http://127.0.0.1:$collector_port/status" \
  || fail "collector /status never answered; its log: $(logs_of collector)"
wait_for processor 180 sh -c "curl -sf http://127.0.0.1:$processor_port/status | grep -q '\"state\":\"RUNNING\"'" \
  || fail "processor not RUNNING; its log: $(logs_of processor)"
step "collector and processor up"

# 4. a TLS request on the host, captured by the collector in its container
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" >/dev/null 2>&1
tls_port=$(free_port)
(cd "$WORK" && exec python3 -c '
import http.server, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("path=" + self.path).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H)
c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain("cert.pem", "key.pem")
s.socket = c.wrap_socket(s.socket, server_side=True); s.serve_forever()' "$tls_port") &
SERVER_PID=$!
marker="podman-smoke-$RUN"
wait_for forward 180 sh -c "curl -sk https://127.0.0.1:$tls_port/$marker >/dev/null; sleep 2; grep -q 'path=/$marker' '$out/events.txt'" \
  || fail "marker $marker never reached forward's file; collector status: $(curl -s "http://127.0.0.1:$collector_port/status" | head -c 600); forward log: $(logs_of forward)"
grep -q "GET /$marker" "$out/events.txt" || fail "the request of $marker is missing from $out/events.txt"
step "curl of /$marker captured in the collector container, parsed by the processor container, written by forward: $(grep -c "$marker" "$out/events.txt") lines in $out/events.txt"
echo "podman smoke: OK"
