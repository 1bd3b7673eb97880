package io.ecapture.kafka.forwarder.sink;

import java.time.Duration;

/**
 * Where formatted records go. {@link #accept} never blocks for long: a sink whose peer is away
 * buffers up to its bound and counts what overflows. The forwarder commits Kafka offsets only
 * after {@link #flush} said everything accepted so far was delivered (or counted as lost).
 */
public interface Sink extends AutoCloseable {
  /** Takes one record (called by the forwarder's one consumer thread). */
  void accept(Item item);

  /**
   * Waits up to {@code timeout} until every record accepted so far is written (file: forced to
   * disk; TCP/WebSocket: handed to the socket; HTTP: answered 2xx) or counted as dropped or
   * overflow.
   *
   * @return false when records are still pending (peer away, retries running)
   */
  boolean flush(Duration timeout);

  /**
   * The highest {@link Item#seq} such that it and every record before it are done: delivered
   * (file: forced to disk; TCP/WebSocket: handed to the socket; HTTP: answered 2xx) or counted as
   * dropped or overflow. The forwarder commits the offsets up to that record. Never blocks long
   * (the file sink forces the file to disk here). 0 before the first record.
   */
  long doneThrough();

  SinkCounters counters();

  /** The target as status pages show it (credentials in URLs masked). */
  String describe();

  @Override
  void close();
}
