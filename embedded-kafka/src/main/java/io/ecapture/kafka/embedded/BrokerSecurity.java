package io.ecapture.kafka.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * A secured client listener for the embedded broker, as production clusters run them: {@code
 * SASL_SSL} with SCRAM-SHA-512 users, a TLS certificate generated here (JDK {@code keytool}, no
 * other dependency) and ACLs enforced by KRaft's {@code StandardAuthorizer}.
 *
 * <p>Layout: clients and the broker's own inter-broker client use {@code SASL_SSL}; the controller
 * listener uses {@code SASL_PLAINTEXT} with PLAIN on the loopback address (KRaft controllers
 * cannot use SCRAM: its credentials live in the metadata they serve). The broker authenticates as
 * {@value #BROKER_USER}, a super user; so are the users added with {@link Builder#superUser}.
 * Every other user may do only what ACLs allow ({@code allow.everyone.if.no.acl.found=false}).
 * SCRAM credentials are written at format time (KRaft bootstrap records), so they exist before the
 * first client connects; more can be added later with {@code Admin.alterUserScramCredentials}.
 *
 * <pre>{@code
 * BrokerSecurity security = BrokerSecurity.saslSsl(dir).superUser("admin").user("alice").build();
 * EmbeddedKafka kafka = EmbeddedKafka.start(settings, security);
 * Map<String, String> client = security.clientProperties("alice");
 * }</pre>
 */
public final class BrokerSecurity {
  /** The broker's own principal (inter-broker and controller traffic), a super user. */
  public static final String BROKER_USER = "broker";
  /** The SASL mechanism clients use. */
  public static final String MECHANISM = "SCRAM-SHA-512";
  private static final String SCRAM_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule";
  private static final String PLAIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule";
  private static final String STORE_TYPE = "PKCS12";

  private final Path keyStore;
  private final Path trustStore;
  private final String storePassword;
  private final Map<String, String> passwords;
  private final Set<String> superUsers;

  private BrokerSecurity(Path keyStore, Path trustStore, String storePassword,
      Map<String, String> passwords, Set<String> superUsers) {
    this.keyStore = keyStore;
    this.trustStore = trustStore;
    this.storePassword = storePassword;
    this.passwords = Map.copyOf(passwords);
    this.superUsers = Set.copyOf(superUsers);
  }

  /** A builder writing its key and trust stores into {@code dir}. */
  public static Builder saslSsl(Path dir) {
    return new Builder(dir);
  }

  /** The broker's listener, SASL, TLS and authorizer properties for these addresses. */
  Map<String, String> brokerProperties(String host, int port, int controllerPort) {
    String brokerPassword = passwords.get(BROKER_USER);
    Map<String, String> p = new LinkedHashMap<>();
    p.put("listeners", "SASL_SSL://" + host + ":" + port + ",CONTROLLER://" + host + ":" + controllerPort);
    p.put("advertised.listeners", "SASL_SSL://" + host + ":" + port);
    p.put("listener.security.protocol.map", "SASL_SSL:SASL_SSL,CONTROLLER:SASL_PLAINTEXT");
    p.put("inter.broker.listener.name", "SASL_SSL");
    p.put("sasl.enabled.mechanisms", MECHANISM);
    p.put("sasl.mechanism.inter.broker.protocol", MECHANISM);
    p.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config", SCRAM_MODULE
        + " required username=\"" + BROKER_USER + "\" password=\"" + brokerPassword + "\";");
    p.put("sasl.mechanism.controller.protocol", "PLAIN");
    p.put("listener.name.controller.sasl.enabled.mechanisms", "PLAIN");
    p.put("listener.name.controller.plain.sasl.jaas.config", PLAIN_MODULE
        + " required username=\"" + BROKER_USER + "\" password=\"" + brokerPassword + "\" user_"
        + BROKER_USER + "=\"" + brokerPassword + "\";");
    p.put("ssl.keystore.location", keyStore.toString());
    p.put("ssl.keystore.password", storePassword);
    p.put("ssl.key.password", storePassword);
    p.put("ssl.keystore.type", STORE_TYPE);
    p.put("ssl.truststore.location", trustStore.toString());
    p.put("ssl.truststore.password", storePassword);
    p.put("ssl.truststore.type", STORE_TYPE);
    p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
    p.put("allow.everyone.if.no.acl.found", "false");
    List<String> supers = new ArrayList<>();
    new TreeSet<>(superUsers).forEach(u -> supers.add("User:" + u));
    p.put("super.users", String.join(";", supers));
    return p;
  }

  /** Kafka's storage-format SCRAM arguments: one credential per user (bootstrap records). */
  List<String> scramArguments() {
    List<String> args = new ArrayList<>();
    new TreeSet<>(passwords.keySet()).forEach(user ->
        args.add(MECHANISM + "=[name=" + user + ",password=" + passwords.get(user) + "]"));
    return args;
  }

  /** What a client of {@code user} needs: SASL_SSL, SCRAM-SHA-512, the trust store. */
  public Map<String, String> clientProperties(String user) {
    return clientProperties(user, password(user), trustStore);
  }

  /** Client properties with any password and trust store (tests of wrong ones). */
  public Map<String, String> clientProperties(String user, String password, Path trustStore) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("security.protocol", "SASL_SSL");
    p.put("sasl.mechanism", MECHANISM);
    p.put("sasl.jaas.config", SCRAM_MODULE + " required username=\"" + user + "\" password=\""
        + password + "\";");
    p.put("ssl.truststore.location", trustStore.toString());
    p.put("ssl.truststore.password", storePassword);
    p.put("ssl.truststore.type", STORE_TYPE);
    return p;
  }

  /**
   * Writes {@link #clientProperties(String)} as a properties file ({@code --command-config}),
   * readable by its owner only.
   */
  public Path writeClientConfig(Path file, Map<String, String> properties) {
    StringBuilder text = new StringBuilder();
    properties.forEach((k, v) -> text.append(k).append('=').append(v.replace("\\", "\\\\")).append('\n'));
    try {
      Files.writeString(file, text);
      Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  public String password(String user) {
    String password = passwords.get(user);
    if (password == null) {
      throw new IllegalArgumentException("no such user: " + user);
    }
    return password;
  }

  /** The trust store holding the broker's (self-signed) certificate. */
  public Path trustStore() {
    return trustStore;
  }

  /** The password of the key and trust stores. */
  public String storePassword() {
    return storePassword;
  }

  /** Builds a {@link BrokerSecurity}: users, super users, then the certificate. */
  public static final class Builder {
    private final Path dir;
    private final Map<String, String> passwords = new LinkedHashMap<>();
    private final Set<String> superUsers = new TreeSet<>();
    private String host = "127.0.0.1";

    private Builder(Path dir) {
      this.dir = dir;
      passwords.put(BROKER_USER, randomPassword());
      superUsers.add(BROKER_USER);
    }

    /** A SCRAM user with a random password, allowed only what ACLs grant. */
    public Builder user(String name) {
      return user(name, randomPassword());
    }

    /** A SCRAM user with this password (letters and digits), allowed only what ACLs grant. */
    public Builder user(String name, String password) {
      if (!name.matches("[A-Za-z0-9_.-]+") || !password.matches("[A-Za-z0-9_.-]+")) {
        throw new IllegalArgumentException("user names and passwords here: letters, digits, _ . -");
      }
      passwords.put(name, password);
      return this;
    }

    /** A SCRAM user with a random password that the authorizer lets do everything. */
    public Builder superUser(String name) {
      user(name);
      superUsers.add(name);
      return this;
    }

    /** The address the certificate names (its subject alternative name); default 127.0.0.1. */
    public Builder host(String value) {
      host = value;
      return this;
    }

    /** Generates the broker's key pair and self-signed certificate, and a trust store with it. */
    public BrokerSecurity build() {
      String storePassword = randomPassword();
      Path keyStore = dir.resolve("broker-keystore.p12");
      Path trustStore = dir.resolve("truststore.p12");
      try {
        Files.createDirectories(dir);
        Files.deleteIfExists(keyStore);
        Files.deleteIfExists(trustStore);
        generateSelfSigned(keyStore, storePassword, "broker", host);
        Path cert = dir.resolve("broker.crt");
        Files.deleteIfExists(cert);
        keytool("-exportcert", "-rfc", "-alias", "broker", "-keystore", keyStore.toString(),
            "-storetype", STORE_TYPE, "-storepass", storePassword, "-file", cert.toString());
        keytool("-importcert", "-noprompt", "-alias", "broker-ca", "-file", cert.toString(),
            "-keystore", trustStore.toString(), "-storetype", STORE_TYPE, "-storepass", storePassword);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write key stores in " + dir, e);
      }
      return new BrokerSecurity(keyStore, trustStore, storePassword, passwords, superUsers);
    }
  }

  /**
   * A trust store holding only a certificate of a key pair nobody uses: a client with it does not
   * trust the broker (tests of an untrusted certificate). Its password is {@code password}.
   */
  public static Path untrustedTrustStore(Path dir, String password) {
    try {
      Files.createDirectories(dir);
      Path keyStore = dir.resolve("stranger-keystore.p12");
      Path trustStore = dir.resolve("stranger-truststore.p12");
      Path cert = dir.resolve("stranger.crt");
      for (Path p : List.of(keyStore, trustStore, cert)) {
        Files.deleteIfExists(p);
      }
      generateSelfSigned(keyStore, password, "stranger", "127.0.0.1");
      keytool("-exportcert", "-rfc", "-alias", "stranger", "-keystore", keyStore.toString(),
          "-storetype", STORE_TYPE, "-storepass", password, "-file", cert.toString());
      keytool("-importcert", "-noprompt", "-alias", "stranger-ca", "-file", cert.toString(),
          "-keystore", trustStore.toString(), "-storetype", STORE_TYPE, "-storepass", password);
      return trustStore;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void generateSelfSigned(Path keyStore, String password, String alias, String host)
      throws IOException {
    String san = host.matches("[0-9.]+|.*:.*") ? "ip:" + host : "dns:" + host;
    keytool("-genkeypair", "-alias", alias, "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", "CN=" + alias + ".ecapture-kafka.test", "-ext", "SAN=" + san + ",dns:localhost",
        "-validity", "7", "-keystore", keyStore.toString(), "-storetype", STORE_TYPE,
        "-storepass", password, "-keypass", password);
  }

  private static void keytool(String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      String output = new String(process.getInputStream().readAllBytes());
      if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
        throw new IOException("keytool " + args[0] + " failed: " + output.strip());
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private static String randomPassword() {
    byte[] bytes = new byte[16];
    new SecureRandom().nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  /** Names the users, never a password. */
  @Override
  public String toString() {
    return "BrokerSecurity[SASL_SSL " + MECHANISM + ", users=" + new TreeSet<>(passwords.keySet())
        + ", superUsers=" + new TreeSet<>(superUsers) + ", trustStore=" + trustStore + "]";
  }
}
