package io.ecapture.kafka.processor.protocol.http1;

/** One header line as it was on the wire (name case kept). */
public record HeaderField(String name, String value) {}
