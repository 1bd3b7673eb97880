package io.ecapture.kafka.collector.decode;

/** A ring-buffer record that does not decode as a {@code struct tls_event}. */
public final class MalformedEventException extends Exception {
  public MalformedEventException(String message) {
    super(message, null, false, false); // hot path when input is bad: no stack trace
  }
}
