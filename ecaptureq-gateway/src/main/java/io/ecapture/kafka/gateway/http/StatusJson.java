package io.ecapture.kafka.gateway.http;

import io.ecapture.kafka.common.Json;
import io.ecapture.kafka.gateway.GatewayStats;

/**
 * {@link GatewayStats} as the JSON of {@code GET /status}, written by Jackson ({@link Json}): one
 * object with the record's components in declaration order, {@code clients} an array of {@link
 * GatewayStats.ClientStats} objects. Client paths are redacted before they reach the stats.
 */
final class StatusJson {
  static final String CONTENT_TYPE = Json.CONTENT_TYPE;

  private StatusJson() {}

  static String render(GatewayStats stats) {
    return Json.write(stats);
  }
}
