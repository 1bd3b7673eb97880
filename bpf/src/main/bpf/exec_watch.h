/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * exec_watch: structs and constants shared by exec_watch.bpf.c and the collector
 * (probe.ExecWatch, probe.ExecVerdicts, probe.HeldProcesses). A separate object from tlscapture:
 * it has its own maps and ring buffer and is loaded next to it.
 *
 * On every exec (raw tracepoint sched_process_exec, which fires on exec only) the program looks
 * the new executable up in exec_verdicts by (device, inode, mtime). A known file costs that one
 * lookup and nothing else. An unknown one is reported through exec_events; unless the process has
 * a controlling terminal (a shell's job control would report it "Stopped") or holding is off, the
 * process is also stopped with SIGSTOP before its first instruction and recorded in held_pids, and
 * the collector resumes it with SIGCONT once it has examined the file (bounded wait; the hold
 * guard process resumes it if the collector dies).
 */
#ifndef EXEC_WATCH_H
#define EXEC_WATCH_H

#define EXEC_FILENAME_MAX 256
/* Processes held at once; an exec finding the map full is not held (counted). */
#define EXEC_MAX_HELD 1024
/* Verdicts remembered (LRU: a forgotten file is examined again at its next exec). */
#define EXEC_MAX_VERDICTS 65536

/* Values of exec_verdicts. Any value but EXEC_UNKNOWN means "known: do nothing". */
enum exec_verdict {
	EXEC_UNKNOWN = 0,
	EXEC_NO_TLS = 1,     /* examined: carries no TLS copy of its own */
	EXEC_PROBED = 2,     /* carries one, uprobes attached by path */
	EXEC_UNREADABLE = 3, /* could not be examined: not held again */
};

/* Indexes of exec_settings (array of __u32). */
enum exec_setting {
	EXEC_SETTING_HOLD = 0, /* 1: stop unknown executables until the collector resumes them */
	EXEC_SETTINGS = 1,
};

/* Indexes of exec_counts (per-CPU __u64, summed by the collector). */
enum exec_counter {
	EXEC_COUNT_SEEN = 0,       /* every exec */
	EXEC_COUNT_KNOWN = 1,      /* execs of a file with a verdict: nothing more done */
	EXEC_COUNT_REPORTED = 2,   /* exec events submitted */
	EXEC_COUNT_HELD = 3,       /* processes stopped for examination */
	EXEC_COUNT_TTY = 4,        /* not held: has a controlling terminal */
	EXEC_COUNT_HELD_FULL = 5,  /* not held: held_pids full */
	EXEC_COUNT_RING_FULL = 6,  /* event lost (ring full): not reported, not held */
	EXEC_COUNT_SIGNAL_FAILED = 7, /* bpf_send_signal refused: not held */
	EXEC_COUNTERS = 8,
};

/* Key of exec_verdicts: the executable's identity as the kernel sees it. */
struct exec_key {
	__u64 dev;        /* superblock s_dev, kernel encoding (major << 20 | minor) */
	__u64 ino;
	__s64 mtime_sec;
	__u32 mtime_nsec;
	__u32 _pad;
};
_Static_assert(sizeof(struct exec_key) == 32, "struct exec_key is mirrored by ExecKey");

/* Value of held_pids (key: the process id). */
struct held_process {
	__u64 start_boottime_ns; /* task->start_boottime: /proc/PID/stat starttime * 10^7 */
	__u64 ktime_ns;          /* bpf_ktime_get_ns() at the exec */
};
_Static_assert(sizeof(struct held_process) == 16, "struct held_process is mirrored by HeldProcesses");

/* One record of exec_events. */
struct exec_event {
	__u32 pid;
	__u32 held;              /* 1: stopped, the collector must resume it */
	struct exec_key file;
	__u64 ktime_ns;          /* bpf_ktime_get_ns() at the exec (CLOCK_MONOTONIC) */
	__u64 start_boottime_ns;
	char filename[EXEC_FILENAME_MAX]; /* as passed to execve, NUL-terminated */
};
_Static_assert(sizeof(struct exec_event) == 312, "struct exec_event is mirrored by ExecEvent");

#endif
