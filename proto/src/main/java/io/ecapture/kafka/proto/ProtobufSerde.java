package io.ecapture.kafka.proto;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import com.google.protobuf.UnsafeByteOperations;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A Kafka {@link Serde} for one protobuf message type over protobuf-java.
 *
 * <p>Values are written as the plain serialized message by default. When constructed with a
 * schema id, they are written with Confluent's Schema Registry wire framing (magic byte 0, 4-byte
 * big-endian schema id, message-index varints, then the message) so a registry-aware consumer can
 * read them. The deserializer accepts both forms: a plain protobuf message never starts with byte
 * 0 (field number 0 is invalid), so a leading 0 unambiguously means framing.
 *
 * <p>Malformed input raises {@link SerializationException}, which Kafka clients and Kafka Streams'
 * deserialization exception handlers understand (dead-letter routing lives there).
 */
public final class ProtobufSerde<T extends Message> implements Serde<T> {
  private static final byte MAGIC = 0;

  private final Parser<T> parser;
  private final int schemaId;
  private final String typeName;
  private final boolean aliasing;

  /** Plain protobuf values. */
  public ProtobufSerde(Parser<T> parser, String typeName) {
    this(parser, typeName, -1);
  }

  /** Confluent-framed values with the given registry schema id (the first message of its file). */
  public ProtobufSerde(Parser<T> parser, String typeName, int schemaId) {
    this(parser, typeName, schemaId, false);
  }

  private ProtobufSerde(Parser<T> parser, String typeName, int schemaId, boolean aliasing) {
    this.parser = parser;
    this.typeName = typeName;
    this.schemaId = schemaId;
    this.aliasing = aliasing;
  }

  /**
   * The same serde, except that the values it decodes share the input array in their bytes
   * fields instead of copying them (a captured payload is then not copied once more). For callers
   * that never change the array after decoding (a Kafka deserializer's input is a fresh array per
   * record); a kept field keeps the whole array alive.
   */
  public ProtobufSerde<T> aliasing() {
    return new ProtobufSerde<>(parser, typeName, schemaId, true);
  }

  @Override
  public Serializer<T> serializer() {
    return (topic, message) -> {
      if (message == null) {
        return null;
      }
      if (schemaId < 0) {
        return message.toByteArray();
      }
      byte[] body = message.toByteArray();
      // magic, schema id, then a single 0 byte: the message-index list [0] in its short form
      ByteBuffer out = ByteBuffer.allocate(1 + 4 + 1 + body.length);
      out.put(MAGIC).putInt(schemaId).put((byte) 0).put(body);
      return out.array();
    };
  }

  @Override
  public Deserializer<T> deserializer() {
    return (topic, data) -> data == null ? null : parse(topic, data);
  }

  private T parse(String topic, byte[] data) {
    try {
      if (data.length > 0 && data[0] == MAGIC) {
        return parseFramed(data);
      }
      if (aliasing) {
        // only an input protobuf may treat as immutable is aliased (newInstance(byte[]) is not)
        CodedInputStream in = UnsafeByteOperations.unsafeWrap(data).newCodedInput();
        in.enableAliasing(true);
        return parser.parseFrom(in);
      }
      return parser.parseFrom(data);
    } catch (IOException | RuntimeException e) {
      throw new SerializationException(
          "cannot decode " + typeName + " from topic " + topic + " (" + data.length + " bytes): "
              + e.getMessage(),
          e);
    }
  }

  private T parseFramed(byte[] data) throws IOException {
    if (data.length < 6) {
      throw new InvalidProtocolBufferException("framed value shorter than its 6-byte header");
    }
    CodedInputStream in = aliasing
        ? UnsafeByteOperations.unsafeWrap(data, 5, data.length - 5).newCodedInput()
        : CodedInputStream.newInstance(data, 5, data.length - 5);
    in.enableAliasing(aliasing);
    // message indexes: a zig-zag count, then that many zig-zag indexes; count 0 means [0]
    int count = in.readSInt32();
    if (count < 0 || count > 64) {
      throw new InvalidProtocolBufferException("bad message-index count " + count);
    }
    for (int i = 0; i < count; i++) {
      in.readSInt32();
    }
    return parser.parseFrom(in);
  }
}
