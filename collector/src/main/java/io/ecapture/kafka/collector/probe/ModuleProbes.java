package io.ecapture.kafka.collector.probe;

import io.ecapture.kafka.bpf.BpfObjects;
import io.ecapture.kafka.collector.decode.ModuleEventDecoder;
import io.ecapture.kafka.collector.libbpf.BpfLink;
import io.ecapture.kafka.collector.libbpf.BpfObject;
import io.ecapture.kafka.collector.libbpf.LibBpf;
import io.ecapture.kafka.collector.libbpf.RingBufferReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The loaded modules BPF object (modules.bpf.c) shared by the {@link UprobeModule}s: its own ring
 * buffer "module_events", drained by its own thread into {@link ModuleEventDecoder}, and the
 * table "module_targets" (one entry per probed file, the uprobes' bpf_cookie).
 */
final class ModuleProbes implements AutoCloseable {
  static final String EVENTS_MAP = "module_events";
  static final String TARGETS_MAP = "module_targets";
  static final int MAX_TARGETS = 256;
  /**
   * tlscapture's maps the modules object uses as its own (reused by fd before load): the process
   * filter, so --pid/--uid/--comm/--cgroup/--netns and POST /config apply to every module as they
   * do to OpenSSL, and the kernel counters (filtered calls).
   */
  static final List<String> SHARED_MAPS = List.of("drop_counts", "capture_filter", "filter_pids", "filter_uids",
      "filter_comms", "filter_cgroups");
  private static final int POLL_MS = 200;

  private final BpfObject object;
  private final RingBufferReader ring;
  private final ModuleEventDecoder decoder;
  private final List<BpfLink> links = new ArrayList<>();
  private volatile boolean running = true;
  private int targets;

  private ModuleProbes(BpfObject object, ModuleContext context) {
    this.object = object;
    this.decoder = new ModuleEventDecoder(context.hostId(), context.clock(), context.workloads());
    this.ring = RingBufferReader.builder(object.mapFd(EVENTS_MAP), record -> {
      String keyLine = decoder.keyLogLine(record);
      if (keyLine != null) {
        context.keyLog().accept(keyLine);
        return;
      }
      var event = decoder.decode(record);
      if (event != null) {
        context.events().accept(event);
      }
    }).thread("collector-modules").pollMs(POLL_MS).retryMs(POLL_MS)
        .onHandlerFailure(failure -> context.warn().accept("module event skipped: " + failure))
        .onPollFailure(failure -> context.warn().accept("module ring buffer poll failed: " + failure.getMessage()))
        .build();
  }

  /** Loads the object and starts draining its ring buffer. */
  static ModuleProbes load(ModuleContext context) {
    BpfObject object = BpfObject.openExtracted("ecapture-modules", BpfObjects.MODULES::extract);
    try {
      object.setMaxEntries(EVENTS_MAP, context.config().ringBufferBytes());
      if (context.sharedMapFd() != null) {
        for (String map : SHARED_MAPS) {
          object.reuseMap(map, context.sharedMapFd().applyAsInt(map));
        }
      }
      object.load();
    } catch (RuntimeException e) {
      object.close();
      throw e;
    }
    ModuleProbes probes = new ModuleProbes(object, context);
    probes.ring.start();
    return probes;
  }

  /**
   * Registers a probed file: its index (the uprobes' cookie) in "module_targets".
   *
   * @param module modules.h enum module_id
   */
  synchronized int addTarget(int module, int fdOffset, int secretOffset, int osfdOffset, String binary,
      String function, String kind) {
    if (targets >= MAX_TARGETS) {
      throw new IllegalStateException("at most " + MAX_TARGETS + " module targets");
    }
    int index = targets++;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment key = arena.allocate(ValueLayout.JAVA_INT);
      key.set(ValueLayout.JAVA_INT, 0, index);
      MemorySegment value = arena.allocate(16);
      value.set(ValueLayout.JAVA_INT, 0, module);
      value.set(ValueLayout.JAVA_INT, 4, fdOffset);
      value.set(ValueLayout.JAVA_INT, 8, secretOffset);
      value.set(ValueLayout.JAVA_INT, 12, osfdOffset);
      int rc = LibBpf.mapUpdateElem(object.mapFd(TARGETS_MAP), key, value, 0);
      if (rc != 0) {
        throw new io.ecapture.kafka.collector.libbpf.LibBpfException("bpf_map_update_elem(" + TARGETS_MAP + ")", -rc);
      }
    }
    decoder.addTarget(index, kind, binary, function);
    return index;
  }

  /** Attaches {@code program} on {@code function} (or at {@code offset} when >= 0) of {@code binary}. */
  synchronized void attach(String program, Path binary, String function, long offset, boolean retprobe, int cookie) {
    BpfLink link = offset >= 0
        ? object.attachUprobeAt(program, binary, offset, retprobe, cookie)
        : object.attachUprobe(program, binary, function, retprobe, cookie);
    links.add(link);
  }

  /** Events decoded for target kind {@code kind} so far. */
  long events(String kind) {
    return decoder.events(kind);
  }

  @Override
  public synchronized void close() {
    if (!running) {
      return;
    }
    for (int i = links.size() - 1; i >= 0; i--) {
      links.get(i).close();
    }
    links.clear();
    running = false;
    ring.close(); // ends its thread, drains what the kernel still holds
    object.close();
  }
}
