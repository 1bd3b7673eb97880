package io.ecapture.kafka.processor.protocol.http;

/**
 * A body after removing its content codings.
 *
 * @param bytes decoded bytes when {@code decoded}, else the bytes as they were on the wire
 * @param decoded false when a coding was unknown or the data did not decode
 * @param truncated decoding stopped at the body limit (a decompression bomb stops here too)
 */
public record DecodedBody(byte[] bytes, boolean decoded, boolean truncated) {}
