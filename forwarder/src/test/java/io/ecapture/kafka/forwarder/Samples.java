package io.ecapture.kafka.forwarder;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.proto.capture.AddressFamily;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.LogLevel;
import io.ecapture.kafka.proto.capture.ProcessLog;
import io.ecapture.kafka.proto.parsed.Endpoint;
import io.ecapture.kafka.proto.parsed.Header;
import io.ecapture.kafka.proto.parsed.HttpFields;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;
import java.nio.charset.StandardCharsets;

/** Parsed messages shaped as the processor writes them for a curl request and its response. */
public final class Samples {
  private Samples() {}

  /** An HTTP/1.1 GET by curl (pid 4242 on host {@code host}) carrying {@code X-Marker: marker}. */
  public static ParsedMessage request(String host, String marker) {
    String rendered = "GET /items?id=7 HTTP/1.1\r\nHost: api.example.test:8443\r\nUser-Agent: curl/7.88.1\r\n"
        + "Accept: */*\r\nX-Marker: " + marker + "\r\n\r\n";
    return ParsedMessage.newBuilder()
        .setConnectionId(host + "/4242/5/123456789")
        .setHostId(host).setPid(4242).setTid(4242).setComm("curl").setFd(5)
        .setFamily(AddressFamily.INET)
        .setSrc(Endpoint.newBuilder().setIp("127.0.0.1").setPort(51334))
        .setDst(Endpoint.newBuilder().setIp("127.0.0.1").setPort(8443))
        .setProtocol(Protocol.HTTP1).setDirection(Direction.WRITE).setKind(MessageKind.REQUEST)
        .setHttp(HttpFields.newBuilder().setVersion("HTTP/1.1").setMethod("GET").setPath("/items?id=7")
            .setAuthority("api.example.test:8443")
            .addHeaders(h("Host", "api.example.test:8443"))
            .addHeaders(h("User-Agent", "curl/7.88.1"))
            .addHeaders(h("Accept", "*/*"))
            .addHeaders(h("X-Marker", marker)))
        .setPairId("pair-" + marker)
        .setFirstByteTimeNs(1_765_000_000_123_456_789L).setLastByteTimeNs(1_765_000_000_123_556_789L)
        .setLength(rendered.length())
        .setRendered(ByteString.copyFrom(rendered, StandardCharsets.UTF_8))
        .build();
  }

  /** A POST with a JSON body. */
  public static ParsedMessage post(String host, String marker, String body) {
    ParsedMessage get = request(host, marker);
    return get.toBuilder()
        .setHttp(get.getHttp().toBuilder().setMethod("POST").setPath("/submit")
            .addHeaders(h("Content-Type", "application/json"))
            .addHeaders(h("Content-Length", Integer.toString(body.length())))
            .setBody(ByteString.copyFromUtf8(body)))
        .build();
  }

  /** The 200 response to {@link #request}. */
  public static ParsedMessage response(String host, String marker) {
    String rendered = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok";
    return request(host, marker).toBuilder()
        .setDirection(Direction.READ).setKind(MessageKind.RESPONSE)
        .setHttp(HttpFields.newBuilder().setVersion("HTTP/1.1").setStatus(200).setReason("OK")
            .addHeaders(h("Content-Type", "text/plain")).setBody(ByteString.copyFromUtf8("ok")))
        .setLatencyNs(1_200_000)
        .setRendered(ByteString.copyFrom(rendered, StandardCharsets.UTF_8))
        .build();
  }

  /** Undecoded binary data. */
  public static ParsedMessage binary(String host) {
    byte[] raw = new byte[40];
    for (int i = 0; i < raw.length; i++) {
      raw[i] = (byte) (i * 7);
    }
    return request(host, "bin").toBuilder().clearHttp().clearRendered()
        .setProtocol(Protocol.PROTOCOL_UNKNOWN).setKind(MessageKind.DATA)
        .setRaw(ByteString.copyFrom(raw)).build();
  }

  public static ProcessLog log(String host, String message) {
    return ProcessLog.newBuilder().setHostId(host).setComponent("collector")
        .setWallTimeNs(1_765_000_000_000_000_000L).setLevel(LogLevel.WARN).setMessage(message).build();
  }

  private static Header h(String name, String value) {
    return Header.newBuilder().setName(name).setValue(value).build();
  }
}
