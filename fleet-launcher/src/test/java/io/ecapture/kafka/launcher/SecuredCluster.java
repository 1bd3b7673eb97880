package io.ecapture.kafka.launcher;

import io.ecapture.kafka.embedded.BrokerSecurity;
import io.ecapture.kafka.embedded.EmbeddedKafka;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The embedded broker as a production cluster is secured: a SASL_SSL listener with SCRAM-SHA-512
 * users, a certificate generated for the test, ACLs enforced. Users: {@value #ADMIN} (super
 * user: the operator), {@value #PIPELINE} (what the collector, processor and gateway run as,
 * allowed exactly what the README's {@code kafka-acls.sh} commands grant: {@link
 * #grantPipeline}), {@value #ANALYST} (a downstream consumer, {@link #grantAnalyst}).
 */
final class SecuredCluster implements AutoCloseable {
  static final String ADMIN = "admin";
  static final String PIPELINE = "ecapture";
  static final String ANALYST = "analyst";
  /** The analyst's consumer group. */
  static final String ANALYST_GROUP = "analytics";

  final BrokerSecurity security;
  final EmbeddedKafka kafka;

  SecuredCluster(Path dir) {
    security = BrokerSecurity.saslSsl(dir.resolve("tls")).superUser(ADMIN).user(PIPELINE).user(ANALYST).build();
    kafka = EmbeddedKafka.start(new EmbeddedKafka.Settings(dir.resolve("broker"), "127.0.0.1",
        EmbeddedKafka.freePort(), EmbeddedKafka.freePort(), Map.of()), security);
  }

  String bootstrap() {
    return kafka.bootstrapServers();
  }

  /** A client.properties file for {@code user}, as an operator writes one (0600). */
  Path clientConfig(Path file, String user) {
    return security.writeClientConfig(file, security.clientProperties(user));
  }

  Admin admin() {
    Map<String, Object> p = new HashMap<>(security.clientProperties(ADMIN));
    p.put("bootstrap.servers", bootstrap());
    p.put("default.api.timeout.ms", 30_000);
    return Admin.create(p);
  }

  /**
   * The README's pipeline ACLs: every operation on topics, groups and transactional ids whose
   * names start with {@code ecapture} (the pipeline's topics, the processor's application id
   * {@code ecapture-processor}: its group, internal topics and transactional ids).
   * <pre>
   * kafka-acls.sh --bootstrap-server B --command-config admin.properties --add \
   *   --allow-principal User:ecapture --operation All --resource-pattern-type prefixed \
   *   --topic ecapture --group ecapture --transactional-id ecapture
   * </pre>
   */
  void grantPipeline() throws Exception {
    List<AclBinding> acls = List.of(ResourceType.TOPIC, ResourceType.GROUP, ResourceType.TRANSACTIONAL_ID)
        .stream().map(type -> allow(PIPELINE, type, "ecapture", PatternType.PREFIXED, AclOperation.ALL))
        .toList();
    try (Admin admin = admin()) {
      admin.createAcls(acls).all().get();
    }
  }

  /**
   * The README's analyst ACLs: read {@code ecapture.parsed} and its own group, nothing else.
   * <pre>
   * kafka-acls.sh --bootstrap-server B --command-config admin.properties --add \
   *   --allow-principal User:analyst --operation Read --operation Describe \
   *   --topic ecapture.parsed --group analytics
   * </pre>
   */
  void grantAnalyst() throws Exception {
    List<AclBinding> acls = List.of(
        allow(ANALYST, ResourceType.TOPIC, "ecapture.parsed", PatternType.LITERAL, AclOperation.READ),
        allow(ANALYST, ResourceType.TOPIC, "ecapture.parsed", PatternType.LITERAL, AclOperation.DESCRIBE),
        allow(ANALYST, ResourceType.GROUP, ANALYST_GROUP, PatternType.LITERAL, AclOperation.READ),
        allow(ANALYST, ResourceType.GROUP, ANALYST_GROUP, PatternType.LITERAL, AclOperation.DESCRIBE));
    try (Admin admin = admin()) {
      admin.createAcls(acls).all().get();
    }
  }

  private static AclBinding allow(String user, ResourceType type, String name, PatternType pattern,
      AclOperation operation) {
    return new AclBinding(new ResourcePattern(type, name, pattern),
        new AccessControlEntry("User:" + user, "*", operation, AclPermissionType.ALLOW));
  }

  @Override
  public void close() {
    kafka.close();
  }
}
