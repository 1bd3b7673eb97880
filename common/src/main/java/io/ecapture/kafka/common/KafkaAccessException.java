package io.ecapture.kafka.common;

/**
 * A Kafka cluster could not be used, with one line saying why for an operator ({@link
 * #getMessage()}, never a secret): wrong credentials, an untrusted certificate, no answer, or a
 * refusal. {@link #retriable()} tells a component whether waiting can help (the broker may come
 * back) or the configuration must change first.
 */
public final class KafkaAccessException extends RuntimeException {
  /** Why the cluster could not be used. */
  public enum Reason {
    /** SASL credentials refused (wrong user or password, unknown mechanism). */
    AUTHENTICATION,
    /** The TLS handshake failed (the broker's certificate is not trusted, wrong host name...). */
    TLS,
    /** The principal is not allowed to do what was asked (ACLs). */
    AUTHORIZATION,
    /** No answer in time: wrong address or port, broker down, or a security protocol mismatch. */
    UNREACHABLE,
    /** Anything else the cluster answered with. */
    OTHER
  }

  private final Reason reason;

  public KafkaAccessException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }

  /** Whether trying again later can succeed without a configuration change. */
  public boolean retriable() {
    return reason == Reason.UNREACHABLE;
  }
}
