package io.ecapture.kafka.processor.protocol.grpc;

/**
 * One length-prefixed gRPC message as framed on the wire (gRPC over HTTP/2,
 * "Length-Prefixed-Message"): a compressed-flag byte, a 4-byte big-endian length, the bytes.
 *
 * @param compressed the flag byte was 1: the bytes use the stream's grpc-encoding
 * @param length length announced by the prefix
 * @param payload the message bytes present, at most the configured limit
 * @param truncated fewer than {@code length} bytes are in {@code payload}
 */
public record GrpcFrame(boolean compressed, long length, byte[] payload, boolean truncated) {}
