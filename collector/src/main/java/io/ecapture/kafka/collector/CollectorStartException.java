package io.ecapture.kafka.collector;

/** The collector could not start: eBPF did not load or no probe could be attached. */
public final class CollectorStartException extends RuntimeException {
  public CollectorStartException(String message, Throwable cause) {
    super(message, cause);
  }
}
