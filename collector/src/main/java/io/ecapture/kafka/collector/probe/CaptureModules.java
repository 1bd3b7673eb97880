package io.ecapture.kafka.collector.probe;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The collector's capture modules ({@code --modules}) and their definitions: what each probes,
 * where its target is found, and which of them run. {@code tls} is the OpenSSL/BoringSSL path
 * ({@link TlsProbes}, run by the collector itself), {@code gotls} is reserved for Go crypto/tls
 * (its own module class), the others are {@link UprobeModule}s sharing one BPF object.
 */
public final class CaptureModules implements AutoCloseable {
  /** Every module name, in {@code --modules} order. */
  public static final List<String> NAMES = List.of("tls", "gotls", "gnutls", "nss", "bash", "zsh", "mysql", "postgres");

  // modules.h enum module_id
  static final int MOD_GNUTLS = 1;
  static final int MOD_NSS = 2;
  static final int MOD_BASH = 3;
  static final int MOD_ZSH = 4;
  static final int MOD_MYSQL = 5;
  static final int MOD_POSTGRES = 6;

  /** GnuTLS's internal key-log call, located by {@link #gnutlsKeyLogCall} (not exported). */
  static final String GNUTLS_KEYLOG_CALL = "_gnutls_call_keylog_func";

  private static final List<String> LIB_DIRS = List.of("/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu",
      "/usr/lib64", "/usr/lib/aarch64-linux-gnu");

  private final ModulesConfig config;
  private final List<CaptureModule> modules;
  private final List<CaptureModule> running = new ArrayList<>();
  private final Supplier<ModuleStatus> tlsStatus;
  private ModuleProbes probes;

  private CaptureModules(ModulesConfig config, List<CaptureModule> modules, Supplier<ModuleStatus> tlsStatus) {
    this.config = config;
    this.modules = modules;
    this.tlsStatus = tlsStatus;
  }

  /**
   * The modules of {@code config}; {@code tls} is reported through {@code tlsStatus} (the
   * collector runs it), extra modules (Go crypto/tls) come in {@code extra}.
   */
  public static CaptureModules create(ModulesConfig config, Supplier<ModuleStatus> tlsStatus, List<CaptureModule> extra) {
    List<CaptureModule> list = new ArrayList<>(extra);
    CaptureModules result = new CaptureModules(config, list, tlsStatus);
    Function<ModuleContext, ModuleProbes> shared = result::sharedProbes;
    Function<ModulesConfig, UprobeModule.Explicit> none = c -> UprobeModule.Explicit.NONE;
    list.add(new UprobeModule("gnutls", MOD_GNUTLS, libs("libgnutls.so.30"),
        List.of(new UprobeModule.Hook(List.of("gnutls_record_send"), "gnutls_send_entry", "data_return"),
            new UprobeModule.Hook(List.of("gnutls_record_recv"), "gnutls_recv_entry", "data_return"),
            // the key log: found by machine code (gnutlsOffsets), optional
            new UprobeModule.Hook(List.of(GNUTLS_KEYLOG_CALL), "gnutls_keylog_entry", null, true)),
        CaptureModules::gnutlsOffsets, none, shared));
    list.add(new UprobeModule("nss", MOD_NSS, libs("libnspr4.so"),
        List.of(new UprobeModule.Hook(List.of("PR_Write"), "nspr_write_entry", "nspr_return"),
            new UprobeModule.Hook(List.of("PR_Send"), "nspr_write_entry", "nspr_return"),
            new UprobeModule.Hook(List.of("PR_Read"), "nspr_read_entry", "nspr_return"),
            new UprobeModule.Hook(List.of("PR_Recv"), "nspr_read_entry", "nspr_return")),
        CaptureModules::nsprOffsets, none, shared));
    list.add(new UprobeModule("bash", MOD_BASH, List.of("/usr/bin/bash", "/bin/bash"),
        List.of(new UprobeModule.Hook(List.of("readline"), null, "bash_line_return"),
            // the exit status: the command's execute_command return, or exit_shell for `exit`
            new UprobeModule.Hook(List.of("execute_command"), null, "bash_exec_return"),
            new UprobeModule.Hook(List.of("exit_shell"), "bash_exit_entry", null)),
        f -> UprobeModule.Offsets.NONE, none, shared));
    list.add(new UprobeModule("zsh", MOD_ZSH, List.of("/usr/lib/x86_64-linux-gnu/zsh/*/zsh/zle.so",
        "/usr/lib64/zsh/*/zsh/zle.so", "/usr/lib/aarch64-linux-gnu/zsh/*/zsh/zle.so"),
        List.of(new UprobeModule.Hook(List.of("zleread"), null, "shell_line_return")),
        f -> UprobeModule.Offsets.NONE, none, shared));
    list.add(new UprobeModule("mysql", MOD_MYSQL, List.of("/usr/sbin/mariadbd", "/usr/sbin/mysqld", "/usr/libexec/mysqld"),
        List.of(new UprobeModule.Hook(List.of("_Z16dispatch_command*", "dispatch_command"), "mysql_dispatch_entry",
            "mysql_dispatch_return")),
        f -> UprobeModule.Offsets.NONE,
        c -> new UprobeModule.Explicit(c.mysqlFunction().orElse(null), c.mysqlOffset()), shared));
    list.add(new UprobeModule("postgres", MOD_POSTGRES, List.of("/usr/lib/postgresql/*/bin/postgres",
        "/usr/pgsql-*/bin/postgres", "/usr/bin/postgres"),
        List.of(new UprobeModule.Hook(List.of("exec_simple_query", "pg_parse_query"), "pg_query_entry", null)),
        f -> UprobeModule.Offsets.NONE,
        c -> new UprobeModule.Explicit(c.postgresFunction().orElse(null), c.postgresOffset()), shared));
    return result;
  }

  private static List<String> libs(String file) {
    return LIB_DIRS.stream().map(d -> d + "/" + file).toList();
  }

  private synchronized ModuleProbes sharedProbes(ModuleContext context) {
    if (probes == null) {
      probes = ModuleProbes.load(context);
    }
    return probes;
  }

  /** Whether the OpenSSL path ({@code tls}) runs under {@code config}. */
  public static boolean tlsWanted(ModulesConfig config) {
    return config.wants("tls", true);
  }

  /** Starts every selected module (by default: those whose target is present). */
  public void start(ModuleContext context) {
    for (CaptureModule module : modules) {
      if (config.wants(module.name(), module.targetPresent())) {
        module.start(context);
        running.add(module);
      }
    }
  }

  /** Every module's state, in {@link #NAMES} order. */
  public List<ModuleStatus> statuses() {
    Map<String, ModuleStatus> by = new java.util.HashMap<>();
    by.put("tls", tlsStatus.get());
    for (CaptureModule module : modules) {
      by.put(module.name(), module.status());
    }
    List<ModuleStatus> out = new ArrayList<>();
    for (String name : NAMES) {
      out.add(by.getOrDefault(name, ModuleStatus.disabled(name, "not built into this collector")));
    }
    return out;
  }

  /** Events the modules (not tls) delivered so far. */
  public long moduleEvents() {
    return modules.stream().mapToLong(m -> m.status().events()).sum();
  }

  /** The module called {@code name}, if any (not tls). */
  public java.util.Optional<CaptureModule> module(String name) {
    return modules.stream().filter(m -> m.name().equals(name)).findFirst();
  }

  @Override
  public synchronized void close() {
    for (int i = running.size() - 1; i >= 0; i--) {
      running.get(i).close();
    }
    running.clear();
    if (probes != null) {
      probes.close();
      probes = null;
    }
  }

  /**
   * GnuTLS keeps the transport int of a session at a build-specific offset: read it from {@code
   * gnutls_transport_get_int}, which is {@code mov disp32(%rdi),%eax; ret} on x86-64.
   */
  static UprobeModule.Offsets gnutlsOffsets(Path file) {
    Long at = ElfSymbols.matchingOffsets(file, Set.of("gnutls_transport_get_int")).get("gnutls_transport_get_int");
    if (at == null) {
      return UprobeModule.Offsets.failed("gnutls_transport_get_int not in its symbol tables: fd offset unknown");
    }
    int offset = gnutlsTransportOffset(ElfSymbols.bytesAt(file, at, 16));
    if (offset < 0) {
      return UprobeModule.Offsets.failed("gnutls_transport_get_int has unexpected machine code: fd offset unknown");
    }
    // the key log: the client random's offset and the internal key-log call
    Map<String, Long> exported = ElfSymbols.matchingOffsets(file,
        Set.of("gnutls_session_get_random", "gnutls_session_set_keylog_function"));
    Long random = exported.get("gnutls_session_get_random");
    Long setKeyLog = exported.get("gnutls_session_set_keylog_function");
    int randomOffset = random == null ? -1 : gnutlsClientRandomOffset(ElfSymbols.bytesAt(file, random, 32));
    long call = setKeyLog == null ? -1 : gnutlsKeyLogCall(ElfSymbols.bytesAt(file, setKeyLog, 96));
    if (randomOffset <= 0 || call < 0) {
      return new UprobeModule.Offsets(offset, 0, 0, null, Map.of(), List.of("key log off: "
          + (randomOffset <= 0 ? "client random offset not decoded from gnutls_session_get_random"
              : GNUTLS_KEYLOG_CALL + " not found after gnutls_session_set_keylog_function")));
    }
    return new UprobeModule.Offsets(offset, randomOffset, 0, null, Map.of(GNUTLS_KEYLOG_CALL, setKeyLog + call),
        List.of());
  }

  /**
   * The client random's offset in a session: {@code gnutls_session_get_random(session, client,
   * server)} starts {@code test %rsi,%rsi; je; lea disp(%rdi),%rax} (48 8d 47 XX or 48 8d 87
   * XXXXXXXX); -1 when the code differs.
   */
  static int gnutlsClientRandomOffset(byte[] code) {
    for (int i = 0; i + 7 <= code.length && i < 16; i++) {
      if (code[i] == 0x48 && code[i + 1] == (byte) 0x8d && code[i + 2] == 0x47) {
        return code[i + 3] & 0xff;
      }
      if (code[i] == 0x48 && code[i + 1] == (byte) 0x8d && code[i + 2] == (byte) 0x87) {
        return (code[i + 3] & 0xff) | (code[i + 4] & 0xff) << 8 | (code[i + 5] & 0xff) << 16 | (code[i + 6] & 0xff) << 24;
      }
    }
    return -1;
  }

  /**
   * Where GnuTLS's internal {@code _gnutls_call_keylog_func(session, label, secret, size)} starts,
   * relative to {@code gnutls_session_set_keylog_function}, from the code at the latter: the
   * setter is {@code mov %rsi,disp32(%rdi); ret} (48 89 b7 d32 c3), and the call, compiled right
   * after it (padding to 16 bytes between), loads the same field ({@code mov disp32(%rdi),%reg},
   * REX.W 8b with ModRM mod 10 and base rdi) within its first 24 bytes before calling through it.
   * -1 when the code is not that shape.
   */
  static long gnutlsKeyLogCall(byte[] code) {
    int i = code.length > 4 && code[0] == (byte) 0xf3 && code[1] == 0x0f && code[2] == 0x1e ? 4 : 0; // endbr64
    if (code.length < i + 8 || code[i] != 0x48 || code[i + 1] != (byte) 0x89 || code[i + 2] != (byte) 0xb7
        || code[i + 7] != (byte) 0xc3) {
      return -1;
    }
    int field = (code[i + 3] & 0xff) | (code[i + 4] & 0xff) << 8 | (code[i + 5] & 0xff) << 16 | (code[i + 6] & 0xff) << 24;
    int next = (i + 8 + 15) & ~15;
    for (int j = next; j + 7 <= code.length && j < next + 24; j++) {
      boolean rexW = (code[j] & 0xf8) == 0x48; // 48..4f: REX.W
      if (rexW && code[j + 1] == (byte) 0x8b && (code[j + 2] & 0xc7) == 0x87) {
        int disp = (code[j + 3] & 0xff) | (code[j + 4] & 0xff) << 8 | (code[j + 5] & 0xff) << 16 | (code[j + 6] & 0xff) << 24;
        if (disp == field) {
          return next;
        }
      }
    }
    return -1;
  }

  /** The displacement of {@code mov disp32(%rdi),%eax} (8b 87) or {@code disp8} (8b 47) at the start, else -1. */
  static int gnutlsTransportOffset(byte[] code) {
    int i = code.length > 4 && code[0] == (byte) 0xf3 && code[1] == 0x0f && code[2] == 0x1e ? 4 : 0; // endbr64
    if (code.length >= i + 6 && code[i] == (byte) 0x8b && code[i + 1] == (byte) 0x87) {
      return (code[i + 2] & 0xff) | (code[i + 3] & 0xff) << 8 | (code[i + 4] & 0xff) << 16 | (code[i + 5] & 0xff) << 24;
    }
    if (code.length >= i + 3 && code[i] == (byte) 0x8b && code[i + 1] == 0x47) {
      return code[i + 2] & 0xff;
    }
    return -1;
  }

  /**
   * NSPR's bottom-layer osfd: {@code PR_FileDesc2NativeHandle} ends in {@code mov
   * secret(%rax),%rax; mov osfd(%rax),%eax} (48 8b 40 XX 8b 40 YY).
   */
  static UprobeModule.Offsets nsprOffsets(Path file) {
    Long at = ElfSymbols.matchingOffsets(file, Set.of("PR_FileDesc2NativeHandle")).get("PR_FileDesc2NativeHandle");
    if (at == null) {
      return UprobeModule.Offsets.failed("PR_FileDesc2NativeHandle not in its symbol tables: osfd offset unknown");
    }
    int[] found = nsprOsfdOffsets(ElfSymbols.bytesAt(file, at, 96));
    return found == null
        ? UprobeModule.Offsets.failed("PR_FileDesc2NativeHandle has unexpected machine code: osfd offset unknown")
        : new UprobeModule.Offsets(0, found[0], found[1], null);
  }

  /** {secret, osfd} from {@code 48 8b 40 XX 8b 40 YY}, or null. */
  static int[] nsprOsfdOffsets(byte[] code) {
    for (int i = 0; i + 7 <= code.length; i++) {
      if (code[i] == 0x48 && code[i + 1] == (byte) 0x8b && code[i + 2] == 0x40 && code[i + 4] == (byte) 0x8b
          && code[i + 5] == 0x40) {
        return new int[] {code[i + 3] & 0xff, code[i + 6] & 0xff};
      }
    }
    return null;
  }

  /** Used by tests and status: whether {@code name} is a module name. */
  public static boolean known(String name) {
    return NAMES.contains(name);
  }

}
