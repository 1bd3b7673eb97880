package io.ecapture.kafka.launcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One run of the real {@code ecapture-kafka} command in a child JVM (this test's class path, the
 * shipped logging configuration), bounded by a deadline: a run that has not ended by then is
 * killed and reported as a hang.
 */
record LauncherRun(int exitCode, boolean hung, List<String> stdout, List<String> stderr) {

  static LauncherRun run(Path workDir, Duration deadline, List<String> args) throws IOException, InterruptedException {
    Files.createDirectories(workDir);
    Path out = workDir.resolve("stdout.txt");
    Path err = workDir.resolve("stderr.txt");
    List<String> command = new ArrayList<>(List.of(
        ProcessHandle.current().info().command().orElse("java"),
        "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-Xmx384m",
        // the command's own logging, not the tests' (log4j2-test.xml would win otherwise)
        "-Dlog4j2.configurationFile=log4j2.xml",
        "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    command.addAll(args);
    Process process = new ProcessBuilder(command).directory(workDir.toFile())
        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    boolean ended = process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS);
    if (!ended) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    return new LauncherRun(ended ? process.exitValue() : -1, !ended,
        Files.readAllLines(out, StandardCharsets.UTF_8), Files.readAllLines(err, StandardCharsets.UTF_8));
  }

  /** The lines of stderr that start with {@code prefix} (the command's own lines). */
  List<String> stderrStartingWith(String prefix) {
    return stderr.stream().filter(l -> l.startsWith(prefix)).toList();
  }

  @Override
  public String toString() {
    return "exit " + exitCode + (hung ? " (killed at the deadline)" : "") + "\nstdout:\n  "
        + String.join("\n  ", stdout) + "\nstderr:\n  " + String.join("\n  ", stderr);
  }
}
