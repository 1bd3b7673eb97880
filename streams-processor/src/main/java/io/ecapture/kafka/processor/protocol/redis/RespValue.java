package io.ecapture.kafka.processor.protocol.redis;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One RESP2/RESP3 value (Redis serialization protocol), or an inline command.
 *
 * @param type the type byte: + - : $ * and RESP3's _ , # ( ! = % ~ > |; 'i' for an inline command
 * @param data a simple value's line, or the first bytes of a bulk, verbatim or blob error (at most
 *     {@link RespParser#MAX_KEPT_BYTES})
 * @param length a bulk's announced length; an aggregate's announced element count (a map's pairs)
 * @param elements an aggregate's first elements (at most {@link RespParser#MAX_KEPT_ELEMENTS});
 *     an inline command's words
 * @param truncated the value's end was not in the input (forced at the end of the input)
 */
public record RespValue(char type, byte[] data, long length, List<RespValue> elements,
    boolean truncated) {

  /** {@code data} as text (malformed UTF-8 replaced). */
  public String text() {
    return new String(data, StandardCharsets.UTF_8);
  }

  /** An aggregate of the type bytes * % ~ > | or an inline command. */
  public boolean aggregate() {
    return type == '*' || type == '%' || type == '~' || type == '>' || type == '|' || type == 'i';
  }

  /** A command: an array of bulk strings (what clients send), or an inline command. */
  public boolean command() {
    if (type == 'i') {
      return !elements.isEmpty();
    }
    if (type != '*' || elements.isEmpty()) {
      return false;
    }
    for (RespValue e : elements) {
      if (e.type() != '$') {
        return false;
      }
    }
    return true;
  }

  /** RESP3 null, RESP2 null bulk ($-1) or null array (*-1). */
  public boolean isNull() {
    return type == '_' || ((type == '$' || type == '*') && length < 0);
  }
}
