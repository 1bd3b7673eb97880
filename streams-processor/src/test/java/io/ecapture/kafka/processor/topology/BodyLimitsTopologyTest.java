package io.ecapture.kafka.processor.topology;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.processor.ProcessorLimits;
import io.ecapture.kafka.proto.ParsedText;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What happens to bodies that are late (idle flush) or too large (buffer limit), and that bodies
 * up to the default 8 MiB body limit are kept whole, in the record and in its display text.
 */
class BodyLimitsTopologyTest {
  private static final String CONN = "conn-limits";
  @TempDir Path stateDir;
  private TopologyHarness harness;
  private final RawEvents events = new RawEvents(CONN);

  private void start(ProcessorLimits limits) {
    harness = new TopologyHarness(stateDir, limits);
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  private long send(long offset, String text) {
    harness.send(events.data(Direction.READ, offset, text, offset));
    return offset + text.length();
  }

  @Test
  void theRestOfABodyDelayedPastTheIdleFlushIsShownNotDropped() {
    start(ProcessorLimits.defaults());
    long offset = send(0, "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\nfirst-half");
    harness.idle(1000);
    ParsedMessage cut = harness.parsed().readValue();
    assertTrue(cut.getHttp().getBodyTruncated());
    assertEquals("first-half", cut.getHttp().getBody().toStringUtf8());

    offset = send(offset, "secondhalf");
    send(offset, "HTTP/1.1 204 No Content\r\n\r\n");
    List<ParsedMessage> out = harness.parsed().readValuesToList();
    assertEquals(2, out.size());
    assertEquals(Protocol.PROTOCOL_UNKNOWN, out.get(0).getProtocol());
    assertEquals("secondhalf", ParsedText.rendered(out.get(0)).toStringUtf8());
    assertEquals(204, out.get(1).getHttp().getStatus());
  }

  @Test
  void aBodyLargerThanTheBufferIsCutOnceAndItsRestDiscarded() {
    start(ProcessorLimits.builder().maxStartLineBytes(1024).maxHeaderBytes(2048).maxBodyBytes(1000)
        .maxBufferedBytes(4096).maxOutOfOrderBytes(8192).maxHttp2FrameBytes(16384)
        .maxRenderedBytes(4096).build());
    String body = "b".repeat(10_000);
    String response = "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
    long offset = 0;
    for (int pos = 0; pos < response.length(); pos += 1000) {
      offset = send(offset, response.substring(pos, Math.min(response.length(), pos + 1000)));
    }
    send(offset, "HTTP/1.1 204 No Content\r\n\r\n");

    List<ParsedMessage> out = harness.parsed().readValuesToList();
    assertEquals(2, out.size());
    assertTrue(out.get(0).getHttp().getBodyTruncated());
    assertEquals(10_000, out.get(0).getHttp().getBodyOriginalLength());
    assertEquals(1000, out.get(0).getHttp().getBody().size());
    assertEquals(204, out.get(1).getHttp().getStatus());
    assertEquals(0, harness.metrics.unknownMessages());
  }

  /** Text bytes (letters and digits), so the display text is the body itself. */
  static byte[] textBody(int length, long seed) {
    byte[] alphabet = "abcdefghijklmnopqrstuvwxyz0123456789".getBytes(StandardCharsets.US_ASCII);
    byte[] body = new byte[length];
    Random random = new Random(seed);
    for (int i = 0; i < length; i++) {
      body[i] = alphabet[random.nextInt(alphabet.length)];
    }
    return body;
  }

  /** Sends {@code bytes} from {@code offset} in 16 KiB records, as the collector cuts calls. */
  private long sendInRecords(long offset, byte[] bytes) {
    for (int pos = 0; pos < bytes.length; pos += 16384) {
      byte[] piece = Arrays.copyOfRange(bytes, pos, Math.min(bytes.length, pos + 16384));
      harness.send(events.data(Direction.READ, offset + pos, piece, offset + pos));
    }
    return offset + bytes.length;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void anEightMiBBodyInSixteenKiBRecordsIsKeptWholeAndShownWhole() {
    start(ProcessorLimits.defaults());
    byte[] body = textBody(8 << 20, 1);
    byte[] head = ("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
    long offset = sendInRecords(0, concat(head, body));
    ProcessorLimits limits = ProcessorLimits.defaults();
    send(offset, "HTTP/1.1 204 No Content\r\n\r\n");

    List<ParsedMessage> out = harness.parsed().readValuesToList();
    assertEquals(2, out.size());
    ParsedMessage m = out.get(0);
    assertFalse(m.getHttp().getBodyTruncated());
    assertFalse(m.getHttp().getBodyLimitExceeded());
    assertEquals(body.length, m.getHttp().getBodyOriginalLength());
    assertArrayEquals(body, m.getHttp().getBody().toByteArray());
    assertFalse(m.getRenderedTruncated());
    assertArrayEquals(concat(head, body), ParsedText.rendered(m).toByteArray(), "the display text is the message");
    assertTrue(m.getSerializedSize() <= limits.maxParsedRecordBytes());
    assertEquals(204, out.get(1).getHttp().getStatus());
    assertTrue(harness.store().get(CONN) == null
        || harness.store().get(CONN).getSerializedSize() < 1 << 20, "the state let go of the body");
  }

  @Test
  void aBodyPastTheBodyLimitIsCutAndTheRecordAndTextSaySo() {
    // the default limits' 9 MiB case runs through the whole pipeline (fleet-launcher's
    // LargeBodiesEndToEndTest); here a 1 MiB limit keeps the test fast, the code path is the same
    ProcessorLimits limits = ProcessorLimits.builder().maxBodyBytes(1 << 20).build();
    start(limits);
    int limit = limits.maxBodyBytes();
    int length = limit + (limit >> 3);
    byte[] body = textBody(length, 2);
    byte[] head = ("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
    long offset = sendInRecords(0, concat(head, body));
    send(offset, "HTTP/1.1 204 No Content\r\n\r\n");

    List<ParsedMessage> out = harness.parsed().readValuesToList();
    assertEquals(2, out.size(), "the rest of the body is discarded, not shown as unknown data");
    ParsedMessage m = out.get(0);
    assertTrue(m.getHttp().getBodyTruncated());
    assertTrue(m.getHttp().getBodyLimitExceeded());
    assertEquals(length, m.getHttp().getBodyOriginalLength());
    assertArrayEquals(Arrays.copyOf(body, limit), m.getHttp().getBody().toByteArray());
    String note = "\n[ecapture-kafka: body cut at the processor's body limit, " + limit + " of "
        + length + " bytes kept]";
    assertArrayEquals(concat(concat(head, Arrays.copyOf(body, limit)),
        note.getBytes(StandardCharsets.US_ASCII)), ParsedText.rendered(m).toByteArray());
    assertFalse(m.getRenderedTruncated(), "the text shows all the record kept");
    assertEquals(204, out.get(1).getHttp().getStatus());
    assertEquals(1, harness.metrics.truncatedMessages());
  }

  @Test
  void aBodyThatDecodesPastTheLimitKeepsItsFirstDecodedBytesAndSaysSo() throws Exception {
    start(ProcessorLimits.builder().maxBodyBytes(1 << 20).build());
    byte[] plain = "compressible line of text\n".repeat(120_000).getBytes(StandardCharsets.US_ASCII);
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(plain);
    }
    byte[] head = ("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + gz.size()
        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    sendInRecords(0, concat(head, gz.toByteArray()));

    ParsedMessage m = harness.parsed().readValue();
    assertTrue(m.getHttp().getBodyLimitExceeded());
    assertTrue(m.getHttp().getBodyTruncated());
    assertEquals(gz.size(), m.getHttp().getBodyOriginalLength());
    assertTrue(gz.size() < 1 << 20, "only the decoded form exceeds the limit");
    assertArrayEquals(Arrays.copyOf(plain, 1 << 20), m.getHttp().getBody().toByteArray());
    assertTrue(ParsedText.rendered(m).toStringUtf8().endsWith("\n[ecapture-kafka: body cut at the "
        + "processor's body limit, the first " + (1 << 20) + " bytes of the decoded body kept ("
        + gz.size() + " on the wire)]"), "rendered ends: " + tail(m));
  }

  @Test
  void aBinaryBodyIsKeptWholeWhileItsHexDumpIsCutAtTheRenderedLimit() {
    start(ProcessorLimits.builder().maxBodyBytes(64 << 10).maxRenderedBytes(4096).build());
    byte[] body = new byte[40_000];
    new Random(4).nextBytes(body);
    byte[] head = ("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
    sendInRecords(0, concat(head, body));

    ParsedMessage m = harness.parsed().readValue();
    assertArrayEquals(body, m.getHttp().getBody().toByteArray());
    assertFalse(m.getHttp().getBodyTruncated());
    assertTrue(m.getRenderedTruncated());
    String rendered = ParsedText.rendered(m).toStringUtf8();
    assertTrue(rendered.endsWith("more bytes not shown]\n"), tail(m));
    // the whole dump: 2500 lines of 79 characters, after the head
    assertEquals(head.length + 2500L * 79, m.getRenderedOriginalLength());
    assertTrue(ParsedText.rendered(m).size() < head.length + 4096 + 100);
  }

  private static String tail(ParsedMessage m) {
    String text = ParsedText.rendered(m).toStringUtf8();
    return text.substring(Math.max(0, text.length() - 200));
  }
}
