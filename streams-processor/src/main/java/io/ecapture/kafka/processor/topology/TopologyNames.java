package io.ecapture.kafka.processor.topology;

/** Names of the topology's nodes and store (stable: the store name is part of the changelog topic). */
public final class TopologyNames {
  public static final String SOURCE = "raw-source";
  public static final String PROCESSOR = "connection-processor";
  public static final String PARSED_SINK = "parsed-sink";
  public static final String DLQ_SINK = "dlq-sink";
  /** Changelog topic: {@code <application.id>-connection-state-changelog}. */
  public static final String STATE_STORE = "connection-state";

  private TopologyNames() {}
}
