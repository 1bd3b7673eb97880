package io.ecapture.kafka.forwarder.sink;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * {@code overflow}. One request at a time, batches in order.
 */
public final class HttpPushSink implements Sink {
  private static final Logger log = LoggerFactory.getLogger(HttpPushSink.class);
  public static final String JSON = "application/json";
  public static final String PROTOBUF = "application/x-protobuf";

  private final URI uri;
  private final boolean protobuf;
  private final Map<String, String> headers;
  private final int batchSize;
  private final long batchTimeoutNs;
  private final int retries;
  private final Duration retryBackoff;
  private final Duration requestTimeout;
  private final int maxPendingBatches;
  private final HttpClient client;
  private final SinkCounters counters = new SinkCounters();
  private final Object lock = new Object();
  private final ArrayDeque<List<Item>> sealed = new ArrayDeque<>();
  private List<Item> current = new ArrayList<>();
  private long currentSinceNs;
  private List<Item> inFlight;
  private long lastAccepted;
  private volatile boolean closed;
  private long failures;
  private final Thread worker;

  public HttpPushSink(URI uri, boolean protobuf, Map<String, String> headers, int batchSize, Duration batchTimeout,
      int retries, Duration retryBackoff, Duration requestTimeout, int maxPendingBatches) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be >= 1");
    }
    this.uri = uri;
    this.protobuf = protobuf;
    this.headers = Map.copyOf(headers);
    this.batchSize = batchSize;
    this.batchTimeoutNs = Math.max(1, batchTimeout.toNanos());
    this.retries = retries;
    this.retryBackoff = retryBackoff;
    this.requestTimeout = requestTimeout;
    this.maxPendingBatches = maxPendingBatches;
    this.client = HttpClient.newBuilder().connectTimeout(requestTimeout).build();
    this.worker = Thread.ofPlatform().daemon().name("forward-http").start(this::run);
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
  public void accept(Item item) {
    synchronized (lock) {
      lastAccepted = item.seq();
      if (closed) {
        counters.dropped.increment();
        return;
      }
      if (current.isEmpty()) {
        currentSinceNs = System.nanoTime();
      }
      current.add(item);
      if (current.size() >= batchSize) {
        seal();
      }
      lock.notifyAll();
    }
  }

  /** Moves the current batch to the send queue (holding the lock). */
  private void seal() {
    if (current.isEmpty()) {
      return;
    }
    if (sealed.size() >= maxPendingBatches && counters.connected() && Thread.currentThread() != worker) {
      // the endpoint answers, only slower than Kafka delivers: hold the consumer (back-pressure)
      long deadline = System.nanoTime() + QueuedSink.BACKPRESSURE_LIMIT.toNanos();
      while (sealed.size() >= maxPendingBatches && counters.connected() && !closed) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        try {
          lock.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    if (sealed.size() >= maxPendingBatches) {
      counters.overflow.add(current.size());
      log.warn("{}: {} batches already waiting: {} record(s) dropped ({} so far){}", masked(uri), sealed.size(),
          current.size(), counters.overflow.sum(), counters.lastError() == null ? "" : "; last error: " + counters.lastError());
    } else {
      sealed.addLast(current);
    }
    current = new ArrayList<>();
  }

  private void run() {
    while (!closed) {
      List<Item> batch;
      synchronized (lock) {
        while (sealed.isEmpty() && !closed) {
          if (!current.isEmpty() && System.nanoTime() - currentSinceNs >= batchTimeoutNs) {
            seal();
            continue;
          }
          long waitNs = current.isEmpty() ? 200_000_000L : batchTimeoutNs - (System.nanoTime() - currentSinceNs);
          try {
            lock.wait(Math.max(1, waitNs / 1_000_000));
          } catch (InterruptedException e) {
            return;
          }
        }
        if (closed) {
          return;
        }
        batch = sealed.pollFirst();
        inFlight = batch;
      }
      deliver(batch);
      synchronized (lock) {
        inFlight = null;
        lock.notifyAll();
      }
    }
  }

  private void deliver(List<Item> batch) {
    byte[] body = body(batch);
    HttpRequest.Builder request = HttpRequest.newBuilder(uri)
        .timeout(requestTimeout)
        .header("Content-Type", protobuf ? PROTOBUF : JSON)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    headers.forEach(request::header);
    HttpRequest built = request.build();
    long wait = Math.max(1, retryBackoff.toMillis());
    String failure = null;
    for (int attempt = 0; attempt <= retries && !closed; attempt++) {
      if (attempt > 0) {
        counters.retries.increment();
        sleep(wait);
        wait = Math.min(wait * 2, 30_000);
      }
      try {
        HttpResponse<String> response = client.send(built, HttpResponse.BodyHandlers.ofString());
        int status = response.statusCode();
        if (status / 100 == 2) {
          counters.sent.add(batch.size());
          counters.sentBytes.add(body.length);
          counters.connected(true);
          return;
        }
        failure = "HTTP " + status + snippet(response.body());
        if (!(status == 408 || status == 429 || status / 100 == 5)) {
          break; // the server refuses this batch: retrying would not change its answer
        }
      } catch (IOException e) {
        failure = e.toString();
        counters.connected(false);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        failure = "interrupted";
        break;
      }
    }
    counters.dropped.add(batch.size());
    counters.connected(false);
    counters.error(failure);
    failures++;
    if (Long.bitCount(failures) == 1) {
      log.error("{}: batch of {} record(s) not delivered: {} ({} batch(es) lost so far)", masked(uri), batch.size(),
          failure, failures);
    }
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
  public boolean flush(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      seal();
      lock.notifyAll();
      while (!sealed.isEmpty() || inFlight != null) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || closed) {
          return false;
        }
        try {
          lock.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return true;
    }
  }

  @Override
  public long doneThrough() {
    synchronized (lock) {
      List<Item> oldest = inFlight != null ? inFlight : !sealed.isEmpty() ? sealed.peekFirst()
          : !current.isEmpty() ? current : null;
      return oldest == null ? lastAccepted : oldest.get(0).seq() - 1;
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public SinkCounters counters() {
    return counters;
  }

  @Override
  public String describe() {
    return masked(uri);
  }

  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
      int left = current.size();
      for (List<Item> b : sealed) {
        left += b.size();
      }
      counters.dropped.add(left);
      current = new ArrayList<>();
      sealed.clear();
      lock.notifyAll();
    }
    worker.interrupt();
    try {
      worker.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    client.close();
  }
}
