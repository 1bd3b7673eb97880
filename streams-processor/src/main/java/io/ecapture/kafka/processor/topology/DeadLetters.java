package io.ecapture.kafka.processor.topology;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Dead-letter records: the input key and value unchanged, the reason in headers so the record
 * can be inspected or replayed.
 */
final class DeadLetters {
  static final String HEADER_ERROR = "ecapture.error";
  static final String HEADER_ERROR_CLASS = "ecapture.error.class";
  static final String HEADER_SOURCE_TOPIC = "ecapture.source.topic";
  static final String HEADER_SOURCE_PARTITION = "ecapture.source.partition";
  static final String HEADER_SOURCE_OFFSET = "ecapture.source.offset";

  private DeadLetters() {}

  static Record<byte[], byte[]> of(Record<byte[], byte[]> input, RecordMetadata source,
      String error, Class<?> errorClass) {
    Headers headers = new RecordHeaders(input.headers().toArray());
    headers.add(HEADER_ERROR, utf8(error));
    headers.add(HEADER_ERROR_CLASS, utf8(errorClass.getName()));
    if (source != null) {
      headers.add(HEADER_SOURCE_TOPIC, utf8(source.topic()));
      headers.add(HEADER_SOURCE_PARTITION, utf8(Integer.toString(source.partition())));
      headers.add(HEADER_SOURCE_OFFSET, utf8(Long.toString(source.offset())));
    }
    return new Record<>(input.key(), input.value(), input.timestamp(), headers);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
