package io.ecapture.kafka.launcher;

import io.ecapture.kafka.common.KafkaProcessLog;
import io.ecapture.kafka.common.ProcessLogRouting;
import io.ecapture.kafka.proto.capture.LogLevel;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.Property;

/**
 * The log4j appender that hands the components' WARN and ERROR lines to their process log on the
 * stream ({@link ProcessLogRouting}): installed on the root logger at start by {@link Main}, so
 * what a component's classes log through their ordinary loggers reaches {@code ecapture.logs}
 * (and eCaptureQ) with the component and host. Lines a process log wrote itself are skipped
 * ({@link KafkaProcessLog#ON_STREAM}), so nothing goes twice and drop reports cannot loop.
 */
final class ProcessLogAppender extends AbstractAppender {
  static final String NAME = "ecapture-process-log";
  /** A message longer than this is cut (a stack trace is not sent; its first line is). */
  static final int MAX_MESSAGE_CHARS = 4096;

  private ProcessLogAppender() {
    super(NAME, null, null, true, Property.EMPTY_ARRAY);
  }

  /** Adds the appender to the root logger of the current log4j configuration, once. */
  static synchronized void install() {
    if (!(LogManager.getContext(false) instanceof LoggerContext context)) {
      return; // another logging backend: nothing to hook
    }
    Configuration config = context.getConfiguration();
    if (config.getAppender(NAME) != null) {
      return;
    }
    ProcessLogAppender appender = new ProcessLogAppender();
    appender.start();
    config.addAppender(appender);
    config.getRootLogger().addAppender(appender, Level.WARN, null);
    context.updateLoggers();
  }

  @Override
  public void append(LogEvent event) {
    if (event.getMarker() != null && event.getMarker().isInstanceOf(KafkaProcessLog.ON_STREAM.getName())) {
      return;
    }
    Level level = event.getLevel();
    if (!level.isMoreSpecificThan(Level.WARN)) {
      return;
    }
    String message = event.getMessage().getFormattedMessage();
    Throwable thrown = event.getThrown();
    if (thrown != null) {
      message = message + ": " + thrown;
    }
    if (message.length() > MAX_MESSAGE_CHARS) {
      message = message.substring(0, MAX_MESSAGE_CHARS) + " [cut]";
    }
    ProcessLogRouting.route(event.getLoggerName(),
        level.isMoreSpecificThan(Level.ERROR) ? LogLevel.ERROR : LogLevel.WARN, message);
  }
}
