package io.ecapture.kafka.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The collector tests' node scripts ({@code src/test/node}) and their npm dependencies (ws),
 * pinned by the committed package-lock.json and installed with {@code npm ci} when {@code
 * node_modules} is missing. Without node or npm a test fails under CI and is skipped otherwise
 * ({@link EbpfEnvironment#requireTool}).
 */
public final class NodeModules {
  /**
   * The scripts' directory, resolved from the tests' working directory: the collector module's, or
   * a sibling module's (fleet-launcher's tests use the collector's test jar).
   */
  public static final Path DIR = (Files.exists(Path.of("src/test/node/wss-echo.js"))
      ? Path.of("src/test/node") : Path.of("../collector/src/test/node")).toAbsolutePath().normalize();
  private static final long NPM_CI_TIMEOUT_S = 300;

  private NodeModules() {}

  /** The directory of the scripts, with their dependencies installed. */
  public static synchronized Path installed() throws Exception {
    EbpfEnvironment.requireTool("node");
    if (!Files.isDirectory(DIR.resolve("node_modules"))) {
      EbpfEnvironment.requireTool("npm");
      Process ci = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund").directory(DIR.toFile())
          .redirectErrorStream(true).start();
      String output = new String(ci.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!ci.waitFor(NPM_CI_TIMEOUT_S, TimeUnit.SECONDS)) {
        ci.destroyForcibly();
        fail("npm ci did not finish within " + NPM_CI_TIMEOUT_S + " s");
      }
      assertEquals(0, ci.exitValue(), "npm ci failed:\n" + output);
    }
    return DIR;
  }
}
