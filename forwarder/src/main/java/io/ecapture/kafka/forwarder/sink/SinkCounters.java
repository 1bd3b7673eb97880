package io.ecapture.kafka.forwarder.sink;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * What a sink did, for {@code /status}, {@code /metrics} and the log. Nothing is lost silently:
 * every accepted record ends up in {@code sent}, {@code dropped} (undeliverable: retries used up,
 * a write error such as a full disk) or {@code overflow} (the buffer bound was reached while the
 * peer was away).
 */
public final class SinkCounters {
  public final LongAdder sent = new LongAdder();
  public final LongAdder sentBytes = new LongAdder();
  public final LongAdder dropped = new LongAdder();
  public final LongAdder overflow = new LongAdder();
  public final LongAdder retries = new LongAdder();
  public final LongAdder reconnects = new LongAdder();
  public final LongAdder rotations = new LongAdder();
  public final LongAdder skipped = new LongAdder();
  private volatile boolean connected;
  private volatile String lastError;

  public boolean connected() {
    return connected;
  }

  public void connected(boolean value) {
    connected = value;
  }

  /** The last delivery error, null when none happened. */
  public String lastError() {
    return lastError;
  }

  public void error(String message) {
    lastError = message;
  }

  public Map<String, Object> snapshot() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("sent", sent.sum());
    m.put("sent_bytes", sentBytes.sum());
    m.put("dropped", dropped.sum());
    m.put("overflow", overflow.sum());
    m.put("retries", retries.sum());
    m.put("reconnects", reconnects.sum());
    m.put("rotations", rotations.sum());
    m.put("skipped", skipped.sum());
    m.put("connected", connected);
    m.put("last_error", lastError);
    return m;
  }
}
