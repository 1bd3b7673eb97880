package io.ecapture.kafka.forwarder.sink;

import static io.ecapture.kafka.forwarder.sink.TcpSinkTest.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.server.ServerWebSocketContainer;
import org.junit.jupiter.api.Test;

/** The WebSocket sink against a real WebSocket server (Jetty 12) on loopback. */
class WebSocketSinkTest {
  /** A WebSocket server keeping every text message and the API key header of each handshake. */
  static final class WsServer implements AutoCloseable {
    final List<String> texts = new CopyOnWriteArrayList<>();
    final List<String> binaries = new CopyOnWriteArrayList<>();
    final List<String> apiKeys = new CopyOnWriteArrayList<>();
    final Server server = new Server();
    final ServerConnector connector = new ServerConnector(server);

    WsServer(int port) throws Exception {
      connector.setHost("127.0.0.1");
      connector.setPort(port);
      connector.setReuseAddress(true);
      server.addConnector(connector);
      ServerWebSocketContainer container = ServerWebSocketContainer.ensure(server);
      server.setHandler(new Handler.Abstract() {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
          apiKeys.add(String.valueOf(request.getHeaders().get("X-Api-Key")));
          return container.upgrade((rq, rs, cb) -> new Endpoint(texts, binaries), request, response, callback);
        }
      });
      server.start();
    }

    int port() {
      return connector.getLocalPort();
    }

    @Override
    public void close() throws Exception {
      server.stop();
    }
  }

  /** Public: Jetty calls its methods through method handles. */
  public static final class Endpoint implements Session.Listener.AutoDemanding {
    private final List<String> texts;
    private final List<String> binaries;

    Endpoint(List<String> texts, List<String> binaries) {
      this.texts = texts;
      this.binaries = binaries;
    }

    @Override
    public void onWebSocketText(String message) {
      texts.add(message);
    }

    @Override
    public void onWebSocketBinary(ByteBuffer payload, org.eclipse.jetty.websocket.api.Callback callback) {
      byte[] b = new byte[payload.remaining()];
      payload.get(b);
      binaries.add(new String(b, StandardCharsets.ISO_8859_1));
      callback.succeed();
    }
  }

  private static Item message(int i) {
    return new Item(("{\"record\":\"event\",\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8), false, true, null, i);
  }

  @Test
  void sendsOneTextMessagePerRecordWithTheHeadersAndReconnectsWhenTheServerReturns() throws Exception {
    WsServer first = new WsServer(0);
    int port = first.port();
    try (WebSocketSink sink = new WebSocketSink(URI.create("ws://127.0.0.1:" + port + "/ingest"),
        Map.of("X-Api-Key", "k-123"), 1 << 20, Duration.ofSeconds(1), Duration.ofMillis(50), Duration.ofMillis(200),
        Duration.ofSeconds(5))) {
      for (int i = 1; i <= 5; i++) {
        sink.accept(message(i));
      }
      assertTrue(sink.flush(Duration.ofSeconds(60)));
      await(() -> first.texts.size() == 5, "5 messages");
      List<String> expected = new ArrayList<>();
      for (int i = 1; i <= 5; i++) {
        expected.add("{\"record\":\"event\",\"n\":" + i + "}");
      }
      assertEquals(expected, first.texts, "one text message per record, in order");
      assertEquals(List.of("k-123"), first.apiKeys);

      first.close(); // the server goes away
      await(() -> !sink.counters().connected(), "the sink to notice the close");
      for (int i = 6; i <= 8; i++) {
        sink.accept(message(i));
      }
      try (WsServer second = new WsServer(port)) {
        assertTrue(sink.flush(Duration.ofSeconds(60)));
        await(() -> second.texts.contains("{\"record\":\"event\",\"n\":8}"), "the records sent while away");
        assertTrue(second.texts.containsAll(List.of("{\"record\":\"event\",\"n\":6}", "{\"record\":\"event\",\"n\":7}")),
            second.texts.toString());
        assertTrue(sink.counters().reconnects.sum() >= 1);
        assertEquals(0, sink.counters().overflow.sum());
        assertEquals(8, sink.doneThrough());
      }
    }
  }
}
