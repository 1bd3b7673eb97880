package io.ecapture.kafka.forwarder.sink;

import io.ecapture.kafka.proto.parsed.ParsedMessage;

/**
 * One formatted record on its way to a sink.
 *
 * @param bytes what is written (a text block, an NDJSON line, a length-delimited message; for
 *     HTTP push one JSON object or one serialized message of the batch)
 * @param log whether it is a process log (else an event)
 * @param text whether {@code bytes} is UTF-8 text (a WebSocket text message) or binary
 * @param event the parsed message for sinks that use its fields (HTTP proxy), else null
 * @param seq the forwarder's number for it, growing by one per record given to one sink
 */
public record Item(byte[] bytes, boolean log, boolean text, ParsedMessage event, long seq) {
  public int size() {
    return bytes.length;
  }
}
