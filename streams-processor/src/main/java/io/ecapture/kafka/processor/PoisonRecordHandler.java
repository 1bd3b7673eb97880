package io.ecapture.kafka.processor;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.ecapture.kafka.processor.topology.DeadLetters;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka Streams' {@code processing.exception.handler}: decides what happens to a record whose
 * processing threw (what the processor nodes let escape; the connection processor retries and
 * dead-letters its own failures in place, see {@link FailurePolicy}). Attempts are counted per input record (topic, partition, offset) in one
 * {@link Attempts} shared by every stream thread of the app:
 *
 * <ul>
 *   <li>below {@link FailurePolicy#maxRecordAttempts()}: fail, so the stream thread dies and is
 *       replaced ({@link ThreadFailureHandler}, with a backoff); under exactly-once the attempt's
 *       output and state changes are aborted and the record is processed again from the last
 *       commit;
 *   <li>at the last attempt: the record goes to {@code ecapture.dlq} (its raw key and value, the
 *       reason in headers as {@link DeadLetters} writes them, plus the attempts) in the same
 *       transaction, and processing resumes with the next record;
 *   <li>a failure with no input record (a punctuation) or a retriable cause (a broker timeout
 *       surfaced late) is not the record's fault: fail, bounded by {@link ThreadFailureHandler}.
 * </ul>
 *
 * Counted in {@code poison_retries} and {@code poison_dead_lettered} (and {@code dead_lettered}).
 */
public final class PoisonRecordHandler implements ProcessingExceptionHandler {
  /** Streams config key under which {@link StreamsProcessor} passes the shared {@link Attempts}. */
  public static final String ATTEMPTS_CONFIG = "ecapture.processor.attempts";
  /** DLQ header: how many times the record was tried. */
  public static final String HEADER_ATTEMPTS = "ecapture.attempts";
  private static final Logger LOG = LoggerFactory.getLogger(PoisonRecordHandler.class);

  private Attempts attempts = new Attempts(FailurePolicy.DEFAULTS, null);

  /**
   * Failed attempts per input record, shared by the app's threads (a replaced thread gets a new
   * handler). Bounded (Caffeine): entries are forgotten past {@value #CAPACITY} records.
   */
  public static final class Attempts {
    static final int CAPACITY = 4096;
    private final FailurePolicy policy;
    private final ProcessorMetrics metrics;
    private final String dlqTopic;
    // size eviction on the caller's thread: the bound holds when failed() returns
    private final Cache<String, Integer> failures =
        Caffeine.newBuilder().maximumSize(CAPACITY).executor(Runnable::run).build();

    /** @param metrics where retries and dead letters are counted; null counts nowhere */
    public Attempts(FailurePolicy policy, ProcessorMetrics metrics) {
      this(policy, metrics, io.ecapture.kafka.common.TopicNames.DEFAULT.dlq());
    }

    /** @param dlqTopic where dead letters go ({@code --topic-prefix}) */
    public Attempts(FailurePolicy policy, ProcessorMetrics metrics, String dlqTopic) {
      this.policy = policy;
      this.metrics = metrics;
      this.dlqTopic = dlqTopic;
    }

    /** One more failure of the record; returns its failures so far. */
    synchronized int failed(String topic, int partition, long offset) {
      return failures.asMap().merge(topic + "-" + partition + "@" + offset, 1, Integer::sum);
    }

    FailurePolicy policy() {
      return policy;
    }
  }

  @Override
  public void configure(Map<String, ?> configs) {
    if (configs.get(ATTEMPTS_CONFIG) instanceof Attempts shared) {
      attempts = shared;
    }
  }

  @Override
  public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
    if (record == null || context.topic() == null || context.offset() < 0) {
      LOG.error("processing failed outside a record (processor {}); the stream thread is replaced",
          context.processorNodeId(), exception);
      return Response.fail();
    }
    if (isRetriable(exception)) {
      LOG.warn("processing {}-{}@{} failed on a retriable error; the stream thread is replaced: {}",
          context.topic(), context.partition(), context.offset(), exception.toString());
      return Response.fail();
    }
    int failed = attempts.failed(context.topic(), context.partition(), context.offset());
    int max = attempts.policy().maxRecordAttempts();
    ProcessorMetrics metrics = attempts.metrics;
    if (failed < max) {
      if (metrics != null) {
        metrics.poisonRetry();
      }
      LOG.error("processing {}-{}@{} failed (attempt {} of {}); the stream thread is replaced to try again",
          context.topic(), context.partition(), context.offset(), failed, max, exception);
      return Response.fail();
    }
    if (metrics != null) {
      metrics.poisonDeadLetter();
    }
    LOG.error("processing {}-{}@{} failed {} times: dead-lettered to {}, processing goes on: {}",
        context.topic(), context.partition(), context.offset(), failed, attempts.dlqTopic, exception.toString());
    byte[] key = context.sourceRawKey() != null ? context.sourceRawKey()
        : record.key() instanceof byte[] k ? k : null;
    byte[] value = context.sourceRawValue() != null ? context.sourceRawValue()
        : record.value() instanceof byte[] v ? v : null;
    ProducerRecord<byte[], byte[]> dead = DeadLetters.producerRecord(attempts.dlqTopic, key, value,
        context.headers(), context.topic(), context.partition(), context.offset(),
        "processing failed " + failed + " times: " + exception, exception.getClass());
    dead.headers().add(HEADER_ATTEMPTS, Integer.toString(failed).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    return Response.resume(List.of(dead));
  }

  /** Whether a cause in the chain says trying again may work (not the record's fault). */
  public static boolean isRetriable(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof RetriableException) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }
}
