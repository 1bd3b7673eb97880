package io.ecapture.kafka.forwarder.sink;

import static io.ecapture.kafka.forwarder.sink.TcpSinkTest.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.forwarder.Samples;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** http_proxy: captured requests re-sent through a local HTTP proxy (a recording one, as Burp's history). */
class HttpProxySinkTest {
  /** Reads each proxied request whole (head and Content-Length body) and answers 200. */
  static final class RecordingProxy implements AutoCloseable {
    final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    final List<String> requests = new CopyOnWriteArrayList<>();
    final Thread thread = Thread.ofPlatform().daemon().start(this::run);

    RecordingProxy() throws IOException {}

    private void run() {
      while (!server.isClosed()) {
        try (Socket s = server.accept()) {
          InputStream in = s.getInputStream();
          ByteArrayOutputStream head = new ByteArrayOutputStream();
          while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
              break;
            }
            head.write(c);
          }
          String h = head.toString(StandardCharsets.UTF_8);
          int length = 0;
          for (String line : h.split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
              length = Integer.parseInt(line.substring(15).strip());
            }
          }
          String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
          requests.add(h + body);
          s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
              .getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
          // closed
        }
      }
    }

    int port() {
      return server.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }

  @Test
  void resendsEachCapturedRequestThroughTheProxyInAbsoluteForm() throws Exception {
    ParsedMessage post = Samples.post("web-1", "burp-1", "{\"user\":\"alice\"}");
    assertTrue(HttpProxySink.proxyable(post));
    assertFalse(HttpProxySink.proxyable(Samples.response("web-1", "burp-1")), "responses are not re-sent");
    try (RecordingProxy proxy = new RecordingProxy();
        HttpProxySink sink = new HttpProxySink("127.0.0.1", proxy.port(), 1 << 20, 3, Duration.ofMillis(50),
            Duration.ofMillis(200), Duration.ofSeconds(10))) {
      sink.accept(new Item(HttpProxySink.request(post), false, false, post, 1));
      ParsedMessage get = Samples.request("web-1", "burp-2");
      sink.accept(new Item(HttpProxySink.request(get), false, false, get, 2));
      assertTrue(sink.flush(Duration.ofSeconds(60)));
      await(() -> proxy.requests.size() == 2, "two requests at the proxy");
      String first = proxy.requests.get(0);
      assertTrue(first.startsWith("POST https://api.example.test:8443/submit HTTP/1.1\r\n"), first);
      assertTrue(first.contains("\r\nHost: api.example.test:8443\r\n"), first);
      assertTrue(first.contains("\r\nX-Marker: burp-1\r\n"), first);
      assertTrue(first.contains("\r\nContent-Type: application/json\r\n"), first);
      assertTrue(first.contains("\r\nContent-Length: 16\r\n"), first);
      assertTrue(first.contains("\r\nX-Ecapture-Source: web-1 pid 4242 curl\r\n"), first);
      assertTrue(first.endsWith("\r\n\r\n{\"user\":\"alice\"}"), first);
      assertEquals(1, first.split("Content-Length", -1).length - 1, "the captured Content-Length is not repeated");
      assertTrue(proxy.requests.get(1).startsWith("GET https://api.example.test:8443/items?id=7 HTTP/1.1\r\n"));
      assertEquals(2, sink.counters().sent.sum());
    }
  }

  @Test
  void anUnreachableProxyIsRetriedThenCounted() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    ParsedMessage get = Samples.request("web-1", "lost");
    try (HttpProxySink sink = new HttpProxySink("127.0.0.1", port, 1 << 20, 3, Duration.ofMillis(20),
        Duration.ofMillis(50), Duration.ofSeconds(2))) {
      sink.accept(new Item(HttpProxySink.request(get), false, false, get, 1));
      assertTrue(sink.flush(Duration.ofSeconds(60)));
      assertEquals(1, sink.counters().dropped.sum());
      assertEquals(2, sink.counters().retries.sum(), "3 attempts");
      assertEquals(1, sink.doneThrough());
    }
  }
}
