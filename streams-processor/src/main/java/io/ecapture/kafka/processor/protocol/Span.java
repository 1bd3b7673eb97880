package io.ecapture.kafka.processor.protocol;

import io.ecapture.kafka.proto.capture.Direction;

/**
 * Where a frame or message sits in its direction's byte stream and when its bytes were captured.
 *
 * @param direction the direction it was sent in
 * @param streamOffset stream offset of its first byte (every stream starts at 0)
 * @param length bytes it spans on the wire
 * @param firstByteNs capture time of the chunk that carried its first byte
 * @param lastByteNs capture time of the chunk that carried its last byte
 * @param gapBefore bytes were lost right before it
 */
public record Span(Direction direction, long streamOffset, int length, long firstByteNs,
    long lastByteNs, boolean gapBefore) {}
