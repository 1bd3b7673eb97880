package io.ecapture.kafka.gateway;

import java.util.concurrent.atomic.LongAdder;

/** Gateway-wide counters, written from the consumer, selector and heartbeat threads. */
final class GatewayCounters {
  final LongAdder parsedRecords = new LongAdder();
  final LongAdder logRecords = new LongAdder();
  final LongAdder undecodableRecords = new LongAdder();
  final LongAdder truncatedPayloads = new LongAdder();
  final LongAdder framesSent = new LongAdder();
  final LongAdder framesDropped = new LongAdder();
  final LongAdder connectionsAccepted = new LongAdder();
  final LongAdder handshakesRefused = new LongAdder();
  final LongAdder malformedHandshakes = new LongAdder();
  final LongAdder replayedEvents = new LongAdder();
}
