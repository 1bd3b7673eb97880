package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The module rules of ARCHITECTURE.md, checked against the build: which module's main code may
 * depend on which (in its pom and in its imports). The pipeline's stages never depend on each
 * other; they meet only in the topics ({@code proto}) and share plumbing through {@code common}.
 * Only the launcher sees every module.
 */
class ModuleBoundariesTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  /** Module -> the project modules its main code may use (compile scope). */
  private static final Map<String, Set<String>> ALLOWED = Map.ofEntries(
      Map.entry("proto", Set.of()),
      Map.entry("embedded-kafka", Set.of()),
      Map.entry("bpf", Set.of()),
      Map.entry("common", Set.of("proto")),
      Map.entry("collector", Set.of("proto", "common", "bpf")),
      Map.entry("streams-processor", Set.of("proto", "common")),
      Map.entry("ecaptureq-gateway", Set.of("proto", "common", "forwarder")),
      Map.entry("forwarder", Set.of("proto", "common")),
      Map.entry("pcapng", Set.of("proto", "common")),
      Map.entry("fleet-launcher", Set.of("proto", "common", "bpf", "embedded-kafka", "collector",
          "streams-processor", "ecaptureq-gateway", "forwarder", "pcapng")),
      // what an analytics team takes: the schema jar alone
      Map.entry("examples/analytics-consumer", Set.of("proto")));

  /** Module -> the Java package its classes live in. */
  private static final Map<String, String> PACKAGES = Map.ofEntries(
      Map.entry("proto", "io.ecapture.kafka.proto"),
      Map.entry("embedded-kafka", "io.ecapture.kafka.embedded"),
      Map.entry("bpf", "io.ecapture.kafka.bpf"),
      Map.entry("common", "io.ecapture.kafka.common"),
      Map.entry("collector", "io.ecapture.kafka.collector"),
      Map.entry("streams-processor", "io.ecapture.kafka.processor"),
      Map.entry("ecaptureq-gateway", "io.ecapture.kafka.gateway"),
      Map.entry("pcapng", "io.ecapture.kafka.pcapng"),
      Map.entry("forwarder", "io.ecapture.kafka.forwarder"),
      Map.entry("fleet-launcher", "io.ecapture.kafka.launcher"),
      Map.entry("examples/analytics-consumer", "io.ecapture.kafka.examples"));

  private static final Pattern DEPENDENCY = Pattern.compile(
      "<dependency>\\s*<groupId>io\\.ecapture\\.kafka</groupId>\\s*<artifactId>([\\w-]+)</artifactId>(.*?)</dependency>",
      Pattern.DOTALL);
  private static final Pattern IMPORT = Pattern.compile(
      "^import (?:static )?(io\\.ecapture\\.kafka\\.\\w+)\\.", Pattern.MULTILINE);

  @Test
  void everyModuleOfTheReactorHasARule() throws IOException {
    String rootPom = Files.readString(ROOT.resolve("pom.xml"));
    Set<String> modules = new TreeSet<>();
    Matcher m = Pattern.compile("<module>([\\w/-]+)</module>").matcher(rootPom);
    while (m.find()) {
      modules.add(m.group(1));
    }
    assertEquals(new TreeSet<>(ALLOWED.keySet()), modules);
  }

  @Test
  void pomsDeclareOnlyAllowedCompileDependencies() throws IOException {
    List<String> violations = new ArrayList<>();
    for (Map.Entry<String, Set<String>> rule : ALLOWED.entrySet()) {
      String pom = Files.readString(ROOT.resolve(rule.getKey()).resolve("pom.xml"));
      Matcher m = DEPENDENCY.matcher(pom);
      while (m.find()) {
        boolean testOnly = m.group(2).contains("<scope>test</scope>");
        if (!testOnly && !rule.getValue().contains(m.group(1))) {
          violations.add(rule.getKey() + " depends on " + m.group(1));
        }
      }
    }
    assertTrue(violations.isEmpty(), String.join("\n", violations));
  }

  @Test
  void mainCodeImportsOnlyAllowedModules() throws IOException {
    List<String> violations = new ArrayList<>();
    for (Map.Entry<String, Set<String>> rule : ALLOWED.entrySet()) {
      Set<String> packages = new TreeSet<>();
      packages.add(PACKAGES.get(rule.getKey()));
      rule.getValue().forEach(module -> packages.add(PACKAGES.get(module)));
      Path sources = ROOT.resolve(rule.getKey()).resolve("src/main/java");
      if (!Files.isDirectory(sources)) {
        continue;
      }
      try (Stream<Path> files = Files.walk(sources)) {
        for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
          Matcher m = IMPORT.matcher(Files.readString(file));
          while (m.find()) {
            if (!packages.contains(m.group(1))) {
              violations.add(ROOT.relativize(file) + " imports " + m.group(1));
            }
          }
        }
      }
    }
    assertTrue(violations.isEmpty(), String.join("\n", violations));
  }
}
