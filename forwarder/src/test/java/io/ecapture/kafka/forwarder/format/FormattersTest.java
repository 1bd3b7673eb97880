package io.ecapture.kafka.forwarder.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import io.ecapture.kafka.common.HexDump;
import io.ecapture.kafka.common.Json;
import io.ecapture.kafka.forwarder.Samples;
import io.ecapture.kafka.proto.ParsedText;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class FormattersTest {
  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  @Test
  void hexDumpsTheRenderedMessageWhenAskedAndBinaryDataAlways() {
    ParsedMessage req = Samples.request("h", "x");
    String hex = text(new TextFormatter(true, 0).event(req, 0));
    assertTrue(hex.contains(HexDump.dump(ParsedText.rendered(req).toByteArray())), hex);
    assertFalse(hex.contains("\nGET /items"), "no plain text with --hex");
    ParsedMessage bin = Samples.binary("h");
    String plain = text(new TextFormatter(false, 0).event(bin, 0));
    assertTrue(plain.contains(HexDump.dump(bin.getRaw().toByteArray())), plain);
    String cut = text(new TextFormatter(true, 16).event(bin, 0));
    assertTrue(cut.contains(HexDump.dump(bin.getRaw().substring(0, 16).toByteArray())), cut);
    assertTrue(cut.contains("[truncated: first 16 of 40 bytes shown (--truncate 16)]"), cut);
  }

  @Test
  void truncationNeverSplitsAUtf8Character() {
    String body = "réponse: ééé";
    ParsedMessage m = Samples.request("h", "x").toBuilder().setRendered(ByteString.copyFromUtf8(body)).build();
    // byte 2 is the second byte of 'é': the cut backs off to 1 byte
    String out = text(new TextFormatter(false, 2).event(m, 0));
    assertTrue(out.contains("Payload:\nr\n[truncated: first 1 of " + body.getBytes(StandardCharsets.UTF_8).length), out);
  }

  @Test
  void jsonWritesBinaryAsBase64AndCutsByteFields() throws Exception {
    ParsedMessage bin = Samples.binary("h");
    JsonNode n = Json.tree(text(new JsonFormatter(0).event(bin, 5, null)));
    assertEquals(Base64.getEncoder().encodeToString(bin.getRaw().toByteArray()), n.get("raw_base64").asText());
    assertFalse(n.has("raw"));
    assertFalse(n.has("kafka"));
    assertEquals("unknown", n.get("module").asText());
    assertEquals(0, n.get("type").asInt());
    JsonNode cut = Json.tree(text(new JsonFormatter(10).event(Samples.request("h", "x"), 0, null)));
    assertEquals("GET /items", cut.get("rendered").asText());
    assertEquals(ParsedText.rendered(Samples.request("h", "x")).size(), cut.get("rendered_cut_from").asInt());
    assertFalse(cut.get("rendered_truncated").asBoolean(), "the processor's own flag keeps its meaning");
  }

  @Test
  void eventKindsFollowEcaptureqTypes() {
    assertEquals(1, EventKinds.type(Samples.request("h", "x")));
    assertEquals(3, EventKinds.type(Samples.response("h", "x")));
    ParsedMessage h2 = Samples.response("h", "x").toBuilder().setProtocol(io.ecapture.kafka.proto.parsed.Protocol.GRPC).build();
    assertEquals(4, EventKinds.type(h2));
    assertEquals("grpc", EventKinds.module(h2));
    assertEquals(Format.HTTP_PROXY, Format.parse("http-proxy"));
  }
}
