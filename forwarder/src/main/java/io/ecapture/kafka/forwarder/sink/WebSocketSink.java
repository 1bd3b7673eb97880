package io.ecapture.kafka.forwarder.sink;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code ws://} or {@code wss://}: a WebSocket client (the JDK's) sending one text message per
 * record (one binary message with {@code --format protobuf}); messages from the server are read
 * and ignored. Reconnects with backoff; see {@link QueuedSink} for the bounded buffer, overflow
 * and the resend window. {@code wss://} trusts the JVM's default CA certificates.
 */
public final class WebSocketSink extends QueuedSink {
  private static final long SEND_TIMEOUT_MS = 30_000;

  private final URI uri;
  private final Map<String, String> headers;
  private final Duration connectTimeout;
  private final HttpClient client;
  private volatile WebSocket socket;
  private volatile boolean open;
  private volatile String closeReason;

  public WebSocketSink(URI uri, Map<String, String> headers, long bufferBytes, Duration resendWindow,
      Duration minBackoff, Duration maxBackoff, Duration connectTimeout) {
    super(HttpPushSink.masked(uri), bufferBytes, resendWindow, 0, minBackoff, maxBackoff);
    this.uri = uri;
    this.headers = Map.copyOf(headers);
    this.connectTimeout = connectTimeout;
    this.client = HttpClient.newBuilder().connectTimeout(connectTimeout).build();
    startWorker();
  }

  @Override
  protected void connect() throws IOException {
    WebSocket.Builder builder = client.newWebSocketBuilder().connectTimeout(connectTimeout);
    headers.forEach(builder::header);
    try {
      socket = builder.buildAsync(uri, new Listener()).get(connectTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
      open = true;
    } catch (ExecutionException e) {
      throw new IOException("cannot connect to " + HttpPushSink.masked(uri) + ": " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new IOException("connect to " + HttpPushSink.masked(uri) + " timed out", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  @Override
  protected boolean alive() {
    return open && socket != null && !socket.isOutputClosed() && !socket.isInputClosed();
  }

  @Override
  protected void send(Item item) throws IOException {
    WebSocket ws = socket;
    try {
      var sent = item.text()
          ? ws.sendText(new String(item.bytes(), java.nio.charset.StandardCharsets.UTF_8), true)
          : ws.sendBinary(ByteBuffer.wrap(item.bytes()), true);
      sent.get(SEND_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new IOException("send failed: " + e.getCause() + (closeReason == null ? "" : " (" + closeReason + ")"),
          e.getCause());
    } catch (TimeoutException e) {
      throw new IOException("peer not reading for " + SEND_TIMEOUT_MS + " ms", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  @Override
  protected void disconnect() {
    open = false;
    WebSocket ws = socket;
    socket = null;
    if (ws != null) {
      ws.abort();
    }
  }

  @Override
  public String describe() {
    return HttpPushSink.masked(uri);
  }

  private final class Listener implements WebSocket.Listener {
    @Override
    public void onOpen(WebSocket webSocket) {
      webSocket.request(Long.MAX_VALUE);
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      closeReason = "closed by the server: " + statusCode + (reason.isEmpty() ? "" : " " + reason);
      open = false;
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      closeReason = error.toString();
      open = false;
    }
  }
}
