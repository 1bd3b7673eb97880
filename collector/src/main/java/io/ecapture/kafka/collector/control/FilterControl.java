package io.ecapture.kafka.collector.control;

/**
 * Reads and changes a collector's process filter: what {@code GET/POST /config} of the {@link
 * StatusServer} calls.
 */
public interface FilterControl {
  /** A fixed filter capturing everything; changes are refused. */
  FilterControl NONE =
      new FilterControl() {
        @Override
        public CaptureFilter current() {
          return CaptureFilter.ALL;
        }

        @Override
        public void update(CaptureFilter next) {
          throw new UnsupportedOperationException("filter not changeable here");
        }
      };

  /** The filter in force. */
  CaptureFilter current();

  /**
   * Replaces the filter, effective for SSL calls that start after it returns.
   *
   * @throws RuntimeException when it cannot be applied; the previous filter then stays in force
   */
  void update(CaptureFilter next);
}
