package io.ecapture.kafka.collector.probe.gotls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.EbpfEnvironment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Pins {@link GoTlsOffsets}' table to the Go sources it was checked against: the struct
 * declarations the BPF side follows ({@code crypto/tls.Conn}, {@code net.TCPConn}, {@code net.conn},
 * {@code net.netFD}, {@code internal/poll.FD}, {@code internal/poll.fdMutex}, {@code sync.Mutex})
 * are parsed from Debian's go1.19 source tree and laid out with Go's amd64 rules (each field at
 * the next multiple of its alignment; interface and string 16/8, pointer, func, int 8/8, ...). The
 * offsets computed from the source must equal the table's for go1.19, the one release checked from
 * source; the other releases' entries must not claim the TLS version offset, which moved in 1.21.
 */
class GoTlsOffsetsSourceTest {
  private static final Path GO119 = Path.of("/usr/lib/go-1.19/src");

  /** amd64 size and alignment of the field types the leading fields use. */
  private static final Map<String, int[]> TYPES = Map.ofEntries(
      Map.entry("net.Conn", new int[] {16, 8}), Map.entry("error", new int[] {16, 8}),
      Map.entry("bool", new int[] {1, 1}), Map.entry("uint16", new int[] {2, 2}),
      Map.entry("int32", new int[] {4, 4}), Map.entry("uint32", new int[] {4, 4}),
      Map.entry("uint64", new int[] {8, 8}), Map.entry("int", new int[] {8, 8}),
      Map.entry("atomic.Bool", new int[] {4, 4}));

  record Field(String name, String type) {}

  @Test
  void go119SourcesGiveTheTablesOffsets() throws IOException {
    if (!Files.isDirectory(GO119.resolve("crypto/tls"))) {
      EbpfEnvironment.unavailable("Debian's go1.19 sources (golang-1.19-src) are not in " + GO119);
    }
    // sync.Mutex and fdMutex: fixed-size structs of their own
    int[] mutex = size(fields(GO119.resolve("sync/mutex.go"), "Mutex"));
    int[] fdMutex = size(fields(GO119.resolve("internal/poll/fd_mutex.go"), "fdMutex"));
    assertEquals(8, mutex[0]);
    assertEquals(16, fdMutex[0]);
    java.util.HashMap<String, int[]> types = new java.util.HashMap<>(TYPES);
    types.put("sync.Mutex", mutex);
    types.put("fdMutex", fdMutex);

    List<Field> conn = fields(GO119.resolve("crypto/tls/conn.go"), "Conn");
    Map<String, Integer> tls = offsets(conn, "vers", types);
    List<Field> tcpConn = fields(GO119.resolve("net/tcpsock.go"), "TCPConn");
    List<Field> netConn = fields(GO119.resolve("net/net.go"), "conn");
    List<Field> netFd = fields(GO119.resolve("net/fd_posix.go"), "netFD");
    List<Field> fd = fields(GO119.resolve("internal/poll/fd_unix.go"), "FD");
    assertEquals(new Field("conn", "conn"), tcpConn.getFirst(), "TCPConn embeds net.conn first");
    assertEquals(new Field("fd", "*netFD"), netConn.getFirst(), "net.conn's first field is fd *netFD");
    assertEquals(new Field("pfd", "poll.FD"), netFd.getFirst(), "netFD starts with pfd poll.FD");
    Map<String, Integer> pollFd = offsets(fd, "Sysfd", types);

    GoTlsOffsets table = GoTlsOffsets.forVersion(1, GoTlsOffsets.CHECKED_FROM_SOURCE).orElseThrow();
    assertEquals(tls.get("conn") + 8, table.connConnData(), "tls.Conn.conn's data word (interface: itab, data)");
    assertEquals(tls.get("isClient"), table.connIsClient());
    assertEquals(tls.get("vers"), table.connVers());
    assertEquals(0, table.tcpConnFd(), "TCPConn.conn.fd at 0");
    assertEquals(pollFd.get("Sysfd"), table.netFdSysfd(), "netFD.pfd.Sysfd");
    assertEquals("go-version table (go1.19)", table.source());
  }

  @Test
  void releasesNotCheckedFromSourceSaySoAndClaimNoVersionOffset() {
    for (int minor = GoTlsOffsets.MIN_MINOR; minor <= GoTlsOffsets.MAX_CHECKED_MINOR + 2; minor++) {
      GoTlsOffsets entry = GoTlsOffsets.forVersion(1, minor).orElseThrow();
      if (minor == GoTlsOffsets.CHECKED_FROM_SOURCE) {
        continue;
      }
      assertEquals(0, entry.connVers(), "go1." + minor);
      assertTrue(entry.source().contains("not checked from source") || entry.source().contains("assumed unchanged"),
          entry.source());
    }
  }

  /** The fields of {@code type NAME struct { ... }} in {@code file}, in order (comments dropped). */
  static List<Field> fields(Path file, String name) throws IOException {
    List<String> lines = Files.readAllLines(file);
    int start = lines.indexOf("type " + name + " struct {");
    assertTrue(start >= 0, "type " + name + " struct in " + file);
    List<Field> out = new ArrayList<>();
    Pattern field = Pattern.compile("^\\s*([A-Za-z_][A-Za-z0-9_]*(?:\\s*,\\s*[A-Za-z_][A-Za-z0-9_]*)*)\\s+(\\S.*?)\\s*$");
    for (int i = start + 1; i < lines.size(); i++) {
      String line = lines.get(i).replaceAll("//.*", "").strip();
      if (line.equals("}")) {
        break;
      }
      if (line.isEmpty()) {
        continue;
      }
      if (!line.contains(" ") && !line.contains("\t")) {
        out.add(new Field(line, line)); // embedded
        continue;
      }
      Matcher m = field.matcher(line);
      assertTrue(m.matches(), line);
      for (String n : m.group(1).split("\\s*,\\s*")) {
        out.add(new Field(n, m.group(2)));
      }
    }
    return out;
  }

  /** Offsets of {@code fields} up to and including {@code last}, with Go's amd64 rules. */
  static Map<String, Integer> offsets(List<Field> fields, String last, Map<String, int[]> types) {
    Map<String, Integer> out = new java.util.LinkedHashMap<>();
    int at = 0;
    for (Field f : fields) {
      int[] sa = sizeAlign(f.type(), types);
      at = (at + sa[1] - 1) / sa[1] * sa[1];
      out.put(f.name(), at);
      if (f.name().equals(last)) {
        return out;
      }
      at += sa[0];
    }
    throw new AssertionError(last + " not among " + fields);
  }

  /** Size and alignment of a struct of {@code fields}. */
  private static int[] size(List<Field> fields) {
    int at = 0;
    int align = 1;
    for (Field f : fields) {
      int[] sa = sizeAlign(f.type(), TYPES);
      at = (at + sa[1] - 1) / sa[1] * sa[1] + sa[0];
      align = Math.max(align, sa[1]);
    }
    return new int[] {(at + align - 1) / align * align, align};
  }

  private static int[] sizeAlign(String type, Map<String, int[]> types) {
    if (type.startsWith("*") || type.startsWith("func(") || type.startsWith("map[") || type.startsWith("chan ")) {
      return new int[] {8, 8};
    }
    int[] known = types.get(type);
    if (known == null) {
      throw new AssertionError("no amd64 size known for " + type + ": extend TYPES before relying on it");
    }
    return known;
  }
}
