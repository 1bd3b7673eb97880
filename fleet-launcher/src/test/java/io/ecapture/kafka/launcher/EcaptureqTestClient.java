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
  private final List<LogEntry> received = new CopyOnWriteArrayList<>();
  private final List<String> errors = new CopyOnWriteArrayList<>();
  private final java.io.ByteArrayOutputStream partial = new java.io.ByteArrayOutputStream();
  private final WebSocket socket;

  EcaptureqTestClient(int port) {
    socket =
        HttpClient.newHttpClient()
            .newWebSocketBuilder()
            .header("Origin", "http://localhost/")
            .connectTimeout(Duration.ofSeconds(10))
            .buildAsync(URI.create("ws://127.0.0.1:" + port + "/"), this)
            .join();
  }

  @Override
  public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
    byte[] bytes = new byte[data.remaining()];
    data.get(bytes);
    partial.writeBytes(bytes);
    if (last) {
      try {
        received.add(LogEntry.parseFrom(partial.toByteArray()));
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
      for (LogEntry e : received) {
        if (match.test(e)) {
          return e;
        }
      }
      Thread.sleep(100);
    }
    return null;
  }

  List<LogEntry> received() {
    return new ArrayList<>(received);
  }

  List<String> errors() {
    return errors;
  }

  @Override
  public void close() {
    socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
  }
}
