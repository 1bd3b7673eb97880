package io.ecapture.kafka.processor.topology;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Base of the topology tests split by behaviour: a fresh {@link TopologyHarness} (the real
 * topology on TopologyTestDriver) per test, and raw events of one connection {@link #CONN}.
 */
abstract class HarnessTopologyTest {
  static final String CONN = "host-a/4242/5/1";
  @TempDir Path stateDir;
  TopologyHarness harness;
  final RawEvents events = new RawEvents(CONN);

  @BeforeEach
  void startHarness() {
    harness = new TopologyHarness(stateDir);
  }

  @AfterEach
  void stopHarness() {
    harness.close();
  }
}
