package io.ecapture.kafka.processor.protocol;

/** Outcome of one parse attempt at the start of a direction's buffer. */
public enum ParseStatus {
  /** One complete message was parsed; its bytes may be consumed. */
  SUCCESS,
  /** The bytes so far are a valid prefix of a message: wait for more. */
  NEEDS_MORE_DATA,
  /** The bytes are not (or no longer) this protocol: the driver resyncs. */
  INVALID
}
