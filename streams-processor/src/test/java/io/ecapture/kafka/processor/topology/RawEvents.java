package io.ecapture.kafka.processor.topology;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.proto.capture.AddressFamily;
import io.ecapture.kafka.proto.capture.ConnectionClose;
import io.ecapture.kafka.proto.capture.ConnectionOpen;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.ProcessInfo;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.capture.TlsData;
import io.ecapture.kafka.proto.capture.TlsFunction;
import io.ecapture.kafka.proto.capture.Tuple;
import java.nio.charset.StandardCharsets;

/** Builds the RawEvents a collector would send for one client connection (curl on 10.0.0.5). */
final class RawEvents {
  static final long BASE_NS = 1_767_225_600_000_000_000L; // 2026-01-01T00:00:00Z

  private final String connectionId;

  RawEvents(String connectionId) {
    this.connectionId = connectionId;
  }

  RawEvent open() {
    return base(0).setOpen(ConnectionOpen.newBuilder().setIsAccept(false)).build();
  }

  RawEvent close(long bytesRead, long bytesWritten) {
    return base(0).setClose(ConnectionClose.newBuilder()
        .setBytesRead(bytesRead).setBytesWritten(bytesWritten)).build();
  }

  RawEvent data(Direction direction, long offset, String text, long atNsAfterBase) {
    return data(direction, offset, text.getBytes(StandardCharsets.ISO_8859_1), atNsAfterBase);
  }

  RawEvent data(Direction direction, long offset, byte[] payload, long atNsAfterBase) {
    return chunk(direction, offset, payload, payload.length, 0, false, atNsAfterBase);
  }

  /**
   * One ring-buffer record of a library call that moved {@code callLength} bytes: {@code payload}
   * starts {@code chunkOffset} bytes into the call; {@code truncated} when the capture lost bytes
   * of the call.
   */
  RawEvent chunk(Direction direction, long offset, byte[] payload, int callLength, int chunkOffset,
      boolean truncated, long atNsAfterBase) {
    return base(atNsAfterBase).setData(TlsData.newBuilder()
        .setDirection(direction)
        .setOffset(offset)
        .setPayload(ByteString.copyFrom(payload))
        .setOriginalLength(callLength)
        .setChunkOffset(chunkOffset)
        .setTruncated(truncated)
        .setFunction(direction == Direction.WRITE ? TlsFunction.SSL_WRITE : TlsFunction.SSL_READ)
        .setTlsLibrary("openssl-3")).build();
  }

  private RawEvent.Builder base(long atNsAfterBase) {
    return RawEvent.newBuilder()
        .setHostId("host-a")
        .setConnectionId(connectionId)
        .setProcess(ProcessInfo.newBuilder().setPid(4242).setTid(4243).setUid(1000).setComm("curl"))
        .setFd(5)
        .setTuple(Tuple.newBuilder()
            .setFamily(AddressFamily.INET)
            .setSrcAddr(ByteString.copyFrom(new byte[] {10, 0, 0, 5}))
            .setSrcPort(51000)
            .setDstAddr(ByteString.copyFrom(new byte[] {93, (byte) 184, (byte) 215, 14}))
            .setDstPort(443))
        .setKernelTimeNs(1_000 + atNsAfterBase)
        .setWallTimeNs(BASE_NS + atNsAfterBase);
  }
}
