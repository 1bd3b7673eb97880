package io.ecapture.kafka.launcher;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Real database servers with TLS on loopback, each in a directory of its own, for end-to-end
 * tests: PostgreSQL (initdb, {@code ssl=on}, cleartext password auth over TCP, inside TLS; run as the {@code
 * postgres} user since it refuses root), MariaDB ({@code mariadb-install-db}, run as {@code mysql},
 * a user {@code app} with a password), redis-server ({@code --tls-port}, {@code requirepass}). One
 * self-signed certificate serves them all. Clients are the Debian ones (psql, mariadb,
 * redis-cli), which link the system libssl3 the collector probes.
 */
final class LocalDatabases {
  private LocalDatabases() {}

  /** A started server: its port, and its processes stopped on close. */
  static final class Server implements AutoCloseable {
    final String name;
    final int port;
    final Path dir;
    private final Process process;
    private final Runnable stop;

    Server(String name, int port, Path dir, Process process, Runnable stop) {
      this.name = name;
      this.port = port;
      this.dir = dir;
      this.process = process;
      this.stop = stop;
    }

    @Override
    public void close() {
      stop.run();
      process.destroy();
      try {
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
    }
  }

  /** A directory every local user may enter (JUnit's are owner-only), under {@code parent}. */
  static Path openDirectory(Path parent, String name) throws IOException {
    Path dir = Files.createDirectories(parent.resolve(name));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    return dir;
  }

  /** A fresh base directory under the system temp directory that every user may enter. */
  static Path baseDirectory() throws IOException {
    Path dir = Files.createTempDirectory("ecapture-db-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    return dir;
  }

  /** Deletes {@code dir} and everything in it (the servers wrote as other users: root may). */
  static void delete(Path dir) {
    try (Stream<Path> all = Files.walk(dir)) {
      all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // left in the temp directory
    }
  }

  /** A self-signed certificate and key ({@code cert.pem}, {@code key.pem}) for CN=localhost. */
  static void certificate(Path dir) throws IOException, InterruptedException {
    run(dir, Duration.ofSeconds(60), "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
        "-keyout", dir.resolve("key.pem").toString(), "-out", dir.resolve("cert.pem").toString(),
        "-subj", "/CN=localhost", "-days", "2");
  }

  static Server postgres(Path base, Path cert, Path key, String password) throws Exception {
    Path dir = openDirectory(base, "postgres");
    Files.copy(cert, dir.resolve("cert.pem"));
    Files.copy(key, dir.resolve("key.pem"));
    Files.setPosixFilePermissions(dir.resolve("key.pem"), PosixFilePermissions.fromString("rw-------"));
    Files.writeString(dir.resolve("pw"), password + "\n");
    run(dir, Duration.ofSeconds(30), "chown", "-R", "postgres", dir.toString());
    Path bin = postgresBin();
    run(dir, Duration.ofSeconds(180), "runuser", "-u", "postgres", "--",
        bin.resolve("initdb").toString(), "-D", dir.resolve("data").toString(), "-U", "postgres",
        "--auth-host=password", "--auth-local=trust", "--pwfile=" + dir.resolve("pw"), "-N");
    Files.delete(dir.resolve("pw"));
    int port = freePort();
    Process process = start(dir, "server.log", "runuser", "-u", "postgres", "--",
        bin.resolve("postgres").toString(), "-D", dir.resolve("data").toString(),
        "-c", "ssl=on", "-c", "ssl_cert_file=" + dir.resolve("cert.pem"),
        "-c", "ssl_key_file=" + dir.resolve("key.pem"), "-c", "port=" + port,
        "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" + dir,
        "-c", "fsync=off", "-c", "shared_buffers=16MB");
    Runnable stop = () -> {
      // runuser waits for postgres: signal the postmaster itself for a fast shutdown
      try {
        List<String> pid = Files.readAllLines(dir.resolve("data/postmaster.pid"));
        run(dir, Duration.ofSeconds(10), "kill", "-INT", pid.getFirst().strip());
      } catch (Exception e) {
        // not started or already gone
      }
    };
    return awaitPort(new Server("postgres", port, dir, process, stop), dir.resolve("server.log"));
  }

  static Server mariadb(Path base, Path cert, Path key, String user, String password,
      String... databases) throws Exception {
    Path dir = openDirectory(base, "mariadb");
    Files.copy(cert, dir.resolve("cert.pem"));
    Files.copy(key, dir.resolve("key.pem"));
    run(dir, Duration.ofSeconds(180), "mariadb-install-db", "--no-defaults",
        "--datadir=" + dir.resolve("data"), "--user=mysql", "--skip-test-db",
        "--auth-root-authentication-method=socket");
    run(dir, Duration.ofSeconds(30), "chown", "-R", "mysql", dir.toString());
    int port = freePort();
    Path socket = dir.resolve("sock");
    Process process = start(dir, "server.out", "mariadbd", "--no-defaults",
        "--datadir=" + dir.resolve("data"), "--user=mysql", "--port=" + port,
        "--bind-address=127.0.0.1", "--socket=" + socket, "--pid-file=" + dir.resolve("pid"),
        "--ssl-cert=" + dir.resolve("cert.pem"), "--ssl-key=" + dir.resolve("key.pem"),
        "--skip-log-bin", "--innodb-buffer-pool-size=16M", "--log-error=" + dir.resolve("err.log"));
    Server server = awaitPort(new Server("mariadb", port, dir, process, () -> {}),
        dir.resolve("err.log"));
    StringBuilder setup = new StringBuilder("CREATE USER '").append(user)
        .append("'@'127.0.0.1' IDENTIFIED BY '").append(password).append("'; GRANT ALL ON *.* TO '")
        .append(user).append("'@'127.0.0.1';");
    for (String db : databases) {
      setup.append(" CREATE DATABASE ").append(db).append(';');
    }
    run(dir, Duration.ofSeconds(60), "mariadb", "--no-defaults", "--socket=" + socket, "-u",
        "root", "-e", setup.toString());
    return server;
  }

  static Server redis(Path base, Path cert, Path key, String password) throws Exception {
    Path dir = openDirectory(base, "redis");
    int port = freePort();
    Process process = start(dir, "server.log", "redis-server", "--port", "0", "--tls-port",
        Integer.toString(port), "--tls-cert-file", cert.toString(), "--tls-key-file",
        key.toString(), "--tls-auth-clients", "no", "--requirepass", password, "--save", "",
        "--appendonly", "no", "--dir", dir.toString(), "--bind", "127.0.0.1");
    return awaitPort(new Server("redis", port, dir, process, () -> {}), dir.resolve("server.log"));
  }

  /** The newest installed PostgreSQL's bin directory (Debian: /usr/lib/postgresql/N/bin). */
  static Path postgresBin() throws IOException {
    try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
      return versions.filter(v -> Files.isExecutable(v.resolve("bin/initdb")))
          .max(Comparator.comparingInt(v -> Integer.parseInt(v.getFileName().toString())))
          .orElseThrow(() -> new IOException("no /usr/lib/postgresql/*/bin/initdb"))
          .resolve("bin");
    }
  }

  /** Runs a client command to its end; its output (stdout and stderr). */
  static Result client(Path dir, List<String> env, String... command) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
    for (String kv : env) {
      int eq = kv.indexOf('=');
      pb.environment().put(kv.substring(0, eq), kv.substring(eq + 1));
    }
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", command) + " did not end: " + out);
    }
    return new Result(p.pid(), p.exitValue(), out);
  }

  /** Like {@link #client} with {@code stdin} written to the process first. */
  static Result clientWithInput(Path dir, byte[] stdin, String... command) throws Exception {
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    p.getOutputStream().write(stdin);
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", command) + " did not end: " + out);
    }
    return new Result(p.pid(), p.exitValue(), out);
  }

  record Result(long pid, int exit, String output) {}

  private static Process start(Path dir, String log, String... command) throws IOException {
    return new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(dir.resolve(log).toFile()).start();
  }

  private static void run(Path dir, Duration timeout, String... command)
      throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", command) + " did not end within " + timeout);
    }
    if (p.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed (" + p.exitValue() + "): " + out);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Waits until the server accepts connections on its port; its log in the failure. */
  private static Server awaitPort(Server server, Path log) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", server.port), 500);
        return server;
      } catch (IOException e) {
        if (!server.process.isAlive()) {
          break;
        }
        Thread.sleep(100);
      }
    }
    String text = Files.exists(log) ? Files.readString(log) : "(no log)";
    server.close();
    throw new IOException(server.name + " did not listen on " + server.port + ": " + text);
  }

  /** Tools the servers and clients need, missing from PATH (empty when all are there). */
  static List<String> missingTools() {
    List<String> missing = new ArrayList<>();
    for (String tool : List.of("psql", "runuser", "mariadb-install-db", "mariadbd", "mariadb",
        "redis-server", "redis-cli", "openssl")) {
      if (!onPath(tool)) {
        missing.add(tool);
      }
    }
    try {
      postgresBin();
    } catch (IOException e) {
      missing.add("initdb (" + e.getMessage() + ")");
    }
    return missing;
  }

  private static boolean onPath(String tool) {
    for (String d : (System.getenv().getOrDefault("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin")
        .split(":")) {
      if (Files.isExecutable(Path.of(d, tool))) {
        return true;
      }
    }
    return false;
  }
}
