package io.ecapture.kafka.forwarder.sink;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code http://} or {@code https://}: records POSTed in batches of up to {@code batchSize}, or
 * fewer once the oldest has waited {@code batchTimeout} (eCapture's event forwarding defaults:
 * 100 events, 1 s). JSON: a JSON array of the records' objects ({@code application/json});
 * protobuf: an {@code ecapturekafka.forward.ForwardBatch} ({@code application/x-protobuf}).
 * Extra headers (an API key) go on every request and are masked wherever the sink is shown.
 *
 * <p>A batch answered 2xx is sent. A connection error, a timeout, 408, 429 or 5xx is retried
 * {@code retries} times with a doubling backoff; another answer (400, 401, 413...) or the last
 * failed retry drops the batch, counted (records) in {@code dropped} and logged with the status.
 * At most {@code maxPendingBatches} sealed batches wait: while the endpoint answers 2xx, a full
 * queue holds the consumer (back-pressure, at most 30 s); while it fails, records beyond count as
 * {@code overflow}. One request at a time, batches in order. The buffer, the retries and the
 * counting are {@link QueuedSink}'s (batched, one request a batch, no connection kept).
 */
public final class HttpPushSink extends QueuedSink {
  public static final String JSON = "application/json";
  public static final String PROTOBUF = "application/x-protobuf";
  /** The longest wait between two tries of a batch. */
  static final Duration MAX_RETRY_BACKOFF = Duration.ofSeconds(30);

  private final URI uri;
  private final boolean protobuf;
  private final Map<String, String> headers;
  private final Duration requestTimeout;
  private final HttpClient client;

  public HttpPushSink(URI uri, boolean protobuf, Map<String, String> headers, int batchSize, Duration batchTimeout,
      int retries, Duration retryBackoff, Duration requestTimeout, int maxPendingBatches) {
    // no connection is kept (a request a batch), so the buffer is bounded in batches, not bytes
    super(masked(uri), Long.MAX_VALUE, Duration.ZERO, retries + 1, retryBackoff, MAX_RETRY_BACKOFF);
    batching(batchSize, batchTimeout, maxPendingBatches);
    this.uri = uri;
    this.protobuf = protobuf;
    this.headers = Map.copyOf(headers);
    this.requestTimeout = requestTimeout;
    this.client = HttpClient.newBuilder().connectTimeout(requestTimeout).build();
    startWorker();
  }

  /**
   * {@code uri} with its user-info and every query value replaced by {@code ***} (an API key may
   * ride in either), for logs and status pages.
   */
  public static String masked(URI uri) {
    String text = uri.toString();
    if (uri.getRawUserInfo() != null) {
      text = text.replace(uri.getRawUserInfo() + "@", "***@");
    }
    if (uri.getRawQuery() != null) {
      text = text.replace("?" + uri.getRawQuery(), "?" + uri.getRawQuery().replaceAll("=[^&]*", "=***"));
    }
    return text;
  }

  /** The header names with their values masked. */
  public static Map<String, String> maskedHeaders(Map<String, String> headers) {
    Map<String, String> masked = new TreeMap<>();
    headers.keySet().forEach(k -> masked.put(k, "***"));
    return masked;
  }

  @Override
  protected boolean perRecord() {
    return true;
  }

  @Override
  protected void connect() {}

  @Override
  protected void disconnect() {}

  /**
   * One POST of {@code batch}: 2xx sends it; a connection error, a timeout, 408, 429 or 5xx is an
   * {@link IOException} (tried again), another answer a {@link QueuedSink.Refused} (dropped).
   */
  @Override
  protected long sendBatch(List<Item> batch) throws IOException {
    byte[] body = body(batch);
    HttpRequest.Builder request = HttpRequest.newBuilder(uri)
        .timeout(requestTimeout)
        .header("Content-Type", protobuf ? PROTOBUF : JSON)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    headers.forEach(request::header);
    HttpResponse<String> response;
    try {
      response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IOException(e.toString(), e); // the exception's class says most (ConnectException)
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Refused("interrupted");
    }
    int status = response.statusCode();
    if (status / 100 == 2) {
      counters.connected(true);
      return body.length;
    }
    String failure = "HTTP " + status + snippet(response.body());
    if (status == 408 || status == 429 || status / 100 == 5) {
      throw new IOException(failure);
    }
    throw new Refused(failure); // the server refuses this batch: retrying would not change its answer
  }

  private static String snippet(String body) {
    if (body == null || body.isBlank()) {
      return "";
    }
    String s = body.strip().replaceAll("\\s+", " ");
    return ": " + (s.length() > 200 ? s.substring(0, 200) + "..." : s);
  }

  private byte[] body(List<Item> batch) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (protobuf) {
      CodedOutputStream coded = CodedOutputStream.newInstance(out);
      try {
        for (Item item : batch) {
          // ForwardBatch: events = 1, logs = 2, each a length-delimited message
          coded.writeByteArray(item.log() ? 2 : 1, item.bytes());
        }
        coded.flush();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      return out.toByteArray();
    }
    out.write('[');
    for (int i = 0; i < batch.size(); i++) {
      if (i > 0) {
        out.write(',');
      }
      out.writeBytes(batch.get(i).bytes());
    }
    out.write(']');
    return out.toByteArray();
  }

  @Override
  public String describe() {
    return masked(uri);
  }

  @Override
  public void close() {
    super.close();
    client.close();
  }
}
