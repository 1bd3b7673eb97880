package io.ecapture.kafka.collector.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.Collector;
import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.PythonHttpsServer;
import io.ecapture.kafka.collector.TlsTestServer;
import io.ecapture.kafka.collector.sink.RecordingSink;
import io.ecapture.kafka.proto.capture.AddressFamily;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Netty's OpenSSL provider runs BoringSSL statically linked into netty-tcnative, extracted at run
 * time to a randomly named (and then deleted) temp file whose SSL_read/SSL_write are LOCAL
 * symbols of .symtab only, driven over memory BIOs. Process discovery must find that file in
 * this JVM, probe it, and the capture must carry this JVM's pid, the socket fd and the 4-tuple.
 */
class BoringSslCaptureTest {
  private static final Duration WAIT = Duration.ofSeconds(15);

  @TempDir Path dir;

  @Test
  void nettyTcnativeBoringSslIsDiscoveredAndCaptured() throws Exception {
    EbpfEnvironment.requireEbpf();
    EbpfEnvironment.requireTool("python3");
    EbpfEnvironment.requireTool("openssl");
    // loads the tcnative library into this JVM
    assertTrue(OpenSsl.isAvailable(), "netty-tcnative loads: " + OpenSsl.unavailabilityCause());
    assertTrue(OpenSsl.versionString().contains("BoringSSL"), OpenSsl.versionString());
    SslContext context = SslContextBuilder.forClient()
        .sslProvider(SslProvider.OPENSSL)
        .trustManager(InsecureTrustManagerFactory.INSTANCE)
        .build();
    int pid = (int) ProcessHandle.current().pid();
    String marker = UUID.randomUUID().toString();
    RecordingSink sink = new RecordingSink();
    CollectorConfig config = CollectorConfig.builder().hostId("boringssl-host").statusPort(-1)
        .discoveryInterval(Duration.ofMillis(200)).build();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    try (TlsTestServer certificates = TlsTestServer.start(dir, false); // writes cert.pem and key.pem
        PythonHttpsServer server = new PythonHttpsServer(dir);
        Collector collector = Collector.start(config, stats -> sink)) {
      Library tcnative = awaitTcnativeProbed(collector, pid);
      assertEquals("boringssl", tcnative.kind(), tcnative.toString());
      assertFalse(tcnative.keyCapture(), "no key capture for BoringSSL");

      String body = get(group, context, server.port(), marker);
      assertTrue(body.contains("HTTP/1.1 200") && body.contains("path=/netty-" + marker), body);

      RawEvent request = first(sink, data(pid, Direction.WRITE, "x-marker: " + marker));
      RawEvent response = first(sink, data(pid, Direction.READ, "path=/netty-" + marker));
      assertTrue(request.getData().getTlsLibrary().startsWith("boringssl "), request.getData().getTlsLibrary());
      assertEquals(AddressFamily.INET, request.getTuple().getFamily(), request.toString());
      assertEquals(server.port(), request.getTuple().getDstPort(), "the client's remote port is the server's");
      assertNotEquals(0, request.getTuple().getSrcPort(), "a real ephemeral port");
      assertTrue(request.getFd() > 2, "a real socket fd: " + request.getFd());
      assertEquals(request.getTuple(), response.getTuple(), "response on the same socket");
      assertEquals(request.getFd(), response.getFd());
      assertEquals(request.getConnectionId(), response.getConnectionId(), "one connection");
      assertEquals(0, request.getData().getOffset(), "the request is the first byte written");
      RawEvent served = first(sink, e -> e.getProcess().getPid() == server.pid() && e.hasData()
          && e.getData().getDirection() == Direction.READ
          && e.getData().getPayload().toString(StandardCharsets.UTF_8).contains("x-marker: " + marker));
      assertEquals(request.getTuple().getSrcAddr(), served.getTuple().getDstAddr(), "the server sees the client's end");
      assertEquals(request.getTuple().getSrcPort(), served.getTuple().getDstPort());
      assertEquals(request.getTuple().getDstAddr(), served.getTuple().getSrcAddr());

      List<RawEvent> reads = sink.events.stream()
          .filter(e -> e.hasData() && e.getConnectionId().equals(request.getConnectionId())
              && e.getData().getDirection() == Direction.READ)
          .toList();
      assertEquals(0, reads.getFirst().getData().getOffset(), "the response starts at offset 0");
      assertEquals(reads.stream().sorted(Comparator.comparingLong(e -> e.getData().getOffset())).toList(), reads,
          "reads in offset order");
      long expected = 0;
      StringBuilder captured = new StringBuilder();
      for (RawEvent read : reads) {
        assertEquals(expected, read.getData().getOffset(), "contiguous read offsets");
        expected += read.getData().getPayload().size();
        captured.append(read.getData().getPayload().toString(StandardCharsets.UTF_8));
      }
      assertEquals(body, captured.toString(), "the captured response is what Netty decrypted");
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  /** One HTTP/1.1 GET over a fresh Netty TLS connection; returns the raw response once it is complete. */
  private static String get(EventLoopGroup group, SslContext context, int port, String marker) throws Exception {
    CompletableFuture<String> response = new CompletableFuture<>();
    StringBuilder received = new StringBuilder();
    String expectedBody = "path=/netty-" + marker;
    Channel channel = new Bootstrap().group(group).channel(NioSocketChannel.class)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(context.newHandler(ch.alloc(), "127.0.0.1", port));
            ch.pipeline().addLast(new SimpleChannelInboundHandler<ByteBuf>() {
              @Override
              protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                received.append(msg.toString(StandardCharsets.UTF_8));
                if (received.toString().endsWith(expectedBody)) {
                  response.complete(received.toString());
                }
              }

              @Override
              public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                response.completeExceptionally(cause);
              }
            });
          }
        })
        .connect("127.0.0.1", port).sync().channel();
    try {
      String request = "GET /netty-" + marker + " HTTP/1.1\r\nHost: 127.0.0.1\r\nx-marker: " + marker + "\r\n\r\n";
      channel.writeAndFlush(Unpooled.copiedBuffer(request, StandardCharsets.US_ASCII)).sync();
      return response.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    } finally {
      channel.close().sync();
    }
  }

  /** Polls until discovery probed the tcnative library mapped by this JVM. */
  private static Library awaitTcnativeProbed(Collector collector, int pid) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      for (Library library : collector.libraries()) {
        if (library.discovered() && library.pids().contains(pid) && library.kind().equals("boringssl")) {
          return library;
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("tcnative not probed in pid " + pid + ": " + collector.libraries());
  }

  private static Predicate<RawEvent> data(int pid, Direction direction, String text) {
    return e -> e.getProcess().getPid() == pid && e.hasData() && e.getData().getDirection() == direction
        && e.getData().getPayload().toString(StandardCharsets.UTF_8).contains(text);
  }

  private static RawEvent first(RecordingSink sink, Predicate<RawEvent> matching) throws InterruptedException {
    return sink.awaitEvents(matching, WAIT).stream().findFirst()
        .orElseThrow(() -> new AssertionError("not captured; events: " + sink.events.size()));
  }
}
