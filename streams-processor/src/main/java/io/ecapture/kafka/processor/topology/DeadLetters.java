package io.ecapture.kafka.processor.topology;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Dead-letter records: the input key and value unchanged, the reason in headers so the record
 * can be inspected or replayed. Written by the connection processor (undecodable input, a parser
 * failure) and by {@link io.ecapture.kafka.processor.PoisonRecordHandler} (a record that failed
 * every attempt).
 */
public final class DeadLetters {
  public static final String HEADER_ERROR = "ecapture.error";
  public static final String HEADER_ERROR_CLASS = "ecapture.error.class";
  public static final String HEADER_SOURCE_TOPIC = "ecapture.source.topic";
  public static final String HEADER_SOURCE_PARTITION = "ecapture.source.partition";
  public static final String HEADER_SOURCE_OFFSET = "ecapture.source.offset";

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

  /**
   * The dead letter of a source record as a producer record for {@code dlqTopic}: its key and
   * value, its headers, then the reason and where it came from.
   */
  public static ProducerRecord<byte[], byte[]> producerRecord(String dlqTopic, byte[] key, byte[] value,
      Headers original, String sourceTopic, int partition, long offset, String error, Class<?> errorClass) {
    Headers headers = new RecordHeaders(original == null ? new org.apache.kafka.common.header.Header[0]
        : original.toArray());
    headers.add(HEADER_ERROR, utf8(error));
    headers.add(HEADER_ERROR_CLASS, utf8(errorClass.getName()));
    headers.add(HEADER_SOURCE_TOPIC, utf8(sourceTopic));
    headers.add(HEADER_SOURCE_PARTITION, utf8(Integer.toString(partition)));
    headers.add(HEADER_SOURCE_OFFSET, utf8(Long.toString(offset)));
    return new ProducerRecord<>(dlqTopic, null, key, value, headers);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
