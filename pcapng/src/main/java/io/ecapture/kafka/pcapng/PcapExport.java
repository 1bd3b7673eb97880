package io.ecapture.kafka.pcapng;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ecapture.kafka.common.TcpFrame;
import io.ecapture.kafka.proto.capture.PacketRecord;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code ecapture.packets} and {@code ecapture.keylog} to one PCAPNG file. Reads both topics by
 * partition assignment (no consumer group: an export commits nothing and may run any number of
 * times): first every key-log line there is, then the packets from {@code since} to the end
 * offsets seen at start (or on, with {@code follow}). The client random of each TLS session's
 * ClientHello selects its key-log lines, written as a Decryption Secrets Block right before the
 * session's first packet, so Wireshark decrypts in one pass with no key file.
 *
 * <p>A record that does not parse (on either topic) is counted and skipped; the export goes on.
 */
public final class PcapExport implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PcapExport.class);
  private static final Duration POLL = Duration.ofMillis(200);
  /** Labels whose presence makes a session's keys complete (TLS 1.2, or TLS 1.3 traffic secrets). */
  private static final List<String> TLS13_LABELS = List.of("CLIENT_HANDSHAKE_TRAFFIC_SECRET",
      "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0");

  /** What an export wrote and skipped. */
  public record Summary(long packets, int interfaces, long sessions, long keyLines, long secretsBlocks,
      long malformedPackets, long malformedKeyLines, long filtered) {
    @Override
    public String toString() {
      return packets + " packets on " + interfaces + " interfaces, " + sessions + " TLS sessions with " + keyLines
          + " key-log lines in " + secretsBlocks + " secrets blocks; skipped " + malformedPackets
          + " malformed packet records, " + malformedKeyLines + " malformed key-log records, " + filtered
          + " packets outside the filters";
    }
  }

  /** Packets of a session held back until its keys arrive (follow only). */
  private record Held(long sinceNs, List<PacketRecord> packets) {}

  private final PcapExportConfig config;
  private final KafkaConsumer<byte[], byte[]> packetConsumer;
  private final KafkaConsumer<byte[], byte[]> keyConsumer;
  private final KeyLogIndex keys = new KeyLogIndex();
  private final Path target;
  private final PcapngFile file;
  /** flow key -> client random of its ClientHello; bounded while following. */
  private final Map<String, String> flowRandom = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
      return size() > PcapExportConfig.MAX_TRACKED_FLOWS;
    }
  };
  private final Set<String> linesWritten = new HashSet<>();
  private final Set<String> sessions = new HashSet<>();
  private final Map<String, Held> held = new LinkedHashMap<>();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private long malformedPackets;
  private long malformedKeyLines;
  private long filtered;
  private long keyLinesWritten;
  private boolean closed;

  public PcapExport(PcapExportConfig config) throws IOException {
    this.config = config;
    this.target = config.follow() ? config.out()
        : config.out().resolveSibling(config.out().getFileName() + ".partial");
    Path parent = config.out().toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    this.file = new PcapngFile(new BufferedOutputStream(Files.newOutputStream(target), 1 << 16));
    this.packetConsumer = new KafkaConsumer<>(consumerProperties(config, "packets"));
    this.keyConsumer = new KafkaConsumer<>(consumerProperties(config, "keylog"));
  }

  static Properties consumerProperties(PcapExportConfig config, String what) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "ecapture-pcap-" + what);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    p.putAll(config.consumerOverrides());
    return p;
  }

  /**
   * Writes what the topics hold up to their end at start and closes the file (complete, under its
   * name), or with {@code follow} keeps writing until {@link #close}.
   */
  public Summary run() throws IOException {
    try {
      List<TopicPartition> keyPartitions = partitions(keyConsumer, config.topics().keylog());
      keyConsumer.assign(keyPartitions);
      keyConsumer.seekToBeginning(keyPartitions);
      readToEnd(keyConsumer, keyPartitions, this::onKeyRecords);

      List<TopicPartition> packetPartitions = partitions(packetConsumer, config.topics().packets());
      packetConsumer.assign(packetPartitions);
      seekToSince(packetPartitions);
      if (!config.follow()) {
        readToEnd(packetConsumer, packetPartitions, this::onPacketRecords);
        return finish();
      }
      file.flush(); // the header blocks: a reader may open the file at once
      while (running.get()) {
        onPacketRecords(packetConsumer.poll(POLL));
        onKeyRecords(keyConsumer.poll(Duration.ZERO));
        releaseHeld(false);
        file.flush();
      }
    } catch (WakeupException stopped) {
      // close() during a poll: write what is held and end
    } finally {
      packetConsumer.close(Duration.ofSeconds(5));
      keyConsumer.close(Duration.ofSeconds(5));
    }
    return finish();
  }

  private Summary finish() throws IOException {
    releaseHeld(true);
    file.close();
    if (closedEarly()) {
      Files.deleteIfExists(target); // stopped before the end: no half file under the name
    } else if (!config.follow()) {
      Files.move(target, config.out(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
    Summary summary = summary();
    LOG.debug("pcap: wrote {} to {}", summary, config.out());
    return summary;
  }

  private boolean closedEarly() {
    return !config.follow() && !running.get();
  }

  public Summary summary() {
    return new Summary(file.packetCount(), file.interfaceCount(), sessions.size(), keyLinesWritten,
        file.secretsBlockCount(), malformedPackets, malformedKeyLines + keys.malformed(), filtered);
  }

  private static List<TopicPartition> partitions(KafkaConsumer<?, ?> consumer, String topic) {
    var infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
    if (infos == null || infos.isEmpty()) {
      throw new IllegalStateException("topic " + topic + " not found (is this the pipeline's cluster?)");
    }
    return infos.stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
  }

  private void seekToSince(List<TopicPartition> partitions) {
    if (config.since().isEmpty()) {
      packetConsumer.seekToBeginning(partitions);
      return;
    }
    // record timestamps are the producer's send time, a little after the capture: the exact bound
    // is applied to each packet's own time below
    long since = config.since().get().toEpochMilli() - 60_000;
    Map<TopicPartition, Long> query = new HashMap<>();
    partitions.forEach(tp -> query.put(tp, since));
    Map<TopicPartition, OffsetAndTimestamp> found = packetConsumer.offsetsForTimes(query, Duration.ofSeconds(30));
    Map<TopicPartition, Long> ends = packetConsumer.endOffsets(partitions, Duration.ofSeconds(30));
    for (TopicPartition tp : partitions) {
      OffsetAndTimestamp at = found.get(tp);
      packetConsumer.seek(tp, at == null ? ends.get(tp) : at.offset());
    }
  }

  @FunctionalInterface
  private interface Batch {
    void accept(Iterable<ConsumerRecord<byte[], byte[]>> records) throws IOException;
  }

  private void readToEnd(KafkaConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions, Batch batch)
      throws IOException {
    Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(30));
    while (running.get()) {
      boolean done = true;
      for (TopicPartition tp : partitions) {
        if (consumer.position(tp, Duration.ofSeconds(30)) < ends.get(tp)) {
          done = false;
          break;
        }
      }
      if (done) {
        return;
      }
      batch.accept(consumer.poll(POLL));
    }
  }

  private void onKeyRecords(Iterable<ConsumerRecord<byte[], byte[]>> records) throws IOException {
    for (ConsumerRecord<byte[], byte[]> r : records) {
      String host = r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8);
      if (config.host().isPresent() && !config.host().get().equals(host)) {
        continue;
      }
      String line;
      try {
        line = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(r.value())).toString();
      } catch (CharacterCodingException | NullPointerException e) {
        malformedKeyLines++;
        continue;
      }
      Optional<String> random = keys.add(line);
      // following: keys of a session already written (or held) go out now
      if (random.isPresent() && config.follow() && sessions.contains(random.get())) {
        writeSecrets(random.get());
      }
    }
  }

  private void onPacketRecords(Iterable<ConsumerRecord<byte[], byte[]>> records) throws IOException {
    for (ConsumerRecord<byte[], byte[]> r : records) {
      PacketRecord packet;
      try {
        packet = PacketRecord.parseFrom(r.value() == null ? new byte[0] : r.value());
        if (packet.getData().isEmpty() || packet.getHostId().isEmpty()) {
          throw new InvalidProtocolBufferException("no host id or no data");
        }
      } catch (InvalidProtocolBufferException e) {
        malformedPackets++;
        if (malformedPackets == 1) {
          LOG.warn("pcap: skipped a malformed record at {}-{} offset {} (further ones only counted): {}",
              r.topic(), r.partition(), r.offset(), e.getMessage());
        }
        continue;
      }
      onPacket(packet);
    }
  }

  private void onPacket(PacketRecord packet) throws IOException {
    byte[] data = packet.getData().toByteArray();
    Optional<TcpFrame> frame = TcpFrame.parse(data, packet.getLinkType());
    if (!accepted(packet, frame)) {
      filtered++;
      return;
    }
    String flow = packet.getFlowKey();
    Held waiting = held.get(flow);
    if (waiting != null) {
      waiting.packets().add(packet);
      return;
    }
    Optional<String> hello = frame.flatMap(f -> KeyLogIndex.clientHelloRandom(data, f.payloadOffset(), f.payloadLength()));
    if (hello.isPresent()) {
      String random = hello.get();
      flowRandom.put(flow, random);
      sessions.add(random);
      if (config.follow() && !complete(keys.lines(random)) && !config.keyWait().isZero()) {
        List<PacketRecord> list = new ArrayList<>();
        list.add(packet);
        held.put(flow, new Held(System.nanoTime(), list));
        return;
      }
      writeSecrets(random);
    }
    file.packet(packet);
  }

  private boolean accepted(PacketRecord packet, Optional<TcpFrame> frame) {
    if (config.host().isPresent() && !config.host().get().equals(packet.getHostId())) {
      return false;
    }
    if (config.port().isPresent() && frame.map(f -> !f.hasPort(config.port().get())).orElse(true)) {
      return false;
    }
    long ns = packet.getWallTimeNs();
    if (config.since().isPresent() && ns < nanos(config.since().get())) {
      return false;
    }
    return config.until().isEmpty() || ns <= nanos(config.until().get());
  }

  private static long nanos(java.time.Instant t) {
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }

  /** Held sessions whose keys are complete, or that waited long enough (all at the end), are written. */
  private void releaseHeld(boolean all) throws IOException {
    if (held.isEmpty()) {
      return;
    }
    long now = System.nanoTime();
    var it = held.entrySet().iterator();
    while (it.hasNext()) {
      var e = it.next();
      String random = flowRandom.get(e.getKey());
      boolean ready = all || random == null || complete(keys.lines(random))
          || now - e.getValue().sinceNs() >= config.keyWait().toNanos();
      if (ready) {
        it.remove();
        if (random != null) {
          writeSecrets(random);
        }
        for (PacketRecord p : e.getValue().packets()) {
          file.packet(p);
        }
      }
    }
  }

  /** A DSB with the lines of this session not written yet. */
  private void writeSecrets(String random) throws IOException {
    List<String> fresh = new ArrayList<>();
    for (String line : keys.lines(random)) {
      if (linesWritten.add(line)) {
        fresh.add(line);
      }
    }
    file.keyLog(fresh);
    keyLinesWritten += fresh.size();
  }

  private static boolean complete(Set<String> lines) {
    Set<String> labels = new HashSet<>();
    for (String line : lines) {
      labels.add(line.substring(0, line.indexOf(' ')));
    }
    return labels.contains("CLIENT_RANDOM") || labels.containsAll(TLS13_LABELS);
  }

  /** Stops a running export (from another thread): what is held is written, the file closed. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    running.set(false);
    packetConsumer.wakeup();
    keyConsumer.wakeup();
  }

}
