package io.ecapture.kafka.embedded;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Entry point of the child JVM that {@link BrokerProcess} starts:
 * DATA_DIR HOST PORT CONTROLLER_PORT READY_FILE.
 *
 * <p>Its stdin is a pipe whose other end only the parent holds: end-of-file there means the
 * parent is gone (even by SIGKILL, which it cannot trap), and the broker stops at once: cleanly
 * when it can, halted after {@link #STOP_TIMEOUT_S} s when it cannot, so a restarted parent finds
 * the directory free within seconds. Watching stdin costs nothing while the parent lives (one
 * thread blocked in read(2)), unlike polling whether the parent is alive.
 */
public final class EmbeddedKafkaMain {
  /** Longest a clean stop may take after the parent went away. */
  static final int STOP_TIMEOUT_S = 10;

  private EmbeddedKafkaMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 5) {
      System.err.println("usage: EmbeddedKafkaMain DATA_DIR HOST PORT CONTROLLER_PORT READY_FILE");
      System.exit(2);
    }
    exitWhenParentGoes(System.in);
    EmbeddedKafka.runUntilStopped(
        new EmbeddedKafka.Settings(
            Path.of(args[0]), args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]),
            propertyOverrides(System.getProperties())),
        Path.of(args[4]),
        false); // the stdin watch above already ends this JVM with its parent, without polling
  }

  /**
   * Broker properties given as system properties {@code ecapture.broker.NAME=VALUE} (through
   * {@link BrokerProcess#JVM_OPTIONS_ENV}); they win over the defaults.
   */
  static Map<String, String> propertyOverrides(java.util.Properties system) {
    Map<String, String> overrides = new java.util.TreeMap<>();
    for (String name : system.stringPropertyNames()) {
      if (name.startsWith(PROPERTY_PREFIX) && name.length() > PROPERTY_PREFIX.length()) {
        overrides.put(name.substring(PROPERTY_PREFIX.length()), system.getProperty(name));
      }
    }
    return overrides;
  }

  static final String PROPERTY_PREFIX = "ecapture.broker.";

  /** Starts a daemon thread that ends this JVM once {@code parentPipe} reaches end-of-file. */
  static void exitWhenParentGoes(InputStream parentPipe) {
    Thread.ofPlatform().name("parent-watch").daemon().start(() -> {
      try {
        while (parentPipe.read() >= 0) {
          // the parent never writes; anything read is ignored
        }
      } catch (IOException e) {
        // a broken pipe means the same: the parent is gone
      }
      System.err.println("the parent process is gone (stdin closed): stopping the broker");
      Thread.ofPlatform().daemon().start(() -> {
        try {
          TimeUnit.SECONDS.sleep(STOP_TIMEOUT_S);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        System.err.println("the broker did not stop within " + STOP_TIMEOUT_S + " s: halting");
        Runtime.getRuntime().halt(1);
      });
      System.exit(0); // the shutdown hook closes the broker
    });
  }
}
