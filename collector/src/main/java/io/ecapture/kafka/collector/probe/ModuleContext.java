package io.ecapture.kafka.collector.probe;

import io.ecapture.kafka.collector.decode.MonotonicClock;
import io.ecapture.kafka.collector.decode.WorkloadSource;
import io.ecapture.kafka.proto.capture.RawEvent;
import java.util.function.Consumer;
import java.util.function.ToIntFunction;

/**
 * What a {@link CaptureModule} is given to run: where its events go (the collector's sink, on the
 * module's own thread: must not block long) and its log.
 *
 * @param hostId the host id of connection ids
 * @param clock kernel monotonic to wall time
 * @param workloads cgroup id to workload
 * @param events delivers one event
 * @param info process log, info level
 * @param warn process log, warning level
 * @param config the modules' options
 * @param keyLog delivers one NSS key-log line (GnuTLS's secrets) to the key-log topic
 * @param sharedMapFd the fd of a map of the tlscapture object by name (the process filter maps
 *     and the kernel counters the modules object reuses), or null when the modules run without it
 */
public record ModuleContext(String hostId, MonotonicClock clock, WorkloadSource workloads,
    Consumer<RawEvent> events, Consumer<String> keyLog, Consumer<String> info, Consumer<String> warn, ModulesConfig config,
    ToIntFunction<String> sharedMapFd) {}
