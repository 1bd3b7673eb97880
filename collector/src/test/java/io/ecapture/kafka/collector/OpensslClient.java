package io.ecapture.kafka.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * One {@code openssl s_client} run (any openssl binary, with its environment): sends an HTTP/1.0
 * request, reads the answer until the server closes, and keeps the NSS key log the client wrote
 * itself ({@code -keylogfile}), the oracle for the captured key material.
 */
public record OpensslClient(long pid, String output, Set<String> keyLog) {

  /** With the machine's own openssl. */
  public static OpensslClient request(Path dir, int port, String path, List<String> options)
      throws IOException, InterruptedException {
    return request(args -> {
      List<String> command = new ArrayList<>(List.of("openssl"));
      command.addAll(args);
      return command;
    }, Map.of(), dir, port, path, options);
  }

  /** With the openssl command line {@code openssl} makes from its arguments, in {@code env}. */
  public static OpensslClient request(java.util.function.Function<List<String>, List<String>> openssl, Map<String, String> env,
      Path dir, int port, String path, List<String> options) throws IOException, InterruptedException {
    Path keys = Files.createTempFile(dir, "keylog", ".txt");
    Path out = Files.createTempFile(dir, "s_client", ".out");
    List<String> args = new ArrayList<>(List.of("s_client", "-connect", "127.0.0.1:" + port,
        "-servername", "localhost", "-keylogfile", keys.toString(), "-quiet"));
    args.addAll(options);
    ProcessBuilder builder = new ProcessBuilder(openssl.apply(args)).directory(dir.toFile())
        .redirectErrorStream(true).redirectOutput(out.toFile());
    builder.environment().putAll(env);
    Process process = builder.start();
    process.getOutputStream().write(("GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    process.getOutputStream().flush();
    // stdin stays open: -quiet implies -ign_eof, so the client waits for the server to close
    assertTrue(process.waitFor(30, TimeUnit.SECONDS), "s_client finished: " + Files.readString(out));
    process.getOutputStream().close();
    String output = Files.readString(out, StandardCharsets.ISO_8859_1);
    assertEquals(0, process.exitValue(), output);
    return new OpensslClient(process.pid(), output, keyLogLines(keys));
  }

  /** The lines of an NSS key-log file a TLS client wrote (comments and blank lines left out). */
  public static Set<String> keyLogLines(Path file) throws IOException {
    Set<String> lines = new TreeSet<>();
    for (String line : Files.readAllLines(file)) {
      if (!line.isBlank() && !line.startsWith("#")) {
        lines.add(line.strip());
      }
    }
    return lines;
  }
}
