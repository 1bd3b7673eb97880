package io.ecapture.kafka.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs the Node scripts of {@code src/test/node} (independent clients on another stack). Their
 * dependencies are pinned by the committed package-lock.json and installed with {@code npm ci}
 * when {@code node_modules} is missing. Without node or npm (or another required tool), a test
 * fails under CI (environment variable {@code CI} set) and is skipped with the reason otherwise.
 *
 * <p>Every script gets the absolute path of the project's {@code ecaptureq.proto} in {@code
 * ECAPTUREQ_PROTO} and decodes with that schema (src/test/node/schema.mjs), never with a copy.
 */
final class NodeScripts {
  static final Path DIR = Path.of("src/test/node").toAbsolutePath();
  /** The eCaptureQ wire schema, resolved from this module's directory (the tests' working directory). */
  static final Path ECAPTUREQ_PROTO =
      Path.of("../proto/src/main/proto/ecaptureq.proto").toAbsolutePath().normalize();
  private static final long NPM_CI_TIMEOUT_S = 300;

  private NodeScripts() {}

  /** Fails under CI, skips otherwise, when {@code tool} is not an executable on this machine. */
  static Path require(String tool, String... candidates) {
    for (String c : candidates) {
      Path p = Path.of(c);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    String path = System.getenv().getOrDefault("PATH", "");
    for (String dir : path.split(java.io.File.pathSeparator)) {
      Path p = Path.of(dir, tool);
      if (!dir.isEmpty() && Files.isExecutable(p)) {
        return p;
      }
    }
    String reason = tool + " is not installed (needed by this test; see the module README)";
    if (System.getenv("CI") != null) {
      fail(reason);
    }
    Assumptions.abort(reason);
    throw new AssertionError("unreachable");
  }

  /** node, with the scripts' npm dependencies installed. */
  static synchronized Path node() throws Exception {
    Path node = require("node");
    if (!Files.isDirectory(DIR.resolve("node_modules"))) {
      Path npm = require("npm");
      Process ci =
          new ProcessBuilder(npm.toString(), "ci", "--no-audit", "--no-fund")
              .directory(DIR.toFile())
              .redirectErrorStream(true)
              .start();
      String output = new String(ci.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!ci.waitFor(NPM_CI_TIMEOUT_S, TimeUnit.SECONDS)) {
        ci.destroyForcibly();
        fail("npm ci did not finish within " + NPM_CI_TIMEOUT_S + " s");
      }
      assertEquals(0, ci.exitValue(), "npm ci failed:\n" + output);
    }
    return node;
  }

  /** A started script whose stdout lines are queued for the test; stderr is kept for failures. */
  static final class Run implements AutoCloseable {
    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> seen = new ArrayList<>();
    private final StringBuilder stderr = new StringBuilder();
    private final Writer stdin;

    Run(String script, String... args) throws Exception {
      List<String> command = new ArrayList<>(List.of(node().toString(), script));
      command.addAll(List.of(args));
      if (!Files.isRegularFile(ECAPTUREQ_PROTO)) {
        fail("the eCaptureQ schema is not at " + ECAPTUREQ_PROTO);
      }
      ProcessBuilder builder = new ProcessBuilder(command).directory(DIR.toFile());
      builder.environment().put("ECAPTUREQ_PROTO", ECAPTUREQ_PROTO.toString());
      process = builder.start();
      stdin = new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
      Thread.ofPlatform().daemon().name("node-stdout").start(() -> pump(process.getInputStream(), lines, null));
      Thread.ofPlatform().daemon().name("node-stderr").start(() -> pump(process.getErrorStream(), null, stderr));
    }

    private static void pump(java.io.InputStream in, BlockingQueue<String> to, StringBuilder text) {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          if (to != null) {
            to.add(line);
          } else {
            synchronized (text) {
              text.append(line).append('\n');
            }
          }
        }
      } catch (IOException e) {
        // the process ended
      }
    }

    /** The next stdout line; fails with everything seen so far when none comes in time. */
    String nextLine(long timeoutSeconds) throws InterruptedException {
      String line = lines.poll(timeoutSeconds, TimeUnit.SECONDS);
      if (line == null) {
        fail("no output from node within " + timeoutSeconds + " s; stdout so far " + seen
            + "\nstderr:\n" + stderr());
      }
      seen.add(line);
      return line;
    }

    /** Sends one line to the script's stdin. */
    void send(String line) throws IOException {
      stdin.write(line + "\n");
      stdin.flush();
    }

    int awaitExit(long timeoutSeconds) throws InterruptedException {
      if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        fail("node did not exit within " + timeoutSeconds + " s; stderr:\n" + stderr());
      }
      return process.exitValue();
    }

    String stderr() {
      synchronized (stderr) {
        return stderr.toString();
      }
    }

    @Override
    public void close() {
      process.destroyForcibly();
    }
  }
}
