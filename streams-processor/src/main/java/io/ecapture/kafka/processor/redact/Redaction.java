package io.ecapture.kafka.processor.redact;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which header values the processor replaces before a message reaches {@code ecapture.parsed}
 * (see {@link HeaderRedactor}): header names, compared case-insensitively. The raw topic keeps
 * the captured bytes; protect {@code ecapture.raw} with ACLs.
 *
 * @param headerNames lower-case header names; empty: nothing is redacted
 */
public record Redaction(Set<String> headerNames) {
  /** The credentials HTTP carries in headers. */
  public static final List<String> DEFAULT_HEADERS =
      List.of("authorization", "cookie", "set-cookie", "proxy-authorization");
  /** What {@code --redact} means by default, as written on the command line. */
  public static final String DEFAULT_SPEC = String.join(",", DEFAULT_HEADERS);
  /** The {@code --redact} value that turns redaction off. */
  public static final String NONE_SPEC = "none";
  /** {@link #DEFAULT_HEADERS}. */
  public static final Redaction DEFAULT = new Redaction(Set.copyOf(DEFAULT_HEADERS));
  /** Nothing redacted. */
  public static final Redaction NONE = new Redaction(Set.of());

  public Redaction {
    for (String name : headerNames) {
      if (name.isEmpty() || !name.equals(name.toLowerCase(Locale.ROOT)) || !isToken(name)) {
        throw new IllegalArgumentException("not a lower-case header name: '" + name + "'");
      }
    }
    headerNames = Set.copyOf(headerNames);
  }

  /**
   * Parses {@code --redact}: {@value #NONE_SPEC}, or header names separated by commas (any case,
   * blanks around them ignored).
   *
   * @throws IllegalArgumentException on an empty list or a name that is no HTTP field name
   */
  public static Redaction parse(String spec) {
    String text = spec == null ? "" : spec.strip();
    if (text.equalsIgnoreCase(NONE_SPEC)) {
      return NONE;
    }
    Set<String> names = new TreeSet<>();
    for (String part : text.split(",", -1)) {
      String name = part.strip().toLowerCase(Locale.ROOT);
      if (name.isEmpty()) {
        throw new IllegalArgumentException("--redact '" + spec + "': empty header name (use "
            + NONE_SPEC + " to turn redaction off)");
      }
      if (!isToken(name)) {
        throw new IllegalArgumentException("--redact '" + spec + "': '" + part.strip() + "' is not a header name");
      }
      names.add(name);
    }
    return new Redaction(names);
  }

  /** Whether any header is redacted. */
  public boolean enabled() {
    return !headerNames.isEmpty();
  }

  /** Whether {@code name} (any case) is redacted. Allocates nothing: called for every header. */
  public boolean covers(String name) {
    for (String listed : headerNames) {
      if (listed.length() == name.length() && listed.equalsIgnoreCase(name)) {
        return true;
      }
    }
    return false;
  }

  /** The {@code --redact} form: the names sorted and comma-separated, or {@value #NONE_SPEC}. */
  public String spec() {
    return enabled() ? String.join(",", new TreeSet<>(headerNames)) : NONE_SPEC;
  }

  @Override
  public String toString() {
    return "Redaction[" + spec() + "]";
  }

  /** RFC 9110 §5.1: a field name is a token. */
  private static boolean isToken(String name) {
    return !name.isEmpty() && name.chars().allMatch(c -> c > 0x20 && c < 0x7f
        && "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0);
  }
}
