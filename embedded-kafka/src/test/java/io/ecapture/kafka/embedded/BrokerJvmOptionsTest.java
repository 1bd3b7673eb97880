package io.ecapture.kafka.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The child broker's extra JVM options and the broker properties they may carry. */
class BrokerJvmOptionsTest {
  @Test
  void extraOptionsAreSplitAtWhiteSpaceAndNoneWhenUnset() {
    assertEquals(List.of(), BrokerProcess.extraJvmOptions(null));
    assertEquals(List.of(), BrokerProcess.extraJvmOptions("  "));
    assertEquals(List.of("-XX:+UseSerialGC", "-Xmx512m", "-Decapture.broker.num.io.threads=2"),
        BrokerProcess.extraJvmOptions(" -XX:+UseSerialGC\t-Xmx512m  -Decapture.broker.num.io.threads=2 "));
  }

  @Test
  void prefixedSystemPropertiesBecomeBrokerPropertiesThatWinOverTheDefaults() {
    Properties system = new Properties();
    system.setProperty("ecapture.broker.num.io.threads", "3");
    system.setProperty("ecapture.broker.", "ignored: no name");
    system.setProperty("java.version", "25");
    Map<String, String> overrides = EmbeddedKafkaMain.propertyOverrides(system);
    assertEquals(Map.of("num.io.threads", "3"), overrides);
    Map<String, String> broker = EmbeddedKafka.brokerProperties(
        new EmbeddedKafka.Settings(Path.of("/tmp/x"), "127.0.0.1", 9092, 9093, overrides), Path.of("/tmp/x"));
    assertEquals("3", broker.get("num.io.threads"), "the override wins over the default of 2");
    assertEquals("1", broker.get("num.network.threads"), "the others keep their defaults");
  }
}
