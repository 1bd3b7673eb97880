package io.ecapture.kafka.gateway;

import java.util.concurrent.atomic.LongAdder;

/**
 * Gateway-wide counters, written from the consumer, Jetty, replay and heartbeat threads and read
 * into {@link GatewayStats}. Each field is documented on the {@link GatewayStats} component of the
 * same name. Public for the gateway's sub-packages only; not API.
 */
public final class GatewayCounters {
  public final LongAdder parsedRecords = new LongAdder();
  public final LongAdder logRecords = new LongAdder();
  public final LongAdder undecodableRecords = new LongAdder();
  public final LongAdder truncatedPayloads = new LongAdder();
  public final LongAdder framesSent = new LongAdder();
  public final LongAdder framesDropped = new LongAdder();
  public final LongAdder connectionsAccepted = new LongAdder();
  public final LongAdder handshakesRefused = new LongAdder();
  public final LongAdder malformedHandshakes = new LongAdder();
  public final LongAdder replayedEvents = new LongAdder();
  public final LongAdder dispatchErrors = new LongAdder();
  public final LongAdder framesFailed = new LongAdder();
}
