package io.ecapture.kafka.collector.control;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import io.ecapture.kafka.common.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.locks.Lock;

/**
 * eCapture's remote configuration API (gojue/ecapture {@code cli/http}), so an eCapture user's
 * scripts drive the collector's process filter with only the token header added: {@code POST
 * /tls}, {@code /openssl} or {@code /boringssl} with eCapture's module configuration JSON, answered
 * with eCapture's envelope {@code {"code":N,"module_type":"openssl","msg":"..","data":..}}.
 *
 * <p>What a body means here:
 *
 * <ul>
 *   <li>{@code pid}, {@code uid} (eCapture's {@code BaseConfig}, uint64, 0 = every process / every
 *       user) and {@code cgroup_path} ("" = every cgroup) replace the pids, uids and cgroups of the
 *       {@link CaptureFilter} in force, as eCapture replaces its whole module configuration; the
 *       comms, which eCapture cannot express, stay. As in eCapture, uid 0 means no uid filter.
 *   <li>Keys eCapture knows that would narrow its capture but have no equivalent here ({@code
 *       port}, {@code pcapfilter}, {@code truncate_size}, a {@code capturemode} other than text)
 *       are refused with code 5 when set: ignoring them would capture more than asked.
 *   <li>eCapture's output, format and detection settings ({@link #IGNORED}) are accepted and
 *       ignored; the answer lists them in {@code data.ignored}.
 *   <li>Any other key is refused with code 4, unlike eCapture (whose decoder skips unknown keys):
 *       a misspelt key must never widen what is captured.
 * </ul>
 *
 * <p>Codes (eCapture's {@code Status}): 0 {@code RespOK}, 1 invalid request, 2 internal error, 3
 * unknown module, 4 decode failed, 5 check failed, 6 busy ({@code RespSendToChanFailed}: another
 * filter change is being applied). HTTP status 200 for 0, 400 for 1, 4 and 5, 404 for 3, 500 for
 * 2, 503 for 6; 401/403/415 for a request the {@link StatusServer} refuses before it gets here.
 */
public final class EcaptureConfigApi {
  /** eCapture's {@code Status} values. */
  public static final int OK = 0;
  public static final int INVALID_REQUEST = 1;
  public static final int INTERNAL_ERROR = 2;
  public static final int NOT_FOUND = 3;
  public static final int DECODE_FAILED = 4;
  public static final int CHECK_FAILED = 5;
  public static final int BUSY = 6;

  /** The paths this API serves, each to eCapture's OpenSSL/BoringSSL module ("openssl"). */
  public static final Set<String> TLS_PATHS = Set.of("/tls", "/openssl", "/boringssl");
  /** eCapture's other module paths with the module_type it answers: not captured here (code 3). */
  public static final Map<String, String> OTHER_MODULES = Map.of(
      "/gotls", "gotls", "/gnutls", "gnutls", "/nss", "nspr", "/nspr", "nspr", "/bash", "bash",
      "/mysqld", "mysql", "/postgres", "postgres", "/postgress", "postgres");
  /** module_type of the TLS paths, as eCapture answers them. */
  public static final String TLS_MODULE = "openssl";

  /** Keys of eCapture's BaseConfig and OpensslConfig (v1 and v2) that do not narrow its capture. */
  static final Set<String> IGNORED = Set.of(
      "debug", "is_hex", "hex", "btf", "btf_mode", "byte_code_file_mode", "per_cpu_map_size",
      "logger_addr", "logger_type", "logger_tcp_addr", "event_collector_addr", "event_rotate_size_mb",
      "event_rotate_seconds", "ecapture_q", "listen", "addr_type", "perf_reorder", "perf_reorder_lag_ms",
      "opensslpath", "openssl", "curlpath", "pthread", "write", "keylogfile", "pcapfile", "ifname",
      "sslversion", "isboringssl", "boringssl_keylog_addr", "masterhookfuncs", "sslbpffile",
      "is_android", "androidver");

  private static final ObjectReader READER =
      Json.MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private final FilterControl filter;
  private final Lock changes;

  /**
   * @param filter the filter to change
   * @param changes held while any filter change is applied; a request finding it held is answered
   *     busy (code 6) instead of waiting
   */
  public EcaptureConfigApi(FilterControl filter, Lock changes) {
    this.filter = filter;
    this.changes = changes;
  }

  /** eCapture's response envelope. */
  @JsonPropertyOrder({"code", "module_type", "msg", "data"})
  public record Envelope(int code, String module_type, String msg, Object data) {}

  /** What {@code data} holds on success: the filter now in force and the keys ignored. */
  @JsonPropertyOrder({"filter", "ignored"})
  public record Applied(CaptureFilter.View filter, List<String> ignored) {}

  /** An answer: HTTP status and envelope. */
  public record Reply(int httpStatus, Envelope envelope) {
    public String json() {
      return Json.write(envelope) + "\n";
    }
  }

  /** Whether {@code path} is one of eCapture's module endpoints (served or answered with code 3). */
  public static boolean isModulePath(String path) {
    return TLS_PATHS.contains(path) || OTHER_MODULES.containsKey(path);
  }

  /** The module_type eCapture answers on {@code path}. */
  public static String moduleType(String path) {
    return TLS_PATHS.contains(path) ? TLS_MODULE : OTHER_MODULES.getOrDefault(path, path.replaceFirst("^/", ""));
  }

  /** A refusal in eCapture's envelope (the request never reached a module). */
  public static Reply refused(String path, int httpStatus, String reason) {
    return new Reply(httpStatus, new Envelope(INVALID_REQUEST, moduleType(path), reason, null));
  }

  /** Handles an authorised {@code POST} of {@code body} to {@code path}. */
  public Reply handle(String path, String body) {
    String module = moduleType(path);
    if (!TLS_PATHS.contains(path)) {
      return reply(404, NOT_FOUND, module, "module " + module + " is not captured by this collector: "
          + "only OpenSSL/BoringSSL (POST /tls, /openssl or /boringssl)");
    }
    JsonNode root;
    try {
      root = READER.readTree(body);
    } catch (JsonProcessingException e) {
      return reply(400, DECODE_FAILED, module, "config JSON does not decode: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      return reply(400, DECODE_FAILED, module, "expected a JSON object such as {\"pid\":1234,\"uid\":0}");
    }
    long pid = 0;
    long uid = 0;
    String cgroup = "";
    List<String> ignored = new ArrayList<>();
    for (Map.Entry<String, JsonNode> field : root.properties()) {
      String key = field.getKey();
      JsonNode value = field.getValue();
      String refusal = null;
      switch (key) {
        case "pid", "uid" -> {
          if (!value.isNull() && (!value.isIntegralNumber() || value.bigIntegerValue().signum() < 0)) {
            return reply(400, DECODE_FAILED, module, "'" + key + "' must be an unsigned integer, got " + value);
          }
          if (!value.isNull() && !value.canConvertToInt()) {
            return reply(400, CHECK_FAILED, module, "'" + key + "' " + value + " is not a valid id");
          }
          if (key.equals("pid")) {
            pid = value.asLong();
          } else {
            uid = value.asLong();
          }
        }
        case "cgroup_path" -> {
          if (!value.isNull() && !value.isTextual()) {
            return reply(400, DECODE_FAILED, module, "'cgroup_path' must be a string, got " + value);
          }
          cgroup = value.isNull() ? "" : value.textValue().strip();
        }
        case "pcapfilter" -> refusal = nonEmptyText(value) ? key + " is not supported by this "
            + "collector (a filter it cannot apply would capture more than asked)" : null;
        case "port", "truncate_size" -> refusal = nonZero(value) ? key + " is not supported by this collector "
            + "(it captures every port, whole calls): not applying a narrower capture" : null;
        case "capturemode" -> refusal = value.isNull() || value.asText().isEmpty()
            || value.asText().equalsIgnoreCase("text") ? null
            : "capturemode " + value + " is not supported: this collector captures text (plaintext) only";
        default -> {
          if (!IGNORED.contains(key)) {
            return reply(400, DECODE_FAILED, module, "unknown key '" + key + "': this collector applies pid, "
                + "uid and cgroup_path, ignores eCapture's output settings " + new TreeSet<>(IGNORED)
                + " and refuses anything else");
          }
          ignored.add(key);
        }
      }
      if (refusal != null) {
        return reply(400, CHECK_FAILED, module, refusal);
      }
    }
    return apply(module, (int) pid, (int) uid, cgroup, ignored);
  }

  private Reply apply(String module, int pid, int uid, String cgroup, List<String> ignored) {
    if (!changes.tryLock()) {
      return reply(503, BUSY, module, "RespSendToChanFailed");
    }
    try {
      CaptureFilter next;
      try {
        next = filter.current().withEcaptureTargets(pid == 0 ? Set.of() : Set.of(pid),
            uid == 0 ? Set.of() : Set.of(uid), cgroup.isEmpty() ? Set.of() : Set.of(cgroup));
      } catch (IllegalArgumentException e) {
        return reply(400, CHECK_FAILED, module, e.getMessage());
      }
      try {
        filter.update(next);
      } catch (UnsupportedOperationException e) {
        return reply(500, INTERNAL_ERROR, module, "filter not changeable: " + e.getMessage());
      } catch (RuntimeException e) {
        // nothing attached for the pid (no such process, no OpenSSL in it): the old filter stays
        return reply(400, CHECK_FAILED, module, "filter not applied: " + e.getMessage());
      }
      List<String> sorted = ignored.stream().sorted().toList();
      return new Reply(200, new Envelope(OK, module, "RespOK", new Applied(filter.current().view(), sorted)));
    } finally {
      changes.unlock();
    }
  }

  private static Reply reply(int httpStatus, int code, String module, String msg) {
    return new Reply(httpStatus, new Envelope(code, module, msg, null));
  }

  private static boolean nonEmptyText(JsonNode value) {
    return !value.isNull() && !(value.isTextual() && value.textValue().isEmpty());
  }

  private static boolean nonZero(JsonNode value) {
    return !value.isNull() && !(value.isNumber() && value.asDouble() == 0);
  }
}
