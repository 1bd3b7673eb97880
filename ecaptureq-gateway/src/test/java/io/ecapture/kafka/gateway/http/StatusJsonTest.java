package io.ecapture.kafka.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.ecapture.kafka.common.Json;
import io.ecapture.kafka.gateway.GatewayStats;
import io.ecapture.kafka.gateway.GatewayStats.ClientStats;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusJsonTest {

  private static GatewayStats stats(ClientStats... clients) {
    return new GatewayStats(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 11, -1, 17, List.of(clients));
  }

  @Test
  void statusIsTheStatsRecordAsJsonWithTheNamesAndOrderItAlwaysHad() {
    String json = StatusJson.render(stats(new ClientStats("/127.0.0.1:5000", "/?pid=1", 12, 13, 14, 15, 16)));
    assertEquals("{\"parsedRecords\":1,\"logRecords\":2,\"undecodableRecords\":3,\"truncatedPayloads\":4,"
        + "\"framesSent\":5,\"framesDropped\":6,\"connectionsAccepted\":7,\"handshakesRefused\":8,"
        + "\"malformedHandshakes\":9,\"replayedEvents\":10,\"dispatchErrors\":12,\"framesFailed\":13,"
        + "\"assignedPartitions\":11,\"consumerLag\":-1,\"processLogDropped\":17,"
        + "\"clients\":[{\"remote\":\"/127.0.0.1:5000\",\"path\":\"/?pid=1\",\"framesSent\":12,"
        + "\"framesDropped\":13,\"queuedFrames\":14,\"queuedBytes\":15,\"heartbeats\":16}]}", json);
    assertEquals("{\"parsedRecords\":1,\"logRecords\":2,\"undecodableRecords\":3,\"truncatedPayloads\":4,"
        + "\"framesSent\":5,\"framesDropped\":6,\"connectionsAccepted\":7,\"handshakesRefused\":8,"
        + "\"malformedHandshakes\":9,\"replayedEvents\":10,\"dispatchErrors\":12,\"framesFailed\":13,"
        + "\"assignedPartitions\":11,\"consumerLag\":-1,\"processLogDropped\":17,"
        + "\"clients\":[]}", StatusJson.render(stats()));
  }

  @Test
  void quotesNewlinesAndControlCharactersInValuesStayValidJson() {
    // a client path is whatever the client sent (decoded where it was %-encoded)
    String path = "/?pname=a\"b\\c\nd\re\tf\u0000g\u001fh\u2028i€";
    JsonNode parsed = Json.tree(StatusJson.render(stats(new ClientStats("r\"\n", path, 0, 0, 0, 0, 0), new ClientStats(null, "", 0, 0, 0, 0, 0))));
    assertEquals(path, parsed.get("clients").get(0).get("path").asText());
    assertEquals("r\"\n", parsed.get("clients").get(0).get("remote").asText());
    assertEquals(true, parsed.get("clients").get(1).get("remote").isNull());
    assertEquals(2, parsed.get("clients").size());
  }
}
