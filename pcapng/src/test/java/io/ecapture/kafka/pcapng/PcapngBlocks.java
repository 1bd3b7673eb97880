package io.ecapture.kafka.pcapng;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A test-side PCAPNG reader: the blocks of a little-endian file, each checked for matching lengths. */
record PcapngBlocks(List<Block> blocks) {
  record Block(int type, byte[] body) {
    /** DSB: the secrets text. */
    String secrets() {
      ByteBuffer b = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
      b.getInt();
      int length = b.getInt();
      return new String(body, 8, length, StandardCharsets.US_ASCII);
    }

    /** EPB: interface id. */
    int interfaceId() {
      return ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
    }

    /** EPB: the captured bytes. */
    byte[] packet() {
      ByteBuffer b = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
      int captured = b.getInt(12);
      return Arrays.copyOfRange(body, 20, 20 + captured);
    }

    /** EPB: timestamp in the interface's units. */
    long timestamp() {
      ByteBuffer b = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
      return (Integer.toUnsignedLong(b.getInt(4)) << 32) | Integer.toUnsignedLong(b.getInt(8));
    }
  }

  static PcapngBlocks read(Path file) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    List<Block> blocks = new ArrayList<>();
    while (b.remaining() > 0) {
      int start = b.position();
      int type = b.getInt();
      int length = b.getInt();
      if (length % 4 != 0 || length < 12 || start + length > b.limit()) {
        throw new AssertionError("bad block length " + length + " at " + start);
      }
      byte[] body = new byte[length - 12];
      b.get(body);
      int trailer = b.getInt();
      if (trailer != length) {
        throw new AssertionError("trailing length " + trailer + " != " + length + " at " + start);
      }
      blocks.add(new Block(type, body));
    }
    return new PcapngBlocks(blocks);
  }

  List<Block> ofType(int type) {
    return blocks.stream().filter(b -> b.type() == type).toList();
  }

  String allSecrets() {
    StringBuilder s = new StringBuilder();
    ofType(Pcapng.DSB).forEach(b -> s.append(b.secrets()));
    return s.toString();
  }
}
