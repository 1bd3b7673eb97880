package io.ecapture.kafka.processor.protocol;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.common.IpAddresses;
import io.ecapture.kafka.processor.state.ProcessorConnectionState;
import io.ecapture.kafka.processor.state.ProcessorDirectionState;
import io.ecapture.kafka.processor.state.ProcessorPendingRequest;
import io.ecapture.kafka.proto.capture.Direction;
import io.ecapture.kafka.proto.capture.RawEvent;
import io.ecapture.kafka.proto.capture.Tuple;
import io.ecapture.kafka.proto.parsed.Endpoint;
import io.ecapture.kafka.proto.parsed.ParsedMessage;

/**
 * One connection while a record or a punctuation works on it, as protocols see it when they
 * stitch frames into messages: the mutable state (both directions), request/response pairing,
 * and where finished messages go.
 *
 * <p>Pairing: a request waits in a FIFO with its pair id until its response takes it. In-order
 * protocols (HTTP/1 answers requests in order, RFC 9112 §9.3.2) take the oldest request sent in
 * the other direction ({@link #emitResponse}); multiplexed ones find it by the pair id they chose
 * ({@link #emitKeyedResponse}, HTTP/2: one per stream). Interim responses (1xx) share the pair id
 * without consuming the request.
 */
public final class ConnectionSession {
  /** Receives every finished message. */
  public interface MessageSink {
    void accept(String connectionId, ParsedMessage message);
  }

  private final String connectionId;
  private final ProcessorConnectionState.Builder state;
  private final MessageSink sink;
  private final int maxPendingRequests;
  private final Runnable pendingDropped;

  /**
   * @param maxPendingRequests requests without a response kept; the oldest is dropped past it
   */
  public ConnectionSession(String connectionId, ProcessorConnectionState.Builder state,
      MessageSink sink, int maxPendingRequests) {
    this(connectionId, state, sink, maxPendingRequests, () -> {});
  }

  /**
   * @param maxPendingRequests requests without a response kept; the oldest is dropped past it
   * @param pendingDropped told each time a request is dropped that way (its response will carry
   *     no pair id)
   */
  public ConnectionSession(String connectionId, ProcessorConnectionState.Builder state,
      MessageSink sink, int maxPendingRequests, Runnable pendingDropped) {
    this.connectionId = connectionId;
    this.state = state;
    this.sink = sink;
    this.maxPendingRequests = maxPendingRequests;
    this.pendingDropped = pendingDropped;
  }

  public String connectionId() {
    return connectionId;
  }

  public ProcessorConnectionState.Builder state() {
    return state;
  }

  public ProcessorDirectionState.Builder direction(Direction direction) {
    return direction == Direction.READ ? state.getReadBuilder() : state.getWriteBuilder();
  }

  public static Direction opposite(Direction direction) {
    return direction == Direction.READ ? Direction.WRITE : Direction.READ;
  }

  /**
   * A message of this connection at {@code span}: identity (host, process, fd, addresses, and the
   * workload: cgroup, container, pod), direction, position and capture times filled in; protocol,
   * kind and content are the caller's.
   */
  public ParsedMessage.Builder newMessage(Span span) {
    RawEvent identity = state.getIdentity();
    ParsedMessage.Builder out = ParsedMessage.newBuilder()
        .setConnectionId(connectionId)
        .setHostId(identity.getHostId())
        .setPid(identity.getProcess().getPid())
        .setTid(identity.getProcess().getTid())
        .setComm(identity.getProcess().getComm())
        .setFd(identity.getFd())
        .setDirection(span.direction())
        .setStreamOffset(span.streamOffset())
        .setLength(span.length())
        .setFirstByteTimeNs(span.firstByteNs())
        .setLastByteTimeNs(span.lastByteNs())
        .setGapBefore(span.gapBefore());
    if (identity.hasTuple()) {
      Tuple tuple = identity.getTuple();
      out.setFamily(tuple.getFamily())
          .setSrc(endpoint(tuple.getSrcAddr(), tuple.getSrcPort()))
          .setDst(endpoint(tuple.getDstAddr(), tuple.getDstPort()));
    }
    if (identity.hasWorkload()) {
      out.setWorkload(identity.getWorkload());
    }
    return out;
  }

  /** Method of the request the next response in {@code responseDirection} answers, or null. */
  public String methodAwaitingResponse(Direction responseDirection) {
    int index = state.getDroppedUnanswered() > 0 ? -1 : oldestRequestOpposite(responseDirection);
    return index < 0 ? null : state.getPendingRequests(index).getMethod();
  }

  /**
   * The request the next response in {@code responseDirection} answers (in-order protocols), or
   * null when none waits.
   */
  public ProcessorPendingRequest requestAwaitingResponse(Direction responseDirection) {
    int index = state.getDroppedUnanswered() > 0 ? -1 : oldestRequestOpposite(responseDirection);
    return index < 0 ? null : state.getPendingRequests(index);
  }

  /** A fresh pair id for a request of an in-order protocol. */
  public String nextPairId() {
    String pairId = connectionId + "#" + state.getNextPairSeq();
    state.setNextPairSeq(state.getNextPairSeq() + 1);
    return pairId;
  }

  /** Emits a request and keeps it, under {@code pairId}, until its response is emitted. */
  public void emitRequest(ParsedMessage.Builder message, String method, String pairId) {
    emitRequest(message, method, pairId, "", "");
  }

  /**
   * {@link #emitRequest(ParsedMessage.Builder, String, String)} keeping what the response will
   * show of its request (database protocols: {@code summary} such as "QUERY select 1", and the
   * statement text).
   */
  public void emitRequest(ParsedMessage.Builder message, String method, String pairId,
      String summary, String statement) {
    if (state.getPendingRequestsCount() >= maxPendingRequests) {
      state.removePendingRequests(0);
      state.setDroppedUnanswered(state.getDroppedUnanswered() + 1);
      pendingDropped.run();
    }
    state.addPendingRequests(ProcessorPendingRequest.newBuilder()
        .setPairId(pairId)
        .setMethod(method)
        .setLastByteTimeNs(message.getLastByteTimeNs())
        .setDirection(message.getDirection())
        .setSummary(summary)
        .setStatement(statement)
        .build()); // kept as a message: the state's build at each commit reuses it
    sink.accept(connectionId, message.setPairId(pairId).build());
  }

  /**
   * Emits the response to the oldest request sent the other way (in-order protocols). While
   * requests dropped past the pending limit are unanswered, a final response answers one of them
   * (unpaired) instead, so later responses still meet their own requests (a Redis pipeline deeper
   * than the limit).
   */
  public void emitResponse(ParsedMessage.Builder message, boolean interim) {
    if (state.getDroppedUnanswered() > 0) {
      if (!interim) {
        state.setDroppedUnanswered(state.getDroppedUnanswered() - 1);
      }
    } else {
      answer(message, oldestRequestOpposite(message.getDirection()), interim);
    }
    sink.accept(connectionId, message.build());
  }

  /** Emits the response to the request emitted with {@code pairId} (multiplexed protocols). */
  public void emitKeyedResponse(ParsedMessage.Builder message, String pairId, boolean interim) {
    message.setPairId(pairId);
    for (int i = 0; i < state.getPendingRequestsCount(); i++) {
      if (state.getPendingRequests(i).getPairId().equals(pairId)) {
        answer(message, i, interim);
        break;
      }
    }
    sink.accept(connectionId, message.build());
  }

  /** Emits a message that is neither request nor response (data, frames, unknown bytes). */
  public void emitData(ParsedMessage.Builder message) {
    sink.accept(connectionId, message.build());
  }

  /** Pairs {@code message} with pending request {@code index} (if any): pair id and latency. */
  private void answer(ParsedMessage.Builder message, int index, boolean interim) {
    if (index < 0) {
      return;
    }
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

  private int oldestRequestOpposite(Direction responseDirection) {
    for (int i = 0; i < state.getPendingRequestsCount(); i++) {
      if (state.getPendingRequests(i).getDirection() != responseDirection) {
        return i;
      }
    }
    return -1;
  }

  /**
   * 4- or 16-byte network-order addresses as text (IPv6 in RFC 5952 form, {@code ::1}); anything
   * else becomes an empty ip.
   */
  static Endpoint endpoint(ByteString address, int port) {
    Endpoint.Builder endpoint = Endpoint.newBuilder().setPort(port);
    if (address.size() == 4 || address.size() == 16) {
      endpoint.setIp(IpAddresses.format(address.toByteArray()));
    }
    return endpoint.build();
  }
}
