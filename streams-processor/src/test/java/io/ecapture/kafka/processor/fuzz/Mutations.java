package io.ecapture.kafka.processor.fuzz;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

/** Real messages with random mutations: byte flips, insertions, deletions, cuts, repeats. */
final class Mutations {
  private Mutations() {}

  /** One of the samples with 1 to 8 random mutations. */
  static byte[] of(List<byte[]> samples, Random random) {
    return mutate(Fuzz.pick(random, samples), random.nextLong(), 1 + random.nextInt(8));
  }

  static byte[] mutate(byte[] original, long seed, int mutations) {
    java.util.Random random = new java.util.Random(seed);
    byte[] data = original.clone();
    for (int i = 0; i < mutations && data.length > 0; i++) {
      int at = random.nextInt(data.length);
      data = switch (random.nextInt(6)) {
        case 0 -> flip(data, at, random);
        case 1 -> insert(data, at, random);
        case 2 -> delete(data, at, random);
        case 3 -> Arrays.copyOf(data, at); // cut
        case 4 -> repeat(data, at, random);
        default -> setExtreme(data, at, random);
      };
    }
    return data;
  }

  private static byte[] flip(byte[] data, int at, java.util.Random random) {
    data[at] ^= (byte) (1 << random.nextInt(8));
    return data;
  }

  private static byte[] insert(byte[] data, int at, java.util.Random random) {
    byte[] extra = new byte[1 + random.nextInt(16)];
    random.nextBytes(extra);
    byte[] out = new byte[data.length + extra.length];
    System.arraycopy(data, 0, out, 0, at);
    System.arraycopy(extra, 0, out, at, extra.length);
    System.arraycopy(data, at, out, at + extra.length, data.length - at);
    return out;
  }

  private static byte[] delete(byte[] data, int at, java.util.Random random) {
    int n = Math.min(data.length - at, 1 + random.nextInt(16));
    byte[] out = new byte[data.length - n];
    System.arraycopy(data, 0, out, 0, at);
    System.arraycopy(data, at + n, out, at, data.length - at - n);
    return out;
  }

  private static byte[] repeat(byte[] data, int at, java.util.Random random) {
    int n = Math.min(data.length - at, 1 + random.nextInt(64));
    byte[] out = new byte[data.length + n];
    System.arraycopy(data, 0, out, 0, at + n);
    System.arraycopy(data, at, out, at + n, data.length - at);
    return out;
  }

  /** Length fields love 0x00, 0x7f, 0x80, 0xff. */
  private static byte[] setExtreme(byte[] data, int at, java.util.Random random) {
    byte[] extremes = {0, 0x7f, (byte) 0x80, (byte) 0xff};
    data[at] = extremes[random.nextInt(extremes.length)];
    return data;
  }
}
