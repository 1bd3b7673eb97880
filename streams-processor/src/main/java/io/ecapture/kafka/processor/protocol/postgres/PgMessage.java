package io.ecapture.kafka.processor.protocol.postgres;

/**
 * One message of the PostgreSQL frontend/backend protocol v3: a type byte and a length-prefixed
 * body, or (first in a frontend stream) an untyped startup-phase message.
 *
 * @param type the type byte ('Q', 'Z', ...), or 0 for an untyped message (StartupMessage,
 *     SSLRequest, CancelRequest, GSSENCRequest: the first int32 of {@code body} is their code)
 * @param body the body after the length, at most the body limit
 * @param length the body length announced (without the length field itself)
 * @param truncated fewer than {@code length} body bytes are in {@code body}
 */
public record PgMessage(byte type, byte[] body, long length, boolean truncated) {
  /** Protocol 3.0, the code of a StartupMessage (3.x minor versions exist too). */
  public static final int PROTOCOL_3 = 196608;

  /** An untyped message whose code says protocol 3.x: the StartupMessage. */
  public boolean startup() {
    return type == 0 && body.length >= 4 && (code() >>> 16) == 3;
  }

  /** The code of an untyped message (first int32 of the body), or -1. */
  public int code() {
    return body.length >= 4 ? PgReader.int32(body, 0) : -1;
  }
}
