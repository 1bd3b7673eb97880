package io.ecapture.kafka.gateway;

import io.ecapture.kafka.gateway.GatewayStats.ClientStats;

/** {@link GatewayStats} as the JSON of {@code GET /status}. */
final class StatusJson {
  private StatusJson() {}

  static String render(GatewayStats s) {
    StringBuilder out = new StringBuilder(256 + 160 * s.clients().size());
    out.append("{\"parsedRecords\":").append(s.parsedRecords())
        .append(",\"logRecords\":").append(s.logRecords())
        .append(",\"undecodableRecords\":").append(s.undecodableRecords())
        .append(",\"truncatedPayloads\":").append(s.truncatedPayloads())
        .append(",\"framesSent\":").append(s.framesSent())
        .append(",\"framesDropped\":").append(s.framesDropped())
        .append(",\"connectionsAccepted\":").append(s.connectionsAccepted())
        .append(",\"handshakesRefused\":").append(s.handshakesRefused())
        .append(",\"malformedHandshakes\":").append(s.malformedHandshakes())
        .append(",\"replayedEvents\":").append(s.replayedEvents())
        .append(",\"assignedPartitions\":").append(s.assignedPartitions())
        .append(",\"consumerLag\":").append(s.consumerLag())
        .append(",\"clients\":[");
    for (int i = 0; i < s.clients().size(); i++) {
      ClientStats c = s.clients().get(i);
      out.append(i == 0 ? "" : ",")
          .append("{\"remote\":").append(quote(c.remote()))
          .append(",\"path\":").append(quote(c.path()))
          .append(",\"framesSent\":").append(c.framesSent())
          .append(",\"framesDropped\":").append(c.framesDropped())
          .append(",\"queuedFrames\":").append(c.queuedFrames())
          .append(",\"queuedBytes\":").append(c.queuedBytes())
          .append(",\"heartbeats\":").append(c.heartbeats())
          .append('}');
    }
    return out.append("]}").toString();
  }

  /** RFC 8259 section 7 string escaping. */
  static String quote(String s) {
    if (s == null) {
      return "null";
    }
    StringBuilder out = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }
}
