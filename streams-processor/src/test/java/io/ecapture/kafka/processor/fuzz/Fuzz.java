package io.ecapture.kafka.processor.fuzz;

import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * A seeded fuzz loop for JUnit tests: runs a body {@code tries} times, each with its own {@link
 * Random} seeded from a base seed, and names the seed of a failing try so it can be replayed.
 * Deterministic by default (CI sees the same inputs every run); {@code -Dfuzz.seed=N} explores
 * other inputs and {@code -Dfuzz.scale=K} multiplies the tries.
 */
public final class Fuzz {
  private static final long BASE_SEED = Long.getLong("fuzz.seed", 0x5eed_ecafL);
  private static final int SCALE = Integer.getInteger("fuzz.scale", 1);

  private Fuzz() {}

  /** Runs {@code body} {@code tries} times (times the scale) with seeds derived from the base. */
  public static void run(int tries, Consumer<Random> body) {
    for (int i = 0; i < tries * SCALE; i++) {
      long seed = BASE_SEED + i;
      try {
        body.accept(new Random(seed));
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError("fuzz try " + i + " failed; replay with -Dfuzz.seed=" + seed
            + " (then it is try 0): " + e, e);
      }
    }
  }

  /** Random bytes, short ones more often (edges live there), up to {@code maxSize}. */
  public static byte[] bytes(Random random, int maxSize) {
    int size = random.nextInt(4) == 0 ? random.nextInt(Math.min(16, maxSize + 1)) : random.nextInt(maxSize + 1);
    byte[] data = new byte[size];
    random.nextBytes(data);
    return data;
  }

  /** Random text of up to {@code maxLength} characters from {@code alphabet}. */
  public static String text(Random random, String alphabet, int maxLength) {
    StringBuilder s = new StringBuilder();
    int length = random.nextInt(maxLength + 1);
    for (int i = 0; i < length; i++) {
      s.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return s.toString();
  }

  public static <T> T pick(Random random, List<T> choices) {
    return choices.get(random.nextInt(choices.size()));
  }
}
