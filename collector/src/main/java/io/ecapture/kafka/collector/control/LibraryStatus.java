package io.ecapture.kafka.collector.control;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/**
 * One probed file as {@code /status} lists it under {@code libraries}.
 *
 * @param path where it was probed (any characters: JSON-escaped when written)
 * @param kind {@code openssl} or {@code boringssl}
 * @param version its OpenSSL release, {@code unknown} when no version string was found
 * @param keyCapture {@code on}, or {@code off: } and why
 * @param origin {@code configured} or {@code discovered}
 * @param pids processes that mapped it at the last scan, ascending (discovered files only)
 */
@JsonPropertyOrder({"path", "kind", "version", "keyCapture", "origin", "pids"})
public record LibraryStatus(String path, String kind, String version, String keyCapture, String origin, List<Integer> pids) {
  public LibraryStatus {
    pids = List.copyOf(pids);
  }
}
