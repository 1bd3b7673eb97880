package io.ecapture.kafka.collector;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The Go HTTPS server and client of {@code gotls/main.go} (test resource), built from source with
 * the Go toolchain on PATH (Debian's golang-go), standard library only, offline: unstripped,
 * stripped ({@code -ldflags=-s -w}) and stripped as a PIE. Built once per JVM into a temporary directory; the
 * build cache and GOPATH are temporary too. Published in the test-jar for fleet-launcher.
 */
public final class GoPrograms {
  /** The builds: plain, stripped, and stripped position-independent ({@code -buildmode=pie}). */
  public record Builds(Path unstripped, Path stripped, Path strippedPie) {}

  private static Builds builds;

  private GoPrograms() {}

  /** Builds (once) and returns both binaries; fails or aborts (outside CI) without {@code go}. */
  public static synchronized Builds build() {
    if (builds != null) {
      return builds;
    }
    EbpfEnvironment.requireTool("go");
    try {
      Path dir = Files.createTempDirectory("gotls-build");
      // the build cache alone is tens of MB: gone with the JVM
      Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
      try (InputStream source = GoPrograms.class.getResourceAsStream("/gotls/main.go")) {
        if (source == null) {
          throw new IOException("test resource /gotls/main.go missing");
        }
        Files.copy(source, dir.resolve("main.go"));
      }
      Files.writeString(dir.resolve("go.mod"), "module gotlstest\n\ngo 1.19\n");
      Path unstripped = dir.resolve("gotls-test");
      Path stripped = dir.resolve("gotls-test-stripped");
      Path pie = dir.resolve("gotls-test-pie");
      go(dir, List.of("go", "build", "-o", unstripped.toString(), "."));
      go(dir, List.of("go", "build", "-ldflags=-s -w", "-o", stripped.toString(), "."));
      go(dir, List.of("go", "build", "-buildmode=pie", "-ldflags=-s -w", "-o", pie.toString(), "."));
      builds = new Builds(unstripped, stripped, pie);
      return builds;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The Go toolchain's version line ("go version go1.19.8 linux/amd64"). */
  public static String goVersionLine() throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("gotls-version");
    return ExternalCommand.run(dir, List.of("go", "version")).trim();
  }

  private static void deleteTree(Path dir) {
    try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | RuntimeException e) {
      // a leftover temp directory is harmless
    }
  }

  private static void go(Path dir, List<String> command) throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
    Map<String, String> env = builder.environment();
    env.put("GOCACHE", dir.resolve("cache").toString());
    env.put("GOPATH", dir.resolve("gopath").toString());
    env.put("GOFLAGS", "-mod=mod");
    env.put("GOPROXY", "off");
    env.put("GO111MODULE", "on");
    env.put("CGO_ENABLED", "0");
    Path output = dir.resolve("build.log");
    builder.redirectOutput(output.toFile());
    Process process = builder.start();
    if (!process.waitFor(300, java.util.concurrent.TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IOException("go build timed out: " + command);
    }
    if (process.exitValue() != 0) {
      throw new IOException("go build failed (" + command + "):\n" + Files.readString(output));
    }
  }
}
