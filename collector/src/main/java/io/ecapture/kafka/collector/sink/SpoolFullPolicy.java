package io.ecapture.kafka.collector.sink;

/** What the on-disk spool does with a new record when it is at its size limit; either way counted. */
public enum SpoolFullPolicy {
  /** Delete the oldest segment: its records not yet delivered are lost (keeps the freshest data). */
  DROP_OLDEST,
  /** Refuse the new record (keeps the oldest data, e.g. the start of an incident). */
  DROP_NEWEST
}
