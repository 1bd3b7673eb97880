package io.ecapture.kafka.collector.probe;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Function;

/**
 * A capture module made of uprobes of the shared modules BPF object ({@link ModuleProbes}) on
 * functions of files found at known paths: GnuTLS, NSS/NSPR, bash, zsh, MySQL/MariaDB and
 * PostgreSQL (see {@link CaptureModules} for each one's definition). Functions are located through
 * the ELF symbol tables and attached by file offset; a file lacking them is reported in the status
 * (stripped), and for the database servers an explicit function name or offset can be given.
 */
final class UprobeModule implements CaptureModule {
  /**
   * A probe: the first of {@code functions} the file defines, with its entry and/or return program
   * (null: none).
   */
  record Hook(List<String> functions, String entryProgram, String returnProgram, boolean optional) {
    Hook(List<String> functions, String entryProgram, String returnProgram) {
      this(functions, entryProgram, returnProgram, false);
    }
  }

  /**
   * Struct offsets a module's programs need from one file, or why they could not be learned;
   * {@code located}: file offsets of functions found by their machine code rather than a symbol
   * (GnuTLS's internal key-log call), and {@code notes}: what could not be located (reported, the
   * other hooks attach).
   */
  record Offsets(int fdOffset, int secretOffset, int osfdOffset, String error, Map<String, Long> located,
      List<String> notes) {
    static final Offsets NONE = new Offsets(0, 0, 0, null);

    Offsets(int fdOffset, int secretOffset, int osfdOffset, String error) {
      this(fdOffset, secretOffset, osfdOffset, error, Map.of(), List.of());
    }

    static Offsets failed(String error) {
      return new Offsets(0, 0, 0, error);
    }
  }

  /** An explicit function or file offset replacing the first hook's symbols (database servers). */
  record Explicit(String function, OptionalLong offset) {
    static final Explicit NONE = new Explicit(null, OptionalLong.empty());

    boolean present() {
      return function != null || offset.isPresent();
    }
  }

  private final String name;
  private final int moduleId;
  private final List<String> candidates;
  private final List<Hook> hooks;
  private final Function<Path, Offsets> offsets;
  private final Function<ModuleContext, ModuleProbes> probes;
  private final Function<ModulesConfig, Explicit> override;
  private final List<String> attachments = new ArrayList<>();
  private final List<String> problems = new ArrayList<>();
  private volatile ModuleProbes started;
  private volatile boolean enabled;

  UprobeModule(String name, int moduleId, List<String> candidates, List<Hook> hooks,
      Function<Path, Offsets> offsets, Function<ModulesConfig, Explicit> override,
      Function<ModuleContext, ModuleProbes> probes) {
    this.name = name;
    this.moduleId = moduleId;
    this.candidates = List.copyOf(candidates);
    this.hooks = List.copyOf(hooks);
    this.offsets = offsets;
    this.override = override;
    this.probes = probes;
  }

  @Override
  public String name() {
    return name;
  }

  /** The files of the candidate paths that exist (globs expanded), duplicates (links) once. */
  List<Path> targets() {
    Set<Path> found = new LinkedHashSet<>();
    for (String candidate : candidates) {
      for (Path path : expand(candidate)) {
        try {
          found.add(path.toRealPath());
        } catch (IOException e) {
          // vanished
        }
      }
    }
    return List.copyOf(found);
  }

  @Override
  public boolean targetPresent() {
    return !targets().isEmpty();
  }

  @Override
  public synchronized void start(ModuleContext context) {
    enabled = true;
    List<Path> files = targets();
    if (files.isEmpty()) {
      problems.add("target missing: none of " + candidates);
      context.warn().accept("module " + name + ": " + problems.getLast());
      return;
    }
    Explicit explicit = override.apply(context.config());
    for (Path file : files) {
      attachFile(file, explicit, context);
    }
    if (!attachments.isEmpty()) {
      context.info().accept("module " + name + " attached: " + attachments);
    }
    problems.forEach(p -> context.warn().accept("module " + name + ": " + p));
  }

  private void attachFile(Path file, Explicit explicit, ModuleContext context) {
    Set<String> wanted = new LinkedHashSet<>();
    hooks.forEach(h -> wanted.addAll(h.functions()));
    if (explicit.function() != null) {
      wanted.add(explicit.function());
    }
    Map<String, Long> found = new java.util.HashMap<>(ElfSymbols.matchingOffsets(file, wanted));
    Offsets learned = offsets.apply(file);
    if (learned.error() != null) {
      problems.add(file + ": " + learned.error());
      return;
    }
    learned.located().forEach(found::putIfAbsent);
    learned.notes().forEach(note -> problems.add(file + ": " + note));
    ModuleProbes object;
    try {
      object = started != null ? started : (started = probes.apply(context));
    } catch (RuntimeException e) {
      problems.add("cannot load the modules BPF object: " + e.getMessage());
      return;
    }
    for (int i = 0; i < hooks.size(); i++) {
      Hook hook = hooks.get(i);
      String function = null;
      long offset = -1;
      if (i == 0 && explicit.present()) {
        if (explicit.offset().isPresent()) {
          offset = explicit.offset().getAsLong();
          function = "+0x" + Long.toHexString(offset);
        } else if (found.containsKey(explicit.function())) {
          function = explicit.function();
          offset = found.get(function);
        } else {
          problems.add(file + ": " + explicit.function() + " not in its symbol tables");
          continue;
        }
      } else {
        for (String candidate : hook.functions()) {
          if (found.containsKey(candidate)) {
            function = candidate;
            offset = found.get(candidate);
            break;
          }
        }
        if (function == null && hook.optional()) {
          continue; // its absence is in the offsets' notes
        }
        if (function == null) {
          problems.add(file + ": symbol stripped or absent: none of " + hook.functions()
              + " in its symbol tables" + (i == 0 && isDatabase() ? " (give --" + name + "-funcname or --" + name
              + "-offset)" : ""));
          continue;
        }
        if (!function.equals(hook.functions().getFirst())) {
          problems.add(file + ": " + hook.functions().getFirst() + " not in its symbol tables (stripped);"
              + " probing " + function + " instead");
        }
      }
      try {
        int cookie = object.addTarget(moduleId, learned.fdOffset(), learned.secretOffset(), learned.osfdOffset(),
            file.toString(), function, name);
        if (hook.entryProgram() != null) {
          object.attach(hook.entryProgram(), file, function, offset, false, cookie);
        }
        if (hook.returnProgram() != null) {
          object.attach(hook.returnProgram(), file, function, offset, true, cookie);
        }
        attachments.add(file + ":" + function);
      } catch (RuntimeException e) {
        problems.add(file + ":" + function + ": attach failed: " + e.getMessage());
      }
    }
  }

  private boolean isDatabase() {
    return name.equals("mysql") || name.equals("postgres");
  }

  @Override
  public synchronized ModuleStatus status() {
    if (!enabled) {
      return ModuleStatus.disabled(name, targetPresent() ? "not selected by --modules" : "target missing: none of " + candidates);
    }
    ModuleProbes object = started;
    return new ModuleStatus(name, true, !attachments.isEmpty(), attachments, String.join("; ", problems),
        object == null ? 0 : object.events(name));
  }

  @Override
  public void close() {
    // the shared object (and its links) is closed by CaptureModules
  }

  /** Paths of {@code pattern}, whose components may hold {@code *}. */
  static List<Path> expand(String pattern) {
    List<Path> current = List.of(Path.of("/"));
    for (String part : pattern.split("/")) {
      if (part.isEmpty()) {
        continue;
      }
      List<Path> next = new ArrayList<>();
      for (Path dir : current) {
        if (!part.contains("*")) {
          Path p = dir.resolve(part);
          if (Files.exists(p)) {
            next.add(p);
          }
          continue;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, part)) {
          entries.forEach(next::add);
        } catch (IOException e) {
          // not a directory
        }
      }
      current = next;
    }
    return current.stream().filter(Files::isRegularFile).sorted().toList();
  }
}
