package io.ecapture.kafka.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProcessorConfigTest {
  private static final String JAAS = "org.apache.kafka.common.security.plain.PlainLoginModule "
      + "required username=\"svc\" password=\"jaas-secret-1\";";

  @Test
  void toStringNeverShowsSecretOverrides() {
    ProcessorConfig config = ProcessorConfig.builder()
        .streamsOverride("sasl.jaas.config", JAAS)
        .streamsOverride("producer.ssl.key.password", "key-secret-2")
        .streamsOverride("main.consumer.ssl.keystore.password", "store-secret-3")
        .streamsOverride("ssl.truststore.password", "trust-secret-4")
        .streamsOverride("ssl.keystore.key", "-----BEGIN PRIVATE KEY----- pem-secret-5")
        .streamsOverride("admin.sasl.oauthbearer.client.credentials.client.secret", "oauth-secret-6")
        .streamsOverride("my.plugin.api.token", "plugin-secret-7")
        .streamsOverride("consumer.session.timeout.ms", "6000")
        .streamsOverride("security.protocol", "SASL_SSL")
        .build();
    String text = config.toString();
    for (String secret : new String[] {"jaas-secret-1", "key-secret-2", "store-secret-3",
        "trust-secret-4", "pem-secret-5", "oauth-secret-6", "plugin-secret-7", "PlainLoginModule"}) {
      assertFalse(text.contains(secret), secret + " in " + text);
    }
    assertTrue(text.contains("sasl.jaas.config=***"), text);
    assertTrue(text.contains("producer.ssl.key.password=***"), text);
    // what is not secret stays readable
    assertTrue(text.contains("consumer.session.timeout.ms=6000"), text);
    assertTrue(text.contains("security.protocol=SASL_SSL"), text);
    assertTrue(text.contains("statusPort=28259"), text);
    // the values themselves still reach Kafka
    assertEquals(JAAS, config.toStreamsProperties().get("sasl.jaas.config"));
  }

  @Test
  void exactlyOnceRequestsCommitsForTheLiveViewAndAtLeastOnceKeepsStreamsOwn() {
    ProcessorConfig defaults = ProcessorConfig.builder().build();
    java.util.Properties eos = defaults.toStreamsProperties();
    assertEquals("exactly_once_v2", eos.get("processing.guarantee"));
    assertEquals(ProcessorConfig.DEFAULT_EOS_COMMIT_INTERVAL_MS, eos.get("commit.interval.ms"));
    assertEquals(ProcessorConfig.DEFAULT_EOS_POLL_MS, eos.get("poll.ms"));
    // the live view's latency comes from the commit requested after an emit, not from a short
    // commit interval or poll (which cost an idle processor CPU)
    assertEquals(CommitPacing.DEFAULTS, defaults.effectiveCommitPacing());
    assertTrue(defaults.effectiveCommitPacing().enabled());
    assertTrue(ProcessorConfig.DEFAULT_EOS_POLL_MS >= 100, "not below Kafka Streams' own 100 ms");
    // the idle heartbeat thread wakes every retry.backoff.ms: less often than Kafka's 100 ms
    assertEquals(ProcessorConfig.MAIN_CONSUMER_RETRY_BACKOFF_MS, eos.get("main.consumer.retry.backoff.ms"));
    assertTrue(ProcessorConfig.MAIN_CONSUMER_RETRY_BACKOFF_MS > 100);
    assertEquals(CommitPacing.OFF, ProcessorConfig.builder().processingGuarantee("at_least_once").build()
        .effectiveCommitPacing(), "at_least_once: a message is visible once produced");
    assertEquals(CommitPacing.OFF, defaults.toBuilder().commitPacing(CommitPacing.ofMillis(-5, 1)).build()
        .effectiveCommitPacing(), "a negative interval turns the requests off");
    java.util.Properties alo = ProcessorConfig.builder().processingGuarantee("at_least_once").build()
        .toStreamsProperties();
    assertFalse(alo.containsKey("commit.interval.ms"), "at_least_once: Streams' 30 s offset commits");
    assertFalse(alo.containsKey("poll.ms"));
    java.util.Properties fewer = ProcessorConfig.builder().streamsOverride("commit.interval.ms", "100")
        .streamsOverride("poll.ms", "100").build().toStreamsProperties();
    assertEquals("100", fewer.get("commit.interval.ms"), "still overridable");
    assertEquals("100", fewer.get("poll.ms"));
  }

  @Test
  void aLongerIdleFlushRaisesTheConnectionTtl() {
    ProcessorConfig config = ProcessorConfig.builder().idleFlush(Duration.ofMinutes(20)).build();
    assertEquals(Duration.ofMinutes(20), config.connectionTtl());
    ProcessorConfig shorter = ProcessorConfig.builder().idleFlush(Duration.ofSeconds(5)).build();
    assertEquals(ProcessorConfig.DEFAULT_CONNECTION_TTL, shorter.connectionTtl());
  }

  @Test
  void toBuilderKeepsEveryComponent() {
    ProcessorConfig config = ProcessorConfig.builder()
        .bootstrapServers("b:1").applicationId("a").streamThreads(3).statusPort(0)
        .startTimeout(Duration.ofSeconds(5)).statsInterval(Duration.ofSeconds(7))
        .limits(ProcessorLimits.builder().maxOpenStreams(10).build())
        .streamsOverrides(Map.of("k", "v")).build();
    assertEquals(config, config.toBuilder().build());
  }

  @Test
  void invalidValuesAreRejected() {
    assertThrows(IllegalArgumentException.class,
        () -> ProcessorConfig.builder().statusPort(-2).build());
    assertThrows(IllegalArgumentException.class,
        () -> ProcessorConfig.builder().streamThreads(0).build());
    assertThrows(IllegalArgumentException.class,
        () -> ProcessorConfig.builder().connectionTtl(Duration.ofMillis(10)).build());
    assertThrows(IllegalArgumentException.class,
        () -> ProcessorLimits.builder().maxPendingRequests(0).build());
    assertThrows(IllegalArgumentException.class,
        () -> ProcessorLimits.builder().maxHpackTableBytes(100).build());
  }

  @Test
  void limitDefaultsAreTheFormerConstants() {
    ProcessorLimits limits = ProcessorLimits.defaults();
    assertEquals(128, limits.maxOpenStreams());
    assertEquals(256, limits.maxPendingRequests());
    assertEquals(1024, limits.maxGrpcMessages());
    assertEquals(10_000, limits.maxHpackDecoders());
    assertEquals(4096, limits.maxInflaters());
    assertEquals(10_000, limits.maxCachedStates());
    assertEquals(64L << 20, limits.maxCachedStateBytes());
    assertEquals(64 << 20, limits.maxStateRecordBytes());
    assertEquals(1L << 20, limits.maxHpackTableBytes());
    assertEquals(8, limits.maxInflateFactor());
    assertEquals(1024, limits.maxChunkSizeLineBytes());
    // whole messages: 8 MiB bodies, shown whole, a buffer that holds one with its head
    assertEquals(8 << 20, limits.maxBodyBytes());
    assertEquals(8 << 20, limits.maxRenderedBytes());
    assertEquals(9 << 20, limits.maxBufferedBytes());
    assertEquals((64 << 20) + (64 << 10),
        ProcessorConfig.defaults().toStreamsProperties().get("producer.max.request.size"));
    assertEquals(2L * ((64 << 20) + (64 << 10)),
        ProcessorConfig.defaults().toStreamsProperties().get("producer.buffer.memory"));
    assertEquals("lz4", ProcessorConfig.defaults().toStreamsProperties().get("producer.compression.type"));
  }

  @Test
  void theBufferAndRenderedLimitsFollowTheBodyLimitUnlessSet() {
    ProcessorLimits bigger = ProcessorLimits.builder().maxBodyBytes(16 << 20).build();
    assertEquals(17 << 20, bigger.maxBufferedBytes());
    assertEquals(16 << 20, bigger.maxRenderedBytes());
    ProcessorLimits smaller = ProcessorLimits.defaults().toBuilder().maxBodyBytes(1 << 20).build();
    assertEquals(2 << 20, smaller.maxBufferedBytes(), "a copy moves along");
    ProcessorLimits pinned = ProcessorLimits.builder().maxBufferedBytes(3 << 20)
        .maxRenderedBytes(4096).maxBodyBytes(1 << 20).build();
    assertEquals(3 << 20, pinned.maxBufferedBytes());
    assertEquals(4096, pinned.maxRenderedBytes());
    assertEquals(pinned, pinned.toBuilder().build());
    // a parsed record: 2 x body (body, gRPC messages) + rendered + 4 x headers + 64 KiB
    assertEquals(3L * (8 << 20) + 4 * (64 << 10) + (64 << 10),
        ProcessorLimits.defaults().maxParsedRecordBytes());
    // bodies whose records no Kafka request could carry are refused with the reason
    IllegalArgumentException tooBig = assertThrows(IllegalArgumentException.class,
        () -> ProcessorLimits.builder().maxBodyBytes(40 << 20).build());
    assertTrue(tooBig.getMessage().contains("maxBodyBytes"), tooBig.getMessage());
  }
}
