package io.ecapture.kafka.collector.control;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/**
 * What {@code /status} says about exec-time attach (key {@code execWatch}) and what {@code
 * /metrics} exports of it.
 *
 * @param enabled the exec tracepoint is attached
 * @param hold what happens to a process executing a file not examined yet ("on: stopped up to 200
 *     ms until attached", or "off: ..." with the reason)
 * @param guardPid the hold guard process (resumes held processes if the collector dies), -1: none
 * @param installedScan the start-time scan of installed executables
 * @param execs every exec on the host since start (kernel count)
 * @param execsKnown execs of files already examined: nothing more was done for them
 * @param reported execs of files not examined yet, reported to the collector
 * @param examined executables the collector examined at exec
 * @param attached executables found at exec with their own TLS copy and probed then
 * @param held processes stopped at exec until examined
 * @param resumed held processes the collector resumed (after attaching, or at the timeout)
 * @param holdTimeouts held processes resumed because the hold timeout passed first
 * @param notHeldTerminal not held: the process has a controlling terminal (job control)
 * @param notHeldFull not held: too many held at once (the kernel's map is full)
 * @param eventsLost exec events lost because their ring buffer was full (neither held nor examined)
 * @param attachLatency exec to uprobes attached, for executables probed at exec (last 1024)
 * @param holdDuration exec to resumed, for held processes (last 1024)
 * @param lastError the last failure ("" when none)
 */
@JsonPropertyOrder({"enabled", "hold", "guardPid", "installedScan", "execs", "execsKnown", "reported", "examined",
    "attached", "held", "resumed", "holdTimeouts", "notHeldTerminal", "notHeldFull", "eventsLost", "attachLatency",
    "holdDuration", "lastError"})
public record ExecWatchStatus(
    boolean enabled,
    String hold,
    long guardPid,
    InstalledScan installedScan,
    long execs,
    long execsKnown,
    long reported,
    long examined,
    long attached,
    long held,
    long resumed,
    long holdTimeouts,
    long notHeldTerminal,
    long notHeldFull,
    long eventsLost,
    Latency attachLatency,
    Latency holdDuration,
    String lastError) {

  /**
   * The start-time scan of installed executables.
   *
   * @param state "off", "running", "done", "stopped: time budget" or "stopped: file limit"
   * @param dirs the directories scanned (after expanding {@code *})
   * @param files executable files found
   * @param examined files whose ELF symbols were read
   * @param withTls files that define SSL_read and SSL_write
   * @param probed of those, files probed by this scan (others were probed already)
   * @param durationMs how long it ran
   * @param found the paths of the files with their own TLS copy
   */
  @JsonPropertyOrder({"state", "dirs", "files", "examined", "withTls", "probed", "durationMs", "found"})
  public record InstalledScan(String state, List<String> dirs, long files, long examined, long withTls, long probed,
      long durationMs, List<String> found) {}

  /** A latency summary over recent samples, in milliseconds (0 when there is none). */
  @JsonPropertyOrder({"count", "p50Ms", "p99Ms", "maxMs"})
  public record Latency(long count, double p50Ms, double p99Ms, double maxMs) {
    public static final Latency NONE = new Latency(0, 0, 0, 0);
  }

  /** When exec-time attach is off. */
  public static ExecWatchStatus off(String why) {
    return new ExecWatchStatus(false, "off: " + why, -1,
        new InstalledScan("off", List.of(), 0, 0, 0, 0, 0, List.of()), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        Latency.NONE, Latency.NONE, "");
  }
}
