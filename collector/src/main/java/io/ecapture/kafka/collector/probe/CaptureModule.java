package io.ecapture.kafka.collector.probe;

/**
 * One capture module of the collector ({@code --modules}): what it probes, how it finds its
 * targets on the host, and what {@code /status} says about it. The OpenSSL path ({@code tls}) is
 * one; {@link UprobeModule} implements GnuTLS, NSS, bash, zsh, MySQL and PostgreSQL; a module with
 * its own BPF object (Go crypto/tls) implements this interface and is added to {@link
 * CaptureModules#create}.
 *
 * <p>Lifecycle: {@link #targetPresent} decides the default selection; {@link #start} attaches
 * (a missing or stripped target is no error: the module records why in its status); {@link
 * #close} detaches. Events go to {@link ModuleContext#events()}.
 */
public interface CaptureModule extends AutoCloseable {
  /** The name {@code --modules} selects it by (tls, gotls, gnutls, nss, bash, zsh, mysql, postgres). */
  String name();

  /** Whether what it probes exists on this host (the default {@code --modules} selection). */
  boolean targetPresent();

  /** Finds its targets and attaches; failures end up in {@link #status()}, never thrown. */
  void start(ModuleContext context);

  /** Enabled or not, attached where (paths, functions), or why not. */
  ModuleStatus status();

  /** Detaches; idempotent. */
  @Override
  void close();
}
