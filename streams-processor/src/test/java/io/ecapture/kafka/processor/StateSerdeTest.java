package io.ecapture.kafka.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.processor.state.ProcessorChunk;
import io.ecapture.kafka.processor.state.ProcessorConnectionState;
import io.ecapture.kafka.processor.state.ProcessorDirectionState;
import io.ecapture.kafka.processor.state.ProcessorHttp2Stream;
import io.ecapture.kafka.processor.state.ProcessorPendingRequest;
import io.ecapture.kafka.proto.parsed.Protocol;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class StateSerdeTest {
  @Test
  void connectionStateSurvivesTheChangelogRoundTrip() {
    ProcessorConnectionState state = ProcessorConnectionState.newBuilder()
        .setIdentity(RawEvent.newBuilder().setConnectionId("c").setHostId("h"))
        .setWrite(ProcessorDirectionState.newBuilder()
            .setNextOffset(120)
            .setBufferOffset(100)
            .setBuffer(ByteString.copyFromUtf8("GET / HT"))
            .addBufferTimes(ProcessorChunk.newBuilder().setOffset(100).setWallTimeNs(5))
            .addOutOfOrder(ProcessorChunk.newBuilder().setOffset(200)
                .setPayload(ByteString.copyFromUtf8("late")).setCallEnd(300))
            .setProtocol(Protocol.HTTP2)
            .addHttp2Streams(ProcessorHttp2Stream.newBuilder().setStreamId(3).setBodyLength(9)))
        .addPendingRequests(ProcessorPendingRequest.newBuilder().setPairId("c#0").setMethod("GET")
            .setDirection(Direction.WRITE))
        .setNextPairSeq(1)
        .build();
    byte[] bytes = StreamsProcessor.STATE_SERDE.serializer().serialize("changelog", state);
    assertEquals(state, StreamsProcessor.STATE_SERDE.deserializer().deserialize("changelog", bytes));
  }

  @Test
  void corruptStateIsASerializationError() {
    assertThrows(SerializationException.class, () -> StreamsProcessor.STATE_SERDE.deserializer()
        .deserialize("changelog", new byte[] {(byte) 0xff, (byte) 0xff, 0x01}));
  }

  @Test
  void documentedDefaults() {
    ProcessorConfig config = ProcessorConfig.defaults();
    assertEquals("127.0.0.1:9092", config.bootstrapServers());
    assertEquals("exactly_once_v2", config.processingGuarantee());
    assertEquals(java.time.Duration.ofSeconds(1), config.idleFlush());
    assertEquals(8 << 20, config.limits().maxBodyBytes());
    assertEquals("exactly_once_v2", config.toStreamsProperties().get("processing.guarantee"));
  }
}
