package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;

/**
 * The Dockerfile against what the build packaged (runs after {@code package}, under failsafe):
 * every COPY source exists in the build output or the repository and is let through by
 * .dockerignore, the entrypoint's jar is the launcher whose manifest starts {@link Main} with a
 * class path that is all in the copied lib/ directory, the probe script the manifests call is
 * copied executable. The image itself cannot be built here (no registry, no Docker engine).
 */
class ImageDefinitionIT {
  static final Path ROOT = DeploymentConsistencyTest.ROOT;

  @Test
  void everyCopiedFileIsInTheBuildOutput() throws Exception {
    Dockerfile image = Dockerfile.parse(DeploymentConsistencyTest.DOCKERFILE);
    List<String> ignore = Files.readAllLines(ROOT.resolve(".dockerignore")).stream()
        .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    assertEquals("*", ignore.getFirst(), ".dockerignore starts by excluding everything");
    for (String source : image.copies().values()) {
      Path file = ROOT.resolve(source);
      assertTrue(Files.exists(file), "COPY " + source + ": not in the build output (" + file + ")");
      assertTrue(ignore.contains("!" + source) || ignore.contains("!" + source + "/"),
          "COPY " + source + " is let through by .dockerignore " + ignore);
    }
    String jarInImage = image.entrypoint().get(image.entrypoint().indexOf("-jar") + 1);
    Path jar = ROOT.resolve(image.sourceOf(jarInImage));
    Manifest manifest;
    try (JarFile file = new JarFile(jar.toFile())) {
      manifest = file.getManifest();
      assertNotNull(file.getEntry(Main.class.getName().replace('.', '/') + ".class"), "the jar holds Main");
    }
    Attributes main = manifest.getMainAttributes();
    assertEquals(Main.class.getName(), main.getValue(Attributes.Name.MAIN_CLASS));
    assertEquals("ALL-UNNAMED", main.getValue("Enable-Native-Access"));
    String imageDir = jarInImage.substring(0, jarInImage.lastIndexOf('/'));
    List<String> missing = new ArrayList<>();
    String[] classPath = main.getValue(Attributes.Name.CLASS_PATH).split(" ");
    assertTrue(classPath.length > 10, "the launcher's class path: " + classPath.length + " jars");
    for (String entry : classPath) {
      String source = image.sourceOf(imageDir + "/" + entry);
      if (source == null || !Files.isRegularFile(ROOT.resolve(source))) {
        missing.add(entry);
      }
    }
    assertTrue(missing.isEmpty(), "class path entries the image would lack: " + missing);
    String probe = image.sourceOf(DeploymentConsistencyTest.PROBE);
    assertNotNull(probe, "the image copies " + DeploymentConsistencyTest.PROBE);
    assertTrue(Files.isExecutable(ROOT.resolve(probe)), probe + " is executable (COPY keeps the mode)");
    assertTrue(image.runs().stream().anyMatch(r -> r.contains("libbpf1")), "libbpf.so.1 for the collector");
    assertTrue(image.runs().stream().anyMatch(r -> r.contains("useradd") && r.contains("--uid 10001")),
        "the image makes its user 10001");
    assertFalse(image.from().isBlank(), "FROM");
  }
}
