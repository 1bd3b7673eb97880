package io.ecapture.kafka.processor.protocol.http1;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.processor.ProcessorLimits;
import io.ecapture.kafka.processor.protocol.ParseContext;
import io.ecapture.kafka.processor.protocol.ParseResult;
import io.ecapture.kafka.processor.protocol.ParseStatus;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class Http1ParserTest {
  /** What curl 7.88 sends for {@code curl -d 'name=ecapture' https://host/submit}. */
  static final String CURL_POST = "POST /submit HTTP/1.1\r\n"
      + "Host: example.test\r\n"
      + "User-Agent: curl/7.88.1\r\n"
      + "Accept: */*\r\n"
      + "Content-Length: 13\r\n"
      + "Content-Type: application/x-www-form-urlencoded\r\n"
      + "\r\n"
      + "name=ecapture";

  /** A chunked response with a trailer, as nginx-like servers produce it. */
  static final String CHUNKED_RESPONSE = "HTTP/1.1 200 OK\r\n"
      + "Content-Type: text/plain\r\n"
      + "Transfer-Encoding: chunked\r\n"
      + "Trailer: X-Checksum\r\n"
      + "\r\n"
      + "5\r\nhello\r\n"
      + "7;ext=1\r\n, world\r\n"
      + "0\r\n"
      + "X-Checksum: abc\r\n"
      + "\r\n";

  private final Http1Parser parser = new Http1Parser(ProcessorLimits.defaults());

  private ParseResult<Http1Message> parse(String text, boolean atEnd, String method) {
    byte[] data = bytes(text);
    return parser.parse(data, 0, data.length, atEnd, ctx(method));
  }

  @Test
  void parsesRequestWithContentLength() {
    ParseResult<Http1Message> result = parse(CURL_POST, false, null);
    assertEquals(ParseStatus.SUCCESS, result.status());
    Http1Message m = result.message();
    assertTrue(m.request());
    assertEquals("POST", m.method());
    assertEquals("/submit", m.target());
    assertEquals("HTTP/1.1", m.version());
    assertEquals(List.of("Host", "User-Agent", "Accept", "Content-Length", "Content-Type"),
        m.headers().stream().map(HeaderField::name).toList());
    assertEquals("example.test", m.header("host"));
    assertArrayEquals(bytes("name=ecapture"), m.body());
    assertEquals(CURL_POST.length(), result.consumed());
    assertFalse(m.bodyTruncated());
  }

  @Test
  void parsesChunkedResponseWithExtensionsAndTrailers() {
    ParseResult<Http1Message> result = parse(CHUNKED_RESPONSE, false, "GET");
    assertEquals(ParseStatus.SUCCESS, result.status());
    Http1Message m = result.message();
    assertEquals(200, m.status());
    assertEquals("OK", m.reason());
    assertEquals("hello, world", new String(m.body(), StandardCharsets.UTF_8));
    assertEquals(12, m.bodyOriginalLength());
    assertEquals("abc", m.header("X-Checksum"));
    assertEquals(CHUNKED_RESPONSE.length(), result.consumed());
  }

  @Test
  void everySplitPointOfARequestNeedsMoreDataUntilComplete() {
    for (String message : List.of(CURL_POST, CHUNKED_RESPONSE)) {
      byte[] data = bytes(message);
      for (int split = 1; split < data.length; split++) {
        ParseResult<Http1Message> partial = parser.parse(data, 0, split, false, ctx("GET"));
        assertEquals(ParseStatus.NEEDS_MORE_DATA, partial.status(), "split at " + split);
      }
      assertEquals(ParseStatus.SUCCESS, parser.parse(data, 0, data.length, false, ctx("GET")).status());
    }
  }

  @Test
  void pipelinedRequestsParseOneAfterAnother() {
    String first = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
    String second = "GET /b HTTP/1.1\r\nHost: h\r\n\r\n";
    byte[] data = bytes(first + second);
    ParseResult<Http1Message> a = parser.parse(data, 0, data.length, false, ctx(null));
    ParseResult<Http1Message> b = parser.parse(data, a.consumed(), data.length, false, ctx(null));
    assertEquals("/a", a.message().target());
    assertEquals("/b", b.message().target());
    assertEquals(data.length, a.consumed() + b.consumed());
  }

  @Test
  void responsesToHeadAnd204And304HaveNoBody() {
    String head = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
    ParseResult<Http1Message> result = parse(head, false, "HEAD");
    assertEquals(ParseStatus.SUCCESS, result.status());
    assertEquals(head.length(), result.consumed());
    for (String status : List.of("204 No Content", "304 Not Modified", "100 Continue")) {
      String response = "HTTP/1.1 " + status + "\r\nContent-Length: 5\r\n\r\n";
      ParseResult<Http1Message> r = parse(response, false, "GET");
      assertEquals(ParseStatus.SUCCESS, r.status(), status);
      assertEquals(response.length(), r.consumed(), status);
    }
  }

  @Test
  void responseWithoutLengthReadsUntilEnd() {
    String response = "HTTP/1.0 200 OK\r\nServer: old\r\n\r\nsome body";
    assertEquals(ParseStatus.NEEDS_MORE_DATA, parse(response, false, "GET").status());
    ParseResult<Http1Message> atEnd = parse(response, true, "GET");
    assertEquals(ParseStatus.SUCCESS, atEnd.status());
    assertEquals("some body", new String(atEnd.message().body(), StandardCharsets.UTF_8));
  }

  @Test
  void incompleteBodyAtEndIsTruncatedAndAnnouncesTheMissingBytes() {
    String response = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789";
    ParseResult<Http1Message> result = parse(response, true, "GET");
    assertEquals(ParseStatus.SUCCESS, result.status());
    assertTrue(result.message().bodyTruncated());
    assertEquals(100, result.message().bodyOriginalLength());
    assertEquals(90, result.bytesStillExpected());
    assertEquals(response.length(), result.consumed());
  }

  @Test
  void bodyOverTheLimitIsCutButFullyConsumed() {
    ProcessorLimits small = ProcessorLimits.builder().maxStartLineBytes(4096).maxHeaderBytes(8192)
        .maxBodyBytes(4).maxBufferedBytes(8192).maxOutOfOrderBytes(8192).maxHttp2FrameBytes(16384)
        .maxRenderedBytes(65536).build();
    byte[] data = bytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789");
    ParseResult<Http1Message> result = new Http1Parser(small).parse(data, 0, data.length, false, ctx("GET"));
    assertEquals(ParseStatus.SUCCESS, result.status());
    assertArrayEquals(bytes("0123"), result.message().body());
    assertTrue(result.message().bodyTruncated());
    assertEquals(10, result.message().bodyOriginalLength());
    assertEquals(data.length, result.consumed());
  }

  @Test
  void binaryDataIsNotHttp() {
    assertEquals(ParseStatus.INVALID, parse("\u0016\u0003\u0001garbage", false, null).status());
    assertEquals(ParseStatus.INVALID, parse("GETX / HTTP/1.1\r\n\r\n", false, null).status());
  }

  @Test
  void shortPrefixOfAMethodNeedsMoreData() {
    assertEquals(ParseStatus.NEEDS_MORE_DATA, parse("PO", false, null).status());
    assertEquals(ParseStatus.INVALID, parse("PO", true, null).status());
  }

  @Test
  void malformedStartLinesAreInvalid() {
    assertEquals(ParseStatus.INVALID, parse("GET /\r\n\r\n", false, null).status());
    assertEquals(ParseStatus.INVALID, parse("HTTP/1.1 2x0 OK\r\n\r\n", false, null).status());
    assertEquals(ParseStatus.INVALID, parse("GET / HTTP/2.0\r\n\r\n", false, null).status());
  }

  @Test
  void headerLineWithoutColonIsInvalid() {
    assertEquals(ParseStatus.INVALID, parse("GET / HTTP/1.1\r\nbroken\r\n\r\n", false, null).status());
  }

  @Test
  void conflictingContentLengthsAreInvalid() {
    // request smuggling relies on parsers disagreeing about framing (RFC 9112 §6.3 item 5)
    assertEquals(ParseStatus.INVALID,
        parse("POST / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\nhello", false, null).status());
    assertEquals(ParseStatus.SUCCESS,
        parse("POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\nhello", false, null).status());
  }

  @Test
  void oversizedHeaderBlockIsInvalidInsteadOfBufferedForever() {
    ProcessorLimits small = ProcessorLimits.builder().maxStartLineBytes(64).maxHeaderBytes(128)
        .maxBodyBytes(1024).maxBufferedBytes(1024).maxOutOfOrderBytes(1024)
        .maxHttp2FrameBytes(16384).maxRenderedBytes(65536).build();
    String request = "GET / HTTP/1.1\r\nX-Fill: " + "a".repeat(200);
    byte[] data = bytes(request);
    assertEquals(ParseStatus.INVALID, new Http1Parser(small).parse(data, 0, data.length, false, ctx(null)).status());
  }

  @Test
  void hugeChunkSizeIsInvalid() {
    String response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF\r\n";
    assertEquals(ParseStatus.INVALID, parse(response, false, "GET").status());
  }

  @Test
  void findsTheNextMessageAtALineStart() {
    byte[] data = bytes("\u0000\u0001junk GET inside\nHTTP/1.1 200 OK\r\n");
    int boundary = parser.findBoundary(data, 1, data.length);
    assertEquals(new String(data, StandardCharsets.ISO_8859_1).indexOf("HTTP/1.1"), boundary);
  }

  @Test
  void chunkedBodyTellsHowManyBytesTheCurrentChunkNeeds() {
    String head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    String partial = head + "400\r\n" + "x".repeat(100);
    ParseResult<Http1Message> result = parse(partial, false, "GET");
    assertEquals(ParseStatus.NEEDS_MORE_DATA, result.status());
    assertEquals(head.length() + 5 + 1024 + 1, result.bytesNeeded());
    // exactly that many bytes (chunk data and the LF of a bare-LF ending) complete the chunk
    String next = head + "400\r\n" + "x".repeat(1024) + "\n0\r\n\r\n";
    assertEquals(ParseStatus.SUCCESS, parse(next, false, "GET").status());
  }

  @Test
  void midLineBoundariesNeedACompleteStartLine() {
    byte[] response = bytes("rest-of-bodyHTTP/1.1 204 No Content\r\n\r\n");
    assertEquals(12, parser.findBoundary(response, 1, response.length));
    byte[] request = bytes("rest-of-uploadPOST /next HTTP/1.1\r\nHost: h\r\n\r\n");
    assertEquals(14, parser.findBoundary(request, 1, request.length));
    byte[] prose = bytes("we GET things and PUT them back\n");
    assertEquals(-1, parser.findBoundary(prose, 1, prose.length));
    byte[] incomplete = bytes("dataPOST /next HTT");
    assertEquals(-1, parser.findBoundary(incomplete, 1, incomplete.length));
  }

  private static ParseContext ctx(String method) {
    return () -> method;
  }

  @Test
  void fixedLengthBodyTellsHowManyBytesItNeeds() {
    String head = "POST / HTTP/1.1\r\nContent-Length: 1000\r\n\r\n";
    ParseResult<Http1Message> result = parse(head + "abc", false, null);
    assertEquals(ParseStatus.NEEDS_MORE_DATA, result.status());
    assertEquals(head.length() + 1000, result.bytesNeeded());
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** A context with a resume mark from an earlier parse of the same message. */
  private static ParseContext resumeAt(long mark) {
    return new ParseContext() {
      @Override
      public String methodAwaitingResponse() {
        return "GET";
      }

      @Override
      public long resume() {
        return mark;
      }
    };
  }

  /**
   * A chunked body that grows record by record is read incrementally: every NEEDS_MORE_DATA says
   * which chunk-size line it stopped at, the next parse (given that mark) goes on from there, and
   * the message in the end is the one a parse of the whole bytes gives, at every split point and
   * when the input ends (idle flush) at any of them.
   */
  @Test
  void chunkedBodiesAreParsedIncrementallyWithTheSameResult() {
    StringBuilder wire = new StringBuilder("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    StringBuilder body = new StringBuilder();
    for (int c = 0; c < 40; c++) {
      String chunk = ("chunk " + c + " ").repeat(1 + c % 4);
      body.append(chunk);
      wire.append(Integer.toHexString(chunk.length())).append(c % 3 == 0 ? ";x=1" : "")
          .append(c % 5 == 0 ? "\n" : "\r\n").append(chunk).append("\r\n");
    }
    wire.append("0\r\nX-Sum: 1\r\n\r\n");
    byte[] data = bytes(wire.toString());
    ParseResult<Http1Message> whole = parser.parse(data, 0, data.length, false, resumeAt(0));
    assertEquals(ParseStatus.SUCCESS, whole.status());
    assertEquals(body.toString(), new String(whole.message().body(), StandardCharsets.UTF_8));

    // the bytes arrive a few at a time; each parse gets the mark of the one before
    long mark = 0;
    long lastMark = 0;
    ParseResult<Http1Message> result = null;
    for (int to = 1; to <= data.length; to += 7) {
      result = parser.parse(data, 0, Math.min(to, data.length), false, resumeAt(mark));
      if (result.status() == ParseStatus.NEEDS_MORE_DATA) {
        assertTrue(result.resume() >= lastMark, "the mark only moves forward");
        lastMark = Math.max(lastMark, result.resume());
        mark = result.resume();
        // cut here (idle flush): the same truncated message as without the mark
        ParseResult<Http1Message> cut = parser.parse(data, 0, Math.min(to, data.length), true, resumeAt(mark));
        ParseResult<Http1Message> cutFresh = parser.parse(data, 0, Math.min(to, data.length), true, resumeAt(0));
        assertEquals(cutFresh.status(), cut.status(), "cut at " + to);
        if (cut.status() == ParseStatus.SUCCESS) {
          assertArrayEquals(cutFresh.message().body(), cut.message().body(), "cut at " + to);
          assertEquals(cutFresh.message().headers(), cut.message().headers(), "cut at " + to);
        }
      }
    }
    result = parser.parse(data, 0, data.length, false, resumeAt(mark));
    assertEquals(ParseStatus.SUCCESS, result.status());
    assertEquals(whole.consumed(), result.consumed());
    assertArrayEquals(whole.message().body(), result.message().body());
    assertEquals(whole.message().headers(), result.message().headers(), "trailers once");
    assertTrue(lastMark > data.length * 3 / 4, "the mark reached the last chunks: " + lastMark);

    // a bad chunk after the mark is found as without it
    byte[] bad = bytes(wire.substring(0, (int) mark) + "zz\r\n");
    assertEquals(ParseStatus.INVALID, parser.parse(bad, 0, bad.length, false, resumeAt(mark)).status());
    assertEquals(ParseStatus.INVALID, parser.parse(bad, 0, bad.length, false, resumeAt(0)).status());
  }
}
