package io.ecapture.kafka.gateway.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ecapture.kafka.proto.capture.LogLevel;
import io.ecapture.kafka.proto.capture.ProcessLog;
import org.junit.jupiter.api.Test;

class ProcessLogFormatterTest {

  @Test
  void processLogLineNamesHostComponentAndLevel() {
    String line =
        ProcessLogFormatter.format(
            ProcessLog.newBuilder()
                .setHostId("web-1")
                .setComponent("collector")
                .setLevel(LogLevel.WARN)
                .setWallTimeNs(1_700_000_000_000_000_000L)
                .setMessage("ring buffer full, 3 records lost\n")
                .build());
    assertEquals("2023-11-14T22:13:20Z WRN [web-1/collector] ring buffer full, 3 records lost", line);
  }
}
