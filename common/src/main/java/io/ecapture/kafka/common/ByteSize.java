package io.ecapture.kafka.common;

import java.util.Locale;

/**
 * A size in bytes as command lines take and print it: a plain number of bytes, or a number with a
 * binary unit ({@code k}/{@code KiB}/{@code KB} = 1024, {@code m}/{@code MiB}/{@code MB} = 1024², {@code
 * g}/{@code GiB}/{@code GB} = 1024³; case-insensitive). {@link #toString()} prints the largest
 * unit that divides it exactly ({@code 8MiB}, {@code 1536KiB}, {@code 1000}).
 *
 * @param bytes non-negative
 */
public record ByteSize(long bytes) {
  private static final String[] UNITS = {"GiB", "MiB", "KiB"};
  private static final long[] FACTORS = {1L << 30, 1L << 20, 1L << 10};

  public ByteSize {
    if (bytes < 0) {
      throw new IllegalArgumentException("a size cannot be negative: " + bytes);
    }
  }

  public static ByteSize of(long bytes) {
    return new ByteSize(bytes);
  }

  /**
   * Parses {@code 8388608}, {@code 8MiB}, {@code 8m}, {@code 512k}, {@code 1GB}...
   *
   * @throws IllegalArgumentException naming the text when it is not a size
   */
  public static ByteSize parse(String text) {
    String t = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
    int end = 0;
    while (end < t.length() && Character.isDigit(t.charAt(end))) {
      end++;
    }
    if (end == 0) {
      throw new IllegalArgumentException("not a size: '" + text + "' (e.g. 8MiB, 512k, 1048576)");
    }
    long factor = switch (t.substring(end).strip()) {
      case "", "b" -> 1;
      case "k", "kb", "kib" -> 1L << 10;
      case "m", "mb", "mib" -> 1L << 20;
      case "g", "gb", "gib" -> 1L << 30;
      default -> throw new IllegalArgumentException(
          "not a size: '" + text + "' (units: k/KiB, m/MiB, g/GiB)");
    };
    try {
      return new ByteSize(Math.multiplyExact(Long.parseLong(t.substring(0, end)), factor));
    } catch (ArithmeticException | NumberFormatException e) {
      throw new IllegalArgumentException("size out of range: '" + text + "'", e);
    }
  }

  /** The size as an int, for limits that index arrays. */
  public int toIntExact(String what) {
    if (bytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(what + " must be below 2 GiB: " + this);
    }
    return (int) bytes;
  }

  @Override
  public String toString() {
    for (int i = 0; i < FACTORS.length; i++) {
      if (bytes >= FACTORS[i] && bytes % FACTORS[i] == 0) {
        return bytes / FACTORS[i] + UNITS[i];
      }
    }
    return Long.toString(bytes);
  }
}
