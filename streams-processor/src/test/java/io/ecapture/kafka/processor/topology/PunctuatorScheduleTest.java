package io.ecapture.kafka.processor.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.processor.ProcessorConfig;
import io.ecapture.kafka.processor.ProcessorMetrics;
import io.ecapture.kafka.processor.StreamsProcessor;
import io.ecapture.kafka.processor.state.ProcessorConnectionState;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.RawEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The wall-clock punctuator exists only while it has work. Kafka Streams commits after every
 * punctuation (under exactly_once_v2: a transaction), so an idle processor must not punctuate:
 * none for an empty task, the fast cadence (idleFlush / 4) while bytes wait for their flush, the
 * slow one (connectionTtl / 10, at most a minute) while only connections waiting for their TTL
 * remain.
 */
class PunctuatorScheduleTest {
  private static final String CONN = "host/42/7/1";

  @TempDir Path dir;

  private final RawEvents events = new RawEvents(CONN);
  private MockProcessorContext<Object, Object> context;
  private Processor<byte[], byte[], Object, Object> processor;

  @BeforeEach
  void init() {
    ProcessorConfig config = ProcessorConfig.builder().stateDir(dir)
        .idleFlush(Duration.ofSeconds(1)).connectionTtl(Duration.ofMinutes(5)).build();
    context = new MockProcessorContext<>();
    context.setCurrentSystemTimeMs(1_767_225_600_000L);
    ConnectionStateStore store = StreamsProcessor.stateStore(config, Stores.keyValueStoreBuilder(
            Stores.inMemoryKeyValueStore(TopologyNames.STATE_STORE), Serdes.String(),
            StreamsProcessor.STATE_SERDE))
        .withLoggingDisabled().build();
    store.init(context.getStateStoreContext(), store);
    context.addStateStore(store);
    processor = new ConnectionProcessorSupplier(config, new ProcessorMetrics()).get();
    processor.init(context);
  }

  @Test
  void anEmptyTaskDoesNotPunctuate() {
    assertEquals(List.of(), active());
  }

  @Test
  void bytesWaitingForTheirFlushPunctuateFastThenOnlyTheTtlThenTheFinishedMemoryIsWatched() {
    // an unfinished request head: bytes that only the idle flush can move
    send(events.data(Direction.WRITE, 0, "GET /a HTTP/1.1\r\nHost: h", 0));
    assertEquals(List.of(Duration.ofMillis(250)), active());

    // the head completes: the request leaves at once, nothing waits for a flush any more
    String rest = "\r\n\r\n";
    send(events.data(Direction.WRITE, 24, rest, 1));
    assertEquals(List.of(Duration.ofSeconds(30)), active(), "only the 5 min TTL is watched");

    // the connection ends with every byte there: only its stream positions are remembered (to
    // drop re-sent records), watched at a tenth of the 2 min memory
    send(events.close(0, 24 + rest.length()));
    assertEquals(List.of(Duration.ofSeconds(12)), active());
    assertTrue(context.scheduledPunctuators().stream().allMatch(p -> p.getType() == PunctuationType.WALL_CLOCK_TIME));
  }

  private void send(RawEvent event) {
    processor.process(new Record<>(CONN.getBytes(StandardCharsets.UTF_8), event.toByteArray(),
        context.currentSystemTimeMs()));
  }

  /** Intervals of the punctuators not cancelled. */
  private List<Duration> active() {
    return context.scheduledPunctuators().stream().filter(p -> !p.cancelled())
        .map(MockProcessorContext.CapturedPunctuator::getInterval).toList();
  }
}
