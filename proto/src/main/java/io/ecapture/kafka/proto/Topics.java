package io.ecapture.kafka.proto;

import io.ecapture.kafka.proto.capture.ProcessLog;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.util.List;
import org.apache.kafka.common.serialization.Serde;

/** Every topic of the pipeline, with its key and value serdes. */
public final class Topics {
  private static final Serde<String> KEY = org.apache.kafka.common.serialization.Serdes.String();

  /** Collector output, keyed by connection id so one connection stays ordered in one partition. */
  public static final Topic<String, RawEvent> RAW = new Topic<>("ecapture.raw", KEY, Serdes.RAW_EVENT);

  /** Processor output, keyed by connection id; consumed by the gateway and analytics. */
  public static final Topic<String, ParsedMessage> PARSED =
      new Topic<>("ecapture.parsed", KEY, Serdes.PARSED_MESSAGE);

  /** Process-log lines of every component, keyed by host id. */
  public static final Topic<String, ProcessLog> LOGS =
      new Topic<>("ecapture.logs", KEY, Serdes.PROCESS_LOG);

  /** Raw records the processor could not decode; the error is in the record headers. */
  public static final Topic<byte[], byte[]> DLQ =
      new Topic<>(
          "ecapture.dlq",
          org.apache.kafka.common.serialization.Serdes.ByteArray(),
          org.apache.kafka.common.serialization.Serdes.ByteArray());

  /** TLS key material as NSS key-log lines, keyed by host id. */
  public static final Topic<String, String> KEYLOG =
      new Topic<>("ecapture.keylog", KEY, org.apache.kafka.common.serialization.Serdes.String());

  /** Frames of TLS flows captured by the collector's packets module, keyed by flow. */
  public static final Topic<String, io.ecapture.kafka.proto.capture.PacketRecord> PACKETS =
      new Topic<>("ecapture.packets", KEY, Serdes.PACKET_RECORD);

  public static final List<Topic<?, ?>> ALL = List.of(RAW, PARSED, LOGS, DLQ, KEYLOG, PACKETS);

  private Topics() {}
}
