package io.ecapture.kafka.collector.probe;

/**
 * No OpenSSL function could be probed (none of the files has the functions, or no process of a
 * pid filter could be attached to), or more files than the kernel side can tell apart. What was
 * attached before stays attached.
 */
public final class AttachException extends RuntimeException {
  public AttachException(String message) {
    super(message);
  }
}
