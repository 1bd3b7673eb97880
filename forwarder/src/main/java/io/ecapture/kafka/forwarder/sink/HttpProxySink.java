package io.ecapture.kafka.forwarder.sink;

import io.ecapture.kafka.common.IpAddresses;
import io.ecapture.kafka.proto.parsed.Header;
import io.ecapture.kafka.proto.parsed.HttpFields;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;

/**
 * {@code --format http_proxy} with an {@code http://HOST:PORT} target: every captured HTTP request
 * (HTTP/1 and HTTP/2, gRPC included) is sent again through that HTTP proxy, as eCapture's Burp
 * Suite integration does, so it shows in the proxy's history. The request goes in absolute form
 * ({@code GET https://AUTHORITY/PATH HTTP/1.1}: the captured traffic was TLS) with the captured
 * headers (hop-by-hop ones and HTTP/2 pseudo-headers left out; {@code Host} from the authority
 * when missing), the decoded body with its {@code Content-Length}, {@code Connection: close} and
 * {@code X-Ecapture-Source: HOST pid PID COMM}. The proxy then forwards it to the real server
 * (Burp's interception can hold it): this replays the request, side effects included.
 *
 * <p>Delivered = the proxy answered with an HTTP status line (any status: a 502 from the proxy
 * still put the request in its history). Connection errors are retried ({@code attempts} in all)
 * with backoff, then counted in {@code dropped}. Responses and non-HTTP events are not sent (the
 * forwarder counts them in {@code skipped}).
 */
public final class HttpProxySink extends QueuedSink {
  private static final Set<String> HOP_BY_HOP = Set.of("connection", "proxy-connection", "keep-alive",
      "transfer-encoding", "te", "trailer", "upgrade", "content-length", "proxy-authorization", "host");

  private final String host;
  private final int port;
  private final Duration timeout;

  public HttpProxySink(String host, int port, long bufferBytes, int attempts, Duration minBackoff, Duration maxBackoff,
      Duration timeout) {
    super("http_proxy " + host + ":" + port, bufferBytes, Duration.ZERO, attempts, minBackoff, maxBackoff);
    this.host = host;
    this.port = port;
    this.timeout = timeout;
    startWorker();
  }

  /** Whether {@code m} is a request this sink re-sends. */
  public static boolean proxyable(ParsedMessage m) {
    return m.getKind() == MessageKind.REQUEST && m.hasHttp() && !m.getHttp().getMethod().isEmpty();
  }

  /** The request as sent to the proxy. */
  public static byte[] request(ParsedMessage m) {
    HttpFields http = m.getHttp();
    String authority = http.getAuthority();
    String hostHeader = null;
    for (Header h : http.getHeadersList()) {
      if (h.getName().equalsIgnoreCase("host")) {
        hostHeader = h.getValue();
      }
    }
    if (authority.isEmpty()) {
      authority = hostHeader != null ? hostHeader
          : IpAddresses.withPort(IpAddresses.normalize(m.getDst().getIp()), m.getDst().getPort());
    }
    String path = http.getPath().isEmpty() ? "/" : http.getPath();
    String target = path.startsWith("http://") || path.startsWith("https://") ? path : "https://" + authority + path;
    StringBuilder head = new StringBuilder();
    head.append(http.getMethod()).append(' ').append(target).append(" HTTP/1.1\r\n");
    head.append("Host: ").append(hostHeader != null ? hostHeader : authority).append("\r\n");
    for (Header h : http.getHeadersList()) {
      String name = h.getName();
      if (name.startsWith(":") || HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT))
          || name.equalsIgnoreCase("content-encoding") && http.getBodyDecoded()) {
        continue;
      }
      head.append(name).append(": ").append(h.getValue().replace("\r", "").replace("\n", "")).append("\r\n");
    }
    head.append("Content-Length: ").append(http.getBody().size()).append("\r\n");
    head.append("Connection: close\r\n");
    head.append("X-Ecapture-Source: ").append(m.getHostId()).append(" pid ").append(Integer.toUnsignedString(m.getPid()))
        .append(' ').append(m.getComm()).append("\r\n\r\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream(head.length() + http.getBody().size());
    out.writeBytes(head.toString().getBytes(StandardCharsets.UTF_8));
    out.writeBytes(http.getBody().toByteArray());
    return out.toByteArray();
  }

  @Override
  protected boolean perRecord() {
    return true;
  }

  @Override
  protected void connect() {}

  @Override
  protected void send(Item item) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
      socket.setSoTimeout((int) timeout.toMillis());
      OutputStream out = socket.getOutputStream();
      out.write(item.bytes());
      out.flush();
      String status = statusLine(socket.getInputStream());
      if (!status.startsWith("HTTP/")) {
        throw new IOException("the proxy did not answer with HTTP: " + status);
      }
    }
  }

  private static String statusLine(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0 && c != '\n' && line.length() < 1024) {
      line.append((char) c);
    }
    return line.toString().strip();
  }

  @Override
  protected void disconnect() {}

  @Override
  public String describe() {
    return "http://" + host + ":" + port + " (http_proxy)";
  }
}
