package io.ecapture.kafka.processor.topology;

import io.ecapture.kafka.processor.ProcessorConfig;
import io.ecapture.kafka.processor.ProcessorMetrics;
import io.ecapture.kafka.processor.protocol.http1.BodyDecoder;
import io.ecapture.kafka.processor.protocol.http1.Http1Parser;
import io.ecapture.kafka.processor.protocol.http2.Http2FrameParser;
import io.ecapture.kafka.processor.protocol.websocket.WebSocketFrameParser;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;

/** A new {@link ConnectionProcessor} per task, sharing only the thread-safe metrics. */
public final class ConnectionProcessorSupplier
    implements ProcessorSupplier<byte[], byte[], Object, Object> {
  private final ProcessorConfig config;
  private final ProcessorMetrics metrics;

  public ConnectionProcessorSupplier(ProcessorConfig config, ProcessorMetrics metrics) {
    this.config = config;
    this.metrics = metrics;
  }

  @Override
  public Processor<byte[], byte[], Object, Object> get() {
    ParsedMessageFactory factory =
        new ParsedMessageFactory(new BodyDecoder(config.limits().maxBodyBytes()),
            config.limits().maxBodyBytes(), config.limits().maxRenderedBytes());
    MessageExtractor extractor =
        new MessageExtractor(
            new Http1Parser(config.limits()),
            new WebSocketFrameParser(config.limits().maxBodyBytes()),
            new Http2FrameParser(config.limits().maxHttp2FrameBytes(), config.limits().maxBodyBytes()),
            new Http2StreamAssembler(new HpackDecoders(config.limits().maxHeaderBytes(), metrics), factory,
                config.limits(), metrics),
            new WebSocketMessageAssembler(new WebSocketInflaters(config.limits().maxBodyBytes(), metrics),
                factory, config.limits(), metrics),
            factory, config.limits(), metrics);
    return new ConnectionProcessor(
        config, metrics, new DirectionAssembler(extractor, config.limits(), metrics));
  }
}
