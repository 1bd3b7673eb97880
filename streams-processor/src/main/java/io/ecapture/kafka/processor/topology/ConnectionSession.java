package io.ecapture.kafka.processor.topology;

import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.processor.state.ProcessorConnectionState;
import io.ecapture.kafka.processor.state.ProcessorDirectionState;
import io.ecapture.kafka.processor.state.ProcessorPendingRequest;

/**
 * One connection's state while a record or a punctuation works on it: the mutable state builder,
 * request/response pairing, and where finished messages go.
 *
 * <p>Pairing: HTTP/1 answers requests in order (RFC 9112 §9.3.2), so requests wait in a FIFO and
 * each final response takes the oldest request sent in the other direction. Interim (1xx)
 * responses share the pair id without consuming the request.
 */
final class ConnectionSession {
  /** Requests without a response kept per connection; the oldest is dropped past it. */
  static final int MAX_PENDING_REQUESTS = 256;

  /** Receives every finished message. */
  interface MessageSink {
    void accept(String connectionId, ParsedMessage message);
  }

  private final String connectionId;
  private final ProcessorConnectionState.Builder state;
  private final MessageSink sink;

  ConnectionSession(String connectionId, ProcessorConnectionState.Builder state, MessageSink sink) {
    this.connectionId = connectionId;
    this.state = state;
    this.sink = sink;
  }

  String connectionId() {
    return connectionId;
  }

  ProcessorConnectionState.Builder state() {
    return state;
  }

  ProcessorDirectionState.Builder direction(Direction direction) {
    return direction == Direction.READ ? state.getReadBuilder() : state.getWriteBuilder();
  }

  /** Method of the request the next response in {@code responseDirection} answers, or null. */
  String methodAwaitingResponse(Direction responseDirection) {
    int index = oldestRequestOpposite(responseDirection);
    return index < 0 ? null : state.getPendingRequests(index).getMethod();
  }

  void emitRequest(ParsedMessage.Builder message, String method) {
    String pairId = connectionId + "#" + state.getNextPairSeq();
    state.setNextPairSeq(state.getNextPairSeq() + 1);
    if (state.getPendingRequestsCount() >= MAX_PENDING_REQUESTS) {
      state.removePendingRequests(0);
    }
    state.addPendingRequests(ProcessorPendingRequest.newBuilder()
        .setPairId(pairId)
        .setMethod(method)
        .setLastByteTimeNs(message.getLastByteTimeNs())
        .setDirection(message.getDirection()));
    sink.accept(connectionId, message.setPairId(pairId).build());
  }

  void emitResponse(ParsedMessage.Builder message, boolean interim) {
    int index = oldestRequestOpposite(message.getDirection());
    if (index >= 0) {
      ProcessorPendingRequest request = state.getPendingRequests(index);
      message.setPairId(request.getPairId());
      long latency = message.getFirstByteTimeNs() - request.getLastByteTimeNs();
      if (latency >= 0 && request.getLastByteTimeNs() > 0) {
        message.setLatencyNs(latency);
      }
      if (!interim) {
        state.removePendingRequests(index);
      }
    }
    sink.accept(connectionId, message.build());
  }

  /** A request whose response is found by {@code pairId} (HTTP/2: one per stream), not by order. */
  void emitKeyedRequest(ParsedMessage.Builder message, String method, String pairId) {
    if (state.getPendingRequestsCount() >= MAX_PENDING_REQUESTS) {
      state.removePendingRequests(0);
    }
    state.addPendingRequests(ProcessorPendingRequest.newBuilder()
        .setPairId(pairId)
        .setMethod(method)
        .setLastByteTimeNs(message.getLastByteTimeNs())
        .setDirection(message.getDirection()));
    sink.accept(connectionId, message.setPairId(pairId).build());
  }

  /** The response to the request emitted with {@code pairId}; latency when that request was seen. */
  void emitKeyedResponse(ParsedMessage.Builder message, String pairId, boolean interim) {
    message.setPairId(pairId);
    for (int i = 0; i < state.getPendingRequestsCount(); i++) {
      ProcessorPendingRequest request = state.getPendingRequests(i);
      if (request.getPairId().equals(pairId)) {
        long latency = message.getFirstByteTimeNs() - request.getLastByteTimeNs();
        if (latency >= 0 && request.getLastByteTimeNs() > 0) {
          message.setLatencyNs(latency);
        }
        if (!interim) {
          state.removePendingRequests(i);
        }
        break;
      }
    }
    sink.accept(connectionId, message.build());
  }

  void emitData(ParsedMessage.Builder message) {
    sink.accept(connectionId, message.build());
  }

  private int oldestRequestOpposite(Direction responseDirection) {
    for (int i = 0; i < state.getPendingRequestsCount(); i++) {
      if (state.getPendingRequests(i).getDirection() != responseDirection) {
        return i;
      }
    }
    return -1;
  }
}
