package io.ecapture.kafka.proto;

import io.ecapture.kafka.proto.capture.ProcessLog;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.ecaptureq.LogEntry;
import io.ecapture.kafka.proto.parsed.ParsedMessage;

/** One serde per message type that travels through Kafka. */
public final class Serdes {
  public static final ProtobufSerde<RawEvent> RAW_EVENT =
      new ProtobufSerde<>(RawEvent.parser(), "RawEvent");
  public static final ProtobufSerde<ProcessLog> PROCESS_LOG =
      new ProtobufSerde<>(ProcessLog.parser(), "ProcessLog");
  public static final ProtobufSerde<ParsedMessage> PARSED_MESSAGE =
      new ProtobufSerde<>(ParsedMessage.parser(), "ParsedMessage");
  public static final ProtobufSerde<LogEntry> LOG_ENTRY =
      new ProtobufSerde<>(LogEntry.parser(), "LogEntry");

  public static final ProtobufSerde<io.ecapture.kafka.proto.capture.PacketRecord> PACKET_RECORD =
      new ProtobufSerde<>(io.ecapture.kafka.proto.capture.PacketRecord.parser(), "PacketRecord");

  private Serdes() {}
}
