package io.ecapture.kafka.gateway;

import io.ecapture.kafka.gateway.GatewayStats.ClientStats;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.concurrent.ScheduledFuture;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.exceptions.WebsocketNotConnectedException;

/**
 * One connected eCaptureQ client: its send-queue bound, drop counters and heartbeat counter.
 *
 * <p>Back-pressure: Java-WebSocket's {@code send()} never blocks and queues without bound, so
 * every frame goes through {@link #offer}, which drops (and counts) it when the client's queue
 * already holds {@code maxQueuedFrames} frames or about {@code maxQueuedBytes} bytes. The frame
 * count is exact ({@code outQueue.size()}); the byte count is the wire size of frames queued here
 * minus the bytes the socket accepted ({@link CountingByteChannel}), which undercounts only by
 * the few control frames (pong, close) the library queues itself. A slow client therefore costs
 * bounded memory and never delays others: offering is O(1) and never waits for the network.
 *
 * <p>Once a client that lost frames has room again, it first gets a process-log line saying how
 * many it missed, so the operator knows the view has gaps.
 *
 * <p>Thread-safety: all methods synchronize on the session; frames offered by the consumer,
 * heartbeat and selector threads reach the client in the order the calls acquired the lock.
 */
final class ClientSession {
  /** Upper bound of a missed-frames notice on the wire (it is about 150 bytes). */
  private static final int NOTICE_ALLOWANCE = 512;

  private final WebSocketImpl connection;
  private final CountingByteChannel channel;
  private final long writtenBaseline;
  private final int maxQueuedFrames;
  private final long maxQueuedBytes;
  private final GatewayCounters counters;
  private final ClientFilter filter;
  private final String remote;
  private final String path;

  private long enqueuedBytes;
  private long sent;
  private long dropped;
  private long droppedSinceNotice;
  private int heartbeats;
  private ScheduledFuture<?> heartbeatTask;
  private boolean closed;

  ClientSession(
      WebSocketImpl connection,
      ClientFilter filter,
      int maxQueuedFrames,
      long maxQueuedBytes,
      GatewayCounters counters) {
    this.connection = connection;
    this.channel = (CountingByteChannel) connection.getChannel();
    this.filter = filter;
    this.maxQueuedFrames = maxQueuedFrames;
    this.maxQueuedBytes = maxQueuedBytes;
    this.counters = counters;
    this.remote = String.valueOf(connection.getRemoteSocketAddress());
    this.path = AccessToken.redact(connection.getResourceDescriptor());
    // bytes still queued now (the handshake response) are not ours: count them as written
    long pending = 0;
    for (ByteBuffer b : connection.outQueue) {
      pending += b.remaining();
    }
    this.writtenBaseline = channel.written() + pending;
  }

  ClientFilter filter() {
    return filter;
  }

  /**
   * Queues one binary frame unless the client is over its bound.
   *
   * @return whether the frame was queued; false when dropped (counted) or the client is closed
   */
  synchronized boolean offer(byte[] frame) {
    if (!connection.isOpen()) {
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
    return send(frame);
  }

  /** Sends the next heartbeat: count 0 at connect, then 1, 2, ... */
  synchronized void heartbeat(long unixSeconds) {
    int count = heartbeats++;
    offer(LogEntries.frame(LogEntries.heartbeat(unixSeconds, count)));
  }

  /** Attaches the periodic heartbeat; cancelled at once when the client already left. */
  synchronized void heartbeatTask(ScheduledFuture<?> task) {
    heartbeatTask = task;
    if (closed) {
      task.cancel(false);
    }
  }

  /** Stops the heartbeat; the connection itself is closed by Java-WebSocket. */
  synchronized void closed() {
    closed = true;
    if (heartbeatTask != null) {
      heartbeatTask.cancel(false);
    }
  }

  synchronized ClientStats stats() {
    return new ClientStats(
        remote, path, sent, dropped, connection.outQueue.size(), queuedBytes(), heartbeats);
  }

  private void tellMissed(int nextFrameBytes) {
    // checked before building the line: a stuck client must not cost an allocation per event
    if (!hasRoomFor(NOTICE_ALLOWANCE + nextFrameBytes)) {
      return;
    }
    byte[] notice =
        LogEntries.frame(
            LogEntries.runLog(
                ProcessLogFormatter.local(
                    Instant.now(),
                    "WRN",
                    "this client read too slowly: "
                        + droppedSinceNotice
                        + " messages were dropped for it ("
                        + dropped
                        + " since it connected)")));
    if (send(notice)) {
      droppedSinceNotice = 0;
    }
  }

  private boolean hasRoomFor(long wireBytes) {
    if (connection.outQueue.size() >= maxQueuedFrames) {
      return false;
    }
    long queued = queuedBytes();
    // an empty queue takes any frame, else one frame above the bound would never be delivered
    return queued == 0 || queued + wireBytes <= maxQueuedBytes;
  }

  private long queuedBytes() {
    return Math.max(0, enqueuedBytes - (channel.written() - writtenBaseline));
  }

  private boolean send(byte[] frame) {
    try {
      connection.send(frame);
    } catch (WebsocketNotConnectedException e) {
      return false;
    }
    enqueuedBytes += wireSize(frame.length);
    sent++;
    counters.framesSent.increment();
    return true;
  }

  /** RFC 6455 section 5.2: server frames are unmasked, 2-byte header plus 0, 2 or 8 length bytes. */
  static int wireSize(int payloadLength) {
    int extendedLength = payloadLength <= 125 ? 0 : payloadLength <= 0xFFFF ? 2 : 8;
    return 2 + extendedLength + payloadLength;
  }
}
