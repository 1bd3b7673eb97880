package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.common.KafkaClientProperties;
import io.ecapture.kafka.proto.Topics;
import io.ecapture.kafka.proto.ecaptureq.Event;
import io.ecapture.kafka.proto.ecaptureq.LogEntry;
import io.ecapture.kafka.proto.ecaptureq.LogType;
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
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The whole pipeline against a cluster secured as production ones are: SASL_SSL with
 * SCRAM-SHA-512, a certificate the clients trust through their trust store, ACLs on. Every
 * component runs as the principal {@code ecapture} with exactly the README's ACLs and its
 * settings from a {@code --command-config} file. curl talks TLS to openssl s_server; the
 * collector captures it with eBPF; an eCaptureQ client of the gateway must see the marker in the
 * request and the response, and process-log lines of all three components with the host id.
 */
class SecuredClusterPipelineTest {
  private static final Duration ARRIVAL = Duration.ofSeconds(90);
  private static final String HOST = "secure-host";

  @TempDir Path dir;

  @Test
  void capturedCurlTrafficCrossesASaslSslClusterWithAcls() throws Exception {
    try (SecuredCluster cluster = new SecuredCluster(dir)) {
      cluster.grantPipeline();
      Path clientConfig = cluster.clientConfig(dir.resolve("client.properties"), SecuredCluster.PIPELINE);
      // the topics command, as the pipeline's principal: created with the layout for one broker
      assertEquals(0, new CommandLine(new Main()).execute("topics", "--bootstrap", cluster.bootstrap(),
          "--command-config", clientConfig.toString(), "--partitions", "2"));
      assertTopicLayout(cluster);

      Map<String, String> kafka = KafkaClientProperties.load(clientConfig, Map.of());
      FleetConfig config = FleetConfig.builder(dir.resolve("data"))
          .externalBroker(cluster.bootstrap())
          .kafkaProperties(kafka)
          .partitions(2)
          .gatewayListen("127.0.0.1:0")
          .capture(true).hostId(HOST).collectorStatusPort(-1)
          .idleFlush(Duration.ofMillis(500)).build();
      String password = cluster.security.password(SecuredCluster.PIPELINE);
      assertFalse(config.toString().contains(password), config.toString());
      try (Fleet fleet = Fleet.start(config)) {
        if (!fleet.capturing()) {
          EbpfEnvironment.unavailable(fleet.captureError());
        }
        assertTrue(fleet.gateway().awaitKafkaAssignment(Duration.ofSeconds(60)), "gateway never got its partitions");
        try (EcaptureqTestClient client = new EcaptureqTestClient(fleet.gatewayPort());
            TlsTestServer server = TlsTestServer.start(dir, false)) {
          String marker = UUID.randomUUID().toString();
          TlsTestServer.CurlResult curl = server.curl(marker);
          assertTrue(curl.output().contains("<HTML>"), "s_server did not answer: " + curl.output());

          LogEntry request = client.await(e -> e.getLogType() == LogType.EVENT && e.getEventPayload().getType() == 1
              && e.getEventPayload().getPid() == curl.pid() && payload(e.getEventPayload()).contains(marker), ARRIVAL);
          assertNotNull(request, "no request with the marker; received " + client.received().size() + " entries");
          assertTrue(payload(request.getEventPayload()).contains("X-Marker: " + marker));
          assertNotNull(client.await(e -> e.getLogType() == LogType.EVENT && e.getEventPayload().getType() == 3
              && e.getEventPayload().getPid() == curl.pid(), ARRIVAL), "no response event");

          // every component's own process log, through ecapture.logs, with its host id
          for (String component : List.of("collector", "processor", "gateway")) {
            assertNotNull(client.await(e -> e.getLogType() == LogType.PROCESS_LOG
                && e.getRunLog().contains("[" + HOST + "/" + component + "]"), ARRIVAL),
                "no process-log line of the " + component + "; got " + runLogs(client));
          }
          assertTrue(client.errors().isEmpty(), client.errors().toString());
        }
        String status = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + fleet.gatewayPort() + "/status")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(status.contains("\"processLogDropped\":0"), status);
        assertFalse(status.contains(password), status);
        assertFalse(fleet.statusLine().contains(password));
      }
    }
  }

  private static void assertTopicLayout(SecuredCluster cluster) throws Exception {
    try (Admin admin = cluster.admin()) {
      ConfigResource raw = new ConfigResource(ConfigResource.Type.TOPIC, Topics.RAW.name());
      assertEquals("1", admin.describeConfigs(List.of(raw)).all().get().get(raw).get("min.insync.replicas").value());
      var description = admin.describeTopics(List.of(Topics.RAW.name())).allTopicNames().get().get(Topics.RAW.name());
      assertEquals(2, description.partitions().size());
      assertEquals(1, description.partitions().get(0).replicas().size());
    }
  }

  private static List<String> runLogs(EcaptureqTestClient client) {
    return client.received().stream().filter(e -> e.getLogType() == LogType.PROCESS_LOG)
        .map(LogEntry::getRunLog).toList();
  }

  private static String payload(Event e) {
    return e.getPayload().toString(StandardCharsets.UTF_8);
  }
}
