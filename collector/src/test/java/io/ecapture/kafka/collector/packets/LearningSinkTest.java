package io.ecapture.kafka.collector.packets;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.sink.CaptureSink;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link LearningSink} wraps the collector's sink: it must pass on every method of {@link
 * CaptureSink}, also the default ones, or what a new default method delivers would silently stop
 * at the wrapper when the packets module is on.
 */
class LearningSinkTest {
  @Test
  void overridesEveryMethodOfCaptureSink() {
    List<String> missing = new ArrayList<>();
    for (Method m : CaptureSink.class.getMethods()) {
      if (Modifier.isStatic(m.getModifiers()) || m.getDeclaringClass() == Object.class) {
        continue;
      }
      try {
        Method own = LearningSink.class.getDeclaredMethod(m.getName(), m.getParameterTypes());
        if (own.getDeclaringClass() != LearningSink.class) {
          missing.add(m.toString());
        }
      } catch (NoSuchMethodException e) {
        missing.add(m.getName() + Arrays.toString(m.getParameterTypes()));
      }
    }
    assertTrue(missing.isEmpty(), "LearningSink does not pass on: " + missing);
  }
}
