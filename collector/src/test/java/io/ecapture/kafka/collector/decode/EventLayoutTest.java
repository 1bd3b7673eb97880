package io.ecapture.kafka.collector.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.bpf.BpfObjects;
import io.ecapture.kafka.collector.BpfLayout;
import io.ecapture.kafka.collector.EbpfEnvironment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * EventLayout and TlsKeyLog must match struct tls_event, tls_keys and tls_handshake as clang laid
 * them out in the packaged BPF object, and the event constants of the shared header (the probe
 * side's are checked by {@code ProbeLayoutTest}).
 */
class EventLayoutTest {
  @Test
  void everyFieldOffsetMatchesTheCompiledObjectsBtf(@TempDir Path dir) throws Exception {
    EbpfEnvironment.requireTool("bpftool");
    Path object = BpfObjects.TLSCAPTURE.extract(dir);
    BpfLayout.Struct event = BpfLayout.struct(dir, object, "tls_event");
    Map<String, Integer> offsets = event.offsets();

    assertEquals(EventLayout.HEADER_SIZE, event.size(), "sizeof(struct tls_event)");
    Map<String, Integer> expected = new LinkedHashMap<>();
    expected.put("kind", EventLayout.KIND);
    expected.put("pid", EventLayout.PID);
    expected.put("tid", EventLayout.TID);
    expected.put("uid", EventLayout.UID);
    expected.put("ktime_ns", EventLayout.KTIME_NS);
    expected.put("conn_start_ns", EventLayout.CONN_START_NS);
    expected.put("offset", EventLayout.OFFSET);
    expected.put("bytes_read", EventLayout.BYTES_READ);
    expected.put("bytes_written", EventLayout.BYTES_WRITTEN);
    expected.put("fd", EventLayout.FD);
    expected.put("call_len", EventLayout.CALL_LEN);
    expected.put("data_len", EventLayout.DATA_LEN);
    expected.put("direction", EventLayout.DIRECTION);
    expected.put("function", EventLayout.FUNCTION);
    expected.put("family", EventLayout.FAMILY);
    expected.put("sport", EventLayout.SPORT);
    expected.put("dport", EventLayout.DPORT);
    expected.put("flags", EventLayout.FLAGS);
    expected.put("saddr", EventLayout.SADDR);
    expected.put("daddr", EventLayout.DADDR);
    expected.put("comm", EventLayout.COMM);
    expected.put("chunk_offset", EventLayout.CHUNK_OFFSET);
    expected.put("library", EventLayout.LIBRARY);
    expected.put("accepted", EventLayout.ACCEPTED);
    expected.put("tls_minor", EventLayout.TLS_MINOR);
    expected.put("cgroup_id", EventLayout.CGROUP_ID);
    assertEquals(expected, offsets, "field -> byte offset");
  }

  @Test
  void keyRecordOffsetsMatchTheCompiledObjectsBtf(@TempDir Path dir) throws Exception {
    EbpfEnvironment.requireTool("bpftool");
    Path object = BpfObjects.TLSCAPTURE.extract(dir);
    BpfLayout.Struct keys = BpfLayout.struct(dir, object, "tls_keys");
    Map<String, Integer> offsets = keys.offsets();
    assertEquals(TlsKeyLog.SIZE, keys.size(), "sizeof(struct tls_keys)");
    assertEquals(TlsKeyLog.VERSION, offsets.get("version"));
    assertEquals(TlsKeyLog.CIPHER_ID, offsets.get("cipher_id"));
    assertEquals(TlsKeyLog.MASTER_KEY_LENGTH, offsets.get("master_key_length"));
    assertEquals(TlsKeyLog.CLIENT_RANDOM, offsets.get("client_random"));
    assertEquals(TlsKeyLog.MASTER_KEY, offsets.get("master_key"));
    assertEquals(TlsKeyLog.HANDSHAKE_SECRET, offsets.get("handshake_secret"));
    assertEquals(TlsKeyLog.HANDSHAKE_TRAFFIC_HASH, offsets.get("handshake_traffic_hash"));
    assertEquals(TlsKeyLog.CLIENT_APP_SECRET, offsets.get("client_app_secret"));
    assertEquals(TlsKeyLog.SERVER_APP_SECRET, offsets.get("server_app_secret"));
    assertEquals(TlsKeyLog.EXPORTER_SECRET, offsets.get("exporter_secret"));
  }

  @Test
  void handshakeRecordMatchesTheCompiledObjectsBtf(@TempDir Path dir) throws Exception {
    EbpfEnvironment.requireTool("bpftool");
    Path object = BpfObjects.TLSCAPTURE.extract(dir);
    BpfLayout.Struct handshake = BpfLayout.struct(dir, object, "tls_handshake");
    assertEquals(EventLayout.HANDSHAKE_SIZE, handshake.size());
    assertEquals(Map.of("duration_ns", EventLayout.HANDSHAKE_DURATION_NS, "version", EventLayout.HANDSHAKE_VERSION,
        "flags", EventLayout.HANDSHAKE_FLAGS), handshake.offsets());
  }

  @Test
  void headerConstantsMatchTheSharedHeader() throws Exception {
    String header = BpfLayout.sharedHeader();
    assertTrue(header.contains("#define MAX_CHUNK " + EventLayout.MAX_CHUNK + "\n"), "MAX_CHUNK");
    assertTrue(header.contains("#define TASK_COMM_LEN " + EventLayout.COMM_LEN + "\n"), "TASK_COMM_LEN");
    assertTrue(header.contains("EVENT_DATA = " + EventLayout.KIND_DATA + ","), "EVENT_DATA");
    assertTrue(header.contains("EVENT_OPEN = " + EventLayout.KIND_OPEN + ","), "EVENT_OPEN");
    assertTrue(header.contains("EVENT_CLOSE = " + EventLayout.KIND_CLOSE + ","), "EVENT_CLOSE");
    assertTrue(header.contains("FLAG_TRUNCATED = " + EventLayout.FLAG_TRUNCATED + ","), "FLAG_TRUNCATED");
    assertTrue(header.contains("FLAG_READ_FAULT = " + EventLayout.FLAG_READ_FAULT + ","), "FLAG_READ_FAULT");
    assertTrue(header.contains("FLAG_BOUND_LATE = " + EventLayout.FLAG_BOUND_LATE + ","), "FLAG_BOUND_LATE");
    assertTrue(header.contains("HS_RESUMED = " + EventLayout.HS_RESUMED + ","), "HS_RESUMED");
    assertTrue(header.contains("HS_RESUMED_KNOWN = " + EventLayout.HS_RESUMED_KNOWN + ","), "HS_RESUMED_KNOWN");
    assertTrue(header.contains("HS_IMPLICIT = " + EventLayout.HS_IMPLICIT + ","), "HS_IMPLICIT");
    assertTrue(header.contains("DROP_RECORDS = " + EventLayout.DROP_RECORDS + ","), "DROP_RECORDS");
    assertTrue(header.contains("DROP_TRUNCATED = " + EventLayout.DROP_TRUNCATED + ","), "DROP_TRUNCATED");
    assertTrue(header.contains("DROP_FILTERED = " + EventLayout.DROP_FILTERED + ","), "DROP_FILTERED");
    assertTrue(header.contains("COUNT_ENTRY_HITS = " + EventLayout.COUNT_ENTRY_HITS + ","), "COUNT_ENTRY_HITS");
    assertTrue(header.contains("COUNT_RETURN_HITS = " + EventLayout.COUNT_RETURN_HITS + ","), "COUNT_RETURN_HITS");
    assertTrue(header.contains("DROP_COUNTERS = " + EventLayout.KERNEL_COUNTERS + ","), "DROP_COUNTERS");
    assertTrue(header.contains("EVENT_KEYS = " + EventLayout.KIND_KEYS + ","), "EVENT_KEYS");
    assertTrue(header.contains("EVENT_HANDSHAKE = " + EventLayout.KIND_HANDSHAKE + ","), "EVENT_HANDSHAKE");
    assertTrue(header.contains("COUNT_HANDSHAKES = " + EventLayout.COUNT_HANDSHAKES + ","), "COUNT_HANDSHAKES");
    assertTrue(header.contains("_Static_assert(sizeof(struct tls_handshake) == " + EventLayout.HANDSHAKE_SIZE + ","), "tls_handshake size");
  }
}
