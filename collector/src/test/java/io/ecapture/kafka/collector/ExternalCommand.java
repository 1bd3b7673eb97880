package io.ecapture.kafka.collector;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a command to completion and returns its output; fails on timeout or non-zero exit. */
public final class ExternalCommand {
  private ExternalCommand() {}

  public static String run(Path workDir, List<String> command) throws IOException, InterruptedException {
    // output goes to a file: a pipe would block a chatty command before waitFor returns
    Path output = Files.createTempFile(workDir, "command", ".out");
    Process process =
        new ProcessBuilder(command)
            .directory(workDir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .start();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IOException("timed out: " + command);
    }
    String text = Files.readString(output, StandardCharsets.UTF_8);
    Files.delete(output);
    if (process.exitValue() != 0) {
      throw new IOException("exit " + process.exitValue() + " from " + command + ":\n" + text);
    }
    return text;
  }
}
