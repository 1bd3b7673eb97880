package io.ecapture.kafka.collector.probe;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Finds OpenSSL copies that processes run besides the configured libssl files: private libssl
 * builds (a Python or node with its own), executables that define the SSL functions themselves
 * (statically linked) and libraries of any name carrying BoringSSL or OpenSSL (Netty's tcnative,
 * extracted to a randomly named temp file). Reads /proc/PID/maps of every process; candidates
 * are each process's main executable and every executable file mapping, whatever its name. A
 * file is examined once (by device and inode: later scans only stat it); files are reached
 * through /proc/PID/root so processes in other mount namespaces (containers) are covered.
 */
final class LibraryDiscovery {
  /** Functions a file must define to be probed. */
  static final Set<String> REQUIRED = Set.of("SSL_write", "SSL_read");

  /** A probeable file found in running processes. */
  record Found(Object fileKey, Path path, boolean sharedLibrary, Set<Integer> pids) {}

  private final Path proc;
  /** fileKey -> probeable or not, for every file examined so far. */
  private final Map<Object, Boolean> examined = new HashMap<>();

  LibraryDiscovery(Path proc) {
    this.proc = proc;
  }

  /** Marks files as already handled (the configured libraries). */
  void exclude(List<Path> files) {
    for (Path file : files) {
      Object key = fileKey(file);
      if (key != null) {
        examined.put(key, false);
      }
    }
  }

  /** The file identity (device and inode) of a path, or null when unreadable. */
  static Object fileKey(Path file) {
    try {
      return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * Scans every process.
   *
   * @return every probeable file mapped right now (new or found before), with the pids mapping it
   */
  List<Found> scan() {
    Map<Object, Found> fresh = new LinkedHashMap<>();
    try (DirectoryStream<Path> processes = Files.newDirectoryStream(proc, entry -> isPid(entry.getFileName().toString()))) {
      for (Path process : processes) {
        scan(process, fresh);
      }
    } catch (IOException e) {
      // /proc unreadable: nothing found this round
    }
    return new ArrayList<>(fresh.values());
  }

  /** Scans one process: the probeable files it maps (new or found before). */
  List<Found> scan(int pid) {
    Map<Object, Found> fresh = new LinkedHashMap<>();
    scan(proc.resolve(Integer.toString(pid)), fresh);
    return new ArrayList<>(fresh.values());
  }

  /** Records a file examined elsewhere (the installed scan, an exec) as probeable. */
  void markProbeable(Object fileKey) {
    examined.put(fileKey, true);
  }

  private void scan(Path process, Map<Object, Found> fresh) {
    int pid = Integer.parseInt(process.getFileName().toString());
    for (Candidate candidate : candidates(process)) {
      Object key = fileKey(candidate.path());
      if (key == null) {
        continue;
      }
      Found already = fresh.get(key);
      if (already != null) {
        already.pids().add(pid);
        continue;
      }
      Boolean probeable = examined.get(key);
      if (probeable == null) {
        probeable = ElfSymbols.definedFunctions(candidate.path(), REQUIRED).containsAll(REQUIRED);
        examined.put(key, probeable);
      }
      if (probeable) {
        Set<Integer> pids = new TreeSet<>();
        pids.add(pid);
        fresh.put(key, new Found(key, candidate.path(), candidate.sharedLibrary(), pids));
      }
    }
  }

  private record Candidate(Path path, boolean sharedLibrary) {}

  /**
   * The main executable and every other executable file mapping of a process, once each. A
   * deleted file (Netty extracts its tcnative library to a temp file and deletes it after loading)
   * is reached through /proc/PID/map_files, which still opens the mapped inode.
   */
  private static List<Candidate> candidates(Path process) {
    List<Candidate> candidates = new ArrayList<>();
    Path root = process.resolve("root");
    try {
      Path exe = Files.readSymbolicLink(process.resolve("exe"));
      candidates.add(new Candidate(inRoot(root, exe.toString()), false));
      Set<String> seen = new java.util.HashSet<>();
      seen.add(exe.toString());
      for (String line : Files.readAllLines(process.resolve("maps"))) {
        // address perms offset dev inode path: parsed by hand, no regex, as this runs for every
        // line of every process at each scan (a JVM has thousands); most lines are not executable
        int space = line.indexOf(' ');
        if (space < 0 || space + 4 >= line.length() || line.charAt(space + 3) != 'x') {
          continue;
        }
        int slash = line.indexOf('/', space); // offset, dev and inode hold no '/'
        if (slash < 0) {
          continue; // anonymous or a pseudo file ([vdso], [stack])
        }
        String path = line.substring(slash);
        if (!seen.add(path)) {
          continue;
        }
        if (path.endsWith(" (deleted)")) {
          candidates.add(new Candidate(process.resolve("map_files").resolve(line.substring(0, space)), true));
        } else {
          candidates.add(new Candidate(inRoot(root, path), true));
        }
      }
    } catch (IOException | RuntimeException e) {
      // the process exited or is a kernel thread (no exe): nothing to probe
    }
    return candidates;
  }

  private static Path inRoot(Path root, String absolute) {
    return root.resolve(absolute.substring(1));
  }

  private static boolean isPid(String name) {
    if (name.isEmpty()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      if (!Character.isDigit(name.charAt(i))) {
        return false;
      }
    }
    return true;
  }
}
