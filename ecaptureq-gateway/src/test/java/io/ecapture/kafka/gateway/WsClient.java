package io.ecapture.kafka.gateway;

import io.ecapture.kafka.proto.ecaptureq.LogEntry;
import io.ecapture.kafka.proto.ecaptureq.LogType;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real WebSocket client (the JDK's, independent of the server library) that decodes every
 * binary message as a LogEntry, as eCaptureQ does. Text messages are recorded as failures.
 */
final class WsClient implements AutoCloseable {
  /** Upper bound for one expected message, so a broken gateway fails the test instead of hanging. */
  static final Duration WAIT = Duration.ofSeconds(20);

  private final BlockingQueue<LogEntry> received = new LinkedBlockingQueue<>();
  private final HttpClient http;
  private final WebSocket socket;
  private volatile String protocolViolation;
  private final CompletableFuture<Integer> closeCode = new CompletableFuture<>();
  private final CompletableFuture<ByteBuffer> pong = new CompletableFuture<>();

  private WsClient(URI uri, String origin) throws Exception {
    this(uri, origin, HttpClient.newHttpClient());
  }

  private WsClient(URI uri, String origin, HttpClient http) throws Exception {
    this.http = http;
    WebSocket.Builder builder = http.newWebSocketBuilder().connectTimeout(WAIT);
    if (origin != null) {
      builder.header("Origin", origin);
    }
    socket = builder.buildAsync(uri, new Listener()).get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  static WsClient connect(int port, String pathAndQuery, String origin) throws Exception {
    return new WsClient(URI.create("ws://127.0.0.1:" + port + pathAndQuery), origin);
  }

  /** Connects to any URI (e.g. {@code wss://}) with the given client (e.g. trusting a test CA). */
  static WsClient connect(URI uri, HttpClient http) throws Exception {
    return new WsClient(uri, "http://localhost/", http);
  }

  static WsClient connect(int port) throws Exception {
    return connect(port, "/", "http://localhost/");
  }

  /** The next entry; fails when none arrives within {@link #WAIT}. */
  LogEntry next() throws InterruptedException {
    return nextMatching(e -> true);
  }

  /** The next entry that is not a heartbeat. */
  LogEntry nextNonHeartbeat() throws InterruptedException {
    return nextMatching(e -> e.getLogType() != LogType.HEARTBEAT);
  }

  /** The next entry of the given type, skipping others. */
  LogEntry nextOfType(LogType type) throws InterruptedException {
    return nextMatching(e -> e.getLogType() == type);
  }

  /**
   * The next entry {@code wanted} accepts, skipping others; fails when none arrives within {@link
   * #WAIT} in total (heartbeats keep coming, so a per-message bound alone could wait forever).
   */
  LogEntry nextMatching(Predicate<LogEntry> wanted) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      LogEntry entry = received.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
      if (protocolViolation != null) {
        throw new AssertionError(protocolViolation);
      }
      if (entry == null) {
        throw new AssertionError("no wanted frame within " + WAIT);
      }
      if (wanted.test(entry)) {
        return entry;
      }
    }
  }

  /** The client side of the socket, to send frames to the gateway. */
  WebSocket socket() {
    return socket;
  }

  /** The payload of the first pong received. */
  ByteBuffer awaitPong() throws Exception {
    return pong.get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  /** The status code of the gateway's close frame. */
  int awaitCloseCode() throws Exception {
    return closeCode.get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    socket.abort();
    http.close();
  }

  private final class Listener implements WebSocket.Listener {
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
      byte[] chunk = new byte[data.remaining()];
      data.get(chunk);
      partial.writeBytes(chunk);
      if (last) {
        try {
          received.add(LogEntry.parseFrom(partial.toByteArray()));
        } catch (Exception e) {
          protocolViolation = "undecodable binary frame: " + e;
        }
        partial.reset();
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      protocolViolation = "gateway sent a text frame, eCaptureQ ignores those";
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onPong(WebSocket ws, ByteBuffer message) {
      pong.complete(ByteBuffer.allocate(message.remaining()).put(message).flip());
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      closeCode.complete(statusCode);
      return CompletableFuture.completedFuture(null);
    }
  }
}
