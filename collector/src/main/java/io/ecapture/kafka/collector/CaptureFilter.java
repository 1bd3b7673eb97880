package io.ecapture.kafka.collector;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Which processes the kernel side captures. Each non-empty set must match (AND across sets, OR
 * within one); all empty captures everything. Applied in the kernel through BPF maps, so a
 * filtered-out process costs only the uprobe trap and a map lookup.
 *
 * @param pids process ids (tgid)
 * @param uids user ids
 * @param comms task names as the kernel keeps them (at most 15 bytes; longer names never match)
 */
public record CaptureFilter(Set<Integer> pids, Set<Integer> uids, Set<String> comms) {
  /** Captures every process. */
  public static final CaptureFilter ALL = new CaptureFilter(Set.of(), Set.of(), Set.of());
  /** Kernel limit on a task name (TASK_COMM_LEN 16 with its NUL). */
  public static final int MAX_COMM_BYTES = 15;
  /** Size of each kernel filter map (MAX_FILTER_ENTRIES of tlscapture.h). */
  public static final int MAX_ENTRIES = 1024;

  public CaptureFilter {
    pids = Set.copyOf(pids);
    uids = Set.copyOf(uids);
    comms = Set.copyOf(comms);
    if (pids.size() > MAX_ENTRIES || uids.size() > MAX_ENTRIES || comms.size() > MAX_ENTRIES) {
      throw new IllegalArgumentException("at most " + MAX_ENTRIES + " pids, uids and comms each");
    }
    for (String comm : comms) {
      int length = comm.getBytes(StandardCharsets.UTF_8).length;
      if (length == 0 || length > MAX_COMM_BYTES) {
        throw new IllegalArgumentException("comm must be 1.." + MAX_COMM_BYTES + " bytes: '" + comm + "'");
      }
    }
    for (int pid : pids) {
      if (pid <= 0) {
        throw new IllegalArgumentException("pid must be positive: " + pid);
      }
    }
    for (int uid : uids) {
      if (uid < 0) {
        throw new IllegalArgumentException("uid must be >= 0: " + uid);
      }
    }
  }

  public boolean capturesEverything() {
    return pids.isEmpty() && uids.isEmpty() && comms.isEmpty();
  }

  /** {@code {"pids":[..],"uids":[..],"comms":[".."]}}, sorted. */
  public String toJson() {
    return "{\"pids\":" + new TreeSet<>(pids) .toString().replace(" ", "")
        + ",\"uids\":" + new TreeSet<>(uids).toString().replace(" ", "")
        + ",\"comms\":[" + new TreeSet<>(comms).stream().map(CaptureFilter::quote).collect(Collectors.joining(",")) + "]}";
  }

  /**
   * Parses the JSON object {@link #toJson} writes; a missing key means an empty set.
   *
   * @throws IllegalArgumentException on anything else, with the reason
   */
  public static CaptureFilter fromJson(String json) {
    JsonFilterParser parser = new JsonFilterParser(json);
    return parser.parse();
  }

  private static String quote(String text) {
    return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  /** A deliberately small parser for one flat object of arrays of ints or strings. */
  private static final class JsonFilterParser {
    private final String text;
    private int at;

    JsonFilterParser(String text) {
      this.text = text;
    }

    CaptureFilter parse() {
      List<Integer> pids = List.of();
      List<Integer> uids = List.of();
      List<String> comms = List.of();
      expect('{');
      if (!peek('}')) {
        do {
          String key = string();
          expect(':');
          switch (key) {
            case "pids" -> pids = ints();
            case "uids" -> uids = ints();
            case "comms" -> comms = strings();
            default -> throw error("unknown key '" + key + "' (expected pids, uids, comms)");
          }
        } while (consume(','));
      }
      expect('}');
      skipSpace();
      if (at != text.length()) {
        throw error("trailing characters");
      }
      return new CaptureFilter(Set.copyOf(pids), Set.copyOf(uids), Set.copyOf(comms));
    }

    private List<Integer> ints() {
      List<Integer> values = new ArrayList<>();
      expect('[');
      if (!peek(']')) {
        do {
          skipSpace();
          int start = at;
          while (at < text.length() && (Character.isDigit(text.charAt(at)) || text.charAt(at) == '-')) {
            at++;
          }
          try {
            values.add(Integer.parseInt(text.substring(start, at)));
          } catch (NumberFormatException e) {
            throw error("expected an integer");
          }
        } while (consume(','));
      }
      expect(']');
      return values;
    }

    private List<String> strings() {
      List<String> values = new ArrayList<>();
      expect('[');
      if (!peek(']')) {
        do {
          values.add(string());
        } while (consume(','));
      }
      expect(']');
      return values;
    }

    private String string() {
      expect('"');
      StringBuilder out = new StringBuilder();
      while (at < text.length() && text.charAt(at) != '"') {
        char c = text.charAt(at++);
        if (c == '\\' && at < text.length()) {
          c = text.charAt(at++);
        }
        out.append(c);
      }
      expect('"');
      return out.toString();
    }

    private boolean peek(char c) {
      skipSpace();
      return at < text.length() && text.charAt(at) == c;
    }

    private boolean consume(char c) {
      if (peek(c)) {
        at++;
        return true;
      }
      return false;
    }

    private void expect(char c) {
      if (!consume(c)) {
        throw error("expected '" + c + "'");
      }
    }

    private void skipSpace() {
      while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
        at++;
      }
    }

    private IllegalArgumentException error(String what) {
      return new IllegalArgumentException("bad filter JSON at character " + at + ": " + what);
    }
  }
}
