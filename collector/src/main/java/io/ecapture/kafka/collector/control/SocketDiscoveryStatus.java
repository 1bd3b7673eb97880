package io.ecapture.kafka.collector.control;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Map;

/**
 * How the socket of one library's SSL calls is found, as {@code /status} shows it under each
 * library's {@code socketDiscovery}.
 *
 * @param method {@code bio-fd} (the fd read from the SSL object's socket BIO in the entry probe,
 *     then fd to struct sock in the kernel), {@code socket-tracepoint} (a socket send/receive the
 *     calling thread makes during the call names the socket) or {@code syscall-fallback} (raw
 *     syscall tracepoints, kernels older than 6.3)
 * @param offsets bio-fd only: the byte offsets used (SSL rbio/wbio, BIO method, method type, BIO
 *     num, BIO next_bio, the SSL object type where it has one)
 * @param learnedFrom bio-fd only: where the offsets came from
 * @param why why this method (for bio-fd: what calls whose BIO is no socket use instead)
 */
@JsonPropertyOrder({"method", "offsets", "learnedFrom", "why"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SocketDiscoveryStatus(String method, Map<String, Integer> offsets, String learnedFrom, String why) {
  public SocketDiscoveryStatus {
    offsets = offsets == null ? null : Map.copyOf(offsets);
  }
}
