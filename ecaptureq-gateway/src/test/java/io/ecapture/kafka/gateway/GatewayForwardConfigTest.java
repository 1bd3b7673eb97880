package io.ecapture.kafka.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.ecapture.kafka.common.Json;
import io.ecapture.kafka.common.TopicSetup;
import io.ecapture.kafka.embedded.EmbeddedKafka;
import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.Endpoint;
import io.ecapture.kafka.proto.parsed.HttpFields;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;
import com.google.protobuf.ByteString;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** POST /config with event_forward starts, lists and stops a forwarder inside the gateway. */
class GatewayForwardConfigTest {
  @TempDir static Path dataDir;
  static EmbeddedKafka kafka;
  static KafkaProducer<byte[], byte[]> producer;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void broker() {
    kafka = EmbeddedKafka.start(dataDir);
    TopicSetup.ensureTopics(kafka.bootstrapServers(), 2);
    producer = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(), "acks", "all"),
        new ByteArraySerializer(), new ByteArraySerializer());
  }

  @AfterAll
  static void stop() {
    producer.close();
    kafka.close();
  }

  static HttpResponse<String> post(int port, String body, Map<String, String> headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/config"))
        .POST(HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(b::header);
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> get(int port, String auth) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/config"));
    if (auth != null) {
      b.header("Authorization", auth);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static ParsedMessage request(String host, String marker) {
    String rendered = "GET /a HTTP/1.1\r\nHost: svc\r\nX-Marker: " + marker + "\r\n\r\n";
    return ParsedMessage.newBuilder().setConnectionId(host + "/1/3/9").setHostId(host).setPid(77).setComm("curl")
        .setSrc(Endpoint.newBuilder().setIp("127.0.0.1").setPort(40000))
        .setDst(Endpoint.newBuilder().setIp("127.0.0.1").setPort(443))
        .setProtocol(Protocol.HTTP1).setKind(MessageKind.REQUEST).setDirection(Direction.WRITE)
        .setHttp(HttpFields.newBuilder().setMethod("GET").setPath("/a").setVersion("HTTP/1.1"))
        .setFirstByteTimeNs(System.currentTimeMillis() * 1_000_000L)
        .setRendered(ByteString.copyFromUtf8(rendered)).build();
  }

  @Test
  void startsListsAndStopsAForwarderWithTheCollectorsTokenRules() throws Exception {
    List<String> bodies = new CopyOnWriteArrayList<>();
    List<String> keys = new CopyOnWriteArrayList<>();
    HttpServer sink = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
    sink.createContext("/ingest", ex -> {
      bodies.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      keys.add(ex.getRequestHeaders().getFirst("X-Api-Key"));
      ex.sendResponseHeaders(200, -1);
      ex.close();
    });
    sink.start();
    String host = "fwd-" + UUID.randomUUID();
    String url = "http://127.0.0.1:" + sink.getAddress().getPort() + "/ingest";
    String start = "{\"event_forward\":{\"name\":\"siem\",\"enabled\":true,\"url\":\"" + url + "\",\"format\":\"json\","
        + "\"modules\":[\"http1\"],\"batch_size\":10,\"batch_timeout_ms\":200,\"headers\":{\"X-Api-Key\":\"key-42\"},"
        + "\"filter\":{\"host\":[\"" + host + "\"],\"port\":443}}}";
    Map<String, String> json = Map.of("Content-Type", "application/json");
    try (Gateway gateway = Gateway.start(GatewayConfig.builder().listen("127.0.0.1:0")
        .bootstrapServers(kafka.bootstrapServers()).token("t0ken").build())) {
      int port = gateway.port();
      assertEquals(401, post(port, start, json).statusCode(), "no token");
      assertEquals(401, post(port, start, Map.of("Content-Type", "application/json", "Authorization", "Bearer nope"))
          .statusCode());
      assertEquals(415, post(port, start, Map.of("Authorization", "Bearer t0ken", "Content-Type", "text/plain"))
          .statusCode());
      assertEquals(403, post(port, start, Map.of("Authorization", "Bearer t0ken", "Content-Type", "application/json",
          "Origin", "http://evil.example")).statusCode());
      HttpResponse<String> unknown = post(port, start.replace("\"modules\"", "\"modulez\""),
          Map.of("Authorization", "Bearer t0ken", "Content-Type", "application/json"));
      assertEquals(400, unknown.statusCode());
      assertTrue(unknown.body().contains("unknown key event_forward.modulez"), unknown.body());
      assertEquals(401, get(port, null).statusCode(), "GET needs the token like /status");
      HttpResponse<String> file = post(port, start.replace(url, "/tmp/evil.log"),
          Map.of("Authorization", "Bearer t0ken", "Content-Type", "application/json"));
      assertEquals(400, file.statusCode(), "no file targets over the network");
      assertTrue(file.body().contains("files are written only by"), file.body());

      HttpResponse<String> started = post(port, start,
          Map.of("Authorization", "Bearer t0ken", "Content-Type", "application/json; charset=utf-8"));
      assertEquals(200, started.statusCode(), started.body());
      assertFalse(started.body().contains("key-42"), "header values are never shown: " + started.body());

      JsonNode listed = Json.tree(get(port, "Bearer t0ken").body()).get("event_forward");
      assertEquals(1, listed.size());
      JsonNode f = listed.get(0);
      assertEquals("siem", f.get("name").asText());
      assertEquals(url, f.get("url").asText());
      assertEquals("json", f.get("format").asText());
      assertEquals(10, f.get("batch_size").asInt());
      assertEquals(200, f.get("batch_timeout_ms").asInt());
      assertEquals("***", f.get("headers").get("X-Api-Key").asText());
      assertEquals(host, f.get("filter").get("host").get(0).asText());
      assertEquals(443, f.get("filter").get("port").get(0).asInt());

      // the forwarder starts at the end of the topic: wait for its partitions through a first event
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (bodies.isEmpty() && System.nanoTime() < deadline) {
        ParsedMessage m = request(host, "warm-up");
        producer.send(new ProducerRecord<>(Topics.PARSED.name(), m.getConnectionId().getBytes(), m.toByteArray())).get();
        Thread.sleep(500);
      }
      assertFalse(bodies.isEmpty(), "the forwarder posted nothing");
      ParsedMessage other = request("another-host", "filtered");
      producer.send(new ProducerRecord<>(Topics.PARSED.name(), other.getConnectionId().getBytes(), other.toByteArray())).get();
      ParsedMessage m = request(host, "m-77");
      producer.send(new ProducerRecord<>(Topics.PARSED.name(), m.getConnectionId().getBytes(), m.toByteArray())).get();
      while (bodies.stream().noneMatch(b -> b.contains("m-77")) && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertTrue(bodies.stream().anyMatch(b -> b.contains("X-Marker: m-77")), bodies.toString());
      assertTrue(bodies.stream().noneMatch(b -> b.contains("another-host")), "the filter applies");
      assertTrue(keys.stream().allMatch("key-42"::equals), keys.toString());
      JsonNode array = Json.tree(bodies.getLast());
      assertTrue(array.isArray() && array.get(array.size() - 1).get("host_id").asText().equals(host));

      HttpResponse<String> stopped = post(port, "{\"event_forward\":{\"name\":\"siem\",\"enabled\":false}}",
          Map.of("Authorization", "Bearer t0ken", "Content-Type", "application/json"));
      assertEquals(200, stopped.statusCode(), stopped.body());
      assertEquals(0, Json.tree(get(port, "Bearer t0ken").body()).get("event_forward").size());
    } finally {
      sink.stop(0);
    }

    // without a token, changes are disabled
    try (Gateway open = Gateway.start(GatewayConfig.builder().listen("127.0.0.1:0")
        .bootstrapServers(kafka.bootstrapServers()).build())) {
      HttpResponse<String> refused = post(open.port(), start, json);
      assertEquals(403, refused.statusCode());
      assertTrue(refused.body().contains("no token"), refused.body());
    }
  }
}
