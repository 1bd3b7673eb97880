package io.ecapture.kafka.gateway;

/** The gateway could not start listening; the message names the address and the reason. */
public final class GatewayStartException extends RuntimeException {
  public GatewayStartException(String message, Throwable cause) {
    super(message, cause);
  }

  public GatewayStartException(String message) {
    super(message);
  }
}
