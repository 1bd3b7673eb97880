package io.ecapture.kafka.processor.bench;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.processor.topology.OutboundBytes;
import io.ecapture.kafka.proto.capture.AddressFamily;
import io.ecapture.kafka.proto.capture.ConnectionClose;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.ProcessInfo;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.capture.TlsData;
import io.ecapture.kafka.proto.capture.Tuple;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Settings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/**
 * A realistic capture mix, as collector records ({@code ecapture.raw} values): 90% of the
 * connections are HTTP/1.1 keep-alive (GET/POST, JSON responses gzip-encoded, each side in 1-3
 * chunks), 10% HTTP/2 (bytes written by Netty's frame writer and HPACK encoder). Connections are
 * interleaved as many concurrent clients would be.
 */
public final class Workload {
  /** One input record: key and serialized RawEvent. */
  public record Item(String key, byte[] value) {}

  private Workload() {}

  public static List<Item> build(int connections, int exchangesPerConnection, long seed) {
    return build(connections, exchangesPerConnection, seed, "bench-host");
  }

  /**
   * As {@link #build(int, int, long)}, connection ids starting with {@code idPrefix}: copies with
   * other prefixes (and seeds) are other connections, so a topic can hold several.
   */
  public static List<Item> build(int connections, int exchangesPerConnection, long seed,
      String idPrefix) {
    return build(connections, exchangesPerConnection, seed, idPrefix, new ArrayList<>());
  }

  /**
   * As {@link #build(int, int, long, String)}, adding every gzip-encoded body of the workload
   * (as sent: compressed) to {@code gzipBodies}.
   */
  public static List<Item> build(int connections, int exchangesPerConnection, long seed,
      String idPrefix, List<byte[]> gzipBodies) {
    Random random = new Random(seed);
    List<List<Item>> perConnection = new ArrayList<>();
    for (int c = 0; c < connections; c++) {
      String id = idPrefix + "/" + (1000 + c) + "/7/1";
      perConnection.add(c % 10 == 9 ? http2(id, exchangesPerConnection, random, gzipBodies)
          : http1(id, exchangesPerConnection, random, gzipBodies));
    }
    // interleave: take the next record of a random still-active connection
    List<Item> out = new ArrayList<>();
    int[] next = new int[connections];
    List<Integer> active = new ArrayList<>();
    for (int c = 0; c < connections; c++) {
      active.add(c);
    }
    while (!active.isEmpty()) {
      int slot = random.nextInt(active.size());
      int c = active.get(slot);
      out.add(perConnection.get(c).get(next[c]++));
      if (next[c] == perConnection.get(c).size()) {
        active.set(slot, active.get(active.size() - 1));
        active.remove(active.size() - 1);
      }
    }
    return out;
  }

  public static long payloadBytes(List<Item> items) {
    long total = 0;
    for (Item item : items) {
      total += item.value().length;
    }
    return total;
  }

  private static List<Item> http1(String id, int exchanges, Random random,
      List<byte[]> gzipBodies) {
    List<Item> items = new ArrayList<>();
    long written = 0;
    long read = 0;
    for (int i = 0; i < exchanges; i++) {
      boolean post = random.nextInt(4) == 0;
      String body = post ? "{\"q\":\"" + "x".repeat(50 + random.nextInt(200)) + "\"}" : "";
      byte[] request = ((post ? "POST" : "GET") + " /api/v1/items/" + random.nextInt(100000)
          + "?page=" + i + " HTTP/1.1\r\nHost: api.example.test\r\nUser-Agent: bench/1.0\r\n"
          + "Accept: application/json\r\nAccept-Encoding: gzip\r\n"
          + (post ? "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n" : "")
          + "\r\n" + body).getBytes(StandardCharsets.ISO_8859_1);
      byte[] json = json(random);
      byte[] gz = gzip(json);
      gzipBodies.add(gz);
      byte[] head = ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
          + "Content-Length: " + gz.length + "\r\nCache-Control: no-store\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1);
      byte[] response = concat(head, gz);
      written = chunks(items, id, Direction.WRITE, written, request, random);
      read = chunks(items, id, Direction.READ, read, response, random);
    }
    items.add(close(id, read, written));
    return items;
  }

  private static List<Item> http2(String id, int exchanges, Random random,
      List<byte[]> gzipBodies) {
    List<Item> items = new ArrayList<>();
    H2Writer client = new H2Writer();
    H2Writer server = new H2Writer();
    long written = chunks(items, id, Direction.WRITE, 0,
        client.preface().settings().take(), random);
    long read = chunks(items, id, Direction.READ, 0, server.settings().take(), random);
    for (int i = 0; i < exchanges; i++) {
      int stream = 1 + 2 * i;
      client.writer.writeHeaders(client.ctx, stream, new DefaultHttp2Headers().method("GET")
          .scheme("https").authority("api.example.test").path("/v2/items/" + random.nextInt(100000))
          .add("user-agent", "bench/1.0").add("accept-encoding", "gzip"), 0, true, client.ctx.newPromise());
      written = chunks(items, id, Direction.WRITE, written, client.take(), random);
      byte[] gz = gzip(json(random));
      gzipBodies.add(gz);
      server.writer.writeHeaders(server.ctx, stream, new DefaultHttp2Headers().status("200")
          .add("content-type", "application/json").add("content-encoding", "gzip"), 0, false,
          server.ctx.newPromise());
      server.writer.writeData(server.ctx, stream, Unpooled.wrappedBuffer(gz), 0, true,
          server.ctx.newPromise());
      read = chunks(items, id, Direction.READ, read, server.take(), random);
    }
    items.add(close(id, read, written));
    return items;
  }

  /** A JSON document of 1-4 kB, like an API listing. */
  private static byte[] json(Random random) {
    StringBuilder out = new StringBuilder("{\"items\":[");
    int n = 10 + random.nextInt(30);
    for (int i = 0; i < n; i++) {
      out.append(i == 0 ? "" : ",").append("{\"id\":").append(random.nextInt(1_000_000))
          .append(",\"name\":\"item-").append(random.nextInt(1000))
          .append("\",\"price\":").append(random.nextInt(10000) / 100.0)
          .append(",\"tags\":[\"a\",\"b\",\"c\"]}");
    }
    return out.append("]}").toString().getBytes(StandardCharsets.UTF_8);
  }

  private static long chunks(List<Item> items, String id, Direction direction, long offset,
      byte[] bytes, Random random) {
    int pieces = 1 + random.nextInt(3);
    int from = 0;
    for (int p = 0; p < pieces && from < bytes.length; p++) {
      int to = p == pieces - 1 ? bytes.length : from + random.nextInt(bytes.length - from + 1);
      if (to == from) {
        continue;
      }
      items.add(data(id, direction, offset + from, java.util.Arrays.copyOfRange(bytes, from, to)));
      from = to;
    }
    if (from < bytes.length) {
      items.add(data(id, direction, offset + from, java.util.Arrays.copyOfRange(bytes, from, bytes.length)));
    }
    return offset + bytes.length;
  }

  private static Item data(String id, Direction direction, long offset, byte[] payload) {
    RawEvent event = base(id).setData(TlsData.newBuilder().setDirection(direction)
        .setOffset(offset).setPayload(ByteString.copyFrom(payload))
        .setOriginalLength(payload.length)).build();
    return new Item(id, event.toByteArray());
  }

  private static Item close(String id, long read, long written) {
    return new Item(id, base(id).setClose(ConnectionClose.newBuilder().setBytesRead(read)
        .setBytesWritten(written)).build().toByteArray());
  }

  private static RawEvent.Builder base(String id) {
    return RawEvent.newBuilder().setHostId("bench-host").setConnectionId(id)
        .setProcess(ProcessInfo.newBuilder().setPid(1000).setTid(1000).setComm("bench"))
        .setFd(7).setWallTimeNs(System.currentTimeMillis() * 1_000_000L)
        .setTuple(Tuple.newBuilder().setFamily(AddressFamily.INET)
            .setSrcAddr(ByteString.copyFrom(new byte[] {10, 0, 0, 1})).setSrcPort(40000)
            .setDstAddr(ByteString.copyFrom(new byte[] {10, 0, 0, 2})).setDstPort(443));
  }

  static byte[] gzip(byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** One endpoint's HTTP/2 bytes written by Netty (frame writer + HPACK encoder). */
  static final class H2Writer {
    final EmbeddedChannel channel = new EmbeddedChannel(new ChannelOutboundHandlerAdapter());
    final ChannelHandlerContext ctx = channel.pipeline().firstContext();
    final DefaultHttp2FrameWriter writer = new DefaultHttp2FrameWriter();

    H2Writer preface() {
      channel.write(Http2CodecUtil.connectionPrefaceBuf());
      return this;
    }

    H2Writer settings() {
      writer.writeSettings(ctx, new Http2Settings(), ctx.newPromise());
      return this;
    }

    byte[] take() {
      return OutboundBytes.drain(channel);
    }
  }
}
