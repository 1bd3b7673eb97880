package io.ecapture.kafka.bpf;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The BPF objects this module compiles (clang, CO-RE) and packages as classpath resources.
 *
 * <p>libbpf opens objects from files, so {@link #extract} copies one to a private temporary file.
 */
public enum BpfObjects {
  /** uprobes on OpenSSL SSL_read/SSL_write(_ex) + socket/TCP tracepoints; see tlscapture.h. */
  TLSCAPTURE("tlscapture.bpf.o"),
  /** Count-only entry/return probes: the uprobe-trap floor of the overhead benchmark. */
  BARETRAPS("baretraps.bpf.o"),
  /** TC clsact classifiers copying frames of TLS flows; see packets.h. */
  PACKETS("packets.bpf.o"),
  /** sched_process_exec: reports (and holds) executables not examined yet; see exec_watch.h. */
  EXEC_WATCH("exec_watch.bpf.o"),
  /** uprobes on Go crypto/tls (register ABI, RET probes); records into TLSCAPTURE's ring; see gotls.h. */
  GOTLS("gotls.bpf.o"),
  /** uprobes of the capture modules beyond OpenSSL (GnuTLS, NSS, bash, zsh, MySQL, PostgreSQL); see modules.h. */
  MODULES("modules.bpf.o"),
  /** Not a BPF object: the native hold guard of the exec watch (src/main/native/hold_guard.c, x86-64). */
  HOLD_GUARD("hold_guard");

  private final String fileName;

  BpfObjects(String fileName) {
    this.fileName = fileName;
  }

  /** Resource path of the object inside the bpf jar. */
  public String resourcePath() {
    return "/io/ecapture/kafka/bpf/" + fileName;
  }

  /**
   * Copies the object into {@code directory} and returns the file.
   *
   * @throws UncheckedIOException if the resource is missing (bpf module built without clang) or
   *     cannot be written
   */
  public Path extract(Path directory) {
    try (InputStream in = BpfObjects.class.getResourceAsStream(resourcePath())) {
      if (in == null) {
        throw new IOException("BPF object " + resourcePath() + " not on the classpath");
      }
      Path target = directory.resolve(fileName);
      Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot extract BPF object " + fileName, e);
    }
  }
}
