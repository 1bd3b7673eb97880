package io.ecapture.kafka.collector.decode;

/**
 * Byte layout of {@code struct tls_event} (bpf module, tlscapture.h): the header of every
 * ring-buffer record, little-endian, followed by {@code data_len} payload bytes for DATA records.
 * A test checks every offset against the BTF of the compiled BPF object.
 */
public final class EventLayout {
  public static final int KIND = 0;
  public static final int PID = 4;
  public static final int TID = 8;
  public static final int UID = 12;
  public static final int KTIME_NS = 16;
  public static final int CONN_START_NS = 24;
  public static final int OFFSET = 32;
  public static final int BYTES_READ = 40;
  public static final int BYTES_WRITTEN = 48;
  public static final int FD = 56;
  public static final int CALL_LEN = 60;
  public static final int DATA_LEN = 64;
  public static final int DIRECTION = 68;
  public static final int FUNCTION = 69;
  public static final int FAMILY = 70;
  public static final int SPORT = 72;
  public static final int DPORT = 74;
  public static final int FLAGS = 76;
  public static final int SADDR = 80;
  public static final int DADDR = 96;
  public static final int COMM = 112;
  public static final int CHUNK_OFFSET = 128;
  public static final int LIBRARY = 132;
  public static final int ACCEPTED = 134;
  /** Low byte of the TLS version (3: TLS 1.2, 4: TLS 1.3), 0 unknown. */
  public static final int TLS_MINOR = 135;
  /**
   * u64 cgroup v2 id of the connection's owner (the inode of its directory in the cgroup2 mount),
   * taken in its context when the connection was first seen; 0 unknown.
   */
  public static final int CGROUP_ID = 136;
  /** sizeof(struct tls_event). */
  public static final int HEADER_SIZE = 144;

  public static final int ADDR_LEN = 16;
  public static final int COMM_LEN = 16;
  /** MAX_CHUNK: most payload bytes one record carries. */
  public static final int MAX_CHUNK = 16384;

  public static final int KIND_DATA = 1;
  public static final int KIND_OPEN = 2;
  public static final int KIND_CLOSE = 3;
  /** TLS key material (struct tls_keys follows the header); see {@link TlsKeyLog}. */
  public static final int KIND_KEYS = 4;
  /** A completed handshake: struct tls_handshake ({@link #HANDSHAKE_SIZE} bytes) follows the header. */
  public static final int KIND_HANDSHAKE = 5;
  /** gotls.h EVENT_GO_KEYLOG: struct go_keylog (one NSS key-log line of Go crypto/tls) follows. */
  public static final int KIND_GO_KEYLOG = 16;
  /** gotls.h GO_LIBRARY_BASE: {@link #LIBRARY} values from here on name Go binaries. */
  public static final int GO_LIBRARY_BASE = 0x8000;
  /** struct tls_handshake: u64 duration_ns, u32 version, u32 flags. */
  public static final int HANDSHAKE_DURATION_NS = 0;
  public static final int HANDSHAKE_VERSION = 8;
  public static final int HANDSHAKE_FLAGS = 12;
  public static final int HANDSHAKE_SIZE = 16;
  /** enum handshake_flags: the session was resumed. */
  public static final int HS_RESUMED = 1;
  /** HS_RESUMED is meaningful: the library's layout is known. */
  public static final int HS_RESUMED_KNOWN = 2;
  /** No SSL_do_handshake call: reported with the first SSL_read/SSL_write, duration unknown. */
  public static final int HS_IMPLICIT = 4;

  public static final int FLAG_TRUNCATED = 1;
  public static final int FLAG_NO_SOCKET = 2;
  public static final int FLAG_READ_FAULT = 4;
  /** First seen without its socket, bound later: the connection id keeps fd -1. */
  public static final int FLAG_BOUND_LATE = 8;

  public static final int AF_INET = 2;
  public static final int AF_INET6 = 10;

  /** Indices of the per-CPU array map {@code drop_counts}. */
  public static final int DROP_RECORDS = 0;
  public static final int DROP_BYTES = 1;
  public static final int DROP_READ_FAULTS = 2;
  public static final int DROP_TRUNCATED = 3;
  /** SSL calls skipped by the process filters (pid/uid/comm/cgroup). */
  public static final int DROP_FILTERED = 4;
  /** Entry uprobe hits: every SSL read/write call seen. */
  public static final int COUNT_ENTRY_HITS = 5;
  /** Return uprobe hits. */
  public static final int COUNT_RETURN_HITS = 6;
  /** Handshakes reported (once per connection): SSL_do_handshake successes and implicit ones. */
  public static final int COUNT_HANDSHAKES = 7;
  /** SSL read/write calls whose socket the SSL object's BIO named (bio-fd). */
  public static final int COUNT_BIO_SOCKETS = 8;
  /** Writes captured at their entry, their return probe skipped. */
  public static final int COUNT_ENTRY_WRITES = 9;
  /** Entries of {@code drop_counts} (DROP_COUNTERS). */
  public static final int KERNEL_COUNTERS = 10;

  private EventLayout() {}
}
