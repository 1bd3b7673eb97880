package io.ecapture.kafka.gateway;

import io.ecapture.kafka.proto.ecaptureq.LogEntry;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A client over a bare socket that completes the RFC 6455 handshake and then reads only when
 * told to: the "slow client" whose unread data piles up at the gateway. A small receive buffer
 * makes the pile-up reach the gateway's queue quickly.
 */
public final class RawWsClient implements AutoCloseable {
  private final Socket socket = new Socket();
  private final DataInputStream in;

  private final String responseHead;

  public RawWsClient(int port, int receiveBufferBytes) throws IOException {
    this(port, receiveBufferBytes, "");
  }

  /** @param extraHeaders more request header lines, each ending in CRLF */
  RawWsClient(int port, int receiveBufferBytes, String extraHeaders) throws IOException {
    socket.setReceiveBufferSize(receiveBufferBytes);
    socket.setSoTimeout((int) WsClient.WAIT.toMillis());
    socket.connect(new InetSocketAddress("127.0.0.1", port));
    OutputStream out = socket.getOutputStream();
    out.write(
        ("GET / HTTP/1.1\r\n"
                + "Host: 127.0.0.1:" + port + "\r\n"
                + "Upgrade: websocket\r\n"
                + "Connection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n"
                + extraHeaders
                + "Origin: http://localhost/\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    out.flush();
    in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
    responseHead = readHeaderBlock();
    if (!responseHead.startsWith("HTTP/1.1 101")) {
      throw new IOException("handshake refused: " + responseHead);
    }
  }

  /** The status line and headers of the 101 response. */
  String responseHead() {
    return responseHead;
  }

  /**
   * Sends raw bytes on a fresh connection and returns what the server answered (its header block,
   * or everything until it closed); the probe for malformed handshakes.
   */
  static String exchange(int port, String request) throws IOException {
    try (Socket s = new Socket()) {
      s.setSoTimeout((int) WsClient.WAIT.toMillis());
      s.connect(new InetSocketAddress("127.0.0.1", port));
      s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();
      java.io.InputStream in = s.getInputStream();
      StringBuilder head = new StringBuilder();
      int b;
      while (!head.toString().endsWith("\r\n\r\n") && (b = in.read()) >= 0) {
        head.append((char) b);
      }
      return head.toString();
    }
  }

  private String readHeaderBlock() throws IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      head.append((char) in.readUnsignedByte());
    }
    return head.toString();
  }

  /** One data frame as received: whether RSV1 (compressed) was set, and its payload. */
  record Frame(boolean compressed, byte[] payload) {}

  /** Reads the next data frame (control frames skipped) and decodes it as a LogEntry. */
  public LogEntry next() throws IOException {
    Frame frame = nextFrame();
    if (frame.compressed()) {
      throw new IOException("compressed frame but no extension was negotiated");
    }
    return LogEntry.parseFrom(frame.payload());
  }

  /** Reads the next data frame, control frames skipped, payload left as sent. */
  Frame nextFrame() throws IOException {
    while (true) {
      int b0 = in.readUnsignedByte();
      int b1 = in.readUnsignedByte();
      if ((b0 & 0x80) == 0) {
        throw new IOException("gateway sent a fragmented frame");
      }
      if ((b1 & 0x80) != 0) {
        throw new IOException("server frames must not be masked (RFC 6455 5.1)");
      }
      long length = b1 & 0x7F;
      if (length == 126) {
        length = in.readUnsignedShort();
      } else if (length == 127) {
        length = in.readLong();
      }
      byte[] payload = new byte[Math.toIntExact(length)];
      in.readFully(payload);
      int opcode = b0 & 0x0F;
      if (opcode == 2) {
        return new Frame((b0 & 0x40) != 0, payload);
      }
      if (opcode == 8) {
        throw new IOException("gateway closed the connection");
      }
      if (opcode == 1) {
        throw new IOException("gateway sent a text frame");
      }
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
