package io.ecapture.kafka.gateway.bench;

import com.google.protobuf.ByteString;
import io.ecapture.kafka.gateway.Gateway;
import io.ecapture.kafka.gateway.GatewayConfig;
import io.ecapture.kafka.gateway.RawWsClient;
import io.ecapture.kafka.proto.ecaptureq.LogEntry;
import io.ecapture.kafka.proto.ecaptureq.LogType;
import io.ecapture.kafka.proto.parsed.Endpoint;
import io.ecapture.kafka.proto.parsed.MessageKind;
import io.ecapture.kafka.proto.parsed.ParsedMessage;
import io.ecapture.kafka.proto.parsed.Protocol;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Benchmark (not a test; compiled with {@code -Pbench}, run by bench/gateway-fanout.sh): events
 * per second the gateway delivers to 1, 10 and 100 WebSocket clients, and the latency from a
 * timestamp put into each event (a stand-in for the kernel capture time) to the client's receive
 * time. Clients are bare-socket readers ({@link RawWsClient}) on virtual threads in the same JVM,
 * so both ends use the same clock.
 *
 * <p>Two phases per client count: <b>throughput</b> publishes as fast as possible and counts
 * deliveries until every client has the last event (drops, if any, are reported); <b>latency</b>
 * publishes at a fixed rate, well below saturation, and reports p50/p99/max.
 *
 * <p>Arguments (all optional): events for the throughput phase (default 20000), latency rate per
 * second (default 1000), latency seconds (default 3), payload bytes (default 512).
 */
public final class GatewayFanoutBench {
  private static final int[] CLIENTS = {1, 10, 100};

  private GatewayFanoutBench() {}

  public static void main(String[] args) throws Exception {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int rate = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
    int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    int payload = args.length > 3 ? Integer.parseInt(args[3]) : 512;
    System.out.printf(Locale.ROOT, "gateway fan-out: %d events/phase, %d B payload, latency at %d ev/s for %d s, %d cores%n",
        events, payload, rate, seconds, Runtime.getRuntime().availableProcessors());
    List<Result> results = new ArrayList<>();
    for (int n : CLIENTS) {
      results.add(run(n, events, rate, seconds, payload));
    }
    Result base = results.get(0);
    System.out.println();
    System.out.println("clients | events/s published | deliveries/s (all clients) | per client ev/s | dropped | p50 ms | p99 ms | max ms | deliveries/s vs 1 | p99 vs 1");
    System.out.println("--------|-------------------|----------------------------|-----------------|---------|--------|--------|--------|-------------------|---------");
    for (Result r : results) {
      System.out.printf(Locale.ROOT, "%7d | %17.0f | %26.0f | %15.0f | %7d | %6.2f | %6.2f | %6.2f | %16.2fx | %7.2fx%n",
          r.clients, r.publishedPerSecond, r.deliveriesPerSecond, r.deliveriesPerSecond / r.clients, r.dropped,
          r.p50Ms, r.p99Ms, r.maxMs, r.deliveriesPerSecond / base.deliveriesPerSecond, r.p99Ms / base.p99Ms);
    }
  }

  private record Result(int clients, double publishedPerSecond, double deliveriesPerSecond, long dropped,
      double p50Ms, double p99Ms, double maxMs) {}

  private static Result run(int n, int events, int rate, int seconds, int payloadBytes) throws Exception {
    GatewayConfig cfg = GatewayConfig.builder().listen("127.0.0.1:0").bootstrapServers("").replayLogs(0)
        .heartbeatInterval(Duration.ofMinutes(10)).maxQueuedFrames(1 << 16).maxQueuedBytes(512L << 20).build();
    byte[] filler = new byte[payloadBytes];
    Arrays.fill(filler, (byte) 'x');
    try (Gateway gateway = Gateway.start(cfg)) {
      List<Reader> readers = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        readers.add(new Reader(new RawWsClient(gateway.port(), 1 << 20)));
      }
      readers.forEach(Reader::start);
      // warm-up: JIT, buffers, connections
      phase(gateway, readers, 2_000, 0, filler, false);
      long publishNs = System.nanoTime();
      long elapsedNs = phase(gateway, readers, events, 0, filler, false);
      double published = events / ((System.nanoTime() - publishNs) / 1e9);
      long delivered = readers.stream().mapToLong(r -> r.phaseCount).sum();
      double deliveriesPerSecond = delivered / (elapsedNs / 1e9);
      int latencyEvents = rate * seconds;
      phase(gateway, readers, latencyEvents, rate, filler, true);
      long[] all = readers.stream().flatMapToLong(r -> Arrays.stream(r.latencies, 0, r.latencyCount)).sorted().toArray();
      long dropped = gateway.stats().framesDropped();
      for (Reader r : readers) {
        r.close();
      }
      System.out.printf(Locale.ROOT, "%d clients: %d deliveries in %.2f s; latency samples %d%n",
          n, delivered, elapsedNs / 1e9, all.length);
      return new Result(n, published, deliveriesPerSecond, dropped,
          percentile(all, 0.50), percentile(all, 0.99), all.length == 0 ? 0 : all[all.length - 1] / 1e6);
    }
  }

  /**
   * Publishes {@code count} events (paced at {@code rate}/s when rate > 0) whose last one carries
   * an end marker, and waits until every reader saw it; returns nanoseconds from the first publish
   * to the last reader's end.
   */
  private static long phase(Gateway gateway, List<Reader> readers, int count, int rate, byte[] filler,
      boolean measureLatency) throws Exception {
    CountDownLatch done = new CountDownLatch(readers.size());
    for (Reader r : readers) {
      r.arm(done, count, measureLatency);
    }
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      if (rate > 0) {
        long due = start + (long) i * 1_000_000_000L / rate;
        while (System.nanoTime() < due) {
          Thread.onSpinWait();
        }
      }
      gateway.publish(event(i == count - 1, filler));
    }
    if (!done.await(120, TimeUnit.SECONDS)) {
      throw new IllegalStateException("clients did not receive the last event; dropped="
          + gateway.stats().framesDropped());
    }
    long end = readers.stream().mapToLong(r -> r.lastEventNs).max().orElseThrow();
    return end - start;
  }

  private static ParsedMessage event(boolean last, byte[] filler) {
    Instant now = Instant.now();
    return ParsedMessage.newBuilder()
        .setConnectionId("bench").setHostId("bench-host").setPid(1).setTid(1).setComm(last ? "end" : "bench")
        .setSrc(Endpoint.newBuilder().setIp("10.0.0.1").setPort(40000))
        .setDst(Endpoint.newBuilder().setIp("10.0.0.2").setPort(443))
        .setFirstByteTimeNs(now.getEpochSecond() * 1_000_000_000L + now.getNano())
        .setProtocol(Protocol.HTTP1).setKind(MessageKind.REQUEST)
        .setRendered(ByteString.copyFrom(filler))
        .build();
  }

  private static double percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1e6;
  }

  /** One client reading on its own virtual thread. */
  private static final class Reader {
    private final RawWsClient client;
    private volatile CountDownLatch done;
    private volatile boolean measure;
    private long[] latencies = new long[0];
    private int latencyCount;
    private long phaseCount;
    private volatile long lastEventNs;
    private Thread thread;
    private final AtomicLong frames = new AtomicLong();

    Reader(RawWsClient client) {
      this.client = client;
    }

    void arm(CountDownLatch latch, int count, boolean measureLatency) {
      latencies = measureLatency ? new long[count] : latencies;
      latencyCount = 0;
      phaseCount = 0;
      measure = measureLatency;
      done = latch;
    }

    void start() {
      thread = Thread.ofVirtual().start(this::loop);
    }

    private void loop() {
      try {
        while (true) {
          LogEntry entry = client.next();
          if (entry.getLogType() != LogType.EVENT) {
            continue;
          }
          Instant now = Instant.now();
          frames.incrementAndGet();
          phaseCount++;
          if (measure && latencyCount < latencies.length) {
            latencies[latencyCount++] =
                now.getEpochSecond() * 1_000_000_000L + now.getNano() - entry.getEventPayload().getTimestamp();
          }
          if (entry.getEventPayload().getPname().equals("end")) {
            lastEventNs = System.nanoTime();
            done.countDown();
          }
        }
      } catch (Exception e) {
        // closed at the end of the run
      }
    }

    void close() throws Exception {
      client.close();
      thread.join(5_000);
    }
  }
}
