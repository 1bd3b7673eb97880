// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * exec_watch: reports executables the collector has not examined yet, at exec, and holds the new
 * process (SIGSTOP) until the collector has attached its uprobes. See exec_watch.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "exec_watch.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define SIGSTOP 19

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} exec_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, EXEC_MAX_VERDICTS);
	__type(key, struct exec_key);
	__type(value, __u32);
} exec_verdicts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EXEC_MAX_HELD);
	__type(key, __u32);
	__type(value, struct held_process);
} held_pids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EXEC_SETTINGS);
	__type(key, __u32);
	__type(value, __u32);
} exec_settings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EXEC_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} exec_counts SEC(".maps");

/* Keeps struct exec_event in the object's BTF so the Java layout test can read it. */
const struct exec_event *unused_exec_event __attribute__((unused));

/* The inode's mtime field before Linux 6.6 and from 6.6 to 6.10 (6.11+: i_mtime_sec/nsec). */
struct inode___pre66 {
	struct timespec64 i_mtime;
} __attribute__((preserve_access_index));

struct inode___v66 {
	struct timespec64 __i_mtime;
} __attribute__((preserve_access_index));

static __always_inline void count(__u32 index)
{
	__u64 *counter = bpf_map_lookup_elem(&exec_counts, &index);

	if (counter)
		*counter += 1;
}

static __always_inline void read_mtime(struct inode *inode, struct exec_key *key)
{
	if (bpf_core_field_exists(inode->i_mtime_sec)) {
		key->mtime_sec = BPF_CORE_READ(inode, i_mtime_sec);
		key->mtime_nsec = BPF_CORE_READ(inode, i_mtime_nsec);
	} else if (bpf_core_field_exists(((struct inode___v66 *)inode)->__i_mtime)) {
		struct inode___v66 *v66 = (void *)inode;

		key->mtime_sec = BPF_CORE_READ(v66, __i_mtime.tv_sec);
		key->mtime_nsec = BPF_CORE_READ(v66, __i_mtime.tv_nsec);
	} else {
		struct inode___pre66 *old = (void *)inode;

		key->mtime_sec = BPF_CORE_READ(old, i_mtime.tv_sec);
		key->mtime_nsec = BPF_CORE_READ(old, i_mtime.tv_nsec);
	}
}

static __always_inline int hold_enabled(void)
{
	__u32 index = EXEC_SETTING_HOLD;
	__u32 *hold = bpf_map_lookup_elem(&exec_settings, &index);

	return hold && *hold;
}

/*
 * The raw form of tracepoint sched/sched_process_exec (attached by name: no tracefs mount
 * needed). It fires after the new program is loaded, before its first instruction, in the
 * context of the process itself.
 */
SEC("raw_tp/sched_process_exec")
int BPF_PROG(exec_watch, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct exec_key key = {};
	struct exec_event *event;
	struct inode *inode;
	struct file *exe;
	__u32 *verdict;
	__u32 pid;

	count(EXEC_COUNT_SEEN);
	exe = BPF_CORE_READ(task, mm, exe_file);
	if (!exe)
		return 0;
	inode = BPF_CORE_READ(exe, f_inode);
	if (!inode)
		return 0;
	key.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	key.ino = BPF_CORE_READ(inode, i_ino);
	read_mtime(inode, &key);
	verdict = bpf_map_lookup_elem(&exec_verdicts, &key);
	if (verdict && *verdict != EXEC_UNKNOWN) {
		count(EXEC_COUNT_KNOWN);
		return 0;
	}

	/* reserve first: a process the collector will never hear of must not be stopped */
	event = bpf_ringbuf_reserve(&exec_events, sizeof(*event), 0);
	if (!event) {
		count(EXEC_COUNT_RING_FULL);
		return 0;
	}
	pid = bpf_get_current_pid_tgid() >> 32;
	event->pid = pid;
	event->held = 0;
	event->file = key;
	event->ktime_ns = bpf_ktime_get_ns();
	event->start_boottime_ns = BPF_CORE_READ(task, start_boottime);
	bpf_probe_read_kernel_str(event->filename, sizeof(event->filename), BPF_CORE_READ(bprm, filename));

	if (hold_enabled()) {
		if (BPF_CORE_READ(task, signal, tty)) {
			count(EXEC_COUNT_TTY);
		} else {
			struct held_process held = {
				.start_boottime_ns = event->start_boottime_ns,
				.ktime_ns = event->ktime_ns,
			};

			if (bpf_map_update_elem(&held_pids, &pid, &held, BPF_ANY) != 0) {
				count(EXEC_COUNT_HELD_FULL);
			} else if (bpf_send_signal(SIGSTOP) != 0) {
				bpf_map_delete_elem(&held_pids, &pid);
				count(EXEC_COUNT_SIGNAL_FAILED);
			} else {
				event->held = 1;
				count(EXEC_COUNT_HELD);
			}
		}
	}
	count(EXEC_COUNT_REPORTED);
	bpf_ringbuf_submit(event, 0);
	return 0;
}
