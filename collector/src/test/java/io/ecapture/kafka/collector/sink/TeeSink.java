package io.ecapture.kafka.collector.sink;

import io.ecapture.kafka.proto.capture.ProcessLog;
import io.ecapture.kafka.proto.capture.RawEvent;
import java.util.Map;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/** Delivers to a real sink and also records what was handed over, to compare with what arrived. */
final class TeeSink implements CaptureSink {
  final RecordingSink recorded = new RecordingSink();
  private final CaptureSink target;

  TeeSink(CaptureSink target) {
    this.target = target;
  }

  @Override
  public void event(RawEvent event) {
    recorded.event(event);
    target.event(event);
  }

  @Override
  public void keyLog(String line) {
    recorded.keyLog(line);
    target.keyLog(line);
  }

  @Override
  public void drainedUpTo(long wallTimeNs) {
    target.drainedUpTo(wallTimeNs);
  }

  @Override
  public void log(ProcessLog line) {
    target.log(line);
  }

  @Override
  public Map<MetricName, ? extends Metric> kafkaMetrics() {
    return target.kafkaMetrics();
  }

  @Override
  public void flush() {
    target.flush();
  }

  @Override
  public void close() {
    target.close();
  }
}
