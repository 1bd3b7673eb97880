package io.ecapture.kafka.gateway.session;

import java.util.ArrayList;
import java.util.List;

/**
 * The last {@code capacity} process-log frames, oldest first, replayed to each new client.
 *
 * <p>eCapture keeps the first 128 lines since start instead. A fleet gateway runs for days while
 * hosts join, restart and fail; its first lines describe a fleet that no longer exists, while the
 * most recent lines are what an operator opening eCaptureQ needs. The gateway also fills this
 * buffer from the tail of {@code ecapture.logs} when it starts, so a restart does not lose it.
 *
 * <p>Not thread-safe: its owner ({@link io.ecapture.kafka.gateway.session.Broadcaster}) guards it.
 */
public final class ReplayBuffer {
  private final byte[][] ring;
  private int next;
  private int size;

  /** @param capacity frames kept; 0 keeps none */
  public ReplayBuffer(int capacity) {
    ring = new byte[capacity][];
  }

  /** Keeps {@code frame}, forgetting the oldest one when full. */
  public void add(byte[] frame) {
    if (ring.length == 0) {
      return;
    }
    ring[next] = frame;
    next = (next + 1) % ring.length;
    size = Math.min(size + 1, ring.length);
  }

  /** The buffered frames, oldest first. */
  public List<byte[]> snapshot() {
    List<byte[]> out = new ArrayList<>(size);
    int start = (next - size + ring.length) % Math.max(1, ring.length);
    for (int i = 0; i < size; i++) {
      out.add(ring[(start + i) % ring.length]);
    }
    return out;
  }
}
