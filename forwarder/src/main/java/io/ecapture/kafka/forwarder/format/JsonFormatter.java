package io.ecapture.kafka.forwarder.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.ecapture.kafka.common.IpAddresses;
import io.ecapture.kafka.common.Json;
import io.ecapture.kafka.proto.ParsedText;
import io.ecapture.kafka.proto.capture.ProcessLog;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * The JSON format: one object per event, every field of the {@code ParsedMessage} under its proto
 * name (scalars also when zero, nested messages when set, enums by name, 64-bit numbers as JSON
 * numbers), plus {@code record} ({@code "event"} or {@code "log"}), {@code time} (ISO-8601 of the
 * first byte), {@code type} and {@code type_name} (eCaptureQ's event type), {@code module} and
 * {@code kafka} ({@code topic}, {@code partition}, {@code offset}: where to find the record again).
 * Byte fields (bodies, {@code rendered}, {@code raw}) are strings when they are UTF-8 text, else
 * base64 under the name with {@code _base64} appended; cut at {@code --truncate} bytes with
 * {@code <name>_cut_from: ORIGINAL_SIZE} (a name no proto field has). Addresses are in RFC 5952 form.
 * {@code rendered} is the whole display text (a body shared with {@code http.body} is joined in).
 */
public final class JsonFormatter {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final int truncate;

  /** @param truncate byte fields keep at most this many bytes, 0 = all */
  public JsonFormatter(int truncate) {
    this.truncate = truncate;
  }

  /** Where a record came from (for the {@code kafka} object); null leaves it out. */
  public record Origin(String topic, int partition, long offset) {}

  public ObjectNode eventNode(ParsedMessage m, long fallbackTimeNs, Origin origin) {
    ObjectNode node = NODES.objectNode();
    node.put("record", "event");
    long ns = m.getFirstByteTimeNs() > 0 ? m.getFirstByteTimeNs() : fallbackTimeNs;
    node.put("time", TextFormatter.time(ns));
    int type = EventKinds.type(m);
    node.put("type", type);
    node.put("type_name", EventKinds.typeName(type));
    node.put("module", EventKinds.module(m));
    if (m.getRenderedBodyShared()) {
      // the JSON shows rendered as the whole display text, as before the body was shared
      m = m.toBuilder().setRendered(ParsedText.rendered(m)).clearRenderedBodyShared().build();
    }
    fields(m, node);
    for (String side : List.of("src", "dst")) {
      if (node.get(side) instanceof ObjectNode endpoint && endpoint.hasNonNull("ip")) {
        endpoint.put("ip", IpAddresses.normalize(endpoint.get("ip").asText()));
      }
    }
    origin(node, origin);
    return node;
  }

  public ObjectNode logNode(ProcessLog log, long fallbackTimeNs, Origin origin) {
    ObjectNode node = NODES.objectNode();
    node.put("record", "log");
    node.put("time", TextFormatter.time(log.getWallTimeNs() > 0 ? log.getWallTimeNs() : fallbackTimeNs));
    fields(log, node);
    origin(node, origin);
    return node;
  }

  /** One NDJSON line (with its newline). */
  public byte[] event(ParsedMessage m, long fallbackTimeNs, Origin origin) {
    return line(eventNode(m, fallbackTimeNs, origin));
  }

  public byte[] log(ProcessLog log, long fallbackTimeNs, Origin origin) {
    return line(logNode(log, fallbackTimeNs, origin));
  }

  /** A JSON array of the nodes (an HTTP push batch). */
  public static byte[] array(List<ObjectNode> nodes) {
    ArrayNode array = NODES.arrayNode();
    nodes.forEach(array::add);
    return write(array).getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] line(ObjectNode node) {
    return (write(node) + "\n").getBytes(StandardCharsets.UTF_8);
  }

  private static String write(Object node) {
    try {
      return Json.MAPPER.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("JSON tree not writable", e);
    }
  }

  private static void origin(ObjectNode node, Origin origin) {
    if (origin != null) {
      ObjectNode kafka = node.putObject("kafka");
      kafka.put("topic", origin.topic());
      kafka.put("partition", origin.partition());
      kafka.put("offset", origin.offset());
    }
  }

  private void fields(Message message, ObjectNode into) {
    for (FieldDescriptor field : message.getDescriptorForType().getFields()) {
      if (field.isRepeated()) {
        int count = message.getRepeatedFieldCount(field);
        if (count == 0) {
          continue;
        }
        ArrayNode array = into.putArray(field.getName());
        for (int i = 0; i < count; i++) {
          Object value = message.getRepeatedField(field, i);
          if (value instanceof Message nested) {
            ObjectNode child = array.addObject();
            fields(nested, child);
          } else {
            ObjectNode holder = NODES.objectNode();
            scalar(field.getName(), field, value, holder);
            array.add(holder.elements().next());
          }
        }
      } else if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        if (message.hasField(field)) {
          fields((Message) message.getField(field), into.putObject(field.getName()));
        }
      } else if (!field.hasPresence() || message.hasField(field)) {
        scalar(field.getName(), field, message.getField(field), into);
      }
    }
  }

  private void scalar(String name, FieldDescriptor field, Object value, ObjectNode into) {
    switch (field.getJavaType()) {
      case INT -> {
        int v = (Integer) value;
        boolean unsigned = field.getType() == FieldDescriptor.Type.UINT32 || field.getType() == FieldDescriptor.Type.FIXED32;
        if (unsigned) {
          into.put(name, Integer.toUnsignedLong(v));
        } else {
          into.put(name, v);
        }
      }
      case LONG -> {
        long v = (Long) value;
        boolean unsigned = field.getType() == FieldDescriptor.Type.UINT64 || field.getType() == FieldDescriptor.Type.FIXED64;
        if (unsigned && v < 0) {
          into.put(name, new java.math.BigInteger(Long.toUnsignedString(v)));
        } else {
          into.put(name, v);
        }
      }
      case BOOLEAN -> into.put(name, (Boolean) value);
      case FLOAT -> into.put(name, (Float) value);
      case DOUBLE -> into.put(name, (Double) value);
      case STRING -> into.put(name, (String) value);
      case ENUM -> into.put(name, ((EnumValueDescriptor) value).getName());
      case BYTE_STRING -> bytes(name, (ByteString) value, into);
      default -> into.put(name, String.valueOf(value));
    }
  }

  private void bytes(String name, ByteString value, ObjectNode into) {
    ByteString shown = value;
    if (truncate > 0 && value.size() > truncate) {
      int cut = truncate;
      while (cut > 0 && (value.byteAt(cut) & 0xC0) == 0x80) {
        cut--;
      }
      shown = value.substring(0, value.isValidUtf8() ? cut : truncate);
      // not "<name>_truncated": parsed.proto has fields of that name (body_truncated, ...)
      into.put(name + "_cut_from", value.size());
    }
    if (shown.isValidUtf8()) {
      into.put(name, shown.toStringUtf8());
    } else {
      into.put(name + "_base64", Base64.getEncoder().encodeToString(shown.toByteArray()));
    }
  }
}
