package io.ecapture.kafka.forwarder;

import picocli.CommandLine;

/** {@code forward} as its own process, for tests that kill it. */
public final class ForwardMain {
  private ForwardMain() {}

  public static void main(String[] args) {
    System.exit(new CommandLine(new ForwardCommand()).execute(args));
  }
}
