package io.ecapture.kafka.collector.control;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/**
 * One probed file as {@code /status} lists it under {@code libraries}.
 *
 * @param path where it was probed (any characters: JSON-escaped when written)
 * @param kind {@code openssl} or {@code boringssl}
 * @param version its OpenSSL release, {@code unknown} when no version string was found
 * @param keyCapture {@code on}, or {@code off: } and why
 * @param origin {@code configured}, {@code discovered} (the /proc scan), {@code installed} (the start-time
 *     scan of installed executables) or {@code exec} (examined when a process executed it)
 * @param pids processes that mapped it at the last scan, ascending (discovered files only)
 * @param socketDiscovery how the socket of its SSL calls is found, and why (null: not known)
 */
@JsonPropertyOrder({"path", "kind", "version", "keyCapture", "origin", "pids", "socketDiscovery"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LibraryStatus(
    String path, String kind, String version, String keyCapture, String origin, List<Integer> pids,
    SocketDiscoveryStatus socketDiscovery) {
  public LibraryStatus {
    pids = List.copyOf(pids);
  }

  public LibraryStatus(String path, String kind, String version, String keyCapture, String origin, List<Integer> pids) {
    this(path, kind, version, keyCapture, origin, pids, null);
  }
}
