package io.ecapture.kafka.processor.render;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.proto.ParsedText;
import io.ecapture.kafka.proto.parsed.HttpFields;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A plain ASCII body shown whole is appended as its bytes: the text, the cut fields and what
 * callers append after it are exactly those of the text path ({@link TextRenderer#appendBody}
 * into one builder, as before).
 */
class RenderedTextTest {
  /** A plain-text body longer than the 64 bytes below which a body is always copied. */
  private static final String JSON =
      "{\"a\":1,\"b\":[1,2,3],\"c\":\"0123456789012345678901234567890123456789\"}";

  @Test
  void bytesOfAPlainAsciiBodyGiveTheSameTextAsTheTextPath() {
    Random random = new Random(11);
    for (int i = 0; i < 2000; i++) {
      String head = random.nextBoolean() ? "GET /é?q=" + i + " HTTP/1.1\r\nHost: x\r\n\r\n"
          : "HTTP/1.1 200 OK\r\n\r\n";
      byte[] body = body(random);
      int limit = random.nextInt(4) == 0 ? random.nextInt(200) + 1 : 100_000;
      boolean cut = random.nextBoolean();
      String tail = random.nextBoolean() ? "\n[note ü " + i + "]" : "";

      boolean http = random.nextBoolean();
      RenderedText text = new RenderedText(random.nextInt(300) + body.length);
      StringBuilder out = text.text();
      out.append(head);
      if (http) {
        text.httpBody(body, limit);
      } else {
        text.body(body, limit);
      }
      if (cut) {
        text.bodyCut(false, body.length, body.length + 10, false);
      }
      out.append(tail);
      RenderedText.Result got = text.build();

      StringBuilder expected = new StringBuilder(head);
      TextRenderer.Cut c = TextRenderer.appendBody(expected, body, limit);
      if (cut) {
        expected.append("\n[ecapture-kafka: body incomplete, ").append(body.length).append(" of ")
            .append(body.length + 10).append(" bytes captured]");
      }
      expected.append(tail);
      byte[] want = expected.toString().getBytes(StandardCharsets.UTF_8);
      // shared: the body is the message's http.body, which readers append (ParsedText.rendered)
      boolean shareable = http && !cut && tail.isEmpty() && c.leftOutBytes() == 0
          && body.length >= 64 && TextRenderer.isPlainAscii(body);
      assertEquals(shareable, got.bodyShared(), "case " + i);
      byte[] joined = got.bodyShared() ? concat(got.bytes(), body) : got.bytes();
      assertArrayEquals(want, joined, "case " + i);
      assertEquals(c.leftOutBytes() > 0, got.truncated(), "case " + i);
      assertEquals(c.leftOutBytes() > 0 ? want.length - c.noteBytes() + c.leftOutBytes() : 0,
          got.originalLength(), "case " + i);
    }
  }

  @Test
  void twoBodiesAndTextBetween() {
    byte[] json = JSON.getBytes(StandardCharsets.US_ASCII);
    RenderedText text = new RenderedText(8);
    text.text().append("one\n");
    text.body(json, 1000);
    text.text().append("\ntwo ✓\n");
    text.body(json, 1000);
    assertEquals("one\n" + new String(json, StandardCharsets.US_ASCII) + "\ntwo ✓\n"
        + new String(json, StandardCharsets.US_ASCII),
        new String(text.build().bytes(), StandardCharsets.UTF_8));
  }

  @Test
  void aSharedBodyTravelsOnceAndReadersJoinItBack() {
    byte[] json = JSON.getBytes(StandardCharsets.US_ASCII);
    RenderedText text = new RenderedText(8);
    text.text().append("HTTP/1.1 200 OK\r\n\r\n");
    ParsedMessage message = text.httpBody(json, 1000).build().applyTo(ParsedMessage.newBuilder()
        .setHttp(HttpFields.newBuilder().setBody(ByteString.copyFrom(json)))).build();
    assertTrue(message.getRenderedBodyShared());
    assertEquals("HTTP/1.1 200 OK\r\n\r\n", message.getRendered().toStringUtf8(), "the head only");
    assertEquals("HTTP/1.1 200 OK\r\n\r\n" + new String(json, StandardCharsets.US_ASCII),
        ParsedText.rendered(message).toStringUtf8());
    assertEquals(ParsedText.rendered(message).size(), ParsedText.renderedSize(message));
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static byte[] body(Random random) {
    int n = random.nextInt(3) == 0 ? random.nextInt(64) : random.nextInt(3000);
    byte[] b = new byte[n];
    int kind = random.nextInt(4);
    for (int i = 0; i < n; i++) {
      b[i] = switch (kind) {
        case 0 -> (byte) (0x20 + random.nextInt(0x5f)); // plain ASCII
        case 1 -> (byte) "{}\":,\r\n\tab".charAt(random.nextInt(10));
        case 2 -> (byte) random.nextInt(256); // binary: hex dump
        default -> (byte) (random.nextInt(50) == 0 ? 0x7f : 0x41 + random.nextInt(26)); // DEL
      };
    }
    if (kind == 3 && n > 3 && random.nextBoolean()) {
      byte[] utf8 = "é".getBytes(StandardCharsets.UTF_8); // valid UTF-8, not plain ASCII
      System.arraycopy(utf8, 0, b, 0, utf8.length);
    }
    return b;
  }
}
