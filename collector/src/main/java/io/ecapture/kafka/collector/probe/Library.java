package io.ecapture.kafka.collector.probe;

import io.ecapture.kafka.collector.control.LibraryStatus;
import io.ecapture.kafka.collector.control.SocketDiscoveryStatus;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A probed file.
 *
 * @param path where it was probed (for discovered files, through /proc/PID/root, or
 *     /proc/PID/map_files for a file deleted after it was mapped)
 * @param version its OpenSSL release ("unknown" when no version string was found)
 * @param keyCapture whether TLS keys are read from it (only for versions in {@link OpenSslOffsets})
 * @param discovered found by the /proc scan rather than configured
 * @param pids processes that mapped it at the last scan (discovered files only)
 * @param kind "openssl" or "boringssl" (key capture is always off for BoringSSL: other structs)
 * @param origin how it was found: "configured", "discovered" (the /proc scan), "installed" (the
 *     start-time scan of installed executables) or "exec" (examined when a process executed it)
 * @param socketDiscovery how the socket of its SSL calls is found (null: not decided)
 */
public record Library(Path path, String version, boolean keyCapture, boolean discovered, Set<Integer> pids, String kind,
    String origin, SocketDiscoveryStatus socketDiscovery) {
  public Library(Path path, String version, boolean keyCapture, boolean discovered, Set<Integer> pids) {
    this(path, version, keyCapture, discovered, pids, TlsLibraryKind.OPENSSL.label());
  }

  public Library(Path path, String version, boolean keyCapture, boolean discovered, Set<Integer> pids, String kind) {
    this(path, version, keyCapture, discovered, pids, kind, discovered ? ORIGIN_DISCOVERED : ORIGIN_CONFIGURED, null);
  }

  public static final String ORIGIN_CONFIGURED = "configured";
  public static final String ORIGIN_DISCOVERED = "discovered";
  public static final String ORIGIN_INSTALLED = "installed";
  public static final String ORIGIN_EXEC = "exec";

  /** How {@code /status} lists it. */
  public LibraryStatus status() {
    return new LibraryStatus(path.toString(), kind, version, keyCaptureText(),
        origin, List.copyOf(new TreeSet<>(pids)), socketDiscovery);
  }

  Library withSocketDiscovery(SocketDiscoveryStatus value) {
    return new Library(path, version, keyCapture, discovered, pids, kind, origin, value);
  }

  private String keyCaptureText() {
    if (keyCapture) {
      return "on";
    }
    return TlsLibraryKind.BORINGSSL.label().equals(kind)
        ? "off: BoringSSL (struct layout unknown)"
        : "off: unsupported OpenSSL version";
  }

  Library withPids(Set<Integer> value) {
    return new Library(path, version, keyCapture, discovered, Set.copyOf(value), kind, origin, socketDiscovery);
  }
}
