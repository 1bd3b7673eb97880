package io.ecapture.kafka.collector.decode;

import java.lang.foreign.ValueLayout;

/**
 * Offsets of modules.h struct module_event (pinned there by _Static_assert, checked against the
 * object's BTF by ModuleEventLayoutTest).
 */
public final class ModuleEventLayout {
  static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
  static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;
  static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;

  public static final int HEADER_SIZE = 168;
  public static final int KIND = 0;
  public static final int PID = 4;
  public static final int TID = 8;
  public static final int UID = 12;
  public static final int KTIME = 16;
  public static final int CONN_START = 24;
  public static final int OFFSET = 32;
  public static final int CGROUP_ID = 40;
  public static final int RETVAL = 48;
  public static final int FD = 56;
  public static final int DATA_LEN = 60;
  public static final int CALL_LEN = 64;
  public static final int FAMILY = 68;
  public static final int SPORT = 70;
  public static final int DPORT = 72;
  public static final int DIRECTION = 74;
  public static final int MODULE = 75;
  public static final int TARGET = 76;
  public static final int FLAGS = 78;
  public static final int COMMAND = 79;
  public static final int SADDR = 80;
  public static final int DADDR = 96;
  public static final int COMM = 112;
  public static final int TTY = 128;
  public static final int DURATION = 160;

  private ModuleEventLayout() {}
}
