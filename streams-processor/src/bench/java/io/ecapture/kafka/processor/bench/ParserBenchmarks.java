package io.ecapture.kafka.processor.bench;

import io.ecapture.kafka.processor.ProcessorLimits;
import io.ecapture.kafka.processor.protocol.ParseContext;
import io.ecapture.kafka.processor.protocol.ParseResult;
import io.ecapture.kafka.processor.protocol.grpc.GrpcFrameParser;
import io.ecapture.kafka.processor.protocol.http.BodyDecoder;
import io.ecapture.kafka.processor.protocol.http1.Http1Parser;
import io.ecapture.kafka.processor.protocol.http2.Http2FrameParser;
import io.ecapture.kafka.processor.protocol.websocket.MessageInflater;
import io.ecapture.kafka.processor.protocol.db.DbWire.My;
import io.ecapture.kafka.processor.protocol.db.DbWire.Pg;
import io.ecapture.kafka.processor.protocol.db.DbWire.Resp;
import io.ecapture.kafka.processor.protocol.mysql.MysqlParser;
import io.ecapture.kafka.processor.protocol.postgres.PgParser;
import io.ecapture.kafka.processor.protocol.redis.RespParser;
import io.ecapture.kafka.processor.protocol.websocket.WebSocketFrameParser;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Exception;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.Deflater;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Per-parser throughput. Each benchmark parses a whole input of many messages; the
 * {@code bytes} counter gives input bytes per second (divide by 1e6 for MB/s).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ParserBenchmarks {
  private static final ProcessorLimits LIMITS = ProcessorLimits.defaults();

  /** Input bytes consumed, reported by JMH as a rate. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class Bytes {
    public long bytes;

    @Setup(Level.Iteration)
    public void clear() {
      bytes = 0;
    }
  }

  @State(Scope.Benchmark)
  public static class Inputs {
    byte[] http1;
    byte[] http2;
    List<byte[]> hpackBlocks;
    long hpackBytes;
    byte[] webSocket;
    List<byte[]> deflated;
    long deflatedBytes;
    byte[] grpc;
    byte[] gzipBody;
    final Http1Parser http1Parser = new Http1Parser(LIMITS);
    final Http2FrameParser http2Parser = new Http2FrameParser(LIMITS.maxHttp2FrameBytes(), LIMITS.maxBodyBytes());
    final WebSocketFrameParser webSocketParser = new WebSocketFrameParser(LIMITS.maxBodyBytes());
    final GrpcFrameParser grpcParser =
        new GrpcFrameParser(LIMITS.maxBodyBytes(), LIMITS.maxGrpcMessages());
    final BodyDecoder bodyDecoder = new BodyDecoder(LIMITS.maxBodyBytes());
    byte[] postgres;
    byte[] mysql;
    byte[] redis;
    final PgParser postgresParser = new PgParser(LIMITS.maxBodyBytes());
    final MysqlParser mysqlParser = new MysqlParser(LIMITS.maxBodyBytes());
    final RespParser redisParser = new RespParser();

    @Setup
    public void build() throws Exception {
      Random random = new Random(1);
      ByteArrayOutputStream h1 = new ByteArrayOutputStream();
      for (int i = 0; i < 200; i++) {
        h1.writeBytes(("GET /api/v1/items/" + i + "?page=2 HTTP/1.1\r\nHost: api.example.test\r\n"
            + "User-Agent: bench/1.0\r\nAccept: application/json\r\nAccept-Encoding: gzip\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
        byte[] body = new byte[1000 + random.nextInt(2000)];
        java.util.Arrays.fill(body, (byte) 'x');
        h1.writeBytes(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        h1.writeBytes(body);
      }
      http1 = h1.toByteArray();

      Workload.H2Writer writer = new Workload.H2Writer().preface().settings();
      DefaultHttp2HeadersEncoder encoder = new DefaultHttp2HeadersEncoder();
      hpackBlocks = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        DefaultHttp2Headers headers = new DefaultHttp2Headers();
        headers.method("GET").scheme("https").authority("api.example.test")
            .path("/v2/items/" + i).add("user-agent", "bench/1.0").add("accept-encoding", "gzip");
        writer.writer.writeHeaders(writer.ctx, 1 + 2 * i, headers, 0, false, writer.ctx.newPromise());
        writer.writer.writeData(writer.ctx, 1 + 2 * i, Unpooled.wrappedBuffer(new byte[2000]), 0, true,
            writer.ctx.newPromise());
        io.netty.buffer.ByteBuf block = Unpooled.buffer();
        encoder.encodeHeaders(1 + 2 * i, headers, block);
        byte[] bytes = new byte[block.readableBytes()];
        block.readBytes(bytes);
        block.release();
        hpackBlocks.add(bytes);
        hpackBytes += bytes.length;
      }
      http2 = writer.take();

      ByteArrayOutputStream ws = new ByteArrayOutputStream();
      byte[] mask = {1, 2, 3, 4};
      for (int i = 0; i < 500; i++) {
        int n = 126 + random.nextInt(1000); // 16-bit length form must be minimal (RFC 6455 §5.2)
        ws.write(0x81);
        ws.write(0x80 | 126);
        ws.write(n >>> 8);
        ws.write(n);
        ws.writeBytes(mask);
        byte[] payload = new byte[n];
        random.nextBytes(payload);
        ws.writeBytes(payload);
      }
      webSocket = ws.toByteArray();

      deflated = new ArrayList<>();
      Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
      for (int i = 0; i < 200; i++) {
        byte[] message = ("{\"event\":\"tick\",\"seq\":" + i + ",\"price\":" + random.nextInt(10000)
            + ",\"symbols\":[\"AAA\",\"BBB\",\"CCC\"]}").repeat(8).getBytes(StandardCharsets.UTF_8);
        deflater.setInput(message);
        byte[] out = new byte[message.length + 64];
        int len = deflater.deflate(out, 0, out.length, Deflater.SYNC_FLUSH);
        byte[] body = java.util.Arrays.copyOf(out, len - 4); // RFC 7692: drop 00 00 ff ff
        deflated.add(body);
        deflatedBytes += body.length;
      }
      deflater.end();

      ByteArrayOutputStream g = new ByteArrayOutputStream();
      for (int i = 0; i < 500; i++) {
        int n = 50 + random.nextInt(500);
        g.write(0);
        g.write(0);
        g.write(0);
        g.write(n >>> 8);
        g.write(n);
        g.writeBytes(new byte[n]);
      }
      grpc = g.toByteArray();
      byte[] json = ("{\"items\":[" + "{\"id\":1,\"name\":\"item\",\"tags\":[\"a\",\"b\"]},".repeat(300)
          + "{}]}").getBytes(StandardCharsets.UTF_8);
      gzipBody = Workload.gzip(json);
      ByteArrayOutputStream pg = new ByteArrayOutputStream();
      ByteArrayOutputStream my = new ByteArrayOutputStream();
      String[][] rows = new String[10][];
      for (int r = 0; r < rows.length; r++) {
        rows[r] = new String[] {Integer.toString(r), "name-" + r, "2026-01-01 00:00:00"};
      }
      for (int i = 0; i < 200; i++) {
        pg.writeBytes(Pg.rowDescription("id", "name", "created"));
        for (String[] row : rows) {
          pg.writeBytes(Pg.dataRow(row));
        }
        pg.writeBytes(Pg.complete("SELECT 10"));
        pg.writeBytes(Pg.ready());
        my.writeBytes(My.resultSet(1, true, new String[] {"id", "name", "created"}, rows));
      }
      postgres = pg.toByteArray();
      mysql = my.toByteArray();
      ByteArrayOutputStream rd = new ByteArrayOutputStream();
      for (int i = 0; i < 500; i++) {
        rd.writeBytes(Resp.command("SET", "key:" + i, "v".repeat(100)));
      }
      redis = rd.toByteArray();
    }
  }

  @Benchmark
  public int http1(Inputs in, Bytes counter, Blackhole sink) {
    return loop(in.http1Parser::parse, in.http1, counter, sink);
  }

  @Benchmark
  public int http2Frames(Inputs in, Bytes counter, Blackhole sink) {
    return loop(in.http2Parser::parse, in.http2, counter, sink);
  }

  @Benchmark
  public int webSocketFrames(Inputs in, Bytes counter, Blackhole sink) {
    return loop(in.webSocketParser::parse, in.webSocket, counter, sink);
  }

  /** A PostgreSQL server's answers: 200 x (RowDescription, 10 DataRows, CommandComplete, Z). */
  @Benchmark
  public int postgresMessages(Inputs in, Bytes counter, Blackhole sink) {
    return loop(in.postgresParser::parse, in.postgres, counter, sink);
  }

  /** A MySQL server's answers: 200 text result sets of 10 rows (CLIENT_DEPRECATE_EOF). */
  @Benchmark
  public int mysqlPackets(Inputs in, Bytes counter, Blackhole sink) {
    return loop(in.mysqlParser::parse, in.mysql, counter, sink);
  }

  /** A Redis pipeline: 500 SET commands with 100-byte values. */
  @Benchmark
  public int redisCommands(Inputs in, Bytes counter, Blackhole sink) {
    return loop(in.redisParser::parse, in.redis, counter, sink);
  }

  @Benchmark
  public int grpcMessages(Inputs in, Bytes counter, Blackhole sink) {
    counter.bytes += in.grpc.length;
    GrpcFrameParser.Split split = in.grpcParser.split(in.grpc, true);
    split.frames().forEach(sink::consume); // keep the payload copies from being optimised away
    return split.frames().size();
  }

  /** One connection's worth of header blocks through a fresh dynamic table. */
  @Benchmark
  public int hpack(Inputs in, Bytes counter) throws Http2Exception {
    DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(false, 65536);
    int fields = 0;
    for (int i = 0; i < in.hpackBlocks.size(); i++) {
      fields += decoder.decodeHeaders(1 + 2 * i, Unpooled.wrappedBuffer(in.hpackBlocks.get(i))).size();
    }
    counter.bytes += in.hpackBytes;
    return fields;
  }

  /** permessage-deflate messages of one direction, context taken over. */
  @Benchmark
  public int webSocketInflate(Inputs in, Bytes counter) {
    int out = 0;
    try (MessageInflater inflater = new MessageInflater(LIMITS.maxBodyBytes(),
        (long) LIMITS.maxInflateFactor() * LIMITS.maxBodyBytes())) {
      for (byte[] message : in.deflated) {
        out += inflater.inflate(message, true, false).bytes().length;
      }
    }
    counter.bytes += in.deflatedBytes;
    return out;
  }

  @Benchmark
  public int gzipBody(Inputs in, Bytes counter) {
    counter.bytes += in.gzipBody.length;
    return in.bodyDecoder.decode("gzip", in.gzipBody).bytes().length;
  }

  interface Parse {
    ParseResult<?> parse(byte[] data, int from, int to, boolean atEnd, ParseContext context);
  }

  private static int loop(Parse parser, byte[] data, Bytes counter, Blackhole sink) {
    int pos = 0;
    int messages = 0;
    while (pos < data.length) {
      ParseResult<?> result = parser.parse(data, pos, data.length, false, ParseContext.NONE);
      if (result.consumed() <= 0) {
        throw new IllegalStateException("benchmark input did not parse at " + pos + ": " + result);
      }
      pos += result.consumed();
      sink.consume(result.message()); // the parsed message must exist, as in the processor
      messages++;
    }
    counter.bytes += data.length;
    return messages;
  }
}
