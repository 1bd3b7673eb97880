package io.ecapture.kafka.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.streams.errors.ProductionExceptionHandler.Result;
import org.junit.jupiter.api.Test;

class OversizedRecordHandlerTest {
  private final ProcessorMetrics metrics = new ProcessorMetrics();
  private final OversizedRecordHandler handler = new OversizedRecordHandler();
  private final ProducerRecord<byte[], byte[]> record =
      new ProducerRecord<>("ecapture.parsed", new byte[] {1}, new byte[2_000_000]);

  @Test
  void tooLargeRecordsAreSkippedAndCounted() {
    handler.configure(Map.of(OversizedRecordHandler.METRICS_CONFIG, metrics));
    assertEquals(Result.RESUME,
        handler.handleError(null, record, new RecordTooLargeException("too large")).result());
    assertEquals(1, metrics.oversizedRecords());
  }

  @Test
  void otherErrorsStillFail() {
    handler.configure(Map.of());
    assertEquals(Result.FAIL,
        handler.handleError(null, record, new TopicAuthorizationException("denied")).result());
  }
}
