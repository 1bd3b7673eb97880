package io.ecapture.kafka.processor;

import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Production errors: a record the broker or producer refuses as too large is logged, counted and
 * skipped instead of stopping the app (the limits in {@link ProcessorLimits} make this rare, a
 * topic with a smaller {@code max.message.bytes} can still cause it). Every other error fails,
 * as Kafka Streams' default does, so exactly-once is never traded for silent loss.
 */
public final class OversizedRecordHandler implements ProductionExceptionHandler {
  /** Streams config key under which {@link StreamsProcessor} passes its {@link ProcessorMetrics}. */
  public static final String METRICS_CONFIG = "ecapture.processor.metrics";
  private static final Logger LOG = LoggerFactory.getLogger(OversizedRecordHandler.class);

  private ProcessorMetrics metrics;

  @Override
  public void configure(Map<String, ?> configs) {
    if (configs.get(METRICS_CONFIG) instanceof ProcessorMetrics m) {
      metrics = m;
    }
  }

  @Override
  public Response handleError(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record,
      Exception exception) {
    if (exception instanceof RecordTooLargeException) {
      LOG.error("dropping a record of {} bytes to {}: {}",
          record.value() == null ? 0 : record.value().length, record.topic(), exception.getMessage());
      if (metrics != null) {
        metrics.oversizedRecord();
      }
      return Response.resume();
    }
    return Response.fail();
  }
}
