package io.ecapture.kafka.gateway.session;

import io.ecapture.kafka.gateway.GatewayCounters;
import io.ecapture.kafka.gateway.GatewayStats.ClientStats;
import io.ecapture.kafka.gateway.wire.LogEntries;
import io.ecapture.kafka.gateway.wire.ProcessLogFormatter;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;

/**
 * One connected eCaptureQ client: its send-queue bound, drop counters and heartbeat counter.
 *
 * <p>Back-pressure: Jetty's {@code sendBinary} never blocks and its frame queue has no bound of
 * its own, but it completes a callback once a frame's bytes were written to the socket. Every
 * frame goes through {@link #offer}, which counts the frames and wire bytes whose callback has not
 * completed yet and drops (and counts) a new frame when they reach {@code maxQueuedFrames} or
 * about {@code maxQueuedBytes}. A slow client therefore costs bounded memory and never delays the
 * others: offering is O(1) and never waits for the network.
 *
 * <p>Once a client that lost frames has room again, it first gets a process-log line saying how
 * many it missed, so the operator knows the view has gaps.
 *
 * <p>Thread-safety: offering synchronizes on the session, so frames offered by the consumer,
 * heartbeat and Jetty threads reach the client in the order the calls acquired the lock; the
 * write callbacks only touch atomics (they may run on any Jetty thread, inside or outside {@code
 * sendBinary}).
 */
public final class ClientSession {
  /** Upper bound of a missed-frames notice on the wire (it is about 150 bytes). */
  private static final int NOTICE_ALLOWANCE = 512;

  private final Session connection;
  private final int maxQueuedFrames;
  private final long maxQueuedBytes;
  private final GatewayCounters counters;
  private final ClientOptions options;
  private final String remote;
  private final String path;
  private final AtomicInteger queuedFrames = new AtomicInteger();
  private final AtomicLong queuedBytes = new AtomicLong();

  private long sent;
  private long dropped;
  private long droppedSinceNotice;
  private int heartbeats;
  private ScheduledFuture<?> heartbeatTask;
  private boolean closed;
  /** Live events that arrived while past ones are being replayed; null when not replaying. */
  private java.util.List<byte[]> held;

  /**
   * @param path the request target the client connected with, any token already redacted (it
   *     shows in {@link #stats()})
   */
  ClientSession(
      Session connection,
      String path,
      ClientOptions options,
      int maxQueuedFrames,
      long maxQueuedBytes,
      GatewayCounters counters) {
    this.connection = connection;
    this.options = options;
    this.maxQueuedFrames = maxQueuedFrames;
    this.maxQueuedBytes = maxQueuedBytes;
    this.counters = counters;
    // ip:port, [::1]:port for IPv6 (RFC 5952), as tuples are written
    this.remote = io.ecapture.kafka.common.IpAddresses.format(connection.getRemoteSocketAddress());
    this.path = path;
  }

  public ClientFilter filter() {
    return options.filter();
  }

  public ClientOptions options() {
    return options;
  }

  /**
   * Queues one binary frame unless the client is over its bound.
   *
   * @return whether the frame was queued; false when dropped (counted) or the client is closed
   */
  public synchronized boolean offer(byte[] frame) {
    if (closed || !connection.isOpen()) {
      return false;
    }
    if (droppedSinceNotice > 0) {
      tellMissed(wireSize(frame.length));
    }
    if (!hasRoomFor(wireSize(frame.length))) {
      dropped++;
      droppedSinceNotice++;
      counters.framesDropped.increment();
      return false;
    }
    send(frame);
    return true;
  }

  /**
   * Offers a live event: held back while a replay runs, so the client sees past events first and
   * then live ones in order. At most {@code maxQueuedFrames} are held; more are dropped, counted.
   */
  public synchronized boolean offerLive(byte[] frame) {
    if (held == null) {
      return offer(frame);
    }
    if (closed || held.size() >= maxQueuedFrames) {
      if (!closed) {
        dropped++;
        droppedSinceNotice++;
        counters.framesDropped.increment();
      }
      return false;
    }
    held.add(frame);
    return true;
  }

  /** Starts holding live events back; called before the session receives any. */
  public synchronized void beginReplay() {
    held = new java.util.ArrayList<>();
  }

  /** Ends a replay: the held live events go out now, in arrival order. */
  public synchronized void endReplay() {
    java.util.List<byte[]> frames = held;
    held = null;
    if (frames != null) {
      for (byte[] frame : frames) {
        offer(frame);
      }
    }
  }

  /** Sends the next heartbeat: count 0 at connect, then 1, 2, ... */
  public synchronized void heartbeat(long unixSeconds) {
    int count = heartbeats++;
    offer(LogEntries.frame(LogEntries.heartbeat(unixSeconds, count)));
  }

  /** Attaches the periodic heartbeat; cancelled at once when the client already left. */
  public synchronized void heartbeatTask(ScheduledFuture<?> task) {
    heartbeatTask = task;
    if (closed) {
      task.cancel(false);
    }
  }

  /** Stops the heartbeat and further sends; the connection itself is closed by Jetty. */
  synchronized void closed() {
    closed = true;
    if (heartbeatTask != null) {
      heartbeatTask.cancel(false);
    }
  }

  public synchronized ClientStats stats() {
    return new ClientStats(
        remote, path, sent, dropped, queuedFrames.get(), queuedBytes.get(), heartbeats);
  }

  private void tellMissed(int nextFrameBytes) {
    // checked before building the line: a stuck client must not cost an allocation per event
    if (!hasRoomFor(NOTICE_ALLOWANCE + nextFrameBytes)) {
      return;
    }
    send(
        LogEntries.frame(
            LogEntries.runLog(
                ProcessLogFormatter.local(
                    Instant.now(),
                    "WRN",
                    "this client read too slowly: "
                        + droppedSinceNotice
                        + " messages were dropped for it ("
                        + dropped
                        + " since it connected)"))));
    droppedSinceNotice = 0;
  }

  private boolean hasRoomFor(long wireBytes) {
    if (queuedFrames.get() >= maxQueuedFrames) {
      return false;
    }
    long queued = queuedBytes.get();
    // an empty queue takes any frame, else one frame above the bound would never be delivered
    return queued == 0 || queued + wireBytes <= maxQueuedBytes;
  }

  private void send(byte[] frame) {
    long wire = wireSize(frame.length);
    queuedFrames.incrementAndGet();
    queuedBytes.addAndGet(wire);
    sent++;
    counters.framesSent.increment();
    // success or failure (connection gone), the frame no longer occupies the queue
    Runnable release =
        () -> {
          queuedFrames.decrementAndGet();
          queuedBytes.addAndGet(-wire);
        };
    connection.sendBinary(ByteBuffer.wrap(frame), Callback.from(release, failure -> {
      counters.framesFailed.increment(); // the socket failed mid-frame: not delivered, counted
      release.run();
    }));
  }

  /** RFC 6455 section 5.2: server frames are unmasked, 2-byte header plus 0, 2 or 8 length bytes. */
  static int wireSize(int payloadLength) {
    int extendedLength = payloadLength <= 125 ? 0 : payloadLength <= 0xFFFF ? 2 : 8;
    return 2 + extendedLength + payloadLength;
  }
}
