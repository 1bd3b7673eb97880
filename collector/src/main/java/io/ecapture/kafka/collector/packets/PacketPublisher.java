package io.ecapture.kafka.collector.packets;

import io.ecapture.kafka.collector.sink.ProducerSettings;
import io.ecapture.kafka.proto.capture.PacketRecord;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Produces {@link PacketRecord}s to {@code ecapture.packets} keyed by flow, with its own producer
 * (client id {@code ecapture-packets-<host>}, the collector's overrides: security settings). Not
 * spooled: frames are a second view of what {@code ecapture.raw} carries, and a broker outage
 * must not fill the disk with them. A failed send is counted in {@link #sendErrors()}, never
 * retried past the producer's own delivery timeout.
 */
public final class PacketPublisher implements AutoCloseable {
  private final String topic;
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

  private final KafkaProducer<String, byte[]> producer;
  private final LongAdder sent = new LongAdder();
  private final LongAdder sendErrors = new LongAdder();

  public PacketPublisher(ProducerSettings settings) {
    topic = settings.topics().packets();
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "ecapture-packets-" + settings.hostId());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 32L * 1024 * 1024);
    // a frame is at most 256 KiB: one record always fits the topic's default 1 MiB
    props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 1024 * 1024);
    // never stall the packets thread for long while the broker is away: fail and count instead
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 2_000);
    props.putAll(settings.overrides());
    Properties properties = new Properties();
    properties.putAll(props);
    producer = new KafkaProducer<>(properties, new StringSerializer(), new ByteArraySerializer());
  }

  /** Sends asynchronously; the outcome is counted. */
  public void publish(PacketRecord record) {
    try {
      producer.send(new ProducerRecord<>(topic, record.getFlowKey(), record.toByteArray()),
          (metadata, error) -> (error == null ? sent : sendErrors).increment());
    } catch (RuntimeException e) { // buffer full past max.block.ms, closed
      sendErrors.increment();
    }
  }

  public long sent() {
    return sent.sum();
  }

  public long sendErrors() {
    return sendErrors.sum();
  }

  @Override
  public void close() {
    producer.close(CLOSE_TIMEOUT);
  }
}
