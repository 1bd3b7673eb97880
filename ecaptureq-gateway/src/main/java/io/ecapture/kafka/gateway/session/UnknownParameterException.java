package io.ecapture.kafka.gateway.session;

import java.util.Set;
import java.util.TreeSet;

/**
 * A WebSocket URL named a query parameter the gateway does not know ({@code ?pdi=1}, {@code
 * ?pod=x} on a gateway without pod filters): refused with 400 and the list of known ones, never
 * ignored, since an ignored filter would stream everything to a client that asked for less.
 */
public final class UnknownParameterException extends IllegalArgumentException {
  private final String parameter;
  private final Set<String> known;

  public UnknownParameterException(String parameter, Set<String> known) {
    super("unknown query parameter '" + parameter + "'; known: " + String.join(", ", new TreeSet<>(known)));
    this.parameter = parameter;
    this.known = Set.copyOf(known);
  }

  /** The parameter as decoded from the URL. */
  public String parameter() {
    return parameter;
  }

  /** Every parameter the gateway reads. */
  public Set<String> known() {
    return known;
  }
}
