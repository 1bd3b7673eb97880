package io.ecapture.kafka.processor.topology;

import io.ecapture.kafka.processor.ProcessorConfig;
import io.ecapture.kafka.processor.ProcessorMetrics;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;

/** A new {@link ConnectionProcessor} per task, sharing only the thread-safe metrics. */
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
    return new ConnectionProcessor(
        config, metrics, new DirectionAssembler(extractor, config.limits(), metrics));
  }
}
