package io.ecapture.kafka.processor.topology;

import io.ecapture.kafka.processor.ProcessorConfig;
import io.ecapture.kafka.processor.ProcessorMetrics;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;

/**
 * A new {@link ConnectionProcessor} per task, sharing only the thread-safe metrics; the time it
 * spends processing is counted per stream thread ({@link ThreadBusyTime}) for the idle flush.
 */
public final class ConnectionProcessorSupplier
    implements ProcessorSupplier<byte[], byte[], Object, Object> {
  private final ProcessorConfig config;
  private final ProcessorMetrics metrics;

  public ConnectionProcessorSupplier(ProcessorConfig config, ProcessorMetrics metrics) {
    this.config = config;
    this.metrics = metrics;
  }

  @Override
  public Processor<byte[], byte[], Object, Object> get() {
    MessageExtractor extractor = new MessageExtractor(
        ProtocolRegistry.standard(config.limits(), metrics), config.limits(), metrics);
    return new Timed(new ConnectionProcessor(
        config, metrics, new DirectionAssembler(extractor, config.limits(), metrics)));
  }

  /** Counts the time spent in {@code process} into the thread's {@link ThreadBusyTime}. */
  private record Timed(ConnectionProcessor processor)
      implements Processor<byte[], byte[], Object, Object> {
    @Override
    public void init(org.apache.kafka.streams.processor.api.ProcessorContext<Object, Object> context) {
      processor.init(context);
    }

    @Override
    public void process(org.apache.kafka.streams.processor.api.Record<byte[], byte[]> record) {
      long started = System.nanoTime();
      try {
        processor.process(record);
      } finally {
        ThreadBusyTime.since(started);
      }
    }

    @Override
    public void close() {
      processor.close();
    }
  }
}
