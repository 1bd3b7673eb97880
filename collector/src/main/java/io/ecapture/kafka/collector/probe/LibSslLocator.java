package io.ecapture.kafka.collector.probe;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Finds the system's OpenSSL libssl, 3.x and 1.1.x (a fleet mixes distribution releases, and a
 * host may have both): the paths the dynamic linker knows ({@code ldconfig -p}) plus the usual
 * distribution locations, one entry per real file (on merged-/usr systems /lib/x86_64-linux-gnu
 * and /usr/lib/x86_64-linux-gnu are the same file, and probing it twice would capture every call
 * twice).
 */
public final class LibSslLocator {
  /** Debian/Ubuntu x86-64 location, the default. */
  public static final Path DEFAULT = Path.of("/lib/x86_64-linux-gnu/libssl.so.3");

  /** The sonames of the OpenSSL releases whose symbols the probes hook. */
  static final List<String> SONAMES = List.of("libssl.so.3", "libssl.so.1.1");

  private static final List<String> COMMON_DIRS =
      List.of(
          "/lib/x86_64-linux-gnu",
          "/usr/lib/x86_64-linux-gnu",
          "/usr/lib64",
          "/lib64",
          "/usr/lib",
          "/usr/local/lib64",
          "/usr/local/lib");

  static final List<Path> COMMON_PATHS =
      SONAMES.stream().flatMap(soname -> COMMON_DIRS.stream().map(dir -> Path.of(dir, soname))).toList();

  private LibSslLocator() {}

  /** Existing libssl files of every known soname, de-duplicated by real path; empty when none is installed. */
  public static List<Path> locate() {
    List<Path> candidates = new ArrayList<>(COMMON_PATHS);
    candidates.addAll(fromLdconfig());
    return distinctExisting(candidates);
  }

  /** Keeps the first path of every distinct existing file. */
  public static List<Path> distinctExisting(List<Path> candidates) {
    Map<Path, Path> byRealPath = new LinkedHashMap<>();
    for (Path candidate : candidates) {
      try {
        byRealPath.putIfAbsent(candidate.toRealPath(), candidate);
      } catch (IOException e) {
        // missing or unreadable: not a candidate
      }
    }
    return List.copyOf(byRealPath.values());
  }

  /**
   * The x86-64 libssl paths of {@code ldconfig -p} output, whose lines look like
   * {@code "\tlibssl.so.3 (libc6,x86-64) => /lib/x86_64-linux-gnu/libssl.so.3"}.
   */
  static List<Path> parseLdconfig(Stream<String> lines) {
    return lines
        .map(String::strip)
        .filter(line -> line.contains("x86-64") && line.contains("=>"))
        .filter(line -> SONAMES.stream().anyMatch(soname -> line.startsWith(soname + " ")))
        .map(line -> Path.of(line.substring(line.indexOf("=>") + 2).strip()))
        .toList();
  }

  private static List<Path> fromLdconfig() {
    List<Path> found = new ArrayList<>();
    for (String ldconfig : List.of("/sbin/ldconfig", "/usr/sbin/ldconfig")) {
      if (!Files.isExecutable(Path.of(ldconfig))) {
        continue;
      }
      try {
        Process process = new ProcessBuilder(ldconfig, "-p").redirectErrorStream(true).start();
        try (BufferedReader out =
            new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
          found.addAll(parseLdconfig(out.lines()));
        }
        process.waitFor(5, TimeUnit.SECONDS);
      } catch (IOException e) {
        // no ldconfig output: the common paths still apply
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      break;
    }
    return found;
  }
}
