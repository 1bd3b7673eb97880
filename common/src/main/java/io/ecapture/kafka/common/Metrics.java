package io.ecapture.kafka.common;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.PrometheusNaming;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/**
 * One component's {@code /metrics}: a Prometheus registry (the Prometheus Java client) holding
 * the component's own counters and gauges, read through callbacks from the counters it keeps
 * anyway, plus the metrics of the Kafka clients it runs (producers, consumers, Kafka Streams),
 * bridged as gauges named {@code kafka_<group>_<name>} with the Kafka tags as labels.
 *
 * <p>Names given here are without the component prefix; counters end in {@code _total}.
 */
public final class Metrics {
  /** Content type of {@link #scrape()}: the Prometheus text format 0.0.4. */
  public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

  private final String prefix;
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
  private final List<Supplier<? extends Map<MetricName, ? extends Metric>>> kafkaSources =
      new CopyOnWriteArrayList<>();

  /** @param prefix put before every own metric name, e.g. {@code "ecapture_collector_"} */
  public Metrics(String prefix) {
    this.prefix = prefix;
    registry.register(new KafkaBridge());
  }

  /** A monotonic counter read from {@code value} at each scrape; {@code name} ends in {@code _total}. */
  public Metrics counter(String name, String help, DoubleSupplier value) {
    CounterWithCallback.builder()
        .name(prefix + name)
        .help(help)
        .callback(cb -> cb.call(value.getAsDouble()))
        .register(registry);
    return this;
  }

  /** A gauge read from {@code value} at each scrape. */
  public Metrics gauge(String name, String help, DoubleSupplier value) {
    GaugeWithCallback.builder()
        .name(prefix + name)
        .help(help)
        .callback(cb -> cb.call(value.getAsDouble()))
        .register(registry);
    return this;
  }

  /**
   * A gauge with one label, one series per entry of the map {@code values} returns at each
   * scrape. Only for bounded label sets (never client addresses or connection ids).
   */
  public Metrics gauge(String name, String help, String labelName,
      Supplier<? extends Map<String, ? extends Number>> values) {
    GaugeWithCallback.builder()
        .name(prefix + name)
        .help(help)
        .labelNames(labelName)
        .callback(cb -> values.get().forEach((label, v) -> cb.call(v.doubleValue(), label)))
        .register(registry);
    return this;
  }

  /**
   * Exposes a Kafka client's own metrics ({@code producer::metrics}, {@code consumer::metrics},
   * {@code KafkaStreams::metrics}); the supplier is called at each scrape.
   */
  public Metrics kafka(Supplier<? extends Map<MetricName, ? extends Metric>> metrics) {
    kafkaSources.add(metrics);
    return this;
  }

  /** Stops exposing a source given to {@link #kafka} (its client was closed). */
  public void removeKafka(Supplier<? extends Map<MetricName, ? extends Metric>> metrics) {
    kafkaSources.remove(metrics);
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  /** Every metric in the Prometheus text format ({@link #CONTENT_TYPE}). */
  public void writeTo(OutputStream out) throws IOException {
    writer.write(out, registry.scrape(), io.prometheus.metrics.config.EscapingScheme.UNDERSCORE_ESCAPING);
  }

  /** {@link #writeTo} as a string. */
  public String scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
    try {
      writeTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** Kafka client metrics as gauges; non-numeric ones (versions, ids) are left out. */
  private final class KafkaBridge implements MultiCollector {
    @Override
    public MetricSnapshots collect() {
      Map<String, GaugeSnapshot.Builder> families = new LinkedHashMap<>();
      Map<String, Set<Labels>> seen = new LinkedHashMap<>();
      for (Supplier<? extends Map<MetricName, ? extends Metric>> source : kafkaSources) {
        Map<MetricName, ? extends Metric> metrics;
        try {
          metrics = source.get();
        } catch (RuntimeException closedClient) {
          continue;
        }
        for (Map.Entry<MetricName, ? extends Metric> e : metrics.entrySet()) {
          Object value;
          try {
            value = e.getValue().metricValue();
          } catch (RuntimeException unavailable) {
            continue;
          }
          if (!(value instanceof Number number) || Double.isNaN(number.doubleValue())) {
            continue;
          }
          MetricName name = e.getKey();
          String family = PrometheusNaming.sanitizeMetricName(
              "kafka_" + name.group() + "_" + name.name());
          Labels labels = labels(name.tags());
          if (!seen.computeIfAbsent(family, f -> new HashSet<>()).add(labels)) {
            continue; // the same client reported twice (e.g. through Streams and on its own)
          }
          families
              .computeIfAbsent(family, f -> GaugeSnapshot.builder().name(f).help(name.description()))
              .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                  .value(number.doubleValue())
                  .labels(labels)
                  .build());
        }
      }
      List<MetricSnapshot> snapshots = new ArrayList<>(families.size());
      families.values().forEach(b -> snapshots.add(b.build()));
      return new MetricSnapshots(snapshots);
    }

    private static Labels labels(Map<String, String> tags) {
      Labels.Builder labels = Labels.builder();
      tags.forEach((k, v) -> labels.label(PrometheusNaming.sanitizeLabelName(k), v));
      return labels.build();
    }
  }
}
