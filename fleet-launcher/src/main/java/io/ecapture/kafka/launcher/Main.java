package io.ecapture.kafka.launcher;

import io.ecapture.kafka.collector.CollectorCommand;
import io.ecapture.kafka.forwarder.ForwardCommand;
import io.ecapture.kafka.forwarder.KeylogCommand;
import io.ecapture.kafka.gateway.GatewayCommand;
import io.ecapture.kafka.pcapng.PcapCommand;
import io.ecapture.kafka.processor.ProcessorCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ecapture-kafka} command: every component, alone or all in one. */
@Command(
    name = "ecapture-kafka",
    mixinStandardHelpOptions = true,
    version = "ecapture-kafka 0.1.0",
    description = "Fleet-wide TLS plaintext capture (eBPF uprobes) on Apache Kafka.",
    subcommands = {
      UpCommand.class,
      BrokerCommand.class,
      TopicsCommand.class,
      CollectorCommand.class,
      ProcessorCommand.class,
      GatewayCommand.class,
      PcapCommand.class,
      ForwardCommand.class,
      KeylogCommand.class
    })
public final class Main implements Runnable {
  @Override
  public void run() {
    new CommandLine(this).usage(System.err);
  }

  public static void main(String[] args) {
    ProcessLogAppender.install(); // the components' warnings also reach ecapture.logs
    int code = new CommandLine(new Main()).execute(args);
    System.exit(code);
  }
}
