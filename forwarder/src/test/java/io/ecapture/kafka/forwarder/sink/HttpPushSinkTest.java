package io.ecapture.kafka.forwarder.sink;

import static io.ecapture.kafka.forwarder.sink.TcpSinkTest.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.ecapture.kafka.common.Json;
import io.ecapture.kafka.forwarder.Samples;
import io.ecapture.kafka.proto.forward.ForwardBatch;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** HTTP push against a real HTTP server on loopback (the JDK's). */
class HttpPushSinkTest {
  record Post(String contentType, String apiKey, byte[] body) {}

  final List<Post> posts = new CopyOnWriteArrayList<>();
  /** Statuses to answer, in order; 200 once used up. */
  final List<Integer> answers = new CopyOnWriteArrayList<>();
  final AtomicInteger requests = new AtomicInteger();
  HttpServer server;

  URI start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    server.createContext("/ingest", ex -> {
      byte[] body = ex.getRequestBody().readAllBytes();
      requests.incrementAndGet();
      int status = answers.isEmpty() ? 200 : answers.removeFirst();
      if (status == 200) {
        posts.add(new Post(ex.getRequestHeaders().getFirst("Content-Type"), ex.getRequestHeaders().getFirst("X-Api-Key"),
            body));
      }
      byte[] answer = (status == 200 ? "ok" : "no: status " + status).getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(status, answer.length);
      ex.getResponseBody().write(answer);
      ex.close();
    });
    server.start();
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/ingest");
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(0);
    }
  }

  private static Item json(int i) {
    return new Item(("{\"record\":\"event\",\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8), false, true, null, i);
  }

  private HttpPushSink sink(URI uri, boolean protobuf, int batchSize, Duration timeout, int retries) {
    return new HttpPushSink(uri, protobuf, Map.of("X-Api-Key", "secret-key-1"), batchSize, timeout, retries,
        Duration.ofMillis(50), Duration.ofSeconds(10), 16);
  }

  @Test
  void postsJsonArraysInBatchesWithTheExtraHeaders() throws Exception {
    URI uri = start();
    try (HttpPushSink sink = sink(uri, false, 3, Duration.ofMinutes(5), 3)) {
      for (int i = 1; i <= 7; i++) {
        sink.accept(json(i));
      }
      await(() -> posts.size() == 2, "the two full batches");
      assertEquals(6, sink.doneThrough(), "the 7th waits for its batch");
      assertTrue(sink.flush(Duration.ofSeconds(60)), "flush sends the partial batch");
      assertEquals(3, posts.size());
      int n = 1;
      for (Post post : posts) {
        assertEquals(HttpPushSink.JSON, post.contentType());
        assertEquals("secret-key-1", post.apiKey());
        JsonNode array = Json.tree(new String(post.body(), StandardCharsets.UTF_8));
        assertTrue(array.isArray());
        for (JsonNode e : array) {
          assertEquals(n++, e.get("n").asInt());
        }
      }
      assertEquals(8, n);
      assertEquals(7, sink.counters().sent.sum());
      assertEquals(7, sink.doneThrough());
      assertTrue(sink.describe().equals(uri.toString()));
    }
  }

  @Test
  void aBatchIsSentOnceItsOldestRecordWaitedTheTimeout() throws Exception {
    URI uri = start();
    try (HttpPushSink sink = sink(uri, false, 100, Duration.ofMillis(300), 3)) {
      sink.accept(json(1));
      sink.accept(json(2));
      await(() -> posts.size() == 1, "the batch after its timeout");
      assertEquals(2, Json.tree(new String(posts.getFirst().body(), StandardCharsets.UTF_8)).size());
    }
  }

  @Test
  void postsProtobufForwardBatches() throws Exception {
    URI uri = start();
    ParsedMessage request = Samples.request("host-a", "m-1");
    ParsedMessage response = Samples.response("host-a", "m-1");
    try (HttpPushSink sink = sink(uri, true, 2, Duration.ofMinutes(5), 3)) {
      sink.accept(new Item(request.toByteArray(), false, false, request, 1));
      sink.accept(new Item(response.toByteArray(), false, false, response, 2));
      assertTrue(sink.flush(Duration.ofSeconds(60)));
    }
    assertEquals(1, posts.size());
    assertEquals(HttpPushSink.PROTOBUF, posts.getFirst().contentType());
    ForwardBatch batch = ForwardBatch.parseFrom(posts.getFirst().body());
    assertEquals(List.of(request, response), batch.getEventsList());
  }

  @Test
  void retriesWithBackoffAndCountsWhatCannotBeDelivered() throws Exception {
    URI uri = start();
    answers.addAll(List.of(503, 503));
    try (HttpPushSink sink = sink(uri, false, 2, Duration.ofMinutes(5), 3)) {
      sink.accept(json(1));
      sink.accept(json(2));
      assertTrue(sink.flush(Duration.ofSeconds(60)));
      assertEquals(2, sink.counters().retries.sum(), "two 503 answers, then delivered");
      assertEquals(2, sink.counters().sent.sum());
      assertEquals(3, requests.get());

      // a refusal (400) is not retried: the batch is dropped and counted
      answers.add(400);
      sink.accept(json(3));
      assertTrue(sink.flush(Duration.ofSeconds(60)));
      assertEquals(1, sink.counters().dropped.sum());
      assertTrue(sink.counters().lastError().startsWith("HTTP 400"), sink.counters().lastError());
      assertEquals(3, sink.doneThrough(), "a dropped batch is done: the consumer goes on");

      // 5xx every time: retries used up, then dropped
      answers.addAll(List.of(500, 500, 500, 500));
      sink.accept(json(4));
      assertTrue(sink.flush(Duration.ofSeconds(60)));
      assertEquals(2, sink.counters().dropped.sum());
      assertEquals(5, sink.counters().retries.sum());
    }
  }

  @Test
  void whileTheEndpointFailsBatchesBeyondTheBoundOverflowAndCloseCountsTheRest() throws Exception {
    URI uri = start();
    for (int i = 0; i < 10_000; i++) {
      answers.add(503);
    }
    HttpPushSink sink = sink(uri, false, 1, Duration.ofMinutes(5), 1_000);
    try {
      sink.accept(json(1));
      await(() -> requests.get() >= 1, "the first batch is being tried");
      for (int i = 2; i <= 30; i++) {
        sink.accept(json(i));
      }
      // 16 batches wait besides the one being tried (never answered 2xx: no back-pressure)
      assertEquals(13, sink.counters().overflow.sum());
      assertEquals(0, sink.doneThrough(), "the first is not done");
      assertTrue(!sink.flush(Duration.ofMillis(200)), "nothing can be delivered");
    } finally {
      sink.close();
    }
    assertEquals(17, sink.counters().dropped.sum(), "what waited and what was being tried, once each");
    assertEquals(0, sink.counters().sent.sum());
    assertTrue(sink.counters().retries.sum() >= 1, "the first batch was retried");
    assertTrue(sink.counters().lastError().startsWith("HTTP 503"), sink.counters().lastError());
  }

  @Test
  void anUnreachableEndpointIsRetriedThenCounted() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    try (HttpPushSink sink = sink(URI.create("http://127.0.0.1:" + port + "/x"), false, 1, Duration.ofMinutes(5), 2)) {
      sink.accept(json(1));
      assertTrue(sink.flush(Duration.ofSeconds(60)));
      assertEquals(1, sink.counters().dropped.sum());
      assertEquals(2, sink.counters().retries.sum());
      assertTrue(sink.counters().lastError().contains("ConnectException"), sink.counters().lastError());
    }
  }
}
