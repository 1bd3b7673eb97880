package io.ecapture.kafka.collector.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ecapture.kafka.collector.CollectorCommand;
import io.ecapture.kafka.collector.EbpfEnvironment;
import io.ecapture.kafka.collector.TlsTestServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A collector process that dies, even by SIGKILL (no shutdown hook, no close), leaves no probe
 * behind: its BPF programs and links live only as file descriptors of the process, so the kernel
 * detaches and frees them when the process goes. Checked against the kernel's own lists (bpftool)
 * by the ids the child held, so other collectors running on the machine do not matter.
 */
class CollectorCrashTest {
  private static final Pattern ID = Pattern.compile("\"id\":(\\d+)");
  private static final Pattern PROG_ENTRY = Pattern.compile("\"id\":(\\d+),\"type\":\"[^\"]*\",\"name\":\"([^\"]*)\"");
  /** Our program names as the kernel keeps them (BPF_OBJ_NAME_LEN: 15 characters). */
  private static final Set<String> OUR_PROGRAMS = ourProgramNames();

  @TempDir Path dir;

  @Test
  void sigkillLeavesNoProbeAttached() throws Exception {
    runChildAndEnd(true);
  }

  @Test
  void cleanStopLeavesNoProbeAttached() throws Exception {
    runChildAndEnd(false);
  }

  private void runChildAndEnd(boolean kill) throws Exception {
    EbpfEnvironment.requireEbpf();
    EbpfEnvironment.requireTool("bpftool");
    EbpfEnvironment.requireTool("openssl");
    EbpfEnvironment.requireTool("curl");
    int statusPort = freePort();
    Path log = dir.resolve("collector.log");
    List<String> command = new ArrayList<>(List.of(
        ProcessHandle.current().info().command().orElse("java"),
        "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
        "-cp", System.getProperty("java.class.path"), CollectorCommand.class.getName(),
        // no broker: events wait in the spool, which does not matter here
        "--bootstrap", "127.0.0.1:" + freePort(), "--host-id", "crash-host",
        "--status-port", Integer.toString(statusPort), "--spool-dir", dir.resolve("spool").toString(),
        "--data-dir", dir.resolve("data").toString(),
        "--discover-interval-s", "0",
        // the OpenSSL object only: the lists below are its programs (the capture modules' object
        // is held the same way, as file descriptors of the process)
        "--modules", "tls"));
    Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try (TlsTestServer server = TlsTestServer.start(dir, false); HttpClient http = HttpClient.newHttpClient()) {
      // a write hook is one uprobe-session link where the kernel has them, else an entry + return pair
      int expectedLinks = TlsProbes.HOOKS.stream().mapToInt(h -> h.sessionProgram() != null ? 1 : h.links()).sum()
          + TlsProbes.TCP_PROGRAMS.size() + TlsProbes.SocketHooks.SOCKET_TRACEPOINTS.programs().size()
          + 1; // exec_watch's tracepoint
      BpfHandles held = awaitLinks(child, expectedLinks, log);
      Set<String> names = programNames(held.programs());
      assertTrue(OUR_PROGRAMS.containsAll(names), "the child's programs are ours: " + names);
      Set<String> always = new TreeSet<>(OUR_PROGRAMS);
      TlsProbes.SESSION_PROGRAMS.forEach(name -> always.remove(kernelName(name)));
      assertTrue(names.containsAll(always), "every program but the optional session ones is loaded: " + names);

      // the probes are live: a curl request is counted by the child
      curl(server.port());
      assertTrue(sslCalls(http, statusPort) > 0, "child counted curl's SSL calls");

      if (kill) {
        ProcessHandle.of(child.pid()).orElseThrow(); // still alive
        child.destroyForcibly(); // SIGKILL
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        assertEquals(137, child.exitValue(), "killed by SIGKILL");
      } else {
        child.destroy(); // SIGTERM: the shutdown hook closes the collector
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        assertTrue(Files.readString(log).contains("collector stopped"), "clean close ran: " + Files.readString(log));
      }
      awaitGone(held);
      curl(server.port()); // nothing left to trap it: nothing to assert on but the kernel lists
      Set<Long> programsNow = ids(bpftool("prog"));
      Set<Long> linksNow = ids(bpftool("link"));
      assertTrue(intersection(held.programs(), programsNow).isEmpty(), "programs left: " + held.programs());
      assertTrue(intersection(held.links(), linksNow).isEmpty(), "links left: " + held.links());
      assertFalse(bpftool("link").contains("\"prog_id\":" + held.programs().iterator().next() + ","));
    } finally {
      child.destroyForcibly();
      child.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** BPF object ids a process holds through its file descriptors (/proc/PID/fdinfo). */
  record BpfHandles(Set<Long> programs, Set<Long> links) {}

  private static BpfHandles handlesOf(long pid) throws IOException {
    Set<Long> programs = new TreeSet<>();
    Set<Long> links = new TreeSet<>();
    Path fdDir = Path.of("/proc", Long.toString(pid), "fd");
    try (Stream<Path> fds = Files.list(fdDir)) {
      for (Path fd : fds.toList()) {
        String target;
        String info;
        try {
          target = Files.readSymbolicLink(fd).toString();
          info = Files.readString(Path.of("/proc", Long.toString(pid), "fdinfo", fd.getFileName().toString()));
        } catch (IOException closedMeanwhile) {
          continue;
        }
        if (target.equals("anon_inode:bpf_link")) {
          links.add(field(info, "link_id"));
          programs.add(field(info, "prog_id"));
        } else if (target.equals("anon_inode:bpf-prog")) {
          programs.add(field(info, "prog_id"));
        }
      }
    }
    return new BpfHandles(programs, links);
  }

  private static long field(String fdinfo, String name) {
    Matcher m = Pattern.compile("(?m)^" + name + ":\\s+(\\d+)").matcher(fdinfo);
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  /** Waits until the child holds every link it attaches and serves /status (it has finished starting). */
  private static BpfHandles awaitLinks(Process child, int expected, Path log) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!child.isAlive()) {
        throw new AssertionError("collector child exited: " + Files.readString(log));
      }
      BpfHandles handles = handlesOf(child.pid());
      String output = Files.readString(log);
      // started, and its status endpoint (opened right after "collector started") serving
      if (handles.links().size() >= expected && output.contains("collector started") && output.contains("status on http://")) {
        return handles;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("collector child did not attach " + expected + " links: " + Files.readString(log));
  }

  /** The kernel frees programs and links asynchronously after the last fd closes. */
  private static void awaitGone(BpfHandles held) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      if (intersection(held.programs(), ids(bpftool("prog"))).isEmpty()
          && intersection(held.links(), ids(bpftool("link"))).isEmpty()) {
        return;
      }
      Thread.sleep(100);
    }
  }

  private Set<String> programNames(Set<Long> programIds) throws Exception {
    Set<String> names = new TreeSet<>();
    Matcher m = PROG_ENTRY.matcher(bpftool("prog"));
    while (m.find()) {
      if (programIds.contains(Long.parseLong(m.group(1)))) {
        names.add(kernelName(m.group(2))); // bpftool shows the full BTF name when it has one
      }
    }
    return names;
  }

  private static Set<String> ourProgramNames() {
    Set<String> names = new TreeSet<>();
    for (TlsProbes.Hook hook : TlsProbes.HOOKS) {
      names.add(kernelName(hook.entryProgram()));
      if (hook.returnProgram() != null) {
        names.add(kernelName(hook.returnProgram()));
      }
      if (hook.sessionProgram() != null) {
        names.add(kernelName(hook.sessionProgram())); // loaded where the kernel has uprobe sessions
      }
    }
    // every program is loaded (held by the child); the syscall fallback's are not attached here
    TlsProbes.TCP_PROGRAMS.forEach(name -> names.add(kernelName(name)));
    for (TlsProbes.SocketHooks mode : TlsProbes.SocketHooks.values()) {
      mode.programs().forEach(name -> names.add(kernelName(name)));
    }
    names.add(kernelName(ExecWatch.PROGRAM)); // exec-time attach, its own object
    return names;
  }

  private static String kernelName(String program) {
    return program.length() > 15 ? program.substring(0, 15) : program;
  }

  private static String bpftool(String kind) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("bpftool", "-j", kind, "show").redirectErrorStream(false).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), "bpftool " + kind + " show");
    return out;
  }

  private static Set<Long> ids(String json) {
    Set<Long> ids = new HashSet<>();
    Matcher m = ID.matcher(json);
    while (m.find()) {
      ids.add(Long.parseLong(m.group(1)));
    }
    return ids;
  }

  private static Set<Long> intersection(Set<Long> a, Set<Long> b) {
    Set<Long> both = new TreeSet<>(a);
    both.retainAll(b);
    return both;
  }

  private static long sslCalls(HttpClient http, int port) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    long calls = 0;
    while (System.nanoTime() < deadline && calls == 0) {
      String status = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/status")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      Matcher m = Pattern.compile("\"sslCalls\":(\\d+)").matcher(status);
      calls = m.find() ? Long.parseLong(m.group(1)) : 0;
      Thread.sleep(50);
    }
    return calls;
  }

  private static void curl(int port) throws Exception {
    Process curl = new ProcessBuilder("curl", "-sk", "https://127.0.0.1:" + port + "/")
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    assertTrue(curl.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, curl.exitValue());
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
