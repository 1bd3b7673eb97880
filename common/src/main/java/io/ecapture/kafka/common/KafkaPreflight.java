package io.ecapture.kafka.common;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;

/**
 * Checks once, at a component's start, that the cluster answers with these client settings, and
 * turns what Kafka's clients would otherwise retry quietly (or log as a stack trace per attempt)
 * into one line: wrong credentials, an untrusted certificate, no answer. Components exit on a
 * non-retriable failure and wait (counting) on an unreachable cluster.
 */
public final class KafkaPreflight {
  /** How long a check waits for an answer unless told otherwise. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  private static final Pattern JAAS_USER = Pattern.compile("username\\s*=\\s*\"([^\"]*)\"");

  private KafkaPreflight() {}

  /** What the cluster told about itself. */
  public record Cluster(String clusterId, int brokers) {}

  /**
   * Describes the cluster with these settings.
   *
   * @throws KafkaAccessException the cluster did not answer within {@code timeout} or refused;
   *     its message is the one line to show
   */
  public static Cluster check(String bootstrap, Map<String, ?> clientProperties, Duration timeout) {
    Map<String, Object> p = new HashMap<>(KafkaClientProperties.forAdmin(clientProperties));
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    int ms = (int) Math.max(1000, timeout.toMillis());
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, ms);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(ms, 15_000));
    p.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, "ecapture-preflight");
    try (Admin admin = Admin.create(p)) {
      DescribeClusterResult cluster = admin.describeCluster();
      int brokers = cluster.nodes().get(ms, TimeUnit.MILLISECONDS).size();
      return new Cluster(cluster.clusterId().get(ms, TimeUnit.MILLISECONDS), brokers);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaAccessException(KafkaAccessException.Reason.OTHER, "interrupted", e);
    } catch (ExecutionException e) {
      throw classify(bootstrap, clientProperties, e.getCause(), timeout);
    } catch (java.util.concurrent.TimeoutException e) {
      throw classify(bootstrap, clientProperties, e, timeout);
    } catch (org.apache.kafka.common.KafkaException e) { // a bad setting, e.g. a missing trust store
      throw classify(bootstrap, clientProperties, e, timeout);
    }
  }

  /**
   * A command's start: when the settings name a security protocol (SSL or SASL), checks them
   * once ({@link #DEFAULT_TIMEOUT}) so wrong credentials or an untrusted certificate end the
   * command with one line instead of a client retrying quietly forever. An unreachable cluster is
   * only warned about (the component waits for it as it always does); PLAINTEXT is not checked
   * (nothing a check could find that waiting would not).
   *
   * @param command the command's name, the prefix of the line
   * @return false when the command must exit (status 1): the line is on {@code err}
   */
  public static boolean atStart(String command, String bootstrap, Map<String, ?> clientProperties,
      java.io.PrintStream err) {
    Object protocol = clientProperties.get(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG);
    if (protocol == null || "PLAINTEXT".equalsIgnoreCase(protocol.toString().strip())) {
      return true;
    }
    try {
      check(bootstrap, clientProperties, DEFAULT_TIMEOUT);
      return true;
    } catch (KafkaAccessException e) {
      if (e.retriable()) {
        err.println(command + ": warning: " + e.getMessage() + "; starting anyway, Kafka clients retry");
        return true;
      }
      err.println(command + ": " + e.getMessage());
      return false;
    }
  }

  /**
   * One line for any failure of a Kafka client against {@code bootstrap} with these settings.
   * Names the user and the trust store it used, never a password.
   */
  public static KafkaAccessException classify(
      String bootstrap, Map<String, ?> clientProperties, Throwable error, Duration timeout) {
    String where = "Kafka at " + bootstrap;
    Object protocolSetting = clientProperties.get(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG);
    String protocol = protocolSetting == null ? "PLAINTEXT" : protocolSetting.toString();
    Throwable tls = find(error, SslAuthenticationException.class);
    if (tls == null && find(error, SSLException.class) != null) {
      tls = find(error, SSLException.class);
    }
    if (tls != null) {
      Object store = clientProperties.get(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG);
      return new KafkaAccessException(KafkaAccessException.Reason.TLS,
          where + ": TLS handshake failed (" + protocol + ", trust store "
              + (store == null ? "the JVM default" : store) + "): " + rootMessage(tls)
              + "; is the broker's CA certificate in the trust store?", error);
    }
    Throwable auth = find(error, SaslAuthenticationException.class);
    if (auth == null) {
      auth = find(error, org.apache.kafka.common.errors.AuthenticationException.class);
    }
    if (auth != null) {
      Object mechanism = clientProperties.get(SaslConfigs.SASL_MECHANISM);
      mechanism = mechanism == null ? "GSSAPI" : mechanism;
      return new KafkaAccessException(KafkaAccessException.Reason.AUTHENTICATION,
          where + ": authentication failed (" + protocol + " " + mechanism + user(clientProperties)
              + "): " + auth.getMessage(), error);
    }
    Throwable denied = find(error, AuthorizationException.class);
    if (denied != null) {
      return new KafkaAccessException(KafkaAccessException.Reason.AUTHORIZATION,
          where + ": not authorized" + user(clientProperties) + ": " + denied.getMessage(), error);
    }
    if (error instanceof java.util.concurrent.TimeoutException
        || find(error, org.apache.kafka.common.errors.TimeoutException.class) != null) {
      return new KafkaAccessException(KafkaAccessException.Reason.UNREACHABLE,
          where + ": no answer within " + timeout.toSeconds() + " s (security.protocol " + protocol
              + "; wrong address or port, broker down, or the listener expects another protocol?)", error);
    }
    return new KafkaAccessException(KafkaAccessException.Reason.OTHER,
        where + ": " + rootMessage(error), error);
  }

  private static String user(Map<String, ?> clientProperties) {
    Object jaas = clientProperties.get(SaslConfigs.SASL_JAAS_CONFIG);
    if (jaas == null) {
      return "";
    }
    Matcher m = JAAS_USER.matcher(jaas.toString());
    return m.find() ? " as user '" + m.group(1) + "'" : "";
  }

  private static <T extends Throwable> T find(Throwable error, Class<T> type) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return null;
  }

  private static String rootMessage(Throwable error) {
    Throwable root = error;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    return message.lines().findFirst().orElse(message);
  }
}
