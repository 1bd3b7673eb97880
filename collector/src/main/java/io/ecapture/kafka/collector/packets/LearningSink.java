package io.ecapture.kafka.collector.packets;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.ecapture.kafka.collector.sink.CaptureSink;
import io.ecapture.kafka.proto.capture.ProcessLog;
import io.ecapture.kafka.proto.capture.RawEvent;
import java.util.Map;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/**
 * Passes everything to the collector's sink and tells the {@link PacketCapture} about the
 * connections the TLS probes decode: an open names the server port ({@link PacketCapture#learn}),
 * the first event with a 4-tuple adds the flow, a close removes it. Runs on the ring-buffer
 * thread: one map update per new connection.
 */
public final class LearningSink implements CaptureSink {
  /** Connection ids whose flow was added, at most this many remembered. */
  static final int REMEMBERED_CONNECTIONS = 65_536;

  private final CaptureSink delegate;
  private final PacketCapture packets;
  private final Cache<String, Boolean> learned = Caffeine.newBuilder().maximumSize(REMEMBERED_CONNECTIONS).build();

  public LearningSink(CaptureSink delegate, PacketCapture packets) {
    this.delegate = delegate;
    this.packets = packets;
  }

  @Override
  public void event(RawEvent event) {
    try {
      if (event.hasTuple() && !event.getTuple().getSrcAddr().isEmpty()) {
        if (event.hasClose()) {
          learned.invalidate(event.getConnectionId());
          packets.forget(event.getTuple());
        } else if (event.hasOpen()) {
          learned.put(event.getConnectionId(), Boolean.TRUE);
          packets.learn(event.getTuple(), event.getOpen().getIsAccept());
        } else if (learned.asMap().putIfAbsent(event.getConnectionId(), Boolean.TRUE) == null) {
          packets.learnFlow(event.getTuple());
        }
      }
    } catch (RuntimeException e) {
      // a map update the kernel refused must not cost the event itself
    }
    delegate.event(event);
  }

  @Override
  public void keyLog(String line) {
    delegate.keyLog(line);
  }

  @Override
  public void drainedUpTo(long wallTimeNs) {
    delegate.drainedUpTo(wallTimeNs);
  }

  @Override
  public void log(ProcessLog line) {
    delegate.log(line);
  }

  @Override
  public Map<MetricName, ? extends Metric> kafkaMetrics() {
    return delegate.kafkaMetrics();
  }

  @Override
  public void flush() {
    delegate.flush();
  }

  @Override
  public void close() {
    delegate.close();
  }
}
