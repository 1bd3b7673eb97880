package io.ecapture.kafka.collector.probe.gotls;

import io.ecapture.kafka.collector.libbpf.LibBpfException;
import io.ecapture.kafka.collector.probe.CaptureModule;
import io.ecapture.kafka.collector.probe.ModuleContext;
import io.ecapture.kafka.collector.probe.ModuleStatus;
import io.ecapture.kafka.collector.probe.TlsProbes;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * {@code gotls} in {@code --modules}: the {@link GoTlsModule} as a {@link CaptureModule}. Its
 * target counts as present whenever the module is on ({@link GoTlsConfig#enabled()}): Go programs
 * come and go, and its discovery probes the ones that start later. Its events go through
 * tlscapture's ring buffer (not {@link ModuleContext#events()}), decoded like OpenSSL's.
 */
public final class GoTlsCaptureModule implements CaptureModule {
  public static final String NAME = "gotls";

  private final TlsProbes probes;
  private final GoTlsConfig config;
  private final GoTlsModule.Naming naming;
  private final Duration discoveryInterval;
  private final LongSupplier events;
  private volatile GoTlsModule module;
  private volatile boolean started;
  private volatile String failure = "";

  /**
   * @param events Go data events decoded so far (the decoder counts them)
   */
  public GoTlsCaptureModule(TlsProbes probes, GoTlsConfig config, GoTlsModule.Naming naming,
      Duration discoveryInterval, LongSupplier events) {
    this.probes = probes;
    this.config = config;
    this.naming = naming;
    this.discoveryInterval = discoveryInterval;
    this.events = events;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public boolean targetPresent() {
    return config.enabled();
  }

  @Override
  public synchronized void start(ModuleContext context) {
    started = true;
    if (!config.enabled()) {
      failure = "off (--no-gotls)";
      return;
    }
    try {
      GoTlsModule loaded = GoTlsModule.start(probes, config.binaries(), naming, context.info(), context.warn());
      module = loaded;
      if (discoveryInterval.isZero()) {
        loaded.rescan();
      } else {
        loaded.startRescans(discoveryInterval);
      }
    } catch (LibBpfException | UncheckedIOException e) {
      failure = "not started: " + e.getMessage();
      context.warn().accept("Go crypto/tls module " + failure);
    }
  }

  @Override
  public ModuleStatus status() {
    GoTlsModule running = module;
    if (running == null) {
      return started && config.enabled()
          ? new ModuleStatus(NAME, true, false, List.of(), failure, 0)
          : ModuleStatus.disabled(NAME, started ? failure : "not selected by --modules");
    }
    List<String> where = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    for (GoTlsModule.BinaryStatus binary : running.status().binaries()) {
      for (String function : binary.attached()) {
        where.add(binary.path() + ":" + function);
      }
      if (!binary.error().isEmpty()) {
        problems.add(binary.path() + ": " + binary.error());
      }
    }
    String reason = where.isEmpty() && problems.isEmpty()
        ? "no Go binary probed yet (running Go programs are looked for every "
            + (discoveryInterval.isZero() ? "--gotls-binary only" : discoveryInterval.toSeconds() + " s") + ")"
        : String.join("; ", problems);
    return new ModuleStatus(NAME, true, !where.isEmpty(), where, reason, events.getAsLong());
  }

  /** Per binary: Go version, stripped or not, where offsets came from (/status {@code gotls}). */
  public GoTlsModule.Status details() {
    GoTlsModule running = module;
    return running == null ? new GoTlsModule.Status(false, List.of()) : running.status();
  }

  /** One discovery scan now; the number of binaries newly probed. */
  public int rescan() {
    GoTlsModule running = module;
    return running == null ? 0 : running.rescan();
  }

  @Override
  public synchronized void close() {
    GoTlsModule running = module;
    if (running != null) {
      running.close();
    }
  }
}
