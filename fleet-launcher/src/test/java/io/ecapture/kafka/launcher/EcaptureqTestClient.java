package io.ecapture.kafka.launcher;

import io.ecapture.kafka.proto.ecaptureq.LogEntry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * A WebSocket client that connects as eCaptureQ does (Origin http://localhost/) and decodes every
 * binary frame as a LogEntry. Built on the JDK's client, not on the gateway's library.
 */
final class EcaptureqTestClient implements WebSocket.Listener, AutoCloseable {
  /** A frame with the wall-clock time (Unix ns) it was fully received. */
  record Received(LogEntry entry, long receivedUnixNs) {}

  private final List<Received> frames = new CopyOnWriteArrayList<>();
  private final List<String> errors = new CopyOnWriteArrayList<>();
  private final java.io.ByteArrayOutputStream partial = new java.io.ByteArrayOutputStream();
  private final WebSocket socket;

  EcaptureqTestClient(int port) {
    this(port, "/");
  }

  /** Connects to a path with an optional query (gateway filters), e.g. {@code /?pname=curl}. */
  EcaptureqTestClient(int port, String pathAndQuery) {
    socket =
        HttpClient.newHttpClient()
            .newWebSocketBuilder()
            .header("Origin", "http://localhost/")
            .connectTimeout(Duration.ofSeconds(10))
            .buildAsync(URI.create("ws://127.0.0.1:" + port + pathAndQuery), this)
            .join();
  }

  @Override
  public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
    byte[] bytes = new byte[data.remaining()];
    data.get(bytes);
    partial.writeBytes(bytes);
    if (last) {
      try {
        java.time.Instant now = java.time.Instant.now();
        long receivedNs = now.getEpochSecond() * 1_000_000_000L + now.getNano();
        frames.add(new Received(LogEntry.parseFrom(partial.toByteArray()), receivedNs));
      } catch (Exception e) {
        errors.add("undecodable frame: " + e);
      }
      partial.reset();
    }
    ws.request(1);
    return null;
  }

  @Override
  public void onError(WebSocket ws, Throwable error) {
    errors.add(error.toString());
  }

  /** Waits until a received entry matches; returns it, or null after the timeout. */
  LogEntry await(Predicate<LogEntry> match, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      for (Received r : frames) {
        if (match.test(r.entry())) {
          return r.entry();
        }
      }
      Thread.sleep(100);
    }
    return null;
  }

  List<LogEntry> received() {
    List<LogEntry> entries = new ArrayList<>();
    frames.forEach(r -> entries.add(r.entry()));
    return entries;
  }

  List<Received> frames() {
    return new ArrayList<>(frames);
  }

  List<String> errors() {
    return errors;
  }

  @Override
  public void close() {
    socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
  }
}
