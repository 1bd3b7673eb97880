package io.ecapture.kafka.collector;

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

/**
 * Finds the system's OpenSSL 3 libssl: the paths the dynamic linker knows ({@code ldconfig -p})
 * plus the usual distribution locations, one entry per real file (on merged-/usr systems
 * /lib/x86_64-linux-gnu and /usr/lib/x86_64-linux-gnu are the same file, and probing it twice
 * would capture every call twice).
 */
public final class LibSslLocator {
  /** Debian/Ubuntu x86-64 location, the default. */
  public static final Path DEFAULT = Path.of("/lib/x86_64-linux-gnu/libssl.so.3");

  static final List<Path> COMMON_PATHS =
      List.of(
          DEFAULT,
          Path.of("/usr/lib/x86_64-linux-gnu/libssl.so.3"),
          Path.of("/usr/lib64/libssl.so.3"),
          Path.of("/lib64/libssl.so.3"),
          Path.of("/usr/lib/libssl.so.3"),
          Path.of("/usr/local/lib64/libssl.so.3"),
          Path.of("/usr/local/lib/libssl.so.3"));

  private LibSslLocator() {}

  /** Existing libssl.so.3 files, de-duplicated by real path; empty when none is installed. */
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
          // lines look like: "\tlibssl.so.3 (libc6,x86-64) => /lib/x86_64-linux-gnu/libssl.so.3"
          out.lines()
              .map(String::strip)
              .filter(line -> line.startsWith("libssl.so.3 ") && line.contains("x86-64"))
              .map(line -> line.substring(line.indexOf("=>") + 2).strip())
              .forEach(path -> found.add(Path.of(path)));
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
