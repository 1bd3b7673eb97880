package io.ecapture.kafka.processor.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ecapture.kafka.proto.ParsedText;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A client/server conversation played through the topology as the collector would send it: each
 * step one library call in one direction, 1 ms after the previous one, optionally cut in two
 * records at a byte position (every position of every step is tried by {@link
 * #sameMessagesAtEveryCut}).
 */
final class DbConversations {
  private DbConversations() {}

  /** One call: the client writes ({@code WRITE}) or reads the server's bytes ({@code READ}). */
  record Step(Direction direction, byte[] bytes) {}

  static Step client(byte[]... bytes) {
    return new Step(Direction.WRITE, io.ecapture.kafka.processor.protocol.db.DbWire.concat(bytes));
  }

  static Step server(byte[]... bytes) {
    return new Step(Direction.READ, io.ecapture.kafka.processor.protocol.db.DbWire.concat(bytes));
  }

  /** Plays {@code steps} on connection {@code conn}, each cut at {@code cut} (0 = whole). */
  static List<ParsedMessage> play(TopologyHarness harness, String conn, List<Step> steps,
      int cut) {
    RawEvents events = new RawEvents(conn);
    long[] offsets = new long[2];
    long at = 0;
    for (Step step : steps) {
      int d = step.direction() == Direction.WRITE ? 0 : 1;
      byte[] b = step.bytes();
      if (cut > 0 && cut < b.length) {
        harness.send(events.data(step.direction(), offsets[d], Arrays.copyOf(b, cut), at));
        harness.send(events.data(step.direction(), offsets[d] + cut,
            Arrays.copyOfRange(b, cut, b.length), at + 500_000));
      } else {
        harness.send(events.data(step.direction(), offsets[d], b, at));
      }
      offsets[d] += b.length;
      at += 1_000_000;
    }
    List<ParsedMessage> out = new ArrayList<>();
    for (ParsedMessage m : harness.output()) {
      if (m.getConnectionId().equals(conn)) {
        out.add(m);
      }
    }
    return out;
  }

  /** Cutting any step at any byte gives the same messages as whole calls (times aside). */
  static void sameMessagesAtEveryCut(TopologyHarness harness, List<Step> steps) {
    List<String> whole = comparable(play(harness, "whole", steps, 0));
    int longest = steps.stream().mapToInt(s -> s.bytes().length).max().orElse(0);
    for (int cut = 1; cut < longest; cut++) {
      List<String> split = comparable(play(harness, "cut-" + cut, steps, cut));
      assertEquals(whole, split, "cut at byte " + cut);
    }
  }

  /** What must not change with the cut: protocol, kind, fields, text (not ids or times). */
  private static List<String> comparable(List<ParsedMessage> messages) {
    List<String> out = new ArrayList<>();
    for (ParsedMessage m : messages) {
      out.add(m.getProtocol() + " " + m.getKind() + " " + m.getDirection() + " " + m.getSql()
          + m.getRedis() + " " + m.getStreamOffset() + "+" + m.getLength() + " "
          + ParsedText.rendered(m).toStringUtf8().replaceAll("\\(\\d+(\\.\\d+)? m?s\\)", "(latency)"));
    }
    return out;
  }
}
