package io.ecapture.kafka.processor.protocol.http2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.processor.protocol.ParseContext;
import io.ecapture.kafka.processor.protocol.ParseResult;
import io.ecapture.kafka.processor.protocol.ParseStatus;
import io.ecapture.kafka.processor.protocol.ProtocolParser.Detection;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Http2FrameParserTest {
  private final Http2FrameParser parser = new Http2FrameParser(16384, 1 << 20);

  static byte[] frame(int type, int flags, int stream, byte[] payload) {
    return Http2TestFrames.frame(type, flags, stream, payload);
  }

  private ParseResult<Http2Frame> parse(byte[] data, boolean atEnd) {
    return parser.parse(data, 0, data.length, atEnd, ParseContext.NONE);
  }

  @Test
  void prefaceIsAPseudoFrame() {
    ParseResult<Http2Frame> result = parse(Http2FrameParser.CLIENT_PREFACE, false);
    assertEquals(Http2Frame.PREFACE, result.message().type());
    assertEquals(24, result.consumed());
  }

  @Test
  void dataFrameWithFlags() {
    byte[] data = frame(Http2Frame.DATA, Http2Frame.FLAG_END_STREAM, 3, "hello".getBytes(StandardCharsets.US_ASCII));
    ParseResult<Http2Frame> result = parse(data, false);
    assertEquals(ParseStatus.SUCCESS, result.status());
    Http2Frame frame = result.message();
    assertEquals(3, frame.streamId());
    assertTrue(frame.has(Http2Frame.FLAG_END_STREAM));
    assertEquals("hello", new String(frame.payload(), StandardCharsets.US_ASCII));
    assertEquals(data.length, result.consumed());
  }

  @Test
  void everySplitPointNeedsMoreData() {
    byte[] data = frame(Http2Frame.HEADERS, Http2Frame.FLAG_END_HEADERS, 1, new byte[] {(byte) 0x82});
    for (int split = 0; split < data.length; split++) {
      assertEquals(ParseStatus.NEEDS_MORE_DATA,
          parser.parse(data, 0, split, false, ParseContext.NONE).status(), "split " + split);
    }
  }

  @Test
  void frameLargerThanTheLimitIsInvalid() {
    byte[] header = frame(Http2Frame.DATA, 0, 1, new byte[0]);
    header[0] = 0x01; // 65536 bytes announced
    assertEquals(ParseStatus.INVALID, parse(header, false).status());
  }

  @Test
  void streamFramesOnStreamZeroAndConnectionFramesOnAStreamAreInvalid() {
    assertEquals(ParseStatus.INVALID, parse(frame(Http2Frame.DATA, 0, 0, new byte[1]), false).status());
    assertEquals(ParseStatus.INVALID, parse(frame(Http2Frame.SETTINGS, 0, 1, new byte[0]), false).status());
  }

  @Test
  void detectsTheServerSettingsFrameAndThePreface() {
    assertEquals(Detection.MATCH, parser.detect(frame(Http2Frame.SETTINGS, 0, 0, new byte[6]), 0, 15));
    assertEquals(Detection.NO_MATCH, parser.detect("GET / HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII), 0, 16));
    assertEquals(Detection.NEEDS_MORE_DATA, Http2FrameParser.matchPreface(Http2FrameParser.CLIENT_PREFACE, 0, 10));
  }

  @Test
  void cutFrameAtEndIsTruncated() {
    byte[] data = frame(Http2Frame.DATA, 0, 1, new byte[100]);
    ParseResult<Http2Frame> result = parser.parse(data, 0, 9 + 40, true, ParseContext.NONE);
    assertTrue(result.message().truncated());
    assertEquals(60, result.bytesStillExpected());
  }
}
