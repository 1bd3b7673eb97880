package io.ecapture.kafka.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.bpf.BpfObjects;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** EventLayout must match struct tls_event as clang laid it out in the packaged BPF object. */
class EventLayoutTest {
  private static final Pattern MEMBER = Pattern.compile("^\\s+'(\\w+)' type_id=\\d+ bits_offset=(\\d+)");

  /** A struct's size and member byte offsets as the BTF of the compiled object records them. */
  private record BtfStruct(int size, Map<String, Integer> offsets) {
    static BtfStruct of(Path dir, Path object, String name) throws Exception {
      String dump = ExternalCommand.run(dir, List.of("bpftool", "btf", "dump", "file", object.toString()));
      Pattern header = Pattern.compile("STRUCT '" + name + "' size=(\\d+) vlen=\\d+");
      int size = -1;
      Map<String, Integer> offsets = new LinkedHashMap<>();
      boolean inStruct = false;
      for (String line : dump.split("\n")) {
        Matcher struct = header.matcher(line);
        if (struct.find()) {
          size = Integer.parseInt(struct.group(1));
          inStruct = true;
          continue;
        }
        Matcher member = MEMBER.matcher(line);
        if (inStruct && member.find()) {
          offsets.put(member.group(1), Integer.parseInt(member.group(2)) / 8);
        } else if (inStruct) {
          inStruct = false;
        }
      }
      return new BtfStruct(size, offsets);
    }
  }

  @Test
  void everyFieldOffsetMatchesTheCompiledObjectsBtf(@TempDir Path dir) throws Exception {
    EbpfEnvironment.requireTool("bpftool");
    Path object = BpfObjects.TLSCAPTURE.extract(dir);
    BtfStruct event = BtfStruct.of(dir, object, "tls_event");
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
    assertEquals(expected, offsets, "field -> byte offset");
  }

  @Test
  void keyRecordOffsetsMatchTheCompiledObjectsBtf(@TempDir Path dir) throws Exception {
    EbpfEnvironment.requireTool("bpftool");
    Path object = BpfObjects.TLSCAPTURE.extract(dir);
    BtfStruct keys = BtfStruct.of(dir, object, "tls_keys");
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
  void sslOffsetsAndHandshakeRecordMatchTheCompiledObjectsBtf(@TempDir Path dir) throws Exception {
    EbpfEnvironment.requireTool("bpftool");
    Path object = BpfObjects.TLSCAPTURE.extract(dir);
    BtfStruct offsets = BtfStruct.of(dir, object, "ssl_offsets");
    // TlsProbes writes `supported` and then OpenSslOffsets.asArray(), one u32 each, in order
    assertEquals(4 * (1 + OpenSslOffsets.FIELDS), offsets.size(), "sizeof(struct ssl_offsets)");
    assertEquals(OpenSslOffsets.FIELDS, OpenSslOffsets.OPENSSL_3_0_17.asArray().length);
    List<String> names = List.copyOf(offsets.offsets().keySet());
    assertEquals(List.of("supported", "ssl_version"), names.subList(0, 2));
    assertEquals(List.of("ssl_s3", "ssl_hit", "ssl_in_init", "ssl_type"), names.subList(names.size() - 4, names.size()));
    BtfStruct handshake = BtfStruct.of(dir, object, "tls_handshake");
    assertEquals(EventLayout.HANDSHAKE_SIZE, handshake.size());
    assertEquals(Map.of("duration_ns", EventLayout.HANDSHAKE_DURATION_NS, "version", EventLayout.HANDSHAKE_VERSION,
        "flags", EventLayout.HANDSHAKE_FLAGS), handshake.offsets());
  }

  @Test
  void headerConstantsMatchTheSharedHeader() throws Exception {
    String header;
    try (var in = EventLayoutTest.class.getResourceAsStream("/io/ecapture/kafka/bpf/tlscapture.h")) {
      assertTrue(in != null, "tlscapture.h packaged in the bpf jar");
      header = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
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
    assertTrue(header.contains("#define SSL_S3_EMBEDDED 0xffffffffU"), "SSL_S3_EMBEDDED");
    assertEquals(0xffffffff, OpenSslOffsets.S3_EMBEDDED);
    assertTrue(header.contains("#define SSL_NO_TYPE 0xffffffffU"), "SSL_NO_TYPE");
    assertEquals(0xffffffff, OpenSslOffsets.NO_TYPE);
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
    assertTrue(header.contains("FILTER_BY_PID = " + ProcessFilterMaps.FILTER_BY_PID + ","), "FILTER_BY_PID");
    assertTrue(header.contains("FILTER_BY_UID = " + ProcessFilterMaps.FILTER_BY_UID + ","), "FILTER_BY_UID");
    assertTrue(header.contains("FILTER_BY_COMM = " + ProcessFilterMaps.FILTER_BY_COMM + ","), "FILTER_BY_COMM");
    assertTrue(header.contains("#define MAX_LIBRARIES " + TlsProbes.MAX_LIBRARIES + "\n"), "MAX_LIBRARIES");
    assertTrue(header.contains("#define MAX_FILTER_ENTRIES " + CaptureFilter.MAX_ENTRIES + "\n"), "MAX_FILTER_ENTRIES");
  }
}
