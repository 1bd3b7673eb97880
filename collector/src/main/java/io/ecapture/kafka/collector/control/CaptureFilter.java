package io.ecapture.kafka.collector.control;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import io.ecapture.kafka.common.Json;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which processes the kernel side captures. Each non-empty set must match (AND across sets, OR
 * within one); all empty captures everything. Applied in the kernel through BPF maps, so a
 * filtered-out process costs only the uprobe trap and a map lookup.
 *
 * <p>JSON form ({@code GET/POST /config}, {@code /status}): {@code
 * {"pids":[..],"uids":[..],"comms":[".."],"cgroups":[".."]}}, each array sorted, {@code cgroups}
 * only when set. Read strictly: an unknown key, a value of the wrong type or trailing text is an
 * error with its reason (a misspelt key must never widen what is captured); a missing key means
 * an empty set.
 *
 * @param pids process ids (tgid)
 * @param uids user ids
 * @param comms task names as the kernel keeps them (at most 15 bytes; longer names never match)
 * @param cgroups cgroup v2 subtrees, as paths relative to the cgroup2 mount ("/kubepods.slice")
 *     or absolute below it (eCapture's {@code --cgroup_path} form): a process in one of them or
 *     in a cgroup below is captured. Each is resolved to its cgroup id (the directory's inode)
 *     when the filter is applied; a path that is no cgroup then is refused.
 */
public record CaptureFilter(Set<Integer> pids, Set<Integer> uids, Set<String> comms, Set<String> cgroups) {
  /** Captures every process. */
  public static final CaptureFilter ALL = new CaptureFilter(Set.of(), Set.of(), Set.of(), Set.of());
  /** Longest cgroup path accepted (PATH_MAX). */
  public static final int MAX_CGROUP_PATH_BYTES = 4096;
  /** Kernel limit on a task name (TASK_COMM_LEN 16 with its NUL). */
  public static final int MAX_COMM_BYTES = 15;
  /** Size of each kernel filter map (MAX_FILTER_ENTRIES of tlscapture.h). */
  public static final int MAX_ENTRIES = 1024;

  /** Jackson, strict, and nothing may follow the object. */
  private static final ObjectReader READER =
      Json.MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  public CaptureFilter {
    pids = Set.copyOf(pids);
    uids = Set.copyOf(uids);
    comms = Set.copyOf(comms);
    cgroups = Set.copyOf(cgroups);
    if (pids.size() > MAX_ENTRIES || uids.size() > MAX_ENTRIES || comms.size() > MAX_ENTRIES
        || cgroups.size() > MAX_ENTRIES) {
      throw new IllegalArgumentException("at most " + MAX_ENTRIES + " pids, uids, comms and cgroups each");
    }
    for (String cgroup : cgroups) {
      if (cgroup.isBlank() || cgroup.indexOf('\0') >= 0
          || cgroup.getBytes(StandardCharsets.UTF_8).length > MAX_CGROUP_PATH_BYTES) {
        throw new IllegalArgumentException("cgroup must be a path of 1.." + MAX_CGROUP_PATH_BYTES + " bytes: '" + cgroup + "'");
      }
      if (List.of(cgroup.split("/")).contains("..")) {
        throw new IllegalArgumentException("cgroup path must not contain '..': '" + cgroup + "'");
      }
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

  /** Without a cgroup filter. */
  public CaptureFilter(Set<Integer> pids, Set<Integer> uids, Set<String> comms) {
    this(pids, uids, comms, Set.of());
  }

  /**
   * This filter with its pids, uids and cgroups replaced and every other part kept: what an
   * eCapture module configuration ({@code pid}, {@code uid}, {@code cgroup_path}) sets, see {@link
   * EcaptureConfigApi}. A component added to this record must be carried over here: dropping it
   * would widen the capture.
   */
  public CaptureFilter withEcaptureTargets(Set<Integer> newPids, Set<Integer> newUids, Set<String> newCgroups) {
    return new CaptureFilter(newPids, newUids, comms, newCgroups);
  }

  public boolean capturesEverything() {
    return pids.isEmpty() && uids.isEmpty() && comms.isEmpty() && cgroups.isEmpty();
  }

  /** The JSON form (see the class comment); what {@link #view()} serialises to. */
  public String toJson() {
    return Json.write(view());
  }

  /** The value Jackson writes for this filter: the sets as sorted lists. */
  public View view() {
    return new View(List.copyOf(new TreeSet<>(pids)), List.copyOf(new TreeSet<>(uids)), List.copyOf(new TreeSet<>(comms)),
        List.copyOf(new TreeSet<>(cgroups)));
  }

  /** The JSON document of a filter, keys in this order; {@code cgroups} only when not empty. */
  @JsonPropertyOrder({"pids", "uids", "comms", "cgroups"})
  public record View(
      List<Integer> pids,
      List<Integer> uids,
      List<String> comms,
      @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> cgroups) {}

  /**
   * Reads the JSON form; a missing key means an empty set.
   *
   * @throws IllegalArgumentException on anything else, with the reason
   */
  public static CaptureFilter fromJson(String json) {
    JsonNode root;
    try {
      root = READER.readTree(json);
    } catch (JsonProcessingException e) {
      throw bad(e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw bad("expected an object {\"pids\":[..],\"uids\":[..],\"comms\":[..],\"cgroups\":[..]}");
    }
    List<Integer> pids = List.of();
    List<Integer> uids = List.of();
    List<String> comms = List.of();
    List<String> cgroups = List.of();
    for (Map.Entry<String, JsonNode> field : root.properties()) {
      String key = field.getKey();
      switch (key) {
        case "pids" -> pids = ints(key, field.getValue());
        case "uids" -> uids = ints(key, field.getValue());
        case "comms" -> comms = strings(key, field.getValue());
        case "cgroups" -> cgroups = strings(key, field.getValue());
        default -> throw bad("unknown key '" + key + "' (expected pids, uids, comms, cgroups)");
      }
    }
    return new CaptureFilter(Set.copyOf(pids), Set.copyOf(uids), Set.copyOf(comms), Set.copyOf(cgroups));
  }

  private static List<Integer> ints(String key, JsonNode array) {
    List<Integer> values = new ArrayList<>();
    for (JsonNode element : elements(key, array)) {
      if (!element.isIntegralNumber() || !element.canConvertToInt()) {
        throw bad("expected an integer in '" + key + "', got " + element);
      }
      values.add(element.intValue());
    }
    return values;
  }

  private static List<String> strings(String key, JsonNode array) {
    List<String> values = new ArrayList<>();
    for (JsonNode element : elements(key, array)) {
      if (!element.isTextual()) {
        throw bad("expected a string in '" + key + "', got " + element);
      }
      values.add(element.textValue());
    }
    return values;
  }

  private static JsonNode elements(String key, JsonNode array) {
    if (!array.isArray()) {
      throw bad("'" + key + "' must be an array, got " + array);
    }
    return array;
  }

  private static IllegalArgumentException bad(String what) {
    return new IllegalArgumentException("bad filter JSON: " + what);
  }
}
