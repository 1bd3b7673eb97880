package io.ecapture.kafka.common;

/**
 * How the pipeline's topics are laid out on a cluster: partitions, replicas per partition and
 * {@code min.insync.replicas}, in one place for {@code topics} and {@code up}. A replication
 * factor or minimum of 0 means "suited to the cluster found" ({@link #resolve}): one broker gives
 * 1/1, two brokers 2/1, three or more 3/2 (a write is acknowledged by two replicas, so one broker
 * may fail without losing or refusing writes).
 *
 * @param partitions partitions of every pipeline topic (the processor's and the gateway's
 *     parallelism); default {@value TopicSetup#DEFAULT_PARTITIONS}
 * @param replicationFactor replicas per partition; 0 = from the broker count (default)
 * @param minInsyncReplicas {@code min.insync.replicas} of every topic; 0 = from the replication
 *     factor (default): 2 from three replicas on, else 1
 */
public record TopicLayout(int partitions, short replicationFactor, int minInsyncReplicas) {
  /** Replication factor or minimum chosen from the cluster. */
  public static final int AUTO = 0;

  public TopicLayout {
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be >= 1: " + partitions);
    }
    if (replicationFactor < 0 || minInsyncReplicas < 0) {
      throw new IllegalArgumentException("replication factor and min.insync.replicas must be >= 1, or 0 for auto");
    }
    if (replicationFactor > 0 && minInsyncReplicas > replicationFactor) {
      throw new IllegalArgumentException("min.insync.replicas " + minInsyncReplicas
          + " above the replication factor " + replicationFactor + ": every write would be refused");
    }
  }

  /** {@link TopicSetup#DEFAULT_PARTITIONS} partitions, replication suited to the cluster. */
  public static TopicLayout defaults() {
    return new TopicLayout(TopicSetup.DEFAULT_PARTITIONS, (short) AUTO, AUTO);
  }

  /** {@code partitions} partitions, replication suited to the cluster. */
  public static TopicLayout auto(int partitions) {
    return new TopicLayout(partitions, (short) AUTO, AUTO);
  }

  /**
   * The layout for a cluster of {@code brokers} brokers, every 0 replaced.
   *
   * @throws IllegalArgumentException the replication factor asked for exceeds the brokers
   */
  public TopicLayout resolve(int brokers) {
    short rf = replicationFactor > 0 ? replicationFactor : (short) Math.max(1, Math.min(3, brokers));
    if (rf > brokers) {
      throw new IllegalArgumentException("replication factor " + rf + " needs " + rf
          + " brokers; the cluster has " + brokers);
    }
    int minIsr = minInsyncReplicas > 0 ? minInsyncReplicas : (rf >= 3 ? 2 : 1);
    return new TopicLayout(partitions, rf, minIsr);
  }

  /** Whether nothing is left to choose. */
  public boolean resolved() {
    return replicationFactor > 0 && minInsyncReplicas > 0;
  }

  @Override
  public String toString() {
    return partitions + " partitions, replication factor "
        + (replicationFactor > 0 ? replicationFactor : "auto") + ", min.insync.replicas "
        + (minInsyncReplicas > 0 ? minInsyncReplicas : "auto");
  }
}
