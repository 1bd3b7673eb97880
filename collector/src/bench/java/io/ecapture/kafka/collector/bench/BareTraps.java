package io.ecapture.kafka.collector.bench;

import io.ecapture.kafka.bpf.BpfObjects;
import io.ecapture.kafka.collector.CollectorConfig;
import io.ecapture.kafka.collector.libbpf.BpfLink;
import io.ecapture.kafka.collector.libbpf.BpfObject;
import io.ecapture.kafka.collector.libbpf.PerCpuCounters;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The floor of {@code bench/collector-overhead.sh}: count-only entry and return probes
 * ({@code baretraps.bpf.c}) on the OpenSSL functions a keep-alive request goes through (the
 * collector's per-call hooks: SSL_write, SSL_read and their _ex forms), for every process. Prints
 * {@code attached N} once they are in, then runs until SIGTERM and prints the hit counts.
 *
 * <pre>BareTraps [--functions F1,F2,...] [LIBRARY...]   (default: the collector's default libssl and
 * the four SSL functions; the modules part of the benchmark gives GnuTLS's or NSPR's functions)</pre>
 */
public final class BareTraps {
  static final List<String> FUNCTIONS = List.of("SSL_write", "SSL_read", "SSL_write_ex", "SSL_read_ex");

  private BareTraps() {}

  public static void main(String[] args) throws Exception {
    List<Path> libraries = new ArrayList<>();
    List<String> functions = FUNCTIONS;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--functions") && i + 1 < args.length) {
        functions = List.of(args[++i].split(","));
      } else {
        libraries.add(Path.of(args[i]));
      }
    }
    if (libraries.isEmpty()) {
      libraries.addAll(CollectorConfig.defaults().libsslPaths());
    }
    Path dir = Files.createTempDirectory("baretraps");
    Path file = BpfObjects.BARETRAPS.extract(dir);
    List<BpfLink> links = new ArrayList<>();
    CountDownLatch stop = new CountDownLatch(1);
    try (BpfObject object = BpfObject.open(file)) {
      Files.delete(file);
      Files.delete(dir);
      object.load();
      for (Path library : libraries) {
        for (String function : functions) {
          links.add(object.attachUprobe("bare_entry", library, function, false, 0));
          links.add(object.attachUprobe("bare_return", library, function, true, 0));
        }
      }
      PerCpuCounters counts = new PerCpuCounters(object.mapFd("bare_counts"));
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        System.out.println("entry hits " + counts.sum(0) + ", return hits " + counts.sum(1));
        links.forEach(BpfLink::close);
        stop.countDown();
      }));
      System.out.println("attached " + links.size());
      stop.await();
    }
  }
}
