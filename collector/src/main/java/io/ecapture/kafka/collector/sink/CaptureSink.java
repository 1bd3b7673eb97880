package io.ecapture.kafka.collector.sink;

import io.ecapture.kafka.proto.capture.ProcessLog;
import io.ecapture.kafka.proto.capture.RawEvent;
import java.util.Map;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/**
 * Where the collector delivers what it captures. {@link SpoolingKafkaSink} (an on-disk spool in
 * front of Kafka) is the production implementation, {@link KafkaCaptureSink} the one without the
 * spool; a new destination implements this interface and is passed to {@code Collector.start}.
 *
 * <p>{@link #event} is called on the ring-buffer thread for every record, so it must not block for
 * long: a slow sink makes the kernel ring buffer fill and drop (counted).
 */
public interface CaptureSink extends AutoCloseable {
  /** Delivers one capture event (asynchronously is fine). */
  void event(RawEvent event);

  /**
   * Delivers one NSS key-log line ({@code CLIENT_RANDOM ...}, {@code CLIENT_TRAFFIC_SECRET_0 ...})
   * for topic ecapture.keylog. Default: dropped (sinks that do not publish keys).
   */
  default void keyLog(String line) {}

  /**
   * Every event the kernel captured before {@code wallTimeNs} (Unix ns) has been handed to {@link
   * #event}: called by the ring-buffer thread after each drain with the wall time taken before
   * it. Progress marks carry this time (never a later one), so a mark never claims events still
   * waiting in the ring buffer. Default: ignored.
   */
  default void drainedUpTo(long wallTimeNs) {}

  /** Delivers one process-log line. */
  void log(ProcessLog line);

  /** The metrics of the Kafka client delivering, for {@code /metrics}; none by default. */
  default Map<MetricName, ? extends Metric> kafkaMetrics() {
    return Map.of();
  }

  /** Waits until everything handed over so far is delivered or failed. */
  void flush();

  /** Delivers what is pending within a bounded time (what cannot be delivered is counted), then releases resources. */
  @Override
  void close();
}
