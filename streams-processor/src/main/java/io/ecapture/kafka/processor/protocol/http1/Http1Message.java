package io.ecapture.kafka.processor.protocol.http1;

import java.util.List;

/**
 * One parsed HTTP/1.x request or response.
 *
 * @param request true for a request, false for a response
 * @param method request method ("" on responses)
 * @param target request target ("" on responses)
 * @param version "HTTP/1.0" or "HTTP/1.1"
 * @param status response status (0 on requests)
 * @param reason response reason phrase ("" on requests)
 * @param headers header fields then trailer fields, in wire order
 * @param body the message body with transfer coding removed, at most the body limit
 * @param bodyTruncated bytes of the body are missing (limit, idle flush or close mid-body)
 * @param bodyOriginalLength body length on the wire after de-chunking (Content-Length when known)
 */
public record Http1Message(
    boolean request,
    String method,
    String target,
    String version,
    int status,
    String reason,
    List<HeaderField> headers,
    byte[] body,
    boolean bodyTruncated,
    long bodyOriginalLength) {

  /** First value of a header, case-insensitive, or null. */
  public String header(String name) {
    for (HeaderField field : headers) {
      if (field.name().equalsIgnoreCase(name)) {
        return field.value();
      }
    }
    return null;
  }

  /** The request or status line without CRLF. */
  public String startLine() {
    if (request) {
      return method + " " + target + " " + version;
    }
    return reason.isEmpty() ? version + " " + status : version + " " + status + " " + reason;
  }

  /** 1xx responses are interim: the final response to the same request follows. */
  public boolean interim() {
    return !request && status >= 100 && status < 200;
  }
}
