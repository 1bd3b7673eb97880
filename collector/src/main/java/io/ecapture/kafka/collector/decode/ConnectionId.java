package io.ecapture.kafka.collector.decode;

/**
 * Connection ids, also the Kafka record key of {@code ecapture.raw}:
 * {@code <hostId>/<pid>/<fd>/<firstSeenKtimeNs>}.
 *
 * <p>Unique per host and socket lifetime: the kernel keys connections by socket and stamps each
 * with the monotonic time it was first seen, so a reused fd (or a reused socket address) gets a
 * new id. fd is -1 when no socket could be found behind the SSL object.
 */
public final class ConnectionId {
  public static String of(String hostId, long pid, int fd, long firstSeenKtimeNs) {
    return hostId + '/' + pid + '/' + fd + '/' + firstSeenKtimeNs;
  }

  private ConnectionId() {}
}
