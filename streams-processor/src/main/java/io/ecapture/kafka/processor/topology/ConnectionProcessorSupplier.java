package io.ecapture.kafka.processor.topology;

import io.ecapture.kafka.processor.CommitPacing;
import io.ecapture.kafka.processor.ProcessorConfig;
import io.ecapture.kafka.processor.ProcessorMetrics;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;

/**
 * A new {@link ConnectionProcessor} per task, sharing only the thread-safe metrics; the time it
 * spends processing is counted per stream thread ({@link ThreadBusyTime}) for the idle flush, and
 * under exactly_once_v2 a commit is requested after it emitted parsed messages ({@link
 * CommitPacer}, {@link ProcessorConfig#commitPacing()}).
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
        config, metrics, new DirectionAssembler(extractor, config.limits(), metrics)),
        config.effectiveCommitPacing(), metrics);
  }

  /**
   * Counts the time spent in {@code process} into the thread's {@link ThreadBusyTime}, and paces
   * commit requests for what it emits.
   */
  private static final class Timed implements Processor<byte[], byte[], Object, Object> {
    private final ConnectionProcessor processor;
    private final CommitPacing pacing;
    private final ProcessorMetrics metrics;
    private CommitPacer pacer;

    Timed(ConnectionProcessor processor, CommitPacing pacing, ProcessorMetrics metrics) {
      this.processor = processor;
      this.pacing = pacing;
      this.metrics = metrics;
    }

    @Override
    public void init(org.apache.kafka.streams.processor.api.ProcessorContext<Object, Object> context) {
      pacer = CommitPacer.forCurrentThread(context, pacing);
      pacer.onRequest(metrics::commitRequested);
      processor.init(pacer.context());
    }

    @Override
    public void process(org.apache.kafka.streams.processor.api.Record<byte[], byte[]> record) {
      long started = System.nanoTime();
      try {
        processor.process(record);
        pacer.afterWork();
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
