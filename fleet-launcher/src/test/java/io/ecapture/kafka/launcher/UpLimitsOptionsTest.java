package io.ecapture.kafka.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.gateway.GatewayConfig;
import io.ecapture.kafka.processor.ProcessorLimits;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code up} takes every processor limit as {@code processor} does, and the gateway's payload cap. */
class UpLimitsOptionsTest {
  @Test
  void upTakesTheProcessorLimitsAndTheGatewayPayloadCap() {
    UpCommand up = new UpCommand();
    new CommandLine(up).parseArgs("--max-body-bytes", "2MiB", "--max-rendered-bytes", "512k",
        "--max-http2-streams", "64", "--max-pending-requests", "32", "--max-out-of-order-bytes", "1m",
        "--max-payload", "4MiB");
    ProcessorLimits limits = up.processorLimits.limits();
    assertEquals(2 << 20, limits.maxBodyBytes());
    assertEquals(3 << 20, limits.maxBufferedBytes(), "follows the body limit");
    assertEquals(512 << 10, limits.maxRenderedBytes());
    assertEquals(64, limits.maxOpenStreams());
    assertEquals(32, limits.maxPendingRequests());
    assertEquals(1 << 20, limits.maxOutOfOrderBytes());
    assertEquals(4 << 20, up.maxPayload.bytes());

    UpCommand defaults = new UpCommand();
    new CommandLine(defaults).parseArgs();
    assertEquals(ProcessorLimits.defaults(), defaults.processorLimits.limits());
    assertEquals(GatewayConfig.DEFAULT_MAX_PAYLOAD_BYTES, defaults.maxPayload.bytes());
    FleetConfig config = FleetConfig.builder(Path.of("/tmp/x")).build();
    assertEquals(ProcessorLimits.defaults(), config.processorLimits());
    assertEquals(GatewayConfig.DEFAULT_MAX_PAYLOAD_BYTES, config.gatewayMaxPayloadBytes());
    FleetConfig changed = config.toBuilder().processorLimits(limits).gatewayMaxPayloadBytes(1 << 20).build();
    assertEquals(limits, changed.toBuilder().build().processorLimits());
    assertEquals(1 << 20, changed.gatewayMaxPayloadBytes());

    StringWriter help = new StringWriter();
    new CommandLine(new Main()).setOut(new PrintWriter(help)).execute("up", "--help");
    for (String flag : new String[] {"--max-body-bytes=SIZE", "--max-rendered-bytes=SIZE",
        "--max-buffered-bytes=SIZE", "--max-out-of-order-bytes=SIZE", "--max-http2-streams=N",
        "--max-pending-requests=N", "--max-state-record-bytes=SIZE", "--max-payload=SIZE"}) {
      assertTrue(help.toString().contains(flag), flag + " in\n" + help);
    }
    StringWriter err = new StringWriter();
    assertEquals(2, new CommandLine(new Main()).setErr(new PrintWriter(err))
        .execute("up", "--max-body-bytes", "40MiB", "--no-capture"), "a usage error");
    assertTrue(err.toString().contains("processor limits: "), err.toString());
  }
}
